"""Benchmark: scale-out on one machine. Two gunicorn servers and two Celery workers, each a
process of its own as two hosts would run them, against one PostgreSQL and one Redis.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/medlemsrost_bench \\
    REDIS_URL=redis://127.0.0.1:6379/0 \\
        PYTHONPATH=. uv run python bench/scale_out.py [--duration 30] [--concurrency 32] \\
        [--invitations 5000]

It creates the database when it is missing and migrates it, then:

1. Answering: a poll of 4 single-choice questions on 2 pages and enough invitations for the
   run; both servers (`gunicorn config.wsgi --worker-class gthread --workers 2 --threads 8
   --preload`, tests/servers.py, as docker-compose.yml runs web) and the load driver of
   bench/answering.py (bench/_load.py, aiohttp, the real flow with CSRF) in a process of its
   own, sending each request to the next server in turn (a load balancer without sticky
   sessions). Every member comes from 127.0.0.1, so the per-address limit is lifted.
   Prints submissions/s per server and in total, requests per server from each access log, and
   whether responses = completed invitations = successful submits.
2. Invitations: --invitations members of a sample invited as the field page does
   (`invitations_queue`), sent by two `celery worker --pool=solo` processes with distinct node
   names to an SMTP sink (aiosmtpd in a process of its own, writing each recipient to a file);
   timed from the queuing to the last invitation marked sent. Prints e-mails/s, the batches
   each worker sent, and whether every recipient got exactly one e-mail.

Then the machine line. The benchmark's polls and registers are deleted at the end. Figures go
to bench/RESULTS.md by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from multiprocessing import Process
from pathlib import Path

from _setup import ROOT, celery_worker, ensure_database, machine_line

SUCCEEDED = re.compile(r"send_invitation_batch\[[^\]]+\] succeeded")


def smtp_sink(port: int, path: str) -> None:
    """Accepts everything; appends each recipient to `path`, one a line."""
    import asyncio

    from aiosmtpd.controller import Controller

    class Recorder:
        def __init__(self) -> None:
            self.file = open(path, "a", buffering=1)  # noqa: SIM115 (the process's lifetime)

        async def handle_DATA(self, server, session, envelope):
            for recipient in envelope.rcpt_tos:
                self.file.write(recipient + "\n")
            return "250 OK"

    controller = Controller(
        Recorder(), hostname="127.0.0.1", port=port, server_hostname="localhost"
    )
    controller.start()
    asyncio.run(asyncio.sleep(10**6))


def wait_for_log(path: Path, pattern: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and re.search(pattern, path.read_text()):
            return
        time.sleep(0.2)
    raise SystemExit(f"{path.name}: no {pattern!r} in {timeout} s:\n{path.read_text()[-3000:]}")


def drive(bases: list[str], tokens: list[str], args: argparse.Namespace, tmp: Path) -> dict:
    plan = tmp / "plan.json"
    plan.write_text(json.dumps({"tokens": tokens, "questions": {}}))
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "_load.py"),
            "--mode=flow",
            *(f"--base={base}" for base in bases),
            f"--plan={plan}",
            f"--duration={args.duration}",
            f"--concurrency={args.concurrency}",
        ],
        capture_output=True,
        text=True,
        timeout=args.duration + 180,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"the load driver failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=30, help="seconds of answering")
    parser.add_argument("--concurrency", type=int, default=32, help="members at once")
    parser.add_argument("--invitations", type=int, default=5000)
    parser.add_argument("--smtp-port", type=int, default=8926)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url.startswith("postgres") or not redis_url:
        print("bench/scale_out.py: skipped, it needs DATABASE_URL (PostgreSQL) and REDIS_URL.")
        return 0
    ensure_database("scale_out")
    prefix = f"bench-scale-{uuid.uuid4().hex[:8]}-"
    os.environ.update(
        CELERY_KEY_PREFIX=prefix,
        CACHE_KEY_PREFIX=prefix,
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from polls.models import Answer, Invitation, Poll, Response
    from polls.tasks import invitations_queue
    from tests.servers import Gunicorn, app_env, poll_with_invitations
    from tests.services import redis_delete_prefix

    call_command("migrate", verbosity=0)
    cleanup()  # what a run that died left
    members = int(100 * args.duration) + 500  # more than two servers answer here
    started = time.monotonic()
    answering_poll, tokens, _ = poll_with_invitations(members, label="bench-scale-answer")
    invited_poll, _, emails = poll_with_invitations(
        args.invitations, tokens=False, label="bench-scale-invite"
    )
    print(
        f"built a poll with {members:,} invitations to answer and one with"
        f" {args.invitations:,} to send in {time.monotonic() - started:.1f} s"
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average before the run: {load} (a shared machine: others may be running tests)")

    tmp = Path(tempfile.mkdtemp(prefix="bench-scale-out-"))
    sink_file = tmp / "recipients.txt"
    env = app_env(
        CACHE_KEY_PREFIX=prefix,
        CELERY_KEY_PREFIX=prefix,
        EMAIL_URL=f"smtp://127.0.0.1:{args.smtp_port}",
        SITE_URL="https://medlemsrost.example.org",
        MEMBER_RATE_PER_IP="1000000/m",  # every simulated member is 127.0.0.1
    )
    sink = Process(target=smtp_sink, args=(args.smtp_port, str(sink_file)), daemon=True)
    webs: list[Gunicorn] = []
    workers: list[tuple[str, subprocess.Popen, Path]] = []
    try:
        sink.start()
        webs = [Gunicorn(env=env, log_dir=tmp, name=name) for name in ("web-a", "web-b")]
        for name in ("worker-a", "worker-b"):
            log = tmp / f"{name}.log"
            workers.append((name, celery_worker(name, env, log), log))
        for web in webs:
            web.wait_ready()
        for name, _process, log in workers:
            wait_for_log(log, rf"{name}@\S+ ready\.")

        # 1. answering through both servers
        served_before = [web.requests_served() for web in webs]
        flow = drive([web.url for web in webs], tokens, args, tmp)
        served = [web.requests_served() - b for web, b in zip(webs, served_before, strict=True)]

        # 2. invitations through both workers
        poll = Poll.objects.get(pk=invited_poll)
        sending_started = time.perf_counter()
        with transaction.atomic():
            invitations_queue(poll=poll)
        unsent = Invitation.objects.filter(poll=poll).exclude(status=Invitation.Status.SENT)
        while unsent.exists():
            if time.perf_counter() - sending_started > 900:
                raise SystemExit(f"timed out with {unsent.count()} e-mails not sent")
            time.sleep(0.2)
        sending = time.perf_counter() - sending_started
        time.sleep(2)  # a duplicate would arrive now
        batches = [len(SUCCEEDED.findall(log.read_text())) for _name, _p, log in workers]
    finally:
        for web in webs:
            web.process.terminate()
        for _name, process, _log in workers:
            process.terminate()
        for web in webs:
            web.stop()
        for _name, process, _log in workers:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        sink.terminate()
        redis_delete_prefix(redis_url, prefix)

    stored = Response.objects.filter(poll_id=answering_poll).count()
    completed = Invitation.objects.filter(
        poll_id=answering_poll, status=Invitation.Status.COMPLETED
    ).count()
    answers = Answer.objects.filter(response__poll_id=answering_poll).count()
    received = Counter(sink_file.read_text().split()) if sink_file.exists() else Counter()
    answering_ok = stored == completed == flow["submitted"] and answers == 4 * stored
    sending_ok = received == Counter(emails)

    elapsed = flow["elapsed"]
    errors = sum(flow["errors"].values())
    print()
    print(
        f"answering: 4 questions on 2 pages, {args.concurrency} members at once, {elapsed:.1f} s,"
        " each request to the next server in turn; per server gunicorn gthread 2 workers × 8"
        " threads"
    )
    for web, count in zip(webs, served, strict=True):
        submits = flow["submitted_by_base"].get(web.url, 0)
        print(
            f"  {web.name}: {submits / elapsed:.1f} submissions/s ({submits} final POSTs),"
            f" {count} requests in its access log"
        )
    print(
        f"  total: {flow['submitted']} submissions = {flow['per_second']:.1f}/s, errors {errors}"
        f" {flow['errors'] or ''}"
    )
    for example in flow["error_examples"]:
        print(f"    e.g. {example!r}")
    for kind, row in flow["latency_ms"].items():
        print(
            f"  {kind:<12} n={row['n']:>6}  p50 {row['p50']:7.1f}  p95 {row['p95']:7.1f}"
            f"  p99 {row['p99']:7.1f} ms"
        )
    print(
        f"  responses {stored}, invitations completed {completed}, successful submits"
        f" {flow['submitted']}, answers {answers} (4 each):"
        f" {'nothing lost or duplicated' if answering_ok else 'NOT EQUAL'}"
    )
    print(
        f"invitations: {args.invitations:,} sent in {sending:.1f} s ="
        f" {args.invitations / sending:,.0f} e-mails/s by two workers (solo pool), batches of"
        f" {os.environ.get('INVITATION_BATCH_SIZE', 200)}: worker-a {batches[0]},"
        f" worker-b {batches[1]}"
    )
    twice = sum(1 for n in received.values() if n > 1)
    missing = len(set(emails) - set(received))
    print(
        f"  the sink received {sum(received.values()):,} e-mails for {len(received):,}"
        f" recipients: {missing} missing, {twice} twice:"
        f" {'each exactly once' if sending_ok else 'NOT EXACTLY ONCE'}"
    )
    print(machine_line("load driver and SMTP sink on the same machine"))

    cleanup()
    return 0 if answering_ok and sending_ok and not errors else 1


def cleanup() -> None:
    """Delete the benchmark's polls and registers (of this run and of runs that died), children
    first: responses and questions are protected."""
    from polls.models import Answer, Draft, Invitation, Option, Poll, Question, Response, Section
    from respondents.models import Member, Register, SampleDraw, SampleMember

    polls = Poll.objects.filter(slug__startswith="bench-scale-")
    Answer.objects.filter(response__poll__in=polls).delete()
    Response.objects.filter(poll__in=polls).delete()
    Draft.objects.filter(invitation__poll__in=polls).delete()
    Invitation.objects.filter(poll__in=polls).delete()
    Option.objects.filter(question__poll__in=polls).delete()
    Question.objects.filter(poll__in=polls).delete()
    Section.objects.filter(poll__in=polls).delete()
    polls.delete()
    registers = Register.objects.filter(name__startswith="bench-scale-")
    SampleMember.objects.filter(draw__register__in=registers).delete()
    SampleDraw.objects.filter(register__in=registers).delete()
    Member.objects.filter(register__in=registers).delete()
    registers.delete()


if __name__ == "__main__":
    sys.exit(main())
