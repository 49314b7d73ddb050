"""A poll's results in Django's cache, behind one generation token per poll.

Every key of a poll carries its current generation; `poll_changed(poll_id)` replaces the token,
so everything cached for the poll is unreachable at once (and expires on its own). What bumps it
(`results/apps.py`): a response saved or deleted, the poll, its questions, options, statements or
result settings saved or deleted, and responses imported in bulk; always after the commit, so
that a recomputation never caches a state without the change under the new generation.

Two layers per generation: the poll's answers counted per profile (`PollData`, the database's
part, shared by every breakdown and weighting) and the estimates per parameters (`PollResults`).
Register counts are cached per register state in `results.estimation.population_counts`.

A new response (`response_added_on_commit`) need not start from nothing: on PostgreSQL, once it
is committed, its answers are counted into the cached counts of the current generation and
these are stored under the next one (`response_added`), so the dashboard's next refresh costs
the estimates, not a recount of every answer. That is done only when the counts provably lack
the response: they carry the snapshot they were read in, and the response's transaction must
not be visible in it (nor the response among those counted in since). Whoever replaces the
generation holds the poll's lock (`_locked`), so that two count-ins, or a count-in and a plain
bump, cannot overwrite each other. In every other case (SQLite, nothing cached, the lock busy,
a response saved by the ORM outside a transaction, edited or deleted) the generation is simply
replaced and the counts are read again. A member's submit on PostgreSQL is one statement of its
own that reports its transaction's id (`response_written_on_commit`), so it is counted in too.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Final

from django.core.cache import cache
from django.db import connection, transaction

from polls.models import Poll, Question

from .estimation import (
    PollData,
    PollResults,
    ResultParams,
    compute_poll_results,
    load_poll_data,
    merge_poll_data,
    poll_questions,
    resolve_params,
    snapshots,
)
from .representativeness import Representativeness, representativeness_for

__all__ = [
    "cached_poll_data",
    "cached_poll_results",
    "cached_representativeness",
    "generation",
    "poll_changed",
    "poll_changed_on_commit",
    "poll_key",
    "response_added",
    "response_added_on_commit",
    "response_written_on_commit",
]

RESULTS_SECONDS: Final = 24 * 3600
REPRESENTATIVENESS_SECONDS: Final = 600
LOCK_SECONDS: Final = 10  # a lock left by a dead process expires after this
LOCK_WAIT: Final = 5.0  # a bump waits this long for the lock, then bumps anyway
MAX_COUNTED_IN: Final = 100  # more new responses in one transaction: counted again instead


def _generation_key(poll_id: int) -> str:
    return f"results:poll:{poll_id}:generation"


def generation(poll_id: int) -> str:
    """The poll's current generation token (made on first use)."""
    key = _generation_key(poll_id)
    token = cache.get(key)
    if token is None:
        token = uuid.uuid4().hex
        if not cache.add(key, token, None):  # another process made one first
            token = cache.get(key) or token
    return str(token)


def _lock_key(poll_id: int) -> str:
    return f"results:poll:{poll_id}:lock"


@contextmanager
def _locked(poll_id: int, wait: float) -> Iterator[bool]:
    """The poll's lock (for replacing its generation), waiting up to `wait` seconds; yields
    whether it was had."""
    key, token = _lock_key(poll_id), uuid.uuid4().hex
    deadline = time.monotonic() + wait
    held = cache.add(key, token, LOCK_SECONDS)
    while not held and time.monotonic() < deadline:
        time.sleep(0.005)
        held = cache.add(key, token, LOCK_SECONDS)
    try:
        yield held
    finally:
        if held and cache.get(key) == token:
            cache.delete(key)


def poll_changed(poll_id: int) -> None:
    """Forget everything cached for the poll: a new generation, made by the next reader. Until
    one reads, the poll has no generation, and a new response costs its member one `get`
    (`response_added_on_commit`)."""
    with _locked(poll_id, LOCK_WAIT):
        cache.delete(_generation_key(poll_id))


def poll_changed_on_commit(poll_id: int) -> None:
    """`poll_changed` once the current transaction commits (at once outside one), queued once
    per poll and transaction: deleting 10,000 responses bumps the generation once."""
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        for _savepoints, queued, *_rest in connection.run_on_commit:
            if getattr(queued, "results_poll_id", None) == poll_id:
                return

    def bump() -> None:
        poll_changed(poll_id)

    bump.results_poll_id = poll_id  # type: ignore[attr-defined]
    transaction.on_commit(bump)


def response_added_on_commit(poll_id: int, response_id: object) -> None:
    """A response was created: once the transaction commits, count it into the cached counts
    (`response_added`), or bump the generation when that cannot be done safely. Queued once per
    poll and transaction, with all the transaction's new responses."""
    connection_ = transaction.get_connection()
    if not connection_.in_atomic_block or not snapshots():
        # autocommit: its answers are written in later transactions
        poll_changed_on_commit(poll_id)
        return
    for _savepoints, queued, *_rest in connection_.run_on_commit:
        if getattr(queued, "results_poll_id", None) == poll_id:
            return  # a plain bump is coming anyway
        added = getattr(queued, "results_new_responses", None)
        if added is not None and added[0] == poll_id:
            added[1].append(str(response_id))
            return
    with connection_.cursor() as cursor:
        cursor.execute("SELECT CAST(PG_CURRENT_XACT_ID() AS TEXT)")
        xid = cursor.fetchone()[0]
    responses: list[str] = [str(response_id)]

    def count_in() -> None:
        _count_in(poll_id, responses, xid)

    count_in.results_new_responses = (poll_id, responses)  # type: ignore[attr-defined]
    transaction.on_commit(count_in)


