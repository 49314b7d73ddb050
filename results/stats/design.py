"""Design-based estimates: shares and means with the standard errors R's survey package gives.

Pure numpy; no Django. A :class:`Design` describes how the respondents were sampled and
weighted; :func:`share_estimates` and :func:`mean_estimate` estimate a share or a mean in the
whole sample or in a *domain* (a subgroup, or the respondents who did not answer "Vet ej").

Estimator
---------
Every estimate is a ratio of weighted totals over the domain ``d``::

    p_d = sum_{i in d} w_i y_i / sum_{i in d} w_i

and its variance is that of the linearised ("influence") variable of the *whole* design::

    z_i = w_i 1[i in d] (y_i - p_d) / sum_{i in d} w_i        (0 outside the domain)

exactly as ``svymean`` on a subset, or ``svyby``, computes it: a subgroup is a domain of the
whole design, not a re-analysis of the subgroup as a sample of its own. The variance of the
``z_i`` depends on the weighting (:attr:`Design.method`):

``"srs"`` (unweighted, ``svydesign(ids = ~1, fpc = ~N)``)
    simple random sampling without replacement from the register of ``N`` members::

        var = (1 - n/N) n/(n-1) sum_i (z_i - mean z)^2

    Without a population (``N`` unknown) the factor ``1 - n/N`` is 1.

``"poststrat"`` (``svydesign(ids = ~1, strata = ~cell, fpc = ~N_h)``)
    weights ``N_h/n_h``; the weighting cells are strata with the register's cell counts as
    finite population correction, ``s^2`` with ``n_h - 1`` in each cell::

        var = sum_h (1 - n_h/N_h) n_h/(n_h-1) sum_{i in h} (z_i - mean_h z)^2

    A cell with a single respondent (and more than one member) has no variance estimate and
    is refused (R's ``lonely.psu = "fail"``): merge it with a neighbouring cell.

``"raking"`` (``calibrate(svydesign(ids = ~1, fpc = ~N), ~m1 + m2 + ..., calfun = "raking")``)
    weights ``w_i = g_i d_i`` raked from the equal base weights ``d_i = N/n``; the variance is
    the linearisation with calibration residuals: ``z_i`` is replaced by
    ``g_i d_i e_i`` where ``e_i`` are the residuals of the ``d``-weighted least-squares
    regression of ``z_i / (g_i d_i)`` on the indicators of all the margins' levels, and then
    treated as under ``"srs"`` (overall fpc ``1 - n/N``, ``n - 1``). Raking on a single
    margin is post-stratification with this *linearised* variance, which is what
    ``survey::postStratify`` gives (overall fpc), rather than the stratified one above.

Design effect (``deff``) as ``svymean(..., deff = TRUE)``: the variance divided by that of a
simple random sample of the domain's size from a population of the domain's weighted size,
``s_w^2 (1 - n_d / sum_d w) / n_d`` with ``s_w^2 = n_d/(n_d-1) sum_d w (y - p)^2 / sum_d w``;
without a population (``deff = "replace"``) ``s_w^2 / n_d``. It is NaN where undefined
(``p`` is 0 or 1, or a single respondent), as in R.

Degrees of freedom (``ci_df = "t"``): as survey's ``degf()`` of the domain (the design's subset),
the respondents in the domain minus the strata they fall in (cells under ``"poststrat"``, one
otherwise); the intervals then take Student's t quantile with these degrees of freedom instead of
the normal's (``svyciprop(..., df = degf(subset))``, ``confint(svymean(...), df = ...)``), which
widens them for small subgroups. Differences between groups keep the normal test.

Intervals: Wilson (default) at the effective sample size ``n_eff = p(1-p)/SE^2``, or where
``p`` is 0 or 1 ``n_d / (kish_deff(w_d) (1 - n/N))`` (infinite for a census); Wald
``p ± z SE``; logit ``expit(logit p ± z SE / (p(1-p)))`` (Wilson where ``p`` is 0 or 1).
The margin of error is ``100 z SE`` percentage points.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from results.stats.proportions import (
    CI_DF,
    METHODS,
    ShareEstimate,
    critical_value,
    interval,
    kish_deff,
)
from results.stats.weighting import (
    FloatArray,
    IntArray,
    Labels,
    WeightingError,
    poststratify,
    rake,
)

__all__ = [
    "VARIANCE_METHODS",
    "BoolArray",
    "Design",
    "DesignError",
    "DesignShareEstimate",
    "MeanEstimate",
    "VarianceMethod",
    "mean_estimate",
    "share_estimates",
]

VarianceMethod = Literal["srs", "poststrat", "raking"]
VARIANCE_METHODS: Final[tuple[str, ...]] = ("srs", "poststrat", "raking")
BoolArray: TypeAlias = npt.NDArray[np.bool_]


class DesignError(ValueError):
    """The design, a domain or the answers do not allow an estimate."""


def _read_only(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    copy = np.array(array, copy=True)
    copy.flags.writeable = False
    return copy


@dataclass(frozen=True, eq=False)
class Design:
    """How the ``n`` respondents were sampled and weighted (see the module docstring).

    Build one with :meth:`srs`, :meth:`poststratified` or :meth:`raked`. The arrays are
    read-only copies.
    """

    weights: FloatArray = field(repr=False)
    method: VarianceMethod
    population: float | None = None  # register size N; None: unknown (no fpc)
    strata: IntArray | None = field(default=None, repr=False)  # poststrat: cell code
    strata_population: FloatArray | None = field(default=None, repr=False)  # N_h per code
    calibration: FloatArray | None = field(default=None, repr=False)  # raking: indicators
    base_weights: FloatArray | None = field(default=None, repr=False)  # raking: d_i
    _basis: FloatArray | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.method not in VARIANCE_METHODS:
            raise DesignError(
                f"unknown variance method {self.method!r}; expected one of {VARIANCE_METHODS}"
            )
        weights = np.asarray(self.weights, dtype=float)
        if weights.ndim != 1 or weights.size == 0:
            raise DesignError("weights must be a non-empty 1-D array (one per respondent)")
        if not (np.all(np.isfinite(weights)) and np.all(weights > 0.0)):
            raise DesignError("weights must be finite and > 0")
        n = weights.size
        object.__setattr__(self, "weights", _read_only(weights))
        if self.population is not None:
            population = self.population
            if isinstance(population, bool) or not isinstance(
                population, int | float | np.integer | np.floating
            ):
                raise DesignError(f"population must be a number or None, got {population!r}")
            if not (math.isfinite(population) and population >= n):
                raise DesignError(
                    f"population size {population!r} is smaller than the sample size {n}"
                )
            object.__setattr__(self, "population", float(population))
        if self.method == "poststrat":
            self._check_strata(n)
        if self.method == "raking":
            self._check_calibration(n)

    def _check_strata(self, n: int) -> None:
        if self.strata is None or self.strata_population is None:
            raise DesignError("a post-stratified design needs strata and strata_population")
        strata = np.asarray(self.strata)
        sizes_n = np.asarray(self.strata_population, dtype=float)
        if strata.shape != (n,) or not np.issubdtype(strata.dtype, np.integer):
            raise DesignError("strata must be one integer cell code per respondent")
        if strata.min() < 0 or strata.max() >= sizes_n.size:
            raise DesignError("strata codes must index strata_population")
        counts = np.bincount(strata, minlength=sizes_n.size)
        for h, (n_h, big_n) in enumerate(zip(counts, sizes_n, strict=True)):
            if n_h > big_n:
                raise DesignError(
                    f"cell {h} has {n_h} respondents but only {big_n:g} in the population"
                )
            if n_h == 1 and big_n > 1:
                raise DesignError(
                    f"cell {h} has a single respondent: its sampling variance cannot be "
                    "estimated (merge it with a neighbouring cell)"
                )
        object.__setattr__(self, "strata", _read_only(strata.astype(np.intp)))
        object.__setattr__(self, "strata_population", _read_only(sizes_n))

    def _check_calibration(self, n: int) -> None:
        if self.calibration is None or self.base_weights is None:
            raise DesignError("a raked design needs the calibration matrix and base weights")
        x = np.asarray(self.calibration, dtype=float)
        d = np.asarray(self.base_weights, dtype=float)
        if x.ndim != 2 or x.shape[0] != n:
            raise DesignError("calibration must be an n x q matrix")
        if d.shape != (n,) or not (np.all(np.isfinite(d)) and np.all(d > 0.0)):
            raise DesignError("base_weights must be one finite weight > 0 per respondent")
        object.__setattr__(self, "calibration", _read_only(x))
        object.__setattr__(self, "base_weights", _read_only(d))
        # Orthonormal basis of the column space of X sqrt(d) (rank-revealing SVD, so that
        # redundant indicators, e.g. all levels of every margin, are harmless).
        u, s, _ = np.linalg.svd(x * np.sqrt(d)[:, None], full_matrices=False)
        rank = int(np.sum(s > s[0] * max(x.shape) * np.finfo(float).eps)) if s.size else 0
        object.__setattr__(self, "_basis", _read_only(u[:, :rank]))

    # ----------------------------------------------------------------------- constructors

    @classmethod
    def srs(cls, n: int, population: int | None = None) -> Design:
        """An unweighted simple random sample of ``n`` from a register of ``population``.

        Weights are ``N/n`` (1 without a population); the variance has the fpc ``1 - n/N``.
        """
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise DesignError(f"sample size must be an integer >= 1, got {n!r}")
        weight = 1.0 if population is None else float(population) / int(n)
        return cls(weights=np.full(int(n), weight), method="srs", population=population)

    @classmethod
    def poststratified(cls, cells: Labels, population: Mapping[Hashable, float]) -> Design:
        """Post-stratified to the register's cell counts ``population`` (cell -> ``N_h``).

        Variance: the cells as strata with ``N_h`` as fpc. Raises
        :class:`~results.stats.weighting.WeightingError` naming an empty or unknown cell and
        :class:`DesignError` for a cell with a single respondent.
        """
        weights = poststratify(cells, population)
        keys = list(population.keys())
        position = {cell: i for i, cell in enumerate(keys)}
        labels = cells.tolist() if isinstance(cells, np.ndarray) else list(cells)
        strata = np.array([position[c] for c in labels], dtype=np.intp)
        sizes = np.array([float(population[c]) for c in keys], dtype=float)
        try:
            return cls(
                weights=weights,
                method="poststrat",
                population=float(sizes.sum()),
                strata=strata,
                strata_population=sizes,
            )
        except DesignError as error:
            # name the cell instead of its code
            message = str(error)
            for i, cell in enumerate(keys):
                prefix = f"cell {i} "
                if message.startswith(prefix):
                    message = f"cell {cell!r} " + message[len(prefix) :]
                    break
            raise DesignError(message) from None

    @classmethod
    def raked(
        cls,
        margins: Mapping[str, Labels],
        targets: Mapping[str, Mapping[Hashable, float]],
        *,
        tol: float = 1e-10,
        max_iter: int = 1000,
    ) -> Design:
        """Raked to the register's margins from equal base weights ``N/n``.

        ``N`` is the total of the targets (every margin must add up to it). Raises
        :class:`~results.stats.weighting.WeightingError` for an empty level, a level without
        a target, or when raking does not converge.
        """
        result = rake(margins, targets, tol=tol, max_iter=max_iter)
        first = next(iter(targets.values()))
        population = math.fsum(float(v) for v in first.values())
        n = result.weights.size
        if population < n:
            raise WeightingError(
                f"the margins add up to {population:g}, fewer than the {n} respondents"
            )
        columns = [np.ones(n)]
        for name, values in margins.items():
            labels = values.tolist() if isinstance(values, np.ndarray) else list(values)
            for level in targets[name]:
                indicator = np.array([label == level for label in labels], dtype=float)
                if indicator.any():
                    columns.append(indicator)
        base = np.full(n, population / n)
        return cls(
            weights=result.weights,
            method="raking",
            population=population,
            calibration=np.column_stack(columns),
            base_weights=base,
        )

    # ----------------------------------------------------------------------- properties

    @property
    def n(self) -> int:
        """Number of respondents."""
        return int(self.weights.size)

    @property
    def sampling_fraction(self) -> float:
        """``n / N`` (0 when the population is unknown)."""
        return 0.0 if self.population is None else self.n / self.population

    @property
    def kish_deff(self) -> float:
        """Kish's design effect of the weights ``n sum(w^2) / (sum w)^2``."""
        return kish_deff(self.weights.tolist())

    @property
    def effective_n(self) -> float:
        """``n / kish_deff``."""
        return self.n / self.kish_deff

    def degrees_of_freedom(self, domain: npt.ArrayLike | None = None) -> int:
        """survey's ``degf()`` of the domain's subset: its respondents minus the strata they
        are in (the weighting cells under post-stratification; one stratum otherwise)."""
        mask = np.ones(self.n, dtype=bool) if domain is None else np.asarray(domain, dtype=bool)
        n_d = int(mask.sum())
        if self.method == "poststrat":
            assert self.strata is not None
            return n_d - int(np.unique(self.strata[mask]).size)
        return n_d - (1 if n_d else 0)

    # ----------------------------------------------------------------------- variance

    def covariance(self, influence: npt.ArrayLike) -> FloatArray:
        """Design-based covariance matrix of estimators with linearised variables ``influence``.

        ``influence`` is ``n x k`` (or ``n``): one column per estimator, ``z_i`` as in the
        module docstring. Returns the ``k x k`` matrix (``svyrecvar`` in R).
        """
        z = np.asarray(influence, dtype=float)
        if z.ndim == 1:
            z = z[:, None]
        if z.ndim != 2 or z.shape[0] != self.n:
            raise DesignError(f"influence must have one row per respondent ({self.n})")
        if self.method == "raking":
            z = self._calibration_residuals(z)
        if self.method == "poststrat":
            assert self.strata is not None and self.strata_population is not None
            cov = np.zeros((z.shape[1], z.shape[1]))
            for h, big_n in enumerate(self.strata_population):
                rows = z[self.strata == h]
                n_h = rows.shape[0]
                if n_h < 2:  # empty, or a census cell of one member
                    continue
                centred = rows - rows.mean(axis=0)
                cov += (1.0 - n_h / big_n) * n_h / (n_h - 1) * (centred.T @ centred)
            return cov
        n = self.n
        if n < 2:
            return np.zeros((z.shape[1], z.shape[1]))
        centred = z - z.mean(axis=0)
        scale = (1.0 - self.sampling_fraction) * n / (n - 1)
        result: FloatArray = scale * (centred.T @ centred)
        return result

    def _calibration_residuals(self, z: FloatArray) -> FloatArray:
        # R: qr.resid(qr(X sqrt(d)), z / (g sqrt(d))) * g sqrt(d), with g = w / d.
        assert self.base_weights is not None and self._basis is not None
        root_d = np.sqrt(self.base_weights)
        scale = self.weights / root_d  # g sqrt(d)
        u = z / scale[:, None]
        residual = u - self._basis @ (self._basis.T @ u)
        result: FloatArray = residual * scale[:, None]
        return result


