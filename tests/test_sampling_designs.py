"""An admin draws a stratified sample: allocated exactly, drawn reproducibly, explained in numbers.

The first half needs no database: allocation and selection are pure functions. The second half
draws through the service and checks it against those functions alone, so the same test on
SQLite (locally) and PostgreSQL (CI) shows that both databases give the very same members.
"""

import datetime
import random
from collections import Counter

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import chi2

from respondents import sampling
from respondents.draws import DrawError, months_before, sample_draw
from respondents.models import Member, SampleDraw
from tests.factories import RegisterFactory

POPULATION = {"A": 500, "B": 300, "C": 200}

# --- allocation ---------------------------------------------------------------------------------


def test_it_allocates_proportionally_by_largest_remainder():
    # Quotas 7·500/1000 = 3.5, 2.1, 1.4: whole parts 3 + 2 + 1 = 6, and the seat left goes to
    # the largest fraction, A's .5.
    assert sampling.allocate(POPULATION, 7, "proportional") == {"A": 4, "B": 2, "C": 1}


def test_it_allocates_equally_and_gives_tied_remainders_by_stratum_name():
    # 10/3 = 3.33 each: 3 + 3 + 3 = 9, the tenth goes to the first name among equal fractions.
    assert sampling.allocate(POPULATION, 10, "equal") == {"A": 4, "B": 3, "C": 3}


def test_it_breaks_ties_by_name_not_by_the_order_strata_are_given():
    assert sampling.allocate({"B": 1, "A": 1}, 1, "proportional") == {"A": 1, "B": 0}
    assert sampling.allocate({"A": 1, "B": 1}, 1, "proportional") == {"A": 1, "B": 0}


def test_it_never_allocates_more_than_a_stratum_has_and_shares_out_the_rest():
    # Equal quotas 10/3 = 3.33 exceed C's 2 members: C is taken whole, A and B share 8.
    assert sampling.allocate({"A": 500, "B": 300, "C": 2}, 10, "equal") == {"A": 4, "B": 4, "C": 2}
    # Quotas of 3 fill A (1) and B (2) at once; C takes the 6 left.
    assert sampling.allocate({"A": 1, "B": 2, "C": 100}, 9, "equal") == {"A": 1, "B": 2, "C": 6}


def test_it_gives_nothing_to_an_empty_stratum():
    assert sampling.allocate({"A": 10, "B": 0}, 4, "equal") == {"A": 4, "B": 0}


def test_it_allocates_optimally_by_neyman_with_a_share_per_stratum():
    # S_A = sqrt(.5·.5·100/99), S_B = sqrt(.1·.9·100/99): N_h·S_h are as .5 to .3, so quotas are
    # 10·5/8 = 6.25 and 10·3/8 = 3.75: 6 + 3, and the last seat to B's .75.
    allocation = sampling.allocate({"A": 100, "B": 100}, 10, "optimal", p={"A": 0.5, "B": 0.1})
    assert allocation == {"A": 6, "B": 4}


def test_neyman_with_one_share_is_proportional_but_for_the_small_stratum_factor():
    # N_h·sqrt(N_h/(N_h − 1)) for 500, 300, 200 gives quotas 3.498, 2.100, 1.401: as proportional.
    assert sampling.allocate(POPULATION, 7, "optimal") == {"A": 4, "B": 2, "C": 1}
    # For a stratum of 2 the factor is sqrt(2): proportional ties 9.5 / 0.5 and gives A the seat,
    # Neyman has 38·sqrt(38/37) = 38.51 against 2·sqrt(2) = 2.83, quotas 9.316 / 0.684: B gets it.
    assert sampling.allocate({"A": 38, "B": 2}, 10, "proportional") == {"A": 10, "B": 0}
    assert sampling.allocate({"A": 38, "B": 2}, 10, "optimal") == {"A": 9, "B": 1}


def test_it_takes_a_fixed_allocation_as_given():
    fixed = {"A": 1, "C": 6}
    assert sampling.allocate(POPULATION, 7, "fixed", fixed=fixed) == {"A": 1, "B": 0, "C": 6}


@pytest.mark.parametrize(
    ("size", "fixed"),
    [
        (7, {"A": 1, "B": 1}),  # adds up to 2, not 7
        (201, {"C": 201}),  # more than C's 200
        (7, {"A": 6, "D": 1}),  # D has no members
        (7, {"A": 8, "B": -1}),  # a negative number
        (7, None),  # no numbers at all
    ],
)
def test_it_refuses_a_fixed_allocation_that_does_not_fit(size, fixed):
    with pytest.raises(ValueError):
        sampling.allocate(POPULATION, size, "fixed", fixed)


def test_it_refuses_a_sample_larger_than_the_population():
    with pytest.raises(ValueError):
        sampling.allocate(POPULATION, 1001, "proportional")


