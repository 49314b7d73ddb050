"""Fixtures for tests that use real services; the logic is in tests/services.py.

Service fixtures (skip when the service is missing, fail when REQUIRE_SERVICES=1):
    needs_postgres, needs_redis, needs_chromium   use as arguments or
                                                  @pytest.mark.usefixtures("needs_redis")
    smtp_server          -> services.SmtpServer (.host, .port, .messages, .wait_for(n, timeout=30))
    celery_worker        -> services.CeleryWorker (needs Redis + PostgreSQL, transactional db)
    browser_page         -> playwright Page (390x844, sv-SE)
    browser_page_factory -> callable(**context options) -> Page, each in a fresh context

Every other test runs Celery tasks in-process (eager) with a private LocMem cache and
pytest-django's locmem e-mail backend (`mailoutbox`); passwords are hashed with MD5 (fast).
"""

from __future__ import annotations

import os
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests import services

SERVICE_FIXTURES = {
    "needs_postgres",
    "needs_redis",
    "needs_chromium",
    "celery_worker",
    "browser_page",
    "browser_page_factory",
}
WORKER_LOG = pytest.StashKey[services.CeleryWorker]()


# --- requiring a service ------------------------------------------------------------------------


@pytest.fixture
def needs_postgres() -> None:
    """The test runs only on PostgreSQL (DATABASE_URL postgres://...)."""
    services.require_postgres()


@pytest.fixture
def needs_redis() -> None:
    """The test needs Redis at REDIS_URL."""
    services.require_redis()


@pytest.fixture
def needs_chromium() -> None:
    """The test needs Chromium (/usr/bin/chromium or CHROMIUM_PATH) and Python playwright."""
    services.require_chromium()


# --- the test database -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, request: pytest.FixtureRequest
) -> None:
    """On PostgreSQL each run gets its own test database (test_medlemsrost_p<pid>), so that runs
    from several checkouts sharing one server do not drop each other's; --reuse-db keeps the
    plain name."""
    if not request.config.getvalue("reuse_db"):
        services.isolate_test_databases()