# --------------------------------------------------------------------------- estimates


@dataclass(frozen=True)
class DesignShareEstimate(ShareEstimate):
    """A :class:`ShareEstimate` from a design: ``count`` is the weighted count scaled so that
    the domain's weights add up to ``n`` (``share * n``)."""

    respondents: int  # unweighted respondents in the domain with the option
    deff: float  # svymean's design effect; NaN where undefined (p is 0 or 1, n = 1)
    df: float | None = None  # degrees of freedom of a t-based interval; None: normal


@dataclass(frozen=True)
class MeanEstimate:
    """The estimated mean of a numeric answer (e.g. a 1-10 scale) with its Wald interval."""

    mean: float
    se: float
    ci_low: float
    ci_high: float
    moe: float  # z * se, in the unit of the variable
    n: int  # respondents in the domain
    deff: float  # NaN where undefined
    df: float | None = None  # degrees of freedom of a t-based interval; None: normal

    @property
    def has_interval(self) -> bool:
        """A single respondent gives no variance to estimate: no interval, not a zero-wide
        one (pages say "too few answers"); nor does a t-based one without a degree of freedom."""
        return self.n >= 2 and (self.df is None or self.df >= 1)

    @property
    def plus_minus(self) -> float | None:
        """What to print as "±" (the variable's unit): the larger distance from the mean to an
        end of its interval; None without an interval."""
        if not self.has_interval:
            return None
        return max(self.mean - self.ci_low, self.ci_high - self.mean, 0.0)


