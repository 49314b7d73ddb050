"""Members who must not be e-mailed again: those who opted out and those whose address bounced.

Both are kept in their own timestamps beside the status, so a later import (which may mark a
member as having left and then back again) never makes them reachable again by mistake; a
bounced member becomes reachable again only when an import brings a different address.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db.models.functions import Lower
from django.utils import timezone

from .models import Member


def member_opt_out(*, member: Member) -> bool:
    """Opt the member out of every poll of their register; False if they already were."""
    return bool(
        Member.objects.filter(pk=member.pk, opted_out_at__isnull=True).update(
            opted_out_at=timezone.now(), status=Member.Status.OPTED_OUT
        )
    )


def members_bounce(*, addresses: Iterable[str], register_id: int | None = None) -> list[int]:
    """Mark the members with these addresses bounced; returns their ids (also those already
    bounced, so the caller can mark their invitations)."""
    wanted = {a.strip().lower() for a in addresses if a and "@" in a}
    if not wanted:
        return []
    members = Member.objects.annotate(address=Lower("email")).filter(address__in=sorted(wanted))
    if register_id is not None:
        members = members.filter(register_id=register_id)
    ids = list(members.values_list("pk", flat=True))
    now = timezone.now()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        Member.objects.filter(pk__in=chunk, bounced_at__isnull=True).update(bounced_at=now)
        Member.objects.filter(pk__in=chunk, status=Member.Status.ACTIVE).update(
            status=Member.Status.BOUNCED
        )
    return ids


def parse_addresses(text: str) -> list[str]:
    """Addresses from an uploaded list: one a line, or separated by commas, semicolons or
    blanks; anything without an @ (a header line, say) is skipped."""
    return [word for word in re.split(r"[\s,;]+", text) if "@" in word]
