"""The weighting design over profiles: the register's population counts (cached per register
state) and the `ProfileDesign` of the parameters' weighting (none: a simple random sample from
the register; post-stratification; raking), with the checks that refuse weights the data cannot
carry."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, Final, cast

import numpy as np
from django.core.cache import cache
from django.utils.translation import gettext as _

from polls.models import Poll
from respondents.models import Register
from respondents.population import register_population_counts

from ..stats.profiles import ProfileDesign, srs_factor, sum_by
from ..stats.weighting import WeightingError, rake
from .loading import PollData
from .parameters import ResultParams, ResultsError

__all__ = ["POPULATION_CACHE_SECONDS", "poll_design", "poll_population", "population_counts"]

# Register counts change only with an import (which saves the register, so `updated_at` moves):
# the key carries it, and the timeout is a backstop.
POPULATION_CACHE_SECONDS: Final = 3600


def population_counts(register: Register, variables: Sequence[str]) -> dict[str, Any]:
    """`register_population_counts` (pairs included), cached per register state."""
    names = list(dict.fromkeys(variables))
    stamp = register.updated_at.timestamp() if register.updated_at else 0
    key = f"results:population:{register.pk}:{stamp}:{'|'.join(names)}"
    counts = cache.get(key)
    if counts is None:
        counts = register_population_counts(register, names, pairs=len(names) == 2)
        cache.set(key, counts, POPULATION_CACHE_SECONDS)
    return cast(dict[str, Any], counts)


def poll_population(poll: Poll) -> int | None:
    """Size of the population the poll's sample represents: its register's current members."""
    if poll.register is None:
        return None
    return int(population_counts(poll.register, [])["total"])


def _cell_text(variables: Sequence[str], cell: tuple[str, ...]) -> str:
    return ", ".join(
        f"{name} = “{value or '–'}”" for name, value in zip(variables, cell, strict=True)
    )


def poll_design(poll: Poll, loaded: PollData, params: ResultParams) -> ProfileDesign:
    sizes = loaded.sizes
    n = float(sizes.sum())
    single = np.zeros(sizes.size, dtype=np.intp)
    if params.weights == "none":
        population = poll_population(poll)
        if population is not None and population < n:
            raise ResultsError(
                _(
                    "The register has %(population)d members, fewer than the poll's "
                    "%(n)d responses: is it the right register?"
                )
                % {"population": population, "n": int(n)}
            )
        weight = 1.0 if population is None else population / n
        return ProfileDesign(
            method="srs",
            sizes=sizes,
            weights=np.full(sizes.size, weight),
            population=None if population is None else float(population),
            strata=single,
            strata_sizes=np.array([n]),
            strata_factor=np.array([srs_factor(n, population)]),
        )
    assert poll.register is not None  # resolve_params refuses weights without a register
    names = list(params.weight_by)
    counts = population_counts(poll.register, names)
    positions = [loaded.variables.index(name) for name in names]
    if params.weights == "poststrat":
        return _poststratified(loaded, names, positions, counts)
    return _raked(loaded, names, positions, counts)


def _poststratified(
    loaded: PollData, names: list[str], positions: list[int], counts: dict[str, Any]
) -> ProfileDesign:
    register: dict[tuple[str, ...], int]
    if len(names) == 1:
        register = {(value,): count for value, count in counts["variables"][names[0]].items()}
    else:
        register = {tuple(cell): count for cell, count in counts["pairs"][tuple(names)].items()}
    cells = [tuple(profile[p] for p in positions) for profile in loaded.profiles]
    keys = list(dict.fromkeys(cells))
    stratum = np.array([keys.index(cell) for cell in cells], dtype=np.intp)
    sizes = sum_by(stratum, loaded.sizes[:, None], len(keys))[:, 0]
    for cell, count in register.items():
        if count > 0 and cell not in keys:
            raise ResultsError(
                _(
                    "No respondent is in the cell %(cell)s, which has %(count)d members in the "
                    "register: weight by fewer variables or rake instead."
                )
                % {"cell": _cell_text(names, cell), "count": count}
            )
    totals = np.array([float(register.get(cell, 0)) for cell in keys])
    for cell, n_h, big_n in zip(keys, sizes, totals, strict=True):
        if big_n < n_h:
            raise ResultsError(
                _(
                    "The cell %(cell)s has %(n)d respondents but %(count)d members in the "
                    "register: do the responses belong to this register?"
                )
                % {"cell": _cell_text(names, cell), "n": int(n_h), "count": int(big_n)}
            )
        if n_h == 1 and big_n > 1:
            raise ResultsError(
                _(
                    "The cell %(cell)s has a single respondent: its sampling variance cannot be "
                    "estimated. Weight by fewer variables or rake instead."
                )
                % {"cell": _cell_text(names, cell)}
            )
    return ProfileDesign.poststratified(
        sizes=loaded.sizes,
        stratum=stratum,
        strata_sizes=sizes,
        strata_population=totals,
    )


def _raked(
    loaded: PollData, names: list[str], positions: list[int], counts: dict[str, Any]
) -> ProfileDesign:
    margins = {
        name: [profile[p] for profile in loaded.profiles]
        for name, p in zip(names, positions, strict=True)
    }
    targets: dict[str, dict[Hashable, float]] = {
        name: {value: float(count) for value, count in counts["variables"][name].items()}
        for name in names
    }
    for name in names:
        present = set(margins[name])
        for value, count in targets[name].items():
            if count > 0 and value not in present:
                raise ResultsError(
                    _(
                        "No respondent has %(name)s = “%(value)s”, which %(count)d members of the "
                        "register have: the weights cannot represent them."
                    )
                    % {"name": name, "value": value or "–", "count": int(count)}
                )
        for value in present:
            if targets[name].get(value, 0.0) <= 0:
                raise ResultsError(
                    _(
                        "Respondents have %(name)s = “%(value)s”, which no member of the "
                        "register has: do the responses belong to this register?"
                    )
                    % {"name": name, "value": value or "–"}
                )
    try:
        # Raking profiles from their sizes gives every respondent the weight that raking the
        # respondents from equal weights would (iterative proportional fitting on the table).
        result = rake(margins, targets, base_weights=loaded.sizes)
    except WeightingError as error:
        raise ResultsError(
            _("The weights cannot be computed: %(reason)s") % {"reason": error}
        ) from None
    population = float(sum(targets[names[0]].values()))
    n = float(loaded.sizes.sum())
    if population < n:
        raise ResultsError(
            _("The register has %(population)d members, fewer than the %(n)d respondents.")
            % {"population": int(population), "n": int(n)}
        )
    return ProfileDesign.raked(
        sizes=loaded.sizes,
        weights=result.weights / loaded.sizes,
        population=population,
        margins=[margins[name] for name in names],
    )
