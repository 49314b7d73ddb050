"""Trends of linked questions across the waves of a series (the Django side).

A question's waves are its chain of `Question.predecessor` links (oldest first); its answers
are followed back through `polls.authoring.wave_links.option_predecessors`. Each wave is
estimated as its own poll is (`cached_poll_results` with that poll's result settings: its
weighting, interval and "don't know" choice) and the changes between consecutive waves come
from `results.stats.trends` (two independent samples, Holm over the answers of the question).
Trends are shown for single- and multiple-choice questions; a wave without answers to the
question (e.g. a next wave still in draft) is left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from polls.authoring.wave_links import option_predecessors
from polls.authoring.waves import YEAR_RE
from polls.models import Option, Poll, Question

from . import trend_charts
from .caching import cached_poll_results
from .estimation import ResultsError
from .presenting import ShownPoll, ShownQuestion, ShownShare, decimal_text, present
from .stats.trends import WaveShare, changes_between_waves

__all__ = [
    "TREND_KINDS",
    "QuestionTrend",
    "poll_trends",
    "question_chain",
    "question_trend",
    "series_trends",
    "trend_method_text",
]

TREND_KINDS = (Question.Kind.SINGLE, Question.Kind.MULTIPLE)


@dataclass(frozen=True)
class TrendWave:
    poll: Poll
    label: str
    n: int  # respondents who answered the question
    random_sample: bool
    weighting: str


@dataclass(frozen=True)
class TrendChange:
    difference: float
    se: float
    z: float
    p_value: float
    p_adjusted: float
    significant: bool
    difference_text: str  # "+7" (points)
    wave_from: str
    wave_to: str
    flag_text: str  # "The change is larger than / within the margin of error"


@dataclass(frozen=True)
class TrendOption:
    code: str
    label: str
    is_dont_know: bool
    points: list[ShownShare | None]
    changes: list[TrendChange | None]


@dataclass(frozen=True)
class QuestionTrend:
    question: Question
    text: str
    waves: list[TrendWave]
    options: list[TrendOption]
    figure: dict[str, Any] | None
    notes: list[str] = field(default_factory=list)

    @property
    def tested(self) -> bool:
        return any(c is not None for o in self.options for c in o.changes)


def trend_method_text() -> str:
    return _(
        "Each change is tested against the previous wave with a z test for two independent "
        "samples, with each wave's own weighting and design effect (95 %). The answers of one "
        "question between the same two waves are one family, corrected for multiple "
        "comparisons with Holm's method: only then is a change called larger than the margin "
        "of error."
    )


def question_chain(question: Question) -> list[Question]:
    """The question's waves, oldest first (stops at a circle, should one exist)."""
    chain = [question]
    seen = {question.pk}
    current = question
    while current.predecessor_id is not None and current.predecessor_id not in seen:
        current = Question.objects.select_related("poll").get(pk=current.predecessor_id)
        seen.add(current.pk)
        chain.append(current)
    return chain[::-1]


def wave_label(poll: Poll) -> str:
    found = YEAR_RE.search(poll.slug) or YEAR_RE.search(poll.title_sv)
    if found:
        return found.group(1)
    when = poll.opens_at or poll.created_at
    return str(when.year) if when else poll.slug


class _Waves:
    """Each wave's shown results, computed once per request and language."""

    def __init__(self, language: str) -> None:
        self.language = language
        self._found: dict[int, ShownPoll | str] = {}

    def get(self, poll: Poll) -> ShownPoll | str:
        if poll.pk not in self._found:
            try:
                results = cached_poll_results(poll=poll)
                self._found[poll.pk] = present(results, language=self.language)
            except ResultsError as exc:
                self._found[poll.pk] = str(exc.message)
        return self._found[poll.pk]


def _shown_question(shown: ShownPoll, question: Question) -> ShownQuestion | None:
    return next((q for q in shown.questions if q.question.pk == question.pk), None)


def _change(change: Any, language: str, wave_from: str, wave_to: str) -> TrendChange:
    points = 100.0 * change.difference
    size = decimal_text(abs(points), 0, language)
    sign = "±" if size == "0" else ("+" if points > 0 else "\N{MINUS SIGN}")
    text = f"{sign}{size}"
    return TrendChange(
        difference=change.difference,
        se=change.se,
        z=change.z,
        p_value=change.p_value,
        p_adjusted=change.p_adjusted,
        significant=change.significant,
        difference_text=text,
        wave_from=wave_from,
        wave_to=wave_to,
        flag_text=_("The change is larger than the margin of error")
        if change.significant
        else _("The change is within the margin of error"),
    )


