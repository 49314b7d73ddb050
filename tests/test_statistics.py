"""Tests for the pure statistics module ``results.stats.proportions``.

No Django, no database: every test is a plain function on plain numbers. Reference values
come from hand calculation, from Newcombe (1998, Stat. Med. 17:857-872, table II) and from
statsmodels' ``proportion_confint``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from results.stats import (
    Interval,
    ShareEstimate,
    format_moe_range_en,
    format_moe_range_sv,
    fpc,
    kish_deff,
    logit_interval,
    moe_range_pp,
    share_estimate,
    shares,
    srs_share_se,
    wald_interval,
    wilson_interval,
    z_value,
)

Z95 = 1.959963984540054
METHODS = ("wilson", "wald", "logit")


# --------------------------------------------------------------------------- z and fpc


def test_it_gives_the_two_sided_normal_quantile():
    assert z_value() == Z95
    assert z_value(0.95) == Z95
    assert z_value(0.90) == pytest.approx(1.6448536269514722, abs=1e-12)
    assert z_value(0.99) == pytest.approx(2.5758293035489004, abs=1e-12)


@pytest.mark.parametrize("level", [0.0, 1.0, -0.5, 1.5, 95, math.nan])
def test_it_rejects_confidence_levels_outside_0_1(level):
    with pytest.raises(ValueError, match="confidence level"):
        z_value(level)
    with pytest.raises(ValueError, match="confidence level"):
        share_estimate(10, 100, level=level)


def test_it_gives_fpc_1_without_a_population():
    assert fpc(600, None) == 1.0


def test_it_gives_fpc_1_minus_sampling_fraction():
    assert fpc(500, 1000) == 0.5
    assert fpc(1000, 1000) == 0.0
    assert fpc(600, 1_000_000) == pytest.approx(0.9994, abs=1e-15)


def test_it_refuses_a_sample_larger_than_the_population():
    with pytest.raises(ValueError, match="exceeds population"):
        fpc(1001, 1000)
    with pytest.raises(ValueError, match="exceeds population"):
        share_estimate(10, 1001, population=1000)


# --------------------------------------------------------------------------- margin of error


def test_it_gives_4_points_for_600_at_50_percent():
    estimate = share_estimate(300, 600, population=1_000_000)
    assert round(estimate.moe_pp, 1) == 4.0
    # sqrt(0.9994 * 0.25 / 599) * 1.96 * 100 = 4.0029
    assert estimate.moe_pp == pytest.approx(4.00290, abs=1e-5)


def test_it_gives_2_4_points_for_600_at_10_percent():
    estimate = share_estimate(60, 600, population=1_000_000)
    assert round(estimate.moe_pp, 1) == 2.4
    # sqrt(0.9994 * 0.09 / 599) * 1.96 * 100 = 2.4017
    assert estimate.moe_pp == pytest.approx(2.40174, abs=1e-5)


def test_it_reports_moe_as_100_z_se():
    estimate = share_estimate(123, 456, level=0.9)
    assert estimate.moe_pp == pytest.approx(100 * z_value(0.9) * estimate.se, rel=1e-15)


# --------------------------------------------------------------------------- standard error


@pytest.mark.parametrize(
    ("count", "n", "population"),
    [(1, 2, None), (300, 600, None), (60, 600, 1_000_000), (7, 40, 90), (13, 50, 50), (0, 30, 99)],
)
def test_it_matches_the_design_based_srswor_variance_of_a_mean(count, n, population):
    # As in R's survey package: var(mean) = (1 - n/N) * s^2 / n with s^2 the sample variance
    # (divisor n - 1) of the 0/1 answers.
    answers = np.array([1.0] * count + [0.0] * (n - count))
    f = 1.0 if population is None else 1.0 - n / population
    expected = math.sqrt(f * answers.var(ddof=1) / n)
    assert srs_share_se(count / n, n, population) == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert share_estimate(count, n, population).se == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_it_uses_n_minus_1_not_n_in_the_variance():
    assert srs_share_se(0.5, 101) == pytest.approx(math.sqrt(0.25 / 100), rel=1e-15)
    assert srs_share_se(0.5, 101) != pytest.approx(math.sqrt(0.25 / 101), rel=1e-6)


def test_it_gives_se_0_when_the_whole_population_answered():
    assert srs_share_se(0.3, 1000, population=1000) == 0.0
    estimate = share_estimate(300, 1000, population=1000)
    assert estimate.se == 0.0
    assert estimate.moe_pp == 0.0
    assert estimate.n_effective == math.inf
    assert (estimate.ci_low, estimate.ci_high) == (0.3, 0.3)


def test_it_gives_a_degenerate_interval_for_a_census_with_no_one_choosing():
    estimate = share_estimate(0, 1000, population=1000)
    assert (estimate.ci_low, estimate.ci_high) == (0.0, 0.0)


def test_it_halves_the_variance_when_half_the_population_answered():
    with_fpc = srs_share_se(0.3, 500, population=1000)
    without = srs_share_se(0.3, 500)
    assert with_fpc**2 / without**2 == pytest.approx(0.5, rel=1e-12)


def test_it_gives_se_0_for_a_single_respondent():
    assert srs_share_se(1.0, 1) == 0.0
    assert srs_share_se(0.0, 1) == 0.0
    with pytest.raises(ValueError, match="one respondent"):
        srs_share_se(0.5, 1)


def test_it_still_gives_a_wide_interval_for_a_single_respondent():
    estimate = share_estimate(1, 1)
    assert estimate.share == 1.0
    assert estimate.ci_high == 1.0
    # Wilson lower bound for 1/1 is 1 / (1 + z^2)
    assert estimate.ci_low == pytest.approx(1 / (1 + Z95**2), rel=1e-12)


def test_it_inflates_the_se_by_the_square_root_of_the_design_effect():
    plain = share_estimate(150, 600)
    weighted = share_estimate(150, 600, deff=1.44)
    assert weighted.se == pytest.approx(1.2 * plain.se, rel=1e-12)
    assert weighted.n_effective == pytest.approx(599 / 1.44, rel=1e-12)
    assert weighted.ci_high - weighted.ci_low > plain.ci_high - plain.ci_low


# --------------------------------------------------------------------------- Wilson


def test_it_gives_the_hand_computed_wilson_interval_at_50_percent_of_600():
    # centre 0.5, half width z/(1 + z^2/n) * sqrt(p(1-p)/n + z^2/(4 n^2))
    interval = wilson_interval(0.5, 600)
    assert interval.low == pytest.approx(0.4601199, abs=1e-7)
    assert interval.high == pytest.approx(0.5398801, abs=1e-7)


def test_it_gives_the_hand_computed_wilson_interval_at_10_percent_of_600():
    interval = wilson_interval(0.1, 600)
    assert interval.low == pytest.approx(0.0784817, abs=1e-7)
    assert interval.high == pytest.approx(0.1266077, abs=1e-7)


def test_it_gives_the_closed_form_wilson_upper_bound_when_no_one_chose_the_option():
    interval = wilson_interval(0.0, 20)
    assert interval.low == 0.0
    assert interval.high == pytest.approx(Z95**2 / (20 + Z95**2), rel=1e-12)
    assert round(interval.high, 4) == 0.1611


def test_it_mirrors_the_wilson_interval_when_everyone_chose_the_option():
    interval = wilson_interval(1.0, 20)
    assert interval.high == 1.0
    assert interval.low == pytest.approx(20 / (20 + Z95**2), rel=1e-12)


@pytest.mark.parametrize(
    ("count", "n", "low", "high"),
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_it_reproduces_newcombes_published_wilson_intervals(count, n, low, high):
    interval = wilson_interval(count / n, n)
    assert round(interval.low, 4) == low
    assert round(interval.high, 4) == high


STATSMODELS_CASES = [
    (0, 20),
    (1, 29),
    (15, 148),
    (81, 263),
    (300, 600),
    (60, 600),
    (599, 600),
    (600, 600),
    (3, 7),
    (1234, 5678),
]


@pytest.mark.parametrize(("count", "n"), STATSMODELS_CASES)
@pytest.mark.parametrize("level", [0.90, 0.95, 0.99])
def test_it_matches_statsmodels_wilson(count, n, level):
    expected_low, expected_high = proportion_confint(count, n, alpha=1 - level, method="wilson")
    interval = wilson_interval(count / n, n, level)
    assert interval.low == pytest.approx(expected_low, abs=1e-9)
    assert interval.high == pytest.approx(expected_high, abs=1e-9)


@pytest.mark.parametrize(("count", "n"), STATSMODELS_CASES)
def test_it_uses_wilson_at_the_effective_sample_size_in_share_estimates(count, n):
    # Unweighted, no population: n_effective = p(1-p)/se^2 = n - 1 (n where p is 0 or 1).
    estimate = share_estimate(count, n)
    p = count / n
    n_effective = n if count in (0, n) else n - 1
    assert estimate.n_effective == pytest.approx(n_effective, rel=1e-12)
    if 0 < count < n:
        assert estimate.n_effective == pytest.approx(p * (1 - p) / estimate.se**2, rel=1e-9)
    expected = wilson_interval(p, n_effective)
    assert estimate.ci_low == pytest.approx(expected.low, abs=1e-12)
    assert estimate.ci_high == pytest.approx(expected.high, abs=1e-12)


def test_it_gives_a_point_interval_for_infinite_effective_size():
    assert wilson_interval(0.25, math.inf) == Interval(0.25, 0.25)


@pytest.mark.parametrize("n_effective", [0, -1.0, math.nan])
def test_it_rejects_a_non_positive_effective_size(n_effective):
    with pytest.raises(ValueError, match="effective sample size"):
        wilson_interval(0.5, n_effective)


# --------------------------------------------------------------------------- Wald and logit


@pytest.mark.parametrize(("count", "n"), STATSMODELS_CASES)
@pytest.mark.parametrize("level", [0.90, 0.95, 0.99])
def test_it_matches_statsmodels_wald_with_the_textbook_se(count, n, level):
    expected_low, expected_high = proportion_confint(count, n, alpha=1 - level, method="normal")
    p = count / n
    interval = wald_interval(p, math.sqrt(p * (1 - p) / n), level)
    assert interval.low == pytest.approx(expected_low, abs=1e-9)
    assert interval.high == pytest.approx(expected_high, abs=1e-9)


def test_it_clips_the_wald_interval_to_0_1():
    assert wald_interval(0.02, 0.05) == Interval(0.0, pytest.approx(0.02 + Z95 * 0.05))
    assert wald_interval(0.98, 0.05).high == 1.0


def test_it_uses_the_design_se_for_wald_share_estimates():
    estimate = share_estimate(60, 600, population=1_000_000, method="wald")
    assert estimate.ci_low == pytest.approx(0.1 - Z95 * estimate.se, abs=1e-15)
    assert estimate.ci_high == pytest.approx(0.1 + Z95 * estimate.se, abs=1e-15)


def test_it_builds_the_logit_interval_on_the_logit_scale():
    p, se = 0.1, 0.012
    half = Z95 * se / (p * (1 - p))
    logit = math.log(p / (1 - p))
    interval = logit_interval(p, se)
    assert interval.low == pytest.approx(1 / (1 + math.exp(-(logit - half))), rel=1e-12)
    assert interval.high == pytest.approx(1 / (1 + math.exp(-(logit + half))), rel=1e-12)
    # asymmetric: longer towards 0.5
    assert interval.high - p > p - interval.low


def test_it_gives_a_degenerate_logit_interval_at_0_and_1():
    assert logit_interval(0.0, 0.1) == Interval(0.0, 0.0)
    assert logit_interval(1.0, 0.1) == Interval(1.0, 1.0)


def test_it_falls_back_to_wilson_for_logit_share_estimates_at_0():
    estimate = share_estimate(0, 20, method="logit")
    assert estimate.ci_high == pytest.approx(Z95**2 / (20 + Z95**2), rel=1e-12)


def test_it_survives_extreme_logits():
    interval = logit_interval(1e-300, 1e-100)
    assert 0.0 <= interval.low <= 1e-300 <= interval.high <= 1.0


# --------------------------------------------------------------------------- invalid input


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"count": 1, "n": 0}, "must be positive"),
        ({"count": 0, "n": -5}, "must be positive"),
        ({"count": 1, "n": 2.5}, "must be an integer"),
        ({"count": 11, "n": 10}, "exceeds the number of respondents"),
        ({"count": -1, "n": 10}, "must not be negative"),
        ({"count": math.nan, "n": 10}, "finite"),
        ({"count": 1, "n": 10, "method": "clopper"}, "unknown interval method"),
        ({"count": 1, "n": 10, "deff": 0.0}, "design effect"),
        ({"count": 1, "n": 10, "population": 0}, "population size"),
    ],
)
def test_it_rejects_invalid_share_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        share_estimate(**kwargs)


def test_it_tolerates_floating_point_noise_in_weighted_counts():
    estimate = share_estimate(600.0000000001, 600)
    assert estimate.share == 1.0


@pytest.mark.parametrize(
    ("counts", "message"),
    [([], "at least one respondent"), ([0, 0], "at least one respondent"), ([3, -1], "negative")],
)
def test_it_rejects_invalid_counts(counts, message):
    with pytest.raises(ValueError, match=message):
        shares(counts)


def test_it_rejects_an_unknown_method_for_shares():
    with pytest.raises(ValueError, match="unknown interval method"):
        shares([1, 2], method="exact")


@pytest.mark.parametrize("p", [-0.1, 1.1, math.nan])
def test_it_rejects_shares_outside_0_1(p):
    with pytest.raises(ValueError, match="share"):
        srs_share_se(p, 10)
    with pytest.raises(ValueError, match="share"):
        wilson_interval(p, 10)


# --------------------------------------------------------------------------- shares()


def test_it_estimates_every_option_of_a_question():
    estimates = shares([300, 240, 60], population=1_000_000)
    assert [e.n for e in estimates] == [600, 600, 600]
    assert [e.share for e in estimates] == pytest.approx([0.5, 0.4, 0.1])
    assert estimates[0] == share_estimate(300, 600, population=1_000_000)
    assert estimates[2] == share_estimate(60, 600, population=1_000_000)


def test_it_rounds_fractional_weighted_totals_to_an_integer_n():
    estimates = shares([10.4, 20.3])
    assert estimates[0].n == 31
    assert math.fsum(e.share for e in estimates) == pytest.approx(1.0, abs=1e-12)


def test_it_gives_the_margin_of_error_range_over_the_shares_shown():
    estimates = shares([300, 240, 60], population=1_000_000)
    low, high = moe_range_pp(estimates)
    assert low == pytest.approx(estimates[2].moe_pp)
    assert high == pytest.approx(estimates[0].moe_pp)
    assert format_moe_range_sv((low, high)) == "2,4–4"


def test_it_gives_no_margin_of_error_range_for_no_shares():
    assert moe_range_pp([]) is None
    assert moe_range_pp(iter([])) is None


# --------------------------------------------------------------------------- properties


INTEGER_COUNTS = st.integers(min_value=0, max_value=100_000)
WEIGHTED_COUNTS = st.floats(min_value=0.0, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def counts_and_population(draw, elements=INTEGER_COUNTS):
    counts = draw(st.lists(elements, min_size=1, max_size=8).filter(lambda c: sum(c) >= 2))
    n = round(math.fsum(counts))
    population = draw(st.none() | st.integers(min_value=n, max_value=n * 50))
    return counts, population


def check_estimates(estimates: list[ShareEstimate]) -> None:
    assert math.fsum(e.share for e in estimates) == pytest.approx(1.0, abs=1e-9)
    for e in estimates:
        assert 0.0 <= e.ci_low <= e.share <= e.ci_high <= 1.0
        assert e.se >= 0.0
        assert e.moe_pp >= 0.0
        assert e.n_effective > 0.0


@settings(max_examples=300, deadline=None)
@given(data=counts_and_population(), method=st.sampled_from(METHODS))
def test_property_integer_count_shares_are_coherent(data, method):
    counts, population = data
    estimates = shares(counts, population=population, method=method)
    assert len(estimates) == len(counts)
    check_estimates(estimates)


@settings(max_examples=300, deadline=None)
@given(
    data=counts_and_population(WEIGHTED_COUNTS),
    method=st.sampled_from(METHODS),
    level=st.floats(min_value=0.5, max_value=0.999),
)
def test_property_weighted_count_shares_are_coherent(data, method, level):
    counts, population = data
    check_estimates(shares(counts, population=population, level=level, method=method))


@settings(max_examples=300, deadline=None)
@given(
    p=st.floats(min_value=0.0, max_value=1.0),
    n_effective=st.floats(min_value=1e-3, max_value=1e9),
    level=st.floats(min_value=0.01, max_value=0.999),
)
def test_property_wilson_contains_the_estimate_and_is_symmetric(p, n_effective, level):
    interval = wilson_interval(p, n_effective, level)
    assert 0.0 <= interval.low <= p <= interval.high <= 1.0
    mirrored = wilson_interval(1.0 - p, n_effective, level)
    assert mirrored.low == pytest.approx(1.0 - interval.high, abs=1e-9)


@settings(max_examples=300, deadline=None)
@given(
    p=st.floats(min_value=0.0, max_value=1.0),
    se=st.floats(min_value=0.0, max_value=10.0),
    level=st.floats(min_value=0.01, max_value=0.999),
)
def test_property_wald_and_logit_contain_the_estimate(p, se, level):
    for interval in (wald_interval(p, se, level), logit_interval(p, se, level)):
        assert 0.0 <= interval.low <= p <= interval.high <= 1.0


@settings(max_examples=200, deadline=None)
@given(count=st.integers(min_value=1, max_value=999), n=st.integers(min_value=1000, max_value=5000))
def test_property_wider_confidence_gives_wider_intervals(count, n):
    narrow = share_estimate(count, n, level=0.9)
    wide = share_estimate(count, n, level=0.99)
    assert wide.ci_low < narrow.ci_low < narrow.ci_high < wide.ci_high
    assert wide.moe_pp > narrow.moe_pp


# --------------------------------------------------------------------------- Kish


def test_it_gives_deff_1_for_equal_weights():
    assert kish_deff([1.0] * 10) == 1.0
    assert kish_deff([2.5, 2.5, 2.5]) == 1.0


def test_it_gives_the_kish_deff_for_unequal_weights():
    assert kish_deff([1, 1, 2, 2]) == pytest.approx(4 * 10 / 36, rel=1e-15)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0.01, max_value=100.0), min_size=1, max_size=50))
def test_property_kish_deff_is_at_least_1(weights):
    assert kish_deff(weights) >= 1.0 - 1e-12


@pytest.mark.parametrize("weights", [[], [0, 0], [1, -1], [1, math.inf], [1, math.nan]])
def test_it_rejects_invalid_weights(weights):
    with pytest.raises(ValueError):
        kish_deff(weights)


# --------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    ("moe_range", "swedish", "english"),
    [
        ((2.5, 4.0), "2,5–4", "2.5–4"),
        ((4.0, 4.0), "4", "4"),
        ((2.44, 3.96), "2,4–4", "2.4–4"),
        ((3.96, 4.04), "4", "4"),
        ((2.45, 3.0), "2,5–3", "2.5–3"),
        ((0.0, 0.04), "0", "0"),
        ((0.0, 12.34), "0–12,3", "0–12.3"),
    ],
)
def test_it_formats_the_margin_of_error_range(moe_range, swedish, english):
    assert format_moe_range_sv(moe_range) == swedish
    assert format_moe_range_en(moe_range) == english


def test_it_uses_an_en_dash_not_a_hyphen():
    assert format_moe_range_sv((2.5, 4.0)) == "2,5\u20134"
    assert "-" not in format_moe_range_sv((2.5, 4.0))


@pytest.mark.parametrize("moe_range", [(4.0, 2.5), (-1.0, 2.0), (1.0, math.nan), (1.0, math.inf)])
def test_it_rejects_an_invalid_range(moe_range):
    with pytest.raises(ValueError):
        format_moe_range_sv(moe_range)
