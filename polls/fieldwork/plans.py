"""A poll's field plan: the invitation time, reminders on day N after it, a sending rate.

Beat's `field_work_tick` runs each step once: `plans_due` finds plans with a step whose time has
come, and `plan_step_claim` takes the step with a conditional update (two ticks at once: one
wins), in the same transaction as the tick queues its e-mails. A step may be changed until it
has run (`plan_update` refuses to change one that has).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from respondents.models import SampleDraw

from ..models import FieldPlan, Poll
from .sending import SENDABLE_STATES, next_reminder_step

MAX_REMINDERS = 5


class PlanLocked(Exception):
    """A step that has run cannot be changed; the message says which."""


@dataclass(frozen=True)
class PlanStep:
    kind: str  # "invitations", "reminder" or "closing"
    number: int  # the reminder's number (1, 2, ...); 0 otherwise
    at: datetime.datetime | None
    done: bool


def plan_steps(*, plan: FieldPlan, poll: Poll) -> list[PlanStep]:
    """Every step of the plan in order, with its time (None while it cannot be known: reminders
    count from the invitations) and whether it has run; the poll's closing last."""
    invited = plan.invited_at or plan.invite_at
    steps = [PlanStep("invitations", 0, invited, plan.invited_at is not None)]
    for n, day in enumerate(plan.reminder_days, start=1):
        at = invited + datetime.timedelta(days=day) if invited else None
        steps.append(PlanStep("reminder", n, at, plan.reminders_done >= n))
    if poll.closes_at:
        steps.append(PlanStep("closing", 0, poll.closes_at, poll.state == Poll.State.CLOSED))
    return steps


def plan_next(*, plan: FieldPlan | None, poll: Poll) -> PlanStep | None:
    """What happens next, or None when nothing more is planned."""
    if plan is None:
        return None
    for step in plan_steps(plan=plan, poll=poll):
        if not step.done and (step.at is not None or step.kind == "invitations"):
            return step if step.at is not None else None
    return None


def plans_due(now: datetime.datetime | None = None) -> list[FieldPlan]:
    """Plans of sendable polls, not yet closed, with a step whose time has come."""
    now = now or timezone.now()
    plans = (
        FieldPlan.objects.select_related("poll")
        .filter(poll__state__in=SENDABLE_STATES)
        .filter(Q(poll__closes_at__isnull=True) | Q(poll__closes_at__gt=now))
    )
    due = []
    for plan in plans.filter(
        Q(invited_at__isnull=True, invite_at__lte=now) | Q(invited_at__isnull=False)
    ):
        step = plan_next(plan=plan, poll=plan.poll)
        if step and step.kind != "closing" and step.at and step.at <= now:
            due.append(plan)
    return due


def plan_step_claim(*, plan: FieldPlan, now: datetime.datetime | None = None) -> int | None:
    """Take the plan's step that is due: 0 for the invitations, n for the poll's n-th reminder;
    None when there is none, or another tick took it first. Call it in the transaction that
    queues the step's e-mails, so the step is run exactly when it is marked run."""
    now = now or timezone.now()
    step = plan_next(plan=plan, poll=plan.poll)
    if step is None or step.at is None or step.at > now:
        return None
    if step.kind == "invitations":
        taken = FieldPlan.objects.filter(pk=plan.pk, invited_at__isnull=True).update(invited_at=now)
        return 0 if taken else None
    if step.kind == "reminder":
        taken = FieldPlan.objects.filter(pk=plan.pk, reminders_done=step.number - 1).update(
            reminders_done=step.number
        )
        return next_reminder_step(poll=plan.poll) if taken else None
    return None


def plan_invitations_done(*, poll: Poll, now: datetime.datetime | None = None) -> None:
    """The admin sent the invitations by hand: the plan's invitation step has run (its
    reminders count from now)."""
    FieldPlan.objects.filter(poll=poll, invited_at__isnull=True).update(
        invited_at=now or timezone.now()
    )


def plan_update(
    *,
    poll: Poll,
    invite_at: datetime.datetime | None,
    reminder_days: list[int],
    rate_per_minute: int | None,
    draws: list[SampleDraw],
) -> FieldPlan:
    """Set the poll's plan. Steps that have run keep what they were: changing them raises
    PlanLocked. The rate may always change (it applies to what is queued from now on)."""
    plan, _created = FieldPlan.objects.get_or_create(poll=poll)
    samples_changed = {d.pk for d in draws} != set(plan.draws.values_list("pk", flat=True))
    if plan.invited_at is not None and (invite_at != plan.invite_at or samples_changed):
        raise PlanLocked(
            _("The invitations have gone out: their time and samples can no longer change.")
        )
    done = plan.reminders_done
    if reminder_days[:done] != plan.reminder_days[:done]:
        raise PlanLocked(
            _("Reminders that have gone out cannot change: the first %(n)s must stay as they were.")
            % {"n": done}
        )
    plan.invite_at = invite_at
    plan.reminder_days = reminder_days
    plan.rate_per_minute = rate_per_minute
    plan.save()
    plan.draws.set(draws)
    return plan
