"""Trends across waves: is the change of a share from one wave to the next larger than the
margin of error? Pure Python; no Django.

Each wave is its own random sample, so two waves are *independent* samples: the estimate of
each wave (share and design-based standard error, with that wave's weighting, design effect and
finite population correction, as :mod:`results.stats.design` gives them) is taken as it is,
and the change ``p_later - p_earlier`` is tested with the two-sample z test::

    SE = sqrt(SE_earlier^2 + SE_later^2),   z = (p_later - p_earlier) / SE

two-sided against the standard normal. This is what R's survey package gives for the
difference of two ``svymean`` of independent designs, and what ``svyglm(y ~ wave)`` gives on
the waves stacked with each wave's strata as strata of its own (the waves share no stratum,
so their covariance is zero). ``svyttest`` reports the same difference and standard error but
takes its p-value from a t distribution with the design's degrees of freedom; with hundreds of
respondents per wave the two agree to the third decimal, and the dashboards' intervals are
normal-based too, so the normal is used here.

Multiple comparisons: the changes of all the answers of one question between the same two
waves are one family, and Holm's step-down correction is applied within it (as within the
groups of a breakdown, :mod:`results.stats.comparison`). A change is flagged "larger than the
margin of error" only when its Holm-adjusted p-value is at most ``1 - level``. Changes between
different pairs of waves, and of different questions, are separate families: each is read on
its own ("from 2025 to 2026"). Both the raw and the adjusted p-value are returned.

A wave without a standard error (no random sample: an open link, no register) or without an
estimate for an answer (not asked, nobody in the domain) gives no change for that answer.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from results.stats.comparison import ShareLike, compare_shares, holm_adjusted
from results.stats.proportions import z_value

__all__ = ["Change", "WaveShare", "changes_between_waves"]

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class WaveShare:
    """A share of one wave with its (design-based) standard error."""

    share: float
    se: float


@dataclass(frozen=True)
class Change:
    """The change of one answer's share from the previous wave to this one."""

    earlier: float  # the previous wave's share
    later: float  # this wave's share
    difference: float  # later - earlier
    se: float  # sqrt(se_earlier^2 + se_later^2)
    z: float
    p_value: float
    p_adjusted: float  # Holm, over the answers of the question between these two waves
    significant: bool  # p_adjusted <= 1 - level: larger than the margin of error


def _usable(point: ShareLike | None) -> bool:
    return (
        point is not None
        and point.se is not None
        and math.isfinite(point.share)
        and math.isfinite(point.se)
    )


def changes_between_waves(
    series: Mapping[K, Sequence[ShareLike | None]],
    *,
    level: float = 0.95,
    adjust: bool = True,
) -> dict[K, list[Change | None]]:
    """For each answer (key) of `series`, the change at each wave from the wave before.

    `series[key][w]` is the answer's estimate in wave ``w`` (oldest first; None where the
    wave has none). Every list has the same length ``W``; the result has, per key, ``W``
    entries: None for the first wave and wherever either wave lacks a usable estimate.
    `adjust`: Holm over the keys at each pair of waves (see the module docstring).
    """
    z_value(level)  # validates the level
    lengths = {len(points) for points in series.values()}
    if len(lengths) > 1:
        raise ValueError("every answer needs one entry per wave")
    waves = lengths.pop() if lengths else 0
    alpha = 1.0 - level
    out: dict[K, list[Change | None]] = {key: [None] * waves for key in series}
    for w in range(1, waves):
        tested: list[tuple[K, ShareLike, ShareLike]] = []
        for key, points in series.items():
            before, now = points[w - 1], points[w]
            if before is not None and now is not None and _usable(before) and _usable(now):
                tested.append((key, before, now))
        comparisons = [compare_shares(now, before, level=level) for _k, before, now in tested]
        p_values = [c.p_value for c in comparisons]
        adjusted = holm_adjusted(p_values) if adjust else p_values
        for (key, before, now), c, p_adj in zip(tested, comparisons, adjusted, strict=True):
            out[key][w] = Change(
                earlier=before.share,
                later=now.share,
                difference=c.difference,
                se=c.se,
                z=c.z,
                p_value=c.p_value,
                p_adjusted=p_adj,
                significant=p_adj <= alpha,
            )
    return out
