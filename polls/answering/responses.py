"""A member's way through a poll: from token (or open link), page by page with a draft, to an
anonymous response."""

from __future__ import annotations

import json
import random
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any, TypeVar

from django.db import connection, transaction
from django.dispatch import Signal
from django.http import Http404
from django.utils import timezone

from ..conditions import visible_questions
from ..kinds import KINDS
from ..models import (
    Answer,
    Draft,
    GridRow,
    Invitation,
    Option,
    Poll,
    Question,
    Response,
    Section,
    hash_token,
)
from ..prefetched import kept_on
from .lookup import invitation_with_digest
from .questionnaires import load_questions
from .statements import member_cursor

# Sent after a response was written by one SQL statement of its own (no Model.save(), so no
# post_save): poll_id=, response_id=, xid= (the writing transaction's id, PostgreSQL's
# pg_current_xact_id() as text). Outside a transaction the statement has committed when it is sent.
response_written = Signal()


class AlreadyAnswered(Exception):
    pass


class PollNotOpen(Exception):
    pass


def invitation_by_token(token: str, *, opened: bool = False) -> Invitation:
    """The only way a view reaches an invitation: an unknown or forged token is a 404. With
    `opened` (the member opened their link), a sent invitation becomes started, once, in the
    same statement."""
    if not token or len(token) > 64:
        raise Http404("unknown token")
    # The invitation's own link, or that of its latest reminder; with its draft (a LEFT JOIN),
    # which every request of the member's reads (`draft_for`).
    invitation = invitation_with_digest(hash_token(token), opened=opened)
    if invitation is None:
        raise Http404("unknown token")
    return invitation


