"""The questionnaire as members meet it, loaded from the ORM once per process and poll version.

Rebuilding a poll's questions, options, statements and conditions from the database took most
of a member's request (bench/RESULTS.md, "Answering under load"). The questionnaire is the same
for every member, so each process keeps the questions it built, keyed by the poll's id and a
*stamp*: a digest of every row the questionnaire is made of (sections, questions, options, grid
statements, conditions), computed by PostgreSQL in the same statement that finds the invitation
(`invitation_by_token`), so it costs no round trip. Any edit of any of those rows, from the
studio, its text edits on a locked poll, or Django admin, in any process, changes the stamp, and
the next request builds the questionnaire again: nothing has to remember to invalidate it.

The cached `Question` objects are shared by the requests of a process and must be treated as
read-only (the answering code keeps its per-member state in `polls.answering.inputs`). Without a
stamp (SQLite, the studio's test mode, previews, imports) the questionnaire is built every time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from django.db import connection
from django.db.models.expressions import RawSQL

from ..conditions import flow_order
from ..models import GridRow, Option, Poll, Question, Section

MAX_CACHED = 64  # questionnaires per process; a poll version takes some 100 kB

_cache: OrderedDict[tuple[int, str], tuple[Question, ...]] = OrderedDict()
_lock = threading.Lock()


def load_questions(poll: Poll) -> list[Question]:
    """All of the poll's questions in flow order, with what answering them needs prefetched."""
    return flow_order(
        poll.questions.select_related("section").prefetch_related(
            "options", "rows", "condition_options", "condition_question__options"
        )
    )


def _stamp_sql(poll_id_column: str) -> str:
    """A digest of the rows of the questionnaire of the poll in `poll_id_column`, each row as
    PostgreSQL prints it (every column), sorted so that the order of the rows does not count."""
    conditions = Question.condition_options.through._meta.db_table
    question, option, row, section = (
        model._meta.db_table for model in (Question, Option, GridRow, Section)
    )
    return f"""
        SELECT MD5(STRING_AGG(part, '|' ORDER BY part)) FROM (
            SELECT 's' || s::TEXT AS part FROM {section} s WHERE s.poll_id = {poll_id_column}
            UNION ALL
            SELECT 'q' || q::TEXT FROM {question} q WHERE q.poll_id = {poll_id_column}
            UNION ALL
            SELECT 'o' || o::TEXT FROM {option} o JOIN {question} q ON q.id = o.question_id
            WHERE q.poll_id = {poll_id_column}
            UNION ALL
            SELECT 'r' || r::TEXT FROM {row} r JOIN {question} q ON q.id = r.question_id
            WHERE q.poll_id = {poll_id_column}
            UNION ALL
            SELECT 'c' || c::TEXT FROM {conditions} c JOIN {question} q ON q.id = c.question_id
            WHERE q.poll_id = {poll_id_column}
        ) parts
    """


def stamp_annotation(poll_id_column: str) -> RawSQL | None:
    """The stamp as an annotation of a query whose row holds the poll's id in `poll_id_column`
    (quoted table and column), or None where it cannot be computed (not PostgreSQL)."""
    if connection.vendor != "postgresql":
        return None
    return RawSQL(_stamp_sql(poll_id_column), [])


def questionnaire(poll: Poll, stamp: str | None) -> list[Question]:
    """The poll's questions in flow order (`load_questions`), from this process's cache when
    `stamp` (from `stamp_annotation`, read with the poll) is one it has built them for."""
    if not stamp:
        return load_questions(poll)
    key = (poll.pk, stamp)
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return list(found)
    questions = load_questions(poll)
    with _lock:
        _cache[key] = tuple(questions)
        while len(_cache) > MAX_CACHED:
            _cache.popitem(last=False)
    return questions


def forget_questionnaires() -> None:
    """Empty this process's cache (tests)."""
    with _lock:
        _cache.clear()
