"""The studio's test mode: an editor walks the member's pages (polls.answering.flow) with the
answers in progress in their session; the submit writes nothing and shows the would-be answers."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.translation import gettext as _

from ..answering.responses import AnswerRow
from ..models import Poll, Question


class TestProgress:
    """The studio's test mode: the answers in progress in the editor's session, a submit that
    writes nothing (no Invitation, Draft, Response or Answer) and only forgets them. GET
    ?restart=1 starts over with a new random option order; GET ?page=N goes to page N. The page
    is drawn with the member's header (no staff menu) and says that nothing is saved."""

    def __init__(self, request: HttpRequest, poll: Poll):
        self.request = request
        self.poll = poll
        self.key = f"studio-test:{poll.pk}"
        state = request.session.get(self.key)
        if state is None or request.GET.get("restart"):
            state = {"data": {}, "page": 0, "seed": secrets.token_hex(4)}
        if request.GET.get("page", "").isdigit():
            state["page"] = int(request.GET["page"])
        self.state = state
        if request.method == "GET":
            # Kept at once: the random order (the seed) and the page asked for hold from here.
            request.session[self.key] = state

    @property
    def seed(self) -> str:
        return self.state["seed"]

    def load(self) -> tuple[dict[str, list[str]], int]:
        return self.state["data"], self.state["page"]

    def keep(self, data: dict[str, list[str]], current_section: int) -> bool:
        self.state["data"], self.state["page"] = data, current_section
        self.request.session[self.key] = self.state
        return True

    def submit(self, answers: Sequence[AnswerRow], questions: Sequence[Question]) -> None:
        self.request.session.pop(self.key, None)

    cache_token = ""  # not cached: see polls.answering.page_cache

    def page_context(self) -> dict[str, Any]:
        messages.info(
            self.request,
            _("Test mode: validation runs as for members, but nothing you enter is saved."),
        )
        return {"user": AnonymousUser()}


def _number_text(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class WouldBeAnswer:
    number: str
    question: Question
    answers: list[str]


def answers_readable(
    questions: Sequence[Question], numbers: dict[int, str], rows: Sequence[AnswerRow]
) -> list[WouldBeAnswer]:
    """The typed answer rows a test run would have saved, as text for the editor, per question
    in flow order; questions without an answer are left out."""
    by_question: dict[int, list[AnswerRow]] = {}
    for row in rows:
        by_question.setdefault(row.question_id, []).append(row)
    result = []
    for question in questions:
        answered = by_question.get(question.pk)
        if not answered:
            continue
        options = {o.pk: o for o in question.options.all()}
        statements = {r.pk: r for r in question.rows.all()}
        texts = []
        for row in sorted(answered, key=lambda r: r.rank or 0):
            option = options.get(row.option_id) if row.option_id is not None else None
            if row.row_id is not None and option:
                texts.append(f"{statements[row.row_id].text}: {option.label} ({option.code})")
            elif row.rank is not None and option:
                texts.append(f"{row.rank}. {option.label} ({option.code})")
            elif option:
                texts.append(f"{option.label} ({option.code})")
            elif row.value is not None:
                texts.append(_number_text(row.value))
            else:
                texts.append(row.text or "")
        result.append(
            WouldBeAnswer(number=numbers.get(question.pk, ""), question=question, answers=texts)
        )
    return result
