"""What is shown of a poll's results: `present(results)` turns the engine's `PollResults` into
the numbers and texts that the dashboard, the API and (to come) result pages and exports show.

The rules of showing live here and nowhere else:

- **No interval without a random sample.** A poll without a register, or an open link, has
  shares but no standard errors, intervals, margins of error or group differences.
- **The "±" agrees with the interval shown.** What is printed as "±" or as the margin of error
  is the larger distance from the estimate to an end of its interval
  (`results.stats.plus_minus_pp`), never `100 z SE`, which is 0 at a share of 0 or 100 % while
  the Wilson interval is not. The poll's range is therefore 0 only when no interval has width
  (the whole population answered).
- **A mean of one respondent has no interval** ("too few answers"), not a zero-wide one.
- **In a breakdown** the headline range is the whole poll's, and the groups' range (what the
  group cells show) is given beside it.
- **Small cells are suppressed**: groups under the poll's `min_cell_size` (by the engine), and
  the coded answers of an open question answered by fewer members than that.

Numbers that JSON cannot carry (an infinite effective sample size of a census, an undefined
design effect) are None. The texts are in the language given (Swedish number format: decimal
comma, a no-break space before "%" and between thousands).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from polls.models import Poll, Question

from .analysis_texts import ShownPair, base_text, shown_pairs, variance_text
from .coding import coded_question_results
from .estimation import (
    GroupDifference,
    GroupTable,
    OptionResult,
    PollResults,
    QuestionResult,
    Table,
)
from .representativeness import Representativeness
from .stats.design import MeanEstimate
from .stats.proportions import (
    ShareEstimate,
    format_moe_range_en,
    format_moe_range_sv,
    plus_minus_range_pp,
)

__all__ = [
    "ShownCode",
    "ShownCoded",
    "ShownDifference",
    "ShownGroupTable",
    "ShownMean",
    "ShownPair",
    "ShownPoll",
    "ShownQuestion",
    "ShownRow",
    "ShownShare",
    "ShownTable",
    "coded_shown",
    "decimal_text",
    "intervals_shown",
    "percent_text",
    "plus_minus_text",
    "present",
    "thousands",
]

NBSP = "\u00a0"


# --------------------------------------------------------------------------- numbers as text


def _language(language: str | None) -> str:
    return "en" if (language or translation.get_language() or "sv").startswith("en") else "sv"


def _rounded(value: float, decimals: int) -> Decimal:
    # repr() gives the shortest round-tripping decimal, so 2.45 rounds half up to 2.5.
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)


def thousands(value: int | float, language: str | None = None) -> str:
    """A whole number with its thousands marked: "5 000" (no-break space) in Swedish, "5,000"
    in English."""
    text = f"{int(_rounded(value, 0)):,}"
    return text.replace(",", NBSP) if _language(language) == "sv" else text


def decimal_text(value: float, decimals: int = 1, language: str | None = None) -> str:
    """A number with `decimals` decimals: "2,5" in Swedish, "2.5" in English."""
    text = f"{_rounded(value, decimals):.{decimals}f}"
    return text.replace(".", ",") if _language(language) == "sv" else text


def percent_text(share: float, language: str | None = None) -> str:
    """A share as whole percent: "57 %" in Swedish (no-break space), "57%" in English."""
    number = decimal_text(100.0 * share, 0, language)
    return f"{number}{NBSP}%" if _language(language) == "sv" else f"{number}%"


def plus_minus_text(value: float, decimals: int = 1, language: str | None = None) -> str:
    """ "±9,8": never "±0" for an interval with width (a smaller one gets decimals, down to
    "±<0,1")."""
    if value > 0:
        while decimals < 1 and _rounded(value, decimals) == 0:
            decimals += 1
        if _rounded(value, decimals) == 0:
            return f"±<{decimal_text(0.1, 1, language)}"
    return f"±{decimal_text(value, decimals, language)}"


def moe_range_text(moe_range: tuple[float, float], language: str | None = None) -> str:
    """ "2,5–4" (see `results.stats.format_moe_range_sv`)."""
    if _language(language) == "en":
        return format_moe_range_en(moe_range)
    return format_moe_range_sv(moe_range)


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


# --------------------------------------------------------------------------- what is shown


def intervals_shown(results: PollResults) -> bool:
    """No interval without a random sample: only a poll drawn from a register, not an open
    link, has standard errors, intervals and margins of error."""
    return results.random_sample


def no_sample_text(reason: str | None) -> str | None:
    """Why a poll shows no margin of error, as a sentence (None for a random sample)."""
    if reason is None:
        return None
    if reason == "open_link":
        return _(
            "The respondents are not a random sample (anyone with the poll's link could "
            "answer), so no margin of error is given."
        )
    return _(
        "The respondents are not a random sample (the poll has no register), so no margin of "
        "error is given."
    )


@dataclass(frozen=True)
class ShownDifference:
    """A group against the rest of the respondents (z test, Holm over the groups)."""

    versus_share: float | None
    difference: float | None
    se: float | None
    p_value: float | None
    p_adjusted: float | None
    significant: bool
    note: str | None  # "The difference is within the margin of error" when not significant


@dataclass(frozen=True)
class ShownMean:
    mean: float | None
    se: float | None  # None: no random sample, or too few answers for an interval
    ci_low: float | None
    ci_high: float | None
    moe: float | None  # z * SE, in the variable's unit
    plus_minus: float | None  # from the interval: what is printed as "±"
    n: int
    deff: float | None
    too_few: bool  # one respondent: no interval
    df: float | None = None  # t-based interval's degrees of freedom
    mean_text: str = ""
    interval_text: str = ""  # "1,8–2,4", "too few answers", or "" (no random sample)
    plus_minus_text: str = ""


@dataclass(frozen=True)
class ShownShare:
    """One option (or scale point) of a table, or a code of an open question."""

    code: str
    label: str
    is_dont_know: bool
    point: int | None
    count: float | None
    respondents: int | None
    share: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    moe_pp: float | None  # 100 z SE (R's); 0 at a share of 0 or 100 %
    plus_minus_pp: float | None  # from the interval: what is printed as "±"
    n: int | None
    n_effective: float | None
    deff: float | None
    difference: ShownDifference | None = None
    mean_rank: ShownMean | None = None
    mean_rank_difference: ShownDifference | None = None
    df: float | None = None  # t-based interval's degrees of freedom
    pairs: list[ShownPair] = field(default_factory=list)
    share_text: str = ""
    interval_text: str = ""  # "50–69 %"; "" without a random sample or an estimate
    plus_minus_text: str = ""  # "±9,8"
    plus_minus_short: str = ""  # "±10": whole points where room is scarce (never "±0")

    @property
    def has_estimate(self) -> bool:
        return self.share is not None


@dataclass(frozen=True)
class ShownTable:
    n: int | None  # None when suppressed
    n_effective: float | None
    deff: float | None
    suppressed: bool
    options: list[ShownShare] = field(default_factory=list)
    mean: ShownMean | None = None
    mean_difference: ShownDifference | None = None
    n_text: str = ""
    mean_pairs: list[ShownPair] = field(default_factory=list)

    @property
    def estimated(self) -> list[ShownShare]:
        return [o for o in self.options if o.has_estimate]


@dataclass(frozen=True)
class ShownGroupTable(ShownTable):
    group: str = ""


@dataclass(frozen=True)
class ShownRow:
    """A grid statement."""

    code: str
    text: str
    total: ShownTable
    groups: list[ShownGroupTable] = field(default_factory=list)


@dataclass(frozen=True)
class ShownCode:
    label: str
    count: float
    share: float
    se: float | None
    ci_low: float | None
    ci_high: float | None
    moe_pp: float | None
    plus_minus_pp: float | None
    n: int
    share_text: str = ""
    interval_text: str = ""
    plus_minus_text: str = ""
    plus_minus_short: str = ""


@dataclass(frozen=True)
class ShownCoded:
    """An open question whose answers have codes, reported like a multiple choice."""

    n_answered: int
    n_coded: int
    suppressed: bool  # fewer members answered than the poll's smallest cell: no codes shown
    codes: list[ShownCode] = field(default_factory=list)  # largest share first


@dataclass(frozen=True)
class ShownQuestion:
    question: Question
    code: str
    kind: str
    text: str
    n: int
    dont_know_excluded: bool
    dont_know_n: int
    total: ShownTable | None  # None for texts and grids
    groups: list[ShownGroupTable] = field(default_factory=list)
    rows: list[ShownRow] = field(default_factory=list)
    coded: ShownCoded | None = None
    dont_know: str | None = None  # include/exclude; None without a "don't know" option
    base_text: str = ""  # "n = 214; “don't know” (12 answers) left out of the shares."


@dataclass(frozen=True)
class ShownWeights:
    method: str
    variables: list[str]
    n_effective: float | None
    deff: float | None
    smallest: float | None
    largest: float | None


@dataclass(frozen=True)
class ShownGroupInfo:
    group: str
    n: int | None
    suppressed: bool


@dataclass(frozen=True)
class ShownPoll:
    poll: Poll
    n_responses: int
    population: int | None
    random_sample: bool
    no_margin_reason: str | None  # a sentence; None for a random sample
    no_sample_reason: str | None  # "open_link" or "no_register"
    moe_range_pp: list[float] | None  # the whole poll's "±" range (every share, overall)
    moe_range_groups_pp: list[float] | None  # a breakdown's: every group cell shown
    level: float
    ci: str
    by: str | None
    dont_know: str
    weights: ShownWeights
    groups: list[ShownGroupInfo]
    questions: list[ShownQuestion]
    representativeness: Representativeness | None = None
    moe_text: str = ""  # "2,5–4"
    moe_groups_text: str = ""
    census: bool = False  # the whole population answered: no interval has width
    ci_df: str = "normal"  # "t": Student's t with each domain's degrees of freedom
    variance: str = ""  # which variance the weighting uses, a sentence

    @property
    def level_percent(self) -> int:
        return round(self.level * 100)


# --------------------------------------------------------------------------- presenting


def _difference(difference: GroupDifference | None, sampled: bool) -> ShownDifference | None:
    if difference is None or not sampled:
        return None
    return ShownDifference(
        versus_share=_finite(difference.versus_share),
        difference=_finite(difference.difference),
        se=_finite(difference.se),
        p_value=_finite(difference.p_value),
        p_adjusted=_finite(difference.p_adjusted),
        significant=difference.significant,
        note=None if difference.significant else _("The difference is within the margin of error"),
    )


def _mean(mean: MeanEstimate | None, sampled: bool, language: str) -> ShownMean | None:
    if mean is None:
        return None
    with_interval = sampled and mean.has_interval
    plus_minus = mean.plus_minus if with_interval else None
    interval_text = ""
    if with_interval:
        interval_text = (
            f"{decimal_text(mean.ci_low, 1, language)}\N{EN DASH}"
            f"{decimal_text(mean.ci_high, 1, language)}"
        )
    elif sampled:
        interval_text = _("too few answers")
    return ShownMean(
        mean=_finite(mean.mean),
        se=_finite(mean.se) if with_interval else None,
        ci_low=_finite(mean.ci_low) if with_interval else None,
        ci_high=_finite(mean.ci_high) if with_interval else None,
        moe=_finite(mean.moe) if with_interval else None,
        plus_minus=_finite(plus_minus),
        n=mean.n,
        deff=_finite(mean.deff) if sampled else None,
        too_few=sampled and not mean.has_interval,
        df=mean.df if with_interval else None,
        mean_text=decimal_text(mean.mean, 1, language),
        interval_text=interval_text,
        plus_minus_text="" if plus_minus is None else f"±{decimal_text(plus_minus, 1, language)}",
    )


def _share_texts(e: ShareEstimate, sampled: bool, language: str) -> dict[str, str]:
    texts = {"share_text": percent_text(e.share, language)}
    if sampled:
        low = decimal_text(100.0 * e.ci_low, 0, language)
        texts["interval_text"] = f"{low}\N{EN DASH}{percent_text(e.ci_high, language)}"
        texts["plus_minus_text"] = plus_minus_text(e.plus_minus_pp, 1, language)
        texts["plus_minus_short"] = plus_minus_text(e.plus_minus_pp, 0, language)
    return texts


def _option(option: OptionResult, sampled: bool, language: str) -> ShownShare:
    e = option.estimate
    shown = sampled and e is not None
    return ShownShare(
        code=option.code,
        label=option.label,
        is_dont_know=option.is_dont_know,
        point=option.point,
        count=_finite(e.count) if e else None,
        respondents=e.respondents if e else None,
        share=_finite(e.share) if e else None,
        se=_finite(e.se) if shown and e else None,
        ci_low=_finite(e.ci_low) if shown and e else None,
        ci_high=_finite(e.ci_high) if shown and e else None,
        moe_pp=_finite(e.moe_pp) if shown and e else None,
        plus_minus_pp=_finite(e.plus_minus_pp) if shown and e else None,
        n=e.n if e else None,
        n_effective=_finite(e.n_effective) if shown and e else None,
        deff=_finite(e.deff) if shown and e else None,
        difference=_difference(option.difference, sampled),
        mean_rank=_mean(option.mean_rank, sampled, language),
        mean_rank_difference=_difference(option.mean_rank_difference, sampled),
        df=e.df if shown and e else None,
        pairs=shown_pairs(option.pairs, sampled),
        **(_share_texts(e, sampled, language) if e else {}),
    )


def _table_fields(table: Table, sampled: bool, language: str) -> dict[str, Any]:
    return {
        "n": None if table.suppressed else table.n,
        "n_effective": _finite(table.n_effective),
        "deff": _finite(table.deff),
        "suppressed": table.suppressed,
        "options": [_option(o, sampled, language) for o in table.options],
        "mean": _mean(table.mean, sampled, language),
        "mean_difference": _difference(table.mean_difference, sampled),
        "n_text": "" if table.suppressed else thousands(table.n, language),
        "mean_pairs": shown_pairs(table.mean_pairs, sampled),
    }


def _table(table: Table, sampled: bool, language: str) -> ShownTable:
    return ShownTable(**_table_fields(table, sampled, language))


def _groups(groups: Sequence[GroupTable], sampled: bool, language: str) -> list[ShownGroupTable]:
    return [
        ShownGroupTable(group=g.group, **_table_fields(g.table, sampled, language)) for g in groups
    ]


def coded_shown(question: Question, *, sampled: bool, language: str) -> ShownCoded | None:
    """An open question whose answers have codes: each code's share of those who answered,
    none when fewer members answered than the poll's smallest cell (small-cell suppression:
    a handful of answers could be recognised)."""
    if question.kind != Question.Kind.TEXT or not question.answer_codes.exists():
        return None
    report = coded_question_results(question)
    suppressed = report.n_answered < question.poll.min_cell_size
    codes = []
    for r in [] if suppressed else report.codes:
        e = r.estimate
        codes.append(
            ShownCode(
                label=r.code.label,
                count=e.count,
                share=e.share,
                se=e.se if sampled else None,
                ci_low=e.ci_low if sampled else None,
                ci_high=e.ci_high if sampled else None,
                moe_pp=e.moe_pp if sampled else None,
                plus_minus_pp=e.plus_minus_pp if sampled else None,
                n=e.n,
                **_share_texts(e, sampled, language),
            )
        )
    return ShownCoded(
        n_answered=report.n_answered, n_coded=report.n_coded, suppressed=suppressed, codes=codes
    )


def _question(
    q: QuestionResult, sampled: bool, language: str, dont_know: str | None = None
) -> ShownQuestion:
    return ShownQuestion(
        dont_know=dont_know,
        base_text=base_text(
            dont_know, thousands(_base_n(q), language), q.dont_know_n, language=language
        )
        if q.total is not None or q.rows
        else "",
        question=q.question,
        code=q.question.code,
        kind=q.question.kind,
        text=q.question.text,
        n=q.n,
        dont_know_excluded=q.dont_know_excluded,
        dont_know_n=q.dont_know_n,
        total=_table(q.total, sampled, language) if q.total is not None else None,
        groups=_groups(q.groups, sampled, language),
        rows=[
            ShownRow(
                code=r.row.code,
                text=r.row.text,
                total=_table(r.total, sampled, language),
                groups=_groups(r.groups, sampled, language),
            )
            for r in q.rows
        ],
        coded=coded_shown(q.question, sampled=sampled, language=language),
    )


def _group_estimates(results: PollResults) -> Iterable[ShareEstimate]:
    """Every share a breakdown's group cells show (hidden groups show none)."""
    for q in results.questions:
        for groups in [q.groups, *(r.groups for r in q.rows)]:
            for g in groups:
                if g.table.suppressed:
                    continue
                for option in g.table.options:
                    if option.estimate is not None:
                        yield option.estimate


