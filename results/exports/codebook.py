"""The codebook of a poll's microdata: each question with its variables, their codes and
labels, the base (respondents who answered) and the display condition."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from polls.models import Poll, Question

from ..caching import cached_poll_data, cached_poll_results
from ..estimation import ResultsError, poll_questions
from .microdata import MISSING_RANGE, Microdata, Variable, microdata_plan

__all__ = ["Codebook", "CodebookEntry", "poll_codebook"]


@dataclass(frozen=True)
class CodebookEntry:
    question: Question | None  # None: the weight and reporting variables
    kind: str
    condition: str  # "Asked only if ..." or ""
    base: int | None  # respondents who answered
    variables: list[Variable] = field(default_factory=list)


@dataclass(frozen=True)
class Codebook:
    plan: Microdata
    entries: list[CodebookEntry]
    n_responses: int
    not_exported: list[Question]  # open questions: their text is never exported
    missing_range: tuple[int, int] = MISSING_RANGE
    error: str = ""


def _condition(question: Question) -> str:
    on = question.condition_question
    if on is None:
        return ""
    labels = ", ".join(f"“{o.label}”" for o in question.condition_options.all())
    return _("Asked only if the answer to %(code)s was %(options)s.") % {
        "code": on.code,
        "options": labels,
    }


def poll_codebook(*, poll: Poll) -> Codebook:
    questions = poll_questions(poll)
    plan = microdata_plan(
        poll=poll, data=cached_poll_data(poll, questions, profiles=True), weighted=False
    )
    error = ""
    bases: dict[int, int] = {}
    try:
        results = cached_poll_results(poll=poll)
        bases = {q.question.pk: q.n for q in results.questions}
    except ResultsError as exc:
        error = exc.message
    per_question: dict[int, list[Variable]] = {}
    head = []
    for v in plan.variables:
        if v.question is None:
            head.append(v)
        else:
            per_question.setdefault(v.question.pk, []).append(v)
    entries = [CodebookEntry(None, "", "", None, head)]
    for q in plan.questions:
        if q.pk not in per_question:
            continue
        entries.append(
            CodebookEntry(
                question=q,
                kind=q.get_kind_display(),
                condition=_condition(q),
                base=bases.get(q.pk),
                variables=per_question[q.pk],
            )
        )
    return Codebook(
        plan=plan,
        entries=entries,
        n_responses=plan.n,
        not_exported=[q for q in questions if q.kind == Question.Kind.TEXT],
        error=error,
    )
