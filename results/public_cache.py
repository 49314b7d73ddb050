"""The public side of result pages from the cache: no database query on a cache hit.

- `published(slug)`: the page's id and newest version number, or None when the page is not
  public. Kept for `POINTER_SECONDS` at most, and forgotten (after the commit) whenever a page
  or a version is saved or deleted (`results.apps` connects `forget_page` and
  `forget_version`).
- `snapshot(page_id, number)`: a version's frozen snapshot (a version never changes).
- `rendered(key, make)`: whatever a view makes of a version (HTML, JSON, a PNG), kept for good:
  its key names the version (and the newest one, where the page links to it).

The cache is Redis in production (shared by every process); any cache backend works.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import transaction

from .models import ResultPage, ResultPageVersion

POINTER_SECONDS = 300
POINTER_LOCAL_SECONDS = 2.0
LOCAL_RENDERED = 128  # rendered versions kept in each process's memory too
_local: OrderedDict[str, Any] = OrderedDict()
_lock = threading.Lock()
PREFIX = "result-page-public"
T = TypeVar("T")


def _pointer_key(slug: str) -> str:
    return f"{PREFIX}:slug:{slug}"


def _local_get(key: str) -> Any:
    with _lock:
        found = _local.get(key)
        if found is not None:
            _local.move_to_end(key)
        return found


def _local_set(key: str, value: Any) -> None:
    with _lock:
        _local[key] = value
        while len(_local) > LOCAL_RENDERED:
            _local.popitem(last=False)


def published(slug: str) -> tuple[int, int] | None:
    """(page id, newest version number) of the published page at `slug`, else None. Each
    process trusts what it read for `POINTER_LOCAL_SECONDS`: a page published or unpublished
    in another process shows there that much later at most (at once in this one)."""
    key = _pointer_key(slug)
    local = _local_get(key)
    if local is not None and local[0] > time.monotonic():
        found = local[1]
        return (found[0], found[1]) if found else None
    found = cache.get(key)
    if found is None:
        page = ResultPage.objects.filter(slug=slug, state=ResultPage.State.PUBLISHED).first()
        latest = None
        if page is not None:
            latest = (
                ResultPageVersion.objects.filter(page=page)
                .order_by("-number")
                .values_list("number", flat=True)
                .first()
            )
        found = (page.pk, latest) if page is not None and latest is not None else ()
        cache.set(key, found, POINTER_SECONDS)
    _local_set(key, (time.monotonic() + POINTER_LOCAL_SECONDS, found))
    return (found[0], found[1]) if found else None


def snapshot(page_id: int, number: int) -> dict[str, Any] | None:
    """The frozen snapshot of version `number` of the page, or None when there is none. Kept in
    each process too and shared by its requests: read it, never change it."""
    key = f"{PREFIX}:{page_id}:v{number}:snapshot"
    found = _local_get(key)
    if found is not None:
        return found
    found = cache.get(key)
    if found is None:
        found = (
            ResultPageVersion.objects.filter(page_id=page_id, number=number)
            .values_list("snapshot", flat=True)
            .first()
        )
        if found is None:
            return None
        cache.set(key, found, None)
    _local_set(key, found)
    return found


def rendered(key: str, make: Callable[[], T]) -> T:
    """`make()`, made once and kept under `key` (which must name everything it depends on)."""
    full = f"{PREFIX}:{key}"
    with _lock:
        found = _local.get(full)
        if found is not None:
            _local.move_to_end(full)
            return found
    # Then the shared cache, then made: a version's page of charts is some 100 kB, which a
    # process keeps rather than fetch from Redis on every visit (bench/public_page.py).
    found = cache.get(full)
    if found is None:
        found = make()
        cache.set(full, found, None)
    with _lock:
        _local[full] = found
        while len(_local) > LOCAL_RENDERED:
            _local.popitem(last=False)
    return found


def forget(slug: str) -> None:
    """The page at `slug` changed: the next visit reads its state and versions again. Now,
    and again after the commit (a visit in between may have read the old state)."""
    key = _pointer_key(slug)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))
    with _lock:
        # What a process holds is named by version and never goes stale; emptied anyway, so
        # that a database whose ids start again (a test's) never meets another's pages.
        _local.clear()


def forget_page(sender: Any, instance: ResultPage, **kwargs: Any) -> None:
    """A page saved or deleted (its old slug too, when the address changed)."""
    forget(instance.slug)
    previous = getattr(instance, "_public_slug_before", None)
    if previous and previous != instance.slug:
        forget(previous)


def remember_slug(sender: Any, instance: ResultPage, **kwargs: Any) -> None:
    """Before a save: the address it had, so that a new one forgets the old."""
    if instance.pk is not None:
        instance._public_slug_before = (  # type: ignore[attr-defined]
            ResultPage.objects.filter(pk=instance.pk).values_list("slug", flat=True).first()
        )


def forget_version(sender: Any, instance: ResultPageVersion, **kwargs: Any) -> None:
    slug = ResultPage.objects.filter(pk=instance.page_id).values_list("slug", flat=True).first()
    if slug:
        forget(slug)
