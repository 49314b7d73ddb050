"""Counting a new response into the cached counts (results.caching.response_added) gives what
counting every answer again gives; whenever that is not certain the generation is replaced."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection, transaction

from polls.answering.responses import response_submit
from polls.models import Answer, Question, Response
from results import caching
from results.estimation import load_poll_data, poll_questions, poll_results
from tests.factories import MemberFactory, every_kind_poll, invitation_with_token

pytestmark = pytest.mark.django_db(transaction=True)

SECTORS = ("Kommun", "Region", "Privat")


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def poll():
    return every_kind_poll(reporting_variables=["sektor"])


def write(poll, i: int, attributes: dict | None = None) -> Response:
    """Response number `i`, with an answer to every question (varying with i)."""
    response = Response.objects.create(
        poll=poll,
        submitted_on="2026-09-01",
        attributes={"sektor": SECTORS[i % 3]} if attributes is None else attributes,
    )
    rows = []
    for q in poll.questions.prefetch_related("options", "rows"):
        options = list(q.options.order_by("order"))
        kind = Question.Kind
        if q.kind == kind.SINGLE:
            rows.append(Answer(option=options[i % len(options)]))
        elif q.kind == kind.MULTIPLE:
            picked = {options[i % len(options)], options[(i * 2 + 1) % len(options)]}
            if any(o.exclusive for o in picked):
                picked = {next(o for o in picked if o.exclusive)}
            rows += [Answer(option=o) for o in picked]
        elif q.kind == kind.SCALE:
            rows.append(Answer(value=Decimal(q.scale_min + i % (q.scale_max - q.scale_min + 1))))
        elif q.kind == kind.NUMBER:
            rows.append(Answer(value=Decimal(i * 3 % 17)))
        elif q.kind == kind.RANKING:
            rows += [Answer(option=options[(i + k) % len(options)], rank=k + 1) for k in range(2)]
        elif q.kind == kind.GRID:
            rows += [
                Answer(row=r, option=options[(i + k) % len(options)])
                for k, r in enumerate(q.rows.order_by("order"))
            ]
        elif q.kind == kind.TEXT and i % 2:
            rows.append(Answer(text=f"Svar {i}"))
        for row in rows:
            if row.question_id is None:
                row.question = q
    Answer.objects.bulk_create(
        Answer(response=response, **_fields(row)) for row in rows if row.question_id
    )
    return response


def _fields(row: Answer) -> dict:
    return {
        name: getattr(row, name)
        for name in ("question_id", "option_id", "row_id", "value", "text", "rank")
    }


def submit(poll, i: int, attributes: dict | None = None) -> Response:
    with transaction.atomic():
        return write(poll, i, attributes)


def canonical(data) -> tuple:
    """PollData as plain sums per profile's values and answer: free of profile or atom order."""

    def atoms(per_question) -> dict:
        found: dict = {}
        for q, a in per_question.items():
            for i in range(a.count.size):
                value = None if math.isnan(a.value[i]) else float(a.value[i])
                key = (q, data.profiles[a.profile[i]], a.option[i], a.row[i], a.rank[i], value)
                found[key] = found.get(key, 0.0) + float(a.count[i])
        return {k: v for k, v in found.items() if v}

    def per_profile(arrays) -> dict:
        found: dict = {}
        for q, values in arrays.items():
            for p, v in zip(data.profiles, values, strict=True):
                if v:
                    found[(q, p)] = found.get((q, p), 0.0) + float(v)
        return found

    sizes: dict = {}
    for p, v in zip(data.profiles, data.sizes, strict=True):
        if v:
            sizes[p] = sizes.get(p, 0.0) + float(v)
    return (
        data.variables,
        sizes,
        atoms(data.atoms),
        per_profile(data.answered),
        per_profile(data.dont_know),
        atoms(data.overlap),
        {q: n for q, n in data.text_n.items() if n},
    )


def cached(poll, profiles: bool = True):
    return cache.get(caching.poll_key(poll, "data", profiles))


def assert_as_recounted(poll) -> None:
    questions = poll_questions(poll)
    for profiles in (True, False):
        data = cached(poll, profiles)
        if data is not None:
            fresh = load_poll_data(poll, questions, profiles=profiles)
            assert canonical(data) == canonical(fresh)
    for by in (None, "sektor"):
        served = caching.cached_poll_results(poll=poll, by=by)
        recounted = poll_results(poll=poll, by=by)
        assert served.n_responses == recounted.n_responses
        for a, b in zip(served.questions, recounted.questions, strict=True):
            assert a.n == b.n
            tables = [(a.total, b.total)] + [
                (x.total, y.total) for x, y in zip(a.rows, b.rows, strict=True)
            ]
            for x, y in tables:
                if x is None:
                    assert y is None
                    continue
                for ox, oy in zip(x.options, y.options, strict=True):
                    if ox.estimate is not None:
                        assert ox.estimate.share == pytest.approx(oy.estimate.share, abs=1e-12)


