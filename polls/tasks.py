import smtplib

from celery import shared_task

from .fieldwork.closing import polls_close_due
from .fieldwork.sending import invitation_batch_send


@shared_task(bind=True, max_retries=5, default_retry_delay=30)
def send_invitation_batch(self, invitation_ids: list[int]) -> int:
    try:
        return invitation_batch_send(invitation_ids)
    except (OSError, smtplib.SMTPException) as exc:
        raise self.retry(exc=exc) from exc


@shared_task
def close_due_polls() -> int:
    return polls_close_due()
