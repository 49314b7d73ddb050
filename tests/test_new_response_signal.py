"""A member's submit tells the dashboard about the new response with as little as it can: one
cache `get` when nobody has read the poll's results since they last changed, the count-in of
results.caching when somebody has (issue 14). Either way the next refresh shows the response."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.cache import cache

from results import caching
from tests.factories import every_kind_poll
from tests.test_results_cache import assert_as_recounted, cached, submit, warm

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("needs_postgres")]


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def poll():
    return every_kind_poll(reporting_variables=["sektor"])


def cache_calls(poll, i: int) -> list[str]:
    """The names of the cache operations that submitting response `i` makes."""
    calls: list[str] = []
    real = caching.cache

    class Spy:
        def __getattr__(self, name):
            calls.append(name)
            return getattr(real, name)

    with mock.patch.object(caching, "cache", Spy()):
        submit(poll, i)
    return calls


def test_with_nothing_cached_a_submit_makes_one_cache_call(poll):
    for i in range(3):
        submit(poll, i)
    caching.poll_changed(poll.pk)  # e.g. the poll was edited: nothing cached from here on
    assert cache_calls(poll, 3) == ["get"]
    assert caching.cached_poll_results(poll=poll).n_responses == 4
    assert_as_recounted(poll)


def test_with_the_dashboard_open_a_submit_is_counted_in(poll):
    for i in range(3):
        submit(poll, i)
    warm(poll)
    before = caching.generation(poll.pk)
    assert "add" in cache_calls(poll, 3)  # the poll's lock: the count-in of results.caching
    assert caching.generation(poll.pk) != before
    assert cached(poll) is not None and cached(poll).n == 4
    assert_as_recounted(poll)


def test_a_change_leaves_no_generation_until_the_next_reader(poll):
    warm(poll)
    before = caching.generation(poll.pk)
    caching.poll_changed(poll.pk)
    assert cache.get(caching._generation_key(poll.pk)) is None
    assert caching.generation(poll.pk) != before
