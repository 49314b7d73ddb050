"""`make backup` / `make restore` round-trip a PostgreSQL database with responses.

On a scratch database of its own on the same server (never the test database the other tests
use): migrated, given a poll with responses, backed up, damaged, restored."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

from tests import services

ROOT = Path(__file__).resolve().parent.parent

SEED = """
from polls.answering.responses import response_submit
from polls.models import Question
from tests import factories as f

poll = f.PollFactory(slug="sakerhetskopia")
question = f.question_with_options(poll, Question.Kind.SINGLE, ["Ja", "Nej"])
options = list(question.options.order_by("order"))
for i in range(5):
    invitation, _token = f.invitation_with_token(poll, attributes={"sektor": "Kommun"})
    response_submit(invitation=invitation, choices={question.pk: options[i % 2].pk})
"""


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def snapshot(url: str) -> dict[str, object]:
    with psycopg.connect(url) as conn:
        return {
            "responses": conn.execute(
                "SELECT id::text, attributes::text FROM polls_response ORDER BY id"
            ).fetchall(),
            "answers": conn.execute(
                "SELECT response_id::text, question_id, option_id FROM polls_answer"
                " ORDER BY response_id, question_id"
            ).fetchall(),
            "invitations": conn.execute(
                "SELECT status, count(*) FROM polls_invitation GROUP BY status"
            ).fetchall(),
        }


@pytest.fixture
def scratch_database(needs_postgres: None) -> str:
    """A migrated database of this test's own on the test server, dropped afterwards."""
    server = {**settings.DATABASES["default"], "NAME": "postgres"}
    name = f"medlemsrost_backup_{uuid.uuid4().hex[:10]}"
    admin_url = services.database_url(server)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = services.database_url({**server, "NAME": name})
    try:
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_backup_and_restore_round_trip_a_database_with_responses(
    scratch_database: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(DATABASE_URL=scratch_database, REDIS_URL="", PYTHONPATH=str(ROOT))
    env.pop("DJANGO_SETTINGS_MODULE", None)
    for args in (["migrate", "--noinput"], ["shell", "-c", SEED]):
        done = run([sys.executable, "manage.py", *args], env)
        assert done.returncode == 0, done.stdout + done.stderr
    before = snapshot(scratch_database)
    assert len(before["responses"]) == 5 and len(before["answers"]) == 5

    dump = tmp_path / "nightly" / "medlemsrost.dump"
    done = run(["make", "--no-print-directory", "backup", f"BACKUP={dump}"], env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert dump.stat().st_size > 0 and not dump.with_suffix(".dump.partial").exists()

    # Damage: responses lost, a stray table; the restore puts everything back as it was.
    with psycopg.connect(scratch_database) as conn:
        conn.execute("DELETE FROM polls_answer")
        conn.execute("DELETE FROM polls_response")
        conn.execute("UPDATE polls_invitation SET status = 'sent'")
    assert snapshot(scratch_database) != before

    done = run(["make", "--no-print-directory", "restore", f"BACKUP={dump}"], env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert snapshot(scratch_database) == before


def test_backup_refuses_sqlite_clearly(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    for target in ("backup", "restore"):
        done = run(["make", "--no-print-directory", target, f"BACKUP={tmp_path / 'x.dump'}"], env)
        assert done.returncode != 0
        assert "not a PostgreSQL URL" in done.stderr and "SQLite" in done.stderr
    assert not (tmp_path / "x.dump").exists()
