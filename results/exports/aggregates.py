"""Aggregated tables: every question's shares (and means) with their intervals and bases,
overall and per group of a breakdown, as the dashboard shows them (`results.presenting`):
suppressed groups carry no number, polls without a random sample no interval."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _

from polls.models import Poll

from ..estimation import poll_results
from ..presenting import ShownPoll, ShownTable, present

__all__ = ["AggregateRow", "Aggregates", "aggregate_headers", "aggregate_tables"]


@dataclass(frozen=True)
class AggregateRow:
    question: str  # code
    text: str
    statement: str
    group: str
    answer: str
    measure: str  # "share" (in percent) or "mean"
    estimate: float | None
    low: float | None
    high: float | None
    plus_minus: float | None
    base: int | None  # respondents in the domain (the share's base)
    respondents: int | None  # respondents who gave this answer
    note: str = ""


@dataclass(frozen=True)
class Aggregates:
    shown: ShownPoll
    rows: list[AggregateRow]

    def about(self) -> list[tuple[str, str]]:
        """What the tables are: for the file's sheet "About"."""
        s = self.shown
        poll = s.poll
        lines = [
            (_("Poll"), poll.title),
            (_("Responses"), str(s.n_responses)),
            (_("Weighting"), s.weights.method),
            (_("Confidence level"), f"{s.level_percent} %"),
            (_("Smallest group shown"), str(poll.min_cell_size)),
        ]
        if s.by:
            lines.append((_("Broken down by"), s.by))
        if s.moe_text:
            lines.append((_("Margin of error (percentage points)"), s.moe_text))
        if s.no_margin_reason:
            lines.append((_("Margin of error"), s.no_margin_reason))
        return lines


def aggregate_headers() -> list[str]:
    return [
        _("question"),
        _("question text"),
        _("statement"),
        _("group"),
        _("answer"),
        _("measure"),
        _("estimate"),
        _("lower limit"),
        _("upper limit"),
        _("± (margin of error)"),
        _("base (n)"),
        _("respondents with the answer"),
        _("note"),
    ]


def _pct(value: float | None) -> float | None:
    return None if value is None else 100.0 * value


def _table_rows(
    code: str, text: str, statement: str, group: str, table: ShownTable, note: str, k: int
) -> Iterator[AggregateRow]:
    if table.suppressed:
        yield AggregateRow(
            code, text, statement, group, "", "", None, None, None, None, None, None,
            _("suppressed: fewer than %(k)d respondents") % {"k": k},
        )  # fmt: skip
        return
    share = _("share (%)")
    for o in table.options:
        yield AggregateRow(
            question=code,
            text=text,
            statement=statement,
            group=group,
            answer=o.label,
            measure=share,
            estimate=_pct(o.share),
            low=_pct(o.ci_low),
            high=_pct(o.ci_high),
            plus_minus=o.plus_minus_pp,
            base=table.n,
            respondents=o.respondents,
            note=note,
        )
    if table.mean is not None:
        m = table.mean
        yield AggregateRow(
            question=code,
            text=text,
            statement=statement,
            group=group,
            answer="",
            measure=_("mean"),
            estimate=m.mean,
            low=m.ci_low,
            high=m.ci_high,
            plus_minus=m.plus_minus,
            base=m.n,
            respondents=None,
            note=note,
        )


def aggregate_tables(*, poll: Poll, by: str | None = None) -> Aggregates:
    """The tables of the poll with its result settings, broken down `by` a reporting variable
    when given. Raises `results.estimation.ResultsError`."""
    shown = present(poll_results(poll=poll, by=by or None))
    everyone = _("All")
    k = poll.min_cell_size
    rows: list[AggregateRow] = []
    for q in shown.questions:
        note = _("“Don't know” left out of the base") if q.dont_know_excluded else ""
        parts = [("", q.total, q.groups)] if q.total is not None else []
        parts += [(r.text, r.total, r.groups) for r in q.rows]
        for statement, total, groups in parts:
            rows.extend(_table_rows(q.code, q.text, statement, everyone, total, note, k))
            for g in groups:
                rows.extend(_table_rows(q.code, q.text, statement, g.group, g, note, k))
    return Aggregates(shown=shown, rows=rows)
