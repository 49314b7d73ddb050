"""Benchmark: importing a member register of 1,000,000 rows, then next month's export of it.

On PostgreSQL (the target: under 60 s for the first import of 1,000,000 rows):

    createdb -h 127.0.0.1 -U postgres medlemsrost_bench   # optional: the script creates it
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/medlemsrost_bench \\
        PYTHONPATH=. uv run python bench/importing.py [--rows 1000000] [--keep]

The script creates the database when it is missing and migrates it. Without DATABASE_URL it runs
on a throwaway SQLite file in /tmp, never on the project's db.sqlite3. The export is written to
/tmp the way Swedish Excel saves CSV (";", Windows-1252). It is imported into a new register,
which is deleted at the end unless --keep. Parsing (decoding, validation) and writing are timed
separately; results go to bench/RESULTS.md by hand.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path

from _setup import REGIONS, SECTORS, ensure_database, machine_line

HEADER = "Medlemsnummer;E-post;Län;Sektor"
MAPPING = {"Län": "region", "Sektor": "sector"}


def write_export(path: Path, rows: int, *, seed: int, month: int) -> None:
    """Month 1: members 1..rows. Month 2: the first 1% have left, 1% new members, 5% moved."""
    rng = random.Random(seed)
    regions, region_weights = list(REGIONS), list(REGIONS.values())
    sectors, sector_weights = list(SECTORS), list(SECTORS.values())
    region_of = rng.choices(regions, region_weights, k=rows + rows // 100)
    sector_of = rng.choices(sectors, sector_weights, k=rows + rows // 100)
    first, stop = (0, rows) if month == 1 else (rows // 100, rows + rows // 100)
    lines = [HEADER]
    for i in range(first, stop):
        region = region_of[i]
        if month == 2 and i % 20 == 7:
            region = regions[(regions.index(region) + 1) % len(regions)]
        number = 1_000_001 + i
        lines.append(f"{number};medlem.{number}@example.se;{region};{sector_of[i]}")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))


class Timer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def run(self, label: str, function, *args, **kwargs):
        start = time.perf_counter()
        result = function(*args, **kwargs)
        seconds = time.perf_counter() - start
        self.lines.append(f"{label:<28} {seconds:7.1f} s")
        print(self.lines[-1], flush=True)
        return result, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="Keep the register afterwards.")
    args = parser.parse_args()

    ensure_database("medlemsrost_bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from respondents.importing import read_members, register_write_members
    from respondents.models import Member, Register
    from respondents.population import register_population_counts

    call_command("migrate", verbosity=0)
    print(machine_line())
    timer = Timer()
    month1 = Path(tempfile.gettempdir()) / f"medlemsrost_bench_{args.rows}_1.csv"
    month2 = Path(tempfile.gettempdir()) / f"medlemsrost_bench_{args.rows}_2.csv"
    timer.run("generate the file", write_export, month1, args.rows, seed=2026, month=1)
    write_export(month2, args.rows, seed=2026, month=2)
    print(f"file: {month1} ({month1.stat().st_size / 1e6:.1f} MB, ';', Windows-1252)")

    name = f"Bench {args.rows} rows {time.strftime('%Y-%m-%d %H:%M:%S')}"
    parsed, parse1 = timer.run(
        "first import: parse", read_members, month1.read_bytes(), mapping=MAPPING
    )
    assert not parsed.errors and len(parsed.rows) == args.rows
    report, write1 = timer.run(
        "first import: write", register_write_members, name=name, parsed=parsed
    )
    print(f"    {report.added} added")
    del parsed
    parsed, parse2 = timer.run(
        "re-import: parse", read_members, month2.read_bytes(), mapping=MAPPING
    )
    report, write2 = timer.run("re-import: write", register_write_members, name=name, parsed=parsed)
    print(
        f"    {report.added} added, {report.updated} updated ({report.changed} with changes), "
        f"{report.left} left"
    )
    del parsed
    register = Register.objects.get(name=name)
    counts, _seconds = timer.run(
        "population counts", register_population_counts, register, ["region", "sector"]
    )
    assert counts["total"] == args.rows
    print(f"first import total {parse1 + write1:.1f} s, re-import total {parse2 + write2:.1f} s")

    if not args.keep:
        with transaction.atomic(), connection.cursor() as cursor:
            table = connection.ops.quote_name(Member._meta.db_table)
            cursor.execute(f"DELETE FROM {table} WHERE register_id = %s", [register.pk])
            register.delete()
        month1.unlink()
        month2.unlink()


if __name__ == "__main__":
    main()