def response_written_on_commit(poll_id: int, response_id: object, xid: str) -> None:
    """A response written by one statement of its own (the member's submit on PostgreSQL) by the
    transaction `xid`: counted in as `response_added_on_commit` does, at once when that statement
    was its own transaction (autocommit), else when the transaction commits."""
    if not snapshots():
        poll_changed_on_commit(poll_id)
        return
    responses = [str(response_id)]
    transaction.on_commit(lambda: _count_in(poll_id, responses, xid))


def _count_in(poll_id: int, responses: list[str], xid: str) -> None:
    if cache.get(_generation_key(poll_id)) is None:
        # Nothing is cached for the poll (nobody has read its results since the last change,
        # or Redis is down): nothing to count into or to forget. A reader makes the generation
        # before it reads the counts, so any counts cached from here on were read after this
        # commit and hold the response.
        return
    if len(responses) > MAX_COUNTED_IN or not response_added(poll_id, responses, xid):
        poll_changed(poll_id)


def response_added(poll_id: int, response_ids: Sequence[str], xid: str) -> bool:
    """Count committed new responses (written by the transaction `xid`) into the poll's cached
    counts, under a new generation. False, with nothing changed, when that is not provably
    right: the caller then bumps the generation."""
    with _locked(poll_id, 1.0) as held:
        if not held:
            return False
        poll = Poll.objects.select_related("register").filter(pk=poll_id).first()
        if poll is None:
            return False
        old = cache.get(_generation_key(poll_id))
        if old is None:
            return False
        cached = {}
        for profiles in (True, False):
            data = cache.get(poll_key(poll, "data", profiles, token=str(old)))
            if data is None:
                continue
            if data.snapshot is None or data.added.intersection(response_ids):
                return False
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT PG_VISIBLE_IN_SNAPSHOT(CAST(%s AS XID8), CAST(%s AS PG_SNAPSHOT))",
                    [xid, data.snapshot],
                )
                if cursor.fetchone()[0]:
                    return False  # the counts may hold the responses already
            cached[profiles] = data
        if not cached:
            return False  # nothing to save: counting everything later is the same
        questions = poll_questions(poll)
        merged = {
            profiles: merge_poll_data(
                data,
                load_poll_data(poll, questions, profiles=profiles, response_ids=response_ids),
                response_ids,
            )
            for profiles, data in cached.items()
        }
        total = poll.responses.count()
        if any(data.n != total for data in merged.values()):
            # responses written or removed behind the signals' back (bulk_create), or others
            # committed whose count-in is still to come: count everything again
            return False
        new = uuid.uuid4().hex
        for profiles, data in merged.items():
            cache.set(poll_key(poll, "data", profiles, token=new), data, RESULTS_SECONDS)
        if cache.get(_generation_key(poll_id)) != old:
            return False  # replaced meanwhile without the lock (it had expired)
        cache.set(_generation_key(poll_id), new, None)
        return True


def poll_key(poll: Poll, *parts: object, token: str | None = None) -> str:
    """A cache key of the poll's current generation (or `token`'s) and its register's state."""
    stamp = "-"
    if poll.register_id is not None and poll.register is not None:
        stamp = str(poll.register.updated_at.timestamp())
    digest = hashlib.sha256(repr((stamp, *parts)).encode()).hexdigest()[:32]
    return f"results:poll:{poll.pk}:{token or generation(poll.pk)}:{digest}"


def cached_poll_data(poll: Poll, questions: list[Question], *, profiles: bool) -> PollData:
    """The poll's answers per profile; with profiles over its reporting variables when asked,
    else whichever is cached (the profiled data serves every estimate)."""
    profiled = poll_key(poll, "data", True)
    if not profiles:
        data = cache.get(profiled)
        if data is not None:
            return data
    key = poll_key(poll, "data", profiles)
    data = cache.get(key)
    if data is None:
        data = load_poll_data(poll, questions, profiles=profiles)
        cache.set(key, data, RESULTS_SECONDS)
    return data


def cached_poll_results(
    *,
    poll: Poll,
    by: str | None = None,
    weights: str | None = None,
    weight_by: Sequence[str] | None = None,
    ci: str | None = None,
    level: float | None = None,
    ci_df: str | None = None,
    params: ResultParams | None = None,
) -> PollResults:
    """`results.estimation.poll_results`, cached per poll generation and parameters."""
    if params is None:
        params = resolve_params(
            poll, by=by, weights=weights, weight_by=weight_by, ci=ci, level=level, ci_df=ci_df
        )
    key = poll_key(poll, "results", params)
    results = cache.get(key)
    if results is None:
        questions = poll_questions(poll)
        data = cached_poll_data(poll, questions, profiles=bool(params.variables))
        results = compute_poll_results(poll=poll, params=params, questions=questions, data=data)
        cache.set(key, results, RESULTS_SECONDS)
    return results


def cached_representativeness(*, poll: Poll, params: ResultParams) -> Representativeness:
    """`representativeness_for`, cached per poll generation and weighting. Invitations do not
    bump the generation (the sample is fixed once the field work starts): the entry expires
    after REPRESENTATIVENESS_SECONDS."""
    weighting = (params.weights, params.weight_by)
    key = poll_key(poll, "representativeness", weighting)
    found = cache.get(key)
    if found is None:
        data = cache.get(poll_key(poll, "data", True))
        found = representativeness_for(poll=poll, params=params, data=data)
        cache.set(key, found, REPRESENTATIVENESS_SECONDS)
    return found
