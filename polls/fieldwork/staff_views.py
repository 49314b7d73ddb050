"""The field-work page of a poll, under /staff/polls/<slug>/field/: whom to invite, sending
invitations and reminders, the figures per stratum, failed sends and bounces.

Permission: the Admin role on every view (invitations reach members' personal data). The poll
and its samples are reached through staff.access.reach; the tasks are queued through
polls.tasks after the transaction commits.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from respondents.models import SampleDraw
from respondents.optouts import parse_addresses
from staff.access import admin_required, reach
from staff.audit import record

from ..models import FieldPlan, Poll
from ..tasks import invitations_queue
from .optouts import bounces_record
from .plans import (
    MAX_REMINDERS,
    PlanLocked,
    plan_invitations_done,
    plan_next,
    plan_steps,
    plan_update,
)
from .sending import (
    NotSendable,
    due_for_reminder,
    invitations_create,
    invitations_send_again,
    next_reminder_step,
    poll_check_sendable,
)
from .status import (
    failed_invitations,
    field_rows,
    responses_per_day,
    responses_per_day_figure,
    unreachable_count,
)


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


class FieldPlanForm(forms.Form):
    draws = forms.MultipleChoiceField(
        label=gettext_lazy("Samples to invite"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    invite_at = forms.DateTimeField(
        label=gettext_lazy("Invitations go out"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    reminder_days = forms.CharField(
        label=gettext_lazy("Reminders on day"),
        required=False,
        help_text=gettext_lazy(
            "Days after the invitations, separated by commas: “3, 6” reminds on day 3 and day 6."
        ),
    )
    rate_per_minute = forms.IntegerField(
        label=gettext_lazy("E-mails per minute"),
        required=False,
        min_value=1,
        max_value=100_000,
        help_text=gettext_lazy("Empty: as fast as the workers send."),
    )

    def __init__(self, data=None, *, draws=(), plan: FieldPlan | None = None):
        initial: dict = {}
        if plan is not None:
            initial = {
                "draws": [str(pk) for pk in plan.draws.values_list("pk", flat=True)],
                "invite_at": timezone.localtime(plan.invite_at) if plan.invite_at else None,
                "reminder_days": ", ".join(str(d) for d in plan.reminder_days),
                "rate_per_minute": plan.rate_per_minute,
            }
        super().__init__(data, initial=initial)
        choices = self.fields["draws"]
        assert isinstance(choices, forms.MultipleChoiceField)
        choices.choices = [(str(d.pk), d.name) for d in draws]
        if plan is not None and plan.invited_at is not None:
            # The invitation step has run: what it was stays (a disabled field keeps its initial).
            self.fields["draws"].disabled = True
            self.fields["invite_at"].disabled = True

    def clean_reminder_days(self) -> list[int]:
        words = [w for w in re.split(r"[\s,;]+", self.cleaned_data["reminder_days"]) if w]
        if not all(w.isdigit() for w in words):
            raise forms.ValidationError(_("Write whole days, e.g. “3, 6”."))
        days = [int(w) for w in words]
        if any(d < 1 or d > 90 for d in days):
            raise forms.ValidationError(
                _("A reminder goes out 1 to 90 days after the invitations.")
            )
        if days != sorted(set(days)):
            raise forms.ValidationError(_("Give each day once, in order."))
        if len(days) > MAX_REMINDERS:
            raise forms.ValidationError(_("At most %(n)s reminders.") % {"n": MAX_REMINDERS})
        return days


def _plan(poll: Poll) -> FieldPlan | None:
    return FieldPlan.objects.filter(poll=poll).first()


def _poll(request: HttpRequest, slug: str) -> Poll:
    return reach(request.user, Poll.objects.select_related("register"), slug=slug)


def _context(poll: Poll, plan_form: FieldPlanForm | None = None) -> dict:
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
    per_day = responses_per_day(poll=poll)
    plan = _plan(poll)
    upcoming = plan_next(plan=plan, poll=poll)
    return {
        "plan": plan,
        "plan_steps": plan_steps(plan=plan, poll=poll) if plan else [],
        "upcoming": upcoming,
        "waiting": bool(upcoming and upcoming.at and upcoming.at <= timezone.now()),
        "plan_form": plan_form or FieldPlanForm(draws=draws, plan=plan),
        "poll": poll,
        "draws": [{"draw": d, "invited": d.pk in invited_draws} for d in draws],
        "rows": field_rows(poll=poll),
        "unreachable": unreachable_count(poll=poll),
        "failed": failed_invitations(poll=poll),
        "per_day": per_day,
        "per_day_figure": responses_per_day_figure(per_day) if per_day else None,
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


def _rate(poll: Poll) -> int | None:
    plan = _plan(poll)
    return plan.rate_per_minute if plan else None


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
        plan_invitations_done(poll=poll)
        queued = invitations_queue(poll=poll, rate=_rate(poll))
        record(
            request.user,
            "invitations.send",
            target=poll.slug,
            samples=[d.name for d in draws],
            created=created,
            queued=queued,
        )
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
        queued = invitations_queue(poll=poll, step=step, rate=_rate(poll))
        record(request.user, "reminders.send", target=poll.slug, step=step, queued=queued)
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
        queued = invitations_queue(poll=poll, rate=_rate(poll)) if again else 0
        if again:
            record(request.user, "invitations.send_again", target=poll.slug, queued=queued)
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
    with transaction.atomic():
        found = bounces_record(addresses=addresses, poll=poll)
        record(request.user, "bounces.upload", target=poll.slug, given=len(addresses), found=found)
    messages.success(
        request,
        _("%(found)s of %(given)s addresses belong to members of the register: marked bounced.")
        % {"found": found, "given": len(addresses)},
    )
    return redirect("field-page", slug=poll.slug)


@require_POST
@admin_required
def field_plan(request: HttpRequest, slug: str) -> HttpResponse:
    """Permission: Admin. Set the field plan: samples, invitation time, reminders, rate (POST).
    A step that has run keeps what it was."""
    poll = _poll(request, slug)
    draws = list(poll.register.draws.order_by("-created_at")) if poll.register else []
    plan = _plan(poll)
    form = FieldPlanForm(request.POST, draws=draws, plan=plan)
    if not form.is_valid():
        return render(request, "polls/field/page.html", _context(poll, form), status=400)
    data = form.cleaned_data
    # Only samples of the poll's own register: another register's id is a 404.
    chosen = [
        reach(request.user, SampleDraw.objects.filter(register=poll.register), pk=int(i))
        for i in data["draws"]
    ]
    invite_at = plan.invite_at if plan and plan.invited_at else data["invite_at"]
    try:
        with transaction.atomic():
            plan_update(
                poll=poll,
                # Once run, the step keeps its time (the form's field is disabled, and to the
                # minute).
                invite_at=invite_at,
                reminder_days=data["reminder_days"],
                rate_per_minute=data["rate_per_minute"],
                draws=chosen,
            )
            record(
                request.user,
                "field_plan.save",
                target=poll.slug,
                invite_at=invite_at.isoformat() if invite_at else None,
                reminder_days=data["reminder_days"],
                rate_per_minute=data["rate_per_minute"],
                samples=[d.name for d in chosen],
            )
    except PlanLocked as exc:
        messages.error(request, str(exc))
        return redirect("field-page", slug=poll.slug)
    messages.success(request, _("The field plan was saved."))
    return redirect("field-page", slug=poll.slug)
