"""Rules the database holds, not only the forms: a poll opens before it closes, suppresses groups
of fewer than at least one respondent, and a sample's allocation is one the draw knows."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from respondents import sampling
from respondents.models import Register, SampleDraw
from tests.factories import MemberFactory, PollFactory, SampleDrawFactory, staff_user

pytestmark = pytest.mark.django_db


def refused(make) -> bool:
    try:
        with transaction.atomic():
            make()
    except IntegrityError:
        return True
    return False


def test_the_database_refuses_a_poll_that_closes_before_it_opens():
    now = timezone.now()
    assert refused(lambda: PollFactory(opens_at=now, closes_at=now - timedelta(days=1)))
    assert refused(lambda: PollFactory(opens_at=now, closes_at=now))
    PollFactory(opens_at=now, closes_at=now + timedelta(days=1))
    PollFactory(opens_at=None, closes_at=now)
    PollFactory(opens_at=now, closes_at=None)


def test_the_database_refuses_a_poll_that_suppresses_no_group():
    assert refused(lambda: PollFactory(min_cell_size=0))
    assert PollFactory(min_cell_size=1).min_cell_size == 1


def test_the_admin_form_refuses_a_threshold_of_zero_before_the_database_does():
    poll = PollFactory.build(min_cell_size=0)
    with pytest.raises(ValidationError) as error:
        poll.clean_fields(exclude=["register", "predecessor"])
    assert "min_cell_size" in error.value.message_dict


def test_the_database_refuses_an_unknown_allocation():
    assert refused(lambda: SampleDrawFactory(allocation="random"))
    assert SampleDrawFactory(allocation="").allocation == ""
    assert SampleDrawFactory(allocation="optimal").get_allocation_display().startswith("optimal")


def test_the_model_knows_every_allocation_the_draw_knows():
    assert set(SampleDraw.Allocation.values) == set(sampling.ALLOCATIONS)


def test_the_register_page_shows_the_counts_kept_at_the_import(client):
    # Register.population is written at every import; the register page reads it instead of
    # counting the members again (and counts them when a register has no snapshot yet).
    client.force_login(staff_user("Admin"))
    register = Register.objects.create(
        name="R",
        variables=["region"],
        population={
            "total": 7,
            "variables": {"region": {"Gotland": 7}},
            "pairs": {},
            "counted_at": "2026-11-25T10:00:00+00:00",
        },
    )
    html = client.get(f"/staff/registers/{register.pk}/").content.decode()
    assert "Gotland" in html and ">7<" in html
    assert "Räknat vid senaste importen, 25 november 2026" in html
    MemberFactory(register=register, attributes={"region": "Skåne"})
    Register.objects.filter(pk=register.pk).update(population={})
    html = client.get(f"/staff/registers/{register.pk}/").content.decode()
    assert "Skåne" in html and "Gotland" not in html
