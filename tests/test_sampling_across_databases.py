"""The same register export, design and seed give the same members on SQLite and PostgreSQL."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from respondents.models import SampleDraw

DRAW = [
    "--size",
    "60",
    "--seed",
    "2026",
    "--name",
    "Urval",
    "--strata",
    "region,sektor",
    "--allocation",
    "optimal",
]
SHOW = (
    "import json; from respondents.models import SampleDraw; "
    "print(json.dumps(sorted(SampleDraw.objects.get(name='Urval')"
    ".members.values_list('member__number', 'stratum'))))"
)


def export(path: Path) -> Path:
    regions, sectors = ["Skåne", "Norrbotten", "Stockholm"], ["Kommun", "Region"]
    # Membership numbers whose text order differs from their numeric order, on purpose.
    lines = ["Medlemsnummer;E-post;region;sektor"] + [
        f"{n * 7919 % 100_003};m{n}@example.org;{regions[n % 3]};{sectors[n % 2]}"
        for n in range(1, 800)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def manage(env, *args) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_sqlite_and_postgresql_draw_the_same_members(needs_postgres, db, tmp_path):
    members = export(tmp_path / "medlemmar.csv")

    call_command("import_members", str(members), register="Socionomer")
    call_command("draw_sample", "--register", "Socionomer", *DRAW)
    on_postgresql = sorted(
        [number, stratum]
        for number, stratum in SampleDraw.objects.get(name="Urval").members.values_list(
            "member__number", "stratum"
        )
    )

    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "import_members", str(members), "--register", "Socionomer")
    manage(env, "draw_sample", "--register", "Socionomer", *DRAW)
    on_sqlite = json.loads(manage(env, "shell", "-v0", "-c", SHOW).strip().splitlines()[-1])

    assert len(on_postgresql) == 60
    assert on_sqlite == on_postgresql
