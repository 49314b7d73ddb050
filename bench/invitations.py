"""Benchmark: 100,000 invitations sent end to end by two Celery worker processes to a local SMTP
sink (aiosmtpd, in a process of its own that only counts), on PostgreSQL and Redis.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/medlemsrost_bench \\
    REDIS_URL=redis://127.0.0.1:6379/0 \\
        PYTHONPATH=. uv run python bench/invitations.py [--members 100000] [--workers 2]

It creates the database when it is missing and migrates it, makes a register, a sample and an
open poll of --members members, queues their invitations as the field page does, starts the
workers (`celery worker --pool=solo`, each one process, under a private Redis key prefix), and
times from the queuing to the last invitation marked sent. Database round trips are counted by
PostgreSQL itself: the transactions committed in the benchmark database (every statement of a
worker runs in autocommit, so one transaction is one round trip; the bench's own progress polls
are subtracted). At the end the poll, sample and register are deleted. Results go to
bench/RESULTS.md by hand.
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from multiprocessing import Process, Value

from _setup import ROOT, celery_worker, ensure_database, machine_line


def smtp_sink(port: int, count) -> None:
    """An SMTP server that accepts everything and only counts (so the sink is not the limit)."""
    import asyncio

    from aiosmtpd.controller import Controller

    class Counter:
        async def handle_DATA(self, server, session, envelope):
            with count.get_lock():
                count.value += 1
            return "250 OK"

    controller = Controller(Counter(), hostname="127.0.0.1", port=port, server_hostname="localhost")
    controller.start()
    asyncio.run(asyncio.sleep(10**6))


def commits(cursor, name: str) -> int:
    cursor.execute("SELECT pg_stat_force_next_flush()")
    cursor.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = %s", [name])
    return int(cursor.fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8925)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get(
        "REDIS_URL"
    ):
        print("bench/invitations.py: skipped, it needs DATABASE_URL (PostgreSQL) and REDIS_URL.")
        return
    ensure_database("invitations")
    prefix = f"bench-{uuid.uuid4().hex[:8]}-"
    os.environ.update(
        {
            "CELERY_KEY_PREFIX": prefix,
            "CACHE_KEY_PREFIX": prefix,
            "EMAIL_URL": f"smtp://127.0.0.1:{args.port}",
            "SITE_URL": "https://medlemsrost.example.org",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from polls.models import Invitation, Poll
    from polls.tasks import invitations_queue
    from respondents.models import Member, Register, SampleDraw, SampleMember

    call_command("migrate", verbosity=0)
    name = connection.settings_dict["NAME"]
    n = args.members
    register = Register.objects.create(name=f"Bench {prefix}", variables=["region"])
    Member.objects.bulk_create(
        (
            Member(register=register, number=str(1_000_000 + i), email=f"m{i}@example.se")
            for i in range(n)
        ),
        batch_size=5000,
    )
    draw = SampleDraw.objects.create(
        register=register, name=f"Bench {prefix}", target_size=n, seed=1, frame_size=n
    )
    SampleMember.objects.bulk_create(
        (
            SampleMember(draw=draw, member_id=pk, inclusion_probability=1)
            for pk in register.members.values_list("pk", flat=True)
        ),
        batch_size=5000,
    )
    poll = Poll.objects.create(slug=f"bench-{prefix[6:14]}", title_sv="Bench", state="open")
    poll.register = register
    poll.save()
    Invitation.objects.bulk_create(
        (
            Invitation(poll=poll, sample_member_id=pk)
            for pk in draw.members.values_list("pk", flat=True)
        ),
        batch_size=5000,
    )

    count = Value("l", 0)
    sink = Process(target=smtp_sink, args=(args.port, count), daemon=True)
    sink.start()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    workers = [celery_worker(f"bench{i}", env) for i in range(args.workers)]
    time.sleep(6)  # the workers connect to Redis
    try:
        with connection.cursor() as cursor:
            before = commits(cursor, name)
        start = time.perf_counter()
        with transaction.atomic():
            invitations_queue(poll=poll)
        polls = 0
        while True:
            polls += 1
            left = Invitation.objects.filter(poll=poll).exclude(status="sent").count()
            if not left:
                break
            if time.perf_counter() - start > 1800:
                raise SystemExit(f"timed out with {left} e-mails not sent")
            time.sleep(0.5)
        elapsed = time.perf_counter() - start
        with connection.cursor() as cursor:
            after = commits(cursor, name)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(30)
        sink.terminate()
    # The bench's own statements: 1 queuing transaction, its progress polls, the counter reads.
    worker_trips = after - before - polls - 3
    print(
        f"{n:,} invitations, {args.workers} worker processes (solo pool), batches of "
        f"{os.environ.get('INVITATION_BATCH_SIZE', 200)}"
    )
    print(
        f"all sent in {elapsed:.1f} s: {n / elapsed:,.0f} e-mails/s end to end; "
        f"the sink received {count.value:,}"
    )
    print(
        f"database round trips by the workers: {worker_trips:,} ({worker_trips / n:.3f} per e-mail)"
    )
    print(machine_line())
    Invitation.objects.filter(poll=poll).delete()
    poll.delete()
    SampleMember.objects.filter(draw=draw).delete()
    draw.delete()
    register.members.all().delete()
    register.delete()


if __name__ == "__main__":
    main()
