"""Data derived from a model instance's prefetched relations, kept on the instance."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def kept_on(question: Any, name: str, relation: str, make: Callable[[], T]) -> T:
    """`make()`, kept on the question when its `relation` was prefetched (as in every member's
    questionnaire, `load_questions`): the prefetched rows cannot change under it, and the
    questionnaire's objects are kept per process and poll version, so this is worked out once
    per version instead of once per member and request. What it returns is shared: read it only."""
    kept = question.__dict__.get(name)
    if kept is None:
        kept = make()
        if relation in getattr(question, "_prefetched_objects_cache", ()):
            question.__dict__[name] = kept
    return kept
