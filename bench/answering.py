"""Benchmark: members answering a 20-question poll at once, beside two ceilings, in one run.

On PostgreSQL, in a database of its own (created and migrated when missing; its polls and
registers are emptied at the start of every run):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/medlemsrost_bench_answering \\
        PYTHONPATH=. uv run python bench/answering.py [--pages 1|4] [--duration 30] \\
        [--concurrency 64] [--workers 5] [--profile 10]

Without DATABASE_URL it uses the database above on 127.0.0.1:5432. REDIS_URL is passed to the
servers as it is (the product's cache and broker, as in production); unset, they run without.

1. The product: `gunicorn config.wsgi` (sync workers, `--workers`) on 127.0.0.1, and a load
   driver in a separate process (bench/_load.py, aiohttp) in which `--concurrency` members each
   take a fresh invitation and do the real flow: GET the form, POST each page with the CSRF
   token and cookie (Next), GET the next page after the redirect, until the thank-you page.
   Afterwards the responses in the database must equal the successful submits.
2. The minimal-view ceiling: the same gunicorn command with `bench._minimal_settings` (no
   middleware, one view doing one submission's writes with raw SQL), the same driver POSTing
   whole submissions to it.
3. The PostgreSQL ceiling: pgbench running the same transaction (the same statements as the
   minimal view) with as many clients.

Prints completed submissions/s, p50/p95/p99 per request type, errors, the ratios and the
machine line; `--profile N` also samples the product's workers with py-spy for N seconds in the
middle of the run and prints where the time goes (py-spy takes CPU from the same two cores:
record the figures from a run without it). Figures go to bench/RESULTS.md by hand.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

from _setup import ROOT, SECTORS, ensure_database, machine_line

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/medlemsrost_bench_answering"
QUESTIONS = 20
OPTIONS = 5
CEILING_POOL = 5000  # invitations the minimal view and pgbench cycle through


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the data -----------------------------------------------------------------------------------


def build(*, pages: int, invitations: int) -> dict:
    """Two identical 20-question polls with invitations: one answered through the product, one
    for the ceilings. Returns the tokens and ids the drivers need."""
    from django.db import connection, transaction
    from django.utils import timezone

    from polls.models import Invitation, Option, Poll, Question, Section, hash_token
    from respondents.models import Member, Register, SampleDraw, SampleMember

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE polls_poll, respondents_register CASCADE")
    sectors = list(SECTORS)
    now = timezone.now()
    plan: dict = {}
    with transaction.atomic():
        register = Register.objects.create(name="Bench answering", variables=["region", "sektor"])
        total = invitations + CEILING_POOL
        Member.objects.bulk_create(
            (
                Member(
                    register=register,
                    number=str(100000 + i),
                    email=f"m{i}@example.org",
                    attributes={"region": "Skåne", "sektor": sectors[i % len(sectors)]},
                )
                for i in range(total)
            ),
            batch_size=5000,
        )
        draw = SampleDraw.objects.create(
            register=register, name="Bench", target_size=total, seed=1, frame_size=total
        )
        SampleMember.objects.bulk_create(
            (
                SampleMember(draw=draw, member_id=pk, inclusion_probability=0.5)
                for pk in Member.objects.filter(register=register).values_list("pk", flat=True)
            ),
            batch_size=5000,
        )
        sample_ids = list(
            SampleMember.objects.filter(draw=draw).order_by("pk").values_list("pk", flat=True)
        )
        for name, ids in (
            ("flow", sample_ids[:invitations]),
            ("ceiling", sample_ids[invitations:]),
        ):
            poll = Poll.objects.create(
                slug=f"bench-answering-{name}",
                title_sv="Arbetsmiljö och lön 2026",
                title_en="Working conditions and pay 2026",
                state=Poll.State.OPEN,
                opens_at=now - timezone.timedelta(days=1),
                closes_at=now + timezone.timedelta(days=30),
                register=register,
                reporting_variables=["sektor"],
            )
            sections = (
                [
                    Section.objects.create(poll=poll, order=i, title_sv=f"Del {i + 1}")
                    for i in range(pages)
                ]
                if pages > 1
                else [None]
            )
            questions = {}
            per_page = QUESTIONS // len(sections)
            for i in range(QUESTIONS):
                question = Question.objects.create(
                    poll=poll,
                    section=sections[min(i // per_page, len(sections) - 1)],
                    order=i,
                    code=f"q{i + 1}",
                    kind=Question.Kind.SINGLE,
                    text_sv=f"Fråga {i + 1}: hur nöjd är du med din arbetssituation?",
                    text_en=f"Question {i + 1}: how satisfied are you with your work?",
                )
                options = Option.objects.bulk_create(
                    Option(
                        question=question,
                        order=j,
                        code=f"o{j}",
                        label_sv=label,
                        label_en=label,
                    )
                    for j, label in enumerate(
                        ["Mycket nöjd", "Ganska nöjd", "Inte så nöjd", "Inte alls nöjd", "Vet ej"]
                    )
                )
                questions[question.pk] = [option.pk for option in options]
            tokens = [secrets.token_urlsafe(16) for _ in ids]
            Invitation.objects.bulk_create(
                (
                    Invitation(
                        poll=poll,
                        sample_member_id=sample_id,
                        token_hash=hash_token(token),
                        status=Invitation.Status.SENT,
                    )
                    for sample_id, token in zip(ids, tokens, strict=True)
                ),
                batch_size=5000,
            )
            first = Invitation.objects.filter(poll=poll).order_by("pk").values_list("pk", flat=True)
            plan[name] = {
                "poll_id": poll.pk,
                "tokens": tokens,
                "questions": questions,
                "invitation_range": (first.first(), first.last()),
            }
    return plan


def responses_in(poll_id: int) -> int:
    from polls.models import Response

    return Response.objects.filter(poll_id=poll_id).count()


# --- servers and drivers ------------------------------------------------------------------------


class Gunicorn:
    def __init__(self, *, settings: str, workers: int, env: dict[str, str]) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile("w+", prefix="bench-gunicorn-", suffix=".log")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--log-level",
                "warning",
                # The app imported once, before the fork, as docker-compose.yml runs it: every
                # worker serves from its first moment (otherwise workers still importing Django
                # under the load count their imports as the product's CPU).
                "--preload",
                # e.g. BENCH_GUNICORN_ARGS="--worker-class gthread --threads 8" (both servers)
                *os.environ.get("BENCH_GUNICORN_ARGS", "").split(),
            ],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": settings},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.workers = workers

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited:\n{self.tail()}")
            try:
                urllib.request.urlopen(f"{self.base}/s/warm-up/", timeout=5)  # noqa: S310
            except urllib.error.HTTPError:
                break  # an answer (404): the workers are up
            except OSError:
                time.sleep(0.2)
                continue
            break
        else:
            raise SystemExit(f"gunicorn did not answer within {timeout} s:\n{self.tail()}")
        # Each worker loads the URLconf and templates on its first request: warm them all.
        for _ in range(self.workers * 4):
            with contextlib.suppress(OSError):  # HTTPError (the 404 expected) is an OSError
                urllib.request.urlopen(f"{self.base}/s/warm-up/", timeout=10)  # noqa: S310

    def worker_pids(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def cpu_seconds(self) -> float:
        """User + system CPU time of the workers so far (Linux /proc)."""
        return sum(self.cpu_times())

    def cpu_times(self) -> tuple[float, float]:
        """(user, system) CPU time of the workers so far (Linux /proc)."""
        ticks = os.sysconf("SC_CLK_TCK")
        user = system = 0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            user, system = user + int(fields[11]), system + int(fields[12])
        return user / ticks, system / ticks

    def tail(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return "".join(self.log.readlines()[-30:])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def drive(*, mode: str, server: Gunicorn, plan: dict, args: argparse.Namespace) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="bench-plan-") as file:
        json.dump({"tokens": plan["tokens"], "questions": plan["questions"]}, file)
        file.flush()
        command = [
            sys.executable,
            str(ROOT / "bench" / "_load.py"),
            f"--mode={mode}",
            f"--base={server.base}",
            f"--plan={file.name}",
            f"--duration={args.duration}",
            f"--concurrency={args.concurrency}",
        ]
        times_before, machine_before = server.cpu_times(), machine_cpu()
        cpu_before = sum(times_before)
        services_before = services_cpu()
        driver = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        profile = None
        if args.profile and mode == "flow":
            time.sleep(min(8.0, args.duration / 4))
            profile = py_spy(server, seconds=min(args.profile, args.duration - 4))
        out, _ = driver.communicate(timeout=args.duration + 120)
        result = json.loads(out)
        result["server_cpu"] = server.cpu_seconds() - cpu_before
        result["server_system_cpu"] = server.cpu_times()[1] - times_before[1]
        result["services_cpu"] = {
            name: seconds - services_before[name] for name, seconds in services_cpu().items()
        }
        (busy, total), (busy_before, total_before) = machine_cpu(), machine_before
        busy, total = busy - busy_before, total - total_before
        result["machine_busy"] = busy / total if total else float("nan")
        result["profile"] = profile
        if driver.returncode:
            raise SystemExit(f"the load driver failed ({driver.returncode})")
        return result


def services_cpu() -> dict[str, float]:
    """User + system CPU seconds of PostgreSQL and Redis so far (Linux /proc), every process of
    theirs; the children's time that a parent has reaped (a backend whose connection closed)
    counts through the parent's cutime/cstime."""
    ticks = os.sysconf("SC_CLK_TCK")
    names = {"postgres": "PostgreSQL", "redis-server": "Redis"}
    totals = dict.fromkeys(names.values(), 0.0)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm = text[text.index("(") + 1 : text.rindex(")")]
        if comm not in names:
            continue
        fields = text.rsplit(")", 1)[1].split()
        totals[names[comm]] += sum(int(x) for x in fields[11:15]) / ticks
    return totals


