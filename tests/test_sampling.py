"""An admin draws a random sample; the same seed must give the same members, always."""

import pytest
from django.core.management import call_command
from hypothesis import given
from hypothesis import strategies as st

from respondents import sampling
from respondents.draws import DrawError, sample_draw
from respondents.models import Member, SampleDraw
from tests.factories import MemberFactory, RegisterFactory


def sampled_numbers(draw: SampleDraw) -> set[str]:
    return set(draw.members.values_list("member__number", flat=True))


@pytest.fixture
def register(db):
    register = RegisterFactory(name="Socionomer 2026")
    Member.objects.bulk_create(
        Member(register=register, number=str(n), email=f"m{n}@example.org") for n in range(1, 2001)
    )
    return register


def test_same_seed_draws_the_same_members(register):
    first = sample_draw(register=register, name="A", size=100, seed=42)
    second = sample_draw(register=register, name="B", size=100, seed=42)
    assert len(sampled_numbers(first)) == 100
    assert sampled_numbers(first) == sampled_numbers(second)


def test_another_seed_draws_other_members(register):
    first = sample_draw(register=register, name="A", size=100, seed=42)
    other = sample_draw(register=register, name="B", size=100, seed=43)
    assert sampled_numbers(first) != sampled_numbers(other)


def test_the_draw_does_not_depend_on_the_order_members_were_imported(db):
    numbers = [str(n) for n in range(1, 501)]
    forwards, backwards = RegisterFactory(), RegisterFactory()
    for reg, order in ((forwards, numbers), (backwards, list(reversed(numbers)))):
        for n in order:
            MemberFactory(register=reg, number=n)
    a = sample_draw(register=forwards, name="A", size=50, seed=7)
    b = sample_draw(register=backwards, name="B", size=50, seed=7)
    assert sampled_numbers(a) == sampled_numbers(b)


def test_opted_out_bounced_departed_and_unreachable_members_are_never_drawn(db):
    register = RegisterFactory()
    for status in (Member.Status.OPTED_OUT, Member.Status.BOUNCED, Member.Status.LEFT):
        MemberFactory(register=register, status=status)
    MemberFactory(register=register, email="")
    reachable = MemberFactory(register=register)
    draw = sample_draw(register=register, name="A", size=1, seed=1)
    assert sampled_numbers(draw) == {reachable.number}
    assert draw.frame_size == 1


def test_it_records_design_seed_and_inclusion_probability(register):
    draw = sample_draw(register=register, name="Urval sept", size=200, seed=42)
    assert (draw.design, draw.seed, draw.frame_size, draw.target_size) == ("simple", 42, 2000, 200)
    assert set(draw.members.values_list("inclusion_probability", flat=True)) == {0.1}


def test_it_refuses_a_sample_larger_than_the_frame(register):
    with pytest.raises(DrawError):
        sample_draw(register=register, name="Too big", size=2001, seed=1)
    assert not SampleDraw.objects.exists()


def test_simple_random_sample_is_uniform_over_many_seeds():
    counts = [0] * 20
    for seed in range(2000):
        for pos in sampling.simple_random_sample(20, 5, seed).positions:
            counts[pos] += 1
    # Each position is expected 2000 * 5/20 = 500 times; a chi-square with 19 df stays < 43.8
    # (p = 0.001) for a uniform draw.
    chi2 = sum((c - 500) ** 2 / 500 for c in counts)
    assert chi2 < 43.8


def test_frame_order_sorts_numbers_numerically():
    numbers = ["10", "9", "A1", "100"]
    assert [numbers[i] for i in sampling.frame_order(numbers)] == ["9", "10", "100", "A1"]


def test_frame_order_puts_equal_values_in_text_order_and_long_numbers_by_value():
    numbers = ["007", "7", "07", "0", "00", "1" * 25, "9" * 19, "B", "", "A"]
    ordered = [numbers[i] for i in sampling.frame_order(numbers)]
    assert ordered == ["0", "00", "007", "07", "7", "9" * 19, "1" * 25, "", "A", "B"]


@given(
    st.lists(
        st.one_of(
            st.integers(min_value=0, max_value=10**22).map(str),
            st.from_regex(r"0{0,3}[0-9]{1,4}", fullmatch=True),
            st.text(alphabet="0123456789AB-x ", max_size=6),
            st.text(max_size=4).filter(lambda s: not s.isdigit()),  # non-ASCII, NULs
        ),
        max_size=60,
    )
)
def test_frame_order_is_the_same_as_its_plain_python_definition(numbers):
    assert sampling.frame_order(numbers) == sampling._frame_order_python(numbers)


def test_frame_order_of_a_big_register_matches_its_plain_python_definition():
    numbers = [str(n) for n in sampling.random_keys(50_000, 9) % 10**7]  # with repeats
    numbers[::1000] = [f"X{n}" for n in range(50)]
    assert sampling.frame_order(numbers) == sampling._frame_order_python(numbers)


def test_draw_sample_command(register, capsys):
    call_command("draw_sample", register="Socionomer 2026", size=10, seed=42, name="Urval sept")
    assert "10 of 2000" in capsys.readouterr().out
    assert SampleDraw.objects.get(name="Urval sept").members.count() == 10


def test_draw_sample_command_keeps_members_without_an_email_when_asked(register, capsys):
    Member.objects.filter(number__in=[str(n) for n in range(1, 501)]).update(email="")
    call_command("draw_sample", register="Socionomer 2026", size=10, seed=42, name="Med e-post")
    call_command(
        "draw_sample",
        register="Socionomer 2026",
        size=10,
        seed=42,
        name="Alla",
        keep_no_email=True,
    )
    out = capsys.readouterr().out
    assert "10 of 1500" in out and "10 of 2000" in out
    with_email = SampleDraw.objects.get(name="Med e-post")
    assert not with_email.members.filter(member__email="").exists()
