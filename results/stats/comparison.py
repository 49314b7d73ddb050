"""Subgroup comparisons (with Holm's correction) and small-cell protection.

Pure Python + numpy; no Django.

Comparing two shares
--------------------
A difference ``p_a - p_b`` is tested with ``z = (p_a - p_b) / SE`` against the standard
normal (two-sided); it is significant at ``level`` (default 95 %) when the p-value is at most
``1 - level``. The design effect enters through the standard errors, which are design-based:

* :func:`compare_domains` and :func:`compare_breakdown` compute the SE of the difference from
  the linearised design itself: the difference's linearised variable is ``z_a - z_b`` (each
  domain's as in :mod:`results.stats.design`), so ``var = var_a + var_b - 2 cov_ab`` with the
  covariance the design gives (``svyby(..., covmat = TRUE)`` and ``svycontrast`` in R). Two
  groups of one sample are *not* treated as independent: the covariance of disjoint domains
  is exactly zero only for an unweighted simple random sample (with or without fpc); with
  post-stratification (cells shared by the groups) and raking (calibration residuals) it is
  not, and it is included. A group against "the rest" is the difference of two disjoint
  domains that together make up the breakdown's domain.
* :func:`compare_shares` and :func:`compare_groups` work on estimates alone (e.g. two
  separate polls) and treat them as independent: ``SE = sqrt(SE_a^2 + SE_b^2)``. Used on
  groups of one weighted sample this is an approximation.

When a breakdown compares many groups at once the p-values are adjusted with Holm's
step-down method (:func:`holm`), which keeps the family-wise error rate at ``1 - level``.

Small-cell protection
---------------------
:func:`suppress` hides groups with fewer respondents than the threshold and, when a total
is shown and only one group would be hidden, the next smallest group too, so that the hidden
group cannot be derived as the total minus the other groups.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from results.stats.design import Design, DesignError, _domain, _ratio, sorted_labels
from results.stats.proportions import z_value
from results.stats.weighting import FloatArray, Labels

__all__ = [
    "Comparison",
    "GroupComparison",
    "ShareLike",
    "compare_breakdown",
    "compare_domains",
    "compare_groups",
    "compare_shares",
    "domain_covariance",
    "holm",
    "holm_adjusted",
    "suppress",
]

K = TypeVar("K", bound=Hashable)


class ShareLike(Protocol):
    """Anything with a share and its standard error (e.g. a ``ShareEstimate``)."""

    @property
    def share(self) -> float: ...

    @property
    def se(self) -> float: ...


@dataclass(frozen=True)
class Comparison:
    """``a - b`` with its standard error and two-sided z test."""

    difference: float
    se: float
    z: float
    p_value: float
    significant: bool  # p_value <= 1 - level (not adjusted for multiple comparisons)
    level: float


@dataclass(frozen=True)
class GroupComparison:
    """One comparison of a breakdown, with its Holm-adjusted p-value."""

    group: Hashable
    versus: Hashable | None  # None: the rest of the breakdown's domain
    share: float  # the group's share
    versus_share: float  # the other group's (or the rest's) share
    comparison: Comparison
    p_adjusted: float  # Holm
    significant: bool  # after Holm's correction, at the comparison's level


# --------------------------------------------------------------------------- tests


def _check_level(level: float) -> float:
    z_value(level)  # validates
    return 1.0 - level


def _comparison(difference: float, se: float, level: float) -> Comparison:
    alpha = _check_level(level)
    if not (math.isfinite(se) and se >= 0.0):
        raise ValueError(f"standard error must be finite and >= 0, got {se!r}")
    if se > 0.0:
        z = difference / se
    else:  # no sampling error: any difference is real, none is none
        z = 0.0 if difference == 0.0 else math.copysign(math.inf, difference)
    p_value = math.erfc(abs(z) / math.sqrt(2.0))
    return Comparison(
        difference=difference,
        se=se,
        z=z,
        p_value=p_value,
        significant=p_value <= alpha,
        level=level,
    )


def compare_shares(a: ShareLike, b: ShareLike, *, level: float = 0.95) -> Comparison:
    """Compare the shares of two *independent* groups: ``SE = sqrt(SE_a^2 + SE_b^2)``.

    The standard errors should be design-based (they carry the design effect). For groups of
    one sample prefer :func:`compare_domains`, which includes their covariance.
    """
    for estimate in (a, b):
        if not (math.isfinite(estimate.share) and math.isfinite(estimate.se)):
            raise ValueError("shares and standard errors must be finite")
    se = math.hypot(a.se, b.se)
    return _comparison(a.share - b.share, se, level)


def holm_adjusted(p_values: Sequence[float]) -> list[float]:
    """Holm's adjusted p-values (in the input order)::

    p_adj(i) = max_{j <= i} min(1, (m - j + 1) p_(j))   over the sorted p_(1) <= ... <= p_(m)
    """
    values = [float(p) for p in p_values]
    for p in values:
        if not (0.0 <= p <= 1.0):
            raise ValueError(f"p-values must be in [0, 1], got {p!r}")
    m = len(values)
    order = sorted(range(m), key=lambda i: values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * values[i]))
        adjusted[i] = running
    return adjusted


def holm(p_values: Sequence[float], alpha: float = 0.05) -> list[bool]:
    """Holm's step-down procedure: which hypotheses are rejected at family-wise ``alpha``.

    Sort the ``m`` p-values; reject while ``p_(i) <= alpha / (m - i + 1)``; stop at the first
    that is not (it and all larger ones are kept). Returned in the input order.
    """
    if not (0.0 < alpha < 1.0):
        raise ValueError(f"alpha must be strictly between 0 and 1, got {alpha!r}")
    values = [float(p) for p in p_values]
    holm_adjusted(values)  # validates
    m = len(values)
    rejected = [False] * m
    for rank, i in enumerate(sorted(range(m), key=lambda i: values[i])):
        if values[i] > alpha / (m - rank):
            break
        rejected[i] = True
    return rejected


def domain_covariance(
    design: Design, y: npt.ArrayLike, domains: Sequence[npt.ArrayLike]
) -> tuple[FloatArray, FloatArray]:
    """Estimates of the mean of ``y`` (e.g. a 0/1 indicator) in each domain and their
    design-based covariance matrix (``svyby(..., covmat = TRUE)``).

    The covariance of two disjoint domains is not zero in general: it is under an unweighted
    simple random sample (each domain's linearised variable sums to zero), but not under
    post-stratification (centred within cells that the domains share) or raking
    (calibration residuals).
    """
    array = np.asarray(y, dtype=float)
    if array.shape != (design.n,):
        raise DesignError(f"y must have one value per respondent ({design.n})")
    if not domains:
        raise DesignError("no domains given")
    estimates = []
    influences = []
    for domain in domains:
        mask = _domain(design, domain)
        if not np.all(np.isfinite(array[mask])):
            raise DesignError("y must be finite in every domain")
        values = np.where(mask, array, 0.0)[:, None]
        estimate, influence, _, _ = _ratio(design, values, mask)
        estimates.append(float(estimate[0]))
        influences.append(influence[:, 0])
    return np.array(estimates), design.covariance(np.column_stack(influences))


def compare_domains(
    design: Design,
    y: npt.ArrayLike,
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    *,
    level: float = 0.95,
) -> Comparison:
    """Compare the share (mean) of ``y`` in domain ``a`` with domain ``b`` of one design.

    ``y`` is one 0/1 indicator (or number) per respondent; ``a`` and ``b`` are boolean masks.
    The SE of the difference comes from the linearised design, covariance included.
    """
    return _difference(design, y, a, b, level)[2]


def _difference(
    design: Design, y: npt.ArrayLike, a: npt.ArrayLike, b: npt.ArrayLike, level: float
) -> tuple[float, float, Comparison]:
    estimates, cov = domain_covariance(design, y, [a, b])
    variance = max(float(cov[0, 0] + cov[1, 1] - 2.0 * cov[0, 1]), 0.0)
    share_a, share_b = float(estimates[0]), float(estimates[1])
    return share_a, share_b, _comparison(share_a - share_b, math.sqrt(variance), level)


def _with_holm(
    rows: list[tuple[Hashable, Hashable | None, float, float, Comparison]], level: float
) -> list[GroupComparison]:
    alpha = _check_level(level)
    adjusted = holm_adjusted([row[4].p_value for row in rows])
    rejected = holm([row[4].p_value for row in rows], alpha) if rows else []
    return [
        GroupComparison(
            group=group,
            versus=versus,
            share=share,
            versus_share=versus_share,
            comparison=comparison,
            p_adjusted=p_adj,
            significant=significant,
        )
        for (group, versus, share, versus_share, comparison), p_adj, significant in zip(
            rows, adjusted, rejected, strict=True
        )
    ]


def compare_breakdown(
    design: Design,
    y: npt.ArrayLike,
    groups: Labels,
    *,
    domain: npt.ArrayLike | None = None,
    versus: Literal["rest", "pairwise"] = "rest",
    levels: Sequence[Hashable] | None = None,
    hidden: Collection[Hashable] = (),
    level: float = 0.95,
) -> list[GroupComparison]:
    """Which groups of a breakdown differ, after Holm's correction over the breakdown.

    ``y`` is a 0/1 indicator per respondent (one option of a question), ``groups`` each
    respondent's group (e.g. region), ``domain`` the respondents the shares are of (e.g.
    those who did not answer "Vet ej"; default all). ``versus="rest"`` compares each group
    with all other respondents of the domain, ``"pairwise"`` every pair of groups. ``levels``
    fixes the groups and their order (default: the groups in the domain, sorted); groups in
    ``hidden`` (suppressed) are not compared, though their respondents stay in "the rest".
    Groups without respondents in the domain are skipped. Design-based SEs (covariance
    included), Holm over all the comparisons returned.
    """
    if versus not in ("rest", "pairwise"):
        raise ValueError(f"versus must be 'rest' or 'pairwise', got {versus!r}")
    _check_level(level)
    mask = np.ones(design.n, dtype=bool) if domain is None else np.asarray(domain, dtype=bool)
    if mask.shape != (design.n,):
        raise DesignError(f"domain must have one value per respondent ({design.n})")
    labels = groups.tolist() if isinstance(groups, np.ndarray) else list(groups)
    if len(labels) != design.n:
        raise DesignError(f"groups must have one label per respondent ({design.n})")
    if levels is None:
        present = {labels[i] for i in np.flatnonzero(mask)}
        levels = sorted_labels(present)
    members = {g: mask & np.array([label == g for label in labels], dtype=bool) for g in levels}
    shown = [g for g in levels if g not in hidden and members[g].any()]

    rows: list[tuple[Hashable, Hashable | None, float, float, Comparison]] = []
    if versus == "rest":
        for g in shown:
            rest = mask & ~members[g]
            if not rest.any():
                continue
            share, rest_share, comparison = _difference(design, y, members[g], rest, level)
            rows.append((g, None, share, rest_share, comparison))
    else:
        for i, g in enumerate(shown):
            for h in shown[i + 1 :]:
                share, other, comparison = _difference(design, y, members[g], members[h], level)
                rows.append((g, h, share, other, comparison))
    return _with_holm(rows, level)


def compare_groups(
    estimates: Mapping[Hashable, ShareLike], *, level: float = 0.95
) -> list[GroupComparison]:
    """Every pair of groups from their estimates alone, as independent samples, with Holm.

    An approximation for groups of one weighted sample (their covariance is ignored); use
    :func:`compare_breakdown` when the design is at hand.
    """
    _check_level(level)
    keys = list(estimates)
    rows: list[tuple[Hashable, Hashable | None, float, float, Comparison]] = []
    for i, g in enumerate(keys):
        for h in keys[i + 1 :]:
            comparison = compare_shares(estimates[g], estimates[h], level=level)
            rows.append((g, h, estimates[g].share, estimates[h].share, comparison))
    return _with_holm(rows, level)


# --------------------------------------------------------------------------- small cells


def suppress(groups: Mapping[K, int], threshold: int = 5, *, total_shown: bool = True) -> set[K]:
    """The groups to hide in a breakdown (small-cell protection).

    A group with fewer respondents than ``threshold`` is hidden. When a total is shown
    (``total_shown``) and exactly one group is hidden, it could be derived as the total
    minus the others, so the smallest of the remaining groups (ties: the first in
    ``groups``' order) is hidden too (complementary suppression). With a single group there
    is nothing to hide it behind: if it is hidden, the caller must not show the total either
    (it is the same number).
    """
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
        raise ValueError(f"threshold must be an integer >= 0, got {threshold!r}")
    for name, count in groups.items():
        if isinstance(count, bool) or not isinstance(count, int | np.integer) or count < 0:
            raise ValueError(f"group {name!r} must have a count >= 0, got {count!r}")
    hidden = {name for name, count in groups.items() if count < threshold}
    if total_shown and len(hidden) == 1:
        visible = [
            (count, i, name) for i, (name, count) in enumerate(groups.items()) if name not in hidden
        ]
        if visible:
            _, _, complement = min(visible, key=lambda item: (item[0], item[1]))
            hidden.add(complement)
    return hidden
