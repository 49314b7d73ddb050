"""Real services for tests: PostgreSQL, Redis, a Celery worker, an SMTP server, Chromium.

The fixtures themselves live in tests/conftest.py; this module holds the logic so that it can be
tested and imported (`from tests.services import require_redis`). A test that needs a service
it cannot reach is skipped, or fails when REQUIRE_SERVICES=1 (CI). See DEVELOPERS.md.

This module is also imported by the Celery worker subprocess of the `celery_worker` fixture
(`--include tests.services`), for the test-only task `infrastructure_probe`: keep it light.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import quote

import pytest
from celery import shared_task

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
# Matches the skip messages made by service_missing(); the session summary counts them.
SKIP_RE = re.compile(r"(?P<service>PostgreSQL|Redis|Chromium) not (?:reachable|available)")


# --- skip or fail -------------------------------------------------------------------------------


def services_required() -> bool:
    """REQUIRE_SERVICES=1: a missing service is an error, not a skip (CI sets it)."""
    return os.environ.get("REQUIRE_SERVICES", "").strip().lower() in ("1", "true", "yes", "on")


def service_missing(service: str, reason: str, verb: str = "reachable") -> NoReturn:
    """Skip the current test for a missing service, or fail it when REQUIRE_SERVICES=1."""
    message = f"{service} not {verb}: {reason}"
    if services_required():
        pytest.fail(f"{message} (REQUIRE_SERVICES=1 makes this an error)", pytrace=False)
    pytest.skip(message)


# --- PostgreSQL ---------------------------------------------------------------------------------


def postgres_problem(engine: str | None = None) -> str | None:
    """None when the tests run on PostgreSQL (the default database's engine), else why not."""
    from django.conf import settings

    engine = engine or settings.DATABASES["default"]["ENGINE"]
    if "postgresql" in engine:
        return None
    return f"the tests run on {engine.rsplit('.', 1)[-1]} (DATABASE_URL is not a postgres:// URL)"


def require_postgres() -> None:
    if (problem := postgres_problem()) is not None:
        service_missing("PostgreSQL", problem)


def database_url(settings_dict: dict[str, Any]) -> str:
    """A DATABASE_URL for a Django connection's settings_dict (e.g. the test database)."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or ""
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    name = quote(str(settings_dict["NAME"]), safe="")
    return f"postgres://{auth}{quote(host, safe='')}{port}/{name}"


def isolate_test_databases(pid: int | None = None) -> list[str]:
    """Give each pytest run its own PostgreSQL test database, `test_<name>_p<pid>`.

    Several checkouts (a developer's, CI's) or engineers share one PostgreSQL server here; with
    one fixed `test_medlemsrost` a second run would drop the first one's database mid-run.
    Databases left by runs that died (their pid is gone) are dropped first. Returns the names.
    """
    from django.conf import settings

    pid = os.getpid() if pid is None else pid
    names = []
    for db in settings.DATABASES.values():
        if "postgresql" not in db["ENGINE"]:
            continue
        test = db.setdefault("TEST", {})
        base = test.get("NAME") or f"test_{db['NAME']}"
        _drop_databases_of_dead_runs(db, base)
        test["NAME"] = f"{base}_p{pid}"
        names.append(test["NAME"])
    return names


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _drop_databases_of_dead_runs(db: dict[str, Any], base: str) -> None:
    if (db.get("HOST") or "localhost") not in ("localhost", "127.0.0.1", "::1") and not str(
        db.get("HOST", "")
    ).startswith("/"):
        return  # a pid means nothing on another machine
    import psycopg
    from psycopg import sql

    pattern = re.compile(rf"^{re.escape(base)}_p(\d+)$")
    params = {
        "dbname": "postgres",
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "connect_timeout": 3,
    }
    try:
        with psycopg.connect(
            **{k: v for k, v in params.items() if v is not None}, autocommit=True
        ) as conn:
            names = [row[0] for row in conn.execute("SELECT datname FROM pg_database")]
            for name in names:
                match = pattern.match(name)
                if match and not _pid_alive(int(match.group(1))):
                    conn.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                            sql.Identifier(name)
                        )
                    )
    except psycopg.Error:
        pass  # best effort; pytest-django reports a real connection problem itself


# --- Redis --------------------------------------------------------------------------------------

_redis_checked: dict[str, str | None] = {}


def redis_url() -> str:
    from django.conf import settings

    return getattr(settings, "REDIS_URL", "") or ""


def redis_problem(url: str | None = None) -> str | None:
    """None when Redis at REDIS_URL answers PING (checked once per URL and session)."""
    url = redis_url() if url is None else url
    if not url:
        return "REDIS_URL is empty (Celery runs tasks in-process)"
    if url not in _redis_checked:
        import redis

        try:
            client = redis.Redis.from_url(url, socket_connect_timeout=1.5, socket_timeout=1.5)
            with closing(client):
                client.ping()
            _redis_checked[url] = None
        except Exception as exc:
            _redis_checked[url] = f"{url}: {exc}"
    return _redis_checked[url]


def require_redis() -> None:
    if (problem := redis_problem()) is not None:
        service_missing("Redis", problem)


def redis_delete_prefix(url: str, prefix: str) -> int:
    """Delete every key that starts with prefix; returns how many."""
    import redis

    client = redis.Redis.from_url(url)
    with closing(client):
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
    return len(keys)


# --- Chromium -----------------------------------------------------------------------------------


def chromium_path() -> str:
    """CHROMIUM_PATH, default /usr/bin/chromium; set but empty means "no Chromium"."""
    return os.environ.get("CHROMIUM_PATH", DEFAULT_CHROMIUM)


def chromium_problem() -> str | None:
    path = chromium_path()
    if not path:
        return "CHROMIUM_PATH is empty"
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        return f"{path} not found (as root: apt-get update && apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"Python playwright not importable ({exc})"
    return None


def require_chromium() -> None:
    if (problem := chromium_problem()) is not None:
        service_missing("Chromium", problem, verb="available")


def status_line() -> str:
    """One line for the pytest header: what this session runs against."""
    from django.conf import settings

    parts = []
    db = settings.DATABASES["default"]
    if postgres_problem() is None:
        parts.append(f"PostgreSQL yes ({db.get('HOST') or 'socket'}:{db.get('PORT') or 5432})")
    else:
        parts.append("PostgreSQL no (SQLite)")
    parts.append("Redis yes" if redis_problem() is None else "Redis no (tasks in-process)")
    parts.append("Chromium yes" if chromium_problem() is None else "Chromium no")
    required = "REQUIRE_SERVICES=1" if services_required() else "missing ones skip"
    return f"services: {', '.join(parts)}; {required}"


# --- SMTP ---------------------------------------------------------------------------------------


def free_port(host: str = "127.0.0.1") -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class SmtpServer:
    """An aiosmtpd server on loopback that keeps what it receives.

    .host, .port       where it listens
    .messages          received e-mails, email.message.EmailMessage (policy=email.policy.default)
    .envelopes         (mail_from, [rcpt_to, ...]) per message, in the same order
    .wait_for(n, timeout=30) -> list[EmailMessage]: blocks until n messages have arrived
    .configure_django(settings): point this process's Django at it (SMTP backend)
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._changed = threading.Condition()
        self._controller: Any = None

    # aiosmtpd handler hook, runs in the controller's thread
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self._changed:
            self.messages.append(message)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self._changed.notify_all()
        return "250 Message accepted for delivery"

    def start(self) -> SmtpServer:
        from aiosmtpd.controller import Controller

        last_error: Exception | None = None
        for _attempt in range(5):
            port = free_port(self.host)
            controller = Controller(
                self,
                hostname=self.host,
                port=port,
                server_hostname="localhost",  # no getfqdn() DNS lookup
                ready_timeout=10,
                enable_SMTPUTF8=True,
            )
            try:
                controller.start()
            except Exception as exc:
                last_error = exc
                continue
            self._controller, self.port = controller, port
            return self
        raise RuntimeError(f"could not start the test SMTP server: {last_error}")

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count: int, timeout: float = 30) -> list[EmailMessage]:
        """Wait until at least `count` messages arrived; returns (a copy of) all of them."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.messages) >= count, timeout):
                subjects = [m["Subject"] for m in self.messages]
                raise AssertionError(
                    f"expected {count} e-mail(s) within {timeout}s, got {len(self.messages)}: "
                    f"{subjects}"
                )
            return list(self.messages)

    def clear(self) -> None:
        with self._changed:
            self.messages.clear()
            self.envelopes.clear()

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def configure_django(self, settings: Any) -> None:
        """With pytest-django's `settings` fixture: send this process's mail to this server."""
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = self.host
        settings.EMAIL_PORT = self.port
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False


# --- Celery -------------------------------------------------------------------------------------

_CELERY_KEYS = (
    "task_always_eager",
    "task_eager_propagates",
    "broker_url",
    "broker_transport_options",
)


def celery_reset_connections(app: Any) -> None:
    """Drop the app's cached broker connections and producers, so a changed broker_url or
    broker_transport_options takes effect (checked: without this, tasks keep going to the
    broker of the first use, e.g. memory://)."""
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def celery_config(app: Any, **changes: Any) -> Iterator[None]:
    """Change the in-process Celery app's configuration for a while, then restore it."""
    saved = {key: app.conf[key] for key in changes}
    app.conf.update(changes)
    reconnect = "broker_url" in changes or "broker_transport_options" in changes
    if reconnect:
        celery_reset_connections(app)
    try:
        yield
    finally:
        app.conf.update(saved)
        if reconnect:
            celery_reset_connections(app)


@dataclass
class CeleryWorker:
    """A real `celery -A config worker` subprocess; see the `celery_worker` fixture."""

    prefix: str
    redis_url: str
    database_url: str
    smtp: SmtpServer
    # The worker's node name before "@host"; several workers on one prefix need different ones.
    name: str = ""
    process: subprocess.Popen[str] | None = None
    lines: list[str] = field(default_factory=list)
    _ready: threading.Event = field(default_factory=threading.Event)
    _reader: threading.Thread | None = None

    @property
    def log(self) -> str:
        return "".join(self.lines)

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            CELERY_KEY_PREFIX=self.prefix,
            CACHE_KEY_PREFIX=self.prefix,
            EMAIL_URL=self.smtp.url,
            PYTHONUNBUFFERED="1",
        )
        return env

    def start(self, timeout: float = 60) -> None:
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-l",
            "info",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"{self.name or self.prefix.rstrip('-')}@%h",
            "--include",
            "tests.services",
        ]
        self.process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        self._reader = threading.Thread(target=self._read, name="celery-worker-log", daemon=True)
        self._reader.start()
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.1):
            if self.process.poll() is not None:
                self._reader.join(5)
                pytest.fail(
                    f"the Celery worker exited with {self.process.returncode} before it was "
                    f"ready:\n{self.log}",
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"the Celery worker was not ready in {timeout}s:\n{self.log}")

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            if re.search(r"\bready\.\s*$", line):
                self._ready.set()

    def stop(self, timeout: float = 15) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # warm shutdown: finishes the current task
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        if self._reader is not None:
            self._reader.join(5)

    def wait_for_log(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        """Wait until a line of the worker's log matches the regex; returns the match."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        seen = 0
        while True:
            lines = self.lines[:]
            for line in lines[seen:]:
                if match := regex.search(line):
                    return match
            seen = len(lines)
            if time.monotonic() > deadline:
                raise AssertionError(f"no worker log line matched {pattern!r}:\n{self.log}")
            time.sleep(0.05)


def new_prefix() -> str:
    return f"test-{uuid.uuid4().hex}-"


@shared_task(name="tests.services.infrastructure_probe")
def infrastructure_probe(recipient: str, marker: str) -> int:
    """Test-only task: proves a worker reads the test database and sends through the test SMTP
    server. It e-mails `recipient` a subject carrying the marker and the number of users."""
    from django.contrib.auth import get_user_model
    from django.core.mail import send_mail

    users = get_user_model().objects.count()
    send_mail(f"probe {marker} users={users}", "Sent by a Celery worker.", None, [recipient])
    return users
