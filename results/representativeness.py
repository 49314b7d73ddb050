"""How well the respondents mirror the register: for each reporting variable, the members of the
register, those sampled (invited to the poll) and those who answered, per value, as counts and
shares; the respondents' shares before and after weighting.

Counts of people, never of answers: they need no small-cell suppression (the breakdowns that show
answers have it). A poll without a register (an open link) has respondents only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Count
from django.db.models.fields.json import KeyTextTransform

from polls.models import Invitation, Poll

from .estimation import (
    PollData,
    ResultParams,
    attribute_text,
    load_poll_data,
    poll_design,
    population_counts,
    resolve_params,
)

__all__ = [
    "LevelRepresentativeness",
    "Representativeness",
    "VariableRepresentativeness",
    "poll_representativeness",
    "representativeness_for",
]


@dataclass(frozen=True)
class LevelRepresentativeness:
    value: str  # "" for members without one
    register: int | None
    register_share: float | None
    sample: int | None
    sample_share: float | None
    respondents: int
    respondent_share: float | None  # before weighting
    weighted_share: float | None  # after weighting
    response_rate: float | None  # respondents / sampled


@dataclass(frozen=True)
class VariableRepresentativeness:
    variable: str
    levels: list[LevelRepresentativeness] = field(default_factory=list)


@dataclass(frozen=True)
class Representativeness:
    weights: str
    weight_by: tuple[str, ...]
    register: int | None  # members
    sample: int | None  # invited
    respondents: int
    variables: list[VariableRepresentativeness] = field(default_factory=list)


def _share(count: float, total: float) -> float | None:
    return count / total if total > 0 else None


def _sample_counts(poll: Poll, variables: Sequence[str]) -> list[Counter[str]]:
    """Invited members per value of each variable, in one GROUP BY over all of them."""
    columns = {
        f"v{i}": KeyTextTransform(name, "sample_member__member__attributes")
        for i, name in enumerate(variables)
    }
    counters: list[Counter[str]] = [Counter() for _name in variables]
    cells = (
        Invitation.objects.filter(poll=poll)
        .annotate(**columns)
        .values(*columns)
        .annotate(n=Count("id"))
        .order_by()
    )
    for cell in cells:
        for i, column in enumerate(columns):
            counters[i][attribute_text(cell[column])] += cell["n"]
    # Invited members since erased: their rows say nothing now, the poll's tally says what they
    # were (polls.privacy); they are counted there instead of under "no value".
    erased = poll.erased_invited or {}
    for i, name in enumerate(variables):
        for value, n in erased.get(name, {}).items():
            counters[i][""] -= n
            counters[i][value] += n
        if counters[i][""] <= 0:
            del counters[i][""]
    return counters


def poll_representativeness(
    *,
    poll: Poll,
    weights: str | None = None,
    weight_by: Sequence[str] | None = None,
) -> Representativeness:
    """Register, sample and respondents per value of each reporting variable. Parameters left
    out come from the poll's settings. Raises `ResultsError` when the weights cannot be made."""
    params = resolve_params(poll, weights=weights, weight_by=weight_by)
    return representativeness_for(poll=poll, params=params)


def representativeness_for(
    *, poll: Poll, params: ResultParams, data: PollData | None = None
) -> Representativeness:
    """As `poll_representativeness`, for resolved parameters; `data` (profiled over the poll's
    reporting variables) spares the query for the respondents per profile."""
    variables = list(poll.reporting_variables)
    if data is None or data.variables != tuple(variables):
        data = load_poll_data(poll, [], profiles=True)  # respondents per profile only
    n = data.n
    weights = np.zeros(0)
    if n:
        weights = poll_design(poll, data, params).weights * data.sizes  # weight of each profile
    register = None
    if poll.register is not None:
        register = population_counts(poll.register, variables)
        sample = _sample_counts(poll, variables) if variables else []
        n_sample = poll.invitations.count()
    else:
        sample, n_sample = [], None
    result = []
    for i, name in enumerate(variables):
        respondents: Counter[str] = Counter()
        weighted: dict[str, float] = {}
        if name in data.variables:
            column = data.variables.index(name)
            for profile, size, weight in zip(data.profiles, data.sizes, weights, strict=True):
                respondents[profile[column]] += int(round(size))
                weighted[profile[column]] = weighted.get(profile[column], 0.0) + float(weight)
        in_register = register["variables"].get(name, {}) if register is not None else {}
        in_sample = sample[i] if sample else Counter()
        values = sorted(set(in_register) | set(in_sample) | set(respondents))
        total_weight = sum(weighted.values())
        levels = []
        for value in values:
            sampled = in_sample.get(value, 0) if register is not None else None
            levels.append(
                LevelRepresentativeness(
                    value=value,
                    register=in_register.get(value, 0) if register is not None else None,
                    register_share=_share(in_register.get(value, 0), register["total"])
                    if register is not None
                    else None,
                    sample=sampled,
                    sample_share=_share(in_sample.get(value, 0), n_sample or 0)
                    if register is not None
                    else None,
                    respondents=respondents.get(value, 0),
                    respondent_share=_share(respondents.get(value, 0), n),
                    weighted_share=_share(weighted.get(value, 0.0), total_weight),
                    response_rate=_share(respondents.get(value, 0), sampled) if sampled else None,
                )
            )
        result.append(VariableRepresentativeness(variable=name, levels=levels))
    return Representativeness(
        weights=params.weights,
        weight_by=params.weight_by,
        register=int(register["total"]) if register is not None else None,
        sample=n_sample,
        respondents=n,
        variables=result,
    )
