"""What polls holds about a member, and its part of their erasure (docs/privacy.md).

- `invitations_scrub`: the receiver of `respondents.privacy.member_erased`. The member's
  invitations keep their poll and times (the response rate stays right) and lose their link
  tokens and last error (an SMTP error may quote the address); in a poll not yet finished the
  unanswered ones become "opted out", as after an opt-out, so nothing more is sent; their
  drafts, answers in progress tied to the invitation, are deleted.
- `retention_due` / `retention_apply`: the retention rule. Members whose every invitation
  belongs to a poll closed more than `PERSONAL_DATA_RETENTION_MONTHS` ago, and who are in no
  poll still to come or running (by invitation or through a field plan's sample), are erased.
- `member_access_report`: everything held about one member (GDPR Art. 15), as a dict ready
  for JSON. Responses are not in it: nothing links a response to its member.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from respondents.draws import months_before
from respondents.models import Member
from respondents.privacy import Reason, member_erase, member_erased
from staff.audit import record
from staff.models import AuditEntry

from .models import Draft, Invitation, Poll

# A poll in one of these states, closed before the cutoff, needs its members' data no more.
_FINISHED = (Poll.State.CLOSED, Poll.State.ARCHIVED)
RETENTION_ACTOR = "retention"
# What an erasure stops in a poll that is not finished: everything not yet answered.
_STOPPABLE = (
    Invitation.Status.QUEUED,
    Invitation.Status.FAILED,
    Invitation.Status.UNKNOWN,
    Invitation.Status.SENT,
    Invitation.Status.STARTED,
)


@receiver(member_erased, dispatch_uid="polls.privacy.invitations_scrub")
def invitations_scrub(
    sender: Any, *, member: Member, attributes: dict[str, Any], **_kwargs: Any
) -> dict[str, int]:
    invitations = Invitation.objects.filter(sample_member__member=member)
    _erased_invited_count(invitations, attributes)
    drafts, _by_model = Draft.objects.filter(invitation__in=invitations).delete()
    # In a poll still running or to come, the erasure stops everything an opt-out stops
    # (polls.fieldwork.optouts); a finished poll's field figures stay as they were.
    stopped = invitations.exclude(poll__state__in=_FINISHED).filter(status__in=_STOPPABLE)
    opted_out = stopped.update(status=Invitation.Status.OPTED_OUT, queued_at=None)
    scrubbed = invitations.update(
        token_hash=None, reminder_token_hash=None, error="", lease_until=None
    )
    return {"invitations": scrubbed, "drafts": drafts, "stopped": opted_out}


def _erased_invited_count(invitations: QuerySet[Invitation], attributes: dict[str, Any]) -> None:
    """Add the member's values to the tally of each poll they were invited to, so that the
    results' count of the invited per value stays right without their row saying it."""
    poll_ids = sorted(set(invitations.values_list("poll_id", flat=True)))
    for poll in Poll.objects.select_for_update().filter(pk__in=poll_ids).order_by("pk"):
        tally = {name: dict(values) for name, values in (poll.erased_invited or {}).items()}
        for name, value in attributes.items():
            text = "" if value is None else str(value)
            tally.setdefault(name, {})[text] = tally.get(name, {}).get(text, 0) + 1
        Poll.objects.filter(pk=poll.pk).update(erased_invited=tally)


def retention_months() -> int:
    return int(getattr(settings, "PERSONAL_DATA_RETENTION_MONTHS", 0) or 0)


def retention_due(*, months: int, now: datetime.datetime | None = None) -> QuerySet[Member]:
    """Members not yet erased who were invited to a poll, all of whose polls closed more than
    `months` months before `now`, and who are in no other poll (invited, or in a sample that a
    field plan of an unfinished poll will invite)."""
    cutoff = months_before(now or timezone.now(), months)
    unfinished = Poll.objects.exclude(
        state__in=_FINISHED, closes_at__isnull=False, closes_at__lt=cutoff
    )
    busy = Member.objects.filter(
        Q(samplings__invitations__poll__in=unfinished)
        | Q(samplings__draw__field_plans__poll__in=unfinished)
    )
    return (
        Member.objects.exclude(status=Member.Status.ERASED)
        .filter(samplings__invitations__isnull=False)
        .exclude(pk__in=busy.values("pk"))
        .distinct()
        .select_related("register")
        .order_by("register__name", "pk")
    )


