"""Reading the audit trail: the entries a set of filters picks, newest first, a page of them
without counting the whole table, their details in words, and the rows of its CSV file.

The trail may hold hundreds of thousands of rows. Every filter the page offers is served by an
index of `AuditEntry` (the time, or the action and the time), and the pager counts at most
`COUNT_LIMIT` rows (one COUNT over a LIMITed subquery), never the whole table.

Measured with EXPLAIN ANALYZE on PostgreSQL 15, 200,000 entries (10 actions, 20 people): a page
without filters, by date or by one action is a backward index scan (staff_audit_at_id or
staff_audit_action_at_id), 0.03 ms for page 1 and 1.5-17 ms for page 200; a group of actions
walks staff_audit_at_id (0.06 ms, page 200: 10 ms); the capped count stops after 10,001 rows,
1.5-9 ms. Only the text filters (who, object: any part of the text) read the whole table, about
45 ms at that size; a trigram index (pg_trgm) would serve them if the trail grows much larger."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from functools import cached_property
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from .audit_labels import ACTION_GROUPS, action_label, detail_label
from .csvsafe import neutralised_row
from .models import AuditEntry

# The trail is read in Swedish time, whatever the server's zone.
AUDIT_TIME_ZONE = ZoneInfo("Europe/Stockholm")
GROUP_PREFIX = "group:"
PER_PAGE = 50
# The pager counts this many rows at most: 200 pages of 50. Older entries are reached by
# narrowing the filters (the dates above all), which the page says.
COUNT_LIMIT = 10_000


def audit_entries(
    *,
    action: str = "",
    who: str = "",
    target: str = "",
    since: datetime.date | None = None,
    until: datetime.date | None = None,
) -> QuerySet[AuditEntry]:
    """The entries the filters pick, newest first. `action` is one action or `group:<key>` for
    a group of `ACTION_GROUPS`; `who` and `target` match part of the name, in any case; `since`
    and `until` are days in Stockholm, both included."""
    entries = AuditEntry.objects.order_by("-at", "-id")
    if action.startswith(GROUP_PREFIX):
        _label, actions = ACTION_GROUPS[action.removeprefix(GROUP_PREFIX)]
        entries = entries.filter(action__in=list(actions))
    elif action:
        entries = entries.filter(action=action)
    if who:
        entries = entries.filter(actor_name__icontains=who)
    if target:
        entries = entries.filter(target__icontains=target)
    if since:
        entries = entries.filter(at__gte=_day_start(since))
    if until:
        entries = entries.filter(at__lt=_day_start(until + datetime.timedelta(days=1)))
    return entries


def _day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=AUDIT_TIME_ZONE)


class CappedPage(Page):
    def end_index(self) -> int:
        # Django's last page ends at the count, which here may be the limit plus one.
        return self.start_index() + len(self) - 1 if len(self) else 0


class CappedPaginator(Paginator):
    """Django's Paginator, counting at most `COUNT_LIMIT` rows: `capped` says there are more."""

    @cached_property
    def count(self) -> int:
        # Any COUNT_LIMIT + 1 rows will do: without the order PostgreSQL stops at them.
        entries = cast("QuerySet[AuditEntry]", self.object_list)
        return int(entries.order_by()[: COUNT_LIMIT + 1].count())

    def _get_page(self, *args: Any, **kwargs: Any) -> CappedPage:
        return CappedPage(*args, **kwargs)

    @property
    def limit(self) -> int:
        return COUNT_LIMIT

    @property
    def capped(self) -> bool:
        return self.count > COUNT_LIMIT

    @cached_property
    def num_pages(self) -> int:
        if self.capped:
            # COUNT_LIMIT is a whole number of pages: the last one is full.
            return max(1, COUNT_LIMIT // self.per_page)
        return super().num_pages


def local_time(at: datetime.datetime) -> datetime.datetime:
    return at.astimezone(AUDIT_TIME_ZONE)


def _value_text(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return "; ".join(_value_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{detail_label(str(k))}: {_value_text(v)}" for k, v in value.items())
    if isinstance(value, str) and len(value) >= 16 and value[4:5] == "-" and "T" in value:
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return f"{local_time(moment):%Y-%m-%d %H:%M}"
    return str(value)


def details_shown(details: Any) -> list[tuple[str, str]]:
    """The details as (label, text) pairs for a reader: known keys in words, lists joined,
    times in Stockholm."""
    if not isinstance(details, dict):
        return [("", _value_text(details))] if details else []
    return [(detail_label(str(key)), _value_text(value)) for key, value in details.items()]


def who_shown(entry: AuditEntry) -> str:
    return entry.actor_name or _("the system")


CSV_HEADER: list[object] = ["tid", "vem", "händelse", "händelsekod", "objekt", "detaljer"]


def audit_csv_rows(entries: QuerySet[AuditEntry]) -> Iterator[list[object]]:
    """The header, then one row per entry (time in Stockholm, ISO 8601), every cell safe to
    open in a spreadsheet. Read in chunks, so a large trail never sits in memory."""
    yield CSV_HEADER
    for entry in entries.iterator(chunk_size=2000):
        yield neutralised_row(
            [
                local_time(entry.at).isoformat(timespec="seconds"),
                who_shown(entry),
                action_label(entry.action),
                entry.action,
                entry.target,
                json.dumps(entry.details, ensure_ascii=False, sort_keys=True),
            ]
        )
