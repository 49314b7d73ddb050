"""What the estimators return: a `PollResults` with one `QuestionResult` per question, each with
its tables (overall and per group) of option estimates and means."""

from __future__ import annotations

from dataclasses import dataclass, field

from polls.models import GridRow, Option, Poll, Question

from ..stats.design import DesignShareEstimate, MeanEstimate
from .parameters import ResultParams

__all__ = [
    "GroupDifference",
    "GroupInfo",
    "GroupTable",
    "OptionResult",
    "PairDifference",
    "PollResults",
    "QuestionResult",
    "RowResult",
    "Table",
    "WeightSummary",
]


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
class PairDifference:
    """Two groups of a breakdown against each other: the difference of their domain estimates
    with its design-based SE (covariance included), two-sided z test, Holm over every pair of
    the breakdown's groups (for one option, or the mean)."""

    group: str
    versus: str
    share: float  # the group's share (or mean)
    versus_share: float  # the other group's
    difference: float  # share - versus_share
    se: float
    p_value: float
    p_adjusted: float  # Holm, over the pairs
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
    # in the total of a breakdown: every pair of shown groups for this option
    pairs: tuple[PairDifference, ...] = ()

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
    mean_pairs: tuple[PairDifference, ...] = ()  # a breakdown's total: every pair, the mean


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
