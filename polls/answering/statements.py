"""A cursor for the member path's few statements, which PostgreSQL plans once per connection.

Every request of a member runs the same two or three statements with other values: the
invitation's lookup (four joins, an OR of two indexes), the draft's upsert, the submit's CTE.
PostgreSQL spent more time planning the lookup than running it (0.45 ms against 0.07 ms,
EXPLAIN ANALYZE, bench/RESULTS.md), on every request. Django's cursors bind values on the
client, which rules out prepared statements; this one binds them on the server (Django's own
`ServerBindingCursor`) and psycopg prepares a statement after its second run on a connection
(`prepare_threshold`, DATABASE_PREPARE_THRESHOLD; set it empty behind a pooler in transaction
mode that does not keep prepared statements). The ORM's statements are not affected: their
cursors never prepare.

The cursor is Django's usual wrapper (query logging and counting, execute wrappers), so the
bounded-queries tests see these statements as any other.
"""

from __future__ import annotations

from typing import Any

from django.db import connection


def member_cursor() -> Any:
    if connection.vendor != "postgresql":
        return connection.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    raw = ServerBindingCursor(connection.connection)  # type: ignore[call-arg]
    return connection._prepare_cursor(raw)  # type: ignore[attr-defined]