# --- the questionnaire as members meet it -------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One page of the member's flow: a section, or the implicit first page of questions that
    have none."""

    index: int
    section: Section | None
    questions: list[Question]

    @property
    def title(self) -> str:
        return self.section.title if self.section else ""


poll_questions = load_questions  # the questionnaire from the ORM, every time


class Pages(list[Page]):
    """A poll's pages in order, with the questions' numbers (`question_numbers`) worked out when
    first asked for."""

    @cached_property
    def numbers(self) -> dict[int, str]:
        return question_numbers([q for page in self for q in page.questions])


def poll_pages(poll: Poll, questions: Sequence[Question] | None = None) -> Pages:
    """The pages of `questions` (default: the poll's, from the ORM). The pages of a questionnaire
    kept per process (`polls.answering.questionnaires`) are made once and kept with it."""
    questions = poll_questions(poll) if questions is None else questions
    kept = getattr(questions, "kept", None)
    if kept is not None and "pages" in kept:
        pages_kept: Pages = kept["pages"]
        return pages_kept
    pages = Pages()
    for question in questions:
        if not pages or pages[-1].section != question.section:
            pages.append(Page(index=len(pages), section=question.section, questions=[]))
        pages[-1].questions.append(question)
    if kept is not None:
        kept["pages"] = pages
    return pages


def question_numbers(questions: Sequence[Question]) -> dict[int, str]:
    """1, 2, 3 for questions everyone gets; a follow-up shown only on a condition takes the
    number before it with a letter (2a, 2b), so hidden follow-ups leave no gaps."""
    numbers: dict[int, str] = {}
    number, letter = 0, 0
    for question in questions:
        if question.condition_question_id is None or number == 0:
            number, letter = number + 1, 0
            numbers[question.id] = str(number)
        else:
            letter += 1
            numbers[question.id] = f"{number}{'abcdefghijklmnopqrstuvwxyz'[(letter - 1) % 26]}"
    return numbers


def question_options(question: Question) -> list[Option]:
    """The question's options in their order (shared: read only)."""
    return kept_on(question, "_kept_options", "options", lambda: list(question.options.all()))


def option_by_value(question: Question) -> dict[str, Option]:
    """The question's options by the value their inputs post (shared: read only)."""
    return kept_on(
        question,
        "_kept_option_by_value",
        "options",
        lambda: {str(option.id): option for option in question_options(question)},
    )


def question_rows(question: Question) -> list[GridRow]:
    """A grid question's statements in their order (shared: read only)."""
    return kept_on(question, "_kept_rows", "rows", lambda: list(question.rows.all()))


T = TypeVar("T")


def stable_shuffle(items: Sequence[T], *, seed: str, anchored: Callable[[T], bool]) -> list[T]:
    """`items` in a random order that depends only on `seed`, with anchored items kept in their
    places. A string seed is hashed with SHA-512 by `random`, so the order is the same in every
    process and on every page load."""
    movable = [item for item in items if not anchored(item)]
    random.Random(seed).shuffle(movable)  # noqa: S311 (a stable order per member, not a secret)
    moved = iter(movable)
    return [item if anchored(item) else next(moved) for item in items]


def displayed_options(question: Question, *, seed: int | str) -> list[Option]:
    """The question's options as this member sees them: shuffled per member when the question
    asks for it (seed: the invitation id) and its kind shuffles options (`polls.kinds`): never
    scales and grids, whose options are a scale. Unshuffled, the list is shared: read only."""
    options = question_options(question)
    if question.randomize_options and KINDS[question.kind].shuffles == "options":
        return stable_shuffle(
            options, seed=f"{seed}:{question.id}", anchored=lambda option: option.anchored
        )
    return options


def displayed_rows(question: Question, *, seed: int | str) -> list[GridRow]:
    rows = question_rows(question)
    if question.randomize_options and KINDS[question.kind].shuffles == "rows":
        return stable_shuffle(rows, seed=f"{seed}:{question.id}:rows", anchored=lambda row: False)
    return rows


# --- answers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerRow:
    """One answer row before it is saved: see `Answer`."""

    question_id: int
    option_id: int | None = None
    row_id: int | None = None
    value: Decimal | None = None
    text: str | None = None
    rank: int | None = None


def chosen_options(answers: Iterable[AnswerRow]) -> dict[int, set[int]]:
    """question id -> ids of the options chosen, what conditions test."""
    chosen: dict[int, set[int]] = defaultdict(set)
    for answer in answers:
        if answer.option_id is not None and answer.row_id is None:
            chosen[answer.question_id].add(answer.option_id)
    return dict(chosen)


def answers_visible(answers: Iterable[AnswerRow], questions: Sequence[Question]) -> list[AnswerRow]:
    """Drops the answers to questions that the other answers hide (a member said "Nej", went
    on, came back and changed it to "Ja": the follow-up to "Nej" is no longer asked)."""
    answers = list(answers)
    shown = {q.id for q in visible_questions(questions, chosen_options(answers))}
    return [answer for answer in answers if answer.question_id in shown]


def _check_belongs(answers: Sequence[AnswerRow], questions: Sequence[Question]) -> None:
    """Options and grid statements must be the answered question's own; forms guarantee it,
    this keeps a wrong caller from writing rows that would count under another question."""
    by_id = {q.id: q for q in questions}
    for answer in answers:
        question = by_id.get(answer.question_id)
        if question is None:
            raise ValueError(f"question {answer.question_id} is not in this poll")
        option_ids, row_ids = _part_ids(question)
        if answer.option_id is not None and answer.option_id not in option_ids:
            raise ValueError(f"option {answer.option_id} is not one of {question.code}'s")
        if answer.row_id is not None and answer.row_id not in row_ids:
            raise ValueError(f"row {answer.row_id} is not one of {question.code}'s")


def _part_ids(question: Question) -> tuple[frozenset[int], frozenset[int]]:
    """The ids of a question's options and grid statements, kept on the question: the members'
    questions are kept per process and poll version (`load_questions`), so this is worked out
    once per version instead of once per answer of every submit."""
    ids = getattr(question, "_part_ids", None)
    if ids is None:
        ids = (
            frozenset(o.id for o in question_options(question)),
            frozenset(r.pk for r in question_rows(question)),
        )
        question._part_ids = ids  # type: ignore[attr-defined]
    return ids


def reporting_attributes(invitation: Invitation) -> dict[str, str]:
    """Only the poll's declared reporting variables travel from the member onto the response."""
    attributes = invitation.sample_member.member.attributes
    return {
        name: attributes[name]
        for name in invitation.poll.reporting_variables
        if attributes.get(name) not in (None, "")
    }


def _answer_rows(
    answers: Iterable[AnswerRow], choices: dict[int, int] | None, questions: Sequence[Question]
) -> list[AnswerRow]:
    """The rows to write: checked to belong to the poll, hidden questions' answers dropped."""
    rows = list(answers) + [
        AnswerRow(question_id=question_id, option_id=option_id)
        for question_id, option_id in (choices or {}).items()
    ]
    _check_belongs(rows, questions)
    return answers_visible(rows, questions)


def _write_response(
    *, poll: Poll, rows: Sequence[AnswerRow], attributes: dict[str, Any]
) -> Response:
    """The response and its answers; the caller holds the transaction."""
    response = Response.objects.create(
        poll=poll, submitted_on=timezone.localdate(), attributes=attributes
    )
    Answer.objects.bulk_create(
        Answer(
            response=response,
            question_id=row.question_id,
            option_id=row.option_id,
            row_id=row.row_id,
            value=row.value,
            text=row.text,
            rank=row.rank,
        )
        for row in rows
    )
    return response


def response_submit(
    *,
    invitation: Invitation,
    answers: Iterable[AnswerRow] = (),
    choices: dict[int, int] | None = None,
    questions: Sequence[Question] | None = None,
) -> Response:
    """Turn a member's answers into an anonymous response, exactly once per invitation.

    `answers` are validated rows (forms validate); `choices` ({question id: option id}) is a
    shorthand for single-choice answers. Answers to questions hidden by the other answers are
    discarded. Marking the invitation completed, writing the response and deleting the draft
    happen in one transaction; the conditional update is the lock: of two concurrent submits,
    the second finds the invitation no longer answerable and changes nothing. `questions`
    (from `poll_questions`) saves the queries when submitting many responses.
    """
    poll = invitation.poll
    if not poll.is_accepting_answers():
        raise PollNotOpen
    questions = poll_questions(poll) if questions is None else questions
    rows = _answer_rows(answers, choices, questions)
    attributes = reporting_attributes(invitation)
    if connection.vendor == "postgresql":
        return _submit_in_one_statement(
            invitation=invitation, poll=poll, rows=rows, attributes=attributes
        )
    with transaction.atomic():
        claimed = Invitation.objects.filter(
            pk=invitation.pk, status__in=Invitation.ANSWERABLE
        ).update(status=Invitation.Status.COMPLETED)
        if not claimed:
            raise AlreadyAnswered
        Draft.objects.filter(invitation_id=invitation.pk).delete()
        return _write_response(poll=poll, rows=rows, attributes=attributes)


def _submit_sql() -> str:
    """Claim, draft deletion, response and answers as one statement (PostgreSQL): each part
    reads the one before it, so nothing is written unless the claim changed the invitation,
    and a single statement is atomic by itself. `WITH` statements all see one snapshot; the
    conditional UPDATE still takes the row lock, so of two concurrent submits the second
    re-checks the status after the first commits and claims nothing."""
    invitation = Invitation._meta.db_table
    draft = Draft._meta.db_table
    response = Response._meta.db_table
    answer = Answer._meta.db_table
    return f"""
WITH claimed AS (
    UPDATE "{invitation}" SET "status" = %(completed)s
    WHERE "id" = %(invitation)s AND "status" = ANY(%(answerable)s)
    RETURNING "id"
), dropped AS (
    DELETE FROM "{draft}" WHERE "invitation_id" IN (SELECT "id" FROM claimed)
), written AS (
    INSERT INTO "{response}" ("id", "poll_id", "submitted_on", "attributes")
    SELECT %(response)s, %(poll)s, %(submitted_on)s, %(attributes)s::jsonb FROM claimed
    RETURNING "id"
), answered AS (
    INSERT INTO "{answer}"
        ("response_id", "question_id", "option_id", "row_id", "value", "text", "rank")
    SELECT written."id", a.question_id, a.option_id, a.row_id, a.value, a.text, a.rank
    FROM written, unnest(
        %(questions)s::bigint[], %(options)s::bigint[], %(rows)s::bigint[],
        %(values)s::numeric[], %(texts)s::text[], %(ranks)s::smallint[]
    ) AS a(question_id, option_id, row_id, value, text, rank)
)
SELECT count(*), CAST(PG_CURRENT_XACT_ID() AS TEXT) FROM claimed"""  # noqa: S608 (table names from the models, values bound)


def _number_array(values: Sequence[int | Decimal | None]) -> str | None:
    """A column of numbers for `_submit_sql`'s unnest as PostgreSQL's array literal, `{1,NULL,3}`,
    which the statement casts: psycopg binds a list element by element in Python, some 20 µs a
    column of 20 answers (bench/RESULTS.md). NULL when every value is: unnest pads a column it
    has no values for with NULLs, as a single-choice poll's rows, values and ranks are."""
    if all(value is None for value in values):
        return None
    return "{" + ",".join("NULL" if value is None else str(value) for value in values) + "}"


def _submit_in_one_statement(
    *, invitation: Invitation, poll: Poll, rows: Sequence[AnswerRow], attributes: dict[str, Any]
) -> Response:
    """`response_submit` on PostgreSQL in one round trip instead of five (issue #14). Outside a
    transaction it commits by itself; inside one (a test, a bulk caller) it is part of it."""
    response = Response(
        id=uuid.uuid4(), poll=poll, submitted_on=timezone.localdate(), attributes=attributes
    )
    params: dict[str, Any] = {
        "completed": Invitation.Status.COMPLETED,
        "invitation": invitation.pk,
        "answerable": [str(status) for status in Invitation.ANSWERABLE],
        "response": response.id,
        "poll": poll.pk,
        "submitted_on": response.submitted_on,
        "attributes": json.dumps(attributes),
        "questions": _number_array([row.question_id for row in rows]),
        "options": _number_array([row.option_id for row in rows]),
        "rows": _number_array([row.row_id for row in rows]),
        "values": _number_array([row.value for row in rows]),
        "texts": [row.text for row in rows] if any(row.text is not None for row in rows) else None,
        "ranks": _number_array([row.rank for row in rows]),
    }
    with member_cursor() as cursor:
        cursor.execute(_submit_sql(), params)
        claimed, xid = cursor.fetchone()
    if not claimed:
        raise AlreadyAnswered
    response._state.adding = False
    response._state.db = connection.alias
    response_written.send(sender=Response, poll_id=poll.pk, response_id=response.id, xid=xid)
    return response


def open_response_submit(
    *,
    poll: Poll,
    answers: Iterable[AnswerRow] = (),
    choices: dict[int, int] | None = None,
    questions: Sequence[Question] | None = None,
) -> Response:
    """An answer through an open link (`Poll.open_link`): an anonymous response without
    reporting attributes, since nothing is known about who answered. "Once per browser" is
    the view's cookie (see polls.answering.open_link), not a guarantee, so there is nothing to claim
    here; the poll is read again, so a link closed meanwhile refuses the answer."""
    poll = Poll.objects.get(pk=poll.pk)
    if not poll.open_link or not poll.is_accepting_answers():
        raise PollNotOpen
    questions = poll_questions(poll) if questions is None else questions
    rows = _answer_rows(answers, choices, questions)
    with transaction.atomic():
        return _write_response(poll=poll, rows=rows, attributes={})


# --- drafts -------------------------------------------------------------------------------------


def draft_for(invitation: Invitation) -> Draft | None:
    """The invitation's draft, as read with it by `invitation_by_token` when it was."""
    if Invitation.draft.is_cached(invitation):
        return getattr(invitation, "draft", None)
    return Draft.objects.filter(invitation=invitation).first()


def draft_save(*, invitation: Invitation, data: dict[str, list[str]], current_section: int) -> bool:
    """Keep the member's answers in progress. Writes nothing (and returns False) once the
    invitation is no longer answerable: the row lock orders this against `response_submit`,
    so a Next on a second device cannot bring back a draft that a submit has just deleted."""
    if connection.vendor == "postgresql":
        return _draft_save_in_one_statement(
            invitation=invitation, data=data, current_section=current_section
        )
    with transaction.atomic():
        answerable = list(
            # Lock the invitation only: every member's Next would otherwise queue on the poll.
            Invitation.objects.select_for_update(of=("self",))
            .filter(
                pk=invitation.pk,
                status__in=Invitation.ANSWERABLE,
                poll__state=Poll.State.OPEN,  # closing deletes drafts: none may come back
            )
            .values_list("pk", flat=True)
        )
        if not answerable:
            return False
        # One upsert (INSERT ... ON CONFLICT DO UPDATE) instead of a read, a lock and a write.
        Draft.objects.bulk_create(
            [Draft(invitation=invitation, data=data, current_section=current_section)],
            update_conflicts=True,
            unique_fields=["invitation"],
            update_fields=["data", "current_section", "updated_at"],
        )
    return True


def _draft_save_sql() -> str:
    """Lock, check and upsert in one statement (PostgreSQL): the SELECT locks the invitation row
    (FOR UPDATE OF it alone: every member's Next would otherwise queue on the poll's row), so
    a submit that claimed it first is waited for, and the re-checked status then finds nothing
    to insert."""
    draft, invitation, poll = (m._meta.db_table for m in (Draft, Invitation, Poll))
    return f"""
INSERT INTO "{draft}" ("invitation_id", "data", "current_section", "updated_at")
SELECT i."id", %(data)s::jsonb, %(section)s, %(now)s
FROM "{invitation}" i JOIN "{poll}" p ON p."id" = i."poll_id"
WHERE i."id" = %(invitation)s AND i."status" = ANY(%(answerable)s) AND p."state" = %(open)s
FOR UPDATE OF i
ON CONFLICT ("invitation_id") DO UPDATE SET "data" = EXCLUDED."data",
    "current_section" = EXCLUDED."current_section", "updated_at" = EXCLUDED."updated_at"
RETURNING 1"""  # noqa: S608 (table names from the models, values bound)


def _draft_save_in_one_statement(
    *, invitation: Invitation, data: dict[str, list[str]], current_section: int
) -> bool:
    """`draft_save` in one round trip instead of four (BEGIN, lock, upsert, COMMIT)."""
    with member_cursor() as cursor:
        cursor.execute(
            _draft_save_sql(),
            {
                "data": json.dumps(data),
                "section": current_section,
                "now": timezone.now(),
                "invitation": invitation.pk,
                "answerable": [str(status) for status in Invitation.ANSWERABLE],
                "open": Poll.State.OPEN,
            },
        )
        return cursor.fetchone() is not None
