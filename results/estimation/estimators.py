"""A poll's estimates: every question's shares and means with their intervals, optionally weighted
to the register and broken down by a reporting variable.

`poll_results(*, poll, by=None, weights=None, weight_by=None, ci=None, level=None)` is the one
selector; parameters left out come from the poll's `ResultSettings` (default: unweighted, Wilson,
95 %). Bad parameters and data that allow no estimate raise `ResultsError` with a message for
staff.

How it is computed
------------------
The estimators are those of `results.stats.design` (R's survey package): ratio estimates of
weighted totals over a domain with the linearised, design-based variance of a simple random
sample from the register (`srs`, with finite population correction), of post-stratification
(cells as strata) or of raking (calibration residuals). What differs is the shape of the data.

Respondents who share a *profile* (the same reporting attributes) have the same weight and belong
to the same cells and groups; for one question, the order of answers within a profile changes no
estimate. So the database returns, in one statement (`load_poll_data`), the number of respondents
per profile and the number of answers per profile and answer (about 16,000 rows for 100,000
responses with 1.5 million answers over 21 län × 5 sectors), and the estimates are computed from
these *atoms*: respondents of one profile who gave the same answer. The variance formulas
(`ProfileDesign.variance`) are the per-respondent ones of `results.stats.design` summed atom by
atom, with the same centring; tests/test_weighted_results.py checks that they give what `Design`,
`share_estimates`, `mean_estimate` and `compare_breakdown` give on the same poll expanded to one
row per respondent. Per respondent, the same estimates take seconds at 100,000 responses; per
atom, milliseconds, and the database's counting dominates (bench/RESULTS.md). The counts do not
depend on the parameters: `results.caching` keeps them per poll generation, so another breakdown
or weighting is computed without the database.

Conventions: a question's "don't know" options (`Option.is_dont_know`) are counted in the shares,
or left out of the domain when the poll's settings say so (per question); they never enter a mean.
A breakdown estimates each group as a domain of the whole design (svyby), hides groups with fewer
respondents than `poll.min_cell_size` (and one more when a single group would be hidden:
`results.stats.suppress`), and compares each shown group with the rest of the respondents
(design-based SE of the difference, Holm's correction over the groups of one option).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
from django.core.cache import cache
from django.db import connection
from django.db.models import Count
from django.db.models.fields.json import KeyTextTransform
from django.utils.translation import gettext as _
from scipy import sparse  # type: ignore[import-untyped]

from polls.conditions import flow_order
from polls.models import Answer, GridRow, Option, Poll, Question, Response
from respondents.importing import register_population_counts
from respondents.models import Register

from ..models import ResultSettings
from ..stats.comparison import holm, holm_adjusted, suppress
from ..stats.design import DesignShareEstimate, MeanEstimate
from ..stats.proportions import METHODS, interval, plus_minus_range_pp, z_value
from ..stats.weighting import WeightingError, rake

__all__ = [
    "WEIGHTINGS",
    "GroupDifference",
    "GroupInfo",
    "GroupTable",
    "OptionResult",
    "PollResults",
    "QuestionResult",
    "ResultParams",
    "ResultsError",
    "RowResult",
    "Table",
    "WeightSummary",
    "attribute_text",
    "PollData",
    "ProfileDesign",
    "compute_poll_results",
    "load_poll_data",
    "poll_design",
    "poll_population",
    "poll_questions",
    "poll_results",
    "population_counts",
    "resolve_params",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.intp]
BoolArray: TypeAlias = npt.NDArray[np.bool_]

WEIGHTINGS: Final[tuple[str, ...]] = ("none", "poststrat", "rake")
LEVEL_RANGE: Final = (0.5, 0.999)
# Register counts change only with an import (which saves the register, so `updated_at` moves):
# the key carries it, and the timeout is a backstop.
POPULATION_CACHE_SECONDS: Final = 3600


class ResultsError(Exception):
    """Parameters or data that allow no estimate; the message says why, for staff."""

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param  # the query parameter at fault, if one is


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class ResultParams:
    """What to estimate, resolved against the poll's settings (hashable: part of cache keys)."""

    by: str | None = None
    weights: str = "none"
    weight_by: tuple[str, ...] = ()
    ci: str = "wilson"
    level: float = 0.95
    dont_know: str = "include"
    dont_know_by_question: tuple[tuple[str, str], ...] = ()

    def excludes_dont_know(self, question_code: str) -> bool:
        choice = dict(self.dont_know_by_question).get(question_code, self.dont_know)
        return choice == ResultSettings.DontKnow.EXCLUDE

    @property
    def variables(self) -> list[str]:
        """The reporting variables the estimates need: the weights' then the breakdown's."""
        names = list(self.weight_by)
        if self.by is not None and self.by not in names:
            names.append(self.by)
        return names


def _names(names: Iterable[str]) -> str:
    return ", ".join(f"“{name}”" for name in names) or "–"


def resolve_params(
    poll: Poll,
    *,
    by: str | None = None,
    weights: str | None = None,
    weight_by: Sequence[str] | None = None,
    ci: str | None = None,
    level: float | None = None,
) -> ResultParams:
    """The parameters to estimate with: those given, the rest from the poll's settings."""
    settings = ResultSettings.for_poll(poll)
    weights = settings.weighting if weights is None else weights
    if weights not in WEIGHTINGS:
        raise ResultsError(
            _("Unknown weighting “%(value)s”: use none, poststrat or rake.") % {"value": weights},
            param="weights",
        )
    ci = settings.ci_method if ci is None else ci
    if ci not in METHODS:
        raise ResultsError(
            _("Unknown interval method “%(value)s”: use wilson, wald or logit.") % {"value": ci},
            param="ci",
        )
    level = settings.level if level is None else level
    if (
        isinstance(level, bool)
        or not isinstance(level, int | float)
        or not (LEVEL_RANGE[0] <= level <= LEVEL_RANGE[1])
    ):
        raise ResultsError(
            _("The confidence level must be a number from 0.5 to 0.999, e.g. 0.95."),
            param="level",
        )
    variables = list(poll.reporting_variables)
    if by is not None and by not in variables:
        raise ResultsError(
            _(
                "Unknown breakdown variable “%(name)s”: the poll's reporting variables are "
                "%(names)s."
            )
            % {"name": by, "names": _names(variables)},
            param="by",
        )
    chosen = tuple(dict.fromkeys(settings.weight_by if weight_by is None else weight_by))
    if weights == "none":
        chosen = ()  # nothing to weight by
    else:
        if not chosen:
            raise ResultsError(
                _("Weighting needs at least one reporting variable to weight by (weight_by)."),
                param="weight_by",
            )
        unknown = [name for name in chosen if name not in variables]
        if unknown:
            raise ResultsError(
                _("Cannot weight by %(unknown)s: the poll's reporting variables are %(names)s.")
                % {"unknown": _names(unknown), "names": _names(variables)},
                param="weight_by",
            )
        if poll.register_id is None:
            raise ResultsError(
                _(
                    "The poll has no register (an open link?): there are no population counts "
                    "to weight to."
                ),
                param="weights",
            )
        if weights == "poststrat" and len(chosen) > 2:
            raise ResultsError(
                _("Post-stratification crosses at most two variables; rake on more."),
                param="weight_by",
            )
    return ResultParams(
        by=by,
        weights=str(weights),
        weight_by=chosen,
        ci=str(ci),
        level=float(level),
        dont_know=str(settings.dont_know),
        dont_know_by_question=tuple(sorted(settings.dont_know_by_question.items())),
    )


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class GroupDifference:
    """A group against the rest of the respondents (two-sided z test, Holm over the groups)."""

    versus_share: float  # the rest's share (or mean)
    difference: float
    se: float
    p_value: float
    p_adjusted: float
    significant: bool  # after Holm; False: the difference is within the margin of error


