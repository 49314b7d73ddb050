"""The answering flow, one for everyone who answers: a member with an invitation, a visitor of an
open link, and an editor in the studio's test mode.

One section per page; Next and Back keep the answers in progress and redirect; Next on the last
page checks every shown page and submits. What differs is a small strategy, a `Progress`: where
the answers in progress are kept and whether the submit writes.

    DraftProgress       an invitation's Draft row; the submit writes the response (here)
    SessionProgress     the open link's session; writes the response (polls.answering.open_link)
    TestProgress        the editor's session; the submit writes nothing (polls.authoring.test_mode)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from ..kinds import KINDS
from ..models import Invitation, Poll, Question
from . import page_cache
from .questionnaires import questionnaire_stamp
from .responses import (
    AlreadyAnswered,
    AnswerRow,
    Page,
    PollNotOpen,
    draft_for,
    draft_save,
    poll_pages,
    response_submit,
)
from .sheet import AnswerSheet, PageForm


class Progress(Protocol):
    """Where one respondent's answers in progress live and what submitting them does."""

    poll: Poll

    @property
    def seed(self) -> int | str: ...

    def load(self) -> tuple[dict[str, list[str]], int]: ...

    def keep(self, data: dict[str, list[str]], current_section: int) -> bool:
        """False: no longer answerable (already submitted), nothing kept."""

    def submit(self, answers: Sequence[AnswerRow], questions: Sequence[Question]) -> None:
        """Raises AlreadyAnswered or PollNotOpen."""

    def page_context(self) -> dict[str, Any]:
        """What the page adds to say where the answers are kept."""

    @property
    def cache_token(self) -> str:
        """The token in the member's pages, cut out of them in `polls.answering.page_cache`;
        empty: the pages are not cached (open links and the studio's test mode)."""
        ...


class DraftProgress:
    """An invitation's answers in progress, in its Draft row (so the member can go on from the
    same link on another device); the seed of random option orders is the invitation's id."""

    def __init__(self, invitation: Invitation, *, draft_url: str = "", token: str = ""):
        self.invitation = invitation
        self.poll = invitation.poll
        self.seed = invitation.pk
        self.draft_url = draft_url
        self.token = token

    def load(self) -> tuple[dict[str, list[str]], int]:
        draft = draft_for(self.invitation)
        return (draft.data, draft.current_section) if draft else ({}, 0)

    def keep(self, data: dict[str, list[str]], current_section: int) -> bool:
        return draft_save(invitation=self.invitation, data=data, current_section=current_section)

    def submit(self, answers: Sequence[AnswerRow], questions: Sequence[Question]) -> None:
        response_submit(invitation=self.invitation, answers=answers, questions=questions)

    def page_context(self) -> dict[str, Any]:
        return {"open_link": False, "draft_url": self.draft_url}

    @property
    def cache_token(self) -> str:
        return self.token


def _first_page_key(progress: Progress, pages: Sequence[Page]) -> Any:
    """The first page's key in `polls.answering.page_cache`, or None: not cached."""
    poll = progress.poll
    stamp = questionnaire_stamp(poll)
    if not stamp or not progress.cache_token:
        return None
    return page_cache.page_key(
        "first",
        poll.pk,
        stamp,
        poll.title,
        poll.intro,
        poll.organisation,
        poll.contact_email,
        progress.seed if _first_page_shuffles(pages) else None,
    )


def _later_page_key(progress: Progress, sheet: AnswerSheet, page: Page) -> Any:
    """The key of a page the member has typed nothing on yet (they have just pressed Next), or
    None: the page shows their own values. Such a page is drawn from the questionnaire, which
    of its questions the earlier answers show (the page's numbering and Back/Submit follow
    from the same set) and, when a question on it shuffles, the member's seed."""
    poll = progress.poll
    stamp = questionnaire_stamp(poll)
    if not stamp or not progress.cache_token:
        return None
    if any(name in sheet.data for name in sheet.field_names(page)):
        return None
    shuffles = any(q.randomize_options and KINDS[q.kind].shuffles for q in page.questions)
    return page_cache.page_key(
        "page",
        poll.pk,
        stamp,
        poll.title,
        poll.intro,
        poll.organisation,
        poll.contact_email,
        page.index,
        frozenset(sheet.visible_ids()),
        progress.seed if shuffles else None,
    )


def _thanks_page(request: HttpRequest, progress: Progress) -> HttpResponse:
    poll = progress.poll

    def draw() -> HttpResponse:
        return render(request, "polls/answer_thanks.html", {"poll": poll})

    if not progress.cache_token or not page_cache.cacheable(request):
        return draw()
    key = page_cache.page_key(
        "thanks", poll.pk, poll.title, poll.organisation, poll.contact_email, poll.results_url
    )
    return page_cache.member_page(request, key=key, token=progress.cache_token, render=draw)


def _first_page_shuffles(pages: Sequence[Page]) -> bool:
    """Whether the first page a member without answers can see shuffles per member: the pages
    up to the first one with a question that no condition hides."""
    for page in pages:
        if any(q.randomize_options and KINDS[q.kind].shuffles for q in page.questions):
            return True
        if any(q.condition_question_id is None for q in page.questions):
            return False
    return False


