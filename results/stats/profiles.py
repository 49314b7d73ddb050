"""Design-based estimates over *profiles*: respondents grouped by their reporting attributes, with
their answers counted per profile and answer (*atoms*). `ProfileDesign.variance` is the
per-respondent variance of `results.stats.design.Design` summed atom by atom, with the same
centring; `column_estimates` gives the ratio estimates of a batch of columns, and
`column_share` / `column_mean` one column as `share_estimates` / `mean_estimate` give it.

Pure numpy/scipy; no Django (tests/test_weighted_results.py holds it to `Design`)."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import sparse

from results.stats.design import BoolArray, DesignShareEstimate, MeanEstimate
from results.stats.proportions import critical_value, interval
from results.stats.weighting import FloatArray, IntArray

__all__ = [
    "Columns",
    "ProfileDesign",
    "column_estimates",
    "column_mean",
    "column_share",
    "srs_factor",
    "sum_by",
]


def sum_by(index: IntArray, values: FloatArray, size: int) -> FloatArray:
    """Row sums of `values` (m x k) grouped by `index` (m) into `size` rows."""
    matrix = sparse.csr_matrix(
        (np.ones(index.size), (index, np.arange(index.size))), shape=(size, index.size)
    )
    result: FloatArray = np.asarray(matrix @ values)
    return result


@dataclass(frozen=True, eq=False)
class ProfileDesign:
    """`results.stats.design.Design` for respondents grouped in profiles (see the module
    docstring): each profile's size, the weight of each of its respondents, its stratum and the
    variance factor of each stratum; for raking, an orthonormal basis of the calibration
    indicators (weighted by the profile sizes)."""

    method: Literal["srs", "poststrat", "raking"]
    sizes: FloatArray
    weights: FloatArray
    population: float | None
    strata: IntArray
    strata_sizes: FloatArray
    strata_factor: FloatArray
    basis: FloatArray | None = None

    @classmethod
    def poststratified(
        cls,
        *,
        sizes: FloatArray,
        stratum: IntArray,
        strata_sizes: FloatArray,
        strata_population: FloatArray,
    ) -> ProfileDesign:
        """Post-stratification: the profiles' cells (`stratum`) are strata with `strata_sizes`
        respondents and `strata_population` members each; weights N_h / n_h, and each
        stratum's variance factor (1 - n_h/N_h) n_h/(n_h - 1) (0 for a single respondent)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(
                strata_sizes >= 2,
                (1.0 - strata_sizes / strata_population) * strata_sizes / (strata_sizes - 1.0),
                0.0,
            )
        return cls(
            method="poststrat",
            sizes=sizes,
            weights=(strata_population / strata_sizes)[stratum],
            population=float(strata_population.sum()),
            strata=stratum,
            strata_sizes=strata_sizes,
            strata_factor=factor,
        )

    @classmethod
    def raked(
        cls,
        *,
        sizes: FloatArray,
        weights: FloatArray,
        population: float,
        margins: Sequence[Sequence[Hashable]],
    ) -> ProfileDesign:
        """Raking to `population` with the raked per-respondent `weights` of each profile;
        `margins`: per margin, each profile's value. The calibration basis is an orthonormal
        basis of the margins' indicators (and the intercept), weighted by the profile sizes."""
        n = float(sizes.sum())
        columns = [np.ones(sizes.size)]
        for values in margins:
            for value in sorted(set(values)):  # type: ignore[type-var]
                columns.append(np.array([v == value for v in values], dtype=float))
        x = np.column_stack(columns) * np.sqrt(sizes)[:, None]
        # As Design.raked: a rank-revealing SVD (all levels of every margin are collinear), with
        # the cut-off of the n x q matrix, whose singular values these are.
        u, s, _v = np.linalg.svd(x, full_matrices=False)
        rank = int(np.sum(s > s[0] * max(n, x.shape[1]) * np.finfo(float).eps)) if s.size else 0
        return cls(
            method="raking",
            sizes=sizes,
            weights=weights,
            population=population,
            strata=np.zeros(sizes.size, dtype=np.intp),
            strata_sizes=np.array([n]),
            strata_factor=np.array([srs_factor(n, population)]),
            basis=u[:, :rank],
        )

    @property
    def n(self) -> int:
        return int(self.sizes.sum())

    @property
    def sampling_fraction(self) -> float:
        return 0.0 if self.population is None else self.n / self.population

    def variance(
        self, profile: IntArray, count: FloatArray, member: BoolArray, t: FloatArray
    ) -> FloatArray:
        """The design-based variance of each column's estimator.

        Atom `a` holds `count[a]` respondents of profile `profile[a]`; for column `k` those of the
        atoms with `member[a, k]` are in the estimator's domain, each with the weight-free
        linearised value `t[a, k]` (the per-respondent influence is `w * t`); every other
        respondent has 0. As `Design.covariance`, per stratum: `factor_h * sum (z - mean_h z)^2`.
        """
        size = self.sizes.size
        cm = count[:, None] * member
        in_domain = sum_by(profile, cm, size)
        outside = self.sizes[:, None] - in_domain  # respondents of each profile with z = 0 ...
        w = self.weights[profile][:, None]
        if self.basis is not None:
            # ... except under raking, where z_i = w_i (t_i - x_i'b): the calibration residuals
            # of the least-squares fit of t on the margins' indicators, over all respondents.
            root = np.sqrt(self.sizes)[:, None]
            fitted = self.basis @ (self.basis.T @ (sum_by(profile, cm * t, size) / root)) / root
            z = w * (t - fitted[profile])
            z_outside = -self.weights[:, None] * fitted
        else:
            z = w * t
            z_outside = np.zeros_like(outside)
        h = self.strata_sizes.size
        atom_stratum = self.strata[profile]
        mean = (
            sum_by(atom_stratum, cm * z, h) + sum_by(self.strata, outside * z_outside, h)
        ) / self.strata_sizes[:, None]
        squares = sum_by(atom_stratum, cm * (z - mean[atom_stratum]) ** 2, h) + sum_by(
            self.strata, outside * (z_outside - mean[self.strata]) ** 2, h
        )
        result: FloatArray = np.maximum(self.strata_factor @ squares, 0.0)
        return result


