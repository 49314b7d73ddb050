"""Result pages: what a page shows, computed once and frozen when it is published.

`page_snapshot(page)` turns a page and its blocks into plain data (JSON): the editor's texts
(the body as sanitised HTML) and, per language, every number and text of every block and the
box "Om undersökningen", all taken from `results.presenting` (never recomputed here).
`page_publish` stores that snapshot as a new `ResultPageVersion`: the public page renders the
stored version, so answers arriving later or a change of weighting never move it until the
editor publishes again. The preview renders a fresh snapshot with the same template.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.db import transaction
from django.db.models import Max, Min
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from polls.models import Invitation, Poll, Question
from respondents.models import SampleDraw
from staff import audit

from . import charts
from .caching import cached_poll_results
from .estimation import ResultsError, poll_questions
from .markup import markdown_to_html
from .models import ResultBlock, ResultPage, ResultPageVersion
from .presenting import (
    ShownGroupTable,
    ShownPoll,
    ShownQuestion,
    ShownTable,
    percent_text,
    present,
    thousands,
)
from .public_data import page_results
from .trends import trend_block

logger = logging.getLogger(__name__)

LANGUAGES = ("sv", "en")
THIN = "\u202f"  # narrow no-break space: "5 000" in Swedish thousands
_THOUSANDS = re.compile(r"(?<=\d)\u00a0(?=\d{3}(?!\d))")


def _thin(text: str) -> str:
    """Thousands marked with a thin (narrow no-break) space, as Swedish typesetting wants."""
    return _THOUSANDS.sub(THIN, text)


def _n(value: int | float | None, language: str) -> str:
    return "–" if value is None else _thin(thousands(value, language))


class _Results:
    """The poll's shown results per (breakdown, weighted), computed once per snapshot."""

    def __init__(self, poll: Poll, language: str) -> None:
        self.poll = poll
        self.language = language
        self._found: dict[tuple[str, bool], ShownPoll | str] = {}

    def get(self, by: str, weighted: bool) -> ShownPoll | str:
        key = (by, weighted)
        if key not in self._found:
            try:
                results = cached_poll_results(
                    poll=self.poll, by=by or None, weights=None if weighted else "none"
                )
                self._found[key] = present(results, language=self.language)
            except ResultsError as exc:
                self._found[key] = str(exc.message)
        return self._found[key]


# --------------------------------------------------------------------------- blocks


def _option_row(o: Any, language: str) -> dict[str, Any]:
    return {
        "label": o.label,
        "is_dont_know": o.is_dont_know,
        "share": o.share,
        "ci_low": o.ci_low,
        "ci_high": o.ci_high,
        "n": o.n,
        "count_text": "" if o.count is None else _n(o.count, language),
        "share_text": o.share_text,
        "interval_text": o.interval_text,
        "plus_minus_text": o.plus_minus_text,
        "plus_minus_short": o.plus_minus_short,
        "significant": bool(o.difference and o.difference.significant),
        "versus_share": o.difference.versus_share if o.difference else None,
        "p_adjusted": o.difference.p_adjusted if o.difference else None,
    }


def _part(
    title: str,
    table: ShownTable,
    groups: list[ShownGroupTable],
    language: str,
    *,
    scale: bool = False,
) -> dict[str, Any]:
    figure = None
    shown_groups = [
        (g.group, g.options)
        for g in groups
        if not g.suppressed and all(o.has_estimate for o in g.options)
    ]
    if groups and shown_groups and table.options:
        figure = charts.group_bar_figure(
            [o.label for o in table.options], shown_groups, language=language
        )
    elif not groups and scale and len(points := _scale_points(table)) >= 3:
        figure = charts.diverging_bar_figure(
            [o.label for o in points], points, language=language, row=title
        )
    elif not groups and table.estimated:
        figure = charts.share_bar_figure(
            [o.label for o in table.estimated], table.estimated, language=language
        )
    mean = None
    if table.mean is not None:
        mean = {
            "mean_text": table.mean.mean_text,
            "interval_text": table.mean.interval_text,
            "plus_minus_text": table.mean.plus_minus_text,
            "n_text": _n(table.mean.n, language),
            "too_few": table.mean.too_few,
        }
    return {
        "title": title,
        "n_text": _n(table.n, language) if not table.suppressed else "",
        "suppressed": table.suppressed,
        "options": [_option_row(o, language) for o in table.estimated],
        "all_labels": [o.label for o in table.options],
        "groups": [
            {
                "group": g.group or _("(missing)"),
                "suppressed": g.suppressed,
                "n_text": "" if g.suppressed else _n(g.n, language),
                "options": [] if g.suppressed else [_option_row(o, language) for o in g.options],
            }
            for g in groups
        ],
        "figure": figure,
        "mean": mean,
    }


