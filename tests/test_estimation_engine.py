"""Tests for the design-based estimation engine (``results.stats.weighting``, ``.design``,
``.comparison``).

No Django, no database: plain functions on numpy arrays. The reference values in
``tests/reference/reference.json`` were computed with R's survey package by
``tests/reference/make_reference.R`` from the data sets beside it; these tests only read
the JSON, they never need R.
"""

from __future__ import annotations

import csv
import json
import math
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from results.stats import (
    Comparison,
    Design,
    DesignError,
    DesignShareEstimate,
    ShareEstimate,
    WeightingError,
    compare_breakdown,
    compare_domains,
    compare_groups,
    compare_shares,
    domain_covariance,
    effective_n,
    holm,
    holm_adjusted,
    kish_deff,
    mean_estimate,
    poststratify,
    rake,
    share_estimates,
    shares,
    suppress,
    z_value,
)

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
Z95 = 1.959963984540054
METHODS = ("wilson", "wald", "logit")

# R's survey package, tolerance per design (raking is iterative: 1e-5)
TOLERANCE = {
    "srs": 1e-6,
    "srs_nofpc": 1e-6,
    "poststrat": 1e-6,
    "poststratify_linearised": 1e-6,
    "raking": 1e-5,
}


# --------------------------------------------------------------------------- reference data