def srs_factor(n: float, population: float | None) -> float:
    if n < 2:
        return 0.0
    fraction = 0.0 if population is None else n / population
    return (1.0 - fraction) * n / (n - 1.0)


@dataclass
class Columns:
    """Ratio estimates of a batch of columns (see `ProfileDesign.variance`)."""

    estimate: FloatArray  # raw ratio of weighted totals (NaN for an empty domain)
    n: FloatArray  # respondents in the domain
    ones: FloatArray  # respondents in the domain with y = 1 (shares)
    variance: FloatArray
    kish: FloatArray  # Kish's design effect of the domain's weights
    deff: FloatArray  # svymean's (NaN where undefined)
    t: FloatArray  # weight-free influence per atom and column
    strata: FloatArray  # strata with respondents in the domain (for survey's degf())

    def degrees_of_freedom(self, k: int) -> float:
        """survey's ``degf()`` of column k's domain: respondents minus strata."""
        return float(round(self.n[k]) - self.strata[k])


def column_estimates(
    design: ProfileDesign, profile: IntArray, count: FloatArray, member: BoolArray, y: FloatArray
) -> Columns:
    w = design.weights[profile][:, None]
    cm = count[:, None] * member
    total = (cm * w).sum(axis=0)
    n_d = cm.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = (cm * w * y).sum(axis=0) / total
        t = np.where(member, (y - estimate) / total, 0.0)
        variance = design.variance(profile, count, member, t)
        kish = n_d * (cm * w * w).sum(axis=0) / (total * total)
        s2 = n_d / (n_d - 1.0) * (cm * w * (y - estimate) ** 2).sum(axis=0) / total
        if design.population is None:
            srs = s2 / n_d
        else:
            srs = np.where(total > n_d, s2 * (1.0 - n_d / total) / n_d, math.nan)
        deff = np.where((n_d >= 2) & (srs > 0.0), variance / srs, math.nan)
    ones = (cm * (y == 1.0)).sum(axis=0)
    in_strata = sum_by(design.strata[profile], cm, design.strata_sizes.size)
    strata = (in_strata > 0).sum(axis=0).astype(float)
    return Columns(estimate, n_d, ones, variance, kish, deff, t, strata)


def column_share(
    columns: Columns,
    k: int,
    design: ProfileDesign,
    level: float,
    method: str,
    ci_df: str = "normal",
) -> DesignShareEstimate | None:
    """Column k as `share_estimates` gives it (None for an empty domain)."""
    n_d = int(round(columns.n[k]))
    if n_d == 0:
        return None
    df = columns.degrees_of_freedom(k) if ci_df == "t" else None
    ones = columns.ones[k]
    if ones == 0:
        p = 0.0
    elif ones == n_d:
        p = 1.0
    else:
        p = min(max(float(columns.estimate[k]), 0.0), 1.0)
    se = math.sqrt(float(columns.variance[k]))
    f = design.sampling_fraction
    if p in (0.0, 1.0):
        n_effective = math.inf if f >= 1.0 else n_d / (float(columns.kish[k]) * (1.0 - f))
    elif se > 0.0:
        n_effective = p * (1.0 - p) / (se * se)
    else:
        n_effective = math.inf
    shown = interval(p, se=se, n_effective=n_effective, level=level, method=method, df=df)
    return DesignShareEstimate(
        count=p * n_d,
        share=p,
        se=se,
        ci_low=shown.low,
        ci_high=shown.high,
        moe_pp=100.0 * critical_value(level, df) * se,
        n=n_d,
        n_effective=n_effective,
        respondents=int(round(ones)),
        deff=float(columns.deff[k]),
        df=df,
    )


def column_mean(
    columns: Columns, k: int, level: float, ci_df: str = "normal"
) -> MeanEstimate | None:
    """Column k as `mean_estimate` gives it (None for an empty domain)."""
    n_d = int(round(columns.n[k]))
    if n_d == 0:
        return None
    df = columns.degrees_of_freedom(k) if ci_df == "t" else None
    z = critical_value(level, df)
    se = math.sqrt(float(columns.variance[k]))
    mean = float(columns.estimate[k])
    return MeanEstimate(
        mean=mean,
        se=se,
        ci_low=mean - z * se,
        ci_high=mean + z * se,
        moe=z * se,
        n=n_d,
        deff=float(columns.deff[k]),
        df=df,
    )
