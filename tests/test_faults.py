"""Faults on real services: PostgreSQL restarting while members answer, Redis and every worker
gone, a migration failing half-way. The app runs as production runs it, `gunicorn config.wsgi`
in a subprocess, and a member's browser is plain HTTP with a cookie jar."""

from __future__ import annotations

import http.cookiejar
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests import servers, services
from tests.private_cluster import PrivateCluster, cluster_problem

ROOT = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
RADIO = re.compile(r'<input type="radio" name="(q\d+)" value="(\d+)"')
PAGE = re.compile(r'<input type="hidden" name="page" value="(\d+)"')
THANKS = "Tack för att du svarade"


# --- an app server and a member's browser -------------------------------------------------------


def app_env(**overrides: str) -> dict[str, str]:
    # As in every test (conftest.py): the superuser who logs in owes no two-factor set-up.
    return servers.app_env(**{"STAFF_2FA_REQUIRED_ROLES": "", **overrides})


def manage(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


class AppServer(servers.Gunicorn):
    """The app as production runs it (tests/servers.py), one worker, answering when made."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        super().__init__(env=env, log_dir=log.parent, name=log.stem, workers=1, threads=4)
        self.wait_ready()


@dataclass
class Page:
    status: int
    body: str
    url: str

    def form(self, answer: int = 0) -> dict[str, str]:
        """The page's form with the `answer`-th option of each question chosen, and Next."""
        choices: dict[str, list[str]] = {}
        for name, value in RADIO.findall(self.body):
            choices.setdefault(name, []).append(value)
        csrf, page = CSRF.search(self.body), PAGE.search(self.body)
        assert csrf and page, self.body[:2000]
        return {
            "csrfmiddlewaretoken": csrf.group(1),
            "page": page.group(1),
            "action": "next",
            **{name: values[answer] for name, values in choices.items()},
        }


class Browser:
    """Cookies kept, redirects followed (a POST's 302 becomes a GET, as in a browser)."""

    def __init__(self, base: str) -> None:
        self.base = base
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def _open(self, request: urllib.request.Request) -> Page:
        try:
            with self.opener.open(request, timeout=60) as response:
                return Page(response.status, response.read().decode(), response.url)
        except urllib.error.HTTPError as error:
            return Page(error.code, error.read().decode(), error.url)

    def get(self, path: str) -> Page:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, data: dict[str, str], referer: str | None = None) -> Page:
        request = urllib.request.Request(
            self.base + path, data=urllib.parse.urlencode(data).encode(), method="POST"
        )
        request.add_header("Referer", referer or self.base + path)
        return self._open(request)


def assert_friendly_503(page: Page) -> None:
    assert page.status == 503, (page.status, page.body[:3000])
    assert "Försök igen om en stund" in page.body
    assert "Traceback" not in page.body and "OperationalError" not in page.body


# The poll answered in these tests: two pages of one single-choice question each.
SEED = """
from polls.models import Question
from tests import factories as f

poll = f.PollFactory(slug="{slug}")
for i, labels in enumerate([("Ja", "Nej"), ("Mycket", "Lite")]):
    section = f.SectionFactory(poll=poll, order=i, title_sv=f"Del {{i + 1}}")
    f.question_with_options(
        poll, Question.Kind.SINGLE, labels, section=section, order=i, code=f"q{{i + 1}}"
    )
invitation, token = f.invitation_with_token(poll, attributes={{"sektor": "Kommun"}})
print("SEEDED", token, invitation.pk, poll.pk)
"""


def seed(env: dict[str, str], slug: str) -> tuple[str, int, int]:
    out = manage(env, "shell", "-c", SEED.format(slug=slug))
    token, invitation_id, poll_id = out.split("SEEDED", 1)[1].split()[:3]
    return token, int(invitation_id), int(poll_id)


# --- PostgreSQL restarts during answering ------------------------------------------------------


@pytest.fixture
def private_cluster(needs_postgres: None) -> Iterator[PrivateCluster]:
    """A PostgreSQL cluster of this test's own (the shared one on 5432 is never stopped)."""
    problem = cluster_problem()
    if problem:
        services.service_missing("A private PostgreSQL cluster", problem, "available")
    cluster = PrivateCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


def counts(url: str, invitation_id: int) -> dict[str, object]:
    with psycopg.connect(url, autocommit=True) as conn:
        return {
            "responses": conn.execute("SELECT count(*) FROM polls_response").fetchone()[0],
            "answers": conn.execute("SELECT count(*) FROM polls_answer").fetchone()[0],
            "draft": conn.execute(
                "SELECT data, current_section FROM polls_draft WHERE invitation_id = %s",
                [invitation_id],
            ).fetchone(),
            "status": conn.execute(
                "SELECT status FROM polls_invitation WHERE id = %s", [invitation_id]
            ).fetchone()[0],
        }


