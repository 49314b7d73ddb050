"""Inviting a sample to a poll: invitation rows first, then e-mails in batches by Celery."""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from respondents.models import SampleDraw

from ..models import Invitation, Poll

log = logging.getLogger(__name__)


def answer_url(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('answer', args=[token])}"


def invitations_create(*, poll: Poll, draw: SampleDraw) -> int:
    """One queued invitation per sampled member; members already invited are left alone."""
    existing = set(
        Invitation.objects.filter(poll=poll, sample_member__draw=draw).values_list(
            "sample_member_id", flat=True
        )
    )
    new = [
        Invitation(poll=poll, sample_member_id=sm_id)
        for sm_id in draw.members.values_list("id", flat=True)
        if sm_id not in existing
    ]
    Invitation.objects.bulk_create(new, batch_size=5000, ignore_conflicts=True)
    return len(new)


def invitation_batches(*, poll: Poll) -> list[list[int]]:
    """The poll's unsent invitations in batches of INVITATION_BATCH_SIZE ids, one e-mail task
    each (`polls.tasks.invitations_queue` puts them on the queue)."""
    ids = list(
        Invitation.objects.filter(poll=poll, status=Invitation.Status.QUEUED)
        .order_by("id")
        .values_list("id", flat=True)
    )
    size = settings.INVITATION_BATCH_SIZE
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def invitation_message(invitation: Invitation, token: str) -> EmailMultiAlternatives:
    member = invitation.sample_member.member
    poll = invitation.poll
    # Invitations go out in Swedish with an English summary: we do not know a member's language.
    with translation.override("sv"):
        context = {"poll": poll, "url": answer_url(token), "closes_at": poll.closes_at}
        subject = render_to_string("polls/email/invitation_subject.txt", context).strip()
        body = render_to_string("polls/email/invitation.txt", context)
    return EmailMultiAlternatives(
        subject=subject,
        body=body,
        to=[member.email],
        reply_to=[poll.contact_email],
    )


def invitation_batch_send(invitation_ids: list[int]) -> int:
    """Send the e-mails of a batch; returns how many went out.

    Each invitation is claimed with a conditional update, so a batch that runs twice (a retried
    or duplicated task) sends nothing twice. The token is made here, at the moment of sending,
    so it never travels through the broker and exists only in the e-mail.
    """
    sent = 0
    with get_connection() as connection:
        for invitation_id in invitation_ids:
            claimed = Invitation.objects.filter(
                pk=invitation_id, status=Invitation.Status.QUEUED
            ).update(status=Invitation.Status.SENDING)
            if not claimed:
                continue  # already sent, or another worker claimed it first
            invitation = Invitation.objects.select_related("poll", "sample_member__member").get(
                pk=invitation_id
            )
            token = invitation.issue_token()
            invitation.save(update_fields=["token_hash"])
            message = invitation_message(invitation, token)
            message.connection = connection
            try:
                message.send()
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as exc:
                log.warning("Invitation %s refused: %s", invitation_id, exc)
                Invitation.objects.filter(pk=invitation_id).update(
                    status=Invitation.Status.FAILED, token_hash=None, error=str(exc)[:300]
                )
                continue
            except Exception:
                # The server went away: put the invitation back so the retry sends it.
                Invitation.objects.filter(pk=invitation_id).update(
                    status=Invitation.Status.QUEUED, token_hash=None
                )
                raise
            Invitation.objects.filter(pk=invitation_id).update(
                status=Invitation.Status.SENT, sent_at=timezone.now(), error=""
            )
            sent += 1
    return sent
