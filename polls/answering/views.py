"""The member's side. Members have no account: the token in the link is their key. An open-link
poll (`Poll.open_link`) is answered at /p/<slug>/ by anyone, with the same pages."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from ..models import Invitation, Poll
from .flow import DraftProgress, answer_pages, keep_typed, not_open_page
from .limits import member_rate_limited, too_many_requests, unknown_token_limited
from .open_link import SessionProgress, has_answered, mark_answered, open_link_poll
from .questionnaires import questionnaire, questionnaire_stamp
from .responses import invitation_by_token


def _status_page(
    request, poll: Poll, template: str, status: int = 200, **context: Any
) -> HttpResponse:
    return render(request, template, {"poll": poll, **context}, status=status)


def _unknown(request) -> HttpResponse:
    return render(request, "polls/answer_unknown.html", status=404)


@never_cache
@require_http_methods(["GET", "POST"])
@member_rate_limited
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """Permission: anyone holding a valid invitation token, until they submit.

    One section per page. Next and Back keep the answers in a server-side draft (so the member
    can go on from the same link on another device) and redirect; Next on the last page submits.
    """
    try:
        invitation = invitation_by_token(token, opened=request.method == "GET")
    except Http404:
        if unknown_token_limited(request):
            return too_many_requests(request)
        return _unknown(request)
    poll = invitation.poll
    if invitation.status == Invitation.Status.COMPLETED:
        return _status_page(request, poll, "polls/answer_done.html")
    if invitation.status == Invitation.Status.OPTED_OUT:
        return _status_page(request, poll, "polls/answer_opted_out.html")
    if not poll.is_accepting_answers():
        return not_open_page(request, poll)
    questions = questionnaire(poll, questionnaire_stamp(poll))
    if not questions:
        return not_open_page(request, poll)
    return answer_pages(
        request,
        # The draft's address is the page's own + draft/ (config/urls.py): no reverse() per
        # request, which cost more than the rest of a cached page's view.
        DraftProgress(invitation, draft_url=f"{request.path}draft/", token=token),
        questions,
        done=lambda: _status_page(request, poll, "polls/answer_done.html"),
    )


@never_cache
@require_POST
@member_rate_limited
def answer_draft(request: HttpRequest, token: str) -> HttpResponse:
    """Permission: anyone holding a valid invitation token, until they submit.

    Keeps what the member has typed on their page so far (answer.js posts the page's form,
    with its CSRF token, a moment after each change): 204, or 409 when the invitation or poll
    no longer takes answers; nothing is checked or submitted here, Next does that."""
    try:
        invitation = invitation_by_token(token)
    except Http404:
        if unknown_token_limited(request):
            return too_many_requests(request)
        return HttpResponse(status=404)
    poll = invitation.poll
    if invitation.status not in Invitation.ANSWERABLE or not poll.is_accepting_answers():
        return HttpResponse(status=409)
    questions = questionnaire(poll, questionnaire_stamp(poll))
    if not questions or not keep_typed(request, DraftProgress(invitation), questions):
        return HttpResponse(status=409)
    return HttpResponse(status=204)


@never_cache
@require_http_methods(["GET", "POST"])
@member_rate_limited
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
    if not poll.is_accepting_answers():
        return not_open_page(request, poll)
    questions = questionnaire(poll, questionnaire_stamp(poll))
    if not questions:
        return not_open_page(request, poll)
    return answer_pages(
        request,
        SessionProgress(request, poll),
        questions,
        done=done,
        thanks=lambda sheet, answers: mark_answered(
            render(request, "polls/answer_thanks.html", {"poll": poll}), poll
        ),
    )
