"""The member's side. Members have no account: the token in the link is their key."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .answering import (
    AlreadyAnswered,
    PollNotOpen,
    invitation_by_token,
    poll_questions,
    response_submit,
)
from .forms import AnswerForm
from .models import Invitation


def _status_page(request, invitation, template: str, status: int = 200) -> HttpResponse:
    return render(request, template, {"poll": invitation.poll}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """Permission: anyone holding a valid invitation token, until they submit."""
    try:
        invitation = invitation_by_token(token)
    except Http404:
        return render(request, "polls/answer_unknown.html", status=404)
    poll = invitation.poll
    if invitation.status == Invitation.Status.COMPLETED:
        return _status_page(request, invitation, "polls/answer_done.html")
    if invitation.status == Invitation.Status.OPTED_OUT:
        return _status_page(request, invitation, "polls/answer_opted_out.html")
    if not poll.is_accepting_answers():
        return _status_page(request, invitation, "polls/answer_closed.html")

    questions = poll_questions(poll)
    form = AnswerForm(request.POST if request.method == "POST" else None, questions=questions)
    if request.method == "POST" and form.is_valid():
        try:
            response_submit(invitation=invitation, choices=form.choices())
        except AlreadyAnswered:
            return _status_page(request, invitation, "polls/answer_done.html")
        except PollNotOpen:
            return _status_page(request, invitation, "polls/answer_closed.html")
        return render(request, "polls/answer_thanks.html", {"poll": poll})
    if request.method == "GET":
        Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.SENT).update(
            status=Invitation.Status.STARTED
        )
    status = 400 if form.is_bound else 200
    return render(request, "polls/answer.html", {"poll": poll, "form": form}, status=status)