@dataclass(frozen=True)
class OptionResult:
    """One option (or scale point) of a table."""

    code: str
    option: Option | None  # None for a scale point
    point: int | None = None  # the scale point
    estimate: DesignShareEstimate | None = None  # None when nobody is in the domain
    difference: GroupDifference | None = None  # in a breakdown's group
    mean_rank: MeanEstimate | None = None  # ranking: the mean place among those ranking it
    mean_rank_difference: GroupDifference | None = None

    @property
    def label(self) -> str:
        return self.option.label if self.option is not None else str(self.point)

    @property
    def is_dont_know(self) -> bool:
        return self.option is not None and self.option.is_dont_know


@dataclass(frozen=True)
class Table:
    """The estimates of one question (or grid statement) in one domain: all, or one group."""

    n: int  # respondents in the domain
    n_effective: float | None  # n / Kish's design effect of their weights
    deff: float | None  # Kish's design effect of the weights (1 unweighted)
    options: list[OptionResult] = field(default_factory=list)
    mean: MeanEstimate | None = None  # scale, number
    mean_difference: GroupDifference | None = None
    suppressed: bool = False  # fewer respondents than the poll's threshold (or complementary)


@dataclass(frozen=True)
class GroupTable:
    group: str
    table: Table


@dataclass(frozen=True)
class RowResult:
    """A grid statement: like a single-choice question."""

    row: GridRow
    total: Table
    groups: list[GroupTable] = field(default_factory=list)


@dataclass(frozen=True)
class QuestionResult:
    question: Question
    n: int  # respondents who answered it
    total: Table | None  # None for texts and grids
    groups: list[GroupTable] = field(default_factory=list)
    rows: list[RowResult] = field(default_factory=list)  # grid
    dont_know_excluded: bool = False
    dont_know_n: int = 0  # respondents who answered "don't know"

    @property
    def options(self) -> list[OptionResult]:
        return self.total.options if self.total is not None else []


@dataclass(frozen=True)
class GroupInfo:
    group: str
    n: int | None  # respondents; None when suppressed
    suppressed: bool


@dataclass(frozen=True)
class WeightSummary:
    method: str  # none, poststrat, rake
    variables: tuple[str, ...]
    n_effective: float | None
    deff: float | None  # Kish
    smallest: float | None  # per respondent
    largest: float | None


@dataclass(frozen=True)
class PollResults:
    poll: Poll
    params: ResultParams
    n_responses: int
    population: int | None
    random_sample: bool  # False: no register, so no margins of error
    questions: list[QuestionResult]
    moe_range: tuple[float, float] | None
    weights: WeightSummary
    groups: list[GroupInfo] = field(default_factory=list)  # the breakdown's, poll-wide

    @property
    def no_sample_reason(self) -> str | None:
        """Why there is no margin of error (a code the pages turn into a sentence)."""
        if self.random_sample:
            return None
        return "open_link" if self.poll.open_link else "no_register"


# --------------------------------------------------------------------------- population


def population_counts(register: Register, variables: Sequence[str]) -> dict[str, Any]:
    """`register_population_counts` (pairs included), cached per register state."""
    names = list(dict.fromkeys(variables))
    stamp = register.updated_at.timestamp() if register.updated_at else 0
    key = f"results:population:{register.pk}:{stamp}:{'|'.join(names)}"
    counts = cache.get(key)
    if counts is None:
        counts = register_population_counts(register, names, pairs=len(names) == 2)
        cache.set(key, counts, POPULATION_CACHE_SECONDS)
    return counts


def poll_population(poll: Poll) -> int | None:
    """Size of the population the poll's sample represents: its register's current members."""
    if poll.register is None:
        return None
    return int(population_counts(poll.register, [])["total"])


# --------------------------------------------------------------------------- loading


@dataclass
class _Atoms:
    """Answers counted per profile and answer: `count` respondents of profile `profile` gave
    option `option` (0: none) to statement `row` (0) at place `rank` (0), or the value `value`
    (NaN)."""

    profile: IntArray
    option: IntArray
    row: IntArray
    rank: IntArray
    value: FloatArray
    count: FloatArray

    @classmethod
    def empty(cls) -> _Atoms:
        ints = np.zeros(0, dtype=np.intp)
        return cls(ints, ints, ints, ints, np.zeros(0), np.zeros(0))

    def take(self, mask: BoolArray) -> _Atoms:
        return _Atoms(
            self.profile[mask],
            self.option[mask],
            self.row[mask],
            self.rank[mask],
            self.value[mask],
            self.count[mask],
        )


@dataclass
class PollData:
    """A poll's answers counted per profile (see the module docstring): what every estimate of
    the poll needs, whatever the parameters; cached per poll generation."""

    variables: tuple[str, ...]  # the reporting variables the profiles are over (or none)
    profiles: list[tuple[str, ...]]  # each profile's values of `variables` ("" when missing)
    sizes: FloatArray  # respondents per profile
    atoms: dict[int, _Atoms]  # question id -> its answers
    answered: dict[int, FloatArray]  # multiple choice: respondents per profile
    dont_know: dict[int, FloatArray]  # multiple choice: respondents with a "don't know"
    overlap: dict[int, _Atoms]  # multiple choice: ticks of respondents with a "don't know"
    text_n: dict[int, int]
    # PostgreSQL: the snapshot the counts were read in (`pg_current_snapshot()`), and the
    # responses counted in since (`merge_poll_data`); see results.caching.response_added
    snapshot: str | None = None
    added: frozenset[str] = frozenset()

    @property
    def n(self) -> int:
        return int(round(self.sizes.sum()))


def attribute_text(value: object) -> str:
    """An attribute as register_population_counts counts members: a missing one is ""."""
    return "" if value is None else str(value)


