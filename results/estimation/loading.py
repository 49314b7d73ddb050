"""Loading a poll's answers into profile counts: one SQL statement counts the respondents per
profile (the same reporting attributes) and the answers per profile and answer (the *atoms*);
`merge_poll_data` adds a new response's counts to cached ones."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import Count
from django.db.models.fields.json import KeyTextTransform

from polls.models import Answer, Poll, Question, Response

from ..stats.design import BoolArray
from ..stats.weighting import FloatArray, IntArray

__all__ = ["Atoms", "PollData", "attribute_text", "load_poll_data", "merge_poll_data", "snapshots"]


@dataclass
class Atoms:
    """Answers counted per profile and answer: `count` respondents of profile `profile` gave
    option `option` (0: none) to statement `row` (0) at place `rank` (0), or the value `value`
    (NaN)."""

    profile: IntArray
    option: IntArray
    row: IntArray
    rank: IntArray
    value: FloatArray
    count: FloatArray

    @classmethod
    def empty(cls) -> Atoms:
        ints = np.zeros(0, dtype=np.intp)
        return cls(ints, ints, ints, ints, np.zeros(0), np.zeros(0))

    def take(self, mask: BoolArray) -> Atoms:
        return Atoms(
            self.profile[mask],
            self.option[mask],
            self.row[mask],
            self.rank[mask],
            self.value[mask],
            self.count[mask],
        )


@dataclass
class PollData:
    """A poll's answers counted per profile (see the module docstring): what every estimate of
    the poll needs, whatever the parameters; cached per poll generation."""

    variables: tuple[str, ...]  # the reporting variables the profiles are over (or none)
    profiles: list[tuple[str, ...]]  # each profile's values of `variables` ("" when missing)
    sizes: FloatArray  # respondents per profile
    atoms: dict[int, Atoms]  # question id -> its answers
    answered: dict[int, FloatArray]  # multiple choice: respondents per profile
    dont_know: dict[int, FloatArray]  # multiple choice: respondents with a "don't know"
    overlap: dict[int, Atoms]  # multiple choice: ticks of respondents with a "don't know"
    text_n: dict[int, int]
    # PostgreSQL: the snapshot the counts were read in (`pg_current_snapshot()`), and the
    # responses counted in since (`merge_poll_data`); see results.caching.response_added
    snapshot: str | None = None
    added: frozenset[str] = frozenset()

    @property
    def n(self) -> int:
        return int(round(self.sizes.sum()))


def attribute_text(value: object) -> str:
    """An attribute as register_population_counts counts members: a missing one is ""."""
    return "" if value is None else str(value)


def load_poll_data(
    poll: Poll,
    questions: list[Question],
    *,
    profiles: bool,
    response_ids: Sequence[object] | None = None,
) -> PollData:
    """Count the poll's answers per profile (over all its reporting variables when `profiles`,
    else one profile of everyone) and answer, in one statement: one snapshot, one round trip.
    `response_ids`: only those responses (a new response's counts, for `merge_poll_data`).

    A profile is a distinct value of the responses' attributes (only the reporting variables
    travel onto a response). They are numbered in the database (ROW_NUMBER over the few
    distinct values, joined back to the responses), so that the answers are grouped on an
    integer and PostgreSQL hashes the responses, not the answers; the small parts of the query
    group on the attributes themselves."""
    qn = connection.ops.quote_name
    answer = qn(Answer._meta.db_table)
    response = qn(Response._meta.db_table)
    attributes, poll_id, pk = qn("attributes"), qn("poll_id"), qn("id")
    variables = tuple(poll.reporting_variables) if profiles else ()
    columns = [f"v{i}" for i in range(len(variables))]
    sql_params: list[Any] = []

    def placeholders(ids: Sequence[object]) -> str:
        sql_params.extend(ids)
        return ", ".join(["%s"] * len(ids))

    pk_field = Response._meta.pk
    assert pk_field is not None
    only_ids = (
        None
        if response_ids is None
        else [pk_field.get_db_prep_value(i, connection) for i in response_ids] or [None]
    )

    def only(column: str) -> str:
        """` AND column IN (the responses)` when restricted to some."""
        return "" if only_ids is None else f" AND {column} IN ({placeholders(only_ids)})"

    a = {
        name: f"a.{qn(name)}"
        for name in ("question_id", "option_id", "row_id", "rank", "value", "response_id")
    }
    # typed NULLs: PostgreSQL resolves the columns' types from the first branches
    typed = (
        "CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), "
        "CAST(NULL AS INTEGER), CAST(NULL AS NUMERIC)"
    )
    nulls = "".join("NULL, " for _c in columns)
    if variables:
        responses = Response.objects.filter(poll=poll)
        if response_ids is not None:
            responses = responses.filter(pk__in=list(response_ids))
        distinct = (
            responses.values("attributes")
            .annotate(
                **{
                    c: KeyTextTransform(name, "attributes")
                    for c, name in zip(columns, variables, strict=True)
                }
            )
            .annotate(n=Count("pk"))
            .order_by()
        )
        distinct_sql, distinct_params = distinct.query.sql_with_params()
        sql_params.extend(distinct_params)
        x_columns = "".join(f"x.{c}, " for c in columns)
        d_columns = "".join(f"d.{c}, " for c in columns)
        parts = [
            f"SELECT 0, d.p, d.{attributes}, {d_columns}{typed}, d.n, CAST(NULL AS BIGINT) "
            f"FROM (SELECT ROW_NUMBER() OVER (ORDER BY x.{attributes}) AS p, x.{attributes}, "
            f"{x_columns}x.n FROM ({distinct_sql}) x) d"
        ]

        def numbered() -> str:
            """The responses with their profile's number, as the first part numbers them."""
            sql_params.append(poll.pk)
            inner = only(pk)
            sql_params.append(poll.pk)
            outer = only(f"s.{pk}")
            return (
                f"INNER JOIN (SELECT s.{pk}, u.p FROM {response} s INNER JOIN "
                f"(SELECT ROW_NUMBER() OVER (ORDER BY t.{attributes}) AS p, t.{attributes} "
                f"FROM (SELECT DISTINCT {attributes} FROM {response} WHERE {poll_id} = %s{inner}"
                f") t) u ON s.{attributes} = u.{attributes} WHERE s.{poll_id} = %s{outer}) r "
                f"ON {a['response_id']} = r.{pk}"
            )

        def by_attributes(alias: str) -> str:
            return f"INNER JOIN {response} s ON {alias}.{qn('response_id')} = s.{pk}"

        profile, profile_group = "r.p", ", r.p"
        keyed, keyed_group = f"NULL, s.{attributes}", f", s.{attributes}"
    else:
        sql_params.append(poll.pk)
        parts = [
            f"SELECT 0, 0, NULL, {typed}, COUNT(*), CAST(NULL AS BIGINT) FROM {response} "
            f"WHERE {poll_id} = %s{only(pk)}"
        ]

        def numbered() -> str:
            return ""

        def by_attributes(alias: str) -> str:
            return ""

        profile, profile_group = "0", ""
        keyed, keyed_group = "0, NULL", ""

    answer_ids = [q.pk for q in questions if q.kind != Question.Kind.TEXT]
    if answer_ids:
        keys = ", ".join(a[k] for k in ("question_id", "option_id", "row_id", "rank", "value"))
        parts.append(
            f"SELECT 1, {profile}, NULL, {nulls}{keys}, COUNT(*), NULL FROM {answer} a "
            f"{numbered()} WHERE {a['question_id']} IN ({placeholders(answer_ids)})"
            f"{only(a['response_id'])} GROUP BY {keys}{profile_group}"
        )
    multiple = [q for q in questions if q.kind == Question.Kind.MULTIPLE]
    if multiple:
        dont_know = [o.pk for q in multiple for o in q.options.all() if o.is_dont_know] or [0]
        # respondents per question (and with a "don't know"): one row each, then counted
        per_respondent = (
            f"(SELECT {a['response_id']}, {a['question_id']} AS q, "
            f"MAX(CASE WHEN {a['option_id']} IN ({placeholders(dont_know)}) THEN 1 ELSE 0 END) "
            f"AS dk FROM {answer} a "
            f"WHERE {a['question_id']} IN ({placeholders([q.pk for q in multiple])})"
            f"{only(a['response_id'])} GROUP BY {a['response_id']}, {a['question_id']}) m"
        )
        parts.append(
            f"SELECT 2, {keyed}, {nulls}m.q, NULL, NULL, NULL, NULL, COUNT(*), SUM(m.dk) "
            f"FROM {per_respondent} {by_attributes('m')} GROUP BY m.q{keyed_group}"
        )
        # Respondents who ticked a "don't know" that is not exclusive may have ticked more:
        # when "don't know" is left out, their other ticks go with them.
        mixed = [
            q for q in multiple if any(o.is_dont_know and not o.exclusive for o in q.options.all())
        ]
        if mixed:
            mixed_dk = [o.pk for q in mixed for o in q.options.all() if o.is_dont_know]
            parts.append(
                f"SELECT 4, {keyed}, {nulls}{a['question_id']}, {a['option_id']}, NULL, NULL, "
                f"NULL, COUNT(*), NULL FROM {answer} a {by_attributes('a')} "
                f"WHERE {a['question_id']} IN ({placeholders([q.pk for q in mixed])})"
                f"{only(a['response_id'])} AND EXISTS (SELECT 1 FROM {answer} b "
                f"WHERE b.{qn('response_id')} = {a['response_id']} "
                f"AND b.{qn('question_id')} = {a['question_id']} "
                f"AND b.{qn('option_id')} IN ({placeholders(mixed_dk)})) "
                f"GROUP BY {a['question_id']}, {a['option_id']}{keyed_group}"
            )
    texts = [q.pk for q in questions if q.kind == Question.Kind.TEXT]
    if texts:
        parts.append(
            f"SELECT 3, 0, NULL, {nulls}{a['question_id']}, NULL, NULL, NULL, NULL, COUNT(*), "
            f"NULL FROM {answer} a WHERE {a['question_id']} IN ({placeholders(texts)})"
            f"{only(a['response_id'])} AND a.{qn('text')} <> '' GROUP BY {a['question_id']}"
        )
    if snapshots():
        # the statement's snapshot (one per statement), for merge_poll_data's callers
        snapshot = "CAST(PG_CURRENT_SNAPSHOT() AS TEXT)"  # typed as the first part's column
        if variables:
            snapshot = f"TO_JSONB({snapshot})"
        parts.append(f"SELECT 5, 0, {snapshot}, {nulls}{typed}, 1, NULL")
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), sql_params)
        rows = cursor.fetchall()
    data = _parse(rows, variables)
    raw = next((row[2] for row in rows if row[0] == 5), None)
    if isinstance(raw, str) and raw.startswith('"'):
        raw = json.loads(raw)  # jsonb comes back as its text
    data.snapshot = None if raw is None else str(raw)
    return data


