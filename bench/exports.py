"""Benchmark: exporting a poll of 100,000 responses as microdata CSV, XLSX and SPSS .sav, and
its aggregated tables, with the domain function the export job runs (`export_run`).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/medlemsrost_bench_results \\
        PYTHONPATH=. uv run python bench/exports.py [--responses 100000]

It uses (and on the first run builds) the poll of bench/results.py, in the same database.
Prints the time, rows per second and file size of each export, then the machine line.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import os
import pathlib
import time

from _setup import ensure_database, machine_line

# bench/results.py builds the poll; loaded under another name (the project has a results app).
_spec = importlib.util.spec_from_file_location(
    "bench_results", pathlib.Path(__file__).with_name("results.py")
)
assert _spec is not None and _spec.loader is not None
bench_results = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_results)
SLUG, build = bench_results.SLUG, bench_results.build


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=300_000)
    parser.add_argument("--invited", type=int, default=200_000)
    args = parser.parse_args()
    ensure_database("medlemsrost_bench_results")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from polls.models import Poll
    from results.exports.jobs import export_run

    call_command("migrate", verbosity=0)
    poll = Poll.objects.filter(slug=SLUG).first()
    if poll is None or poll.responses.count() != args.responses:
        poll = build(args.responses, args.members, args.invited)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
    poll = Poll.objects.select_related("register").get(pk=poll.pk)
    n = poll.responses.count()
    print(f"poll: {n:,} responses, {poll.questions.count()} questions")
    for kind, fmt, by in [
        ("microdata", "csv", ""),
        ("microdata", "xlsx", ""),
        ("microdata", "sav", ""),
        ("aggregates", "csv", "sektor"),
        ("aggregates", "xlsx", "sektor"),
    ]:
        out = io.BytesIO()
        start = time.perf_counter()
        rows = export_run(poll=poll, kind=kind, format=fmt, by=by, out=out)
        seconds = time.perf_counter() - start
        print(
            f"{kind:10} {fmt:4}: {seconds:6.1f} s, {rows / seconds:8,.0f} rows/s, "
            f"{len(out.getvalue()) / 1e6:6.1f} MB ({rows:,} rows)"
        )
    print(machine_line())


if __name__ == "__main__":
    main()
