"""Display conditions: a question shown only when an earlier answer is one of a set of options.

`visible_questions` decides what a member sees from the options chosen so far;
`validate_conditions` is the studio's check before a poll opens. Both work on questions in the
order members meet them (`flow_order`): page by page, then by `order` within the page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from .kinds import CONDITION_KINDS
from .models import Option, Poll, Question
from .prefetched import kept_on


def flow_key(question: Question) -> tuple[tuple[int, int, int], int, int]:
    """Questions without a section make up the first, implicit page."""
    section = question.section
    page = (0, 0, 0) if section is None else (1, section.order, section.id)
    return (page, question.order, question.id)


def flow_order(questions: Iterable[Question]) -> list[Question]:
    return sorted(questions, key=flow_key)


def _poll_questions(poll: Poll) -> list[Question]:
    return flow_order(
        poll.questions.select_related("section").prefetch_related("condition_options")
    )


def condition_option_ids(question: Question) -> frozenset[int]:
    """The options that show `question` (uses the prefetched relation when there is one, and
    then keeps the ids on the question: a member's questionnaire is kept per poll version)."""
    return kept_on(
        question,
        "_kept_condition_ids",
        "condition_options",
        lambda: frozenset(option.id for option in question.condition_options.all()),
    )


def visible_questions(
    poll: Poll | Sequence[Question],
    answers: Mapping[int, Iterable[int]],
    *,
    in_flow_order: bool = False,
) -> list[Question]:
    """The questions a member sees, in flow order, given `answers`: question id -> ids of the
    options chosen. An answer to a hidden question shows nothing further, so a chain of
    conditions collapses when an early answer changes. A condition on a question that does not
    come earlier (refused by `validate_conditions`) keeps its question hidden. `in_flow_order`:
    the questions given are in flow order already (a member's pages), not to be sorted again."""
    if isinstance(poll, Poll):
        questions = _poll_questions(poll)
    else:
        questions = list(poll) if in_flow_order else flow_order(poll)
    chosen = {question_id: set(option_ids) for question_id, option_ids in answers.items()}
    visible: list[Question] = []
    seen: set[int] = set()
    for question in questions:
        if question.condition_question_id is None or (
            question.condition_question_id in seen
            and not chosen.get(question.condition_question_id, set()).isdisjoint(
                condition_option_ids(question)
            )
        ):
            visible.append(question)
            seen.add(question.id)
    return visible


def validate_conditions(poll: Poll) -> list[str]:
    """What is wrong with the poll's conditions, as messages for the editor; empty when fine.

    Refuses a condition on the question itself, on a later question or one in another poll,
    on a question whose answers are not options, without options, with options of another
    question (a dangling reference), and cycles."""
    questions = _poll_questions(poll)
    position = {question.id: i for i, question in enumerate(questions)}
    problems: list[str] = []
    for question in questions:
        source_id = question.condition_question_id
        if source_id is None:
            if question.condition_options.all():
                problems.append(
                    _("Question %(code)s has condition options but no condition question.")
                    % {"code": question.code}
                )
            continue
        if source_id == question.id:
            problems.append(
                _("Question %(code)s cannot depend on itself.") % {"code": question.code}
            )
            continue
        if source_id not in position:
            problems.append(
                _("Question %(code)s depends on a question in another poll.")
                % {"code": question.code}
            )
            continue
        source = questions[position[source_id]]
        if position[source_id] > position[question.id]:
            problems.append(
                _("Question %(code)s depends on %(source)s, which comes later.")
                % {"code": question.code, "source": source.code}
            )
        if source.kind not in CONDITION_KINDS:
            problems.append(
                _("Question %(code)s depends on %(source)s, which has no options to choose.")
                % {"code": question.code, "source": source.code}
            )
        options = list(question.condition_options.all())
        if not options:
            problems.append(
                _("Question %(code)s depends on %(source)s but names no options.")
                % {"code": question.code, "source": source.code}
            )
        foreign = sorted(option.code for option in options if option.question_id != source_id)
        if foreign:
            problems.append(
                _("Question %(code)s names options that %(source)s does not have: %(options)s.")
                % {"code": question.code, "source": source.code, "options": ", ".join(foreign)}
            )
    problems.extend(_cycles(questions))
    return problems


def _cycles(questions: list[Question]) -> list[str]:
    depends_on = {q.id: q.condition_question_id for q in questions}
    codes = {q.id: q.code for q in questions}
    reported: set[frozenset[int]] = set()
    problems = []
    for start in depends_on:
        path: list[int] = []
        current: int | None = start
        while current is not None and current in depends_on and current not in path:
            path.append(current)
            current = depends_on[current]
        if current is None or current not in path:
            continue
        cycle = path[path.index(current) :]
        if len(cycle) > 1 and frozenset(cycle) not in reported:
            reported.add(frozenset(cycle))
            problems.append(
                _("Questions %(codes)s depend on each other in a circle.")
                % {"codes": " → ".join(codes[pk] for pk in [*cycle, cycle[0]])}
            )
    return problems


def condition_set(*, question: Question, on: Question | None, codes: Iterable[str] = ()) -> None:
    """Show `question` only when the answer to `on` is one of the options `codes`; `on=None`
    removes the condition. Unknown codes are refused, so no condition points at nothing."""
    codes = list(codes)
    with transaction.atomic():
        if on is None:
            question.condition_question = None
            question.save(update_fields=["condition_question"])
            question.condition_options.clear()
            return
        options = list(Option.objects.filter(question=on, code__in=codes))
        unknown = sorted(set(codes) - {option.code for option in options})
        if unknown or not codes:
            raise ValueError(f"{on.code} has no options {unknown or codes}")
        question.condition_question = on
        question.save(update_fields=["condition_question"])
        question.condition_options.set(options)