def snapshots() -> bool:
    """Whether the database tells a statement's snapshot (PostgreSQL 13 and later)."""
    return connection.vendor == "postgresql" and getattr(connection, "pg_version", 0) >= 130000


def merge_poll_data(data: PollData, new: PollData, response_ids: Iterable[str]) -> PollData:
    """`data` with the counts of more responses (`new`, loaded over the same questions and
    variables): what counting everything again would give, up to the order of profiles and
    atoms (which no estimate depends on)."""
    profiles = list(data.profiles)
    index = {p: i for i, p in reversed(list(enumerate(profiles)))}
    mapping = []
    for p in new.profiles:
        if p not in index:
            index[p] = len(profiles)
            profiles.append(p)
        mapping.append(index[p])
    size = len(profiles)
    to_ours = np.array(mapping, dtype=np.intp)

    def grown(values: FloatArray) -> FloatArray:
        return np.concatenate([values, np.zeros(size - values.size)])

    sizes = grown(data.sizes)
    np.add.at(sizes, to_ours, new.sizes)

    def atoms(ours: dict[int, Atoms], theirs: dict[int, Atoms]) -> dict[int, Atoms]:
        merged = dict(ours)
        for q, extra in theirs.items():
            have = merged.get(q, Atoms.empty())
            profile, option, row, rank = (
                have.profile.copy(),
                have.option.copy(),
                have.row.copy(),
                have.rank.copy(),
            )
            value, count = have.value.copy(), have.count.copy()
            for i in range(extra.count.size):
                p = to_ours[extra.profile[i]]
                v = extra.value[i]
                same = (
                    (profile == p)
                    & (option == extra.option[i])
                    & (row == extra.row[i])
                    & (rank == extra.rank[i])
                    & ((value == v) | (np.isnan(value) & math.isnan(v)))
                )
                found = np.flatnonzero(same)
                if found.size:
                    count[found[0]] += extra.count[i]
                else:
                    profile = np.append(profile, p)
                    option = np.append(option, extra.option[i])
                    row = np.append(row, extra.row[i])
                    rank = np.append(rank, extra.rank[i])
                    value = np.append(value, v)
                    count = np.append(count, extra.count[i])
            merged[q] = Atoms(profile, option, row, rank, value, count)
        return merged

    def per_profile(
        ours: dict[int, FloatArray], theirs: dict[int, FloatArray]
    ) -> dict[int, FloatArray]:
        merged = {q: grown(v) for q, v in ours.items()}
        for q, extra in theirs.items():
            merged.setdefault(q, np.zeros(size))
            np.add.at(merged[q], to_ours, extra)
        return merged

    text_n = dict(data.text_n)
    for q, n in new.text_n.items():
        text_n[q] = text_n.get(q, 0) + n
    return PollData(
        variables=data.variables,
        profiles=profiles,
        sizes=sizes,
        atoms=atoms(data.atoms, new.atoms),
        answered=per_profile(data.answered, new.answered),
        dont_know=per_profile(data.dont_know, new.dont_know),
        overlap=atoms(data.overlap, new.overlap),
        text_n=text_n,
        snapshot=data.snapshot,
        added=data.added | frozenset(response_ids),
    )