def retention_apply(
    *, months: int | None = None, now: datetime.datetime | None = None, dry_run: bool = False
) -> list[Member]:
    """Erase the members `retention_due` names (each in its own transaction, audited with the
    reason "retention"); with `dry_run`, only list them. Nothing when the rule is off (0)."""
    months = retention_months() if months is None else months
    if months <= 0:
        return []
    due = list(retention_due(months=months, now=now))
    if dry_run:
        return due
    erased = [m for m in due if member_erase(member=m, by=RETENTION_ACTOR, reason=Reason.RETENTION)]
    if erased:
        with transaction.atomic():
            record(RETENTION_ACTOR, "retention.apply", target="", months=months, erased=len(erased))
    return erased


def _time(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value else None


def member_access_report(*, member: Member) -> dict[str, Any]:
    """Everything held about the member: the register's row, their samplings, invitations
    (with any draft), and the audit entries that name them."""
    samplings = member.samplings.select_related("draw").order_by("draw__created_at")
    invitations = (
        Invitation.objects.filter(sample_member__member=member)
        .select_related("poll", "sample_member__draw")
        .order_by("pk")
    )
    drafts = {d.invitation_id: d for d in Draft.objects.filter(invitation__in=invitations)}
    audit = AuditEntry.objects.filter(details__member=member.pk).order_by("at", "id")
    return {
        "generated_at": timezone.now().isoformat(),
        "member": {
            "id": member.pk,
            "register": member.register.name,
            "membership_number": member.number,
            "email": member.email,
            "attributes": member.attributes,
            "status": member.status,
            "opted_out_at": _time(member.opted_out_at),
            "bounced_at": _time(member.bounced_at),
            "erased_at": _time(member.erased_at),
        },
        "registers": [member.register.name],
        "samplings": [
            {
                "draw": s.draw.name,
                "drawn_at": _time(s.draw.created_at),
                "stratum": s.stratum,
                "inclusion_probability": s.inclusion_probability,
            }
            for s in samplings
        ],
        "invitations": [
            {
                "poll": i.poll.slug,
                "poll_title": i.poll.title_sv,
                "sample": i.sample_member.draw.name,
                "status": i.status,
                "status_label": str(i.get_status_display()),
                "sent_at": _time(i.sent_at),
                "reminders_sent": i.reminders_sent,
                "reminded_at": _time(i.reminded_at),
                "opened": i.status in (Invitation.Status.STARTED, Invitation.Status.COMPLETED),
                "answered": i.status == Invitation.Status.COMPLETED,
                "opted_out": i.status == Invitation.Status.OPTED_OUT,
                "bounced": i.status == Invitation.Status.BOUNCED,
                "last_error": i.error,
                "draft": (
                    {
                        "updated_at": _time(drafts[i.pk].updated_at),
                        "page": drafts[i.pk].current_section,
                        "answers_in_progress": drafts[i.pk].data,
                    }
                    if i.pk in drafts
                    else None
                ),
            }
            for i in invitations
        ],
        "audit": [
            {
                "at": _time(e.at),
                "action": e.action,
                "by": e.actor_name,
                "object": e.target,
                "details": e.details,
            }
            for e in audit
        ],
        "answers": str(ANONYMITY_STATEMENT),
    }


# Said to the member in their language (Swedish by default).
ANONYMITY_STATEMENT = _(
    "Your submitted answers are stored anonymously: without any link to you, your membership "
    "number, your e-mail address or your invitation, and they cannot be traced back to you. "
    "That is why they are not in this extract: it shows only whether you answered, not what "
    "you answered. Answers you have started but not submitted (a draft) are tied to your "
    "invitation and are shown above until the poll closes or you submit them."
)