def _scale_points(table: ShownTable) -> list[Any]:
    """A scale's points (not "don't know") in their order, when every one has its share."""
    points = [o for o in table.options if not o.is_dont_know]
    return points if all(o.has_estimate for o in points) else []


def _number_of(question: Question, order: list[Question]) -> int:
    return next((i for i, q in enumerate(order, start=1) if q.pk == question.pk), 0)


def _base_text(q: ShownQuestion, order: list[Question], language: str) -> str:
    """The base of a follow-up question: "Bland dem som svarade Nej på fråga 3, n = 214"."""
    question = q.question
    if question.condition_question_id is None:
        return ""
    answers = [o.label for o in question.condition_options.order_by("order")]
    joined = f" {_('or')} ".join(f"”{a}”" if language == "sv" else f"“{a}”" for a in answers)
    return _("Asked of those who answered %(answers)s to question %(number)s, n = %(n)s.") % {
        "answers": joined,
        "number": _number_of(question.condition_question, order)
        if question.condition_question is not None
        else "",
        "n": _n(q.n, language),
    }


def _dont_know_text(q: ShownQuestion) -> str:
    if q.dont_know_excluded:
        return ngettext(
            "“Don't know” (%(n)s answer) is left out of the shares.",
            "“Don't know” (%(n)s answers) is left out of the shares.",
            q.dont_know_n,
        ) % {"n": q.dont_know_n}
    if q.total is not None and any(o.is_dont_know for o in q.total.options):
        return _("“Don't know” is counted in the shares.")
    return ""


def _find(shown: ShownPoll, question_id: int | None) -> ShownQuestion | None:
    return next((q for q in shown.questions if q.question.pk == question_id), None)


def _chart_block(
    block: ResultBlock, shown: ShownPoll, order: list[Question], language: str
) -> dict[str, Any]:
    q = _find(shown, block.question_id)
    if q is None:
        return {"kind": "missing"}
    # Scales, and the statements of a grid rated on one, are drawn as diverging stacked bars.
    scale = q.question.kind in (Question.Kind.SCALE, Question.Kind.GRID)
    parts = [_part("", q.total, q.groups, language, scale=scale)] if q.total is not None else []
    parts += [_part(r.text, r.total, r.groups, language, scale=scale) for r in q.rows]
    return {
        "kind": "chart",
        "question_text": q.text,
        "number": _number_of(q.question, order),
        "n_text": _n(q.n, language),
        "base_text": _base_text(q, order, language),
        "dont_know_text": _dont_know_text(q),
        "by": shown.by or "",
        "min_cell_size": shown.poll.min_cell_size,
        "random_sample": shown.random_sample,
        "weighted": shown.weights.method != "none",
        "parts": parts,
        "text_html": markdown_to_html(block.text) if block.text else "",
    }


def _coded_block(block: ResultBlock, shown: ShownPoll, language: str) -> dict[str, Any]:
    q = _find(shown, block.question_id)
    if q is None or q.coded is None:
        return {"kind": "missing"}
    top = q.coded.codes[:5]
    figure = None
    if top:
        figure = charts.share_bar_figure([c.label for c in top], top, language=language)
    return {
        "kind": "coded",
        "question_text": q.text,
        "suppressed": q.coded.suppressed,
        "min_cell_size": shown.poll.min_cell_size,
        "n_text": _n(q.coded.n_answered, language),
        "random_sample": shown.random_sample,
        "codes": [
            {
                "label": c.label,
                "share": c.share,
                "ci_low": c.ci_low,
                "ci_high": c.ci_high,
                "n": c.n,
                "share_text": c.share_text,
                "interval_text": c.interval_text,
                "plus_minus_text": c.plus_minus_text,
            }
            for c in top
        ],
        "figure": figure,
    }


def _key_figure_block(block: ResultBlock, shown: ShownPoll, language: str) -> dict[str, Any]:
    q = _find(shown, block.question_id)
    option = None
    if q is not None and q.total is not None and not q.total.suppressed:
        option = next((o for o in q.total.estimated if o.code == block.option_code), None)
    if option is None or q is None or q.total is None:
        return {"kind": "missing"}
    return {
        "kind": "key_figure",
        "headline": block.text,
        "question_text": q.text,
        "label": option.label,
        "share_text": option.share_text,
        "interval_text": option.interval_text,
        "n_text": _n(q.total.n, language),
        "random_sample": shown.random_sample,
    }


