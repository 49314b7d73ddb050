"""Anonymous microdata: one row per response, with its weight, its (coarsened) reporting
variables and one column per answer, coded as the codebook says (docs/exports.md).

What is never written: anything that joins a response to a member (no id of a response,
invitation, sample member or member; no submission date or time), the open answers (free text
may name people), and reporting values of cells smaller than the poll's threshold
(`disclosure.coarsen_profiles`). The rows come in the order of the responses' random keys
(UUID4), which says nothing about who answered or when.

Codes: a choice is its option's position (1, 2, ...) among the options that are not "don't
know"; a "don't know" option is -1 (a second one -2, ...); a question a response was not shown
(a follow-up whose condition it did not meet) is -8; a question shown but left unanswered is
empty (system-missing). -9 to -1 are SPSS's user-missing range. A variable whose own values
may fall in that range (a scale or number below 0) writes "not shown" and "don't know" as
empty instead.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from django.utils.translation import gettext as _

from polls.models import Answer, Option, Poll, Question, Response

from ..estimation import (
    PollData,
    attribute_text,
    load_poll_data,
    poll_design,
    poll_questions,
    resolve_params,
)
from .disclosure import coarsen_profiles

__all__ = [
    "DONT_KNOW",
    "NOT_SHOWN",
    "Microdata",
    "Variable",
    "microdata_plan",
    "microdata_rows",
]

DONT_KNOW: Final = -1
NOT_SHOWN: Final = -8
MISSING_RANGE: Final = (-9, -1)
WEIGHT: Final = "vikt"
# SPSS's reserved words cannot name a variable.
RESERVED: Final = frozenset(
    {"ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH"}
)

Value = float | int | str | None
# An answer as read: a named tuple of ANSWER_FIELDS (model instances cost ten times the time).
ANSWER_FIELDS: Final = ("response_id", "question_id", "option_id", "row_id", "value", "rank")
Encoder = Callable[[list[Any], bool], list[Value]]


@dataclass
class Variable:
    """One column."""

    name: str  # a valid SPSS name, unique
    label: str  # the question (and statement or option) text
    numeric: bool = True
    value_labels: dict[int, str] = field(default_factory=dict)
    missing: bool = False  # the codes -9..-1 are user-missing
    measure: str = "nominal"  # nominal, ordinal, scale
    question: Question | None = None
    note: str = ""  # for the codebook: what the codes are


@dataclass
class Microdata:
    poll: Poll
    variables: list[Variable]
    questions: list[Question]
    encoders: list[tuple[Question, Encoder]]
    reporting: list[str]  # the reporting variables, in the poll's order
    published: dict[tuple[str, ...], tuple[str, ...]]  # profile -> what is written of it
    weights: dict[tuple[str, ...], float]  # profile -> weight (mean over its published cell)
    n: int
    coarsened: list[str]  # reporting variables with a value merged or blanked

    @property
    def names(self) -> list[str]:
        return [v.name for v in self.variables]


def _safe_name(raw: str, taken: set[str]) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", raw)
    if not name or not name[0].isalpha():
        name = f"v_{name}"
    if name.upper() in RESERVED:
        name += "_"
    name = name[:60]
    candidate, i = name, 2
    while candidate.lower() in taken:
        candidate, i = f"{name}_{i}", i + 1
    taken.add(candidate.lower())
    return candidate


def _choice_codes(options: Sequence[Option]) -> dict[int, int]:
    """option id -> its code: 1, 2, ... for answers, -1, -2, ... for "don't know"."""
    codes, answer, dont_know = {}, 0, 0
    for option in options:
        if option.is_dont_know:
            dont_know -= 1
            codes[option.pk] = dont_know
        else:
            answer += 1
            codes[option.pk] = answer
    return codes


def _may_be_negative(question: Question) -> bool:
    if question.kind == Question.Kind.SCALE:
        return question.scale_min is not None and question.scale_min <= MISSING_RANGE[1]
    if question.kind == Question.Kind.NUMBER:
        return question.number_min is None or question.number_min <= MISSING_RANGE[1]
    return False


def _question_variables(
    question: Question, taken: set[str]
) -> tuple[list[Variable], Encoder] | None:
    """The columns of one question and the function that codes a response's answers to it
    (answers, shown) into them. None: not exported (open answers)."""
    kind = question.kind
    options = list(question.options.all())
    codes = _choice_codes(options)
    labels = {codes[o.pk]: o.label for o in options}
    coded_missing = not _may_be_negative(question)
    not_shown: Value = NOT_SHOWN if coded_missing else None
    # Only a question with a display condition can be hidden (also by a chain of them).
    follow_up = question.condition_question_id is not None
    special = (
        {NOT_SHOWN: _("not asked (follow-up not shown)")} if coded_missing and follow_up else {}
    )
    text = question.text

    if kind == Question.Kind.TEXT:
        return None
    if kind == Question.Kind.SINGLE:
        var = Variable(
            _safe_name(question.code, taken),
            text,
            value_labels={**labels, **special},
            missing=coded_missing,
            question=question,
        )

        def single(answers: list[Any], shown: bool) -> list[Value]:
            if not shown:
                return [not_shown]
            for a in answers:
                if a.option_id is not None:
                    return [codes.get(a.option_id)]
            return [None]

        return [var], single
    if kind == Question.Kind.SCALE:
        points = question.scale_points()
        value_labels = {p: str(p) for p in points}
        if points:
            value_labels[points[0]] = f"{points[0]} {question.label_low}".strip()
            value_labels[points[-1]] = f"{points[-1]} {question.label_high}".strip()
        dont_know = {o.pk: codes[o.pk] if coded_missing else None for o in options}
        if coded_missing:
            value_labels.update({codes[o.pk]: o.label for o in options})
        var = Variable(
            _safe_name(question.code, taken),
            text,
            value_labels={**value_labels, **special},
            missing=coded_missing,
            measure="ordinal",
            question=question,
        )

        def scale(answers: list[Any], shown: bool) -> list[Value]:
            if not shown:
                return [not_shown]
            for a in answers:
                if a.option_id is not None:
                    return [dont_know.get(a.option_id)]
                if a.value is not None:
                    return [int(a.value)]
            return [None]

        return [var], scale
    if kind == Question.Kind.NUMBER:
        var = Variable(
            _safe_name(question.code, taken),
            text,
            value_labels=dict(special),
            missing=coded_missing,
            measure="scale",
            question=question,
        )
        whole = question.decimal_places == 0

        def number(answers: list[Any], shown: bool) -> list[Value]:
            if not shown:
                return [not_shown]
            for a in answers:
                if a.value is not None:
                    return [int(a.value) if whole else float(a.value)]
            return [None]

        return [var], number
    if kind == Question.Kind.MULTIPLE:
        exclusive_dont_know = {o.pk for o in options if o.is_dont_know and o.exclusive}
        variables = [
            Variable(
                _safe_name(f"{question.code}_{o.code}", taken),
                f"{text} – {o.label}",
                value_labels={
                    0: _("not chosen"),
                    1: _("chosen"),
                    **({DONT_KNOW: _("don't know")} if not o.is_dont_know else {}),
                    **special,
                },
                missing=True,
                question=question,
            )
            for o in options
        ]
        option_ids = [o.pk for o in options]

        def multiple(answers: list[Any], shown: bool) -> list[Value]:
            if not shown:
                return [not_shown] * len(option_ids)
            chosen = {a.option_id for a in answers}
            if not chosen:
                return [None] * len(option_ids)
            only_dont_know = bool(chosen) and chosen <= exclusive_dont_know
            return [
                int(pk in chosen)
                if (pk in exclusive_dont_know or not only_dont_know)
                else DONT_KNOW
                for pk in option_ids
            ]

        return variables, multiple
    if kind == Question.Kind.RANKING:
        variables = [
            Variable(
                _safe_name(f"{question.code}_{o.code}", taken),
                f"{text} – {o.label}",
                value_labels={0: _("not ranked"), **special},
                missing=True,
                measure="ordinal",
                question=question,
            )
            for o in options
        ]
        option_ids = [o.pk for o in options]

        def ranking(answers: list[Any], shown: bool) -> list[Value]:
            if not shown:
                return [not_shown] * len(option_ids)
            ranks = {a.option_id: a.rank for a in answers if a.rank is not None}
            if not ranks:
                return [None] * len(option_ids)
            return [ranks.get(pk, 0) for pk in option_ids]

        return variables, ranking
    if kind == Question.Kind.GRID:
        rows = list(question.rows.all())
        variables = [
            Variable(
                _safe_name(f"{question.code}_{r.code}", taken),
                f"{text} – {r.text}",
                value_labels={**labels, **special},
                missing=True,
                question=question,
            )
            for r in rows
        ]
        row_ids = [r.pk for r in rows]

        def grid(answers: list[Any], shown: bool) -> list[Value]:
            if not shown:
                return [not_shown] * len(row_ids)
            by_row = {a.row_id: codes.get(a.option_id or 0) for a in answers}
            return [by_row.get(pk) for pk in row_ids]

        return variables, grid
    raise AssertionError(f"no microdata coding for the kind {kind}")


def microdata_plan(*, poll: Poll, data: PollData | None = None, weighted: bool = True) -> Microdata:
    """The columns, the coarsening of the reporting variables and the weights of a poll's
    microdata. The weights are the poll's result settings' (unweighted: population / n, or 1
    without a register); raises `results.estimation.ResultsError` when they cannot be
    computed. `data`: the poll's counts over all its reporting variables, when at hand;
    `weighted=False`: no weights (the codebook needs none)."""
    questions = poll_questions(poll)
    for q in questions:
        # prefetched for the visibility of follow-ups
        q.condition_set = {o.pk for o in q.condition_options.all()}  # type: ignore[attr-defined]
    params = resolve_params(poll)
    if data is None:
        data = load_poll_data(poll, questions, profiles=True)
    reporting = list(data.variables)
    sizes = {profile: int(round(n)) for profile, n in zip(data.profiles, data.sizes, strict=True)}
    published = coarsen_profiles(sizes, poll.min_cell_size, other=_("other (merged)"))
    weights: dict[tuple[str, ...], float] = {}
    if data.n and weighted:
        design = poll_design(poll, data, params)
        # One weight per published cell (its respondents' mean, which keeps the cell's total):
        # a weight of its own would tell the cell that coarsening hid.
        total: dict[tuple[str, ...], float] = defaultdict(float)
        count: dict[tuple[str, ...], float] = defaultdict(float)
        for profile, n, w in zip(data.profiles, data.sizes, design.weights, strict=True):
            total[published[profile]] += float(n) * float(w)
            count[published[profile]] += float(n)
        weights = {p: total[published[p]] / count[published[p]] for p in data.profiles}
    taken: set[str] = {WEIGHT}
    variables = [
        Variable(
            WEIGHT,
            _("Weight (the weights add up to the population)"),
            measure="scale",
        )
    ]
    for name in reporting:
        values = sorted({published[p][reporting.index(name)] for p in published} - {""})
        variables.append(
            Variable(
                _safe_name(name, taken),
                _("Reporting variable: %(name)s") % {"name": name},
                numeric=False,
                note=", ".join(values),
            )
        )
    encoders = []
    for q in questions:
        made = _question_variables(q, taken)
        if made is None:
            continue
        variables.extend(made[0])
        encoders.append((q, made[1]))
    coarsened = [
        name for j, name in enumerate(reporting) if any(published[p][j] != p[j] for p in published)
    ]
    return Microdata(
        poll=poll,
        variables=variables,
        questions=questions,
        encoders=encoders,
        reporting=reporting,
        published=published,
        weights=weights,
        n=data.n,
        coarsened=coarsened,
    )


def _shown(questions: list[Question], chosen: dict[int, set[int]]) -> set[int]:
    """The questions a response was shown (as polls.conditions.visible_questions decides)."""
    seen: set[int] = set()
    for q in questions:
        if q.condition_question_id is None or (
            q.condition_question_id in seen
            and chosen.get(q.condition_question_id, set()) & q.condition_set  # type: ignore[attr-defined]
        ):
            seen.add(q.pk)
    return seen


def microdata_rows(
    plan: Microdata, *, chunk: int = 5000, progress: Callable[[int], None] | None = None
) -> Iterator[list[Value]]:
    """The rows, in the order of the responses' random keys, read `chunk` responses at a time
    (keyset pages: each a range of keys). `progress(rows done)` after each chunk."""
    reporting = plan.reporting
    responses = Response.objects.filter(poll=plan.poll).order_by("pk")
    done = 0
    last: Any = None
    while True:
        page = responses if last is None else responses.filter(pk__gt=last)
        heads = list(page.values_list("pk", "attributes")[:chunk])
        if not heads:
            return
        first_key, last = heads[0][0], heads[-1][0]
        by_response: dict[Any, list[Any]] = defaultdict(list)
        answers = Answer.objects.filter(
            response__poll=plan.poll, response_id__gte=first_key, response_id__lte=last
        ).values_list(*ANSWER_FIELDS, named=True)
        for a in answers.iterator(chunk_size=20_000):
            by_response[a.response_id].append(a)
        for pk, attributes in heads:
            attributes = attributes or {}
            profile = tuple(attribute_text(attributes.get(v)) for v in reporting)
            # a response that came in after the counts were read: written as its own cell
            # would be, coarsened like the rest
            published = plan.published.get(profile, tuple("" for _v in reporting))
            mine = by_response.get(pk, [])
            per_question: dict[int, list[Any]] = defaultdict(list)
            chosen: dict[int, set[int]] = defaultdict(set)
            for a in mine:
                per_question[a.question_id].append(a)
                if a.option_id is not None:
                    chosen[a.question_id].add(a.option_id)
            shown = _shown(plan.questions, chosen)
            row: list[Value] = [plan.weights.get(profile)]
            row.extend(v or None for v in published)
            for q, encode in plan.encoders:
                row.extend(encode(per_question.get(q.pk, []), q.pk in shown))
            yield row
        done += len(heads)
        if progress is not None:
            progress(done)
        if len(heads) < chunk:
            return
