"""Register, sample and respondents per value of each reporting variable, before and after
weighting."""

from __future__ import annotations

import pytest

from polls.models import Invitation
from respondents.models import Member, SampleMember
from results.representativeness import poll_representativeness
from tests.factories import SampleDrawFactory
from tests.test_weighted_results import REGISTER_CELLS, SAMPLE_CELLS, seeded_poll

SECTORS = {"Kommun": 700, "Region": 250, "Stat": 50}  # REGISTER_CELLS by sector
ANSWERED = {"Kommun": 90, "Region": 60, "Stat": 20}  # SAMPLE_CELLS by sector
INVITED = {"Kommun": 180, "Region": 100, "Stat": 40}


def invite(poll) -> None:
    """A sample of INVITED members per sector, each invited to the poll."""
    draw = SampleDrawFactory(register=poll.register, target_size=sum(INVITED.values()))
    chosen = []
    for sector, count in INVITED.items():
        members = Member.objects.filter(register=poll.register, attributes__sektor=sector)
        chosen += list(members.order_by("pk")[:count])
    sampled = SampleMember.objects.bulk_create(
        SampleMember(draw=draw, member=m, inclusion_probability=0.3) for m in chosen
    )
    Invitation.objects.bulk_create(
        Invitation(poll=poll, sample_member=s, status=Invitation.Status.SENT) for s in sampled
    )


@pytest.fixture
def poll(db):
    seeded = seeded_poll()
    invite(seeded.poll)
    return seeded.poll


def levels(result, variable: str) -> dict:
    return {
        level.value: level for v in result.variables if v.variable == variable for level in v.levels
    }


def test_it_counts_register_sample_and_respondents_per_value(poll):
    result = poll_representativeness(poll=poll)
    assert (result.register, result.sample, result.respondents) == (1000, 320, 170)
    assert [v.variable for v in result.variables] == ["sektor", "region"]
    sectors = levels(result, "sektor")
    assert list(sectors) == ["Kommun", "Region", "Stat"]
    for sector, level in sectors.items():
        assert level.register == SECTORS[sector]
        assert level.register_share == pytest.approx(SECTORS[sector] / 1000)
        assert level.sample == INVITED[sector]
        assert level.sample_share == pytest.approx(INVITED[sector] / 320)
        assert level.respondents == ANSWERED[sector]
        assert level.respondent_share == pytest.approx(ANSWERED[sector] / 170)
        # unweighted, "after weighting" is the same
        assert level.weighted_share == pytest.approx(level.respondent_share)
        assert level.response_rate == pytest.approx(ANSWERED[sector] / INVITED[sector])
    regions = levels(result, "region")
    nord = sum(n for (s, r), n in SAMPLE_CELLS.items() if r == "Nord")
    assert regions["Nord"].respondents == nord
    assert regions["Nord"].register == sum(n for (s, r), n in REGISTER_CELLS.items() if r == "Nord")


def test_weighting_brings_the_respondents_to_the_register(poll):
    raked = poll_representativeness(poll=poll, weights="rake", weight_by=["sektor", "region"])
    assert raked.weights == "rake" and raked.weight_by == ("sektor", "region")
    for variable in ("sektor", "region"):
        for level in levels(raked, variable).values():
            assert level.weighted_share == pytest.approx(level.register_share)
            assert level.respondent_share != pytest.approx(level.register_share, abs=1e-3)
    by_sector = poll_representativeness(poll=poll, weights="poststrat", weight_by=["sektor"])
    for level in levels(by_sector, "sektor").values():
        assert level.weighted_share == pytest.approx(level.register_share)


def test_the_poll_settings_weigh_when_nothing_is_asked(poll):
    from results.models import ResultSettings

    ResultSettings.objects.create(poll=poll, weighting="poststrat", weight_by=["sektor"])
    result = poll_representativeness(poll=poll)
    assert result.weights == "poststrat"
    for level in levels(result, "sektor").values():
        assert level.weighted_share == pytest.approx(level.register_share)


def test_an_open_link_poll_has_respondents_only(db):
    seeded = seeded_poll(register_cells=None)
    result = poll_representativeness(poll=seeded.poll)
    assert (result.register, result.sample, result.respondents) == (None, None, 170)
    stat = levels(result, "sektor")["Stat"]
    assert (stat.register, stat.sample, stat.response_rate) == (None, None, None)
    assert stat.respondents == 20 and stat.respondent_share == pytest.approx(20 / 170)
