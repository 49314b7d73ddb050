"""Population counts of a register, the weighting targets: how many members (those who have not
left; erased ones from the register's tally of their profiles) have each value of each
variable, and each pair of values. Kept with the register at each import (`population_snapshot`)
and read by the staff pages and the estimates."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from itertools import combinations
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone

from .models import Member, Register

# Up to this many variables, one GROUP BY over all of them and margins summed here; beyond, the
# combinations could be as many as the members, so one GROUP BY per variable and per pair.
ONE_QUERY_VARIABLES = 4


def _count_by(members: QuerySet[Member], names: list[str]) -> dict[tuple[str, ...], int]:
    """Members per combination of values of the attributes `names` ("" when missing)."""
    columns = {f"v{i}": KeyTextTransform(n, "attributes") for i, n in enumerate(names)}
    counts: dict[tuple[str, ...], int] = {}
    for cell in members.annotate(**columns).values(*columns).annotate(n=Count("id")).order_by():
        key = tuple("" if cell[c] is None else str(cell[c]) for c in columns)
        counts[key] = counts.get(key, 0) + cell["n"]  # a number 1 and a text "1" meet here
    return counts


def _erased_cells(register: Register, names: list[str]) -> dict[tuple[str, ...], int]:
    """The register's tally of erased members' profiles, per combination of `names`."""
    cells: dict[tuple[str, ...], int] = {}
    for profile, n in (register.erased_profiles or {}).items():
        attributes = json.loads(profile)
        key = tuple(str(attributes.get(name, "")) for name in names)
        cells[key] = cells.get(key, 0) + int(n)
    return cells


def _merged(
    a: dict[tuple[str, ...], int], b: dict[tuple[str, ...], int]
) -> dict[tuple[str, ...], int]:
    merged = dict(a)
    for key, n in b.items():
        merged[key] = merged.get(key, 0) + n
    return merged


def _margin(cells: dict[tuple[str, ...], int], positions: list[int]) -> dict[tuple[str, ...], int]:
    margin: Counter[tuple[str, ...]] = Counter()
    for values, count in cells.items():
        margin[tuple(values[p] for p in positions)] += count
    return margin


SNAPSHOT_PAIRS_UP_TO = 4  # variables; a wide export would make every pair expensive


def population_snapshot(register: Register) -> dict[str, Any]:
    """The population counts as JSON, kept with the register at each import: per variable,
    and per pair of variables ("region / sektor" → "Skåne / Kommun") for narrow registers."""
    variables = list(register.variables)
    counts = register_population_counts(
        register, variables, pairs=len(variables) <= SNAPSHOT_PAIRS_UP_TO
    )
    return {
        "total": counts["total"],
        "variables": counts["variables"],
        "pairs": {
            f"{a} / {b}": {f"{va} / {vb}": n for (va, vb), n in cells.items()}
            for (a, b), cells in counts.get("pairs", {}).items()
        },
        "counted_at": timezone.now().isoformat(),
    }


def register_population_counts(
    register: Register, variables: Sequence[str], *, pairs: bool = True
) -> dict[str, Any]:
    """How many members (those who have not left) have each value of each variable and, unless
    `pairs` is False, each combination of values of every two variables. A member without the
    attribute counts under "".

        {"total": 5000,
         "variables": {"region": {"Skåne": 812, ...}, "sektor": {...}},
         "pairs": {("region", "sektor"): {("Skåne", "Kommun"): 301, ...}}}

    Counted in the database (a GROUP BY on the JSON attributes, on PostgreSQL and SQLite): a
    second for a million members and a few variables. Every variable beyond four costs a scan,
    and every pair too: for a wide register, ask for the variables needed, or pairs=False."""
    names = list(dict.fromkeys(variables))
    # Erased members are counted from the register's tally of their profiles, not their rows.
    members = Member.objects.filter(register=register).exclude(
        status__in=[Member.Status.LEFT, Member.Status.ERASED]
    )
    erased = _erased_cells(register, names)
    crossings = list(combinations(names, 2)) if pairs else []
    single: dict[str, dict[tuple[str, ...], int]] = {}
    crossed: dict[tuple[str, str], dict[tuple[str, ...], int]] = {}
    if not names:
        total = members.count() + sum(erased.values())
    elif len(names) <= ONE_QUERY_VARIABLES:
        cells = _merged(_count_by(members, names), erased)
        total = sum(cells.values())
        single = {n: _margin(cells, [i]) for i, n in enumerate(names)}
        crossed = {(a, b): _margin(cells, [names.index(a), names.index(b)]) for a, b in crossings}
    else:
        total = members.count() + sum(erased.values())
        single = {
            n: _merged(_count_by(members, [n]), _margin(erased, [i])) for i, n in enumerate(names)
        }
        crossed = {
            (a, b): _merged(
                _count_by(members, [a, b]), _margin(erased, [names.index(a), names.index(b)])
            )
            for a, b in crossings
        }
    return {
        "total": total,
        "variables": {
            n: {values[0]: count for values, count in sorted(c.items())} for n, c in single.items()
        },
        "pairs": {pair: dict(sorted(c.items())) for pair, c in crossed.items()},
    }