def question_trend(
    *, question: Question, language: str | None = None, waves: _Waves | None = None
) -> QuestionTrend:
    """The trend of `question` over its linked waves up to its own."""
    language = language or translation.get_language() or "sv"
    language = "en" if language.startswith("en") else "sv"
    with translation.override(language):
        waves = waves or _Waves(language)
        chain = question_chain(question)
        options = list(question.options.order_by("order", "id"))
        # Each current option's option in every wave of the chain (oldest first).
        per_option: dict[int, list[Option | None]] = {o.pk: [o] for o in options}
        for later, _earlier in zip(chain[::-1], chain[::-1][1:], strict=False):
            mapping = option_predecessors(later)
            for trail in per_option.values():
                current = trail[-1]
                trail.append(mapping.get(current.pk) if current is not None else None)
        shown_waves: list[TrendWave] = []
        columns: list[dict[str, ShownShare]] = []
        keep: list[int] = []
        notes: list[str] = []
        for index, wave_question in enumerate(chain):
            shown = waves.get(wave_question.poll)
            if isinstance(shown, str):
                notes.append(f"{wave_label(wave_question.poll)}: {shown}")
                continue
            q = _shown_question(shown, wave_question)
            if q is None or q.total is None or not q.n or q.total.suppressed:
                continue
            keep.append(index)
            columns.append({o.code: o for o in q.total.options})
            shown_waves.append(
                TrendWave(
                    poll=wave_question.poll,
                    label=wave_label(wave_question.poll),
                    n=q.n,
                    random_sample=shown.random_sample,
                    weighting=shown.weights.method,
                )
            )
            if not shown.random_sample:
                notes.append(
                    _("%(wave)s is no random sample: no margin of error, changes not tested.")
                    % {"wave": wave_label(wave_question.poll)}
                )
        series: dict[int, list[ShownShare | None]] = {}
        for option in options:
            trail = per_option[option.pk][::-1]  # oldest first, as the chain
            row: list[ShownShare | None] = []
            for column, index in zip(columns, keep, strict=True):
                old = trail[index]
                point = column.get(old.code) if old is not None else None
                row.append(point if point is not None and point.share is not None else None)
            series[option.pk] = row
        usable = {
            pk: [
                WaveShare(p.share, p.se)
                if p is not None and p.share is not None and p.se is not None
                else None
                for p in row
            ]
            for pk, row in series.items()
        }
        changes = changes_between_waves(usable) if usable else {}
        trend_options = [
            TrendOption(
                code=o.code,
                label=o.label,
                is_dont_know=o.is_dont_know,
                points=series[o.pk],
                changes=[
                    _change(c, language, shown_waves[w - 1].label, shown_waves[w].label)
                    if c is not None
                    else None
                    for w, c in enumerate(changes[o.pk])
                ],
            )
            for o in options
        ]
        figure = None
        if len(shown_waves) >= 1 and any(p is not None for o in trend_options for p in o.points):
            figure = trend_charts.trend_figure(
                [w.label for w in shown_waves],
                [(o.label, o.points, o.is_dont_know) for o in trend_options],
                language=language,
            )
        return QuestionTrend(
            question=question,
            text=question.text,
            waves=shown_waves,
            options=trend_options,
            figure=figure,
            notes=notes,
        )


def poll_trends(*, poll: Poll, language: str | None = None) -> list[QuestionTrend]:
    """The trends of the poll's linked questions, up to this wave."""
    language = language or translation.get_language() or "sv"
    waves = _Waves("en" if language.startswith("en") else "sv")
    questions = poll.questions.filter(predecessor__isnull=False, kind__in=TREND_KINDS).order_by(
        "order", "id"
    )
    return [question_trend(question=q, language=language, waves=waves) for q in questions]


def series_polls(series: str) -> list[Poll]:
    return list(Poll.objects.filter(series=series).order_by("created_at", "pk"))


def series_trends(*, series: str, language: str | None = None) -> list[QuestionTrend]:
    """The trends of a series: every linked question that no later wave continues."""
    language = language or translation.get_language() or "sv"
    waves = _Waves("en" if language.startswith("en") else "sv")
    heads = (
        Question.objects.filter(
            poll__series=series, predecessor__isnull=False, kind__in=TREND_KINDS
        )
        .exclude(successors__poll__series=series)
        .select_related("poll")
        .order_by("-poll__created_at", "order", "id")
    )
    return [question_trend(question=q, language=language, waves=waves) for q in heads]


def trend_block(question: Question | None, language: str) -> dict[str, Any]:
    """A result page's trend block as plain data (frozen in the page's snapshot)."""
    if question is None or question.kind not in TREND_KINDS:
        return {"kind": "missing"}
    trend = question_trend(question=question, language=language)
    with translation.override(language):
        method = trend_method_text()
    return {
        "kind": "trend",
        "question_text": trend.text,
        "waves": [{"label": w.label, "n": w.n} for w in trend.waves],
        "options": [
            {
                "label": o.label,
                "points": [
                    None
                    if p is None
                    else {"share_text": p.share_text, "interval_text": p.interval_text}
                    for p in o.points
                ],
                "changes": [
                    None
                    if c is None
                    else {
                        "wave_from": c.wave_from,
                        "wave_to": c.wave_to,
                        "difference_text": c.difference_text,
                        "significant": c.significant,
                        "flag_text": c.flag_text,
                    }
                    for c in o.changes
                ],
            }
            for o in trend.options
        ],
        "figure": trend.figure,
        "notes": trend.notes,
        "method_text": method,
    }
