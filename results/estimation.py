"""Estimates for a poll: counts from the database, statistics from `results.stats`."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count

from polls.models import Answer, Option, Poll, Question
from respondents.models import Member

from .stats.proportions import ShareEstimate, moe_range_pp, shares


@dataclass(frozen=True)
class OptionResult:
    option: Option
    estimate: ShareEstimate


@dataclass(frozen=True)
class QuestionResult:
    question: Question
    n: int
    options: list[OptionResult]


@dataclass(frozen=True)
class PollResults:
    poll: Poll
    n_responses: int
    population: int | None
    questions: list[QuestionResult]
    moe_range: tuple[float, float] | None


def poll_population(poll: Poll) -> int | None:
    """Size of the population the poll's sample represents: its register's current members."""
    if poll.register_id is None:
        return None
    return (
        Member.objects.filter(register_id=poll.register_id)
        .exclude(status=Member.Status.LEFT)
        .count()
    )


def poll_results(*, poll: Poll, level: float = 0.95) -> PollResults:
    population = poll_population(poll)
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    rows = (
        Answer.objects.filter(question__poll=poll, option__isnull=False)
        .values_list("question_id", "option_id")
        .annotate(count=Count("id"))
    )
    for question_id, option_id, count in rows:
        counts[question_id][option_id] = count

    results = []
    # Only single-choice questions are charted as shares of their options for now; the other
    # kinds (several options per member, values, texts, ranks, grids) need their own estimates.
    charted = poll.questions.filter(kind=Question.Kind.SINGLE)
    for question in charted.prefetch_related("options").order_by("order", "id"):
        options = list(question.options.all())
        option_counts = [counts[question.pk].get(o.pk, 0) for o in options]
        n = sum(option_counts)
        if n == 0:
            results.append(QuestionResult(question=question, n=0, options=[]))
            continue
        estimates = shares(option_counts, population=population, level=level)
        results.append(
            QuestionResult(
                question=question,
                n=n,
                options=[OptionResult(o, e) for o, e in zip(options, estimates, strict=True)],
            )
        )
    return PollResults(
        poll=poll,
        n_responses=poll.responses.count(),
        population=population,
        questions=results,
        # Options nobody (or everybody) chose have no sampling error to speak of; the range
        # covers the shares that carry one, as the unions' method boxes do.
        moe_range=moe_range_pp(
            o.estimate for q in results for o in q.options if 0 < o.estimate.share < 1
        ),
    )
