"""Thin Celery tasks over the field work services. The names are explicit, so queued tasks and
the beat schedule (config/settings.py) keep working wherever the code behind them moves."""

import smtplib

from celery import shared_task

from .fieldwork.closing import polls_close_due
from .fieldwork.sending import invitation_batch_send


@shared_task(
    name="polls.tasks.send_invitation_batch", bind=True, max_retries=5, default_retry_delay=30
)
def send_invitation_batch(self, invitation_ids: list[int]) -> int:
    try:
        return invitation_batch_send(invitation_ids)
    except (OSError, smtplib.SMTPException) as exc:
        raise self.retry(exc=exc) from exc


@shared_task(name="polls.tasks.close_due_polls")
def close_due_polls() -> int:
    return polls_close_due()
