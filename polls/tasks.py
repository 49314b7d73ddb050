"""Thin Celery tasks over the domain modules, and the functions that queue them.

Domain modules never import this one (tasks import the domain, so the other way round would be
an import circle): they return what is to be done, and the caller (a view or a command) queues
it here, after the transaction that made the rows commits. Chosen over sending tasks by name
(`send_task`, which ignores eager mode and checks no name) and over passing a queue function
into the domain (one more argument on every service for what is the caller's business).
"""

import smtplib
from functools import partial

from celery import shared_task
from django.db import transaction

from .fieldwork.closing import polls_close_due
from .fieldwork.sending import invitation_batch_send, invitation_batches
from .models import Poll


@shared_task(
    name="polls.tasks.send_invitation_batch", bind=True, max_retries=5, default_retry_delay=30
)
def send_invitation_batch(self, invitation_ids: list[int]) -> int:
    try:
        return invitation_batch_send(invitation_ids)
    except (OSError, smtplib.SMTPException) as exc:
        raise self.retry(exc=exc) from exc


def invitations_queue(*, poll: Poll) -> int:
    """Queue the poll's unsent invitations for sending, one task per batch, once the current
    transaction commits; returns the number of batches."""
    batches = invitation_batches(poll=poll)
    for batch in batches:
        transaction.on_commit(partial(send_invitation_batch.delay, batch))
    return len(batches)


@shared_task(name="polls.tasks.close_due_polls")
def close_due_polls() -> int:
    return polls_close_due()
