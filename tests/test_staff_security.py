"""Staff accounts guard every member's personal data: guessing passwords is throttled, the
production settings pass Django's deployment checks, and member tokens never leak in Referer."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import staff_user

BASE_DIR = Path(__file__).resolve().parent.parent


def log_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.mark.django_db
def test_a_password_guessing_loop_is_locked_out(client, settings):
    settings.AXES_FAILURE_LIMIT = 5
    editor = staff_user("Editor", username="redaktor")
    editor.set_password("rätt lösenord 2026")
    editor.save()

    for _ in range(4):
        response = log_in(client, "redaktor", "fel")
        assert response.status_code == 200  # the form again, with its error
    locked = log_in(client, "redaktor", "fel")
    assert locked.status_code == 429
    assert "För många försök" in locked.content.decode()
    assert "15 minuter" in locked.content.decode()

    # Even the right password is refused while the lock holds ...
    assert log_in(client, "redaktor", "rätt lösenord 2026").status_code == 429
    # ... but another account is not locked by it.
    other = staff_user("Editor", username="kollega")
    other.set_password("ett annat lösenord 7")
    other.save()
    assert log_in(client, "kollega", "ett annat lösenord 7").status_code == 302


@pytest.mark.django_db
def test_behind_the_proxy_a_guesser_locks_out_only_their_own_address(client, settings):
    """With RATELIMIT_IP_META_KEY naming the proxy's client header, the lockout counts the
    client's address as the member limits do: everybody else behind the proxy still logs in."""
    settings.AXES_FAILURE_LIMIT = 3
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_REAL_IP"
    editor = staff_user("Editor", username="redaktor")
    editor.set_password("rätt lösenord 2026")
    editor.save()

    def attempt(password, address):
        return client.post(
            reverse("login"),
            {"username": "redaktor", "password": password},
            REMOTE_ADDR="10.0.0.2",  # the proxy
            HTTP_X_REAL_IP=address,
        )

    for _ in range(3):
        attempt("fel", "198.51.100.7")
    assert attempt("rätt lösenord 2026", "198.51.100.7").status_code == 429
    assert attempt("rätt lösenord 2026", "203.0.113.20").status_code == 302


@pytest.mark.django_db
def test_a_right_password_after_a_typo_logs_in(client):
    editor = staff_user("Editor", username="redaktor")
    editor.set_password("rätt lösenord 2026")
    editor.save()
    log_in(client, "redaktor", "fel")
    assert log_in(client, "redaktor", "rätt lösenord 2026").status_code == 302


@pytest.mark.django_db
def test_pages_forbid_framing_and_keep_the_address_on_our_site(client):
    response = client.get(reverse("login"))
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_production_settings_pass_the_deployment_checks(tmp_path):
    env = {
        # The environment of a production host: nothing of the test run's own switches.
        **{
            k: v
            for k, v in os.environ.items()
            if k not in {"DEBUG", "SECURE_COOKIES", "DJANGO_ALLOW_ASYNC_UNSAFE"}
        },
        "DEBUG": "false",
        "HTTPS": "true",
        "SECRET_KEY": "x7!" + "k2Q9pLm4Zr8Vt1Wc6Yb3Nd5Hf0Js" * 3,
        "ALLOWED_HOSTS": "medlemsrost.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        "REDIS_URL": "",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_demo_settings_do_not_force_https():
    from django.conf import settings

    assert not settings.HTTPS
    assert not settings.SESSION_COOKIE_SECURE


@pytest.mark.django_db
def test_every_page_forbids_inline_script_and_style(client):
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy


def test_the_policy_kept_per_process_is_django_csps_own_and_follows_the_settings(client, settings):
    """config/csp.py builds the header once; it must be exactly django-csp's, and a change of
    the policy in the settings must reach the next response."""
    from csp.utils import build_policy

    page = client.get("/staff/login/")
    assert page["Content-Security-Policy"] == build_policy()
    assert "script-src 'self'" in page["Content-Security-Policy"]
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {**settings.CONTENT_SECURITY_POLICY["DIRECTIVES"], "img-src": ["'none'"]}
    }
    assert "img-src 'none'" in client.get("/staff/login/")["Content-Security-Policy"]