def not_open_page(request: HttpRequest, poll: Poll) -> HttpResponse:
    """The page of a poll that takes no answers: not opened yet (a draft, or open from a later
    time), or closed."""
    not_yet_open = bool(poll.opens_at and timezone.now() < poll.opens_at)
    return render(request, "polls/answer_closed.html", {"poll": poll, "not_yet_open": not_yet_open})


def _page(
    request: HttpRequest, progress: Progress, sheet: AnswerSheet, form: PageForm, status: int = 200
) -> HttpResponse:
    active = sheet.active_pages()
    indexes = [page.index for page in active]
    position = indexes.index(form.page.index) + 1 if form.page.index in indexes else 1
    return render(
        request,
        "polls/answer.html",
        {
            "poll": progress.poll,
            "form": form,
            "page": form.page,
            "page_number": position,
            "page_count": max(len(active), 1),
            "is_first": position == 1,
            "is_last": sheet.next_page(form.page) is None,
            **progress.page_context(),
        },
        status=status,
    )


def _current_page(
    request: HttpRequest,
    progress: Progress,
    pages: list[Page],
    *,
    data: dict[str, list[str]] | None = None,
    current_index: int = 0,
) -> HttpResponse:
    """The page the member is on, as a GET shows it: from the process's cache when it holds
    nothing of the member's but their link (`_later_page_key`)."""
    sheet = AnswerSheet(pages, data=data or {}, seed=progress.seed)
    page = sheet.page(current_index)
    key = _later_page_key(progress, sheet, page) if data else None
    if key is not None and page_cache.cacheable(request):
        return page_cache.member_page(
            request,
            key=key,
            token=progress.cache_token,
            render=lambda: _page(request, progress, sheet, sheet.form(page)),
        )
    return _page(request, progress, sheet, sheet.form(page))


def _posted_page(request: HttpRequest, sheet: AnswerSheet, current: Page) -> Page:
    """The page whose form was posted (a second tab may be on another page than the draft)."""
    try:
        index = int(request.POST.get("page", ""))
    except ValueError:
        return current
    return sheet.pages[index] if 0 <= index < len(sheet.pages) else current


def answer_pages(
    request: HttpRequest,
    progress: Progress,
    questions: list[Question],
    *,
    done: Callable[[], HttpResponse],
    thanks: Callable[[AnswerSheet, list[AnswerRow]], HttpResponse] | None = None,
) -> HttpResponse:
    """The pages of a poll, whoever answers. `done` is the "already answered" page; `thanks`
    draws the end after a submit (default: the member's thank-you page)."""
    poll = progress.poll
    data, current_index = progress.load()
    pages = poll_pages(poll, questions)
    if request.method == "GET":
        key = _first_page_key(progress, pages) if not data and current_index == 0 else None
        if key is not None and page_cache.cacheable(request):
            return page_cache.member_page(
                request,
                key=key,
                token=progress.cache_token,
                render=lambda: _current_page(request, progress, pages),
            )
        return _current_page(request, progress, pages, data=data, current_index=current_index)
    sheet = AnswerSheet(pages, data=data, seed=progress.seed)
    current = sheet.page(current_index)

    page = _posted_page(request, sheet, current)
    sheet.update(page, request.POST)

    def keep(at: Page) -> bool:
        return progress.keep(sheet.clean_data(), at.index)

    if request.POST.get("action") == "back":
        # Back keeps what was entered, valid or not: it is checked again on the way forward.
        if not keep(sheet.previous_page(page) or page):
            return done()
        return redirect(request.path)

    form = sheet.form(page)
    if not form.is_valid():
        keep(page)
        return _page(request, progress, sheet, form, status=400)
    following = sheet.next_page(page)
    if following is not None:
        if not keep(following):
            return done()
        return redirect(request.path)

    # The last page: every shown page must hold, then the answers become the response.
    invalid = sheet.first_invalid()
    if invalid is not None:
        keep(invalid.page)
        return _page(request, progress, sheet, invalid, status=400)
    answers = sheet.answers()
    try:
        progress.submit(answers, questions)
    except AlreadyAnswered:
        return done()
    except PollNotOpen:
        return not_open_page(request, poll)
    if thanks is None:
        return _thanks_page(request, progress)
    return thanks(sheet, answers)


def keep_typed(request: HttpRequest, progress: Progress, questions: list[Question]) -> bool:
    """What the member has typed on the page they are on, kept before they press Next (answer.js
    posts the page's form a moment after each change, so that nothing typed is lost when they go
    on from another device). The values are only kept, as with Back: they are checked on Next.
    The page stays the draft's: a save that arrives after a Next does not move the member back.
    False: no longer answerable, nothing kept."""
    data, current_index = progress.load()
    sheet = AnswerSheet(poll_pages(progress.poll, questions), data=data, seed=progress.seed)
    current = sheet.page(current_index)
    sheet.update(_posted_page(request, sheet, current), request.POST)
    return progress.keep(sheet.clean_data(), current.index)
