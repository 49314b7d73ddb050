"""The member's side. Members have no account: the token in the link is their key."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .answering import (
    AlreadyAnswered,
    Page,
    PollNotOpen,
    draft_for,
    draft_save,
    invitation_by_token,
    poll_pages,
    poll_questions,
    response_submit,
)
from .forms import AnswerSheet, PageForm
from .models import Invitation


def _status_page(request, invitation, template: str, status: int = 200) -> HttpResponse:
    return render(request, template, {"poll": invitation.poll}, status=status)


def _page(request, invitation, sheet: AnswerSheet, form: PageForm, status=200) -> HttpResponse:
    active = sheet.active_pages()
    indexes = [page.index for page in active]
    position = indexes.index(form.page.index) + 1 if form.page.index in indexes else 1
    return render(
        request,
        "polls/answer.html",
        {
            "poll": invitation.poll,
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
        return render(request, "polls/answer_unknown.html", status=404)
    poll = invitation.poll
    if invitation.status == Invitation.Status.COMPLETED:
        return _status_page(request, invitation, "polls/answer_done.html")
    if invitation.status == Invitation.Status.OPTED_OUT:
        return _status_page(request, invitation, "polls/answer_opted_out.html")
    questions = poll_questions(poll)
    if not poll.is_accepting_answers() or not questions:
        return _status_page(request, invitation, "polls/answer_closed.html")

    draft = draft_for(invitation)
    sheet = AnswerSheet(
        poll_pages(poll, questions), data=draft.data if draft else {}, seed=invitation.pk
    )
    current = sheet.page(draft.current_section if draft else 0)
    if request.method == "GET":
        Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.SENT).update(
            status=Invitation.Status.STARTED
        )
        return _page(request, invitation, sheet, sheet.form(current))

    page = _posted_page(request, sheet, current)
    sheet.update(page, request.POST)

    def keep(at: Page) -> bool:
        return draft_save(invitation=invitation, data=sheet.clean_data(), current_section=at.index)

    if request.POST.get("action") == "back":
        # Back keeps what was entered, valid or not: it is checked again on the way forward.
        if not keep(sheet.previous_page(page) or page):
            return _status_page(request, invitation, "polls/answer_done.html")
        return redirect(request.path)

    form = sheet.form(page)
    if not form.is_valid():
        keep(page)
        return _page(request, invitation, sheet, form, status=400)
    following = sheet.next_page(page)
    if following is not None:
        if not keep(following):
            return _status_page(request, invitation, "polls/answer_done.html")
        return redirect(request.path)

    # The last page: every shown page must hold, then the draft becomes the response.
    invalid = sheet.first_invalid()
    if invalid is not None:
        keep(invalid.page)
        return _page(request, invitation, sheet, invalid, status=400)
    try:
        response_submit(invitation=invitation, answers=sheet.answers(), questions=questions)
    except AlreadyAnswered:
        return _status_page(request, invitation, "polls/answer_done.html")
    except PollNotOpen:
        return _status_page(request, invitation, "polls/answer_closed.html")
    return render(request, "polls/answer_thanks.html", {"poll": poll})