def _block(
    block: ResultBlock, results: _Results, order: list[Question], language: str
) -> dict[str, Any]:
    if block.kind == ResultBlock.Kind.TEXT:
        return {"kind": "text", "html": markdown_to_html(block.text)}
    if block.kind == ResultBlock.Kind.QUOTE:
        return {"kind": "quote", "text": block.text}
    if block.kind == ResultBlock.Kind.TREND:
        return trend_block(block.question, language)
    shown = results.get(block.by, block.weighted)
    if isinstance(shown, str):
        return {"kind": "error", "message": shown}
    if block.kind == ResultBlock.Kind.CODED:
        return _coded_block(block, shown, language)
    if block.kind == ResultBlock.Kind.KEY_FIGURE:
        return _key_figure_block(block, shown, language)
    return _chart_block(block, shown, order, language)


# --------------------------------------------------------------------------- the method box


def _date(value: Any) -> str:
    return dateformat.format(value, "j F Y")


def _field_dates(poll: Poll) -> tuple[Any, Any] | None:
    start = timezone.localtime(poll.opens_at).date() if poll.opens_at else None
    end = timezone.localtime(poll.closes_at).date() if poll.closes_at else None
    if start is None or end is None:
        found = poll.responses.aggregate(first=Min("submitted_on"), last=Max("submitted_on"))
        start = start or found["first"]
        end = end or found["last"]
    if start is None or end is None:
        return None
    return start, end


def _dates_text(start: Any, end: Any) -> str:
    if start == end:
        return _date(end)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}\N{EN DASH}{_date(end)}"
    if start.year == end.year:
        return f"{dateformat.format(start, 'j F')}\N{EN DASH}{_date(end)}"
    return f"{_date(start)}\N{EN DASH}{_date(end)}"


def about_survey(poll: Poll, shown: ShownPoll, language: str) -> list[str]:
    """The box "Om undersökningen", sentence by sentence, from the data (never typed)."""
    sentences: list[str] = []
    invited = poll.invitations.exclude(
        status__in=[Invitation.Status.QUEUED, Invitation.Status.FAILED]
    ).count()
    if shown.random_sample and poll.register is not None:
        designs = set(
            SampleDraw.objects.filter(members__invitations__poll=poll)
            .values_list("design", flat=True)
            .distinct()
        )
        population = _n(shown.population, language)
        values = {"sample": _n(invited, language), "register": poll.register.name}
        if designs == {SampleDraw.Design.STRATIFIED}:
            text = _(
                "A stratified random sample of %(sample)s members was drawn from the register "
                "“%(register)s” (%(population)s members)."
            )
        else:
            text = _(
                "A simple random sample of %(sample)s members was drawn from the register "
                "“%(register)s” (%(population)s members)."
            )
        sentences.append(text % {**values, "population": population})
    elif poll.open_link:
        sentences.append(_("Anyone with the poll's link could answer."))
    dates = _field_dates(poll)
    if dates:
        sentences.append(
            _("The answers were collected %(dates)s.") % {"dates": _dates_text(*dates)}
        )
    n = shown.n_responses
    answered = ngettext("%(n)s member answered.", "%(n)s members answered.", n) % {
        "n": _n(n, language)
    }
    if shown.random_sample and invited:
        answered = ngettext(
            "%(n)s member answered, a response rate of %(rate)s.",
            "%(n)s members answered, a response rate of %(rate)s.",
            n,
        ) % {"n": _n(n, language), "rate": percent_text(n / invited, language)}
    sentences.append(answered)
    by = ", ".join(shown.weights.variables)
    if shown.weights.method == "poststrat":
        sentences.append(
            _("The answers are weighted to the register by %(by)s (post-stratification).")
            % {"by": by}
        )
    elif shown.weights.method == "rake":
        sentences.append(
            _("The answers are weighted to the register by %(by)s (raking).") % {"by": by}
        )
    else:
        sentences.append(_("The answers are not weighted."))
    if shown.random_sample and shown.variance:
        sentences.append(shown.variance)
    if shown.random_sample and shown.ci_df == "t":
        sentences.append(
            _(
                "The intervals use Student's t with each group's degrees of freedom (its "
                "respondents minus the weighting cells they fall in), which widens them for "
                "small groups."
            )
        )
    if not shown.random_sample:
        if shown.no_margin_reason:
            sentences.append(shown.no_margin_reason)
    elif shown.census:
        sentences.append(_("Statistical margin of error 0 percentage points."))
    elif shown.moe_text:
        sentences.append(
            _("Statistical margin of error %(moe_text)s percentage points.")
            % {"moe_text": shown.moe_text}
        )
    return sentences


