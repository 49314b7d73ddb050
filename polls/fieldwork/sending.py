"""Inviting a sample to a poll: invitation rows first, then e-mails in batches by Celery.

Exactly once, or visibly not (docs/fieldwork.md): a worker claims a whole batch in one
statement (status queued -> sending, with a lease and the hash of each fresh token), sends, and
marks what went out in one statement. An e-mail whose worker died while it held it is never
sent again on its own: when the lease runs out, `leases_expire` marks it "unknown: check
before resending", and the admin decides. The project leans at-most-once: a member who gets
two personal links to one poll is a worse failure, and a less visible one, than a member the
field page shows as unknown.

Reminders go through the same machinery (`step` 1, 2, ...): each carries a link of its own
(`Invitation.reminder_token_hash`), so the invitation's link keeps working beside it.
"""

from __future__ import annotations

import datetime
import json
import logging
import secrets
import smtplib
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.db import connection
from django.db.models import Max, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from respondents.models import Member, SampleDraw

from ..models import Invitation, Poll, hash_token
from .emails import EmailTemplate, email_template
from .mould import Mould

log = logging.getLogger(__name__)

OPT_OUT_SALT = "medlemsrost.opt-out"
# E-mails go out for open polls only. A scheduled poll is an open one whose opening time is
# still ahead (polls/fieldwork/opening.py): its invitations may precede its opening, and its
# links say it has not opened yet.
SENDABLE_STATES = (Poll.State.OPEN,)


class NotSendable(Exception):
    """The poll may not be sent to (a draft, closed or archived poll); the message says why."""


def poll_check_sendable(poll: Poll, now: datetime.datetime | None = None) -> None:
    now = now or timezone.now()
    if poll.state not in SENDABLE_STATES:
        raise NotSendable(
            _(
                "The poll “%(poll)s” is %(state)s: invitations go out only for an open or "
                "scheduled poll."
            )
            % {"poll": poll.slug, "state": poll.get_state_display()}
        )
    if poll.closes_at and poll.closes_at <= now:
        raise NotSendable(
            _("The poll “%(poll)s” has closed: nothing more is sent.") % {"poll": poll.slug}
        )


def answer_url(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('answer', args=[token])}"


def opt_out_token(invitation_id: int) -> str:
    return signing.dumps(invitation_id, salt=OPT_OUT_SALT, compress=True)