def sorted_labels(labels: Iterable[Hashable]) -> list[Hashable]:
    """Labels in their natural order, or by type and text when they cannot be compared."""
    values: list[Any] = list(labels)
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=lambda label: (type(label).__name__, repr(label)))


def _domain(design: Design, domain: npt.ArrayLike | None) -> BoolArray:
    if domain is None:
        return np.ones(design.n, dtype=bool)
    mask = np.asarray(domain)
    if mask.shape != (design.n,) or mask.dtype != np.bool_:
        raise DesignError(
            f"domain must be a boolean array with one value per respondent ({design.n})"
        )
    if not mask.any():
        raise DesignError("the domain has no respondents")
    result: BoolArray = mask
    return result


def _indicators(
    design: Design, y: npt.ArrayLike, mask: BoolArray, options: Sequence[Hashable] | None
) -> tuple[FloatArray, list[Hashable] | None]:
    """0/1 matrix ``n x k`` (zero outside the domain) from indicators or option codes."""
    array = np.asarray(y)
    if array.ndim == 2:
        if array.shape[0] != design.n:
            raise DesignError(f"y must have one row per respondent ({design.n})")
        if options is not None and len(options) != array.shape[1]:
            raise DesignError("options must name the columns of y")
        values = np.where(mask[:, None], array, 0).astype(float)
        if not np.all((values == 0.0) | (values == 1.0)):
            raise DesignError("indicators must be 0 or 1 (True/False) in the domain")
        return values, list(options) if options is not None else None
    if array.ndim != 1 or array.shape[0] != design.n:
        raise DesignError(
            f"y must be one option code per respondent ({design.n}) or an n x k 0/1 matrix"
        )
    codes: list[Hashable] = array.tolist()
    if options is None:
        seen = {codes[i] for i in np.flatnonzero(mask)}
        options = sorted_labels(seen)
    position = {option: j for j, option in enumerate(options)}
    if len(position) != len(options):
        raise DesignError("options must be distinct")
    values = np.zeros((design.n, len(options)))
    for i in np.flatnonzero(mask):
        j = position.get(codes[i])
        if j is None:
            raise DesignError(
                f"respondent {i} answered {codes[i]!r}, which is not among the options "
                f"{list(options)!r} (leave it out of the domain to exclude it)"
            )
        values[i, j] = 1.0
    return values, list(options)