@given(
    population=st.dictionaries(
        st.text(alphabet="abcdefgh", min_size=1, max_size=3),
        st.integers(min_value=0, max_value=60),
        min_size=1,
        max_size=8,
    ),
    method=st.sampled_from(["proportional", "equal", "optimal"]),
    data=st.data(),
)
def test_every_allocation_adds_up_to_the_size_within_the_populations(population, method, data):
    total = sum(population.values())
    if total == 0:
        return
    size = data.draw(st.integers(min_value=1, max_value=total))
    allocation = sampling.allocate(population, size, method)
    assert sum(allocation.values()) == size
    assert all(0 <= allocation[h] <= population[h] for h in population)
    if method == "proportional":
        # Largest remainder never moves a stratum a whole seat off its quota.
        assert all(abs(allocation[h] - size * population[h] / total) < 1 for h in population)


# --- selection within strata --------------------------------------------------------------------


def interleaved_strata(size: int) -> list[str]:
    return [("A", "B", "B")[i % 3] for i in range(size)]


def test_a_draw_from_one_stratum_is_the_simple_random_sample():
    drawn = sampling.stratified_random_sample(["x"] * 1000, {"x": 37}, seed=5)
    assert [d.position for d in drawn] == sampling.simple_random_sample(1000, 37, 5).positions


def test_it_takes_the_members_with_the_smallest_keys_in_each_stratum():
    strata = interleaved_strata(300)
    keys = sampling.random_keys(300, 11)
    drawn = sampling.stratified_random_sample(strata, {"A": 7, "B": 9}, seed=11)
    for stratum, n in (("A", 7), ("B", 9)):
        positions = [i for i, s in enumerate(strata) if s == stratum]
        expected = sorted(sorted(positions, key=lambda i: (keys[i], i))[:n])
        assert [d.position for d in drawn if d.stratum == stratum] == expected


def test_the_draw_does_not_depend_on_stratum_names_or_their_order():
    strata = interleaved_strata(600)
    renamed = ["Ö" if s == "A" else "Å" for s in strata]
    first = sampling.stratified_random_sample(strata, {"A": 10, "B": 20}, seed=3)
    second = sampling.stratified_random_sample(renamed, {"Å": 20, "Ö": 10}, seed=3)
    assert [d.position for d in first] == [d.position for d in second]


def test_it_gives_each_member_drawn_the_inclusion_probability_of_its_stratum():
    drawn = sampling.stratified_random_sample(interleaved_strata(300), {"A": 10, "B": 5}, seed=1)
    assert {(d.stratum, d.inclusion_probability) for d in drawn} == {("A", 0.1), ("B", 0.025)}
    assert Counter(d.stratum for d in drawn) == {"A": 10, "B": 5}


def test_it_refuses_more_than_a_stratum_has_or_a_stratum_that_is_not_there():
    with pytest.raises(ValueError):
        sampling.stratified_random_sample(["A", "B", "B"], {"A": 2}, seed=1)
    with pytest.raises(ValueError):
        sampling.stratified_random_sample(["A", "B", "B"], {"C": 1}, seed=1)


def test_stratified_draws_are_uniform_within_strata_over_many_seeds():
    strata = interleaved_strata(30)  # A: 10 positions, B: 20
    allocation = {"A": 3, "B": 4}
    runs = 2000
    counts = np.zeros(30)
    for seed in range(runs):
        for d in sampling.stratified_random_sample(strata, allocation, seed):
            counts[d.position] += 1
    expected = np.array([runs * (3 / 10 if s == "A" else 4 / 20) for s in strata])
    statistic = float(((counts - expected) ** 2 / expected).sum())
    # 30 cells less one fixed total per stratum: 28 degrees of freedom; p = 0.001 at 56.89.
    assert statistic < chi2.ppf(0.999, 28)


def test_equal_keys_go_to_the_earlier_position():
    keys = np.array([5, 1, 5, 5, 0], dtype=np.uint64)
    assert sampling.smallest(keys, 3).tolist() == [0, 1, 4]
    assert sampling.smallest(keys, 4).tolist() == [0, 1, 2, 4]


# --- the service, on whichever database the suite runs ------------------------------------------

REGIONS = ["Norr", "Mitt", "Syd"]
SECTORS = ["Kommun", "Stat", "Privat"]


def synthetic_members(count: int, seed: int = 2026) -> list[tuple[str, dict]]:
    """Membership numbers (some not all digits) with region and sector, a few without region."""
    rng = random.Random(seed)
    members = []
    for i in range(count):
        number = f"S-{i}" if i % 97 == 0 else str(rng.randrange(1, 10**9))
        attributes = {"sektor": rng.choice(SECTORS)}
        if i % 23:
            attributes["region"] = rng.choice(REGIONS)
        members.append((number, attributes))
    return list(dict(members).items())  # unique numbers