def load_poll_data(
    poll: Poll,
    questions: list[Question],
    *,
    profiles: bool,
    response_ids: Sequence[object] | None = None,
) -> PollData:
    """Count the poll's answers per profile (over all its reporting variables when `profiles`,
    else one profile of everyone) and answer, in one statement: one snapshot, one round trip.
    `response_ids`: only those responses (a new response's counts, for `merge_poll_data`).

    A profile is a distinct value of the responses' attributes (only the reporting variables
    travel onto a response). They are numbered in the database (ROW_NUMBER over the few
    distinct values, joined back to the responses), so that the answers are grouped on an
    integer and PostgreSQL hashes the responses, not the answers; the small parts of the query
    group on the attributes themselves."""
    qn = connection.ops.quote_name
    answer = qn(Answer._meta.db_table)
    response = qn(Response._meta.db_table)
    attributes, poll_id, pk = qn("attributes"), qn("poll_id"), qn("id")
    variables = tuple(poll.reporting_variables) if profiles else ()
    columns = [f"v{i}" for i in range(len(variables))]
    sql_params: list[Any] = []

    def placeholders(ids: Sequence[object]) -> str:
        sql_params.extend(ids)
        return ", ".join(["%s"] * len(ids))

    pk_field = Response._meta.pk
    assert pk_field is not None
    only_ids = (
        None
        if response_ids is None
        else [pk_field.get_db_prep_value(i, connection) for i in response_ids] or [None]
    )

    def only(column: str) -> str:
        """` AND column IN (the responses)` when restricted to some."""
        return "" if only_ids is None else f" AND {column} IN ({placeholders(only_ids)})"

    a = {
        name: f"a.{qn(name)}"
        for name in ("question_id", "option_id", "row_id", "rank", "value", "response_id")
    }
    # typed NULLs: PostgreSQL resolves the columns' types from the first branches
    typed = (
        "CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), "
        "CAST(NULL AS INTEGER), CAST(NULL AS NUMERIC)"
    )
    nulls = "".join("NULL, " for _c in columns)
    if variables:
        responses = Response.objects.filter(poll=poll)
        if response_ids is not None:
            responses = responses.filter(pk__in=list(response_ids))
        distinct = (
            responses.values("attributes")
            .annotate(
                **{
                    c: KeyTextTransform(name, "attributes")
                    for c, name in zip(columns, variables, strict=True)
                }
            )
            .annotate(n=Count("pk"))
            .order_by()
        )
        distinct_sql, distinct_params = distinct.query.sql_with_params()
        sql_params.extend(distinct_params)
        x_columns = "".join(f"x.{c}, " for c in columns)
        d_columns = "".join(f"d.{c}, " for c in columns)
        parts = [
            f"SELECT 0, d.p, d.{attributes}, {d_columns}{typed}, d.n, CAST(NULL AS BIGINT) "
            f"FROM (SELECT ROW_NUMBER() OVER (ORDER BY x.{attributes}) AS p, x.{attributes}, "
            f"{x_columns}x.n FROM ({distinct_sql}) x) d"
        ]

        def numbered() -> str:
            """The responses with their profile's number, as the first part numbers them."""
            sql_params.append(poll.pk)
            inner = only(pk)
            sql_params.append(poll.pk)
            outer = only(f"s.{pk}")
            return (
                f"INNER JOIN (SELECT s.{pk}, u.p FROM {response} s INNER JOIN "
                f"(SELECT ROW_NUMBER() OVER (ORDER BY t.{attributes}) AS p, t.{attributes} "
                f"FROM (SELECT DISTINCT {attributes} FROM {response} WHERE {poll_id} = %s{inner}"
                f") t) u ON s.{attributes} = u.{attributes} WHERE s.{poll_id} = %s{outer}) r "
                f"ON {a['response_id']} = r.{pk}"
            )

        def by_attributes(alias: str) -> str:
            return f"INNER JOIN {response} s ON {alias}.{qn('response_id')} = s.{pk}"

        profile, profile_group = "r.p", ", r.p"
        keyed, keyed_group = f"NULL, s.{attributes}", f", s.{attributes}"
    else:
        sql_params.append(poll.pk)
        parts = [
            f"SELECT 0, 0, NULL, {typed}, COUNT(*), CAST(NULL AS BIGINT) FROM {response} "
            f"WHERE {poll_id} = %s{only(pk)}"
        ]

        def numbered() -> str:
            return ""

        def by_attributes(alias: str) -> str:
            return ""

        profile, profile_group = "0", ""
        keyed, keyed_group = "0, NULL", ""

    answer_ids = [q.pk for q in questions if q.kind != Question.Kind.TEXT]
    if answer_ids:
        keys = ", ".join(a[k] for k in ("question_id", "option_id", "row_id", "rank", "value"))
        parts.append(
            f"SELECT 1, {profile}, NULL, {nulls}{keys}, COUNT(*), NULL FROM {answer} a "
            f"{numbered()} WHERE {a['question_id']} IN ({placeholders(answer_ids)})"
            f"{only(a['response_id'])} GROUP BY {keys}{profile_group}"
        )
    multiple = [q for q in questions if q.kind == Question.Kind.MULTIPLE]
    if multiple:
        dont_know = [o.pk for q in multiple for o in q.options.all() if o.is_dont_know] or [0]
        # respondents per question (and with a "don't know"): one row each, then counted
        per_respondent = (
            f"(SELECT {a['response_id']}, {a['question_id']} AS q, "
            f"MAX(CASE WHEN {a['option_id']} IN ({placeholders(dont_know)}) THEN 1 ELSE 0 END) "
            f"AS dk FROM {answer} a "
            f"WHERE {a['question_id']} IN ({placeholders([q.pk for q in multiple])})"
            f"{only(a['response_id'])} GROUP BY {a['response_id']}, {a['question_id']}) m"
        )
        parts.append(
            f"SELECT 2, {keyed}, {nulls}m.q, NULL, NULL, NULL, NULL, COUNT(*), SUM(m.dk) "
            f"FROM {per_respondent} {by_attributes('m')} GROUP BY m.q{keyed_group}"
        )
        # Respondents who ticked a "don't know" that is not exclusive may have ticked more:
        # when "don't know" is left out, their other ticks go with them.
        mixed = [
            q for q in multiple if any(o.is_dont_know and not o.exclusive for o in q.options.all())
        ]
        if mixed:
            mixed_dk = [o.pk for q in mixed for o in q.options.all() if o.is_dont_know]
            parts.append(
                f"SELECT 4, {keyed}, {nulls}{a['question_id']}, {a['option_id']}, NULL, NULL, "
                f"NULL, COUNT(*), NULL FROM {answer} a {by_attributes('a')} "
                f"WHERE {a['question_id']} IN ({placeholders([q.pk for q in mixed])})"
                f"{only(a['response_id'])} AND EXISTS (SELECT 1 FROM {answer} b "
                f"WHERE b.{qn('response_id')} = {a['response_id']} "
                f"AND b.{qn('question_id')} = {a['question_id']} "
                f"AND b.{qn('option_id')} IN ({placeholders(mixed_dk)})) "
                f"GROUP BY {a['question_id']}, {a['option_id']}{keyed_group}"
            )
    texts = [q.pk for q in questions if q.kind == Question.Kind.TEXT]
    if texts:
        parts.append(
            f"SELECT 3, 0, NULL, {nulls}{a['question_id']}, NULL, NULL, NULL, NULL, COUNT(*), "
            f"NULL FROM {answer} a WHERE {a['question_id']} IN ({placeholders(texts)})"
            f"{only(a['response_id'])} AND a.{qn('text')} <> '' GROUP BY {a['question_id']}"
        )
    if snapshots():
        # the statement's snapshot (one per statement), for merge_poll_data's callers
        snapshot = "CAST(PG_CURRENT_SNAPSHOT() AS TEXT)"  # typed as the first part's column
        if variables:
            snapshot = f"TO_JSONB({snapshot})"
        parts.append(f"SELECT 5, 0, {snapshot}, {nulls}{typed}, 1, NULL")
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), sql_params)
        rows = cursor.fetchall()
    data = _parse(rows, variables)
    snapshot = next((row[2] for row in rows if row[0] == 5), None)
    if isinstance(snapshot, str) and snapshot.startswith('"'):
        snapshot = json.loads(snapshot)  # jsonb comes back as its text
    data.snapshot = None if snapshot is None else str(snapshot)
    return data


def snapshots() -> bool:
    """Whether the database tells a statement's snapshot (PostgreSQL 13 and later)."""
    return connection.vendor == "postgresql" and connection.pg_version >= 130000


def merge_poll_data(data: PollData, new: PollData, response_ids: Iterable[str]) -> PollData:
    """`data` with the counts of more responses (`new`, loaded over the same questions and
    variables): what counting everything again would give, up to the order of profiles and
    atoms (which no estimate depends on)."""
    profiles = list(data.profiles)
    index = {p: i for i, p in reversed(list(enumerate(profiles)))}
    mapping = []
    for p in new.profiles:
        if p not in index:
            index[p] = len(profiles)
            profiles.append(p)
        mapping.append(index[p])
    size = len(profiles)
    to_ours = np.array(mapping, dtype=np.intp)

    def grown(values: FloatArray) -> FloatArray:
        return np.concatenate([values, np.zeros(size - values.size)])

    sizes = grown(data.sizes)
    np.add.at(sizes, to_ours, new.sizes)

    def atoms(ours: dict[int, _Atoms], theirs: dict[int, _Atoms]) -> dict[int, _Atoms]:
        merged = dict(ours)
        for q, extra in theirs.items():
            have = merged.get(q, _Atoms.empty())
            profile, option, row, rank = (
                have.profile.copy(),
                have.option.copy(),
                have.row.copy(),
                have.rank.copy(),
            )
            value, count = have.value.copy(), have.count.copy()
            for i in range(extra.count.size):
                p = to_ours[extra.profile[i]]
                v = extra.value[i]
                same = (
                    (profile == p)
                    & (option == extra.option[i])
                    & (row == extra.row[i])
                    & (rank == extra.rank[i])
                    & ((value == v) | (np.isnan(value) & math.isnan(v)))
                )
                found = np.flatnonzero(same)
                if found.size:
                    count[found[0]] += extra.count[i]
                else:
                    profile = np.append(profile, p)
                    option = np.append(option, extra.option[i])
                    row = np.append(row, extra.row[i])
                    rank = np.append(rank, extra.rank[i])
                    value = np.append(value, v)
                    count = np.append(count, extra.count[i])
            merged[q] = _Atoms(profile, option, row, rank, value, count)
        return merged

    def per_profile(ours: dict[int, FloatArray], theirs: dict[int, FloatArray]) -> dict:
        merged = {q: grown(v) for q, v in ours.items()}
        for q, extra in theirs.items():
            merged.setdefault(q, np.zeros(size))
            np.add.at(merged[q], to_ours, extra)
        return merged

    text_n = dict(data.text_n)
    for q, n in new.text_n.items():
        text_n[q] = text_n.get(q, 0) + n
    return PollData(
        variables=data.variables,
        profiles=profiles,
        sizes=sizes,
        atoms=atoms(data.atoms, new.atoms),
        answered=per_profile(data.answered, new.answered),
        dont_know=per_profile(data.dont_know, new.dont_know),
        overlap=atoms(data.overlap, new.overlap),
        text_n=text_n,
        snapshot=data.snapshot,
        added=data.added | frozenset(response_ids),
    )


