"""Open-link polls (`Poll.open_link`): anyone with /p/<slug>/ may answer, once per browser.

There is no invitation and no Draft: the answers in progress live in the visitor's session and
are dropped when the response is written. "Once per browser" is a signed, long-lived cookie set
on submit; a browser that shows it gets the "already answered" page and nothing is written.

The honest limits: clearing the cookies, a private window or another browser or device can
answer again, and nobody chose who answers. That is why an open-link poll is never treated as a
random sample: its results carry no margin of error.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from ..models import Poll, Question
from .responses import AnswerRow, open_response_submit

COOKIE_SALT = "polls.open_link.answered"
COOKIE_MAX_AGE = 400 * 24 * 60 * 60  # the longest browsers keep a cookie


def open_link_poll(slug: str) -> Poll | None:
    """The poll behind an open link, or None: not open-link, or still a draft (an unpublished
    poll's address is not revealed). Closed and archived polls are found: they say so."""
    polls = Poll.objects.filter(slug=slug, open_link=True).exclude(state=Poll.State.DRAFT)
    return polls.first()


def _cookie_name(poll: Poll) -> str:
    return f"mr_answered_{poll.pk}"


def has_answered(request: HttpRequest, poll: Poll) -> bool:
    """The browser holds this poll's cookie, correctly signed. A forged or tampered one counts
    as absent (it neither blocks nor fails)."""
    value = request.get_signed_cookie(_cookie_name(poll), default=None, salt=COOKIE_SALT)
    return value == str(poll.pk)


def mark_answered(response: HttpResponse, poll: Poll) -> HttpResponse:
    response.set_signed_cookie(
        _cookie_name(poll),
        str(poll.pk),
        salt=COOKIE_SALT,
        max_age=COOKIE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


class SessionProgress:
    """A visitor's answers in progress, in their session: the open link's counterpart of an
    invitation's Draft (a `polls.answering.flow.Progress`). The seed (for options in random
    order) is random per session."""

    def __init__(self, request: HttpRequest, poll: Poll):
        self.request = request
        self.poll = poll
        self.key = f"open_link:{poll.pk}"
        stored = request.session.get(self.key)
        if not isinstance(stored, dict) or not isinstance(stored.get("seed"), str):
            stored = {"seed": secrets.token_hex(8), "data": {}, "page": 0}
        self.stored = stored

    @property
    def seed(self) -> str:
        return self.stored["seed"]

    def load(self) -> tuple[dict[str, list[str]], int]:
        data = self.stored.get("data")
        page = self.stored.get("page")
        return (
            data if isinstance(data, dict) else {},
            page if isinstance(page, int) and page >= 0 else 0,
        )

    def keep(self, data: dict[str, list[str]], current_section: int) -> bool:
        self.stored = {**self.stored, "data": data, "page": current_section}
        self.request.session[self.key] = self.stored
        return True

    def submit(self, answers: Sequence[AnswerRow], questions: Sequence[Question]) -> None:
        open_response_submit(poll=self.poll, answers=answers, questions=questions)
        self.request.session.pop(self.key, None)

    cache_token = ""  # not cached: see polls.answering.page_cache

    def page_context(self) -> dict[str, Any]:
        return {"open_link": True}