# --- defaults for every test --------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _celery_eager_and_private_cache(settings: Any) -> Iterator[None]:
    """Tasks run in-process (no worker needed) and each test gets its own empty LocMem cache,
    even when REDIS_URL is set. E-mail: pytest-django's locmem backend (`mailoutbox`)."""
    from config.celery import app

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-{uuid.uuid4().hex}",
        }
    }
    settings.RATELIMIT_USE_CACHE = "default"
    with services.celery_config(app, task_always_eager=True, task_eager_propagates=True):
        yield


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Any) -> None:
    """MD5 instead of PBKDF2 for the test users' passwords: hashing them was about a third of
    the suite's time. Never a production setting (config/settings.py keeps Django's default)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _two_factor_not_required(settings: Any) -> None:
    """No role must set up two-factor verification (STAFF_2FA_REQUIRED_ROLES empty), so that the
    tests that log an Admin in (force_login, or the login page in a browser) reach the staff
    pages as before. A user with a confirmed device still owes the code at every login; the
    requirement itself is tested with `two_factor_required` (tests/test_two_factor.py)."""
    settings.STAFF_2FA_REQUIRED_ROLES = []


@pytest.fixture
def two_factor_required(settings: Any) -> None:
    """The production default: Admin (and superusers) must set a device up."""
    settings.STAFF_2FA_REQUIRED_ROLES = ["Admin"]


# --- SMTP ---------------------------------------------------------------------------------------


@pytest.fixture
def smtp_server() -> Iterator[services.SmtpServer]:
    """A real SMTP server on 127.0.0.1:<free port> collecting what it receives."""
    server = services.SmtpServer().start()
    try:
        yield server
    finally:
        server.stop()


# --- Celery worker ------------------------------------------------------------------------------


@pytest.fixture
def celery_worker(
    needs_redis: None,
    needs_postgres: None,
    transactional_db: None,
    smtp_server: services.SmtpServer,
    settings: Any,
    request: pytest.FixtureRequest,
) -> Iterator[services.CeleryWorker]:
    """A real Celery worker subprocess on the test database, Redis (a private key prefix) and
    `smtp_server`. The test's own `.delay()` calls go through Redis to it; the test must be
    `@pytest.mark.django_db(transaction=True)` (it is made transactional anyway), so that what it
    writes is committed and visible to the worker."""
    from django.db import connection

    from config.celery import app

    prefix = services.new_prefix()
    redis_url = services.redis_url()
    worker = services.CeleryWorker(
        prefix=prefix,
        redis_url=redis_url,
        database_url=services.database_url(connection.settings_dict),
        smtp=smtp_server,
    )
    # This process shares the worker's cache namespace, so invalidation by tasks is visible.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": prefix,
        }
    }
    request.node.stash[WORKER_LOG] = worker
    with services.celery_config(
        app,
        task_always_eager=False,
        broker_url=redis_url,
        broker_transport_options={"global_keyprefix": prefix},
    ):
        try:
            worker.start()
            yield worker
        finally:
            worker.stop()
            services.redis_delete_prefix(redis_url, prefix)


# --- browser ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _chromium() -> Iterator[Any]:
    """One headless Chromium for the session (Debian's, never a Playwright download)."""
    services.require_chromium()
    # Playwright's sync API runs an event loop in this thread; Django's ORM would refuse to run
    # "in an async context" without this.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=services.chromium_path(),
            args=services.CHROMIUM_ARGS,
            headless=True,
        )
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def browser_page_factory(needs_chromium: None, _chromium: Any) -> Iterator[Callable[..., Any]]:
    """make(width=390, height=844, locale="sv-SE", **context_options) -> Page, each call in a
    new browser context (own cookies: a second member, or staff beside a member)."""
    contexts: list[Any] = []

    def make(
        *, width: int = 390, height: int = 844, locale: str = "sv-SE", **context_options: Any
    ) -> Any:
        context = _chromium.new_context(
            viewport={"width": width, "height": height}, locale=locale, **context_options
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        # Every browser test is also a Content Security Policy test: Chromium reports each
        # blocked script, style or frame on the console.
        page.on(
            "console",
            lambda message: (
                violations.append(f"{page.url}: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        return page

    violations: list[str] = []
    yield make
    for context in contexts:
        context.close()
    assert not violations, "The page broke its Content Security Policy:\n" + "\n".join(violations)


@pytest.fixture
def browser_page(browser_page_factory: Callable[..., Any]) -> Any:
    """A Playwright page in a fresh context, phone-sized (390x844), Swedish."""
    return browser_page_factory()


# --- hooks --------------------------------------------------------------------------------------


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use a service fixture get the `services` marker (`-m "not services"`)."""
    for item in items:
        if SERVICE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.services)


def pytest_report_header(config: pytest.Config) -> str:
    return services.status_line()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    worker = item.stash.get(WORKER_LOG, None)
    if worker is not None and report.failed and call.when in ("call", "setup"):
        report.sections.append(("Celery worker log", worker.log or "(empty)"))
    return report


def _skip_message(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    skipped: dict[str, list[str]] = defaultdict(list)
    reasons: dict[str, str] = {}
    for report in terminalreporter.stats.get("skipped", []):
        message = _skip_message(report)
        if match := services.SKIP_RE.search(message):
            service = match.group("service")
            skipped[service].append(report.nodeid)
            reasons.setdefault(service, message[match.start() :])
    if not skipped:
        return
    terminalreporter.section("services")
    for service, nodeids in skipped.items():
        count = len(nodeids)
        verb = "not available" if service == "Chromium" else "not reachable"
        terminalreporter.write_line(
            f"{count} test{'s' if count != 1 else ''} skipped: {service} {verb} "
            "(set REQUIRE_SERVICES=1 to make this an error)",
            yellow=True,
        )
        terminalreporter.write_line(f"    {reasons[service]}")
        for nodeid in nodeids[:20]:
            terminalreporter.write_line(f"    {nodeid}")
        if count > 20:
            terminalreporter.write_line(f"    ... and {count - 20} more")