def _canonical(attributes: object) -> str:
    """One text per attributes value, whatever the database returned (a dict, or JSON text)."""
    if isinstance(attributes, str):
        attributes = json.loads(attributes)
    return json.dumps(attributes, sort_keys=True, separators=(",", ":"))


def _parse(rows: list[tuple[Any, ...]], variables: tuple[str, ...]) -> PollData:
    """Rows: part, profile number, attributes, the variables' values, question, option, row,
    rank, value, count, second count."""
    width = len(variables)
    by_number: dict[int, int] = {}  # the database's profile number -> ours
    by_attributes: dict[str, int] = {}
    profiles: list[tuple[str, ...]] = []
    sizes: list[float] = []
    for row in rows:
        if row[0] != 0 or not row[-2]:
            continue
        # equal attributes written differently (SQLite compares text) are one profile
        key = _canonical(row[2]) if width else ""
        if key not in by_attributes:
            by_attributes[key] = len(profiles)
            profiles.append(tuple(attribute_text(v) for v in row[3 : 3 + width]))
            sizes.append(0.0)
        by_number[int(row[1])] = by_attributes[key]
        sizes[by_attributes[key]] += float(row[-2])
    buckets: dict[int, list[tuple[Any, ...]]] = {1: [], 2: [], 4: []}
    text_n: dict[int, int] = {}
    for row in rows:
        part = row[0]
        if part == 3:
            text_n[int(row[3 + width])] = int(row[-2])
        elif part in buckets:
            if row[1] is not None:
                profile = by_number[int(row[1])]
            else:
                profile = by_attributes[_canonical(row[2])]
            buckets[part].append((profile, *row[3 + width :]))

    def atoms_of(records: list[tuple[Any, ...]]) -> dict[int, _Atoms]:
        if not records:
            return {}
        profile = np.array([r[0] for r in records], dtype=np.intp)
        question = np.array([r[1] for r in records], dtype=np.intp)
        option = np.array([r[2] or 0 for r in records], dtype=np.intp)
        grid_row = np.array([r[3] or 0 for r in records], dtype=np.intp)
        rank = np.array([r[4] or 0 for r in records], dtype=np.intp)
        value = np.array([math.nan if r[5] is None else float(r[5]) for r in records])
        count = np.array([float(r[6]) for r in records])
        everything = _Atoms(profile, option, grid_row, rank, value, count)
        return {int(q): everything.take(question == q) for q in np.unique(question)}

    answered: dict[int, FloatArray] = {}
    dont_know: dict[int, FloatArray] = {}
    for record in buckets[2]:
        question_id = int(record[1])
        if question_id not in answered:
            answered[question_id] = np.zeros(len(profiles))
            dont_know[question_id] = np.zeros(len(profiles))
        answered[question_id][record[0]] += float(record[6])
        dont_know[question_id][record[0]] += float(record[7] or 0)
    return PollData(
        variables=variables,
        profiles=profiles,
        sizes=np.array(sizes, dtype=float),
        atoms=atoms_of(buckets[1]),
        answered=answered,
        dont_know=dont_know,
        overlap=atoms_of(buckets[4]),
        text_n=text_n,
    )


# --------------------------------------------------------------------------- the design


def _sum_by(index: IntArray, values: FloatArray, size: int) -> FloatArray:
    """Row sums of `values` (m x k) grouped by `index` (m) into `size` rows."""
    matrix = sparse.csr_matrix(
        (np.ones(index.size), (index, np.arange(index.size))), shape=(size, index.size)
    )
    result: FloatArray = np.asarray(matrix @ values)
    return result


@dataclass(frozen=True, eq=False)
class ProfileDesign:
    """`results.stats.design.Design` for respondents grouped in profiles (see the module
    docstring): each profile's size, the weight of each of its respondents, its stratum and the
    variance factor of each stratum; for raking, an orthonormal basis of the calibration
    indicators (weighted by the profile sizes)."""

    method: Literal["srs", "poststrat", "raking"]
    sizes: FloatArray
    weights: FloatArray
    population: float | None
    strata: IntArray
    strata_sizes: FloatArray
    strata_factor: FloatArray
    basis: FloatArray | None = None

    @property
    def n(self) -> int:
        return int(self.sizes.sum())

    @property
    def sampling_fraction(self) -> float:
        return 0.0 if self.population is None else self.n / self.population

    def variance(
        self, profile: IntArray, count: FloatArray, member: BoolArray, t: FloatArray
    ) -> FloatArray:
        """The design-based variance of each column's estimator.

        Atom `a` holds `count[a]` respondents of profile `profile[a]`; for column `k` those of the
        atoms with `member[a, k]` are in the estimator's domain, each with the weight-free
        linearised value `t[a, k]` (the per-respondent influence is `w * t`); every other
        respondent has 0. As `Design.covariance`, per stratum: `factor_h * sum (z - mean_h z)^2`.
        """
        size = self.sizes.size
        cm = count[:, None] * member
        in_domain = _sum_by(profile, cm, size)
        outside = self.sizes[:, None] - in_domain  # respondents of each profile with z = 0 ...
        w = self.weights[profile][:, None]
        if self.basis is not None:
            # ... except under raking, where z_i = w_i (t_i - x_i'b): the calibration residuals
            # of the least-squares fit of t on the margins' indicators, over all respondents.
            root = np.sqrt(self.sizes)[:, None]
            fitted = self.basis @ (self.basis.T @ (_sum_by(profile, cm * t, size) / root)) / root
            z = w * (t - fitted[profile])
            z_outside = -self.weights[:, None] * fitted
        else:
            z = w * t
            z_outside = np.zeros_like(outside)
        h = self.strata_sizes.size
        atom_stratum = self.strata[profile]
        mean = (
            _sum_by(atom_stratum, cm * z, h) + _sum_by(self.strata, outside * z_outside, h)
        ) / self.strata_sizes[:, None]
        squares = _sum_by(atom_stratum, cm * (z - mean[atom_stratum]) ** 2, h) + _sum_by(
            self.strata, outside * (z_outside - mean[self.strata]) ** 2, h
        )
        result: FloatArray = np.maximum(self.strata_factor @ squares, 0.0)
        return result


def _srs_factor(n: float, population: float | None) -> float:
    if n < 2:
        return 0.0
    fraction = 0.0 if population is None else n / population
    return (1.0 - fraction) * n / (n - 1.0)


def _cell_text(variables: Sequence[str], cell: tuple[str, ...]) -> str:
    return ", ".join(
        f"{name} = “{value or '–'}”" for name, value in zip(variables, cell, strict=True)
    )


