"""Opening the field period (closing: `closing.py`).

The states a poll moves through from the studio:

    draft --poll_open--> open (or scheduled: open with an opening time still ahead)
    open  --poll_close--> closed

Poll.State has no state of its own for "scheduled": a poll that is open with `opens_at` in the
future is scheduled (`poll_is_scheduled`), and `Poll.is_accepting_answers` already refuses
answers until then. Every other move is refused with a message for the editor.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ..models import Poll


class TransitionRefused(Exception):
    """A state change the poll cannot make now; the message says why, for the editor."""


def poll_is_scheduled(poll: Poll, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return poll.state == Poll.State.OPEN and bool(poll.opens_at and poll.opens_at > now)


def poll_open(
    *,
    poll: Poll,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    now: datetime | None = None,
) -> str:
    """Open a draft poll for answers with its field dates: now, or at `opens_at` when that is
    in the future (then it is scheduled). Returns "open" or "scheduled". Refuses a poll that is
    not a draft, one without questions, and dates that end the field period before it starts
    or in the past."""
    now = now or timezone.now()
    if poll.state != Poll.State.DRAFT:
        if poll.state == Poll.State.OPEN:
            raise TransitionRefused(_("The poll is already open."))
        raise TransitionRefused(
            _("Only a draft poll can be opened; this poll is %(state)s.")
            % {"state": poll.get_state_display()}
        )
    if not poll.questions.exists():
        raise TransitionRefused(_("The poll has no questions: add at least one before opening."))
    if closes_at is not None:
        if closes_at <= now:
            raise TransitionRefused(_("The closing time has already passed."))
        if opens_at is not None and closes_at <= opens_at:
            raise TransitionRefused(_("The poll must close after it opens."))
    scheduled = opens_at is not None and opens_at > now
    with transaction.atomic():
        # A conditional update: two editors pressing "Open" at once open it once.
        changed = Poll.objects.filter(pk=poll.pk, state=Poll.State.DRAFT).update(
            state=Poll.State.OPEN,
            opens_at=opens_at if scheduled else now,
            closes_at=closes_at,
        )
    poll.refresh_from_db(fields=["state", "opens_at", "closes_at"])
    if not changed:
        raise TransitionRefused(_("The poll is already open."))
    return "scheduled" if scheduled else "open"


def poll_may_close(poll: Poll, now: datetime | None = None) -> None:
    """Raises TransitionRefused unless `poll_close` would close the poll."""
    if poll.state != Poll.State.OPEN:
        raise TransitionRefused(
            _("Only an open poll can be closed; this poll is %(state)s.")
            % {"state": poll.get_state_display()}
        )
    if poll_is_scheduled(poll, now):
        raise TransitionRefused(
            _(
                "The poll has not opened yet (it opens %(when)s): nobody has answered, so there "
                "is nothing to close. Change its opening time in the settings instead."
            )
            % {"when": date_format(timezone.localtime(poll.opens_at), "DATETIME_FORMAT")}
        )
