"""Before drawing, an admin asks how many members to invite for a wanted margin of error.

Hand computations below use z = 1.959964 (95 %), z² = 3.841459.
"""

import math

import pytest

from respondents.planning import (
    expected_moe_pp,
    plan_strata,
    required_respondents,
    required_sample,
    z_value,
)


def test_it_uses_the_normal_quantile_of_the_level():
    assert z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert z_value(0.99) == pytest.approx(2.575829, abs=1e-6)


def test_it_needs_600_respondents_for_four_points_among_a_million():
    # n0 = 3.841459·0.25/0.04² = 600.228; with the FPC 600.228/(1 + 599.228/1e6) = 599.869,
    # rounded up 600. (Without the FPC it would be 601.)
    assert required_respondents(4, 1_000_000) == 600


@pytest.mark.parametrize(
    ("moe_pp", "population", "p", "expected"),
    [
        # n0 = 0.960365/0.0025 = 384.146; 384.146/(1 + 383.146/2000) = 322.39 -> 323
        (5, 2000, 0.5, 323),
        # n0 = 0.960365/0.0009 = 1067.07; 1067.07/(1 + 1066.07/10000) = 964.27 -> 965
        (3, 10_000, 0.5, 965),
        # p = .2: n0 = 3.841459·0.16/0.0025 = 245.85; 245.85/(1 + 244.85/2000) = 219.03 -> 220
        (5, 2000, 0.2, 220),
        # A small register: n0 = 384.146, 384.146/(1 + 383.146/100) = 79.51 -> 80
        (5, 100, 0.5, 80),
    ],
)
def test_it_computes_required_respondents_with_the_finite_population_correction(
    moe_pp, population, p, expected
):
    assert required_respondents(moe_pp, population, p=p) == expected


def test_it_divides_by_the_response_rate_and_rounds_up():
    # 600 / 0.6 = 1000 exactly (no spurious 1001 from floating point); 600 / 0.35 = 1714.3 -> 1715
    assert required_sample(4, 1_000_000, response_rate=0.6) == 1000
    assert required_sample(4, 1_000_000, response_rate=0.35) == 1715


def test_it_never_asks_to_invite_more_than_the_register_has():
    # 80 respondents of 100 at a 50 % response rate would need 160 invitations.
    assert required_sample(5, 100, response_rate=0.5) == 100


def test_it_expects_four_points_from_600_respondents_of_a_million():
    # 100·1.959964·sqrt((1 − 600/1e6)·0.25/599) = 100·1.959964·0.0204233 = 4.0029
    assert expected_moe_pp(600, 1_000_000) == pytest.approx(4.0029, abs=1e-4)
    assert round(expected_moe_pp(600, 1_000_000), 1) == 4.0


def test_the_expected_margin_shrinks_to_zero_for_a_census_and_is_unknown_for_one_answer():
    # 100·1.959964·sqrt((1 − 50/500)·0.25/49) = 100·1.959964·0.067763 = 13.281
    assert expected_moe_pp(50, 500) == pytest.approx(13.281, abs=1e-3)
    assert expected_moe_pp(500, 500) == 0.0
    assert expected_moe_pp(1, 500) == math.inf


def test_it_plans_each_stratum():
    rows = plan_strata({"Stat": 300, "Kommun": 500}, {"Kommun": 100, "Stat": 60}, 0.5)
    assert [row["stratum"] for row in rows] == ["Kommun", "Stat"]
    kommun, stat = rows
    assert (kommun["population"], kommun["sample"], kommun["respondents"]) == (500, 100, 50.0)
    assert kommun["moe_pp"] == pytest.approx(13.281, abs=1e-3)
    # 30 of 300: 100·1.959964·sqrt(0.9·0.25/29) = 17.264
    assert stat["moe_pp"] == pytest.approx(17.264, abs=1e-3)


def test_a_stratum_expecting_fewer_than_two_answers_has_no_margin():
    rows = plan_strata({"A": 10, "B": 0}, {"A": 1}, 0.5)
    assert [row["moe_pp"] for row in rows] == [None, None]


@pytest.mark.parametrize(
    "call",
    [
        lambda: required_respondents(0, 1000),
        lambda: required_respondents(4, 0),
        lambda: required_respondents(4, 1000, p=1.0),
        lambda: required_sample(4, 1000, response_rate=0),
        lambda: expected_moe_pp(11, 10),
        lambda: plan_strata({"A": 10}, {"A": 11}, 0.5),
    ],
)
def test_it_refuses_impossible_inputs(call):
    with pytest.raises(ValueError):
        call()
