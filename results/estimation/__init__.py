"""A poll's estimates: every question's shares and means with their intervals, optionally weighted
to the register and broken down by a reporting variable.

`poll_results(*, poll, by=None, weights=None, weight_by=None, ci=None, level=None)` is the one
selector; parameters left out come from the poll's `ResultSettings` (default: unweighted, Wilson,
95 %). Bad parameters and data that allow no estimate raise `ResultsError` with a message for
staff.

The trip, one module a step
---------------------------
1. `parameters`: what to estimate (`resolve_params`, `ResultParams`, `ResultsError`).
2. `result_types`: what comes out (`PollResults`, `QuestionResult`, `Table`, ...).
3. `loading`: the poll's answers counted into profiles, in one SQL statement (`load_poll_data`).
4. `design`: the weighting design over the profiles (`poll_design`; population counts).
5. `tables` and `estimators`: the per-kind estimators, dispatched from `ESTIMATORS` by
   question kind, built on the families of columns and the tables of `tables`.
6. `poll`: all of it for a poll (`poll_results`, `compute_poll_results`).
The arithmetic over profiles is pure and lives in `results.stats.profiles`; what is shown of
the results (the "±", suppression, no interval without a random sample) in
`results.presenting`.

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

from ..stats.profiles import ProfileDesign
from .design import poll_design, poll_population, population_counts
from .estimators import ESTIMATORS
from .loading import PollData, attribute_text, load_poll_data, merge_poll_data, snapshots
from .parameters import WEIGHTINGS, ResultParams, ResultsError, resolve_params
from .poll import compute_poll_results, poll_questions, poll_results
from .result_types import (
    GroupDifference,
    GroupInfo,
    GroupTable,
    OptionResult,
    PairDifference,
    PollResults,
    QuestionResult,
    RowResult,
    Table,
    WeightSummary,
)

__all__ = [
    "ESTIMATORS",
    "WEIGHTINGS",
    "GroupDifference",
    "GroupInfo",
    "GroupTable",
    "OptionResult",
    "PairDifference",
    "PollData",
    "PollResults",
    "ProfileDesign",
    "QuestionResult",
    "ResultParams",
    "ResultsError",
    "RowResult",
    "Table",
    "WeightSummary",
    "attribute_text",
    "compute_poll_results",
    "load_poll_data",
    "merge_poll_data",
    "poll_design",
    "poll_population",
    "poll_questions",
    "poll_results",
    "population_counts",
    "resolve_params",
    "snapshots",
]
