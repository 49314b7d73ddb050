"""The app as production runs it, for tests and benchmarks that talk to it over HTTP:
`gunicorn config.wsgi` with threaded workers (gthread, as docker-compose.yml and the Dockerfile
run it), DEBUG off, an access log of its own. No pytest here: bench/scale_out.py imports it too.

    server = Gunicorn(env=app_env(DATABASE_URL=..., REDIS_URL=...), log_dir=tmp_path)
    try:
        server.wait_ready()
        ...  # server.url, server.requests_served()
    finally:
        server.stop()
"""

from __future__ import annotations

import contextlib
import datetime
import http.client
import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port(host: str = "127.0.0.1") -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def app_env(**overrides: str) -> dict[str, str]:
    """This process's environment without pytest's and Django's own variables, with production's
    DEBUG=false, then `overrides`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


class Gunicorn:
    """`gunicorn config.wsgi --worker-class gthread` on 127.0.0.1:<free port>, started at once;
    its output goes to `<log_dir>/<name>.log`, its access log to `<log_dir>/<name>.access.log`."""

    def __init__(
        self,
        *,
        env: dict[str, str],
        log_dir: Path,
        name: str = "web",
        workers: int = 2,
        threads: int = 8,
    ) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(log_dir) / f"{name}.log"
        self.access_log_path = Path(log_dir) / f"{name}.access.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--worker-class",
                "gthread",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--preload",
                "--timeout",
                "60",
                "--access-logfile",
                str(self.access_log_path),
                # Several servers on one machine: gunicorn's control socket has one default
                # path for all (~/.gunicorn/gunicorn.ctl).
                "--no-control-socket",
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        """Until the server answers (the unknown-link page of a made-up token, a 404)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn {self.name} exited:\n{self.log()}")
            try:
                status = request(self.url, "GET", "/s/warm-up/", timeout=5).status
            except OSError:
                time.sleep(0.2)
                continue
            if status in (404, 429):
                return
            raise RuntimeError(f"gunicorn {self.name} answered {status}:\n{self.log()}")
        raise RuntimeError(f"gunicorn {self.name} did not answer in {timeout} s:\n{self.log()}")

    def access_lines(self) -> list[str]:
        try:
            return self.access_log_path.read_text().splitlines()
        except FileNotFoundError:
            return []

    def requests_served(self, path_prefix: str = "/s/") -> int:
        """Requests to paths under `path_prefix` in the access log (the warm-up included)."""
        needles = (f'"GET {path_prefix}', f'"POST {path_prefix}')
        return sum(1 for line in self.access_lines() if any(n in line for n in needles))

    def log(self) -> str:
        with contextlib.suppress(ValueError):
            self._log.flush()
        return self.log_path.read_text()[-5000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


@dataclass
class Reply:
    status: int
    body: str
    headers: list[tuple[str, str]]

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k.lower() == name.lower()), "")

    def cookies(self) -> dict[str, str]:
        """name -> value of the Set-Cookie headers."""
        found = {}
        for key, value in self.headers:
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                found[name.strip()] = rest.split(";", 1)[0]
        return found


def request(
    base: str,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: str | None = None,
    source: str | None = None,
    timeout: float = 30,
) -> Reply:
    """One HTTP request on a connection of its own from the loopback address `source` (any of
    127.0.0.0/8 reaches a server on 127.0.0.1, with that REMOTE_ADDR)."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(
        host, int(port), timeout=timeout, source_address=(source, 0) if source else None
    )
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Reply(response.status, response.read().decode(), response.getheaders())
    finally:
        connection.close()


# --- data for the servers: members of a register, a sample of all of them, a poll ---------------


def poll_with_invitations(
    n: int,
    *,
    pages: int = 2,
    questions_per_page: int = 2,
    tokens: bool = True,
    label: str = "scale",
) -> tuple[int, list[str], list[str]]:
    """An open poll of `pages` pages of single-choice questions, `n` members with e-mail
    addresses in a sample, an invitation each: with `tokens` as if the e-mails had gone out
    (status sent, the tokens returned), without them queued to be sent. Returns (poll id,
    tokens, e-mail addresses)."""
    from django.db import transaction
    from django.utils import timezone

    from polls.models import Invitation, Option, Poll, Question, Section, hash_token
    from respondents.models import Member, Register, SampleDraw, SampleMember

    unique = secrets.token_hex(4)
    now = timezone.now()
    with transaction.atomic():
        register = Register.objects.create(name=f"{label} {unique}", variables=["sektor"])
        Member.objects.bulk_create(
            Member(
                register=register,
                number=str(1_000_000 + i),
                email=f"m{i}.{unique}@example.se",
                attributes={"sektor": ("Kommun", "Region", "Stat")[i % 3]},
            )
            for i in range(n)
        )
        draw = SampleDraw.objects.create(
            register=register, name=label, target_size=n, seed=1, frame_size=n
        )
        SampleMember.objects.bulk_create(
            SampleMember(draw=draw, member_id=pk, inclusion_probability=1)
            for pk in register.members.order_by("pk").values_list("pk", flat=True)
        )
        poll = Poll.objects.create(
            slug=f"{label}-{unique}",
            title_sv="Arbetsmiljö 2026",
            title_en="Working conditions 2026",
            state=Poll.State.OPEN,
            opens_at=now - datetime.timedelta(days=1),
            closes_at=now + datetime.timedelta(days=30),
            register=register,
            reporting_variables=["sektor"],
        )
        for page in range(pages):
            section = Section.objects.create(poll=poll, order=page, title_sv=f"Del {page + 1}")
            for i in range(questions_per_page):
                order = page * questions_per_page + i
                question = Question.objects.create(
                    poll=poll,
                    section=section,
                    order=order,
                    code=f"q{order + 1}",
                    kind=Question.Kind.SINGLE,
                    text_sv=f"Fråga {order + 1}: hur nöjd är du?",
                    text_en=f"Question {order + 1}: how satisfied are you?",
                )
                Option.objects.bulk_create(
                    Option(question=question, order=j, code=f"o{j}", label_sv=t, label_en=t)
                    for j, t in enumerate(["Nöjd", "Varken eller", "Missnöjd"])
                )
        members = list(draw.members.order_by("pk").values_list("pk", "member__email"))
        issued = [secrets.token_urlsafe(16) for _ in members] if tokens else []
        Invitation.objects.bulk_create(
            Invitation(
                poll=poll,
                sample_member_id=pk,
                token_hash=hash_token(issued[i]) if tokens else None,
                status=Invitation.Status.SENT if tokens else Invitation.Status.QUEUED,
            )
            for i, (pk, _email) in enumerate(members)
        )
    return poll.pk, issued, [email for _pk, email in members]
