"""Rules the database holds, not only the forms: a poll opens before it closes, suppresses groups
of fewer than at least one respondent, and a sample's allocation is one the draw knows."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from respondents import sampling
from respondents.models import Register, SampleDraw
from tests.factories import PollFactory, SampleDrawFactory

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


def test_a_register_keeps_no_population_snapshot():
    # Written at every import and read by nothing: the weighting targets are counted from the
    # members (respondents.importing.register_population_counts, cached per register state).
    assert "population" not in {f.name for f in Register._meta.get_fields()}