def warm(poll) -> None:
    """The dashboard's state: counts and results cached for the current generation."""
    caching.cached_poll_results(poll=poll, by="sektor")
    caching.cached_poll_results(poll=poll)


def test_new_responses_equal_a_recount_on_any_database(poll):
    for i in range(6):
        submit(poll, i)
    warm(poll)
    for i in range(6, 9):
        submit(poll, i)
        assert_as_recounted(poll)


@pytest.mark.usefixtures("needs_postgres")  # the count-in rests on PostgreSQL's snapshots
def test_responses_are_counted_in_not_recounted(poll):
    for i in range(6):
        submit(poll, i)
    warm(poll)
    added = []
    for i in range(6, 10):
        before = caching.generation(poll.pk)
        added.append(str(submit(poll, i).pk))
        assert caching.generation(poll.pk) != before
        data = cached(poll)
        assert data is not None, "the counts were carried over to the new generation"
        assert data.added == frozenset(added)
        assert_as_recounted(poll)
    # two in one transaction, one of a profile nobody had yet
    with transaction.atomic():
        two = [write(poll, 10), write(poll, 11, {"sektor": "Ideell"})]
    assert cached(poll).added == frozenset(added + [str(r.pk) for r in two])
    assert ("Ideell",) in cached(poll).profiles
    assert_as_recounted(poll)


@pytest.mark.usefixtures("needs_postgres")  # the count-in rests on PostgreSQL's snapshots
def test_a_deleted_or_edited_response_means_a_recount(poll):
    responses = [submit(poll, i) for i in range(8)]
    warm(poll)
    submit(poll, 8)
    assert cached(poll) is not None
    responses[3].delete()
    assert cached(poll) is None
    assert_as_recounted(poll)
    submit(poll, 9)
    assert cached(poll).added  # counted in again on the recounted counts
    responses[4].attributes = {"sektor": "Stat"}
    responses[4].save()
    assert cached(poll) is None
    assert_as_recounted(poll)


@pytest.mark.usefixtures("needs_postgres")  # the count-in rests on PostgreSQL's snapshots
def test_counts_read_after_the_commit_but_before_the_count_in_are_not_counted_twice(poll):
    for i in range(5):
        submit(poll, i)
    warm(poll)
    with transaction.atomic():
        write(poll, 5)
        # hold the count-in back, as a slow process would
        (_savepoints, count_in, *_rest) = connection.run_on_commit.pop()
    # meanwhile a refresh bumps and reads the counts, the new response included
    caching.poll_changed(poll.pk)
    warm(poll)
    assert cached(poll).n == 6
    count_in()
    assert cached(poll) is None or cached(poll).n == 6
    assert_as_recounted(poll)
    assert caching.cached_poll_results(poll=poll).n_responses == 6


@pytest.mark.usefixtures("needs_postgres")  # the count-in rests on PostgreSQL's snapshots
def test_interleaved_transactions_each_count_once(poll):
    for i in range(4):
        submit(poll, i)
    warm(poll)
    held = []
    for i in range(4, 7):  # committed in turn, counted in later and in another order
        with transaction.atomic():
            write(poll, i)
            held.append(connection.run_on_commit.pop()[1])
    submit(poll, 7)  # counted in at once: the others are still pending
    for count_in in reversed(held):
        count_in()
    assert_as_recounted(poll)
    assert caching.cached_poll_results(poll=poll).n_responses == 8


@pytest.mark.usefixtures("needs_postgres")  # the count-in rests on PostgreSQL's snapshots
def test_a_busy_lock_means_a_recount(poll):
    for i in range(4):
        submit(poll, i)
    warm(poll)
    cache.set(caching._lock_key(poll.pk), "someone else", 3)
    submit(poll, 4)
    assert cached(poll) is None
    assert_as_recounted(poll)


@pytest.mark.usefixtures("needs_postgres")  # the submit is one statement on PostgreSQL
def test_a_members_submit_is_counted_in_not_recounted(poll):
    """The member's submit writes in one statement without the ORM's save(): the dashboard's
    counts still carry it over instead of starting again from every answer."""
    invitation, _token = invitation_with_token(poll, attributes={"sektor": "Region"})
    for i in range(60):
        MemberFactory(register=poll.register, attributes={"sektor": SECTORS[i % 3]})
    for i in range(6):
        submit(poll, i)
    warm(poll)
    single = poll.questions.filter(kind=Question.Kind.SINGLE).first()
    before = caching.generation(poll.pk)

    response = response_submit(
        invitation=invitation, choices={single.pk: single.options.order_by("order")[0].pk}
    )

    assert caching.generation(poll.pk) != before
    data = cached(poll)
    assert data is not None, "the counts were carried over to the new generation"
    assert data.added == frozenset([str(response.pk)])
    assert_as_recounted(poll)
