"""The result page editor's further steps: scheduling (an embargo), editing a block's text, and
quotes picked from a question's open answers. Thin: the work is in `results.scheduling`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Count, Min, Q
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from polls.models import Answer, Poll, Question
from staff.access import editor_required, reach

from .coding import text_answers
from .models import ResultBlock, ResultPage
from .page_claims import FlaggedClaim, page_claims
from .publishing import page_snapshot
from .scheduling import ScheduleError, claims_as_data, page_schedule, page_schedule_cancel

QUOTES_SHOWN = 50


class ScheduleForm(forms.Form):
    publish_at = forms.DateTimeField(
        label=gettext_lazy("Publish at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


def poll_and_page(user, slug: str, pk: int) -> tuple[Poll, ResultPage]:
    poll = reach(user, Poll, slug=slug)
    return poll, get_object_or_404(ResultPage, poll=poll, pk=pk)


def claims_stop(
    request, flagged: list[FlaggedClaim], *, personal_data: str, unsupported: str
) -> bool:
    """Whether the page's flagged claims stop a publish or a schedule, with the message said:
    personal data in a quote always does, unsupported claims unless "publish anyway" was
    ticked. `unsupported` takes the number of claims as %(n)s."""
    if any(c.blocking for c in flagged):
        messages.error(request, personal_data)
        return True
    if flagged and not request.POST.get("anyway"):
        messages.error(request, unsupported % {"n": len(flagged)})
        return True
    return False


@editor_required
@require_POST
def result_page_schedule(request, slug: str, pk: int):
    """Permission: Editor. Publish the page at a set time (beat does it then, with the numbers
    of that moment). With a flagged claim it needs "publish anyway", kept with the schedule;
    personal data in a quote stops it."""
    poll, page = poll_and_page(request.user, slug, pk)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Not scheduled: give the date and time to publish at."))
        return redirect("result-page-edit", poll.slug, page.pk)
    flagged = page_claims(page, page_snapshot(page))
    if claims_stop(
        request,
        flagged,
        personal_data=_("Not scheduled: a quote holds personal data. Edit or remove it first."),
        unsupported=_(
            "Not scheduled: %(n)s claims are not supported by the numbers. Correct them, "
            "or tick “publish anyway”."
        ),
    ):
        return redirect("result-page-edit", poll.slug, page.pk)
    at = form.cleaned_data["publish_at"]
    try:
        page_schedule(page=page, at=at, by=request.user, overridden_claims=claims_as_data(flagged))
    except ScheduleError as exc:
        messages.error(request, _("Not scheduled: %(reason)s") % {"reason": exc})
        return redirect("result-page-edit", poll.slug, page.pk)
    messages.success(
        request,
        _("The page will be published %(at)s.")
        % {"at": formats.date_format(timezone.localtime(at), "j F Y H:i")},
    )
    return redirect("result-page-edit", poll.slug, page.pk)


@editor_required
@require_POST
def result_page_unschedule(request, slug: str, pk: int):
    """Permission: Editor. Cancel the scheduled publishing; the page is a draft again."""
    poll, page = poll_and_page(request.user, slug, pk)
    page_schedule_cancel(page=page, by=request.user)
    messages.success(request, _("The schedule is cancelled: the page is a draft."))
    return redirect("result-page-edit", poll.slug, page.pk)


@editor_required
@require_POST
def result_page_block_edit(request, slug: str, pk: int, block_id: int):
    """Permission: Editor. Change a block's text (say, to take a name out of a quote)."""
    poll, page = poll_and_page(request.user, slug, pk)
    block = get_object_or_404(ResultBlock, page=page, pk=block_id)
    text = (request.POST.get("text") or "").strip()
    if not text and block.kind in (ResultBlock.Kind.TEXT, ResultBlock.Kind.QUOTE):
        messages.error(request, _("The text is empty: remove the block instead."))
        return redirect("result-page-edit", poll.slug, page.pk)
    block.text = text
    block.save(update_fields=["text"])
    messages.success(request, _("The block's text is saved."))
    return redirect("result-page-edit", poll.slug, page.pk)


@editor_required
@require_POST
def result_page_quote_add(request, slug: str, pk: int):
    """Permission: Editor. Add one of a question's open answers as a quote, at the end."""
    poll, page = poll_and_page(request.user, slug, pk)
    answer_id = request.POST.get("answer", "")
    if not answer_id.isdigit():
        return HttpResponseBadRequest(_("Choose an answer to quote."))
    answer = get_object_or_404(
        Answer.objects.select_related("question"),
        pk=int(answer_id),
        question__poll=poll,
        question__kind=Question.Kind.TEXT,
    )
    ResultBlock.objects.create(
        page=page,
        order=page.blocks.count(),
        kind=ResultBlock.Kind.QUOTE,
        question=answer.question,
        text=(answer.text or "").strip(),
    )
    messages.success(
        request, _("The quote is added. Check it for names and workplaces before publishing.")
    )
    url = reverse("result-page-edit", args=[poll.slug, page.pk])
    return redirect(f"{url}?quotes={answer.question_id}#blocks")


def quote_picker(poll: Poll, params: Any) -> dict[str, Any]:
    """The editor page's quote picker: the poll's open questions, and for the chosen one its
    different open answers (those containing `search`, at most QUOTES_SHOWN)."""
    questions = list(poll.questions.filter(kind=Question.Kind.TEXT).order_by("order"))
    chosen = None
    wanted = params.get("quotes", "")
    if wanted.isdigit():
        chosen = next((q for q in questions if q.pk == int(wanted)), None)
    search = (params.get("search") or "").strip()[:100]
    answers: list[dict[str, Any]] = []
    total = 0
    if chosen is not None:
        found = text_answers(chosen)
        if search:
            found = found.filter(Q(text__icontains=search))
        # The same words from several members are one quote: listed once, with how many.
        distinct = (
            found.order_by()
            .values("text")
            .annotate(n=Count("id"), first=Min("id"))
            .order_by("first")
        )
        total = distinct.count()
        answers = [dict(row) for row in distinct[:QUOTES_SHOWN]]
    return {
        "quote_questions": questions,
        "quote_question": chosen,
        "quote_search": search,
        "quote_answers": answers,
        "quote_total": total,
        "quotes_shown": QUOTES_SHOWN,
    }