def expected_numbers(members, variables, size, method, seed) -> set[str]:
    """The draw computed by the pure functions alone, with no database."""
    numbers = [number for number, _attributes in members]
    order = sampling.frame_order(numbers)
    labels = [sampling.stratum_label(members[i][1], variables) for i in order]
    allocation = sampling.allocate(Counter(labels), size, method)
    drawn = sampling.stratified_random_sample(labels, allocation, seed)
    return {numbers[order[d.position]] for d in drawn}


def sampled_numbers(draw: SampleDraw) -> set[str]:
    return set(draw.members.values_list("member__number", flat=True))


@pytest.fixture
def members():
    return synthetic_members(900)


@pytest.fixture
def register(db, members):
    register = RegisterFactory(name="Socionomer 2026", variables=["region", "sektor"])
    shuffled = members[:]
    random.Random(1).shuffle(shuffled)  # the import order must not matter
    Member.objects.bulk_create(
        Member(register=register, number=n, email=f"{n}@example.org", attributes=a)
        for n, a in shuffled
    )
    return register


@pytest.mark.parametrize("method", ["proportional", "equal", "optimal"])
def test_it_draws_exactly_the_members_the_pure_functions_give(register, members, method):
    draw = sample_draw(
        register=register,
        name="Urval",
        size=120,
        seed=20260901,
        strata=["region", "sektor"],
        allocation=method,
    )
    expected = expected_numbers(members, ["region", "sektor"], 120, method, 20260901)
    assert len(expected) == 120
    assert sampled_numbers(draw) == expected


def test_the_same_seed_gives_the_same_stratified_sample_whatever_the_import_order(db, members):
    draws = []
    for i, order in enumerate((members, members[::-1])):
        register = RegisterFactory(variables=["region", "sektor"])
        Member.objects.bulk_create(
            Member(register=register, number=n, email=f"{n}@example.org", attributes=a)
            for n, a in order
        )
        draws.append(
            sample_draw(register=register, name=f"U{i}", size=50, seed=7, strata=["sektor"])
        )
    assert sampled_numbers(draws[0]) == sampled_numbers(draws[1])


def test_it_records_design_allocation_seed_and_counts_per_stratum(register, members):
    draw = sample_draw(
        register=register, name="Urval", size=90, seed=1, strata=["sektor"], allocation="equal"
    )
    population = Counter(a["sektor"] for _n, a in members)
    assert (draw.design, draw.strata, draw.allocation, draw.seed) == (
        "stratified",
        ["sektor"],
        "equal",
        1,
    )
    assert draw.frame_size == len(members)
    assert draw.counts == {s: {"population": population[s], "sample": 30} for s in SECTORS}
    assert Counter(draw.members.values_list("stratum", flat=True)) == dict.fromkeys(SECTORS, 30)


def test_it_gives_each_sampled_member_its_stratum_and_inclusion_probability(register):
    draw = sample_draw(register=register, name="Urval", size=60, seed=2, strata=["sektor"])
    for stratum, counts in draw.counts.items():
        probabilities = set(
            draw.members.filter(stratum=stratum).values_list("inclusion_probability", flat=True)
        )
        assert probabilities == {counts["sample"] / counts["population"]}


def test_it_joins_two_variables_and_labels_missing_values(register):
    draw = sample_draw(
        register=register, name="Urval", size=200, seed=3, strata=["region", "sektor"]
    )
    assert "Norr / Kommun" in draw.counts
    assert "(saknas) / Stat" in draw.counts
    assert len(draw.counts) == (len(REGIONS) + 1) * len(SECTORS)
    assert sum(c["sample"] for c in draw.counts.values()) == 200


def test_it_draws_a_fixed_allocation(register):
    fixed = {"Kommun": 5, "Stat": 0, "Privat": 15}
    draw = sample_draw(
        register=register,
        name="Urval",
        size=20,
        seed=4,
        strata=["sektor"],
        allocation="fixed",
        fixed=fixed,
    )
    assert Counter(draw.members.values_list("stratum", flat=True)) == {"Kommun": 5, "Privat": 15}


def test_a_simple_draw_still_records_one_unnamed_stratum(register):
    draw = sample_draw(register=register, name="Urval", size=10, seed=4)
    assert (draw.design, draw.strata, draw.allocation) == ("simple", [], "")
    assert draw.counts == {"": {"population": 900, "sample": 10}}
    assert draw.exclusions == {}


# --- exclusions ---------------------------------------------------------------------------------