def present(
    results: PollResults,
    representativeness: Representativeness | None = None,
    *,
    language: str | None = None,
) -> ShownPoll:
    """What is shown of `results` (see the module docstring), in `language` (default: the
    active one)."""
    language = _language(language)
    with translation.override(language):
        sampled = intervals_shown(results)
        params = results.params
        weights = results.weights
        moe_range = results.moe_range if sampled else None
        groups_range = plus_minus_range_pp(_group_estimates(results)) if sampled else None
        return ShownPoll(
            poll=results.poll,
            n_responses=results.n_responses,
            population=results.population,
            random_sample=sampled,
            no_margin_reason=no_sample_text(results.no_sample_reason),
            no_sample_reason=results.no_sample_reason,
            moe_range_pp=list(moe_range) if moe_range else None,
            moe_range_groups_pp=list(groups_range) if groups_range else None,
            level=params.level,
            ci=params.ci,
            by=params.by,
            dont_know=params.dont_know,
            weights=ShownWeights(
                method=weights.method,
                variables=list(weights.variables),
                n_effective=_finite(weights.n_effective),
                deff=_finite(weights.deff),
                smallest=_finite(weights.smallest),
                largest=_finite(weights.largest),
            ),
            groups=[ShownGroupInfo(g.group, g.n, g.suppressed) for g in results.groups],
            questions=[
                _question(q, sampled, language, _dont_know_of(q, params)) for q in results.questions
            ],
            representativeness=representativeness,
            moe_text=moe_range_text(moe_range, language) if moe_range else "",
            moe_groups_text=moe_range_text(groups_range, language) if groups_range else "",
            census=results.population is not None
            and results.n_responses >= results.population
            and moe_range is not None
            and moe_range[1] == 0.0,
            ci_df=params.ci_df,
            variance=variance_text(weights.method),
        )


def _base_n(q: QuestionResult) -> int:
    return q.total.n if q.total is not None else q.n


def _dont_know_of(q: QuestionResult, params: Any) -> str | None:
    if not any(o.is_dont_know for o in q.question.options.all()):
        return None
    return str(params.dont_know_choice(q.question.code))
