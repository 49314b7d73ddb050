"""Shares (proportions) with standard errors, confidence intervals and margins of error.

Pure Python + scipy; no Django. Everything here works on plain numbers so that it can be
tested in isolation and reused by the results pages, exports and the API.

Conventions
-----------
* A *share* ``p`` is a number in ``[0, 1]``; margins of error are reported in percentage
  points. ``moe_pp = 100 * z * se`` is the standard error's margin (R's); what a page prints
  as "±" is :func:`plus_minus_pp`, the larger distance from the share to an end of its
  interval, because at ``p`` = 0 or 1 the SE is 0 while the Wilson interval is not.
* Standard errors are design-based for simple random sampling without replacement,
  computed exactly as R's ``survey`` package does for ``svymean`` on a 0/1 variable with
  an ``fpc``::

      s^2      = n p (1 - p) / (n - 1)
      var(p)   = (1 - n/N) s^2 / n  =  (1 - n/N) p (1 - p) / (n - 1)

  With ``population=None`` the finite population correction is 1 (infinite population).
* Weighted estimates are handled by the caller passing a design effect ``deff``; the
  variance is multiplied by ``deff`` (so ``se *= sqrt(deff)``).
* The default interval is Wilson's score interval evaluated at the *effective* sample size
  ``n_effective = p (1 - p) / se^2`` (Korn & Graubard style). Where ``p`` is 0 or 1 that
  ratio is 0/0, so ``n / (deff * fpc)`` is used instead (``n / deff`` without a
  population); it is infinite when the whole population answered.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final, Literal

from scipy.special import ndtri as _scipy_ndtri
from scipy.special import stdtrit as _scipy_stdtrit

__all__ = [
    "CI_DF",
    "METHODS",
    "Interval",
    "Method",
    "ShareEstimate",
    "critical_value",
    "format_moe_range_en",
    "format_moe_range_sv",
    "fpc",
    "interval",
    "kish_deff",
    "logit_interval",
    "moe_range_pp",
    "plus_minus_pp",
    "plus_minus_range_pp",
    "share_estimate",
    "shares",
    "srs_share_se",
    "wald_interval",
    "wilson_interval",
    "z_value",
]

Method = Literal["wilson", "wald", "logit"]
METHODS: Final[tuple[str, ...]] = ("wilson", "wald", "logit")
# The quantile of the intervals: the standard normal's, or Student's t with the design's degrees
# of freedom (survey's degf(): respondents in the domain minus strata), for small subgroups.
CI_DF: Final[tuple[str, ...]] = ("normal", "t")

# Relative slack allowed when a (weighted, floating point) count is compared with n.
_COUNT_TOLERANCE: Final = 1e-9

_ndtri: Callable[[float], float] = _scipy_ndtri
_stdtrit: Callable[[float, float], float] = _scipy_stdtrit


@dataclass(frozen=True)
class Interval:
    """A closed interval ``[low, high]`` of shares (both in ``[0, 1]``)."""

    low: float
    high: float

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int | float) and self.low <= value <= self.high

    @property
    def width(self) -> float:
        return self.high - self.low


@dataclass(frozen=True)
class ShareEstimate:
    """The estimated share of respondents choosing one option."""

    count: float  # (weighted) count choosing the option
    share: float  # p in [0, 1]
    se: float  # standard error of p
    ci_low: float
    ci_high: float
    moe_pp: float  # 100 * z * se, in percentage points
    n: int  # respondents in the denominator
    n_effective: float  # p(1-p)/se^2, or n/(deff*fpc) when p is 0 or 1

    @property
    def interval(self) -> Interval:
        return Interval(self.ci_low, self.ci_high)

    @property
    def percent(self) -> float:
        return 100.0 * self.share

    @property
    def plus_minus_pp(self) -> float:
        """What to print as "±", in points: from the interval (see :func:`plus_minus_pp`)."""
        return plus_minus_pp(self.share, self.ci_low, self.ci_high)


# --------------------------------------------------------------------------- validation


def _is_real(x: object) -> bool:
    """A real number (Python or numpy scalar), excluding booleans."""
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _is_integer(x: object) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def _check_level(level: float) -> None:
    if not (_is_real(level) and 0.0 < level < 1.0):
        raise ValueError(f"confidence level must be strictly between 0 and 1, got {level!r}")


def _check_share(p: float) -> None:
    if not (_is_real(p) and 0.0 <= p <= 1.0):
        raise ValueError(f"share must be a number in [0, 1], got {p!r}")


def _check_n(n: int) -> None:
    if not _is_integer(n):
        raise ValueError(f"number of respondents must be an integer, got {n!r}")
    if n <= 0:
        raise ValueError(f"number of respondents must be positive, got {n}")


def _check_se(se: float) -> None:
    if not (_is_real(se) and math.isfinite(se) and se >= 0.0):
        raise ValueError(f"standard error must be a finite number >= 0, got {se!r}")


def _check_deff(deff: float) -> None:
    if not (_is_real(deff) and math.isfinite(deff) and deff > 0.0):
        raise ValueError(f"design effect must be a finite number > 0, got {deff!r}")


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"unknown interval method {method!r}; expected one of {METHODS}")


def _clamp_interval(p: float, low: float, high: float) -> Interval:
    """Clip to [0, 1] and make sure the point estimate lies inside (rounding safety)."""
    low = min(max(low, 0.0), p)
    high = max(min(high, 1.0), p)
    return Interval(low, high)


# --------------------------------------------------------------------------- building blocks


def z_value(level: float = 0.95) -> float:
    """Two-sided standard normal quantile: ``z`` with ``P(|Z| <= z) = level``.

    >>> z_value(0.95)
    1.959963984540054
    """
    _check_level(level)
    return float(_ndtri(1.0 - (1.0 - level) / 2.0))


def critical_value(level: float = 0.95, df: float | None = None) -> float:
    """The two-sided quantile of the intervals at ``level``: the standard normal's
    (:func:`z_value`) without ``df``, else Student's t with ``df`` degrees of freedom (R's
    ``qt(1 - (1 - level)/2, df)``, as ``confint(..., df = degf(design))`` and
    ``svyciprop(..., df = degf(design))`` use it). ``df`` below 1 leaves no variance to speak
    of: the quantile is infinite (the interval is every share).
    """
    if df is None or (isinstance(df, float) and math.isinf(df)):
        return z_value(level)
    _check_level(level)
    if not (_is_real(df) and not math.isnan(df)):
        raise ValueError(f"degrees of freedom must be a number, got {df!r}")
    if df < 1:
        return math.inf
    return float(_stdtrit(float(df), 1.0 - (1.0 - level) / 2.0))


def fpc(n: int, population: int | None) -> float:
    """Finite population correction ``1 - n/N`` (1.0 when the population size is unknown)."""
    _check_n(n)
    if population is None:
        return 1.0
    if not _is_integer(population):
        raise ValueError(f"population size must be an integer or None, got {population!r}")
    if population <= 0:
        raise ValueError(f"population size must be positive, got {population}")
    if n > population:
        raise ValueError(f"sample size {n} exceeds population size {population}")
    return 1.0 - n / population


def srs_share_se(p: float, n: int, population: int | None = None) -> float:
    """Standard error of a sample share under simple random sampling without replacement.

    Identical to R ``survey::svymean`` on a 0/1 variable with ``fpc = N``::

        var = (1 - n/N) * p * (1 - p) / (n - 1)

    ``n = 1``: the sample variance has no degrees of freedom. By convention the standard
    error is 0.0 when the observed share is 0 or 1 (which is always the case for a single
    unweighted respondent, the deviations being all zero) and a ``ValueError`` is raised for
    a fractional share. Callers wanting an honest interval for tiny samples should use the
    Wilson interval (the default of :func:`share_estimate`), which does not collapse.
    Sampling the whole population (``n == N``) gives 0.0.
    """
    _check_share(p)
    f = fpc(n, population)
    spread = p * (1.0 - p)
    if f == 0.0 or spread == 0.0:
        return 0.0
    if n == 1:
        raise ValueError(
            "cannot estimate the sampling variance of a fractional share from one respondent"
        )
    return math.sqrt(f * spread / (n - 1))


def wilson_interval(
    p: float, n_effective: float, level: float = 0.95, *, df: float | None = None
) -> Interval:
    """Wilson score interval for share ``p`` observed in ``n_effective`` (possibly fractional,
    possibly infinite) respondents.

    With ``n_effective = n`` this is the textbook interval (statsmodels ``method="wilson"``).
    An infinite ``n_effective`` (a census) gives the degenerate interval ``[p, p]``. With
    ``df`` the quantile is Student's t (:func:`critical_value`) instead of the normal's.
    """
    _check_share(p)
    _check_level(level)
    if not (_is_real(n_effective) and n_effective > 0.0):
        raise ValueError(f"effective sample size must be > 0, got {n_effective!r}")
    if math.isinf(n_effective):
        return Interval(p, p)
    z = critical_value(level, df)
    if math.isinf(z):
        return Interval(0.0, 1.0)
    z2_n = z * z / n_effective
    denominator = 1.0 + z2_n
    centre = (p + z2_n / 2.0) / denominator
    half = z / denominator * math.sqrt(p * (1.0 - p) / n_effective + z2_n / (4.0 * n_effective))
    return _clamp_interval(p, centre - half, centre + half)


def wald_interval(p: float, se: float, level: float = 0.95, *, df: float | None = None) -> Interval:
    """Normal-approximation interval ``p ± z * se``, clipped to ``[0, 1]`` (with ``df``,
    ``p ± t_df * se``: R's ``svyciprop(method = "mean", df = ...)``).

    Note that statsmodels ``method="normal"`` uses ``se = sqrt(p (1 - p) / n)``.
    """
    _check_share(p)
    _check_se(se)
    z = critical_value(level, df)
    if math.isinf(z):
        return Interval(0.0, 1.0)
    half = z * se
    return _clamp_interval(p, p - half, p + half)


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _expit(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def logit_interval(
    p: float, se: float, level: float = 0.95, *, df: float | None = None
) -> Interval:
    """Interval built on the logit scale (R ``svyciprop(method = "logit")``)::

        expit(logit(p) ± z * se / (p (1 - p)))

    When ``p`` is 0 or 1 the logit is infinite and the delta-method standard error is
    undefined, so the interval degenerates to ``[p, p]``; :func:`share_estimate` falls back
    to the Wilson interval in that case.
    """
    _check_share(p)
    _check_se(se)
    _check_level(level)
    if p in (0.0, 1.0) or se == 0.0:
        return Interval(p, p)
    z = critical_value(level, df)
    if math.isinf(z):
        return Interval(0.0, 1.0)
    half = z * se / (p * (1.0 - p))
    centre = _logit(p)
    return _clamp_interval(p, _expit(centre - half), _expit(centre + half))


def interval(
    p: float,
    *,
    se: float,
    n_effective: float,
    level: float = 0.95,
    method: str = "wilson",
    df: float | None = None,
) -> Interval:
    """The interval of share ``p``: the one place that chooses between the methods.

    ``"wilson"`` (default): Wilson's score interval at the effective sample size;
    ``"wald"``: ``p ± z se``; ``"logit"``: on the logit scale, or Wilson where ``p`` is 0 or 1
    (the logit is infinite there and its SE undefined). With ``df`` (t-based intervals) every
    method takes Student's t quantile with ``df`` degrees of freedom instead of ``z``.
    """
    _check_method(method)
    if method == "wilson" or (method == "logit" and p in (0.0, 1.0)):
        return wilson_interval(p, n_effective, level, df=df)
    if method == "logit":
        return logit_interval(p, se, level, df=df)
    return wald_interval(p, se, level, df=df)


def plus_minus_pp(share: float, low: float, high: float) -> float:
    """The margin of error to print beside a share ("±"), in percentage points: the larger
    distance from the share to an end of its interval, ``100 max(p - low, high - p)``.

    It is never smaller than what the interval shows: at ``p = 0`` with the Wilson interval
    0-79 % it is 79, where ``100 z se`` would be 0. (For a mean, use the same rule in the
    variable's unit.)
    """
    return 100.0 * max(share - low, high - share, 0.0)


def plus_minus_range_pp(estimates: Iterable[ShareEstimate]) -> tuple[float, float] | None:
    """Smallest and largest "±" (:func:`plus_minus_pp`) of the estimates, in points; ``None``
    without estimates. Every share counts, 0 and 100 % too: their intervals have width."""
    values = [e.plus_minus_pp for e in estimates]
    if not values:
        return None
    return (min(values), max(values))


# --------------------------------------------------------------------------- estimates


def _estimate(
    count: float,
    p: float,
    n: int,
    population: int | None,
    level: float,
    method: str,
    deff: float,
) -> ShareEstimate:
    z = z_value(level)
    se = srs_share_se(p, n, population) * math.sqrt(deff)
    f = fpc(n, population)
    if f == 0.0:
        n_effective = math.inf  # the whole population answered: no sampling error
    elif 0.0 < p < 1.0:
        # p(1-p)/se^2 with se^2 = deff * f * p(1-p)/(n-1), simplified analytically so that
        # tiny shares cannot underflow se^2 to zero.
        n_effective = (n - 1) / (deff * f)
    else:
        n_effective = n / (deff * f)

    shown = interval(p, se=se, n_effective=n_effective, level=level, method=method)
    return ShareEstimate(
        count=count,
        share=p,
        se=se,
        ci_low=shown.low,
        ci_high=shown.high,
        moe_pp=100.0 * z * se,
        n=n,
        n_effective=n_effective,
    )


def _check_count(count: float) -> None:
    if not (_is_real(count) and math.isfinite(count)):
        raise ValueError(f"count must be a finite number, got {count!r}")
    if count < 0:
        raise ValueError(f"count must not be negative, got {count!r}")


def share_estimate(
    count: float,
    n: int,
    population: int | None = None,
    level: float = 0.95,
    method: str = "wilson",
    deff: float = 1.0,
) -> ShareEstimate:
    """Estimate the share ``count / n`` with its standard error and confidence interval.

    ``method`` is ``"wilson"`` (default), ``"wald"`` or ``"logit"``. ``deff`` multiplies the
    variance (use :func:`kish_deff` for weighted data, passing the weighted count scaled so
    that the weights sum to ``n``). A count exceeding ``n`` by a relative rounding error of
    at most 1e-9 is accepted and treated as ``n``.
    """
    _check_n(n)
    _check_count(count)
    _check_level(level)
    _check_method(method)
    _check_deff(deff)
    if count > n * (1.0 + _COUNT_TOLERANCE):
        raise ValueError(f"count {count!r} exceeds the number of respondents {n}")
    fpc(n, population)  # validates the population before any arithmetic
    p = min(count / n, 1.0)
    return _estimate(count, p, n, population, level, method, deff)


def shares(
    counts: Sequence[float],
    population: int | None = None,
    level: float = 0.95,
    method: str = "wilson",
) -> list[ShareEstimate]:
    """One :class:`ShareEstimate` per option of a single-choice question.

    The denominator ``n`` is ``round(sum(counts))``; the shares are ``count / sum(counts)``
    so that they add up to 1 even when the counts are fractional.
    """
    for count in counts:
        _check_count(count)
    _check_level(level)
    _check_method(method)
    total = math.fsum(counts)
    n = round(total)
    if n <= 0 or total <= 0.0:
        raise ValueError(f"the counts must add up to at least one respondent, got {total!r}")
    fpc(n, population)
    return [
        _estimate(count, min(count / total, 1.0), n, population, level, method, 1.0)
        for count in counts
    ]


def kish_deff(weights: Sequence[float]) -> float:
    """Kish's design effect due to unequal weighting: ``n * sum(w^2) / (sum w)^2``.

    Equal weights give 1.0; the effective sample size is ``n / kish_deff(weights)``.
    Every weight counts as a respondent, including zero weights.
    """
    if len(weights) == 0:
        raise ValueError("cannot compute a design effect without weights")
    for w in weights:
        if not (_is_real(w) and math.isfinite(w) and w >= 0.0):
            raise ValueError(f"weights must be finite and non-negative, got {w!r}")
    total = math.fsum(weights)
    if total <= 0.0:
        raise ValueError("weights must not all be zero")
    return len(weights) * math.fsum(w * w for w in weights) / (total * total)


# --------------------------------------------------------------------------- presentation


def moe_range_pp(estimates: Iterable[ShareEstimate]) -> tuple[float, float] | None:
    """Smallest and largest ``moe_pp`` (``100 z se``, percentage points); ``None`` if no
    estimates. Pages print :func:`plus_minus_range_pp`, which agrees with the intervals."""
    values = [e.moe_pp for e in estimates]
    if not values:
        return None
    return (min(values), max(values))


def _one_decimal(value: float) -> Decimal:
    if not (_is_real(value) and math.isfinite(value) and value >= 0.0):
        raise ValueError(f"margin of error must be a finite number >= 0, got {value!r}")
    # repr() gives the shortest round-tripping decimal, so 2.45 rounds half up to 2.5.
    return Decimal(repr(float(value))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _format_range(moe_range: tuple[float, float], decimal_mark: str) -> str:
    low, high = moe_range
    low_d, high_d = _one_decimal(low), _one_decimal(high)
    if low > high:
        raise ValueError(f"margin-of-error range is reversed: {moe_range!r}")

    def text(d: Decimal) -> str:
        s = f"{d:.1f}"
        if s.endswith(".0"):
            s = s[:-2]
        return s.replace(".", decimal_mark)

    if low_d == high_d:
        return text(low_d)
    return f"{text(low_d)}\N{EN DASH}{text(high_d)}"


def format_moe_range_sv(range: tuple[float, float]) -> str:
    """Swedish: decimal comma, en dash, one decimal, ``,0`` dropped: ``(2.5, 4.0) -> "2,5–4"``."""
    return _format_range(range, ",")


def format_moe_range_en(range: tuple[float, float]) -> str:
    """English: decimal point, en dash, one decimal, ``.0`` dropped: ``(2.5, 4.0) -> "2.5–4"``."""
    return _format_range(range, ".")
