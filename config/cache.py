"""Redis as Django's cache, where a Redis that does not answer is an empty cache, not an error.

The cache holds nothing that is not also in PostgreSQL (results, counts, generations, locks of
the count-in), so when Redis is down or restarting the members must still answer and staff still
see results, only slower: every read is a miss, writes are dropped, and `add` reports success.
That last one is deliberate: `add` is how `results.caching` takes a poll's lock and makes a
generation, and with nothing cached there is nothing for the lock to protect; reporting failure
would make every submit wait the lock's full timeout. `incr` counts from nothing.

A connection is given up after `socket_connect_timeout` (2 s unless OPTIONS says otherwise), so
an unreachable host costs each request seconds, not minutes. Failures are logged at most once a
minute per process.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)
LOG_EVERY_SECONDS = 60.0
INCR_EXISTING = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
return redis.call('INCRBY', KEYS[1], ARGV[1])
"""
INCR_EXISTING_SHA = hashlib.sha1(INCR_EXISTING.encode()).hexdigest()  # noqa: S324 (Redis's name)


class _HeldConnections(threading.local):
    """One redis-py `Connection` per thread (and process) for each pool, used for the member
    path's two commands (`get`, `incr`) without the client and pool layers around them: redis-py
    8 spends some 100 µs of CPU per command in its client, pool and observability code against
    some 20 µs for the round trip itself (bench/RESULTS.md, issue #14), and every member request
    makes one or two. The connection is redis-py's own (its protocol, parser, auth, database
    selection and reconnecting); a failed command drops it, and the next one connects again."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.connections: dict[int, Any] = {}

    def command(self, pool: Any, *args: Any) -> Any:
        if self.pid != os.getpid():  # forked: the parent's sockets are not ours
            self.pid, self.connections = os.getpid(), {}
        connection = self.connections.get(id(pool))
        if connection is None:
            connection = self.connections[id(pool)] = pool.connection_class(
                **pool.connection_kwargs
            )
        for attempt in (1, 2):
            # A connection kept from an earlier command may have been closed by Redis since (a
            # restart): it is tried again once on a new one, as redis-py's own client retries.
            kept = connection.is_connected
            try:
                connection.send_command(*args)
                return connection.read_response()
            except ResponseError:  # Redis's answer, on a sound connection
                raise
            except UNAVAILABLE:
                connection.disconnect()
                if attempt == 2 or not kept:
                    raise
            except BaseException:
                connection.disconnect()
                raise
        raise AssertionError("unreachable")  # pragma: no cover


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's client builds a new `redis.Redis` for every operation, and redis-py's
    constructor fills a table of some 170 response callbacks each time: four cache calls of a
    member's request cost more CPU than the page itself (issue #14). A `redis.Redis` over a
    connection pool is safe to share between threads, and its pool reconnects after a fork, so
    one per pool is kept. `get` and `incr`, the member path's commands, go on a connection of
    the thread's own (`_HeldConnections`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}
        self._held = _HeldConnections()

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client

    def get(self, key: Any, default: Any) -> Any:
        value = self._held.command(self._get_connection_pool(False), "GET", key)  # type: ignore[attr-defined]
        return default if value is None else self._serializer.loads(value)  # type: ignore[attr-defined]

    def incr(self, key: Any, delta: int) -> Any:
        """Django's incr is EXISTS then INCRBY: two round trips, and a key that expires between
        them comes back without its expiry. Here both in one script (EVALSHA: one round trip,
        atomic); the rate limits of every member request use it (polls.answering.limits)."""
        pool = self._get_connection_pool(True)  # type: ignore[attr-defined]
        try:
            value = self._held.command(pool, "EVALSHA", INCR_EXISTING_SHA, 1, key, delta)
        except NoScriptError:  # a Redis that has not seen it yet (or restarted: it keeps none)
            self._held.command(pool, "SCRIPT", "LOAD", INCR_EXISTING)
            value = self._held.command(pool, "EVALSHA", INCR_EXISTING_SHA, 1, key, delta)
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value


class ForgivingRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        params = {**params, "OPTIONS": {"socket_connect_timeout": 2, **params.get("OPTIONS", {})}}
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
        self._logged_at = float("-inf")

    def validate_key(self, key: Any) -> None:
        """Redis takes any key: Django's check (a warning for keys memcached would refuse) walked
        every character of every key, twice on each member request's rate limit."""

    def _unavailable(self, operation: str, error: Exception) -> None:
        now = time.monotonic()
        if now - self._logged_at >= LOG_EVERY_SECONDS:
            self._logged_at = now
            logger.warning("Redis cache unavailable (%s, served as a miss): %s", operation, error)

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except UNAVAILABLE as error:
            self._unavailable("get", error)
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except UNAVAILABLE as error:
            self._unavailable("get_many", error)
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except UNAVAILABLE as error:
            self._unavailable("has_key", error)
            return False

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().add(key, value, timeout, version)
        except UNAVAILABLE as error:
            self._unavailable("add", error)
            return True  # see the module's docstring

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            super().set(key, value, timeout, version)
        except UNAVAILABLE as error:
            self._unavailable("set", error)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except UNAVAILABLE as error:
            self._unavailable("set_many", error)
            return list(data)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().touch(key, timeout, version)
        except UNAVAILABLE as error:
            self._unavailable("touch", error)
            return False

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except UNAVAILABLE as error:
            self._unavailable("delete", error)
            return False

    def delete_many(self, keys, version=None):
        try:
            super().delete_many(keys, version)
        except UNAVAILABLE as error:
            self._unavailable("delete_many", error)

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except UNAVAILABLE as error:
            self._unavailable("incr", error)
            return delta

    def clear(self):
        try:
            return super().clear()
        except UNAVAILABLE as error:
            self._unavailable("clear", error)
            return False


class CounterCache(ForgivingRedisCache):
    """The rate limits' cache (RATELIMIT_USE_CACHE): the same Redis, one round trip per count.

    django-ratelimit counts with `add(key, 1)` and, when the key was there already, `incr(key)`:
    two round trips on every member request, of which the `add` only tells what this process
    mostly knows already, since a counter's key names its window and lives until the window
    ends. So each process remembers the counters it has seen until their expiry and answers
    `add` for them without asking Redis; should a counter vanish early (Redis restarted),
    `incr` says so and the next `add` asks again. Not for locks or anything that is deleted:
    only counters go through this cache."""

    MAX_REMEMBERED = 10_000

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._exists_until: dict[str, float] = {}

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        name = self.make_key(key, version=version)
        now = time.monotonic()
        if self._exists_until.get(name, 0.0) > now:
            return False
        added = super().add(key, value, timeout, version)
        if len(self._exists_until) >= self.MAX_REMEMBERED:
            self._exists_until = {k: t for k, t in self._exists_until.items() if t > now}
        seconds = self.get_backend_timeout(timeout)
        self._exists_until[name] = now + (seconds if seconds is not None else 60.0)
        return added

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except ValueError:
            self._exists_until.pop(self.make_key(key, version=version), None)
            raise