def machine_cpu() -> tuple[int, int]:
    """(busy, total) CPU time of the whole machine so far, in ticks (Linux /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def py_spy(server: Gunicorn, *, seconds: float) -> str | None:
    """Sampled stacks of every worker for `seconds`, summarised; None without py-spy."""
    binary = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(binary).exists():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "stacks.txt"
        done = subprocess.run(
            [
                binary,
                "record",
                "--pid",
                str(server.process.pid),
                "--subprocesses",
                "--duration",
                str(max(1, int(seconds))),
                "--rate",
                "100",
                "--format",
                "raw",
                "--output",
                str(out),
                "--nonblocking",
                # Only the threads holding the GIL: where the workers' Python spends CPU
                # (gthread workers' threads waiting for PostgreSQL or Redis drop out).
                *(["--gil"] if os.environ.get("BENCH_PROFILE_GIL") else []),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode or not out.exists():
            return f"py-spy failed: {done.stderr.strip()[-300:]}"
        return summarise_stacks(out.read_text())


def summarise_stacks(raw: str, top: int = 22) -> str:
    """Collapsed stacks ("a;b;c 12") of the workers -> the functions with the largest share of
    samples, inclusive (on the stack) and self (at the top of it)."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [frame.split(" (")[0] + frame_file(frame) for frame in stack.split(";")]
        frames = [f for f in frames if not f.startswith("process ")]
        if not frames:
            continue
        samples = int(count)
        total += samples
        own[frames[-1]] += samples
        for frame in set(frames):
            inclusive[frame] += samples
    if not total:
        return "no samples"
    lines = [f"{total} samples of the workers (idle included: accept/select)", "self:"]
    lines += [f"  {100 * n / total:5.1f} %  {name}" for name, n in own.most_common(top)]
    lines.append("inclusive:")
    lines += [f"  {100 * n / total:5.1f} %  {name}" for name, n in inclusive.most_common(top * 2)]
    return "\n".join(lines)


def frame_file(frame: str) -> str:
    """' (django/db/models/query.py)' from 'clone (django/db/models/query.py:123)'."""
    if " (" not in frame:
        return ""
    where = frame.split(" (", 1)[1].rstrip(")")
    where = where.split("site-packages/")[-1].split(str(ROOT) + "/")[-1]
    return f" ({where.rsplit(':', 1)[0]})"


def pgbench(*, plan: dict, args: argparse.Namespace, database_url: str, clients: int) -> dict:
    """The same transaction as the minimal view, in pgbench with `clients` clients."""
    binary = shutil.which("pgbench")
    if binary is None:
        return {"error": "pgbench not found (apt-get install postgresql-client)"}
    first, last = plan["invitation_range"]
    answers = ", ".join(
        f"(':rid', {qid}, {options[n % len(options)]})"
        for n, (qid, options) in enumerate(plan["questions"].items())
    )
    script = f"""\\set id random({first}, {last})
BEGIN;
SELECT i.id, i.poll_id, m.attributes FROM polls_invitation i
  JOIN respondents_samplemember s ON s.id = i.sample_member_id
  JOIN respondents_member m ON m.id = s.member_id WHERE i.id = :id;
UPDATE polls_invitation SET status = 'completed' WHERE id = :id;
DELETE FROM polls_draft WHERE invitation_id = :id;
INSERT INTO polls_response (id, poll_id, submitted_on, attributes)
  VALUES (gen_random_uuid(), {plan["poll_id"]}, CURRENT_DATE, '{{"sektor": "Kommun"}}')
  RETURNING id AS rid \\gset
INSERT INTO polls_answer (response_id, question_id, option_id) VALUES {answers};
END;
"""
    with tempfile.NamedTemporaryFile("w", suffix=".sql", prefix="bench-pgbench-") as file:
        file.write(script)
        file.flush()
        done = subprocess.run(
            [
                binary,
                "--no-vacuum",
                f"--client={clients}",
                "--jobs=2",
                f"--time={max(1, int(args.duration))}",
                f"--file={file.name}",
                database_url.replace("postgres://", "postgresql://", 1),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    result: dict = {"output": done.stdout}
    for line in done.stdout.splitlines():
        if line.startswith("tps = ") and "without initial connection" in line:
            result["per_second"] = float(line.split()[2])
        if line.startswith("latency average"):
            result["latency_avg_ms"] = float(line.split()[3])
        if "failed transactions" in line or line.startswith("number of failed"):
            result["failed"] = line.strip()
    if done.returncode or "per_second" not in result:
        result["error"] = (done.stderr or done.stdout).strip()[-500:]
    return result


# --- the report ---------------------------------------------------------------------------------


def print_latencies(result: dict) -> None:
    for kind, row in result["latency_ms"].items():
        print(
            f"  {kind:<13} n={row['n']:>6}  p50 {row['p50']:7.1f}  p95 {row['p95']:7.1f}"
            f"  p99 {row['p99']:7.1f}  max {row['max']:7.1f} ms"
        )


def print_run(title: str, result: dict) -> None:
    errors = sum(result["errors"].values())
    print(
        f"{title}: {result['submitted']} submissions in {result['elapsed']:.1f} s ="
        f" {result['per_second']:.1f}/s, errors {errors} {result['errors'] or ''}"
    )
    for example in result["error_examples"]:
        print(f"  e.g. {example!r}")
    requests = sum(row["n"] for row in result["latency_ms"].values())
    if result["submitted"]:
        cpu_ms = 1000 * result["server_cpu"]
        print(
            f"  server CPU {result['server_cpu']:.1f} s: {cpu_ms / result['submitted']:.1f} ms per"
            f" submission, {cpu_ms / max(requests, 1):.1f} ms per request ({requests} requests),"
            f" {100 * result['server_system_cpu'] / max(result['server_cpu'], 1e-9):.0f} % of it"
            " in the kernel"
        )
    print(
        f"  load driver CPU {result['driver_cpu']:.1f} s; the machine's CPUs were"
        f" {100 * result['machine_busy']:.0f} % busy (everything on it, other users included)"
    )
    if result["submitted"]:
        per = 1000 / result["submitted"]
        parts = [("workers", result["server_cpu"]), ("load driver", result["driver_cpu"])]
        parts += list(result["services_cpu"].items())
        print(
            "  CPU per submission: "
            + ", ".join(f"{name} {seconds * per:.2f} ms" for name, seconds in parts)
            + f" (sum {sum(seconds for _, seconds in parts) * per:.2f} ms)"
        )
    if result["out_of_tokens"]:
        print("  NOTE: the run used up its invitations before the time was over (--invitations)")
    print_latencies(result)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, choices=[1, 4], default=1)
    parser.add_argument("--duration", type=float, default=30, help="seconds per measurement")
    parser.add_argument("--concurrency", type=int, default=64, help="members at once")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--invitations", type=int, help="for the product (default: 150/s)")
    parser.add_argument("--profile", type=float, default=0, help="py-spy seconds (0: none)")
    parser.add_argument("--skip-ceilings", action="store_true")
    args = parser.parse_args()
    if args.duration < 5:
        parser.error("--duration: at least 5 s")
    invitations = args.invitations or int(150 * args.duration) + 500

    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    database_url = os.environ["DATABASE_URL"]
    if not database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench/answering.py runs on PostgreSQL only (DATABASE_URL postgres://...)")
    ensure_database("unused")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.monotonic()
    plan = build(pages=args.pages, invitations=invitations)
    print(
        f"built 2 polls of {QUESTIONS} questions on {args.pages} page(s), {invitations}"
        f" + {CEILING_POOL} invitations in {time.monotonic() - started:.1f} s"
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average before the run: {load} (a shared machine: others may be running tests)")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CACHE_KEY_PREFIX": f"bench-answering-{secrets.token_hex(4)}",
        "CELERY_KEY_PREFIX": f"bench-answering-{secrets.token_hex(4)}-",
        "DEBUG": "false",
        # Every simulated member comes from 127.0.0.1: the per-address limit (issue 12) would
        # stop the load test itself. The per-token-prefix limit and its Redis calls stay on.
        "MEMBER_RATE_PER_IP": os.environ.get("MEMBER_RATE_PER_IP", "1000000/m"),
    }
    extra = os.environ.get("BENCH_GUNICORN_ARGS", "")
    server_line = (
        f"gunicorn {args.workers} workers {extra}".rstrip()
        if extra
        else (f"gunicorn {args.workers} sync workers")
    )
    redis = "Redis" if os.environ.get("REDIS_URL") else "no Redis"

    product = Gunicorn(settings="config.settings", workers=args.workers, env=env)
    try:
        product.wait_ready()
        flow = drive(mode="flow", server=product, plan=plan["flow"], args=args)
    finally:
        product.stop()
    stored = responses_in(plan["flow"]["poll_id"])
    from polls.models import Invitation

    completed = Invitation.objects.filter(
        poll_id=plan["flow"]["poll_id"], status=Invitation.Status.COMPLETED
    ).count()

    minimal = postgres = postgres_at_workers = None
    if not args.skip_ceilings:
        ceiling_server = Gunicorn(settings="bench._minimal_settings", workers=args.workers, env=env)
        try:
            ceiling_server.wait_ready()
            minimal = drive(mode="minimal", server=ceiling_server, plan=plan["ceiling"], args=args)
        finally:
            ceiling_server.stop()
        postgres = pgbench(
            plan=plan["ceiling"], args=args, database_url=database_url, clients=args.concurrency
        )
        # As many transactions at once as the server can have (one per sync worker): what
        # PostgreSQL gives the minimal view when every commit waits for its WAL flush.
        postgres_at_workers = pgbench(
            plan=plan["ceiling"], args=args, database_url=database_url, clients=args.workers
        )

    print()
    print(
        f"{QUESTIONS} questions on {args.pages} page(s), {args.concurrency} members at once,"
        f" {args.duration:g} s, {server_line}, {redis}, driver: aiohttp in a separate process"
    )
    print_run("product (real flow)", flow)
    ok = stored == flow["submitted"] == completed
    print(
        f"  responses in the database {stored}, invitations completed {completed},"
        f" successful submits {flow['submitted']}: {'equal' if ok else 'NOT EQUAL'}"
    )
    if minimal is not None:
        print_run("minimal Django view (raw SQL, same gunicorn)", minimal)
    if postgres is not None:
        if "error" in postgres:
            print(f"pgbench: {postgres['error']}")
        else:
            print(
                f"PostgreSQL (pgbench, same transaction, {args.concurrency} clients):"
                f" {postgres['per_second']:.0f}/s, latency average"
                f" {postgres.get('latency_avg_ms', float('nan')):.1f} ms"
                + (f", {postgres['failed']}" if "failed" in postgres else "")
            )
    if postgres_at_workers is not None and "per_second" in postgres_at_workers:
        print(
            f"PostgreSQL (pgbench, {args.workers} clients = the workers):"
            f" {postgres_at_workers['per_second']:.0f}/s, latency average"
            f" {postgres_at_workers.get('latency_avg_ms', float('nan')):.1f} ms"
        )
    if minimal and minimal["per_second"]:
        print(
            f"product / minimal view: {100 * flow['per_second'] / minimal['per_second']:.1f} %"
            f" ({100 * flow['per_second'] * args.pages / minimal['per_second']:.1f} % per page)"
        )
    if postgres and postgres.get("per_second"):
        print(
            f"product / PostgreSQL: {100 * flow['per_second'] / postgres['per_second']:.1f} %;"
            f" minimal view / PostgreSQL:"
            f" {100 * (minimal or {}).get('per_second', 0) / postgres['per_second']:.1f} %"
        )
    if flow["profile"]:
        print("\nprofile of the product's workers (py-spy):")
        print(flow["profile"])
    print(machine_line(server_line, "load driver on the same machine"))
    errors = sum(flow["errors"].values())
    return 0 if ok and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