def _ratio(
    design: Design, values: FloatArray, mask: BoolArray
) -> tuple[FloatArray, FloatArray, FloatArray, float]:
    """Domain ratio estimates, their linearised variables, the domain weights and their sum."""
    w = np.where(mask, design.weights, 0.0)
    total = math.fsum(w.tolist())
    estimate = (w @ values) / total
    influence = w[:, None] * (values - estimate) / total
    return estimate, influence, w, total


def _deff(
    design: Design,
    variance: FloatArray,
    values: FloatArray,
    estimate: FloatArray,
    w: FloatArray,
    total: float,
    n_d: int,
) -> FloatArray:
    """svymean's deff: variance / the variance of an SRS of n_d from sum(w_d)."""
    if n_d < 2:
        return np.full(variance.shape, math.nan)
    s2 = n_d / (n_d - 1) * (w @ (values - estimate) ** 2) / total
    if design.population is None:
        srs = s2 / n_d  # deff = "replace"
    elif total <= n_d:
        return np.full(variance.shape, math.nan)
    else:
        srs = s2 * (1.0 - n_d / total) / n_d
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(srs > 0.0, variance / np.where(srs > 0.0, srs, 1.0), math.nan)
    result: FloatArray = ratio
    return result


def share_estimates(
    design: Design,
    y: npt.ArrayLike,
    domain: npt.ArrayLike | None = None,
    *,
    options: Sequence[Hashable] | None = None,
    level: float = 0.95,
    method: str = "wilson",
    ci_df: str = "normal",
) -> list[DesignShareEstimate]:
    """Each option's weighted share in the domain, with its design-based SE and interval.

    ``y`` is either one option code per respondent (a single-choice question: ``options``
    gives the order, by default the sorted codes seen in the domain; the shares add up to 1)
    or an ``n x k`` 0/1 matrix, one column per option (a multiple-choice question: each
    column's share of the domain's respondents; they need not add up to 1). ``domain`` is a
    boolean mask of the respondents to estimate for (default: all); answers outside it are
    ignored, so ``domain = answers != "Vet ej"`` excludes "Vet ej" (and codes outside it may
    be missing values). ``method`` is ``"wilson"`` (default), ``"wald"`` or ``"logit"``;
    ``ci_df = "t"`` takes Student's t quantile with the domain's degrees of freedom.
    """
    if method not in METHODS:
        raise DesignError(f"unknown interval method {method!r}; expected one of {METHODS}")
    mask = _domain(design, domain)
    df = _df(design, mask, ci_df)
    z = critical_value(level, df)
    values, _ = _indicators(design, y, mask, options)
    n_d = int(mask.sum())
    estimate, influence, w, total = _ratio(design, values, mask)
    variance = np.maximum(np.diag(design.covariance(influence)), 0.0)
    deff = _deff(design, variance, values, estimate, w, total, n_d)
    respondents = values[mask].sum(axis=0)
    f = design.sampling_fraction
    fallback_n = math.inf if f >= 1.0 else n_d / (kish_deff(w[mask].tolist()) * (1.0 - f))

    results = []
    for j in range(values.shape[1]):
        # exact 0 and 1 where every respondent in the domain has the same answer
        if respondents[j] == 0:
            p = 0.0
        elif respondents[j] == n_d:
            p = 1.0
        else:
            p = min(max(float(estimate[j]), 0.0), 1.0)
        se = math.sqrt(float(variance[j]))
        if p in (0.0, 1.0):
            n_effective = fallback_n
        elif se > 0.0:
            n_effective = p * (1.0 - p) / (se * se)
        else:
            n_effective = math.inf
        shown = interval(p, se=se, n_effective=n_effective, level=level, method=method, df=df)
        results.append(
            DesignShareEstimate(
                count=p * n_d,
                share=p,
                se=se,
                ci_low=shown.low,
                ci_high=shown.high,
                moe_pp=100.0 * z * se,
                n=n_d,
                n_effective=n_effective,
                respondents=int(respondents[j]),
                deff=float(deff[j]),
                df=df,
            )
        )
    return results