def _canonical(attributes: object) -> str:
    """One text per attributes value, whatever the database returned (a dict, or JSON text)."""
    if isinstance(attributes, str):
        attributes = json.loads(attributes)
    return json.dumps(attributes, sort_keys=True, separators=(",", ":"))


def _parse(rows: list[tuple[Any, ...]], variables: tuple[str, ...]) -> PollData:
    """Rows: part, profile number, attributes, the variables' values, question, option, row,
    rank, value, count, second count."""
    width = len(variables)
    by_number: dict[int, int] = {}  # the database's profile number -> ours
    by_attributes: dict[str, int] = {}
    profiles: list[tuple[str, ...]] = []
    sizes: list[float] = []
    for row in rows:
        if row[0] != 0 or not row[-2]:
            continue
        # equal attributes written differently (SQLite compares text) are one profile
        key = _canonical(row[2]) if width else ""
        if key not in by_attributes:
            by_attributes[key] = len(profiles)
            profiles.append(tuple(attribute_text(v) for v in row[3 : 3 + width]))
            sizes.append(0.0)
        by_number[int(row[1])] = by_attributes[key]
        sizes[by_attributes[key]] += float(row[-2])
    buckets: dict[int, list[tuple[Any, ...]]] = {1: [], 2: [], 4: []}
    text_n: dict[int, int] = {}
    for row in rows:
        part = row[0]
        if part == 3:
            text_n[int(row[3 + width])] = int(row[-2])
        elif part in buckets:
            if row[1] is not None:
                profile = by_number[int(row[1])]
            else:
                profile = by_attributes[_canonical(row[2])]
            buckets[part].append((profile, *row[3 + width :]))

    def atoms_of(records: list[tuple[Any, ...]]) -> dict[int, Atoms]:
        if not records:
            return {}
        profile = np.array([r[0] for r in records], dtype=np.intp)
        question = np.array([r[1] for r in records], dtype=np.intp)
        option = np.array([r[2] or 0 for r in records], dtype=np.intp)
        grid_row = np.array([r[3] or 0 for r in records], dtype=np.intp)
        rank = np.array([r[4] or 0 for r in records], dtype=np.intp)
        value = np.array([math.nan if r[5] is None else float(r[5]) for r in records])
        count = np.array([float(r[6]) for r in records])
        everything = Atoms(profile, option, grid_row, rank, value, count)
        return {int(q): everything.take(question == q) for q in np.unique(question)}

    answered: dict[int, FloatArray] = {}
    dont_know: dict[int, FloatArray] = {}
    for record in buckets[2]:
        question_id = int(record[1])
        if question_id not in answered:
            answered[question_id] = np.zeros(len(profiles))
            dont_know[question_id] = np.zeros(len(profiles))
        answered[question_id][record[0]] += float(record[6])
        dont_know[question_id][record[0]] += float(record[7] or 0)
    return PollData(
        variables=variables,
        profiles=profiles,
        sizes=np.array(sizes, dtype=float),
        atoms=atoms_of(buckets[1]),
        answered=answered,
        dont_know=dont_know,
        overlap=atoms_of(buckets[4]),
        text_n=text_n,
    )
