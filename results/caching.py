"""A poll's results in Django's cache, behind one generation token per poll.

Every key of a poll carries its current generation; `poll_changed(poll_id)` replaces the token,
so everything cached for the poll is unreachable at once (and expires on its own). What bumps it
(`results/apps.py`): a response saved or deleted, the poll, its questions, options, statements or
result settings saved or deleted, and responses imported in bulk; always after the commit, so
that a recomputation never caches a state without the change under the new generation.

Two layers per generation: the poll's answers counted per profile (`PollData`, the database's
part, shared by every breakdown and weighting) and the estimates per parameters (`PollResults`).
Register counts are cached per register state in `results.estimation.population_counts`.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from typing import Final

from django.core.cache import cache
from django.db import transaction

from polls.models import Poll, Question

from .estimation import (
    PollData,
    PollResults,
    ResultParams,
    compute_poll_results,
    load_poll_data,
    poll_questions,
    resolve_params,
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
]

RESULTS_SECONDS: Final = 24 * 3600
REPRESENTATIVENESS_SECONDS: Final = 600


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


def poll_changed(poll_id: int) -> None:
    """Forget everything cached for the poll: a new generation."""
    cache.set(_generation_key(poll_id), uuid.uuid4().hex, None)


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


def poll_key(poll: Poll, *parts: object) -> str:
    """A cache key of the poll's current generation (and its register's state)."""
    stamp = "-"
    if poll.register_id is not None and poll.register is not None:
        stamp = str(poll.register.updated_at.timestamp())
    digest = hashlib.sha256(repr((stamp, *parts)).encode()).hexdigest()[:32]
    return f"results:poll:{poll.pk}:{generation(poll.pk)}:{digest}"


def cached_poll_data(poll: Poll, questions: list[Question], *, profiles: bool) -> PollData:
    """The poll's answers per profile; with profiles over its reporting variables when asked,
    else whichever is cached (the profiled data serves every estimate)."""
    profiled = poll_key(poll, "data", True)
    if not profiles:
        data = cache.get(profiled)
        if data is not None:
            return data  # type: ignore[no-any-return]
    key = poll_key(poll, "data", profiles)
    data = cache.get(key)
    if data is None:
        data = load_poll_data(poll, questions, profiles=profiles)
        cache.set(key, data, RESULTS_SECONDS)
    return data  # type: ignore[no-any-return]


def cached_poll_results(
    *,
    poll: Poll,
    by: str | None = None,
    weights: str | None = None,
    weight_by: Sequence[str] | None = None,
    ci: str | None = None,
    level: float | None = None,
    params: ResultParams | None = None,
) -> PollResults:
    """`results.estimation.poll_results`, cached per poll generation and parameters."""
    if params is None:
        params = resolve_params(
            poll, by=by, weights=weights, weight_by=weight_by, ci=ci, level=level
        )
    key = poll_key(poll, "results", params)
    results = cache.get(key)
    if results is None:
        questions = poll_questions(poll)
        data = cached_poll_data(poll, questions, profiles=bool(params.variables))
        results = compute_poll_results(poll=poll, params=params, questions=questions, data=data)
        cache.set(key, results, RESULTS_SECONDS)
    return results  # type: ignore[no-any-return]


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
    return found  # type: ignore[no-any-return]
