"""The test machinery itself: skip-or-fail for services, the SMTP server, the Celery worker."""

from __future__ import annotations

import importlib.util
import smtplib
import sys
import uuid
from pathlib import Path

import pytest
import yaml
from django.core import mail

from tests import services

BASE_DIR = Path(__file__).resolve().parent.parent


def _load_services_env():
    spec = importlib.util.spec_from_file_location(
        "services_env", BASE_DIR / "scripts" / "services_env.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("services_env", module)
    spec.loader.exec_module(module)
    return module


# --- REQUIRE_SERVICES ---------------------------------------------------------------------------


def test_missing_service_skips_by_default(monkeypatch):
    monkeypatch.delenv("REQUIRE_SERVICES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Redis not reachable: gone"):
        services.service_missing("Redis", "gone")


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_missing_service_fails_when_services_are_required(monkeypatch, value):
    monkeypatch.setenv("REQUIRE_SERVICES", value)
    with pytest.raises(pytest.fail.Exception, match="Redis not reachable: gone"):
        services.service_missing("Redis", "gone")


def test_require_services_zero_means_skip(monkeypatch):
    monkeypatch.setenv("REQUIRE_SERVICES", "0")
    with pytest.raises(pytest.skip.Exception):
        services.service_missing("PostgreSQL", "not here")


def test_unreachable_redis_is_reported_not_hung(monkeypatch, settings):
    monkeypatch.delenv("REQUIRE_SERVICES", raising=False)
    settings.REDIS_URL = f"redis://127.0.0.1:{services.free_port()}/0"  # nobody listens there
    with pytest.raises(pytest.skip.Exception, match="Redis not reachable"):
        services.require_redis()
    monkeypatch.setenv("REQUIRE_SERVICES", "1")
    with pytest.raises(pytest.fail.Exception, match="Redis not reachable"):
        services.require_redis()


def test_empty_redis_url_means_no_redis(settings):
    settings.REDIS_URL = ""
    assert "REDIS_URL is empty" in services.redis_problem()


def test_sqlite_means_no_postgres(monkeypatch):
    monkeypatch.delenv("REQUIRE_SERVICES", raising=False)
    assert "sqlite3" in services.postgres_problem("django.db.backends.sqlite3")
    assert services.postgres_problem("django.db.backends.postgresql") is None
    monkeypatch.setattr(services, "postgres_problem", lambda: "the tests run on sqlite3")
    with pytest.raises(pytest.skip.Exception, match="PostgreSQL not reachable"):
        services.require_postgres()


def test_missing_chromium_is_reported(monkeypatch):
    monkeypatch.delenv("REQUIRE_SERVICES", raising=False)
    monkeypatch.setenv("CHROMIUM_PATH", "/nonexistent/chromium")
    with pytest.raises(pytest.skip.Exception, match="Chromium not available"):
        services.require_chromium()
    monkeypatch.setenv("CHROMIUM_PATH", "")
    with pytest.raises(pytest.skip.Exception, match="CHROMIUM_PATH is empty"):
        services.require_chromium()


def test_skip_messages_are_counted_in_the_summary():
    assert services.SKIP_RE.search("Skipped: Redis not reachable: REDIS_URL is empty")
    assert services.SKIP_RE.search("Chromium not available: /usr/bin/chromium not found")
    assert not services.SKIP_RE.search("Skipped: not implemented yet")


def test_database_url_of_the_test_database():
    url = services.database_url(
        {"NAME": "test_medlemsrost", "USER": "postgres", "HOST": "127.0.0.1", "PORT": 5432}
    )
    assert url == "postgres://postgres@127.0.0.1:5432/test_medlemsrost"
    url = services.database_url({"NAME": "db", "USER": "u", "PASSWORD": "p@ss/w", "HOST": "h"})
    assert url == "postgres://u:p%40ss%2Fw@h/db"


# --- scripts/services_env.py --------------------------------------------------------------------


def _up(url):
    return True, ""


def _down(url):
    return False, "refused"


def test_services_env_exports_what_answers():
    env = _load_services_env()
    plan = env.plan({}, postgres=_up, redis=_down, chromium=_down)
    assert "export DATABASE_URL=postgres://postgres@127.0.0.1:5432/medlemsrost" in plan.lines
    assert not any("REDIS_URL" in line for line in plan.lines)
    assert plan.status["PostgreSQL"] == "yes"
    assert plan.status["Redis"].startswith("no")


def test_services_env_keeps_an_explicit_url():
    env = _load_services_env()
    plan = env.plan(
        {"DATABASE_URL": "sqlite:////tmp/x.db", "REDIS_URL": "redis://elsewhere:6379/1"},
        postgres=_up,
        redis=_up,
        chromium=_up,
    )
    assert not any(line.startswith("export DATABASE_URL") for line in plan.lines)
    assert not any(line.startswith("export REDIS_URL") for line in plan.lines)
    assert plan.status["PostgreSQL"].startswith("no")


@pytest.mark.parametrize(
    "environ", [{"NO_SERVICES": "1"}, {"DATABASE_URL": "", "REDIS_URL": "", "CHROMIUM_PATH": ""}]
)
def test_services_env_can_hide_every_service(environ):
    env = _load_services_env()
    plan = env.plan(environ, postgres=_up, redis=_up, chromium=_up)
    assert "unset DATABASE_URL" in plan.lines
    assert "export REDIS_URL=" in plan.lines
    assert "export CHROMIUM_PATH=" in plan.lines
    assert "yes" not in plan.summary()


# --- SMTP ---------------------------------------------------------------------------------------


def test_smtp_server_receives_mail_from_djangos_smtp_backend(smtp_server):
    connection = mail.get_connection(
        "django.core.mail.backends.smtp.EmailBackend",
        host=smtp_server.host,
        port=smtp_server.port,
        username="",
        password="",
        use_tls=False,
        use_ssl=False,
        timeout=10,
    )
    message = mail.EmailMessage(
        subject="Hej från Medlemsröst",
        body="Svara gärna på enkäten: åäö.",
        from_email="Medlemsröst <noreply@medlemsrost.se>",
        to=["medlem@example.org"],
        connection=connection,
    )
    assert message.send() == 1

    (received,) = smtp_server.wait_for(1, timeout=10)
    assert received["Subject"] == "Hej från Medlemsröst"
    assert received["To"] == "medlem@example.org"
    assert "åäö" in received.get_content()
    assert smtp_server.envelopes == [("noreply@medlemsrost.se", ["medlem@example.org"])]


def test_smtp_server_configures_django(smtp_server, settings):
    smtp_server.configure_django(settings)
    mail.send_mail("Påminnelse", "Hej igen", None, ["a@example.org", "b@example.org"])
    (received,) = smtp_server.wait_for(1, timeout=10)
    assert received["Subject"] == "Påminnelse"


def test_smtp_wait_for_times_out_with_a_clear_message(smtp_server):
    with pytest.raises(AssertionError, match=r"expected 1 e-mail\(s\) within 0.1s, got 0"):
        smtp_server.wait_for(1, timeout=0.1)


def test_smtp_server_refuses_nothing_but_is_on_loopback(smtp_server):
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client:
        assert client.noop()[0] == 250
    assert smtp_server.host == "127.0.0.1"


# --- Celery -------------------------------------------------------------------------------------


def test_unit_tests_run_celery_tasks_in_process():
    from config.celery import app

    assert app.conf.task_always_eager is True
    assert app.conf.task_eager_propagates is True


@pytest.mark.parametrize("run", ["first", "second"])
def test_unit_tests_use_locmem_email_and_a_private_cache(settings, run):
    from django.core.cache import cache

    assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend"
    assert "LocMemCache" in settings.CACHES["default"]["BACKEND"]
    assert cache.get("left-by-another-test") is None
    cache.set("left-by-another-test", 1)


@pytest.mark.django_db(transaction=True)
def test_celery_worker_runs_a_task_through_redis(celery_worker, smtp_server, settings):
    """A task sent from the test goes through Redis (under the test's key prefix) to the worker
    subprocess, which reads the *test* database and mails through the test SMTP server."""
    import redis
    from django.contrib.auth import get_user_model

    from config.celery import app

    get_user_model().objects.create_user("probe-user")
    marker = uuid.uuid4().hex[:12]
    assert app.conf.task_always_eager is False
    assert app.conf.broker_transport_options == {"global_keyprefix": celery_worker.prefix}

    services.infrastructure_probe.delay("ops@example.org", marker)

    (received,) = smtp_server.wait_for(1, timeout=60)
    assert received["Subject"] == f"probe {marker} users=1"
    assert received["To"] == "ops@example.org"
    celery_worker.wait_for_log(r"tests\.services\.infrastructure_probe\[.*\] succeeded")
    # The broker's keys are under the prefix; nothing went to the unprefixed default queue.
    client = redis.Redis.from_url(celery_worker.redis_url)
    assert any(client.scan_iter(match=f"{celery_worker.prefix}*"))


def test_celery_config_is_restored_after_a_worker_test():
    from config.celery import app

    assert app.conf.task_always_eager is True
    assert not app.conf.broker_transport_options.get("global_keyprefix", "").startswith("test-")


# --- production files ---------------------------------------------------------------------------


def test_docker_compose_services_wait_for_healthy_dependencies():
    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    services_ = compose["services"]
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(services_)
    for name in ("postgres", "redis"):
        assert "healthcheck" in services_[name], name
    for name in ("web", "worker", "beat"):
        depends = services_[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
        environment = services_[name]["environment"]
        for variable in ("DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "EMAIL_URL", "SITE_URL"):
            assert variable in environment, (name, variable)
    assert "gunicorn" in str(services_["web"]["command"])


def test_docker_compose_scales_web_and_worker_but_keeps_one_beat():
    """`docker compose up --scale web=2 --scale worker=2` is valid: no fixed container name or
    host port on what scales, the proxy spreads requests over every web container, migrations
    run once before any of them, and beat stays one container."""
    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    services_ = compose["services"]
    for name in ("web", "worker", "beat"):
        assert "container_name" not in services_[name], name
        assert "ports" not in services_[name], f"{name}: a host port clashes when scaled"
        assert "migrate" not in str(services_[name]["command"]), name
        assert (
            services_[name]["depends_on"]["migrate"]["condition"]
            == "service_completed_successfully"
        ), name
    assert services_["migrate"]["command"] == "python manage.py migrate --noinput"
    assert services_["migrate"]["restart"] == "no"
    assert services_["web"]["expose"] == ["8000"]

    # One published port, on the proxy, which finds every web container by its service name.
    published = [name for name, service in services_.items() if "ports" in service]
    assert published == ["proxy"]
    mount = services_["proxy"]["volumes"][0].split(":")
    assert mount[1] == "/etc/caddy/Caddyfile"
    caddyfile = " ".join((BASE_DIR / mount[0]).read_text().split())
    assert "dynamic a web 8000" in caddyfile and "lb_policy round_robin" in caddyfile
    # The rate limits count the address the proxy sets, never one a client writes itself.
    assert "header_up X-Real-IP {client_ip}" in caddyfile
    assert "trusted_proxies_strict" in caddyfile
    assert services_["web"]["environment"]["RATELIMIT_IP_META_KEY"].endswith(":-HTTP_X_REAL_IP}")

    beats = [name for name, service in services_.items() if " beat" in str(service.get("command"))]
    assert beats == ["beat"]
    assert services_["beat"]["deploy"]["replicas"] == 1
