"""Thin Celery tasks over the domain modules, and the functions that queue them.

Domain modules never import this one (tasks import the domain, so the other way round would be
an import circle): they return what is to be done, and the caller (a view or a command) queues
it here, after the transaction that made the rows commits. Chosen over sending tasks by name
(`send_task`, which ignores eager mode and checks no name) and over passing a queue function
into the domain (one more argument on every service for what is the caller's business).
"""

import logging
import smtplib
from functools import partial

from celery import shared_task
from celery.signals import beat_init
from django.conf import settings
from django.db import transaction

from staff.audit import record

from .fieldwork.closing import polls_close_due
from .fieldwork.plans import plan_step_claim, plans_due
from .fieldwork.sending import (
    Transient,
    batch_delay,
    batch_give_up,
    batch_size,
    invitation_batch_send,
    invitation_batches,
    invitations_create,
    leases_expire,
)
from .models import Poll
from .privacy import retention_apply

log = logging.getLogger(__name__)


@shared_task(name="polls.tasks.send_invitation_batch", bind=True, max_retries=6)
def send_invitation_batch(self, invitation_ids: list[int], step: int = 0) -> int:
    """Send one batch (step 0 the invitations, n the n-th reminder). Transient SMTP trouble is
    retried with exponential backoff; after the last retry what is left is marked failed."""
    try:
        return invitation_batch_send(invitation_ids, step=step)
    except (Transient, OSError, smtplib.SMTPException) as exc:
        if self.request.retries >= self.max_retries:
            batch_give_up(invitation_ids, step=step, reason=str(exc))
            log.warning("Batch of %s e-mails given up: %s", len(invitation_ids), exc)
            return 0
        delay = settings.INVITATION_RETRY_DELAY * 2**self.request.retries
        raise self.retry(exc=exc, countdown=delay) from exc


def invitations_queue(
    *,
    poll: Poll,
    step: int = 0,
    limit: int | None = None,
    stale_after: int | None = None,
    rate: int | None = None,
) -> int:
    """Queue what `step` has still to send for the poll, one task per batch, once the current
    transaction commits, spread out to `rate` e-mails a minute when one is given; returns the
    number of e-mails queued."""
    batches = invitation_batches(
        poll=poll, step=step, limit=limit, stale_after=stale_after, rate=rate
    )
    size = batch_size(rate)
    for index, batch in enumerate(batches):
        delay = batch_delay(index, size=size, rate=rate)
        transaction.on_commit(
            partial(send_invitation_batch.apply_async, (batch, step), countdown=delay)
        )
    return sum(len(batch) for batch in batches)


@shared_task(name="polls.tasks.apply_retention")
def apply_retention() -> int:
    """Erase the members the retention rule says are due (none while it is off)."""
    return len(retention_apply())


@shared_task(name="polls.tasks.close_due_polls")
def close_due_polls() -> int:
    return polls_close_due()


def unsent_requeue(*, poll: Poll, stale_after: int | None = 0) -> int:
    """Rebuild the poll's queue from the database: every e-mail that was queued and has not
    gone out gets a task again (a duplicate task claims nothing, so this is always safe)."""
    return invitations_queue(poll=poll, stale_after=stale_after)


@shared_task(name="polls.tasks.field_work_tick")
def field_work_tick(after_restart: bool = False) -> int:
    """Every minute (beat): e-mails whose worker died become unknown, and e-mails of sendable
    polls that are queued in the database but whose task is gone (Redis lost its queue) are
    queued again: those queued longer ago than INVITATION_REQUEUE_AFTER, or, right after beat
    starts, all of them."""
    expired = leases_expire()
    stale_after = 0 if after_restart else settings.INVITATION_REQUEUE_AFTER
    requeued = 0
    with transaction.atomic():
        for poll in Poll.objects.filter(state=Poll.State.OPEN):
            requeued += unsent_requeue(poll=poll, stale_after=stale_after)
    return expired + requeued + plans_run()


def plans_run() -> int:
    """Run the field plans' steps whose time has come (each once: the claim and the queuing
    commit together); returns the number of e-mails queued."""
    queued = 0
    for plan in plans_due():
        with transaction.atomic():
            step = plan_step_claim(plan=plan)
            if step is None:
                continue  # another tick took it first
            if step == 0:
                for draw in plan.draws.all():
                    invitations_create(poll=plan.poll, draw=draw)
            now_queued = invitations_queue(poll=plan.poll, step=step, rate=plan.rate_per_minute)
            record(
                "field plan",
                "reminders.send" if step else "invitations.send",
                target=plan.poll.slug,
                step=step,
                queued=now_queued,
            )
            queued += now_queued
            log.info(
                "Field plan of %s: step %s, %s e-mails queued", plan.poll.slug, step, now_queued
            )
    return queued


@beat_init.connect
def _requeue_after_restart(**_kwargs) -> None:
    # Beat (re)started, perhaps with Redis: whatever the database says is still to be sent is
    # queued once more.
    field_work_tick.delay(after_restart=True)
