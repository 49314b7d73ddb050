"""How many members to invite for a wanted margin of error: pure functions, no Django.

All figures are for a share (a proportion) under simple random sampling without replacement,
with the finite population correction. Margins are in percentage points, at the confidence
`level` (two-sided normal quantile z: 1.959964 at 95 %).

`required_respondents` is Cochran's formula, n0 = z²p(1 − p)/e² and n = n0 / (1 + (n0 − 1)/N),
rounded up. `expected_moe_pp` is the margin the results will show for n respondents: the variance
of R `survey::svymean` (and `results.stats`) for a 0/1 variable, (1 − n/N)·p(1 − p)/(n − 1).
The two differ by n vs n − 1 (and N − 1 vs N): Cochran's n can give a margin a few thousandths
of a point above the target (600 respondents of 1,000,000: ±4.003 for a target of ±4), which is
the accepted textbook convention and invisible at the one decimal pages show.

This module may not use `results` (the apps are layers; see DESIGN.md), so z is computed here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from statistics import NormalDist
from typing import Any

# Floating-point slack when rounding up: 600 / 0.6 must give 1000, not 1001.
_EPSILON = 1e-9


def z_value(level: float = 0.95) -> float:
    """Two-sided normal quantile for a confidence level (1.959964 for 0.95)."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"The confidence level must be between 0 and 1, got {level!r}.")
    return NormalDist().inv_cdf(0.5 + level / 2.0)


def _check_share(p: float) -> None:
    if not 0.0 < p < 1.0:
        raise ValueError(f"The expected share must be between 0 and 1, got {p!r}.")


def required_respondents(
    moe_pp: float, population: int, p: float = 0.5, level: float = 0.95
) -> int:
    """Respondents needed for a margin of ±`moe_pp` percentage points (Cochran, with FPC)."""
    if moe_pp <= 0:
        raise ValueError(f"The margin of error must be positive, got {moe_pp!r}.")
    if population < 1:
        raise ValueError(f"The population must be at least 1, got {population!r}.")
    _check_share(p)
    e = moe_pp / 100.0
    n0 = z_value(level) ** 2 * p * (1.0 - p) / e**2
    n = n0 / (1.0 + (n0 - 1.0) / population)
    return min(population, max(1, math.ceil(n - _EPSILON)))


def required_sample(
    moe_pp: float,
    population: int,
    response_rate: float,
    p: float = 0.5,
    level: float = 0.95,
) -> int:
    """Members to invite so that the expected respondents reach `required_respondents`."""
    if not 0.0 < response_rate <= 1.0:
        raise ValueError(f"The response rate must be in (0, 1], got {response_rate!r}.")
    n = required_respondents(moe_pp, population, p=p, level=level)
    return min(population, math.ceil(n / response_rate - _EPSILON))


def expected_moe_pp(
    respondents: float, population: int, p: float = 0.5, level: float = 0.95
) -> float:
    """The ±margin in percentage points that `respondents` answers of `population` give.

    100·z·sqrt((1 − n/N)·p(1 − p)/(n − 1)); 0 when everyone answered, infinite below two
    respondents (no variance can be estimated from one).
    """
    if population < 1:
        raise ValueError(f"The population must be at least 1, got {population!r}.")
    if respondents > population:
        raise ValueError(
            f"{respondents} respondents cannot come from a population of {population}."
        )
    _check_share(p)
    if respondents >= population:
        return 0.0
    if respondents < 2:
        return math.inf
    fpc = 1.0 - respondents / population
    return 100.0 * z_value(level) * math.sqrt(fpc * p * (1.0 - p) / (respondents - 1.0))


def plan_strata(
    population: Mapping[str, int],
    allocation: Mapping[str, int],
    response_rate: float,
    p: float = 0.5,
    level: float = 0.95,
) -> list[dict[str, Any]]:
    """One row per stratum, by name: what an allocation is expected to give.

    Keys: stratum, population, sample, respondents (expected: sample × response rate) and
    moe_pp (expected ± margin within the stratum; None below two expected respondents).
    """
    if not 0.0 < response_rate <= 1.0:
        raise ValueError(f"The response rate must be in (0, 1], got {response_rate!r}.")
    rows = []
    for stratum in sorted(population):
        size = population[stratum]
        sample = allocation.get(stratum, 0)
        if sample > size:
            raise ValueError(f"Cannot draw {sample} from stratum {stratum!r} of {size}.")
        respondents = sample * response_rate
        moe = expected_moe_pp(respondents, size, p=p, level=level) if size else math.inf
        rows.append(
            {
                "stratum": stratum,
                "population": size,
                "sample": sample,
                "respondents": respondents,
                "moe_pp": moe if math.isfinite(moe) else None,
            }
        )
    return rows