# --------------------------------------------------------------------------- snapshot, publish


def page_snapshot(page: ResultPage) -> dict[str, Any]:
    """Everything the public page shows, as JSON-able data, computed now."""
    poll = page.poll
    order = poll_questions(poll)
    blocks = list(page.blocks.select_related("question").order_by("order", "id"))
    languages = {}
    for language in LANGUAGES:
        with translation.override(language):
            results = _Results(poll, language)
            base = results.get("", True)
            about: list[str] = []
            if not isinstance(base, str):
                about = about_survey(poll, base, language)
            languages[language] = {
                "about": about,
                "blocks": [_block(b, results, order, language) for b in blocks],
            }
    return {
        "slug": page.slug,
        "title": page.title,
        "lead": page.lead,
        "body_html": markdown_to_html(page.body) if page.body else "",
        "poll": poll.slug,
        "organisation": poll.organisation,
        "languages": languages,
        # The same numbers in the results API's shape, for the public JSON.
        "results": page_results(page),
    }


@transaction.atomic
def page_publish(
    *,
    page: ResultPage,
    by: Any = None,
    snapshot: dict[str, Any] | None = None,
    overridden_claims: list[dict[str, str]] | None = None,
    scheduled: bool = False,
) -> ResultPageVersion:
    """Freeze the page's numbers and texts as its next version and make it public. `snapshot`
    is the one the editor's claims were checked against (computed now when not given);
    `overridden_claims` are the flagged claims the editor chose to publish anyway; `scheduled`
    when beat publishes it at the time `by` set. Recorded in the audit trail."""
    page = ResultPage.objects.select_for_update().get(pk=page.pk)
    snapshot = dict(snapshot) if snapshot is not None else page_snapshot(page)
    now = timezone.now()
    last = page.versions.aggregate(last=Max("number"))["last"] or 0
    snapshot["version"] = last + 1
    snapshot["published_at"] = now.isoformat()
    user = by if by is not None and by.is_authenticated else None
    version = ResultPageVersion.objects.create(
        page=page,
        number=last + 1,
        snapshot=snapshot,
        published_at=now,
        published_by=user,
        overridden_claims=overridden_claims or [],
    )
    page.state = ResultPage.State.PUBLISHED
    page.publish_at = now
    page.scheduled_by = None
    page.scheduled_overrides = []
    page.save(
        update_fields=["state", "publish_at", "scheduled_by", "scheduled_overrides", "updated_at"]
    )
    _poll_results_url_update(page.poll)
    details: dict[str, Any] = {"page_id": page.pk, "version": version.number}
    if scheduled:
        details["scheduled_by"] = user.get_username() if user is not None else ""
    if overridden_claims:
        details["published_anyway"] = [
            {"field": c["field"], "text": c["text"], "reason": c["reason"]}
            for c in overridden_claims
        ]
    audit.record("beat" if scheduled else user, "page.publish", page.slug, **details)
    if overridden_claims:
        logger.warning(
            "Result page %s v%s published anyway by %s at %s despite claims: %s",
            page.slug,
            version.number,
            getattr(by, "username", None),
            now.isoformat(),
            "; ".join(f"{c['field']}: {c['text']} ({c['reason']})" for c in overridden_claims),
        )
    return version


@transaction.atomic
def page_unpublish(*, page: ResultPage, by: Any = None) -> None:
    """Take the page (and all its versions) off the public site; it can be published again."""
    page.state = ResultPage.State.DRAFT
    page.save(update_fields=["state", "updated_at"])
    _poll_results_url_update(page.poll)
    audit.record(by, "page.unpublish", page.slug, page_id=page.pk)


def _poll_results_url_update(poll: Poll) -> None:
    """The poll's thank-you page links to its newest published result page, or to none."""
    newest = (
        ResultPage.objects.filter(poll=poll, state=ResultPage.State.PUBLISHED)
        .order_by("-publish_at")
        .first()
    )
    url = reverse("result-page-public", args=[newest.slug]) if newest is not None else ""
    Poll.objects.filter(pk=poll.pk).update(results_url=url)
