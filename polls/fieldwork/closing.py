"""Opening and closing the field period."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..models import Draft, Poll


@transaction.atomic
def poll_close(*, poll: Poll) -> bool:
    """Close the poll to answers and delete the unfinished drafts: once nobody can submit, a
    draft would only keep answers tied to an invitation, so they go. Returns False when the poll
    was not open."""
    closed = Poll.objects.filter(pk=poll.pk, state=Poll.State.OPEN).update(
        state=Poll.State.CLOSED, closes_at=timezone.now()
    )
    Draft.objects.filter(invitation__poll=poll).delete()
    poll.refresh_from_db(fields=["state", "closes_at"])
    return bool(closed)


def polls_close_due(now: datetime | None = None) -> int:
    """Close every open poll whose closing time has passed (run by Celery beat)."""
    now = now or timezone.now()
    due = Poll.objects.filter(state=Poll.State.OPEN, closes_at__lte=now)
    return sum(poll_close(poll=poll) for poll in due)
