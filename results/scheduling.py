"""Publishing a result page at a set time (an embargo), by beat.

The editor schedules a page that is not yet public (`page_schedule`), having seen its claims
checked: the flagged ones they chose to publish anyway are kept with the schedule. At the time,
beat's task calls `pages_publish_due(now=...)`, which freezes the numbers of that moment and
publishes them, unless a claim is flagged then that the editor did not accept (answers may have
moved the figures since) or a quote holds personal data: such a page goes back to draft, and the
audit trail says why. Every step is recorded in the audit trail.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from staff import audit

from .models import ResultPage, ResultPageVersion
from .page_claims import FlaggedClaim, page_claims
from .publishing import page_publish, page_snapshot

logger = logging.getLogger(__name__)


class ScheduleError(ValueError):
    """The page cannot be scheduled (the message is for the editor)."""


def claims_as_data(claims: list[FlaggedClaim]) -> list[dict[str, str]]:
    return [{"text": c.text, "field": c.field, "reason": c.reason} for c in claims]


@transaction.atomic
def page_schedule(
    *,
    page: ResultPage,
    at: datetime.datetime,
    by: Any,
    overridden_claims: list[dict[str, str]] | None = None,
    now: datetime.datetime | None = None,
) -> ResultPage:
    """Publish the page at `at` (beat does it). Only a page that is not public can wait for a
    time: a published page's next version is published at once."""
    page = ResultPage.objects.select_for_update().get(pk=page.pk)
    if page.state == ResultPage.State.PUBLISHED:
        raise ScheduleError(
            _("The page is already public: publish a new version now, or unpublish it first.")
        )
    if at <= (now or timezone.now()):
        raise ScheduleError(_("Choose a time in the future."))
    page.state = ResultPage.State.SCHEDULED
    page.publish_at = at
    page.scheduled_by = by if getattr(by, "is_authenticated", False) else None
    page.scheduled_overrides = overridden_claims or []
    page.save(
        update_fields=["state", "publish_at", "scheduled_by", "scheduled_overrides", "updated_at"]
    )
    audit.record(
        by,
        "page.schedule",
        page.slug,
        page_id=page.pk,
        publish_at=at.isoformat(),
        publish_anyway=[c["text"] for c in page.scheduled_overrides],
    )
    return page


def _draft_again(page: ResultPage) -> None:
    last = page.latest_version()
    page.state = ResultPage.State.DRAFT
    page.publish_at = last.published_at if last is not None else None
    page.scheduled_by = None
    page.scheduled_overrides = []
    page.save(
        update_fields=["state", "publish_at", "scheduled_by", "scheduled_overrides", "updated_at"]
    )


@transaction.atomic
def page_schedule_cancel(*, page: ResultPage, by: Any) -> None:
    """The page is no longer to be published at its time; it is a draft again."""
    page = ResultPage.objects.select_for_update().get(pk=page.pk)
    if page.state != ResultPage.State.SCHEDULED:
        return
    at = page.publish_at
    _draft_again(page)
    audit.record(
        by, "page.unschedule", page.slug, page_id=page.pk, publish_at=at.isoformat() if at else ""
    )


def _publish_one(pk: int, now: datetime.datetime) -> ResultPageVersion | None:
    with transaction.atomic():
        page = (
            ResultPage.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=pk, state=ResultPage.State.SCHEDULED, publish_at__lte=now)
            .select_related("scheduled_by")
            .first()
        )
        if page is None:
            return None  # cancelled, or another beat run took it
        with translation.override(settings.LANGUAGE_CODE):
            snapshot = page_snapshot(page)
            flagged = page_claims(page, snapshot)
        accepted = {c["text"] for c in page.scheduled_overrides}
        refused = [c for c in flagged if c.blocking or c.text not in accepted]
        if refused:
            _draft_again(page)
            audit.record(
                "beat",
                "page.schedule_failed",
                page.slug,
                page_id=page.pk,
                claims=claims_as_data(refused),
            )
            logger.warning(
                "Scheduled result page %s not published: %s",
                page.slug,
                "; ".join(f"{c.field}: {c.text} ({c.reason})" for c in refused),
            )
            return None
        return page_publish(
            page=page,
            by=page.scheduled_by,
            snapshot=snapshot,
            overridden_claims=claims_as_data(flagged),
            scheduled=True,
        )


def pages_publish_due(*, now: datetime.datetime) -> list[ResultPageVersion]:
    """Publish every scheduled page whose time has come (each in its own transaction, so one
    page's trouble leaves the others published); returns the versions made."""
    due = ResultPage.objects.filter(
        state=ResultPage.State.SCHEDULED, publish_at__lte=now
    ).values_list("pk", flat=True)
    versions = []
    for pk in list(due):
        version = _publish_one(pk, now)
        if version is not None:
            versions.append(version)
    return versions