def test_a_member_submitting_while_postgresql_restarts_gets_try_again_and_loses_nothing(
    private_cluster: PrivateCluster, tmp_path: Path
) -> None:
    with psycopg.connect(private_cluster.url(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE medlemsrost")
    url = private_cluster.url("medlemsrost")
    env = app_env(DATABASE_URL=url, REDIS_URL="")
    manage(env, "migrate", "--noinput")
    token, invitation_id, _poll_id = seed(env, "omstart")
    server = AppServer(env, tmp_path / "gunicorn.log")
    try:
        member = Browser(server.url)
        path = f"/s/{token}/"
        first = member.get(path)
        assert first.status == 200, first.body[:2000]
        second = member.post(path, first.form(answer=0))  # Next: the draft keeps "Ja"
        assert second.status == 200 and "Del 2" in second.body
        before = counts(url, invitation_id)
        assert before["draft"] is not None and before["draft"][1] == 1

        private_cluster.stop()
        assert_friendly_503(member.post(path, second.form(answer=1)))  # submit: no database
        assert_friendly_503(member.get(path))  # and the page itself while it is down

        private_cluster.start()
        after_outage = counts(url, invitation_id)
        assert after_outage["responses"] == 0 and after_outage["answers"] == 0
        assert after_outage["draft"] == before["draft"]  # the draft is kept as it was
        assert after_outage["status"] == "started"

        # The member presses the button again: one response, the draft gone.
        thanks = member.post(path, second.form(answer=1))
        assert thanks.status == 200 and THANKS in thanks.body, thanks.body[:2000]
        again = member.post(path, second.form(answer=1))
        assert again.status == 200 and THANKS not in again.body
        done = counts(url, invitation_id)
        assert done["responses"] == 1 and done["answers"] == 2
        assert done["draft"] is None and done["status"] == "completed"
        assert "Traceback" not in server.log()
    finally:
        server.stop()


def test_the_try_again_page_is_english_for_a_member_who_chose_english() -> None:
    from django.db import OperationalError
    from django.test import RequestFactory
    from django.utils import translation

    from config.db_unavailable import DatabaseUnavailableMiddleware

    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    request = RequestFactory().post("/s/abc/")
    with translation.override("en"):
        response = middleware.process_exception(request, OperationalError("server closed"))
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert "Please try again in a moment" in response.content.decode()
    assert middleware.process_exception(request, ValueError("not ours")) is None


# --- Redis and every worker down ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_members_answer_and_staff_see_results_with_redis_and_workers_down(
    needs_postgres: None, tmp_path: Path, settings: Any
) -> None:
    from django.contrib.auth import get_user_model

    from polls.models import Draft, Invitation, Response

    token, invitation_id, _poll_id = seed(
        app_env(DATABASE_URL=services.database_url(settings.DATABASES["default"]), REDIS_URL=""),
        "utan-redis",
    )
    # The server runs with the production hashers, not the tests' fast MD5 one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    get_user_model().objects.create_superuser("chef", "chef@example.org", "secret-pass-123")
    closed = services.free_port()  # nothing listens there: Redis (and with it Celery) is gone
    env = app_env(
        DATABASE_URL=services.database_url(settings.DATABASES["default"]),
        REDIS_URL=f"redis://127.0.0.1:{closed}/0",
    )
    server = AppServer(env, tmp_path / "gunicorn.log")
    try:
        member = Browser(server.url)
        path = f"/s/{token}/"
        first = member.get(path)
        assert first.status == 200, first.body[:2000]
        second = member.post(path, first.form(answer=1))
        assert second.status == 200 and "Del 2" in second.body, second.body[:2000]
        assert Draft.objects.get(invitation_id=invitation_id).current_section == 1
        started = time.monotonic()
        thanks = member.post(path, second.form(answer=0))
        assert thanks.status == 200 and THANKS in thanks.body, (thanks.status, server.log())
        assert time.monotonic() - started < 10, "a submit must not wait for Redis"
        assert Response.objects.filter(poll__slug="utan-redis").count() == 1
        assert Invitation.objects.get(pk=invitation_id).status == Invitation.Status.COMPLETED

        staff = Browser(server.url)
        login = staff.get("/accounts/login/")
        csrf = CSRF.search(login.body)
        assert csrf, login.body[:2000]
        home = staff.post(
            "/accounts/login/",
            {
                "csrfmiddlewaretoken": csrf.group(1),
                "username": "chef",
                "password": "secret-pass-123",
            },
        )
        assert home.status == 200, (home.status, server.log())
        assert "/accounts/login/" not in home.url, home.body[home.body.find("<main") :][:3000]
        results = staff.get("/staff/polls/utan-redis/results/")
        assert results.status == 200, (results.status, server.log())
        assert "Hur verklighetsförankrade anser du" in results.body  # the questions' charts
    finally:
        server.stop()


def test_the_cache_without_redis_is_an_empty_cache() -> None:
    from config.cache import ForgivingRedisCache

    cache = ForgivingRedisCache(f"redis://127.0.0.1:{services.free_port()}/0", {})
    started = time.monotonic()
    cache.set("k", 1)
    assert cache.get("k", "missing") == "missing" and cache.get_many(["k"]) == {}
    assert cache.add("lock", "me", 10) is True  # a lock nobody else can hold either
    assert cache.incr("n") == 1 and cache.delete("k") is False
    assert time.monotonic() - started < 5


# --- a migration that fails half-way ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_migration_failing_half_way_leaves_the_schema_and_data_as_they_were(
    needs_postgres: None,
) -> None:
    """PostgreSQL's DDL is transactional: a migration's column, table and data changes made
    before its failing step are rolled back with it, and nothing is recorded as applied."""
    from django.db import connection, migrations, models
    from django.db.migrations.executor import MigrationExecutor

    from polls.models import Response
    from tests.factories import ResponseFactory

    kept = ResponseFactory(attributes={"sektor": "Kommun"})

    def fail(apps, schema_editor):
        raise RuntimeError("half-way")

    class FailingMigration(migrations.Migration):
        operations = [
            migrations.AddField("response", "wave", models.IntegerField(default=1)),
            migrations.CreateModel(
                "HalfWay", fields=[("id", models.BigAutoField(primary_key=True))]
            ),
            migrations.RunSQL(
                "UPDATE polls_response SET wave = 2, attributes = '{}'", migrations.RunSQL.noop
            ),
            migrations.RunPython(fail),
        ]

    def schema() -> dict[str, set[str]]:
        with connection.cursor() as cursor:
            tables = connection.introspection.table_names(cursor)
            return {
                table: {
                    c.name for c in connection.introspection.get_table_description(cursor, table)
                }
                for table in tables
            }

    before = schema()
    executor = MigrationExecutor(connection)
    state = executor.loader.project_state()
    migration = FailingMigration("9999_fails_half_way", "polls")
    assert migration.atomic
    with pytest.raises(RuntimeError, match="half-way"):
        executor.apply_migration(state, migration)

    assert schema() == before
    assert "wave" not in before["polls_response"] and "polls_halfway" not in before
    assert not executor.recorder.migration_qs.filter(app="polls", name="9999_fails_half_way")
    # The database is usable: the data is as it was, and it takes new rows.
    kept.refresh_from_db()
    assert kept.attributes == {"sektor": "Kommun"}
    ResponseFactory(poll=kept.poll)
    assert Response.objects.filter(poll=kept.poll).count() == 2