def _read_csv(name: str) -> list[dict[str, str]]:
    with open(REFERENCE_DIR / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@cache
def reference() -> dict[str, Any]:
    with open(REFERENCE_DIR / "reference.json", encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


class Sample:
    """The reference sample as numpy arrays (in the file's order, as R read it)."""

    def __init__(self) -> None:
        rows = _read_csv("sample.csv")
        self.n = len(rows)
        self.ids = [int(r["id"]) for r in rows]
        self.region = np.array([r["region"] for r in rows], dtype=object)
        self.sector = np.array([r["sector"] for r in rows], dtype=object)
        self.cell = np.array([f"{r['region']}:{r['sector']}" for r in rows], dtype=object)
        self.answer = np.array([r["answer"] for r in rows], dtype=object)
        self.mc = {
            name: np.array([int(r[name]) for r in rows]) for name in ("mc_lon", "mc_arbetsmiljo")
        }
        self.score = np.array([float(r["score"]) for r in rows])
        self.cell_population = {
            f"{c['region']}:{c['sector']}": float(c["count"])
            for c in _read_csv("population_cells.csv")
        }
        self.targets: dict[str, dict[str, float]] = {}
        for m in _read_csv("population_margins.csv"):
            self.targets.setdefault(m["margin"], {})[m["level"]] = float(m["count"])
        self.population = int(sum(self.cell_population.values()))

    def by(self, name: str | None) -> np.ndarray:
        assert name in ("region", "sector")
        return self.region if name == "region" else self.sector

    def mask(self, by: str | None, level: str | None, exclude_vet_ej: bool) -> np.ndarray:
        mask = np.ones(self.n, dtype=bool)
        if by is not None:
            mask &= self.by(by) == level
        if exclude_vet_ej:
            mask &= self.answer != "Vet ej"
        return mask


@cache
def sample() -> Sample:
    return Sample()


@cache
def design(name: str) -> Design:
    s = sample()
    if name == "srs":
        return Design.srs(s.n, s.population)
    if name == "srs_nofpc":
        return Design.srs(s.n)
    if name == "poststrat":
        return Design.poststratified(s.cell, s.cell_population)
    if name == "poststratify_linearised":  # R's postStratify(): raking on the cells
        return Design.raked({"cell": s.cell}, {"cell": s.cell_population})
    if name == "raking":
        return Design.raked({"region": s.region, "sector": s.sector}, s.targets)
    raise AssertionError(name)


def _estimate_id(record: dict[str, Any]) -> str:
    domain = "all" if record["by"] is None else f"{record['by']}={record['level']}"
    excluded = "-vetej" if record["exclude_vet_ej"] else ""
    return f"{record['design']}:{record['kind']}:{record['variable']}:{domain}{excluded}"


def _comparison_id(record: dict[str, Any]) -> str:
    versus = record["versus"] or "rest"
    excluded = "-vetej" if record["exclude_vet_ej"] else ""
    return (
        f"{record['design']}:{record['variable']}:{record['by']}:"
        f"{record['group']}-{versus}{excluded}"
    )


ESTIMATES = reference()["estimates"]
COMPARISONS = reference()["comparisons"]


def _engine(record: dict[str, Any]) -> tuple[float, float, float]:
    s = sample()
    d = design(record["design"])
    mask = s.mask(record["by"], record["level"], record["exclude_vet_ej"])
    options = reference()["options"]
    if record["kind"] == "mean":
        mean = mean_estimate(d, s.score, mask)
        return mean.mean, mean.se, mean.deff
    if record["variable"] in options:
        asked = options[:4] if record["exclude_vet_ej"] else options
        estimates = share_estimates(d, s.answer, mask, options=asked)
        estimate = estimates[asked.index(record["variable"])]
    else:
        estimate = share_estimates(d, s.mc[record["variable"]][:, None], mask)[0]
    return estimate.share, estimate.se, estimate.deff


# --------------------------------------------------------------------------- against R


def test_the_reference_was_made_with_the_survey_package():
    ref = reference()
    assert ref["survey_version"].count(".") >= 1
    assert ref["population"] == sample().population == 6200
    assert ref["ids"] == sample().ids
    assert len(ESTIMATES) == 520 and len(COMPARISONS) == 640


@pytest.mark.parametrize("record", ESTIMATES, ids=_estimate_id)
def test_it_matches_r_survey_estimates_ses_and_deffs(record):
    tolerance = TOLERANCE[record["design"]]
    estimate, se, deff = _engine(record)
    assert estimate == pytest.approx(record["estimate"], abs=tolerance)
    assert se == pytest.approx(record["se"], abs=tolerance)
    if record["deff"] is None:  # R: NaN (a share of 0 or 1)
        assert math.isnan(deff)
    else:
        assert deff == pytest.approx(record["deff"], abs=tolerance)


@pytest.mark.parametrize("record", COMPARISONS, ids=_comparison_id)
def test_it_matches_r_svycontrast_for_differences_of_domains(record):
    s = sample()
    tolerance = TOLERANCE[record["design"]]
    keep = s.mask(None, None, record["exclude_vet_ej"])
    groups = s.by(record["by"])
    a = keep & (groups == record["group"])
    b = keep & (groups == record["versus"]) if record["versus"] else keep & ~a
    y = (s.answer == record["variable"]).astype(float)
    comparison = compare_domains(design(record["design"]), y, a, b)
    assert comparison.difference == pytest.approx(record["difference"], abs=tolerance)
    assert comparison.se == pytest.approx(record["se"], abs=tolerance)


@pytest.mark.parametrize("name", ["poststrat", "poststratify_linearised", "raking"])
def test_the_weights_match_r(name):
    expected = np.array(reference()["weights"][name])
    assert np.max(np.abs(design(name).weights - expected)) < TOLERANCE[name]


def test_srs_weights_are_n_over_n_like_r():
    assert np.all(design("srs").weights == 20.0)
    assert np.allclose(reference()["weights"]["srs"], 20.0)
    assert np.all(design("srs_nofpc").weights == 1.0)


def test_a_domain_is_not_a_re_analysis_of_the_subgroup():
    # SRS with fpc, domain "Norr": var = (1-f) p(1-p) n / ((n-1) n_d), not (1-f) p(1-p)/(n_d-1)
    s = sample()
    mask = s.region == "Norr"
    estimate = share_estimates(design("srs"), s.answer, mask, options=reference()["options"])[0]
    n, n_d, f = s.n, int(mask.sum()), s.n / s.population
    p = estimate.share
    assert estimate.se == pytest.approx(math.sqrt((1 - f) * p * (1 - p) * n / ((n - 1) * n_d)))
    assert estimate.se != pytest.approx(math.sqrt((1 - f) * p * (1 - p) / (n_d - 1)))


def test_the_two_post_stratification_variances_differ():
    # the (cells as strata, cell fpc) vs R's postStratify() (linearised, overall fpc)
    s = sample()
    stratified = share_estimates(design("poststrat"), s.answer)
    linearised = share_estimates(design("poststratify_linearised"), s.answer)
    for a, b in zip(stratified, linearised, strict=True):
        assert a.share == pytest.approx(b.share, abs=1e-12)
        assert a.se != pytest.approx(b.se, abs=1e-7)


# --------------------------------------------------------------------------- weighting


def test_poststratified_weights_reproduce_the_cell_counts():
    s = sample()
    weights = poststratify(s.cell, s.cell_population)
    for cell, count in s.cell_population.items():
        assert weights[s.cell == cell].sum() == pytest.approx(count, rel=1e-12)
        assert np.all(weights[s.cell == cell] == weights[s.cell == cell][0])
    assert weights.sum() == pytest.approx(s.population, rel=1e-12)


def test_raked_weights_reproduce_every_margin():
    s = sample()
    result = rake({"region": s.region, "sector": s.sector}, s.targets)
    assert result.converged
    assert 1 <= result.iterations < 100
    assert result.max_deviation <= 1e-10
    for name, labels in (("region", s.region), ("sector", s.sector)):
        for level, count in s.targets[name].items():
            assert result.weights[labels == level].sum() == pytest.approx(count, rel=1e-10)


def test_raking_does_not_depend_on_the_scale_of_equal_base_weights():
    s = sample()
    margins = {"region": s.region, "sector": s.sector}
    ones = rake(margins, s.targets).weights
    twenties = rake(margins, s.targets, base_weights=np.full(s.n, 20.0)).weights
    assert np.allclose(ones, twenties, rtol=1e-9)


def test_it_names_the_empty_population_cell():
    with pytest.raises(WeightingError, match=r"cell 'b' has no respondents"):
        poststratify(["a", "a", "c"], {"a": 10, "b": 5, "c": 7})


def test_it_names_a_respondents_cell_without_a_population_count():
    with pytest.raises(WeightingError, match=r"respondent 2 is in cell 'x', which has no"):
        poststratify(["a", "a", "x"], {"a": 10})


def test_it_refuses_respondents_in_a_cell_of_zero_members():
    with pytest.raises(WeightingError, match=r"cell 'b' has 1 respondent\(s\) but a population"):
        poststratify(["a", "b"], {"a": 10, "b": 0})


def test_an_empty_cell_of_zero_members_is_fine():
    assert list(poststratify(["a", "a"], {"a": 10, "b": 0})) == [5.0, 5.0]


def test_tuples_can_be_cells():
    weights = poststratify([("N", "K"), ("S", "K"), ("S", "K")], {("N", "K"): 3, ("S", "K"): 4})
    assert list(weights) == [3.0, 2.0, 2.0]


def test_it_names_the_empty_margin_level():
    with pytest.raises(WeightingError, match=r"margin 'sector' level 'Privat' has no respondents"):
        rake(
            {"region": ["N", "S", "S"], "sector": ["Kommun", "Kommun", "Region"]},
            {
                "region": {"N": 40, "S": 60},
                "sector": {"Kommun": 50, "Region": 30, "Privat": 20},
            },
        )


def test_it_refuses_margins_with_different_totals():
    with pytest.raises(WeightingError, match="disagree on the population total"):
        rake(
            {"region": ["N", "S"], "sector": ["K", "R"]},
            {"region": {"N": 40, "S": 60}, "sector": {"K": 50, "R": 60}},
        )


def test_it_reports_when_raking_cannot_converge():
    # Only N-K and S-R respondents: the N weight equals the K weight, so N = 40 and K = 70
    # cannot both hold.
    margins = {"region": ["N", "N", "S", "S"], "sector": ["K", "K", "R", "R"]}
    targets = {"region": {"N": 40, "S": 60}, "sector": {"K": 70, "R": 30}}
    with pytest.raises(WeightingError, match=r"did not converge in 50 iterations: margin"):
        rake(margins, targets, max_iter=50)
    result = rake(margins, targets, max_iter=50, raise_on_failure=False)
    assert not result.converged
    assert result.iterations == 50
    assert result.max_deviation > 0.1
    with pytest.raises(WeightingError, match="did not converge"):
        Design.raked(margins, targets, max_iter=50)


@pytest.mark.parametrize(("tol", "max_iter"), [(0, 10), (-1.0, 10), (1e-10, 0), (1e-10, 1.5)])
def test_it_validates_the_raking_controls(tol, max_iter):
    with pytest.raises(ValueError):
        rake({"m": ["a"]}, {"m": {"a": 1}}, tol=tol, max_iter=max_iter)


def test_kish_deff_and_effective_n():
    weights = np.array([1.0, 1.0, 2.0, 4.0])
    assert kish_deff(weights.tolist()) == pytest.approx(4 * 22 / 64)
    assert effective_n(weights) == pytest.approx(64 / 22)
    d = design("poststrat")
    assert d.effective_n == pytest.approx(d.n / d.kish_deff)
    assert d.kish_deff == pytest.approx(kish_deff(reference()["weights"]["poststrat"]))


# --------------------------------------------------------------------------- design


def test_unweighted_srs_matches_the_proportions_module():
    s = sample()
    for population in (None, s.population):
        d = Design.srs(s.n, population)
        options = reference()["options"]
        engine = share_estimates(d, s.answer, options=options)
        counts = [int(np.sum(s.answer == option)) for option in options]
        for method in METHODS:
            expected = shares(counts, population=population, method=method)
            engine = share_estimates(d, s.answer, options=options, method=method)
            for got, want in zip(engine, expected, strict=True):
                assert isinstance(got, ShareEstimate)
                for field in ("count", "share", "se", "ci_low", "ci_high", "moe_pp"):
                    assert getattr(got, field) == pytest.approx(getattr(want, field), rel=1e-12)
                assert got.n == want.n
                assert got.n_effective == pytest.approx(want.n_effective, rel=1e-9)


@pytest.mark.parametrize("level", [0.90, 0.95, 0.99])
def test_unweighted_intervals_match_statsmodels(level):
    # No population: SE^2 = p(1-p)/(n-1), so n_effective = n - 1 and the Wilson interval is
    # statsmodels' for count p(n-1) of n-1; Wald is statsmodels' "normal" at n - 1 too.
    s = sample()
    options = reference()["options"]
    d = Design.srs(s.n)
    wilson = share_estimates(d, s.answer, options=options, level=level)
    wald = share_estimates(d, s.answer, options=options, level=level, method="wald")
    for option, a, b in zip(options, wilson, wald, strict=True):
        count = int(np.sum(s.answer == option))
        p = count / s.n
        m = s.n - 1
        low, high = proportion_confint(p * m, m, alpha=1 - level, method="wilson")
        assert (a.ci_low, a.ci_high) == (pytest.approx(low), pytest.approx(high))
        low, high = proportion_confint(p * m, m, alpha=1 - level, method="normal")
        assert (b.ci_low, b.ci_high) == (pytest.approx(low), pytest.approx(high))


def test_share_estimates_carry_n_effective_deff_and_moe():
    s = sample()
    estimates = share_estimates(design("raking"), s.answer, options=reference()["options"])
    assert all(isinstance(e, DesignShareEstimate) for e in estimates)
    for e in estimates:
        assert e.n == s.n
        assert e.n_effective == pytest.approx(e.share * (1 - e.share) / e.se**2)
        assert e.moe_pp == pytest.approx(100 * Z95 * e.se)
        assert e.count == pytest.approx(e.share * s.n)
    assert sum(e.respondents for e in estimates) == s.n


def test_a_share_of_zero_uses_n_over_kish_deff():
    # Nobody in Norr is "Mycket missnöjd"
    s = sample()
    mask = s.region == "Norr"
    d = design("poststrat")
    options = reference()["options"]
    estimate = share_estimates(d, s.answer, mask, options=options)[3]
    assert estimate.share == 0.0 and estimate.se == 0.0 and math.isnan(estimate.deff)
    n_d = int(mask.sum())
    expected = n_d / (kish_deff(d.weights[mask].tolist()) * (1 - s.n / s.population))
    assert estimate.n_effective == pytest.approx(expected)
    assert estimate.ci_low == 0.0 and 0.0 < estimate.ci_high < 0.1
    for method in ("logit", "wilson"):  # logit falls back to Wilson at 0
        same = share_estimates(d, s.answer, mask, options=options, method=method)[3]
        assert (same.ci_low, same.ci_high) == (estimate.ci_low, estimate.ci_high)
    assert share_estimates(d, s.answer, mask, options=options, method="wald")[3].ci_high == 0.0


def test_logit_and_wald_intervals_follow_their_formulas():
    s = sample()
    d = design("raking")
    options = reference()["options"]
    for e in share_estimates(d, s.answer, options=options, method="logit"):
        logit = math.log(e.share / (1 - e.share))
        half = Z95 * e.se / (e.share * (1 - e.share))
        assert e.ci_low == pytest.approx(1 / (1 + math.exp(-(logit - half))))
        assert e.ci_high == pytest.approx(1 / (1 + math.exp(-(logit + half))))
    for e in share_estimates(d, s.answer, options=options, method="wald"):
        assert (e.ci_low, e.ci_high) == (
            pytest.approx(e.share - Z95 * e.se),
            pytest.approx(e.share + Z95 * e.se),
        )


def test_multiple_choice_shares_need_not_add_up_to_one():
    s = sample()
    y = np.column_stack([s.mc["mc_lon"], s.mc["mc_arbetsmiljo"]])
    estimates = share_estimates(design("raking"), y, options=["lön", "arbetsmiljö"])
    total = sum(e.share for e in estimates)
    assert total != pytest.approx(1.0, abs=0.05)
    assert [e.respondents for e in estimates] == [int(y[:, 0].sum()), int(y[:, 1].sum())]


def test_the_whole_population_has_no_sampling_error():
    d = Design.srs(4, 4)
    estimates = share_estimates(d, np.array(["a", "b", "b", "b"]))
    assert [e.share for e in estimates] == [0.25, 0.75]
    assert all(e.se == 0.0 and e.ci_low == e.ci_high == e.share for e in estimates)
    assert all(math.isinf(e.n_effective) for e in estimates)


def test_default_options_are_the_sorted_codes_in_the_domain():
    d = Design.srs(5, 100)
    codes = np.array([3, 1, 1, 2, 9])
    estimates = share_estimates(d, codes, codes != 9)
    assert [e.respondents for e in estimates] == [2, 1, 1]
    assert [e.n for e in estimates] == [4, 4, 4]


def test_the_mean_of_a_scale_has_a_wald_interval():
    s = sample()
    estimate = mean_estimate(design("raking"), s.score, s.region == "Syd")
    assert estimate.ci_low == pytest.approx(estimate.mean - Z95 * estimate.se)
    assert estimate.ci_high == pytest.approx(estimate.mean + Z95 * estimate.se)
    assert estimate.moe == pytest.approx(Z95 * estimate.se)
    assert estimate.n == int(np.sum(s.region == "Syd"))


def test_it_refuses_bad_input():
    d = Design.srs(3, 10)
    with pytest.raises(DesignError, match="not among the options"):
        share_estimates(d, np.array(["a", "b", "c"]), options=["a", "b"])
    with pytest.raises(DesignError, match="no respondents"):
        share_estimates(d, np.array(["a", "b", "c"]), np.zeros(3, dtype=bool))
    with pytest.raises(DesignError, match="boolean"):
        share_estimates(d, np.array(["a", "b", "c"]), np.array([1, 0, 1]))
    with pytest.raises(DesignError, match="0 or 1"):
        share_estimates(d, np.array([[0], [2], [1]]))
    with pytest.raises(DesignError, match="interval method"):
        share_estimates(d, np.array(["a", "b", "c"]), method="exact")
    with pytest.raises(ValueError, match="confidence level"):
        share_estimates(d, np.array(["a", "b", "c"]), level=95)
    with pytest.raises(DesignError, match="finite"):
        mean_estimate(d, [1.0, math.nan, 3.0])
    # answers outside the domain may be anything, including missing
    assert mean_estimate(d, [1.0, math.nan, 3.0], np.array([True, False, True])).mean == 2.0
    with pytest.raises(DesignError, match="smaller than the sample size"):
        Design.srs(11, 10)


def test_it_refuses_a_cell_with_a_single_respondent():
    with pytest.raises(DesignError, match=r"cell 'b' has a single respondent"):
        Design.poststratified(["a", "a", "b"], {"a": 10, "b": 5})
    # ... unless that is the cell's only member (a census of the cell)
    assert Design.poststratified(["a", "a", "b"], {"a": 10, "b": 1}).n == 3


def test_the_design_arrays_are_read_only():
    d = design("poststrat")
    with pytest.raises(ValueError):
        d.weights[0] = 1.0


def test_disjoint_domains_covary_under_weighting_but_not_under_srs():
    s = sample()
    y = (s.answer == "Mycket nöjd").astype(float)
    regions = [s.region == "Norr", s.region == "Syd"]
    wages = [s.mc["mc_lon"] == 1, s.mc["mc_lon"] == 0]  # cut across the weighting cells
    for domains in (regions, wages):
        _, cov = domain_covariance(design("srs"), y, domains)
        assert cov[0, 1] == pytest.approx(0.0, abs=1e-18)
    # post-stratified: only domains that share cells covary
    _, cov = domain_covariance(design("poststrat"), y, regions)
    assert cov[0, 1] == pytest.approx(0.0, abs=1e-18)
    _, cov = domain_covariance(design("poststrat"), y, wages)
    assert abs(cov[0, 1]) > 1e-6
    # raked: the calibration residuals tie regions together through the sector margin
    for domains in (regions, wages):
        _, cov = domain_covariance(design("raking"), y, domains)
        assert abs(cov[0, 1]) > 1e-7


# --------------------------------------------------------------------------- comparisons


def test_it_compares_two_independent_shares():
    a = ShareEstimate(50, 0.5, 0.03, 0, 1, 0, 100, 100)
    b = ShareEstimate(40, 0.4, 0.04, 0, 1, 0, 100, 100)
    comparison = compare_shares(a, b)
    assert comparison.difference == pytest.approx(0.1)
    assert comparison.se == pytest.approx(0.05)
    assert comparison.z == pytest.approx(2.0)
    assert comparison.p_value == pytest.approx(0.04550026389635842)
    assert comparison.significant
    assert not compare_shares(a, b, level=0.99).significant


def test_a_difference_without_sampling_error():
    exact = ShareEstimate(1, 0.5, 0.0, 0.5, 0.5, 0.0, 2, math.inf)
    other = ShareEstimate(1, 0.4, 0.0, 0.4, 0.4, 0.0, 2, math.inf)
    assert compare_shares(exact, other).p_value == 0.0
    assert compare_shares(exact, exact) == Comparison(0.0, 0.0, 0.0, 1.0, False, 0.95)


def test_holm_by_hand():
    # sorted: 0.005 <= 0.05/4, 0.01 <= 0.05/3, 0.03 > 0.05/2: stop
    p = [0.01, 0.04, 0.03, 0.005]
    assert holm(p) == [True, False, False, True]
    assert holm_adjusted(p) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm(p, alpha=0.10) == [True, True, True, True]  # 0.03 <= 0.05, 0.04 <= 0.1
    assert holm([]) == []
    assert holm([0.2, 0.001, 0.3]) == [False, True, False]


HOLM_CASES = [
    ([0.01, 0.04, 0.03, 0.005], 0.05),
    ([0.001, 0.001, 0.2, 0.049, 0.02, 0.5], 0.05),
    ([0.5, 0.9, 1.0], 0.05),
    ([0.0, 0.011, 0.012, 0.013, 0.0125], 0.05),
    ([0.04], 0.05),
    ([0.02, 0.03, 0.09, 0.01], 0.10),
]


@pytest.mark.parametrize(("p_values", "alpha"), HOLM_CASES)
def test_holm_agrees_with_statsmodels(p_values, alpha):
    rejected, adjusted, _, _ = multipletests(p_values, alpha=alpha, method="holm")
    assert holm(p_values, alpha) == list(rejected)
    assert holm_adjusted(p_values) == pytest.approx(list(adjusted))


@given(st.lists(st.floats(0.0, 1.0), max_size=12), st.sampled_from([0.01, 0.05, 0.1]))
def test_holm_rejects_the_smallest_p_values_and_agrees_with_its_adjusted_p(p_values, alpha):
    rejected = holm(p_values, alpha)
    adjusted = holm_adjusted(p_values)
    kept = [p for p, r in zip(p_values, rejected, strict=True) if not r]
    if kept:  # the rejected hypotheses are those with the smallest p-values
        assert all(p <= min(kept) for p, r in zip(p_values, rejected, strict=True) if r)
    for a, p, r in zip(adjusted, p_values, rejected, strict=True):
        assert p <= a <= 1.0
        # rejected exactly where the adjusted p-value is at most alpha (up to rounding)
        assert a <= alpha * (1 + 1e-12) if r else a >= alpha * (1 - 1e-12)


def test_a_breakdown_against_the_rest_matches_r_and_applies_holm():
    s = sample()
    d = design("raking")
    y = (s.answer == "Mycket nöjd").astype(float)
    keep = s.answer != "Vet ej"
    rows = compare_breakdown(d, y, s.region, domain=keep, levels=["Norr", "Mitt", "Syd"])
    assert [r.group for r in rows] == ["Norr", "Mitt", "Syd"]
    assert all(r.versus is None for r in rows)
    expected = {
        c["group"]: c
        for c in COMPARISONS
        if c["design"] == "raking"
        and c["variable"] == "Mycket nöjd"
        and c["by"] == "region"
        and c["exclude_vet_ej"]
        and c["versus"] is None
    }
    for row in rows:
        assert row.comparison.difference == pytest.approx(expected[row.group]["difference"])
        assert row.comparison.se == pytest.approx(expected[row.group]["se"])
        assert row.share - row.versus_share == pytest.approx(row.comparison.difference)
    p_values = [r.comparison.p_value for r in rows]
    assert [r.p_adjusted for r in rows] == pytest.approx(holm_adjusted(p_values))
    assert [r.significant for r in rows] == holm(p_values)


def test_a_pairwise_breakdown_skips_hidden_groups():
    s = sample()
    y = (s.answer == "Ganska nöjd").astype(float)
    rows = compare_breakdown(design("poststrat"), y, s.sector, versus="pairwise", hidden={"Region"})
    assert [(r.group, r.versus) for r in rows] == [("Kommun", "Privat")]
    rows = compare_breakdown(design("poststrat"), y, s.sector, versus="pairwise")
    assert len(rows) == 3
    smallest = min(r.comparison.p_value for r in rows)
    assert min(r.p_adjusted for r in rows) == pytest.approx(min(1.0, 3 * smallest))


def test_a_significant_difference_is_found():
    # 60 % vs 30 % in two halves of 400: clearly different, also after Holm
    d = Design.srs(400, 5000)
    groups = np.array(["a"] * 200 + ["b"] * 200)
    y = np.concatenate([np.repeat([1.0, 0.0], [120, 80]), np.repeat([1.0, 0.0], [60, 140])])
    rows = compare_breakdown(d, y, groups, versus="pairwise")
    assert rows[0].comparison.difference == pytest.approx(0.3)
    assert rows[0].significant


def test_groups_from_estimates_alone_are_compared_as_independent():
    s = sample()
    options = reference()["options"]
    d = design("raking")
    estimates = {
        region: share_estimates(d, s.answer, s.region == region, options=options)[0]
        for region in ("Norr", "Syd", "Stockholm")
    }
    rows = compare_groups(estimates)
    assert [(r.group, r.versus) for r in rows] == [
        ("Norr", "Syd"),
        ("Norr", "Stockholm"),
        ("Syd", "Stockholm"),
    ]
    first = estimates["Norr"], estimates["Syd"]
    assert rows[0].comparison.se == pytest.approx(math.hypot(first[0].se, first[1].se))


# --------------------------------------------------------------------------- suppression


def test_it_hides_small_groups():
    groups = {"Norr": 3, "Mitt": 2, "Syd": 40, "Stockholm": 55}
    assert suppress(groups, 5) == {"Norr", "Mitt"}
    assert suppress({"Norr": 30, "Syd": 40}, 5) == set()
    assert suppress({"Norr": 5, "Syd": 40}, 5) == set()  # "fewer than" the threshold


def test_it_hides_the_next_smallest_group_when_one_is_hidden():
    groups = {"Norr": 3, "Mitt": 12, "Syd": 40, "Stockholm": 9}
    assert suppress(groups, 5) == {"Norr", "Stockholm"}
    # ties: the first of the smallest
    assert suppress({"a": 1, "b": 7, "c": 7}, 5) == {"a", "b"}
    # without a total nothing can be derived
    assert suppress(groups, 5, total_shown=False) == {"Norr"}
    # a lone group cannot be hidden behind another
    assert suppress({"only": 2}, 5) == {"only"}


def test_the_default_threshold_is_five():
    assert suppress({"a": 4, "b": 5, "c": 6}) == {"a", "b"}


@pytest.mark.parametrize("threshold", [-1, 2.5, True])
def test_it_validates_the_threshold(threshold):
    with pytest.raises(ValueError, match="threshold"):
        suppress({"a": 4}, threshold)


@given(st.dictionaries(st.text(max_size=3), st.integers(0, 30), max_size=8), st.integers(0, 10))
def test_no_hidden_group_can_be_derived_from_the_total(groups, threshold):
    hidden = suppress(groups, threshold)
    assert {g for g, n in groups.items() if n < threshold} <= hidden
    if len(groups) > 1:
        assert len(hidden) != 1  # a single hidden group = total - the others


# --------------------------------------------------------------------------- properties


@st.composite
def samples(draw: st.DrawFn) -> dict[str, Any]:
    """A sample with every region x sector cell present, answers, and register counts."""
    regions = draw(st.integers(2, 3))
    sectors = draw(st.integers(2, 3))
    per_cell = draw(
        st.lists(st.integers(2, 6), min_size=regions * sectors, max_size=regions * sectors)
    )
    region, sector = [], []
    for k, size in enumerate(per_cell):
        region += [f"r{k // sectors}"] * size
        sector += [f"s{k % sectors}"] * size
    n = len(region)
    answers = draw(st.lists(st.sampled_from(["a", "b", "c", "Vet ej"]), min_size=n, max_size=n))
    extra = draw(
        st.lists(st.integers(0, 60), min_size=regions * sectors, max_size=regions * sectors)
    )
    cells = {
        (f"r{k // sectors}", f"s{k % sectors}"): float(size + more)
        for k, (size, more) in enumerate(zip(per_cell, extra, strict=True))
    }
    targets: dict[str, dict[str, float]] = {"region": Counter(), "sector": Counter()}
    for (r, s_), count in cells.items():
        targets["region"][r] += count
        targets["sector"][s_] += count
    return {
        "region": np.array(region, dtype=object),
        "sector": np.array(sector, dtype=object),
        "cell": list(zip(region, sector, strict=True)),
        "answer": np.array(answers, dtype=object),
        "cells": cells,
        "targets": {k: dict(v) for k, v in targets.items()},
    }


def _designs(data: dict[str, Any]) -> list[Design]:
    n = len(data["answer"])
    population = int(sum(data["cells"].values()))
    return [
        Design.srs(n, population),
        Design.srs(n),
        Design.poststratified(data["cell"], data["cells"]),
        Design.raked({"region": data["region"], "sector": data["sector"]}, data["targets"]),
    ]


@settings(max_examples=60, deadline=None)
@given(samples())
def test_weights_reproduce_their_targets(data):
    weights = poststratify(data["cell"], data["cells"])
    cells = data["cell"]
    for cell, count in data["cells"].items():
        total = sum(w for w, c in zip(weights, cells, strict=True) if c == cell)
        assert total == pytest.approx(count, rel=1e-12)
    result = rake({"region": data["region"], "sector": data["sector"]}, data["targets"])
    assert result.converged
    for name in ("region", "sector"):
        for level, count in data["targets"][name].items():
            assert result.weights[data[name] == level].sum() == pytest.approx(count, rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(samples(), st.sampled_from(METHODS), st.sampled_from([0.9, 0.95, 0.99]), st.booleans())
def test_shares_add_up_and_intervals_hold_their_estimate(data, method, level, exclude):
    domain = data["answer"] != "Vet ej" if exclude else None
    assume(domain is None or domain.any())
    options = ["a", "b", "c"] if exclude else ["a", "b", "c", "Vet ej"]
    for d in _designs(data):
        estimates = share_estimates(
            d, data["answer"], domain, options=options, method=method, level=level
        )
        assert math.fsum(e.share for e in estimates) == pytest.approx(1.0, abs=1e-12)
        for e in estimates:
            assert 0.0 <= e.ci_low <= e.share <= e.ci_high <= 1.0
            assert e.se >= 0.0 and e.n_effective > 0.0
            assert e.moe_pp == pytest.approx(100 * z_value(level) * e.se)
        # a domain of the design (a region), all options
        region = share_estimates(d, data["answer"], data["region"] == "r0", method=method)
        assert math.fsum(e.share for e in region) == pytest.approx(1.0, abs=1e-12)
        assert all(0.0 <= e.ci_low <= e.share <= e.ci_high <= 1.0 for e in region)


# --------------------------------------------------------------------------- pairs, t intervals


PAIR_FAMILIES = sorted(
    {
        (r["design"], r["variable"], r["by"], r["exclude_vet_ej"])
        for r in COMPARISONS
        if r["versus"] is not None
    }
)


@pytest.mark.parametrize(
    "family", PAIR_FAMILIES, ids=lambda f: f"{f[0]}:{f[1]}:{f[2]}{'-vetej' if f[3] else ''}"
)
def test_every_pair_of_groups_matches_r_with_holm_over_the_pairs(family):
    """compare_breakdown(versus="pairwise"): each pair's difference and design-based SE as
    svyby(covmat = TRUE) / svyglm(y ~ 0 + group) with svycontrast give them, the z test's p
    and Holm's adjustment over the breakdown's pairs (p.adjust(method = "holm"))."""
    name, variable, by, exclude = family
    s = sample()
    tolerance = TOLERANCE[name]
    expected = {
        (r["group"], r["versus"]): r
        for r in COMPARISONS
        if (r["design"], r["variable"], r["by"], r["exclude_vet_ej"]) == family and r["versus"]
    }
    levels = (
        ["Norr", "Mitt", "Syd", "Stockholm"] if by == "region" else ["Kommun", "Region", "Privat"]
    )
    y = (s.answer == variable).astype(float)
    found = compare_breakdown(
        design(name),
        y,
        s.by(by),
        domain=s.mask(None, None, exclude),
        versus="pairwise",
        levels=levels,
    )
    assert len(found) == len(expected) == len(levels) * (len(levels) - 1) // 2
    for pair in found:
        want = expected[(pair.group, pair.versus)]
        assert want["se_svyglm"] == pytest.approx(want["se"], abs=1e-9)
        assert pair.comparison.difference == pytest.approx(want["difference"], abs=tolerance)
        assert pair.comparison.se == pytest.approx(want["se"], abs=tolerance)
        assert pair.comparison.p_value == pytest.approx(want["p_value"], abs=tolerance)
        assert pair.p_adjusted == pytest.approx(want["p_holm"], abs=tolerance)
        assert pair.significant == (want["p_holm"] <= 0.05)


def test_some_pair_differs_and_holm_changes_a_verdict():
    """The reference holds pairs on both sides of 5 % and one whose raw p is below it while
    Holm's is not: the adjustment is not idle."""
    pairs = [r for r in COMPARISONS if r["versus"] is not None]
    assert any(r["p_holm"] <= 0.05 for r in pairs)
    assert any(r["p_value"] <= 0.05 < r["p_holm"] for r in pairs)


T_INTERVALS = reference()["t_intervals"]


def _interval_id(record: dict[str, Any]) -> str:
    return f"{_estimate_id(record)}:{record['method']}"


@pytest.mark.parametrize("record", T_INTERVALS, ids=_interval_id)
def test_t_based_intervals_match_svyciprop_and_confint_with_degf(record):
    s = sample()
    d = design(record["design"])
    mask = s.mask(record["by"], record["level"], record["exclude_vet_ej"])
    tolerance = TOLERANCE[record["design"]]
    assert d.degrees_of_freedom(mask) == record["df"]
    if record["kind"] == "mean":
        mean = mean_estimate(d, s.score, mask, ci_df="t")
        got = (mean.mean, mean.ci_low, mean.ci_high, mean.df)
    else:
        options = reference()["options"]
        asked = options[:4] if record["exclude_vet_ej"] else options
        estimates = share_estimates(
            d, s.answer, mask, options=asked, method=record["method"], ci_df="t"
        )
        e = estimates[asked.index(record["variable"])]
        got = (e.share, e.ci_low, e.ci_high, e.df)
        if record["method"] == "logit" and e.share in (0.0, 1.0):
            # R's logit interval collapses where nobody (everybody) in the domain chose the
            # option; the engine's convention is Wilson there, an interval with width.
            assert record["ci_high"] - record["ci_low"] < 1e-9
            assert e.ci_high - e.ci_low > 0.01 and e.share in (e.ci_low, e.ci_high)
            return
    low, high = record["ci_low"], record["ci_high"]
    if record["kind"] == "share":  # a share's interval is clipped to 0-100 %, R's is not
        low, high = max(low, 0.0), min(high, 1.0)
    assert got[0] == pytest.approx(record["estimate"], abs=tolerance)
    assert got[1] == pytest.approx(low, abs=tolerance)
    assert got[2] == pytest.approx(high, abs=tolerance)
    assert got[3] == record["df"]


def test_t_intervals_are_wider_than_normal_ones_in_a_small_group():
    s = sample()
    mask = s.mask("region", "Norr", False)
    normal = share_estimates(design("poststrat"), s.answer, mask, method="wald")[0]
    t = share_estimates(design("poststrat"), s.answer, mask, method="wald", ci_df="t")[0]
    assert t.share == normal.share and t.se == normal.se
    assert t.ci_low < normal.ci_low and t.ci_high > normal.ci_high
    assert normal.df is None and t.df == int(mask.sum()) - 3  # three sector cells in Norr