def poll_design(poll: Poll, loaded: PollData, params: ResultParams) -> ProfileDesign:
    sizes = loaded.sizes
    n = float(sizes.sum())
    single = np.zeros(sizes.size, dtype=np.intp)
    if params.weights == "none":
        population = poll_population(poll)
        if population is not None and population < n:
            raise ResultsError(
                _(
                    "The register has %(population)d members, fewer than the poll's "
                    "%(n)d responses: is it the right register?"
                )
                % {"population": population, "n": int(n)}
            )
        weight = 1.0 if population is None else population / n
        return ProfileDesign(
            method="srs",
            sizes=sizes,
            weights=np.full(sizes.size, weight),
            population=None if population is None else float(population),
            strata=single,
            strata_sizes=np.array([n]),
            strata_factor=np.array([_srs_factor(n, population)]),
        )
    assert poll.register is not None  # resolve_params refuses weights without a register
    names = list(params.weight_by)
    counts = population_counts(poll.register, names)
    positions = [loaded.variables.index(name) for name in names]
    if params.weights == "poststrat":
        return _poststratified(loaded, names, positions, counts)
    return _raked(loaded, names, positions, counts)


def _poststratified(
    loaded: PollData, names: list[str], positions: list[int], counts: dict[str, Any]
) -> ProfileDesign:
    register: dict[tuple[str, ...], int]
    if len(names) == 1:
        register = {(value,): count for value, count in counts["variables"][names[0]].items()}
    else:
        register = {tuple(cell): count for cell, count in counts["pairs"][tuple(names)].items()}
    cells = [tuple(profile[p] for p in positions) for profile in loaded.profiles]
    keys = list(dict.fromkeys(cells))
    stratum = np.array([keys.index(cell) for cell in cells], dtype=np.intp)
    sizes = _sum_by(stratum, loaded.sizes[:, None], len(keys))[:, 0]
    for cell, count in register.items():
        if count > 0 and cell not in keys:
            raise ResultsError(
                _(
                    "No respondent is in the cell %(cell)s, which has %(count)d members in the "
                    "register: weight by fewer variables or rake instead."
                )
                % {"cell": _cell_text(names, cell), "count": count}
            )
    totals = np.array([float(register.get(cell, 0)) for cell in keys])
    for cell, n_h, big_n in zip(keys, sizes, totals, strict=True):
        if big_n < n_h:
            raise ResultsError(
                _(
                    "The cell %(cell)s has %(n)d respondents but %(count)d members in the "
                    "register: do the responses belong to this register?"
                )
                % {"cell": _cell_text(names, cell), "n": int(n_h), "count": int(big_n)}
            )
        if n_h == 1 and big_n > 1:
            raise ResultsError(
                _(
                    "The cell %(cell)s has a single respondent: its sampling variance cannot be "
                    "estimated. Weight by fewer variables or rake instead."
                )
                % {"cell": _cell_text(names, cell)}
            )
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(sizes >= 2, (1.0 - sizes / totals) * sizes / (sizes - 1.0), 0.0)
    return ProfileDesign(
        method="poststrat",
        sizes=loaded.sizes,
        weights=(totals / sizes)[stratum],
        population=float(sum(register.values())),
        strata=stratum,
        strata_sizes=sizes,
        strata_factor=factor,
    )


def _raked(
    loaded: PollData, names: list[str], positions: list[int], counts: dict[str, Any]
) -> ProfileDesign:
    margins = {
        name: [profile[p] for profile in loaded.profiles]
        for name, p in zip(names, positions, strict=True)
    }
    targets: dict[str, dict[Hashable, float]] = {
        name: {value: float(count) for value, count in counts["variables"][name].items()}
        for name in names
    }
    for name in names:
        present = set(margins[name])
        for value, count in targets[name].items():
            if count > 0 and value not in present:
                raise ResultsError(
                    _(
                        "No respondent has %(name)s = “%(value)s”, which %(count)d members of the "
                        "register have: the weights cannot represent them."
                    )
                    % {"name": name, "value": value or "–", "count": int(count)}
                )
        for value in present:
            if targets[name].get(value, 0.0) <= 0:
                raise ResultsError(
                    _(
                        "Respondents have %(name)s = “%(value)s”, which no member of the "
                        "register has: do the responses belong to this register?"
                    )
                    % {"name": name, "value": value or "–"}
                )
    try:
        # Raking profiles from their sizes gives every respondent the weight that raking the
        # respondents from equal weights would (iterative proportional fitting on the table).
        result = rake(margins, targets, base_weights=loaded.sizes)
    except WeightingError as error:
        raise ResultsError(
            _("The weights cannot be computed: %(reason)s") % {"reason": error}
        ) from None
    population = float(sum(targets[names[0]].values()))
    n = float(loaded.sizes.sum())
    if population < n:
        raise ResultsError(
            _("The register has %(population)d members, fewer than the %(n)d respondents.")
            % {"population": int(population), "n": int(n)}
        )
    columns = [np.ones(len(loaded.profiles))]
    for name in names:
        for value in sorted(set(margins[name])):
            columns.append(np.array([v == value for v in margins[name]], dtype=float))
    x = np.column_stack(columns) * np.sqrt(loaded.sizes)[:, None]
    # As Design.raked: a rank-revealing SVD (all levels of every margin are collinear), with
    # the cut-off of the n x q matrix, whose singular values these are.
    u, s, _v = np.linalg.svd(x, full_matrices=False)
    rank = int(np.sum(s > s[0] * max(n, x.shape[1]) * np.finfo(float).eps)) if s.size else 0
    return ProfileDesign(
        method="raking",
        sizes=loaded.sizes,
        weights=result.weights / loaded.sizes,
        population=population,
        strata=np.zeros(len(loaded.profiles), dtype=np.intp),
        strata_sizes=np.array([n]),
        strata_factor=np.array([_srs_factor(n, population)]),
        basis=u[:, :rank],
    )


# --------------------------------------------------------------------------- estimators


@dataclass
class _Columns:
    """Ratio estimates of a batch of columns (see `ProfileDesign.variance`)."""

    estimate: FloatArray  # raw ratio of weighted totals (NaN for an empty domain)
    n: FloatArray  # respondents in the domain
    ones: FloatArray  # respondents in the domain with y = 1 (shares)
    variance: FloatArray
    kish: FloatArray  # Kish's design effect of the domain's weights
    deff: FloatArray  # svymean's (NaN where undefined)
    t: FloatArray  # weight-free influence per atom and column


def _columns(
    design: ProfileDesign, profile: IntArray, count: FloatArray, member: BoolArray, y: FloatArray
) -> _Columns:
    w = design.weights[profile][:, None]
    cm = count[:, None] * member
    total = (cm * w).sum(axis=0)
    n_d = cm.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = (cm * w * y).sum(axis=0) / total
        t = np.where(member, (y - estimate) / total, 0.0)
        variance = design.variance(profile, count, member, t)
        kish = n_d * (cm * w * w).sum(axis=0) / (total * total)
        s2 = n_d / (n_d - 1.0) * (cm * w * (y - estimate) ** 2).sum(axis=0) / total
        if design.population is None:
            srs = s2 / n_d
        else:
            srs = np.where(total > n_d, s2 * (1.0 - n_d / total) / n_d, math.nan)
        deff = np.where((n_d >= 2) & (srs > 0.0), variance / srs, math.nan)
    ones = (cm * (y == 1.0)).sum(axis=0)
    return _Columns(estimate, n_d, ones, variance, kish, deff, t)


