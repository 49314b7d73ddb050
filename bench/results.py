"""Benchmark: estimating a poll of 100,000 responses (target: under 1 s per refresh).

On PostgreSQL, in a database of its own:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/medlemsrost_bench_results \\
        PYTHONPATH=. uv run python bench/results.py [--responses 100000] [--rebuild]

The script creates the database when it is missing and migrates it. Without DATABASE_URL it runs
on a throwaway SQLite file in /tmp, never on the project's db.sqlite3. The first run builds, with
bulk_create, a register (300,000 members over 21 län × 5 sectors), a sample of 200,000, a poll of
ten questions of every kind and 100,000 responses (about 1.5 million answer rows) whose sectors
answered at different rates and differently; later runs reuse them (--rebuild starts over).

Then `poll_results` is timed, each figure the median of several runs:
- cold: nothing cached (population counts included);
- recount: after a new cache generation without cached counts (a question edited, a response
  deleted, SQLite): every answer counted again, the register's population counts still cached;
- refresh: the situation after a new response (one is submitted, as a member would, and counted
  into the cached counts once committed), the poll's results recomputed; `count-in` is what that
  costs the member's request after its commit;
- warm: served from the cache;
for the whole poll, with a breakdown by sector, with raking on län and sector, and with both.
The responses submitted along the way are deleted at the end. Results go to bench/RESULTS.md by
hand.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid
from datetime import date, timedelta

from _setup import REGIONS, SECTORS, ensure_database, machine_line

# How readily each sector answers (relative): weighting has something to correct.
PROPENSITY = {"Kommun": 1.0, "Region": 1.3, "Stat": 1.6, "Privat": 0.7, "Ideell": 0.9}
SLUG = "bench-results"
BATCH = 10_000


def _bulk(model, objects) -> None:
    model.objects.bulk_create(objects, batch_size=BATCH)


def build(responses: int, members: int, invited: int):
    """The register, sample, poll and responses; returns the poll."""
    import numpy as np
    from django.db import transaction

    from polls.models import Answer, GridRow, Invitation, Option, Poll, Question, Response
    from respondents.models import Member, Register, SampleDraw, SampleMember

    rng = np.random.default_rng(2026)
    regions, sectors = list(REGIONS), list(SECTORS)
    region_p = np.array(list(REGIONS.values()), float) / sum(REGIONS.values())
    sector_p = np.array(list(SECTORS.values()), float) / sum(SECTORS.values())
    member_region = rng.choice(len(regions), members, p=region_p)
    member_sector = rng.choice(len(sectors), members, p=sector_p)

    with transaction.atomic():
        old = Poll.objects.filter(slug=SLUG).first()
        if old is not None:
            Answer.objects.filter(question__poll=old).delete()
            Response.objects.filter(poll=old).delete()
            Invitation.objects.filter(poll=old).delete()
            register = old.register
            old.delete()
            if register is not None:
                SampleMember.objects.filter(draw__register=register).delete()
                SampleDraw.objects.filter(register=register).delete()
                Member.objects.filter(register=register).delete()
                register.delete()
        register = Register.objects.create(
            name=f"Bench results {members}", variables=["region", "sektor"]
        )
        _bulk(
            Member,
            (
                Member(
                    register=register,
                    number=str(1_000_000 + i),
                    email=f"m{i}@example.se",
                    attributes={
                        "region": regions[member_region[i]],
                        "sektor": sectors[member_sector[i]],
                    },
                )
                for i in range(members)
            ),
        )
        member_ids = np.array(
            Member.objects.filter(register=register).order_by("number").values_list("id", flat=True)
        )
        draw = SampleDraw.objects.create(
            register=register,
            name=f"Bench results sample {invited}",
            target_size=invited,
            seed=2026,
            frame_size=members,
        )
        sampled = np.sort(rng.choice(members, invited, replace=False))
        _bulk(
            SampleMember,
            (
                SampleMember(
                    draw=draw, member_id=int(member_ids[i]), inclusion_probability=invited / members
                )
                for i in sampled
            ),
        )
        sample_member_ids = dict(
            SampleMember.objects.filter(draw=draw).values_list("member_id", "id")
        )
        propensity = np.array([PROPENSITY[sectors[s]] for s in member_sector[sampled]])
        answered = rng.choice(invited, responses, replace=False, p=propensity / propensity.sum())
        answered_mask = np.zeros(invited, dtype=bool)
        answered_mask[answered] = True

        poll = Poll.objects.create(
            slug=SLUG,
            title_sv="Benchmark: arbetsmiljö och prioriteringar",
            state=Poll.State.CLOSED,
            register=register,
            reporting_variables=["region", "sektor"],
        )
        _bulk(
            Invitation,
            (
                Invitation(
                    poll=poll,
                    sample_member_id=sample_member_ids[int(member_ids[m])],
                    status=Invitation.Status.COMPLETED if done else Invitation.Status.SENT,
                )
                for m, done in zip(sampled, answered_mask, strict=True)
            ),
        )
        questions = _questions(poll, Question, Option, GridRow)

        respondents = sampled[answered]
        sector_of = member_sector[respondents]
        start = date(2026, 9, 1)
        response_ids = [uuid.uuid4() for _ in range(responses)]
        days = rng.integers(0, 21, responses)
        _bulk(
            Response,
            (
                Response(
                    id=response_ids[i],
                    poll=poll,
                    submitted_on=start + timedelta(days=int(days[i])),
                    attributes={
                        "region": regions[member_region[m]],
                        "sektor": sectors[member_sector[m]],
                    },
                )
                for i, m in enumerate(respondents)
            ),
        )
        rows = _answers(rng, questions, response_ids, sector_of)
        for start_at in range(0, len(rows), 50_000):
            Answer.objects.bulk_create(
                [Answer(**row) for row in rows[start_at : start_at + 50_000]], batch_size=BATCH
            )
    return poll


def _questions(poll, Question, Option, GridRow) -> dict:
    """Ten questions of every kind; returns code -> (question, [option ids], [row ids])."""
    made = {}

    def question(code, kind, options=(), rows=(), dont_know=False, **fields):
        q = Question.objects.create(
            poll=poll, order=len(made), code=code, kind=kind, text_sv=f"Fråga {code}", **fields
        )
        opts = [
            Option.objects.create(question=q, order=i, code=c, label_sv=c.capitalize())
            for i, c in enumerate(options)
        ]
        if dont_know:
            opts.append(
                Option.objects.create(
                    question=q,
                    order=len(opts),
                    code="vet_ej",
                    label_sv="Vet ej",
                    is_dont_know=True,
                    exclusive=kind == Question.Kind.MULTIPLE,
                )
            )
        grid_rows = [
            GridRow.objects.create(question=q, order=i, code=c, text_sv=f"Påstående {c}")
            for i, c in enumerate(rows)
        ]
        made[code] = (q, [o.pk for o in opts], [r.pk for r in grid_rows])

    kind = Question.Kind
    question("kvalitet", kind.SINGLE, ["mycket", "ganska", "inte_sa", "inte_alls"], dont_know=True)
    question("rekommendera", kind.SINGLE, ["ja", "nej"], dont_know=True)
    question("anstallning", kind.SINGLE, ["tillsvidare", "visstid", "vikariat", "annan"])
    question(
        "atgarder",
        kind.MULTIPLE,
        ["tid", "resurser", "administration", "introduktion", "annat"],
        dont_know=True,
    )
    question("nojd", kind.SCALE, dont_know=True, scale_min=1, scale_max=5)
    question("stress", kind.SCALE, scale_min=1, scale_max=10)
    question("arenden", kind.NUMBER, number_min=0, number_max=200)
    question("kommentar", kind.TEXT, required=False)
    question(
        "prioritet",
        kind.RANKING,
        ["lon", "arbetsmiljo", "arbetstid", "kompetens", "pension"],
        max_choices=3,
    )
    question(
        "pastaenden",
        kind.GRID,
        ["helt", "delvis", "inte"],
        rows=["belastning", "chef", "kollegor", "utveckling"],
        dont_know=True,
    )
    return made


def _answers(rng, questions: dict, response_ids: list, sector_of) -> list[dict]:
    """Answer rows as dicts; each sector leans its own way."""
    import numpy as np

    n = len(response_ids)
    rows: list[dict] = []
    lean = sector_of.astype(float) / 4.0  # 0 (Kommun) .. 1 (Ideell)

    def pick(k: int, shift: float) -> np.ndarray:
        base = np.linspace(1.0, 2.0, k)
        p = base[None, :] * (1.0 + shift * lean[:, None] * np.arange(k)[None, :])
        p /= p.sum(axis=1, keepdims=True)
        u = rng.random(n)[:, None]
        return (u > np.cumsum(p, axis=1)).sum(axis=1).clip(0, k - 1)

    for code in ("kvalitet", "rekommendera", "anstallning"):
        q, opts, _rows = questions[code]
        chosen = pick(len(opts), 0.8)
        rows += [
            {"response_id": r, "question_id": q.pk, "option_id": opts[c]}
            for r, c in zip(response_ids, chosen.tolist(), strict=True)
        ]

    q, opts, _rows = questions["atgarder"]
    dont_know = rng.random(n) < 0.05
    probabilities = np.array([0.5, 0.45, 0.4, 0.25, 0.1])
    ticks = rng.random((n, 5)) < probabilities[None, :] * (0.7 + 0.6 * lean[:, None])
    for i, r in enumerate(response_ids):
        if dont_know[i] or not ticks[i].any():
            rows.append({"response_id": r, "question_id": q.pk, "option_id": opts[5]})
        else:
            rows += [
                {"response_id": r, "question_id": q.pk, "option_id": opts[j]}
                for j in np.flatnonzero(ticks[i]).tolist()
            ]

    q, opts, _rows = questions["nojd"]
    points = pick(6, 0.5)  # 0..4 the points 1..5, 5 "Vet ej"
    for r, p in zip(response_ids, points.tolist(), strict=True):
        if p == 5:
            rows.append({"response_id": r, "question_id": q.pk, "option_id": opts[0]})
        else:
            rows.append({"response_id": r, "question_id": q.pk, "value": p + 1})
    q, _opts, _rows = questions["stress"]
    rows += [
        {"response_id": r, "question_id": q.pk, "value": p + 1}
        for r, p in zip(response_ids, pick(10, 0.3).tolist(), strict=True)
    ]
    q, _opts, _rows = questions["arenden"]
    cases = np.clip(rng.gamma(4.0, 8.0 + 6.0 * lean), 0, 200).round()
    rows += [
        {"response_id": r, "question_id": q.pk, "value": int(c)}
        for r, c in zip(response_ids, cases.tolist(), strict=True)
    ]
    q, _opts, _rows = questions["kommentar"]
    rows += [
        {"response_id": r, "question_id": q.pk, "text": "Mer tid för klienterna, tack."}
        for r, said in zip(response_ids, (rng.random(n) < 0.2).tolist(), strict=True)
        if said
    ]
    q, opts, _rows = questions["prioritet"]
    scores = rng.random((n, 5)) + np.array([0.5, 0.4, 0.2, 0.1, 0.0])[None, :] * (1 + lean[:, None])
    top = np.argsort(-scores, axis=1)[:, :3]
    for r, ranked in zip(response_ids, top.tolist(), strict=True):
        rows += [
            {"response_id": r, "question_id": q.pk, "option_id": opts[j], "rank": place}
            for place, j in enumerate(ranked, start=1)
        ]
    q, opts, grid_rows = questions["pastaenden"]
    for row_id in grid_rows:
        rows += [
            {"response_id": r, "question_id": q.pk, "row_id": row_id, "option_id": opts[c]}
            for r, c in zip(response_ids, pick(4, 0.6).tolist(), strict=True)
        ]
    return rows


def timed(function, runs: int, before=None) -> float:
    """Median seconds of `runs` calls; `before()` runs untimed before each."""
    seconds = []
    for _ in range(runs):
        if before is not None:
            before()
        start = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=300_000)
    parser.add_argument("--invited", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true", help="Build the data again.")
    args = parser.parse_args()

    ensure_database("medlemsrost_bench_results")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection, transaction

    from polls.models import Answer, Poll, Response
    from results import caching
    from results.api import results_payload
    from results.estimation import compute_poll_results, poll_questions, resolve_params
    from results.representativeness import representativeness_for

    call_command("migrate", verbosity=0)
    import numpy as np

    print(machine_line(f"NumPy {np.__version__}"))
    poll = Poll.objects.filter(slug=SLUG).first()
    if args.rebuild or poll is None or poll.responses.count() != args.responses:
        start = time.perf_counter()
        poll = build(args.responses, args.members, args.invited)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(f"built the poll in {time.perf_counter() - start:.0f} s")
    poll = Poll.objects.select_related("register").get(pk=poll.pk)
    answers = Answer.objects.filter(question__poll=poll).count()
    print(
        f"poll: {poll.responses.count():,} responses, {poll.questions.count()} questions, "
        f"{answers:,} answer rows; register of {args.members:,}, {args.invited:,} invited"
    )

    cases = [
        ("whole poll", {}),
        ("by sector", {"by": "sektor"}),
        ("by län", {"by": "region"}),
        ("raked (län, sector)", {"weights": "rake", "weight_by": ["region", "sektor"]}),
        (
            "raked, by sector",
            {"by": "sektor", "weights": "rake", "weight_by": ["region", "sektor"]},
        ),
        ("post-stratified (sector)", {"weights": "poststrat", "weight_by": ["sektor"]}),
    ]
    print(
        f"{'':<26} {'cold':>7} {'recount':>8} {'refresh':>8} {'count-in':>8} {'compute':>8} "
        f"{'warm':>8} {'payload':>8}   (median of {args.runs})"
    )
    model_ids = list(poll.responses.values_list("pk", flat=True)[:1000])
    submitted: list = []
    count_in: list[float] = []

    def submit() -> None:
        """A copy of an existing response, written as polls.answering writes one; the time
        from its commit on (the count-in) is noted."""
        model = Response.objects.get(pk=model_ids[len(submitted) % len(model_ids)])
        fields = ("question_id", "option_id", "row_id", "value", "text", "rank")
        with transaction.atomic():
            response = Response.objects.create(
                poll=poll, submitted_on=model.submitted_on, attributes=model.attributes
            )
            Answer.objects.bulk_create(
                Answer(response=response, **row)
                for row in Answer.objects.filter(response=model).values(*fields)
            )
            start = time.perf_counter()
        count_in.append(time.perf_counter() - start)
        submitted.append(response.pk)

    try:
        for label, raw in cases:
            params = resolve_params(poll, **raw)

            def cached(params=params):
                return caching.cached_poll_results(poll=poll, params=params)

            # cold: nothing cached, register counts included
            cold = timed(cached, args.runs, before=cache.clear)
            # recount: a new generation, nothing cached but the register's counts
            recount = timed(cached, args.runs, before=lambda: caching.poll_changed(poll.pk))
            # refresh: a new response arrived (counted into the counts of the generation before)
            cached()
            count_in.clear()
            refresh = timed(cached, args.runs, before=submit)
            counted = statistics.median(count_in)
            # compute: the answers' counts cached (another breakdown or weighting asked for)
            questions = poll_questions(poll)
            data = caching.cached_poll_data(poll, questions, profiles=bool(params.variables))
            compute = timed(
                lambda params=params, data=data, questions=questions: compute_poll_results(
                    poll=poll, params=params, questions=questions, data=data
                ),
                args.runs,
            )
            results = cached()
            warm = timed(cached, args.runs)
            payload = timed(lambda results=results: results_payload(results), args.runs)
            print(
                f"{label:<26} {cold:6.3f}s {recount:7.3f}s {refresh:7.3f}s {counted * 1000:6.1f}ms "
                f"{compute:7.3f}s {warm * 1000:6.1f}ms {payload * 1000:6.1f}ms"
            )

        params = resolve_params(poll, weights="rake", weight_by=["region", "sektor"])
        representativeness = timed(
            lambda: representativeness_for(poll=poll, params=params), args.runs, before=cache.clear
        )
        print(f"{'representativeness, raked':<26} {representativeness:6.3f}s (cold)")
    finally:
        Response.objects.filter(pk__in=submitted).delete()


if __name__ == "__main__":
    main()