def _df(design: Design, mask: BoolArray, ci_df: str) -> float | None:
    if ci_df not in CI_DF:
        raise DesignError(f"unknown degrees of freedom {ci_df!r}; expected one of {CI_DF}")
    return float(design.degrees_of_freedom(mask)) if ci_df == "t" else None


def mean_estimate(
    design: Design,
    x: npt.ArrayLike,
    domain: npt.ArrayLike | None = None,
    *,
    level: float = 0.95,
    ci_df: str = "normal",
) -> MeanEstimate:
    """Weighted mean of a numeric answer in the domain, its design-based SE and Wald interval
    (with ``ci_df = "t"``: ``mean ± t_df SE``, as ``confint(svymean(...), df = degf(...))``).

    Values outside the domain are ignored (they may be NaN: leave the non-answers out of the
    domain).
    """
    mask = _domain(design, domain)
    df = _df(design, mask, ci_df)
    z = critical_value(level, df)
    array = np.asarray(x, dtype=float)
    if array.shape != (design.n,):
        raise DesignError(f"x must have one value per respondent ({design.n})")
    if not np.all(np.isfinite(array[mask])):
        raise DesignError("x must be finite in the domain (leave missing answers out of it)")
    values = np.where(mask, array, 0.0)[:, None]
    estimate, influence, w, total = _ratio(design, values, mask)
    variance = max(float(design.covariance(influence)[0, 0]), 0.0)
    n_d = int(mask.sum())
    deff = _deff(design, np.array([variance]), values, estimate, w, total, n_d)
    se = math.sqrt(variance)
    mean = float(estimate[0])
    return MeanEstimate(
        mean=mean,
        se=se,
        ci_low=mean - z * se,
        ci_high=mean + z * se,
        moe=z * se,
        n=n_d,
        deff=float(deff[0]),
        df=df,
    )