def _share(
    columns: _Columns, k: int, design: ProfileDesign, level: float, method: str
) -> DesignShareEstimate | None:
    """Column k as `share_estimates` gives it (None for an empty domain)."""
    n_d = int(round(columns.n[k]))
    if n_d == 0:
        return None
    ones = columns.ones[k]
    if ones == 0:
        p = 0.0
    elif ones == n_d:
        p = 1.0
    else:
        p = min(max(float(columns.estimate[k]), 0.0), 1.0)
    se = math.sqrt(float(columns.variance[k]))
    f = design.sampling_fraction
    if p in (0.0, 1.0):
        n_effective = math.inf if f >= 1.0 else n_d / (float(columns.kish[k]) * (1.0 - f))
    elif se > 0.0:
        n_effective = p * (1.0 - p) / (se * se)
    else:
        n_effective = math.inf
    shown = interval(p, se=se, n_effective=n_effective, level=level, method=method)
    return DesignShareEstimate(
        count=p * n_d,
        share=p,
        se=se,
        ci_low=shown.low,
        ci_high=shown.high,
        moe_pp=100.0 * z_value(level) * se,
        n=n_d,
        n_effective=n_effective,
        respondents=int(round(ones)),
        deff=float(columns.deff[k]),
    )


def _mean(columns: _Columns, k: int, level: float) -> MeanEstimate | None:
    """Column k as `mean_estimate` gives it (None for an empty domain)."""
    n_d = int(round(columns.n[k]))
    if n_d == 0:
        return None
    z = z_value(level)
    se = math.sqrt(float(columns.variance[k]))
    mean = float(columns.estimate[k])
    return MeanEstimate(
        mean=mean,
        se=se,
        ci_low=mean - z * se,
        ci_high=mean + z * se,
        moe=z * se,
        n=n_d,
        deff=float(columns.deff[k]),
    )


@dataclass
class _Context:
    poll: Poll
    params: ResultParams
    design: ProfileDesign
    group_of_profile: IntArray | None  # index into `groups`
    groups: list[str]

    @property
    def level(self) -> float:
        return self.params.level


@dataclass
class _Family:
    """Estimates of J columns (options, or means) overall and per shown group."""

    overall: list[Any]
    by_group: dict[int, list[Any]]
    differences: dict[int, list[GroupDifference | None]]
    kish: float  # of the first column's domain, overall
    group_kish: dict[int, float]


def _family(
    ctx: _Context,
    profile: IntArray,
    count: FloatArray,
    member: BoolArray,
    y: FloatArray,
    *,
    kind: Literal["share", "mean"],
    shown: Sequence[int] = (),
) -> _Family:
    """Columns J of (member, y) overall, in each shown group, and each shown group against the
    rest of the respondents (everyone in the column's domain outside the group, hidden groups
    included): `compare_breakdown(versus="rest")`, Holm over the groups of each column."""
    j = member.shape[1]
    parts_member = [member]
    parts_y = [y]
    group_of_atom = None
    if shown:
        assert ctx.group_of_profile is not None
        group_of_atom = ctx.group_of_profile[profile]
        for g in shown:
            inside = (group_of_atom == g)[:, None]
            parts_member += [member & inside, member & ~inside]
            parts_y += [y, y]
    all_member = np.hstack(parts_member)
    all_y = np.hstack(parts_y)
    cols = _columns(ctx.design, profile, count, all_member, all_y)

    def estimate(k: int) -> Any:
        if kind == "share":
            return _share(cols, k, ctx.design, ctx.level, ctx.params.ci)
        return _mean(cols, k, ctx.level)

    result = _Family(
        overall=[estimate(k) for k in range(j)],
        by_group={},
        differences={},
        kish=float(cols.kish[0]),
        group_kish={},
    )
    if not shown:
        return result
    inside_cols = np.array([j * (1 + 2 * s) + c for s in range(len(shown)) for c in range(j)])
    rest_cols = inside_cols + j
    difference_variance = ctx.design.variance(
        profile,
        count,
        all_member[:, inside_cols] | all_member[:, rest_cols],
        cols.t[:, inside_cols] - cols.t[:, rest_cols],
    )
    raw: dict[int, list[tuple[float, float, float, float] | None]] = {}
    for s, g in enumerate(shown):
        result.by_group[g] = [estimate(int(k)) for k in inside_cols[s * j : (s + 1) * j]]
        result.group_kish[g] = float(cols.kish[inside_cols[s * j]])
        row: list[tuple[float, float, float, float] | None] = []
        for c in range(j):
            k_in, k_rest = inside_cols[s * j + c], rest_cols[s * j + c]
            if cols.n[k_in] == 0 or cols.n[k_rest] == 0:
                row.append(None)
                continue
            difference = float(cols.estimate[k_in] - cols.estimate[k_rest])
            se = math.sqrt(float(difference_variance[s * j + c]))
            if se > 0.0:
                z = difference / se
            else:  # no sampling error: any difference is real, none is none
                z = 0.0 if difference == 0.0 else math.copysign(math.inf, difference)
            p_value = math.erfc(abs(z) / math.sqrt(2.0))
            row.append((float(cols.estimate[k_rest]), difference, se, p_value))
        raw[g] = row
    alpha = 1.0 - ctx.level
    for g in shown:
        result.differences[g] = [None] * j
    for c in range(j):
        tested = [g for g in shown if raw[g][c] is not None]
        p_values = [raw[g][c][3] for g in tested]  # type: ignore[index]
        adjusted = holm_adjusted(p_values)
        rejected = holm(p_values, alpha) if p_values else []
        for g, p_adj, significant in zip(tested, adjusted, rejected, strict=True):
            versus, difference, se, p_value = raw[g][c]  # type: ignore[misc]
            result.differences[g][c] = GroupDifference(
                versus_share=versus,
                difference=difference,
                se=se,
                p_value=p_value,
                p_adjusted=p_adj,
                significant=significant,
            )
    return result


# --------------------------------------------------------------------------- tables


@dataclass
class _Split:
    """Who is shown in a breakdown of one question: the groups with respondents in its domain,
    those hidden (small cells, complementary suppression) and whether the total must go too."""

    n: dict[int, int]  # respondents in the domain per present group
    hidden: set[int]
    hide_total: bool

    @property
    def shown(self) -> list[int]:
        return [g for g in self.n if g not in self.hidden]


def _split(ctx: _Context, profile: IntArray, count: FloatArray) -> _Split | None:
    """The breakdown of a domain of `count` respondents per atom of `profile` (each once)."""
    if ctx.group_of_profile is None:
        return None
    per_group = np.bincount(ctx.group_of_profile[profile], weights=count, minlength=len(ctx.groups))
    n = {g: int(round(per_group[g])) for g in range(len(ctx.groups)) if per_group[g] > 0}
    hidden = suppress(n, ctx.poll.min_cell_size) if n else set()
    # A single group is the total: hiding the one hides the other.
    return _Split(n=n, hidden=hidden, hide_total=len(n) == 1 and bool(hidden))


def _shown(split: _Split | None) -> list[int]:
    return split.shown if split is not None else []


def _empty(ctx: _Context) -> tuple[Table, list[GroupTable]]:
    groups = (
        []
        if ctx.group_of_profile is None
        else [GroupTable(label, Table(n=0, n_effective=None, deff=None)) for label in ctx.groups]
    )
    return Table(n=0, n_effective=None, deff=None), groups


def _sized(n: int, kish: float) -> dict[str, Any]:
    if n == 0 or not math.isfinite(kish) or kish <= 0:
        return {"n": n, "n_effective": None, "deff": None}
    return {"n": n, "n_effective": n / kish, "deff": kish}


OptionsFor: TypeAlias = Callable[[int | None], list[OptionResult]]


def _tables(
    ctx: _Context,
    split: _Split | None,
    n_total: int,
    main: _Family,
    options_for: OptionsFor,
    means: _Family | None = None,
) -> tuple[Table, list[GroupTable]]:
    """The overall table and one per group of the poll (hidden ones without any number).
    `main`'s first column has the table's domain; `means` (scale, number) adds the mean."""
    if split is not None and split.hide_total:
        total = Table(n=0, n_effective=None, deff=None, suppressed=True)
    else:
        total = Table(
            **_sized(n_total, main.kish),
            options=options_for(None),
            mean=means.overall[0] if means is not None else None,
        )
    groups: list[GroupTable] = []
    if split is None:
        return total, groups
    for g, label in enumerate(ctx.groups):
        if g in split.hidden:
            table = Table(n=0, n_effective=None, deff=None, suppressed=True)
        elif g not in split.n:
            table = Table(n=0, n_effective=None, deff=None)
        else:
            table = Table(
                **_sized(split.n[g], main.group_kish.get(g, math.nan)),
                options=options_for(g),
                mean=means.by_group[g][0] if means is not None else None,
                mean_difference=means.differences[g][0] if means is not None else None,
            )
        groups.append(GroupTable(label, table))
    return total, groups


