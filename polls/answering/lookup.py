"""`invitation_by_token`'s statement, compiled by the ORM once per process and thread.

Every request of a member starts by finding their invitation with its poll, member and draft
(four joins). Building that SQL from the queryset took more CPU than PostgreSQL took to run it
(issue #14: some 2 ms of a 5 ms page), and it is the same statement every time but for the
token's digest. So the ORM compiles it once, with a placeholder digest, and each request runs
the SQL with its own digest and hands the rows back to the ORM's own converters and
related-object populators, which build exactly the objects `QuerySet.get()` would.

This leans on Django's internals that `ModelIterable` uses (the compiler's converters, as
`results_iter` applies them, and `get_related_populators`), stable within the 5.2 LTS that the
project pins; tests/test_answering.py covers the objects it builds.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db import connection
from django.db.models import Q
from django.db.models.query import get_related_populators

from ..models import Invitation, Poll
from .statements import member_cursor

_PLACEHOLDER = "0" * 64
_local = threading.local()


def _queryset(digest: str) -> Any:
    return Invitation.objects.select_related("poll", "sample_member__member", "draft").filter(
        # No LIMIT: at most one row matches a digest (both columns are unique, and a token is
        # 128 random bits), and a LIMIT invites a scan that hopes to stop early.
        Q(token_hash=digest) | Q(reminder_token_hash=digest)
    )


class _Compiled:
    def __init__(self) -> None:
        queryset = _queryset(_PLACEHOLDER)
        self.alias = queryset.db
        self.compiler = queryset.query.get_compiler(using=self.alias)
        self.sql, params = self.compiler.as_sql()
        if list(params) != [_PLACEHOLDER, _PLACEHOLDER]:  # pragma: no cover (a Django change)
            raise RuntimeError(f"unexpected parameters of the invitation lookup: {params!r}")
        klass_info, select = self.compiler.klass_info, self.compiler.select
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [column[0].target.attname for column in select[self.start : self.end]]
        self.populators = get_related_populators(klass_info, select, self.alias)  # type: ignore[call-arg]  # stubs of Django 6
        # What `results_iter` works out on every call (JSON and other fields' converters).
        self.converters = self.compiler.get_converters(
            [column[0] for column in select[0 : self.compiler.col_count]]
        )
        # The same lookup marking a sent invitation of a poll that takes answers started, in
        # the same round trip (data-modifying WITH, PostgreSQL): the rows read are as they were
        # before it. The poll's condition is `Poll.is_accepting_answers` in SQL. The row to
        # mark is found by its token alone, in a CTE planned by itself: prepared, the statement
        # runs on a generic plan, and where `polls_invitation` has no fresh statistics (a new
        # poll's invitations in a large table) PostgreSQL had taken `token_hash = $1 AND status
        # = $2 AND poll_id IN (...)` through the (poll, status) index, reading every sent
        # invitation of the poll for the token (tests/test_answering_queries.py).
        invitation, poll = Invitation._meta.db_table, Poll._meta.db_table
        self.sql_opened = (
            f'WITH "found" AS MATERIALIZED (SELECT "id", "poll_id" FROM "{invitation}" '  # noqa: S608 (models' tables)
            'WHERE ("token_hash" = %s OR "reminder_token_hash" = %s) AND "status" = %s), '
            f'"opened" AS (UPDATE "{invitation}" SET "status" = %s FROM "found", "{poll}" '
            f'WHERE "{invitation}"."id" = "found"."id" AND "{poll}"."id" = "found"."poll_id" '
            f'AND "{poll}"."state" = %s '
            f'AND ("{poll}"."opens_at" IS NULL OR "{poll}"."opens_at" <= NOW()) '
            f'AND ("{poll}"."closes_at" IS NULL OR "{poll}"."closes_at" > NOW())) '
            f"{self.sql}"
        )

    def get(self, digest: str, *, opened: bool) -> Invitation | None:
        with member_cursor() as cursor:
            if opened:
                started, sent = Invitation.Status.STARTED, Invitation.Status.SENT
                cursor.execute(
                    self.sql_opened,
                    [digest, digest, sent, started, Poll.State.OPEN, digest, digest],
                )
            else:
                cursor.execute(self.sql, [digest, digest])
            rows = cursor.fetchall()
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        for row in rows:
            invitation = Invitation.from_db(self.alias, self.init_list, row[self.start : self.end])
            for populator in self.populators:
                populator.populate(row, invitation)
            return invitation
        return None


def invitation_with_digest(digest: str, *, opened: bool = False) -> Invitation | None:
    """The invitation whose link or latest reminder has this token digest, with its poll,
    sample member, member and draft (or None), as `_queryset(digest).first()` gives it. With
    `opened`, a sent invitation of a poll that takes answers is marked started by the same
    statement (PostgreSQL; the invitation returned still says sent)."""
    compiled = getattr(_local, "compiled", None)
    if compiled is None or compiled.alias != connection.alias:
        compiled = _local.compiled = _Compiled()
    if opened and connection.vendor != "postgresql":
        invitation = compiled.get(digest, opened=False)
        if (
            invitation is not None
            and invitation.status == Invitation.Status.SENT
            and invitation.poll.is_accepting_answers()
        ):
            Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.SENT).update(
                status=Invitation.Status.STARTED
            )
        return invitation
    return compiled.get(digest, opened=opened)
