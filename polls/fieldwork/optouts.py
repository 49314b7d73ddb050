"""A member's opt-out (from the e-mail's link) and bounces (an uploaded list, or the mail
provider's webhook): the member is marked in the register, and nothing more goes out to them
from any poll of that register."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from respondents.models import Member
from respondents.optouts import member_opt_out, members_bounce

from ..models import Invitation, Poll

# Invitations that are not yet, or no longer, of any use to send to.
_PENDING = (
    Invitation.Status.QUEUED,
    Invitation.Status.FAILED,
    Invitation.Status.UNKNOWN,
)


@transaction.atomic
def invitation_opt_out(*, invitation_id: int) -> Invitation | None:
    """Opt out the member of this invitation (idempotent); None for an unknown invitation.
    Their unanswered invitations of every poll become "opted out", a completed one stays."""
    invitation = (
        Invitation.objects.select_related("poll", "sample_member__member")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:
        return None
    member = invitation.sample_member.member
    member_opt_out(member=member)
    Invitation.objects.filter(
        sample_member__member=member,
        status__in=[*_PENDING, Invitation.Status.SENT, Invitation.Status.STARTED],
    ).update(status=Invitation.Status.OPTED_OUT, queued_at=None)
    return invitation


@transaction.atomic
def bounces_record(*, addresses: Iterable[str], poll: Poll | None = None) -> int:
    """Mark the members with these addresses bounced (within the poll's register, or in every
    register for the provider's webhook) and their invitations that have not been answered;
    returns how many members were found."""
    register_id = poll.register_id if poll is not None else None
    ids = members_bounce(addresses=addresses, register_id=register_id)
    for start in range(0, len(ids), 500):
        Invitation.objects.filter(
            sample_member__member_id__in=ids[start : start + 500],
            status__in=[*_PENDING, Invitation.Status.SENT],
        ).update(status=Invitation.Status.BOUNCED, queued_at=None)
    return len(ids)


def member_is_reachable(member: Member) -> bool:
    return member.status == Member.Status.ACTIVE and bool(member.email)