Key: TypeAlias = tuple[str, Option | None, int | None]  # code, option, scale point


def _option_keys(options: Iterable[Option]) -> list[Key]:
    return [(o.code, o, None) for o in options]


def _options_for(keys: list[Key], family: _Family) -> OptionsFor:
    def options_for(group: int | None) -> list[OptionResult]:
        estimates = family.overall if group is None else family.by_group[group]
        differences = None if group is None else family.differences[group]
        return [
            OptionResult(
                code=code,
                option=option,
                point=point,
                estimate=estimates[i],
                difference=differences[i] if differences is not None else None,
            )
            for i, (code, option, point) in enumerate(keys)
        ]

    return options_for


def _keyed(key_of_atom: IntArray, j: int) -> tuple[BoolArray, FloatArray]:
    """member and y of a single-choice family: each atom answered the key `key_of_atom[a]`, all
    in the domain but those with -1."""
    member = np.repeat((key_of_atom >= 0)[:, None], j, axis=1)
    y = (key_of_atom[:, None] == np.arange(j)[None, :]).astype(float)
    return member, y


def _shares(
    ctx: _Context, atoms: _Atoms, keys: list[Key], key_of_atom: IntArray
) -> tuple[_Split | None, int, _Family | None]:
    """Shares of one answer per respondent (single choice, a grid statement, a scale's points,
    the item ranked first); atoms with key -1 are outside the domain."""
    inside = key_of_atom >= 0
    n_total = int(round(atoms.count[inside].sum()))
    if n_total == 0 or not keys:
        return None, 0, None
    split = _split(ctx, atoms.profile[inside], atoms.count[inside])
    member, y = _keyed(key_of_atom, len(keys))
    family = _family(ctx, atoms.profile, atoms.count, member, y, kind="share", shown=_shown(split))
    return split, n_total, family


def _keys_of(atoms: _Atoms, position: Mapping[int, int]) -> IntArray:
    return np.array([position.get(int(o), -1) for o in atoms.option], dtype=np.intp)


def _dont_know(q: Question) -> set[int]:
    return {o.pk for o in q.options.all() if o.is_dont_know}


def _dont_know_n(atoms: _Atoms, ids: set[int]) -> int:
    if not ids:
        return 0
    return int(round(atoms.count[np.isin(atoms.option, list(ids))].sum()))


def _listed(ctx: _Context, q: Question) -> tuple[bool, list[Option]]:
    exclude = ctx.params.excludes_dont_know(q.code) and bool(_dont_know(q))
    return exclude, [o for o in q.options.all() if not (exclude and o.is_dont_know)]


def _single(ctx: _Context, q: Question, atoms: _Atoms) -> QuestionResult:
    exclude, options = _listed(ctx, q)
    keys = _option_keys(options)
    split, n_total, family = _shares(
        ctx, atoms, keys, _keys_of(atoms, {o.pk: i for i, o in enumerate(options)})
    )
    if family is None:
        total, groups = _empty(ctx)
    else:
        total, groups = _tables(ctx, split, n_total, family, _options_for(keys, family))
    return QuestionResult(
        question=q,
        n=int(round(atoms.count.sum())),
        total=total,
        groups=groups,
        dont_know_excluded=exclude,
        dont_know_n=_dont_know_n(atoms, _dont_know(q)),
    )


def _grid(ctx: _Context, q: Question, atoms: _Atoms) -> QuestionResult:
    exclude, options = _listed(ctx, q)
    keys = _option_keys(options)
    position = {o.pk: i for i, o in enumerate(options)}
    rows = []
    answered = 0
    for grid_row in q.rows.all():
        row_atoms = atoms.take(atoms.row == grid_row.pk)
        # every respondent rates each statement at most once
        answered = max(answered, int(round(row_atoms.count.sum())))
        split, n_total, family = _shares(ctx, row_atoms, keys, _keys_of(row_atoms, position))
        if family is None:
            total, groups = _empty(ctx)
        else:
            total, groups = _tables(ctx, split, n_total, family, _options_for(keys, family))
        rows.append(RowResult(row=grid_row, total=total, groups=groups))
    return QuestionResult(
        question=q,
        n=answered,
        total=None,
        rows=rows,
        dont_know_excluded=exclude,
        dont_know_n=_dont_know_n(atoms, _dont_know(q)),
    )


def _means(
    ctx: _Context, atoms: _Atoms, member: BoolArray, values: FloatArray, split: _Split | None
) -> _Family:
    return _family(
        ctx,
        atoms.profile,
        atoms.count,
        member,
        np.where(member, values, 0.0),
        kind="mean",
        shown=_shown(split),
    )


def _scale(ctx: _Context, q: Question, atoms: _Atoms) -> QuestionResult:
    """Shares of the points and of the options ("don't know"), and the mean of the points."""
    exclude, extra = _listed(ctx, q)
    points = q.scale_points()
    keys: list[Key] = [(str(p), None, p) for p in points] + _option_keys(extra)
    point_index = {float(p): i for i, p in enumerate(points)}
    option_index = {o.pk: len(points) + i for i, o in enumerate(extra)}
    key = np.array(
        [
            option_index.get(int(o), -1) if o else point_index.get(float(v), -1)
            for o, v in zip(atoms.option, atoms.value, strict=True)
        ],
        dtype=np.intp,
    )
    split, n_total, family = _shares(ctx, atoms, keys, key)
    if family is None:
        total, groups = _empty(ctx)
    else:
        valued = ~np.isnan(atoms.value)
        means = None
        if valued.any():
            means = _means(ctx, atoms, valued[:, None], np.nan_to_num(atoms.value)[:, None], split)
        total, groups = _tables(
            ctx, split, n_total, family, _options_for(keys, family), means=means
        )
    return QuestionResult(
        question=q,
        n=int(round(atoms.count.sum())),
        total=total,
        groups=groups,
        dont_know_excluded=exclude,
        dont_know_n=_dont_know_n(atoms, _dont_know(q)),
    )


def _number(ctx: _Context, q: Question, atoms: _Atoms) -> QuestionResult:
    atoms = atoms.take(~np.isnan(atoms.value))
    n = int(round(atoms.count.sum()))
    if n == 0:
        total, groups = _empty(ctx)
        return QuestionResult(question=q, n=0, total=total, groups=groups)
    split = _split(ctx, atoms.profile, atoms.count)
    member = np.ones((atoms.count.size, 1), dtype=bool)
    means = _means(ctx, atoms, member, atoms.value[:, None], split)
    total, groups = _tables(ctx, split, n, means, lambda group: [], means=means)
    return QuestionResult(question=q, n=n, total=total, groups=groups)


def _ranking(ctx: _Context, q: Question, atoms: _Atoms) -> QuestionResult:
    """The share ranking each item first, and each item's mean place among those ranking it."""
    options = list(q.options.all())
    keys = _option_keys(options)
    position = {o.pk: i for i, o in enumerate(options)}
    first = atoms.take(atoms.rank == 1)
    split, n_total, family = _shares(ctx, first, keys, _keys_of(first, position))
    if family is None:
        total, groups = _empty(ctx)
        return QuestionResult(question=q, n=0, total=total, groups=groups)
    ranked = atoms.take(atoms.rank >= 1)
    item = _keys_of(ranked, position)
    member = item[:, None] == np.arange(len(options))[None, :]
    ranks = _means(ctx, ranked, member, ranked.rank[:, None].astype(float), split)
    shares_for = _options_for(keys, family)

    def options_for(group: int | None) -> list[OptionResult]:
        mean_ranks = ranks.overall if group is None else ranks.by_group[group]
        differences = None if group is None else ranks.differences[group]
        return [
            dataclasses.replace(
                option,
                mean_rank=mean_ranks[i],
                mean_rank_difference=differences[i] if differences is not None else None,
            )
            for i, option in enumerate(shares_for(group))
        ]

    total, groups = _tables(ctx, split, n_total, family, options_for)
    return QuestionResult(question=q, n=n_total, total=total, groups=groups)


