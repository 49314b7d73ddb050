"""The questionnaire as members meet it, loaded from the ORM once per process and poll version.

Rebuilding a poll's questions, options, statements and conditions from the database took most
of a member's request (bench/RESULTS.md, "Answering under load"). The questionnaire is the same
for every member, so each process keeps the questions it built, keyed by the poll's id and a
*stamp*: `Poll.questionnaire_version`, which PostgreSQL triggers renew on every change of a row
the questionnaire is made of (sections, questions, options, grid statements, conditions), and
which comes with the poll in the statement that finds the invitation, so it costs no round trip
(an earlier stamp, a digest of all those rows per request, cost PostgreSQL some 2 ms of planning
and execution each time). Any edit of any of those rows, from the studio, its text edits on a
locked poll, Django admin or SQL, in any process, changes the stamp, and the next request builds
the questionnaire again: nothing has to remember to invalidate it.

The cached `Question` objects are shared by the requests of a process and must be treated as
read-only (the answering code keeps its per-member state in `polls.answering.inputs`). Without a
stamp (SQLite, the studio's test mode, previews, imports) the questionnaire is built every time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from django.db import connection

from ..conditions import flow_order
from ..models import Poll, Question

MAX_CACHED = 64  # questionnaires per process; a poll version takes some 100 kB


class Questionnaire(list[Question]):
    """A poll version's questions in flow order, kept per process, with what is derived from
    them (`kept`: its pages, `polls.answering.responses.poll_pages`). Shared by the requests of
    a process: read it, never change it."""

    def __init__(self, questions) -> None:
        super().__init__(questions)
        self.kept: dict[str, object] = {}


_cache: OrderedDict[tuple[int, str], Questionnaire] = OrderedDict()
_lock = threading.Lock()


def load_questions(poll: Poll) -> list[Question]:
    """All of the poll's questions in flow order, with what answering them needs prefetched."""
    return flow_order(
        poll.questions.select_related("section").prefetch_related(
            "options", "rows", "condition_options", "condition_question__options"
        )
    )


def questionnaire_stamp(poll: Poll) -> str | None:
    """The version of the poll's questionnaire as read with the poll, or None where it is not
    kept up to date (only PostgreSQL's triggers keep it: migration polls 0011)."""
    if connection.vendor != "postgresql":
        return None
    return str(poll.questionnaire_version)


def questionnaire(poll: Poll, stamp: str | None) -> list[Question]:
    """The poll's questions in flow order (`load_questions`), from this process's cache when
    `stamp` (`questionnaire_stamp`, read with the poll) is one it has built them for."""
    if not stamp:
        return load_questions(poll)
    key = (poll.pk, stamp)
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    questions = Questionnaire(load_questions(poll))
    with _lock:
        _cache[key] = questions
        while len(_cache) > MAX_CACHED:
            _cache.popitem(last=False)
    return questions


def forget_questionnaires() -> None:
    """Empty this process's cache (tests)."""
    with _lock:
        _cache.clear()
