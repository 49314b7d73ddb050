"""The field-work page of a poll, under /staff/polls/<slug>/field/: whom to invite, sending
invitations and reminders, the figures per stratum, failed sends and bounces.

Permission: the Admin role on every view (invitations reach members' personal data). The poll
and its samples are reached through staff.access.reach; the tasks are queued through
polls.tasks after the transaction commits.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from respondents.optouts import parse_addresses
from staff.access import admin_required, reach

from ..models import Poll
from ..tasks import invitations_queue
from .optouts import bounces_record
from .sending import (
    NotSendable,
    due_for_reminder,
    invitations_create,
    invitations_send_again,
    next_reminder_step,
    poll_check_sendable,
)
from .status import failed_invitations, field_rows, responses_per_day, unreachable_count


class BouncesForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File of bounced addresses"), required=False)
    addresses = forms.CharField(
        label=gettext_lazy("Or paste the addresses"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=gettext_lazy("One a line, or separated by commas, semicolons or blanks."),
    )

    def clean(self):
        data = super().clean() or {}
        text = data.get("addresses") or ""
        upload = data.get("file")
        if upload is not None:
            raw = upload.read()
            try:
                text += "\n" + raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                text += "\n" + raw.decode("cp1252", errors="replace")
        data["parsed"] = parse_addresses(text)
        if not data["parsed"]:
            raise forms.ValidationError(_("No e-mail addresses were found in what you gave."))
        return data


def _poll(request: HttpRequest, slug: str) -> Poll:
    return reach(request.user, Poll.objects.select_related("register"), slug=slug)


def _context(poll: Poll) -> dict:
    invited_draws = set(
        poll.invitations.values_list("sample_member__draw", flat=True).distinct().order_by()
    )
    draws = list(poll.register.draws.order_by("-created_at")) if poll.register else []
    try:
        poll_check_sendable(poll)
        not_sendable = ""
    except NotSendable as exc:
        not_sendable = str(exc)
    step = next_reminder_step(poll=poll)
    return {
        "poll": poll,
        "draws": [{"draw": d, "invited": d.pk in invited_draws} for d in draws],
        "rows": field_rows(poll=poll),
        "unreachable": unreachable_count(poll=poll),
        "failed": failed_invitations(poll=poll),
        "per_day": responses_per_day(poll=poll),
        "not_sendable": not_sendable,
        "next_step": step,
        "due_reminder": due_for_reminder(poll=poll, step=step).count(),
        "bounces_form": BouncesForm(),
    }


@admin_required
def field_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Permission: Admin. The live field-work page of one poll."""
    return render(request, "polls/field/page.html", _context(_poll(request, slug)))


@admin_required
def field_status(request: HttpRequest, slug: str) -> HttpResponse:
    """Permission: Admin. The figures of the field page, for htmx to swap in every few seconds."""
    return render(request, "polls/field/_status.html", _context(_poll(request, slug)))


def _refused(request: HttpRequest, poll: Poll) -> bool:
    try:
        poll_check_sendable(poll)
    except NotSendable as exc:
        messages.error(request, str(exc))
        return True
    return False


@require_POST
@admin_required
def field_invite(request: HttpRequest, slug: str) -> HttpResponse:
    """Permission: Admin. Invite the chosen samples of the poll's register (POST)."""
    poll = _poll(request, slug)
    if _refused(request, poll):
        return redirect("field-page", slug=poll.slug)
    if poll.register is None:
        messages.error(request, _("The poll has no register: choose one in the studio first."))
        return redirect("field-page", slug=poll.slug)
    ids = [i for i in request.POST.getlist("sample") if i.isdigit()]
    if not ids:
        messages.error(request, _("Choose at least one sample to invite."))
        return redirect("field-page", slug=poll.slug)
    # Only samples of the poll's own register: another register's id is a 404.
    draws = [reach(request.user, poll.register.draws.all(), pk=int(i)) for i in ids]
    with transaction.atomic():
        created = sum(invitations_create(poll=poll, draw=draw) for draw in draws)
        queued = invitations_queue(poll=poll)
    messages.success(
        request,
        _("%(created)s new invitations; %(queued)s e-mails queued for sending.")
        % {"created": created, "queued": queued},
    )
    return redirect("field-page", slug=poll.slug)


@require_POST
@admin_required
def field_remind(request: HttpRequest, slug: str) -> HttpResponse:
    """Permission: Admin. Send the next reminder to those invited who have not answered (POST)."""
    poll = _poll(request, slug)
    if _refused(request, poll):
        return redirect("field-page", slug=poll.slug)
    step = next_reminder_step(poll=poll)
    if not due_for_reminder(poll=poll, step=step).exists():
        messages.error(request, _("Nobody is waiting for a reminder: nothing was sent."))
        return redirect("field-page", slug=poll.slug)
    with transaction.atomic():
        queued = invitations_queue(poll=poll, step=step)
    messages.success(
        request,
        _("Reminder %(step)s: %(queued)s e-mails queued for sending.")
        % {"step": step, "queued": queued},
    )
    return redirect("field-page", slug=poll.slug)


@require_POST
@admin_required
def field_send_again(request: HttpRequest, slug: str) -> HttpResponse:
    """Permission: Admin. Send failed invitations again: one (`invitation`, also an unknown one,
    the admin having checked it) or every failed one (POST)."""
    poll = _poll(request, slug)
    if _refused(request, poll):
        return redirect("field-page", slug=poll.slug)
    ids = [int(i) for i in request.POST.getlist("invitation") if i.isdigit()]
    with transaction.atomic():
        again = invitations_send_again(poll=poll, ids=ids or None)
        queued = invitations_queue(poll=poll) if again else 0
    if again:
        messages.success(request, _("%(n)s e-mails queued again.") % {"n": queued})
    else:
        messages.error(request, _("There was nothing to send again."))
    return redirect("field-page", slug=poll.slug)


@require_POST
@admin_required
def field_bounces(request: HttpRequest, slug: str) -> HttpResponse:
    """Permission: Admin. Mark the members of an uploaded list of bounced addresses (POST)."""
    poll = _poll(request, slug)
    if poll.register is None:
        messages.error(request, _("The poll has no register: choose one in the studio first."))
        return redirect("field-page", slug=poll.slug)
    form = BouncesForm(request.POST, request.FILES)
    if not form.is_valid():
        context = {**_context(poll), "bounces_form": form}
        return render(request, "polls/field/page.html", context, status=400)
    addresses = form.cleaned_data["parsed"]
    found = bounces_record(addresses=addresses, poll=poll)
    messages.success(
        request,
        _("%(found)s of %(given)s addresses belong to members of the register: marked bounced.")
        % {"found": found, "given": len(addresses)},
    )
    return redirect("field-page", slug=poll.slug)