def test_it_leaves_out_members_sampled_in_the_last_months(register):
    earlier = sample_draw(register=register, name="Mars", size=300, seed=1)
    old = sample_draw(register=register, name="I fjol", size=300, seed=2)
    SampleDraw.objects.filter(pk=old.pk).update(
        created_at=months_before(timezone.now(), 7)
    )  # drawn before the window
    draw = sample_draw(register=register, name="Sept", size=300, seed=3, exclude_sampled_months=6)
    assert not sampled_numbers(draw) & sampled_numbers(earlier)
    assert sampled_numbers(draw) & sampled_numbers(old)  # 300 of 600 left: overlap certain
    assert draw.frame_size == 600
    assert draw.exclusions["sampled_months"] == 6
    assert draw.exclusions["excluded"] == 300


def test_it_leaves_out_the_members_of_named_samples_also_from_an_earlier_register(
    register, members
):
    earlier_register = RegisterFactory(name="Socionomer 2025")
    Member.objects.bulk_create(
        Member(register=earlier_register, number=n, email=f"{n}@example.org")
        for n, _a in members[:400]
    )
    last_year = sample_draw(register=earlier_register, name="2025", size=100, seed=1)
    spring = sample_draw(register=register, name="Vår", size=100, seed=2)
    draw = sample_draw(
        register=register,
        name="Höst",
        size=600,
        seed=3,
        strata=["sektor"],
        exclude_samples=["2025", "Vår"],
    )
    drawn = sampled_numbers(draw)
    assert not drawn & sampled_numbers(last_year)
    assert not drawn & sampled_numbers(spring)
    overlap = len(sampled_numbers(last_year) & sampled_numbers(spring))
    assert draw.frame_size == 900 - 200 + overlap
    assert draw.exclusions["samples"] == ["2025", "Vår"]


def test_months_before_keeps_the_day_or_takes_the_last_of_a_shorter_month():
    moment = datetime.datetime(2026, 3, 31, 12, 0, tzinfo=datetime.UTC)
    assert months_before(moment, 1) == moment.replace(month=2, day=28)
    assert months_before(moment, 15) == moment.replace(year=2024, month=12)


# --- what the admin is told ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"strata": ["lön"]}, "no variable “lön”"),
        ({"strata": ["region", "sektor", "region"]}, "one or two"),
        ({"size": 901}, "from a frame of 900"),
        ({"allocation": "random", "strata": ["sektor"]}, "Unknown allocation"),
        (
            {"strata": ["sektor"], "allocation": "fixed", "fixed": {"Kommun": 5, "Stat": 5}},
            "adds up to 10, not the sample size 20",
        ),
        (
            {"strata": ["sektor"], "allocation": "fixed", "fixed": {"Kommun": 10, "Skola": 10}},
            "“Skola” has no members",
        ),
        (
            {"strata": ["sektor"], "allocation": "fixed", "fixed": {"Kommun": 20000}},
            "Cannot draw 20000 from stratum “Kommun”",
        ),
        ({"exclude_samples": ["Finns inte"]}, "no sample named “Finns inte”"),
        ({"seed": -1}, "seed"),
        ({"size": 0}, "must be positive"),
    ],
)
def test_it_explains_what_is_wrong_and_draws_nothing(register, kwargs, message):
    arguments = {"register": register, "name": "Urval", "size": 20, "seed": 1} | kwargs
    with translation.override("en"), pytest.raises(DrawError, match=message):
        sample_draw(**arguments)
    assert not SampleDraw.objects.exists()


def test_the_command_draws_a_stratified_sample_and_shows_the_strata(register, capsys):
    call_command(
        "draw_sample",
        register="Socionomer 2026",
        size=30,
        seed=42,
        name="Urval sept",
        strata="sektor",
        allocation="equal",
    )
    out = capsys.readouterr().out
    assert "30 of 900" in out
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines()[1:] if line.strip()}
    assert lines["Kommun"][1] == "10"
    assert lines["Total"] == ["900", "30"]
    assert SampleDraw.objects.get(name="Urval sept").strata == ["sektor"]


def test_the_command_takes_fixed_numbers_and_exclusions(register, capsys):
    call_command("draw_sample", register="Socionomer 2026", size=100, seed=1, name="Vår")
    call_command(
        "draw_sample",
        "--register=Socionomer 2026",
        "--size=12",
        "--seed=2",
        "--name=Höst",
        "--strata=region,sektor",
        "--allocation=fixed",
        "--fixed=Norr / Kommun=10,(saknas) / Stat=2",
        "--exclude-sampled-months=3",
        "--exclude-sample=Vår",
    )
    draw = SampleDraw.objects.get(name="Höst")
    assert Counter(draw.members.values_list("stratum", flat=True)) == {
        "Norr / Kommun": 10,
        "(saknas) / Stat": 2,
    }
    assert draw.frame_size == 800
    assert "Left out of the frame: 100 members." in capsys.readouterr().out


def test_the_command_turns_a_draw_error_into_a_command_error(register):
    with pytest.raises(CommandError, match="lön"):
        call_command(
            "draw_sample", register="Socionomer 2026", size=5, seed=1, name="U", strata="lön"
        )
