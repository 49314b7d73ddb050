"""Weights that make a sample reproduce the register's counts: post-stratification and raking.

Pure numpy; no Django. Respondents are described by their *cell* (post-stratification) or by
their level on each *margin* (raking), given as any hashable labels (strings, ints, tuples).

* :func:`poststratify` gives every respondent in cell ``h`` the weight ``N_h / n_h``, so the
  weights add up to the register count of every cell (R ``survey::postStratify``, or the
  weights of ``svydesign(ids = ~1, strata = ~cell, fpc = ~N_h)``).
* :func:`rake` adjusts the weights by iterative proportional fitting until every margin adds
  up to its register count. The converged weights are the ``calfun = "raking"`` solution of
  ``survey::calibrate`` (multiplicative in the margins, closest to the starting weights in
  the Kullback-Leibler sense); starting weights that are all equal give the same result
  whatever their value.

Both refuse, with a :class:`WeightingError` naming the cell, a population cell without
respondents (its members would get no weight: merge cells) and a respondent whose cell has
no population count.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeAlias

import numpy as np
import numpy.typing as npt

from results.stats.proportions import kish_deff

__all__ = [
    "FloatArray",
    "Labels",
    "RakeResult",
    "WeightingError",
    "effective_n",
    "kish_deff",
    "poststratify",
    "rake",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.intp]
#: Labels of respondents (one per respondent): a sequence or a 1-D numpy array.
Labels: TypeAlias = Sequence[Hashable] | npt.NDArray[Any]

# Relative slack allowed between the totals of two margins of the same population.
_TOTAL_TOLERANCE: Final = 1e-9


class WeightingError(ValueError):
    """The weights cannot be computed (empty cell, missing count, no convergence)."""


@dataclass(frozen=True, eq=False)
class RakeResult:
    """Raked weights and how the iteration went."""

    weights: FloatArray = field(repr=False)
    iterations: int  # full sweeps over the margins
    converged: bool
    max_deviation: float  # largest |weighted total - target| / target after the last sweep


# --------------------------------------------------------------------------- helpers


def _labels(values: Labels, what: str) -> list[Hashable]:
    if isinstance(values, np.ndarray):
        if values.ndim != 1:
            raise WeightingError(f"{what} must be one label per respondent (a 1-D array)")
        labels: list[Hashable] = values.tolist()
    elif isinstance(values, str | bytes):
        raise WeightingError(f"{what} must be one label per respondent, got a string")
    else:
        labels = list(values)
    for label in labels:
        if not isinstance(label, Hashable):
            raise WeightingError(f"{what} must be hashable labels, got {label!r}")
    if not labels:
        raise WeightingError(f"{what} is empty: there are no respondents to weight")
    return labels


def _count(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise WeightingError(f"the population count of {where} must be a number, got {value!r}")
    count = float(value)
    if not (math.isfinite(count) and count >= 0.0):
        raise WeightingError(
            f"the population count of {where} must be finite and >= 0, got {value!r}"
        )
    return count


def _codes(
    labels: list[Hashable], population: Mapping[Hashable, float], where: str
) -> tuple[IntArray, list[Hashable], FloatArray]:
    """Map labels to column codes of the population's cells; check every cell is usable.

    Returns the code of each respondent, the cells (in the population's order) and their
    counts. Cells with a count of 0 and no respondents are kept (they weigh nothing).
    """
    cells = list(population.keys())
    position = {cell: i for i, cell in enumerate(cells)}
    counts = np.array([_count(population[c], f"{where} {c!r}") for c in cells], dtype=float)
    codes = np.empty(len(labels), dtype=np.intp)
    for i, label in enumerate(labels):
        code = position.get(label)
        if code is None:
            raise WeightingError(
                f"respondent {i} is in {where} {label!r}, which has no population count"
            )
        codes[i] = code
    sizes = np.bincount(codes, minlength=len(cells))
    for cell, size, count in zip(cells, sizes, counts, strict=True):
        if size == 0 and count > 0.0:
            raise WeightingError(
                f"{where} {cell!r} has no respondents but a population count of {count:g}: "
                "its members cannot be represented (merge it with a neighbouring cell)"
            )
        if size > 0 and count == 0.0:
            raise WeightingError(
                f"{where} {cell!r} has {size} respondent(s) but a population count of 0"
            )
    return codes, cells, counts


def effective_n(weights: Sequence[float] | FloatArray) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum(w^2)`` = ``n / kish_deff(weights)``."""
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1 or w.size == 0:
        raise ValueError("effective_n needs a non-empty 1-D array of weights")
    return float(w.size / kish_deff(w.tolist()))


# --------------------------------------------------------------------------- post-stratification


def poststratify(cells: Labels, population: Mapping[Hashable, float]) -> FloatArray:
    """Post-stratification weights ``N_h / n_h`` for respondents in cells ``cells``.

    ``population`` maps every cell to its register count ``N_h``. The weights of the
    respondents in a cell add up to its count, so the weights add up to the register size.

    Raises :class:`WeightingError` naming the cell when a population cell with members has no
    respondents, when a respondent's cell has no population count, or when a cell with
    respondents has a count of 0.
    """
    labels = _labels(cells, "cells")
    codes, _, counts = _codes(labels, population, "cell")
    sizes = np.bincount(codes, minlength=counts.size).astype(float)
    per_cell = np.divide(counts, sizes, out=np.zeros_like(counts), where=sizes > 0)
    weights: FloatArray = per_cell[codes]
    return weights


# --------------------------------------------------------------------------- raking


@dataclass(frozen=True)
class _Margin:
    name: str
    codes: IntArray
    levels: list[Hashable]
    targets: FloatArray


def _margins(
    margins: Mapping[str, Labels], targets: Mapping[str, Mapping[Hashable, float]]
) -> list[_Margin]:
    if not margins:
        raise WeightingError("raking needs at least one margin")
    missing = [name for name in margins if name not in targets]
    if missing:
        raise WeightingError(f"no population counts given for margin(s) {missing}")
    extra = [name for name in targets if name not in margins]
    if extra:
        raise WeightingError(f"population counts given for unknown margin(s) {extra}")
    result = []
    n: int | None = None
    for name, values in margins.items():
        labels = _labels(values, f"margin {name!r}")
        if n is not None and len(labels) != n:
            raise WeightingError(
                f"margin {name!r} has {len(labels)} labels but the first margin has {n}"
            )
        n = len(labels)
        codes, levels, counts = _codes(labels, targets[name], f"margin {name!r} level")
        result.append(_Margin(name, codes, levels, counts))
    totals = [(m.name, float(m.targets.sum())) for m in result]
    first_name, first_total = totals[0]
    if first_total <= 0.0:
        raise WeightingError(f"margin {first_name!r} has a population total of 0")
    for name, total in totals[1:]:
        if abs(total - first_total) > _TOTAL_TOLERANCE * first_total:
            raise WeightingError(
                f"the margins disagree on the population total: {first_name!r} adds up to "
                f"{first_total:g} but {name!r} to {total:g}"
            )
    return result


def _deviation(weights: FloatArray, margins: list[_Margin]) -> tuple[float, str]:
    """Largest relative deviation of a margin total from its target, and where it is."""
    worst, where = 0.0, ""
    for margin in margins:
        totals = np.bincount(margin.codes, weights=weights, minlength=margin.targets.size)
        for level, total, target in zip(margin.levels, totals, margin.targets, strict=True):
            if target == 0.0:
                continue
            deviation = abs(float(total) - float(target)) / float(target)
            if deviation > worst or not where:
                worst = deviation
                where = (
                    f"margin {margin.name!r} level {level!r} adds up to {float(total):.6g} "
                    f"instead of {float(target):.6g}"
                )
    return worst, where


def rake(
    margins: Mapping[str, Labels],
    targets: Mapping[str, Mapping[Hashable, float]],
    *,
    base_weights: Sequence[float] | FloatArray | None = None,
    tol: float = 1e-10,
    max_iter: int = 1000,
    raise_on_failure: bool = True,
) -> RakeResult:
    """Rake (iterative proportional fitting) until every margin reproduces its targets.

    ``margins`` maps a margin's name (e.g. ``"region"``) to each respondent's level on it;
    ``targets`` maps the same names to the register counts per level. Every margin must add
    up to the same population total. The iteration stops when the largest relative deviation
    ``|sum of weights - target| / target`` over all levels is at most ``tol``.

    Raises :class:`WeightingError` for an empty level (targets > 0 but no respondents), a
    respondent's level without a target, margins with different totals, and, unless
    ``raise_on_failure=False``, when ``max_iter`` sweeps do not converge (this happens when
    the sample cannot reproduce the margins jointly, e.g. when combinations of levels that
    would be needed have no respondents); the message names the worst margin level.
    """
    if not (isinstance(tol, int | float) and not isinstance(tol, bool) and tol > 0.0):
        raise ValueError(f"tol must be a number > 0, got {tol!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise ValueError(f"max_iter must be an integer >= 1, got {max_iter!r}")
    parsed = _margins(margins, targets)
    n = parsed[0].codes.size
    if base_weights is None:
        weights = np.ones(n, dtype=float)
    else:
        weights = np.array(base_weights, dtype=float)
        if weights.shape != (n,):
            raise WeightingError(f"base_weights must have one weight per respondent ({n})")
        if not (np.all(np.isfinite(weights)) and np.all(weights > 0.0)):
            raise WeightingError("base_weights must be finite and > 0")

    deviation, where = _deviation(weights, parsed)
    iterations = 0
    while deviation > tol and iterations < max_iter:
        for margin in parsed:
            totals = np.bincount(margin.codes, weights=weights, minlength=margin.targets.size)
            factors = np.divide(
                margin.targets, totals, out=np.zeros_like(totals), where=totals > 0.0
            )
            weights = weights * factors[margin.codes]
        iterations += 1
        deviation, where = _deviation(weights, parsed)

    converged = deviation <= tol
    if not converged and raise_on_failure:
        raise WeightingError(
            f"raking did not converge in {max_iter} iterations: {where} (relative deviation "
            f"{deviation:.3g} > tol {tol:g}); the sample cannot reproduce these margins "
            "together, typically because combinations of levels have no respondents: "
            "merge levels or rake on fewer margins"
        )
    return RakeResult(
        weights=weights, iterations=iterations, converged=converged, max_deviation=deviation
    )