def _multiple(ctx: _Context, q: Question, atoms: _Atoms, loaded: PollData) -> QuestionResult:
    """Each option's share of the respondents (who answered, less "don't know" when it is left
    out): per option and profile two atoms, those who ticked it and those who did not."""
    size = loaded.sizes.size
    answered = loaded.answered.get(q.pk, np.zeros(size))
    dont_know = loaded.dont_know.get(q.pk, np.zeros(size))
    exclude, options = _listed(ctx, q)
    domain = answered - dont_know if exclude else answered
    position = {o.pk: i for i, o in enumerate(options)}
    j = len(options)
    ticks = np.zeros((size, j))
    listed = _keys_of(atoms, position)
    np.add.at(ticks, (atoms.profile[listed >= 0], listed[listed >= 0]), atoms.count[listed >= 0])
    overlap = loaded.overlap.get(q.pk)
    if exclude and overlap is not None:
        # ticks of respondents whose non-exclusive "don't know" leaves them out
        gone = _keys_of(overlap, position)
        np.subtract.at(
            ticks, (overlap.profile[gone >= 0], gone[gone >= 0]), overlap.count[gone >= 0]
        )

    def result(total: Table, groups: list[GroupTable]) -> QuestionResult:
        return QuestionResult(
            question=q,
            n=int(round(answered.sum())),
            total=total,
            groups=groups,
            dont_know_excluded=exclude,
            dont_know_n=int(round(dont_know.sum())),
        )

    profiles = np.flatnonzero(domain > 0)
    if profiles.size == 0 or j == 0:
        return result(*_empty(ctx))
    m = profiles.size
    atom_profile = np.tile(np.repeat(profiles, 2), j)
    atom_option = np.repeat(np.arange(j), 2 * m)
    yes = ticks[profiles, :].T  # j x m
    no = domain[profiles][None, :] - yes
    count = np.stack([yes, no], axis=2).reshape(-1)
    member = atom_option[:, None] == np.arange(j)[None, :]
    ticked = np.tile(np.array([1.0, 0.0]), j * m)
    split = _split(ctx, profiles, domain[profiles])
    family = _family(
        ctx,
        atom_profile,
        count,
        member,
        np.where(member, ticked[:, None], 0.0),
        kind="share",
        shown=_shown(split),
    )
    keys = _option_keys(options)
    return result(
        *_tables(ctx, split, int(round(domain.sum())), family, _options_for(keys, family))
    )


# --------------------------------------------------------------------------- the poll


def poll_results(
    *,
    poll: Poll,
    by: str | None = None,
    weights: str | None = None,
    weight_by: Sequence[str] | None = None,
    ci: str | None = None,
    level: float | None = None,
) -> PollResults:
    """Every question's estimates (see the module docstring), computed now: no cache (for that,
    `results.caching.cached_poll_results`). Parameters left out come from the poll's
    `ResultSettings`. Raises `ResultsError`."""
    params = resolve_params(poll, by=by, weights=weights, weight_by=weight_by, ci=ci, level=level)
    return compute_poll_results(poll=poll, params=params)


def poll_questions(poll: Poll) -> list[Question]:
    """The poll's questions in the members' order, with their options and statements."""
    return flow_order(poll.questions.select_related("section").prefetch_related("options", "rows"))


def compute_poll_results(
    *,
    poll: Poll,
    params: ResultParams,
    questions: list[Question] | None = None,
    data: PollData | None = None,
) -> PollResults:
    """The estimates for resolved `params`, from `data` (loaded when not given; it must be
    over the variables the parameters use)."""
    questions = poll_questions(poll) if questions is None else questions
    if data is None:
        data = load_poll_data(poll, questions, profiles=bool(params.variables))
    missing = [name for name in params.variables if name not in data.variables]
    if missing:
        raise ResultsError(
            _("The responses carry no variable %(names)s.") % {"names": _names(missing)}
        )
    n = data.n
    # An open link lets anyone answer, once per browser at best: never a random sample.
    random_sample = poll.register_id is not None and not poll.open_link
    if n == 0:
        return PollResults(
            poll=poll,
            params=params,
            n_responses=0,
            population=poll_population(poll),
            random_sample=random_sample,
            questions=[
                QuestionResult(
                    question=q,
                    n=0,
                    total=None if q.kind in (q.Kind.TEXT, q.Kind.GRID) else Table(0, None, None),
                )
                for q in questions
            ],
            moe_range=None,
            weights=WeightSummary(params.weights, params.weight_by, None, None, None, None),
        )
    design = poll_design(poll, data, params)
    group_of_profile = None
    groups: list[str] = []
    if params.by is not None:
        column = data.variables.index(params.by)
        values = [profile[column] for profile in data.profiles]
        groups = sorted(set(values))
        index = {g: i for i, g in enumerate(groups)}
        group_of_profile = np.array([index[v] for v in values], dtype=np.intp)
    ctx = _Context(poll, params, design, group_of_profile, groups)

    results = []
    for q in questions:
        atoms = data.atoms.get(q.pk, _Atoms.empty())
        if q.kind == Question.Kind.TEXT:
            results.append(QuestionResult(question=q, n=data.text_n.get(q.pk, 0), total=None))
        elif q.kind == Question.Kind.MULTIPLE:
            results.append(_multiple(ctx, q, atoms, data))
        elif q.kind == Question.Kind.SCALE:
            results.append(_scale(ctx, q, atoms))
        elif q.kind == Question.Kind.NUMBER:
            results.append(_number(ctx, q, atoms))
        elif q.kind == Question.Kind.RANKING:
            results.append(_ranking(ctx, q, atoms))
        elif q.kind == Question.Kind.GRID:
            results.append(_grid(ctx, q, atoms))
        else:
            results.append(_single(ctx, q, atoms))

    groups_info: list[GroupInfo] = []
    if group_of_profile is not None:
        per_group = np.bincount(group_of_profile, weights=data.sizes, minlength=len(groups))
        counts = {g: int(round(per_group[i])) for i, g in enumerate(groups)}
        hidden = suppress(counts, poll.min_cell_size)
        groups_info = [
            GroupInfo(g, None if g in hidden else counts[g], g in hidden) for g in groups
        ]
    w = design.weights
    kish = float(n * (data.sizes * w * w).sum() / (data.sizes * w).sum() ** 2)
    return PollResults(
        poll=poll,
        params=params,
        n_responses=n,
        population=None if design.population is None else int(round(design.population)),
        random_sample=random_sample,
        questions=results,
        # The "±" of every share, from its interval: 0 and 100 % too, whose SE is 0 but whose
        # interval is not (one answer: 0-79 %), so the range is 0 only for a census.
        moe_range=plus_minus_range_pp(_overall_estimates(results)) if random_sample else None,
        weights=WeightSummary(
            method=params.weights,
            variables=params.weight_by,
            n_effective=n / kish,
            deff=kish,
            smallest=float(w.min()),
            largest=float(w.max()),
        ),
        groups=groups_info,
    )


def _overall_estimates(questions: Iterable[QuestionResult]) -> Iterable[DesignShareEstimate]:
    for q in questions:
        tables = [q.total] if q.total is not None else []
        tables += [r.total for r in q.rows]
        for table in tables:
            for option in table.options:
                if option.estimate is not None:
                    yield option.estimate
