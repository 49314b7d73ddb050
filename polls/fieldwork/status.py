"""What the field period looks like now, per stratum: the figures of `field_status` and of the
field page. Counts of invitations only; responses per day come from the responses' own dates
(which carry no time and no link to an invitation)."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Count
from django.utils.translation import gettext as _

from respondents.models import Member

from ..models import Invitation, Poll

COLUMNS = (
    "invited",
    "sent",
    "failed",
    "unknown",
    "bounced",
    "opted_out",
    "opened",
    "completed",
)
_SENT = {"sent", "started", "completed", "opted_out", "bounced"}
# Opened: the member opened the link (the answering view's one conditional update, sent ->
# started, on the first open only), and those who went on to complete.
_OPENED = {"started", "completed"}


def field_figures(*, poll: Poll) -> dict[str, dict[str, int]]:
    """Per stratum (and "" for all), the counts in COLUMNS plus `reminded`."""
    rows = (
        Invitation.objects.filter(poll=poll)
        .values("sample_member__stratum", "status")
        .annotate(n=Count("id"))
    )
    figures: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COLUMNS, 0))
    for row in rows:
        for stratum in {"", row["sample_member__stratum"] or ""}:
            cell = figures[stratum]
            status, n = row["status"], row["n"]
            cell["invited"] += n
            if status in _SENT:
                cell["sent"] += n
            if status in _OPENED:
                cell["opened"] += n
            if status in cell and status not in ("invited", "sent", "opened"):
                cell[status] += n
    return dict(figures)


def unreachable_count(*, poll: Poll) -> int:
    """Sampled members of the poll's samples who cannot be e-mailed: no address, opted out,
    bounced or left."""
    draws = poll.invitations.values("sample_member__draw").distinct()
    return (
        Member.objects.filter(samplings__draw__in=draws)
        .exclude(status=Member.Status.ACTIVE, email__gt="")
        .distinct()
        .count()
    )


def field_rows(*, poll: Poll) -> list[dict]:
    """The field page's table: one row per stratum (the whole sample first, as stratum ""),
    the counts of COLUMNS and the response rate (completed of those sent, None before any)."""
    figures = field_figures(poll=poll)
    rows = []
    for stratum in sorted(figures, key=lambda s: (s != "", s)):
        cells = figures[stratum]
        rate = cells["completed"] / cells["sent"] if cells["sent"] else None
        rows.append({"stratum": stratum, **cells, "rate": rate})
    return rows


def failed_invitations(*, poll: Poll, limit: int = 100):
    """Invitations that did not (visibly) go out: failed, and unknown (the worker stopped), with
    the address and the reason, for the admin to send again."""
    return (
        Invitation.objects.filter(
            poll=poll, status__in=[Invitation.Status.FAILED, Invitation.Status.UNKNOWN]
        )
        .select_related("sample_member__member")
        .order_by("status", "id")[:limit]
    )


def responses_per_day(*, poll: Poll) -> list[dict]:
    """How many responses came in each day: counted from the responses' own dates only (they
    carry no time and nothing that joins them to an invitation)."""
    rows = list(
        poll.responses.order_by("submitted_on").values("submitted_on").annotate(n=Count("id"))
    )
    top = max((r["n"] for r in rows), default=0)
    sent = field_figures(poll=poll).get("", {}).get("sent", 0)
    days, total = [], 0
    for r in rows:
        total += r["n"]
        # The trend: the response rate at the end of each day, of all e-mails sent so far.
        rate = round(100 * total / sent) if sent else None
        days.append({"day": r["submitted_on"], "n": r["n"], "top": top, "rate": rate})
    return days


def responses_per_day_figure(per_day: list[dict]) -> dict:
    """The field page's chart (Plotly, static/js/charts.js): responses per day as bars and the
    response rate so far as a line, on an axis of its own."""
    days = [d["day"].isoformat() for d in per_day]
    one_day = 86_400_000  # ms, Plotly's unit on a date axis
    first = (per_day[0]["day"] - datetime.timedelta(days=1)).isoformat() if per_day else None
    last = (per_day[-1]["day"] + datetime.timedelta(days=1)).isoformat() if per_day else None
    data: list[dict] = [
        {
            "type": "bar",
            "x": days,
            "y": [d["n"] for d in per_day],
            "name": _("Responses"),
            "marker": {"color": "#0f5563"},
            "width": [one_day * 0.6] * len(days),
        }
    ]
    if any(d["rate"] is not None for d in per_day):
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": days,
                "y": [d["rate"] for d in per_day],
                "name": _("Response rate so far (%)"),
                "yaxis": "y2",
                "line": {"color": "#b5651d"},
            }
        )
    return {
        "data": data,
        "layout": {
            "height": 280,
            "margin": {"l": 40, "r": 40, "t": 10, "b": 40},
            "xaxis": {
                "type": "date",
                "range": [first, last],
                "dtick": one_day,
                "tickformat": "%-d %b",
            },
            "yaxis": {"title": {"text": _("Responses")}, "rangemode": "tozero"},
            "yaxis2": {
                "overlaying": "y",
                "side": "right",
                "range": [0, 100],
                "dtick": 25,
                "ticksuffix": " %",
                "showgrid": False,
            },
            "legend": {"orientation": "h", "y": -0.25},
            "bargap": 0.3,
        },
    }