def opt_out_invitation_id(token: str) -> int | None:
    try:
        value = signing.loads(token, salt=OPT_OUT_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def opt_out_url(invitation_id: int) -> str:
    return f"{settings.SITE_URL}{reverse('opt-out', args=[opt_out_token(invitation_id)])}"


def invitations_create(*, poll: Poll, draw: SampleDraw) -> int:
    """One queued invitation per reachable sampled member; members already invited, and those
    who opted out, bounced, left or have no e-mail, are left alone (the field page counts
    them as unreachable)."""
    existing = set(
        Invitation.objects.filter(poll=poll, sample_member__draw=draw).values_list(
            "sample_member_id", flat=True
        )
    )
    reachable = draw.members.filter(member__status=Member.Status.ACTIVE).exclude(member__email="")
    new = [
        Invitation(poll=poll, sample_member_id=sm_id)
        for sm_id in reachable.values_list("id", flat=True)
        if sm_id not in existing
    ]
    Invitation.objects.bulk_create(new, batch_size=5000, ignore_conflicts=True)
    return len(new)


def _due(step: int, poll: Poll) -> Q:
    """The invitations of `poll` that `step` (0 the invitation, n the n-th reminder) would
    send to."""
    if step == 0:
        return Q(poll=poll, status=Invitation.Status.QUEUED)
    return Q(
        poll=poll,
        status__in=Invitation.REMINDABLE,
        reminders_sent=step - 1,
        reminder_sending__isnull=True,
        sample_member__member__status=Member.Status.ACTIVE,
    )


def due_for_reminder(*, poll: Poll, step: int) -> QuerySet[Invitation]:
    """Who reminder `step` goes to: invited, not completed, opted out or bounced."""
    return Invitation.objects.filter(_due(step, poll))


def next_reminder_step(*, poll: Poll) -> int:
    """The number of the poll's next reminder (1 for the first)."""
    return (poll.invitations.aggregate(n=Max("reminders_sent"))["n"] or 0) + 1


def batch_delay(index: int, *, size: int, rate: int | None) -> int:
    """Seconds from now at which batch `index` (of `size` e-mails) may go, so that no more than
    `rate` e-mails go out a minute on average (all at once without a rate)."""
    if not rate:
        return 0
    return (index * size * 60) // rate


def batch_size(rate: int | None) -> int:
    """Batches no larger than a minute's worth at the plan's rate."""
    size: int = settings.INVITATION_BATCH_SIZE
    return min(size, rate) if rate else size


def invitation_batches(
    *,
    poll: Poll,
    step: int = 0,
    limit: int | None = None,
    stale_after: int | None = None,
    rate: int | None = None,
) -> list[list[int]]:
    """The ids `step` has still to send to, in batches (of INVITATION_BATCH_SIZE, or a minute's
    worth at `rate`), one task each (`polls.tasks.invitations_queue` puts them on the queue, the
    n-th `batch_delay` seconds from now), at most `limit` of them. Marks them as queued at the
    time their batch is to go. With `stale_after` (seconds), only those that were queued before,
    longer ago than that (their task was lost with Redis, say): never-queued ones wait for the
    plan."""
    due = Invitation.objects.filter(_due(step, poll))
    now = timezone.now()
    if stale_after is not None:
        cutoff = now - datetime.timedelta(seconds=stale_after)
        due = due.filter(queued_at__lt=cutoff)
    ids = list(due.order_by("id").values_list("id", flat=True)[:limit])
    size = batch_size(rate)
    batches = [ids[i : i + size] for i in range(0, len(ids), size)]
    if rate:
        # Queued at the time the batch goes: the requeue of lost tasks counts from then.
        for index, batch in enumerate(batches):
            at = now + datetime.timedelta(seconds=batch_delay(index, size=size, rate=rate))
            Invitation.objects.filter(pk__in=batch).update(queued_at=at)
        return batches
    for start in range(0, len(ids), 5000):
        Invitation.objects.filter(pk__in=ids[start : start + 5000]).update(queued_at=now)
    return batches


# --- the worker's side ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    id: int
    poll_id: int
    email: str
    token: str


def _claim_sql_postgresql(step: int) -> str:
    if step == 0:
        claim = "status = 'sending', token_hash = v.hash"
        due = "i.status = 'queued'"
    else:
        claim = "reminder_sending = %(step)s, reminder_token_hash = v.hash"
        due = (
            "i.status IN ('sent', 'started') AND i.reminders_sent = %(step)s - 1 "
            "AND i.reminder_sending IS NULL"
        )
    return (
        f"UPDATE polls_invitation AS i SET {claim}, lease_until = %(lease)s "
        "FROM unnest(%(ids)s::bigint[], %(hashes)s::text[]) AS v(id, hash), "
        "respondents_samplemember AS sm, respondents_member AS m, polls_poll AS p "
        f"WHERE i.id = v.id AND {due} "
        "AND sm.id = i.sample_member_id AND m.id = sm.member_id "
        "AND m.status = 'active' AND m.email <> '' "
        "AND p.id = i.poll_id AND p.state = 'open' "
        "AND (p.closes_at IS NULL OR p.closes_at > %(now)s) "
        "RETURNING i.id, i.poll_id, m.email, v.hash"
    )


def _claim_sql_sqlite(step: int) -> str:
    # SQLite's RETURNING may not name the tables of an UPDATE ... FROM, so the addresses come
    # in a second statement; SQLite has one writer at a time, so the claim is as safe.
    if step == 0:
        claim = "status = 'sending', token_hash = json_extract(%(hashes)s, '$.\"' || id || '\"')"
        due = "status = 'queued'"
    else:
        claim = (
            "reminder_sending = %(step)s, "
            "reminder_token_hash = json_extract(%(hashes)s, '$.\"' || id || '\"')"
        )
        due = (
            "status IN ('sent', 'started') AND reminders_sent = %(step)s - 1 "
            "AND reminder_sending IS NULL"
        )
    return (
        f"UPDATE polls_invitation SET {claim}, lease_until = %(lease)s "
        f"WHERE id IN (SELECT value FROM json_each(%(ids)s)) AND {due} "
        "AND sample_member_id IN (SELECT sm.id FROM respondents_samplemember sm "
        "JOIN respondents_member m ON m.id = sm.member_id "
        "WHERE m.status = 'active' AND m.email <> '') "
        "AND poll_id IN (SELECT id FROM polls_poll WHERE state = 'open' "
        "AND (closes_at IS NULL OR closes_at > %(now)s)) "
        "RETURNING id, poll_id, sample_member_id"
    )


def batch_claim(invitation_ids: list[int], *, step: int = 0) -> list[Claimed]:
    """Claim the batch's e-mails that are still to be sent, with a lease and the hash of a fresh
    token each, in one statement; returns what this worker now holds (nothing when another
    worker claimed the batch first)."""
    if not invitation_ids:
        return []
    now = timezone.now()
    lease = now + datetime.timedelta(seconds=settings.INVITATION_LEASE_SECONDS)
    tokens = {pk: secrets.token_urlsafe(16) for pk in invitation_ids}
    hashes = {pk: hash_token(token) for pk, token in tokens.items()}
    # One statement is atomic on its own: no transaction (and no savepoint round trips).
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            ids = list(hashes)
            cursor.execute(
                _claim_sql_postgresql(step),
                {
                    "ids": ids,
                    "hashes": [hashes[pk] for pk in ids],
                    "lease": lease,
                    "now": now,
                    "step": step,
                },
            )
            rows = cursor.fetchall()
            return [Claimed(pk, poll_id, email, tokens[pk]) for pk, poll_id, email, _h in rows]
        cursor.execute(
            _claim_sql_sqlite(step),
            {
                "ids": json.dumps(list(hashes)),
                "hashes": json.dumps(hashes),
                "lease": lease,
                "now": now,
                "step": step,
            },
        )
        rows = cursor.fetchall()
    addresses = dict(
        Member.objects.filter(samplings__id__in=[sm for _i, _p, sm in rows]).values_list(
            "samplings__id", "email"
        )
    )
    return [Claimed(pk, poll_id, addresses[sm], tokens[pk]) for pk, poll_id, sm in rows]


def invitation_message(
    template: EmailTemplate, *, email: str, link: str, opt_out: str, reply_to: str
) -> EmailMultiAlternatives:
    """One member's e-mail: plain text with an HTML alternative, and one-click unsubscribe
    headers (RFC 8058)."""
    subject, text, html = template.render(link=link, opt_out=opt_out)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[email],
        reply_to=[reply_to],
        headers={
            "List-Unsubscribe": f"<{opt_out}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def _sender(smtp: BaseEmailBackend, template: EmailTemplate, reply_to: str) -> Callable[..., None]:
    """send(email=, link=, opt_out=) for the messages of one poll and step in a batch: over
    SMTP from a `Mould` (the message serialised once, each member's by replacements), else,
    and for a member whose message the mould cannot make, built and sent the usual way."""

    def make(*, email: str, link: str, opt_out: str) -> EmailMultiAlternatives:
        return invitation_message(
            template, email=email, link=link, opt_out=opt_out, reply_to=reply_to
        )

    mould = Mould(make) if isinstance(smtp, SmtpBackend) else None

    def send(*, email: str, link: str, opt_out: str) -> None:
        raw = mould.render(email=email, link=link, opt_out=opt_out) if mould else None
        if raw is None:
            message = make(email=email, link=link, opt_out=opt_out)
            message.connection = smtp
            message.send()
            return
        assert isinstance(smtp, SmtpBackend) and mould is not None and smtp.connection
        smtp.connection.sendmail(mould.from_email, [email], raw)

    return send


def _release(ids: list[int], step: int) -> None:
    """Give back e-mails that certainly did not go out, for the retry to send."""
    if not ids:
        return
    if step == 0:
        Invitation.objects.filter(pk__in=ids, status=Invitation.Status.SENDING).update(
            status=Invitation.Status.QUEUED, token_hash=None, lease_until=None
        )
    else:
        Invitation.objects.filter(pk__in=ids, reminder_sending=step).update(
            reminder_sending=None, reminder_token_hash=None, lease_until=None
        )


def _mark_sent(ids: list[int], step: int) -> None:
    if not ids:
        return
    now = timezone.now()
    if step == 0:
        Invitation.objects.filter(pk__in=ids, status=Invitation.Status.SENDING).update(
            status=Invitation.Status.SENT, sent_at=now, lease_until=None, error=""
        )
    else:
        Invitation.objects.filter(pk__in=ids, reminder_sending=step).update(
            reminders_sent=step, reminder_sending=None, reminded_at=now, lease_until=None
        )


def _mark_failed(invitation_id: int, step: int, reason: str) -> None:
    reason = reason[:300]
    if step == 0:
        Invitation.objects.filter(pk=invitation_id, status=Invitation.Status.SENDING).update(
            status=Invitation.Status.FAILED, token_hash=None, lease_until=None, error=reason
        )
    else:
        Invitation.objects.filter(pk=invitation_id, reminder_sending=step).update(
            reminders_sent=step,
            reminder_sending=None,
            reminder_token_hash=None,
            lease_until=None,
            error=_("Reminder %(n)s: %(reason)s") % {"n": step, "reason": reason},
        )


def _mark_unknown(invitation_id: int, step: int, reason: str) -> None:
    if step == 0:
        Invitation.objects.filter(pk=invitation_id, status=Invitation.Status.SENDING).update(
            status=Invitation.Status.UNKNOWN, lease_until=None, error=reason[:300]
        )
    else:
        # A reminder that may have gone out counts as sent: the next one follows in days.
        _mark_sent([invitation_id], step)


class Transient(Exception):
    """The SMTP server is unreachable or said "try later"; what was not sent is released."""


def invitation_batch_send(invitation_ids: list[int], *, step: int = 0) -> int:
    """Send the e-mails of a batch; returns how many went out.

    The connection is opened before anything is claimed, so an unreachable server claims
    nothing. The token is made here, at the moment of sending, so it never travels through the
    broker and exists only in the e-mail. A permanent refusal (5xx) marks that e-mail failed
    with the server's reason; a temporary one (4xx) or a lost connection gives back what was
    not sent and raises `Transient`, for the task to retry with backoff. When the connection
    breaks in the middle of an e-mail, that one is marked unknown: it may have been delivered.
    """
    with get_connection() as smtp:
        claimed = batch_claim(invitation_ids, step=step)
        polls = Poll.objects.in_bulk({c.poll_id for c in claimed})
        # The e-mail is made once per poll of the batch; each member's is a few replacements.
        senders = {
            pk: _sender(smtp, email_template(poll, step=step), poll.contact_email)
            for pk, poll in polls.items()
        }
        sent: list[int] = []
        try:
            for position, item in enumerate(claimed):
                try:
                    senders[item.poll_id](
                        email=item.email, link=answer_url(item.token), opt_out=opt_out_url(item.id)
                    )
                except smtplib.SMTPResponseException as exc:
                    if exc.smtp_code >= 500:
                        log.warning("E-mail %s (step %s) refused: %s", item.id, step, exc)
                        _mark_failed(item.id, step, _smtp_reason(exc))
                        continue
                    _release([c.id for c in claimed[position:]], step)
                    raise Transient(_smtp_reason(exc)) from exc
                except smtplib.SMTPRecipientsRefused as exc:
                    _mark_failed(item.id, step, _refused_reason(exc))
                    continue
                except (OSError, smtplib.SMTPException) as exc:
                    _mark_unknown(
                        item.id, step, _("The connection broke while sending: %(e)s") % {"e": exc}
                    )
                    _release([c.id for c in claimed[position + 1 :]], step)
                    raise Transient(str(exc)) from exc
                sent.append(item.id)
        finally:
            _mark_sent(sent, step)
    return len(sent)


def _smtp_reason(exc: smtplib.SMTPResponseException) -> str:
    text = (
        exc.smtp_error.decode(errors="replace")
        if isinstance(exc.smtp_error, bytes)
        else str(exc.smtp_error)
    )
    return f"{exc.smtp_code} {text}"


def _refused_reason(exc: smtplib.SMTPRecipientsRefused) -> str:
    return "; ".join(
        f"{code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
        for code, msg in exc.recipients.values()
    )


def batch_give_up(invitation_ids: list[int], *, step: int = 0, reason: str) -> int:
    """After the last retry: the batch's e-mails still waiting are marked failed with the
    reason (an admin can send them again from the field page)."""
    reason = (_("Not sent after several attempts: %(reason)s") % {"reason": reason})[:300]
    if step == 0:
        return Invitation.objects.filter(
            pk__in=invitation_ids, status=Invitation.Status.QUEUED
        ).update(status=Invitation.Status.FAILED, error=reason)
    return 0  # a reminder not sent is simply not sent; the next step follows


def leases_expire(now: datetime.datetime | None = None) -> int:
    """E-mails held by a worker past their lease (the worker died): at-most-once, so the
    invitation becomes "unknown: check before resending" and a reminder counts as sent."""
    now = now or timezone.now()
    reason = _("The worker stopped while sending: it may have gone out. Check before resending.")
    expired = Invitation.objects.filter(lease_until__lt=now)
    unknown = expired.filter(status=Invitation.Status.SENDING).update(
        status=Invitation.Status.UNKNOWN, lease_until=None, error=reason
    )
    reminders = 0
    for step in (
        expired.filter(reminder_sending__isnull=False)
        .values_list("reminder_sending", flat=True)
        .distinct()
    ):
        reminders += expired.filter(reminder_sending=step).update(
            reminders_sent=step, reminder_sending=None, reminded_at=now, lease_until=None
        )
    return unknown + reminders


def invitations_send_again(*, poll: Poll, ids: list[int] | None = None) -> int:
    """An admin's decision: failed (and, when named, unknown) invitations go back in the queue."""
    again = Invitation.objects.filter(poll=poll)
    if ids is None:
        again = again.filter(status=Invitation.Status.FAILED)
    else:
        again = again.filter(
            pk__in=ids, status__in=[Invitation.Status.FAILED, Invitation.Status.UNKNOWN]
        )
    return again.update(status=Invitation.Status.QUEUED, token_hash=None, error="", queued_at=None)
