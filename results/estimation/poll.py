"""The last step: a poll's estimates. `poll_results` resolves the parameters, loads the counts,
builds the design and runs each question's estimator; `compute_poll_results` does the same from
parameters and counts already at hand (the cache's)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from django.utils.translation import gettext as _

from polls.conditions import flow_order
from polls.models import Poll, Question

from ..stats.comparison import suppress
from ..stats.design import DesignShareEstimate
from ..stats.proportions import plus_minus_range_pp
from .design import poll_design, poll_population
from .estimators import ESTIMATORS
from .loading import Atoms, PollData, load_poll_data
from .parameters import ResultParams, ResultsError, names_text, resolve_params
from .result_types import GroupInfo, PollResults, QuestionResult, Table, WeightSummary
from .tables import Context

__all__ = ["compute_poll_results", "poll_questions", "poll_results"]


def poll_results(
    *,
    poll: Poll,
    by: str | None = None,
    weights: str | None = None,
    weight_by: Sequence[str] | None = None,
    ci: str | None = None,
    level: float | None = None,
    ci_df: str | None = None,
) -> PollResults:
    """Every question's estimates (see the module docstring), computed now: no cache (for that,
    `results.caching.cached_poll_results`). Parameters left out come from the poll's
    `ResultSettings`. Raises `ResultsError`."""
    params = resolve_params(
        poll, by=by, weights=weights, weight_by=weight_by, ci=ci, level=level, ci_df=ci_df
    )
    return compute_poll_results(poll=poll, params=params)


def poll_questions(poll: Poll) -> list[Question]:
    """The poll's questions in the members' order, with their options and statements."""
    return flow_order(poll.questions.select_related("section").prefetch_related("options", "rows"))


def compute_poll_results(
    *,
    poll: Poll,
    params: ResultParams,
    questions: list[Question] | None = None,
    data: PollData | None = None,
) -> PollResults:
    """The estimates for resolved `params`, from `data` (loaded when not given; it must be
    over the variables the parameters use)."""
    questions = poll_questions(poll) if questions is None else questions
    if data is None:
        data = load_poll_data(poll, questions, profiles=bool(params.variables))
    missing = [name for name in params.variables if name not in data.variables]
    if missing:
        raise ResultsError(
            _("The responses carry no variable %(names)s.") % {"names": names_text(missing)}
        )
    n = data.n
    # An open link lets anyone answer, once per browser at best: never a random sample.
    random_sample = poll.register_id is not None and not poll.open_link
    if n == 0:
        return PollResults(
            poll=poll,
            params=params,
            n_responses=0,
            population=poll_population(poll),
            random_sample=random_sample,
            questions=[
                QuestionResult(
                    question=q,
                    n=0,
                    total=None if q.kind in (q.Kind.TEXT, q.Kind.GRID) else Table(0, None, None),
                )
                for q in questions
            ],
            moe_range=None,
            weights=WeightSummary(params.weights, params.weight_by, None, None, None, None),
        )
    design = poll_design(poll, data, params)
    group_of_profile = None
    groups: list[str] = []
    if params.by is not None:
        column = data.variables.index(params.by)
        values = [profile[column] for profile in data.profiles]
        groups = sorted(set(values))
        index = {g: i for i, g in enumerate(groups)}
        group_of_profile = np.array([index[v] for v in values], dtype=np.intp)
    ctx = Context(poll, params, design, group_of_profile, groups)

    results = []
    for q in questions:
        atoms = data.atoms.get(q.pk, Atoms.empty())
        results.append(ESTIMATORS[q.kind](ctx, q, atoms, data))

    groups_info: list[GroupInfo] = []
    if group_of_profile is not None:
        per_group = np.bincount(group_of_profile, weights=data.sizes, minlength=len(groups))
        counts = {g: int(round(per_group[i])) for i, g in enumerate(groups)}
        hidden = suppress(counts, poll.min_cell_size)
        groups_info = [
            GroupInfo(g, None if g in hidden else counts[g], g in hidden) for g in groups
        ]
    w = design.weights
    kish = float(n * (data.sizes * w * w).sum() / (data.sizes * w).sum() ** 2)
    return PollResults(
        poll=poll,
        params=params,
        n_responses=n,
        population=None if design.population is None else int(round(design.population)),
        random_sample=random_sample,
        questions=results,
        # The "±" of every share, from its interval: 0 and 100 % too, whose SE is 0 but whose
        # interval is not (one answer: 0-79 %), so the range is 0 only for a census.
        moe_range=plus_minus_range_pp(_overall_estimates(results)) if random_sample else None,
        weights=WeightSummary(
            method=params.weights,
            variables=params.weight_by,
            n_effective=n / kish,
            deff=kish,
            smallest=float(w.min()),
            largest=float(w.max()),
        ),
        groups=groups_info,
    )


def _overall_estimates(questions: Iterable[QuestionResult]) -> Iterable[DesignShareEstimate]:
    for q in questions:
        tables = [q.total] if q.total is not None else []
        tables += [r.total for r in q.rows]
        for table in tables:
            for option in table.options:
                if option.estimate is not None:
                    yield option.estimate
