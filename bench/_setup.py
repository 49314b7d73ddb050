"""What every benchmark does first: a database to run on, and the line that names the machine."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# A union's members by län and by sector (relative sizes), for the synthetic registers.
REGIONS = {
    "Stockholm": 24,
    "Västra Götaland": 17,
    "Skåne": 14,
    "Östergötland": 5,
    "Uppsala": 4,
    "Jönköping": 4,
    "Halland": 3,
    "Örebro": 3,
    "Södermanland": 3,
    "Dalarna": 3,
    "Gävleborg": 3,
    "Värmland": 3,
    "Västmanland": 3,
    "Västernorrland": 2,
    "Norrbotten": 2,
    "Kalmar": 2,
    "Västerbotten": 2,
    "Kronoberg": 2,
    "Blekinge": 1,
    "Jämtland": 1,
    "Gotland": 1,
}
SECTORS = {"Kommun": 55, "Region": 15, "Stat": 10, "Privat": 15, "Ideell": 5}


def ensure_database(sqlite_name: str) -> None:
    """DATABASE_URL's PostgreSQL database, created if missing; a /tmp SQLite file if unset."""
    sys.path.insert(0, str(ROOT))
    if not os.environ.get("DATABASE_URL"):
        path = Path(tempfile.gettempdir()) / f"{sqlite_name}.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
        return
    from scripts.services_env import ensure_database as create_if_missing

    if create_if_missing(os.environ):
        raise SystemExit(1)


def machine_line(*extra: str) -> str:
    from django.db import connection

    version = ".".join(str(part) for part in connection.get_database_version())
    parts = [
        platform.platform(),
        f"{os.cpu_count()} CPUs",
        f"Python {platform.python_version()}",
        *extra,
        f"{connection.display_name} {version}",
    ]
    return "machine: " + ", ".join(parts)


def celery_worker(name: str, env: dict[str, str], log: Path | None = None) -> subprocess.Popen:
    """A Celery worker of one process (solo pool) named `name`, as a bench's worker host; its
    output goes to `log` (nothing kept without one)."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "-l",
            "info" if log else "warning",
            "-n",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log.open("w") if log else subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
