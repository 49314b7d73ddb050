"""The member's side. Members have no account: the token in the link is their key. An open-link
poll (`Poll.open_link`) is answered at /p/<slug>/ by anyone, with the same pages."""

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ..models import Invitation, Poll, Question
from .inputs import AnswerSheet, PageForm
from .open_link import SessionProgress, has_answered, mark_answered, open_link_poll
from .responses import (
    AlreadyAnswered,
    AnswerRow,
    Page,
    PollNotOpen,
    draft_for,
    draft_save,
    invitation_by_token,
    poll_pages,
    poll_questions,
    response_submit,
)


def _status_page(
    request, poll: Poll, template: str, status: int = 200, **context: Any
) -> HttpResponse:
    return render(request, template, {"poll": poll, **context}, status=status)


def _unknown(request) -> HttpResponse:
    return render(request, "polls/answer_unknown.html", status=404)


class Progress(Protocol):
    """Where one respondent's answers in progress live and how they are submitted: an
    invitation's Draft row (`DraftProgress`) or an open link's session (`SessionProgress`)."""

    poll: Poll

    @property
    def seed(self) -> int | str: ...

    def load(self) -> tuple[dict[str, list[str]], int]: ...

    def keep(self, data: dict[str, list[str]], current_section: int) -> bool:
        """False: no longer answerable (already submitted), nothing kept."""

    def submit(self, answers: Sequence[AnswerRow], questions: Sequence[Question]) -> None:
        """Raises AlreadyAnswered or PollNotOpen."""


class DraftProgress:
    def __init__(self, invitation: Invitation):
        self.invitation = invitation
        self.poll = invitation.poll
        self.seed = invitation.pk

    def load(self) -> tuple[dict[str, list[str]], int]:
        draft = draft_for(self.invitation)
        return (draft.data, draft.current_section) if draft else ({}, 0)

    def keep(self, data: dict[str, list[str]], current_section: int) -> bool:
        return draft_save(invitation=self.invitation, data=data, current_section=current_section)

    def submit(self, answers: Sequence[AnswerRow], questions: Sequence[Question]) -> None:
        response_submit(invitation=self.invitation, answers=answers, questions=questions)


def _page(
    request, progress: Progress, sheet: AnswerSheet, form: PageForm, status=200
) -> HttpResponse:
    active = sheet.active_pages()
    indexes = [page.index for page in active]
    position = indexes.index(form.page.index) + 1 if form.page.index in indexes else 1
    return render(
        request,
        "polls/answer.html",
        {
            "poll": progress.poll,
            "open_link": isinstance(progress, SessionProgress),
            "form": form,
            "page": form.page,
            "page_number": position,
            "page_count": max(len(active), 1),
            "is_first": position == 1,
            "is_last": sheet.next_page(form.page) is None,
        },
        status=status,
    )


def _posted_page(request: HttpRequest, sheet: AnswerSheet, current: Page) -> Page:
    """The page whose form was posted (a second tab may be on another page than the draft)."""
    try:
        index = int(request.POST.get("page", ""))
    except ValueError:
        return current
    return sheet.pages[index] if 0 <= index < len(sheet.pages) else current


def _answer_pages(
    request: HttpRequest,
    progress: Progress,
    questions: list[Question],
    *,
    done: Callable[[], HttpResponse],
    submitted: Callable[[HttpResponse], None] = lambda response: None,
) -> HttpResponse:
    """The pages of an answerable poll, whoever answers: one section per page; Next and Back
    keep the answers in `progress` and redirect; Next on the last page submits. `done` is the
    "already answered" page; `submitted` may add to the thank-you page (the open link's
    cookie)."""
    poll = progress.poll
    data, current_index = progress.load()
    sheet = AnswerSheet(poll_pages(poll, questions), data=data, seed=progress.seed)
    current = sheet.page(current_index)
    if request.method == "GET":
        return _page(request, progress, sheet, sheet.form(current))

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
    try:
        progress.submit(sheet.answers(), questions)
    except AlreadyAnswered:
        return done()
    except PollNotOpen:
        return _status_page(request, poll, "polls/answer_closed.html")
    response = render(request, "polls/answer_thanks.html", {"poll": poll})
    submitted(response)
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """Permission: anyone holding a valid invitation token, until they submit.

    One section per page. Next and Back keep the answers in a server-side draft (so the member
    can go on from the same link on another device) and redirect; Next on the last page submits.
    """
    try:
        invitation = invitation_by_token(token)
    except Http404:
        return _unknown(request)
    poll = invitation.poll
    if invitation.status == Invitation.Status.COMPLETED:
        return _status_page(request, poll, "polls/answer_done.html")
    if invitation.status == Invitation.Status.OPTED_OUT:
        return _status_page(request, poll, "polls/answer_opted_out.html")
    questions = poll_questions(poll)
    if not poll.is_accepting_answers() or not questions:
        return _status_page(request, poll, "polls/answer_closed.html")
    if request.method == "GET":
        Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.SENT).update(
            status=Invitation.Status.STARTED
        )
    return _answer_pages(
        request,
        DraftProgress(invitation),
        questions,
        done=lambda: _status_page(request, poll, "polls/answer_done.html"),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def open_answer(request: HttpRequest, slug: str) -> HttpResponse:
    """Permission: anyone, for a poll with an open link (`Poll.open_link`), once per browser.

    The same pages as an invitation's; the answers in progress live in the session. Any other
    poll (or a draft) is the same 404 page as an unknown token: the address reveals nothing.
    Once per browser only: see polls.answering.open_link for the limits.
    """
    poll = open_link_poll(slug)
    if poll is None:
        return _unknown(request)

    def done() -> HttpResponse:
        return _status_page(request, poll, "polls/answer_done.html", open_link=True)

    if has_answered(request, poll):
        return done()
    questions = poll_questions(poll)
    if not poll.is_accepting_answers() or not questions:
        return _status_page(request, poll, "polls/answer_closed.html")
    return _answer_pages(
        request,
        SessionProgress(request, poll),
        questions,
        done=done,
        submitted=lambda response: mark_answered(response, poll),
    )
