#!/usr/bin/env python3
"""Which local services can the tests use? Prints shell `export` lines for the ones that answer.

Used by `make test` as `eval "$(python scripts/services_env.py)"`:

- DATABASE_URL / REDIS_URL already set to a non-empty value: kept as they are (not probed away).
- Set but empty (`DATABASE_URL=` / `REDIS_URL=`), or NO_SERVICES=1: that service is not used,
  the tests run on SQLite (pytest-django: in memory) and Celery runs tasks in-process.
- Not set: PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 are probed with short
  timeouts and used when they answer.
- Chromium: CHROMIUM_PATH (default /usr/bin/chromium); set but empty, or NO_SERVICES=1: not used.

stdout: the export/unset lines, and `export MEDLEMSROST_SERVICES="PostgreSQL yes, Redis no, ..."`.
stderr: one human line, e.g. "Services: PostgreSQL yes, Redis yes, Chromium no (...)".

`--ensure-database` instead creates the database named by a postgres DATABASE_URL when it is
missing (for `make demo`) and prints nothing on stdout.

Plain Python: psycopg and redis are used when importable (they are in the project's venv),
otherwise a bare TCP connect decides.
"""

from __future__ import annotations

import os
import shlex
import socket
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

PG_HOST, PG_PORT = "127.0.0.1", 5432
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
DEFAULT_DATABASE_URL = f"postgres://postgres@{PG_HOST}:{PG_PORT}/medlemsrost"
DEFAULT_REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
TIMEOUT = 1.5  # seconds, per probe
POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql", "postgis", "psql")


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _tcp_open(host: str, port: int, timeout: float = TIMEOUT) -> tuple[bool, str]:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True, ""
    except OSError as exc:
        return False, f"{host}:{port}: {exc.strerror or exc}"


def _pg_params(url: str, dbname: str | None = None) -> dict[str, object]:
    parts = urlsplit(url)
    params: dict[str, object] = {
        "host": unquote(parts.hostname or "") or None,
        "port": parts.port or PG_PORT,
        "user": unquote(parts.username or "") or None,
        "password": unquote(parts.password or "") or None,
        "dbname": dbname or unquote(parts.path.lstrip("/")) or "postgres",
        "connect_timeout": max(1, int(TIMEOUT + 0.5)),
    }
    return {k: v for k, v in params.items() if v is not None}


def probe_postgres(url: str = DEFAULT_DATABASE_URL) -> tuple[bool, str]:
    """Can we log in to the maintenance database `postgres`? (pytest-django creates
    `test_<name>` from there, so the target database itself need not exist.)"""
    parts = urlsplit(url)
    host, port = parts.hostname or PG_HOST, parts.port or PG_PORT
    try:
        import psycopg
    except ImportError:
        return _tcp_open(host, port)
    try:
        with psycopg.connect(**_pg_params(url, dbname="postgres")) as conn:
            conn.execute("SELECT 1")
        return True, ""
    except Exception as exc:
        return False, f"{host}:{port}: {str(exc).strip().splitlines()[0] if str(exc) else exc!r}"


def probe_redis(url: str = DEFAULT_REDIS_URL) -> tuple[bool, str]:
    parts = urlsplit(url)
    host, port = parts.hostname or REDIS_HOST, parts.port or REDIS_PORT
    try:
        import redis
    except ImportError:
        return _tcp_open(host, port)
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT)
        client.ping()
        client.close()
        return True, ""
    except Exception as exc:
        return False, f"{host}:{port}: {exc}"


def probe_chromium(path: str) -> tuple[bool, str]:
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return True, ""
    return False, f"{path} not found (apt-get install -y chromium)"


@dataclass
class Plan:
    lines: list[str] = field(default_factory=list)  # shell lines for stdout
    status: dict[str, str] = field(default_factory=dict)  # service -> "yes" / "no (why)"

    def summary(self) -> str:
        return ", ".join(f"{name} {state}" for name, state in self.status.items())


def plan(
    environ: Mapping[str, str],
    *,
    postgres: Callable[[str], tuple[bool, str]] = probe_postgres,
    redis: Callable[[str], tuple[bool, str]] = probe_redis,
    chromium: Callable[[str], tuple[bool, str]] = probe_chromium,
) -> Plan:
    """Decide what the tests use; pure apart from the probe callables (tests pass fakes)."""
    out = Plan()
    off = _truthy(environ.get("NO_SERVICES"))

    # PostgreSQL
    db_url = environ.get("DATABASE_URL")
    if off or db_url == "":
        # An empty DATABASE_URL would break django-environ: unset it, settings fall back to SQLite.
        out.lines.append("unset DATABASE_URL")
        out.status["PostgreSQL"] = "no (disabled: SQLite)"
    elif db_url:
        scheme = urlsplit(db_url).scheme
        if scheme in POSTGRES_SCHEMES:
            ok, why = postgres(db_url)
            out.status["PostgreSQL"] = "yes (DATABASE_URL)" if ok else f"no? ({why})"
        else:
            out.status["PostgreSQL"] = f"no ({scheme or 'sqlite'} from DATABASE_URL)"
    else:
        ok, why = postgres(DEFAULT_DATABASE_URL)
        if ok:
            out.lines.append(f"export DATABASE_URL={shlex.quote(DEFAULT_DATABASE_URL)}")
            out.status["PostgreSQL"] = "yes"
        else:
            out.status["PostgreSQL"] = f"no ({why}; SQLite)"

    # Redis
    redis_url = environ.get("REDIS_URL")
    if off or redis_url == "":
        out.lines.append("export REDIS_URL=")
        out.status["Redis"] = "no (disabled: tasks in-process)"
    elif redis_url:
        ok, why = redis(redis_url)
        out.status["Redis"] = "yes (REDIS_URL)" if ok else f"no? ({why})"
    else:
        ok, why = redis(DEFAULT_REDIS_URL)
        if ok:
            out.lines.append(f"export REDIS_URL={shlex.quote(DEFAULT_REDIS_URL)}")
            out.status["Redis"] = "yes"
        else:
            out.status["Redis"] = f"no ({why}; tasks in-process)"

    # Chromium
    chromium_path = environ.get("CHROMIUM_PATH")
    if off or chromium_path == "":
        out.lines.append("export CHROMIUM_PATH=")
        out.status["Chromium"] = "no (disabled)"
    else:
        ok, why = chromium(chromium_path or DEFAULT_CHROMIUM)
        out.status["Chromium"] = "yes" if ok else f"no ({why})"

    out.lines.append(f"export MEDLEMSROST_SERVICES={shlex.quote(out.summary())}")
    return out


def ensure_database(environ: Mapping[str, str]) -> int:
    """Create the database of a postgres DATABASE_URL if it does not exist yet."""
    url = environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in POSTGRES_SCHEMES:
        return 0
    name = unquote(urlsplit(url).path.lstrip("/"))
    if not name:
        return 0
    import psycopg
    from psycopg import sql

    try:
        with psycopg.connect(**_pg_params(url, dbname="postgres"), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if exists:
                return 0
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        print(f"Could not create database {name!r}: {exc}", file=sys.stderr)
        return 1
    print(f"Created PostgreSQL database {name!r}.", file=sys.stderr)
    return 0


def main(argv: list[str]) -> int:
    if "--ensure-database" in argv:
        return ensure_database(os.environ)
    result = plan(os.environ)
    print("\n".join(result.lines))
    print(f"Services: {result.summary()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