# --- Redis restarting under a process that keeps its connections --------------------------------


def _redis_server(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            import redis

            redis.Redis(port=port, socket_connect_timeout=0.2).ping()
            return server
        except Exception:
            time.sleep(0.05)
    server.kill()
    raise AssertionError("redis-server did not start")


@pytest.mark.usefixtures("needs_redis")
def test_the_caches_connections_come_back_after_redis_restarts() -> None:
    """The member path's `get` and `incr` keep a connection per thread (config/cache.py): with
    Redis gone they are a miss and a count from nothing, as the whole cache is; once Redis is back
    the same cache object reads, writes and counts again, the counters' script included (a
    restarted Redis has forgotten it)."""
    import shutil

    from config.cache import CounterCache

    if shutil.which("redis-server") is None:
        services.service_missing("redis-server", "not installed", verb="installed")
    port = services.free_port()
    server = _redis_server(port)
    cache = CounterCache(f"redis://127.0.0.1:{port}/0", {"OPTIONS": {"socket_connect_timeout": 1}})
    try:
        cache.set("k", "before")
        assert cache.get("k") == "before"
        cache.add("n", 1, 60)
        assert cache.incr("n") == 2

        server.terminate()  # a restart between two requests: the kept connections are stale
        server.wait(10)
        server = _redis_server(port)
        import redis

        redis.Redis(port=port).set(cache.make_key("k"), 7)  # written by another process
        assert cache.get("k", "missing") == 7  # the first read after the restart finds it
        assert cache.add("m", 1, 60) is True
        assert cache.incr("m") == 2  # the script loaded again
        cache.set("k", "after")
        assert cache.get("k") == "after"

        server.terminate()
        server.wait(10)
        assert cache.get("k", "missing") == "missing"  # Redis gone: a miss ...
        assert cache.incr("m") == 1  # ... and a count from nothing: nobody is limited
    finally:
        server.kill()
        server.wait(10)
