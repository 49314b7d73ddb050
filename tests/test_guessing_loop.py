"""A token-guessing loop against a running server is throttled (issue 12): the app runs as
production runs it (gunicorn with threaded workers, DEBUG off, the rate-limit counters in Redis)
and a guesser talks to it over HTTP.

The limits key on REMOTE_ADDR (RATELIMIT_IP_META_KEY is unset, as in docker-compose.yml), which
is the address the TCP connection comes from: a header the client writes itself cannot change it.
Every address of 127.0.0.0/8 reaches a server on 127.0.0.1, so the guesser, the botnet and the
member each connect from loopback addresses of their own.

django-ratelimit counts in fixed windows whose end depends on the counted value (crc32 of the
address or prefix): each test picks an address (or prefix) whose current window has long enough
left, so that a loop never straddles two windows.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django_ratelimit.core import _get_window, _split_rate

from polls.models import Response
from tests import factories as f
from tests import services
from tests.servers import ROOT, Gunicorn, app_env, request

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
RADIO = re.compile(r'<input type="radio" name="(q\d+)" value="(\d+)"')
PAGE = re.compile(r'<input type="hidden" name="page" value="(\d+)"')
PAUSE = "En kort paus"
THANKS = "Tack för att du svarade"


def forged_token() -> str:
    """What a guesser sends: a token of the real ones' shape (22 URL-safe characters)."""
    return secrets.token_urlsafe(16)


def with_time_left(candidates, period: int, seconds: float) -> str:
    """The first counted value (address or prefix) whose current window has `seconds` left."""
    now = time.time()
    for value in candidates:
        if _get_window(value, period) - now >= seconds:
            return value
    raise AssertionError("no candidate with a long enough window")  # pragma: no cover


@pytest.fixture
def server(needs_postgres, needs_redis, tmp_path: Path):
    """gunicorn on the test database, its cache (and so the counters) in Redis under a private
    prefix; the rates are this process's settings (the defaults unless the environment says)."""
    from django.db import connection

    prefix = f"test-guess-{uuid.uuid4().hex[:12]}-"
    env = app_env(
        DATABASE_URL=services.database_url(connection.settings_dict),
        REDIS_URL=services.redis_url(),
        CACHE_KEY_PREFIX=prefix,
        CELERY_KEY_PREFIX=prefix,
        MEMBER_RATE_PER_IP=settings.MEMBER_RATE_PER_IP,
        MEMBER_RATE_PER_TOKEN_PREFIX=settings.MEMBER_RATE_PER_TOKEN_PREFIX,
        RATELIMIT_IP_META_KEY="",
    )
    web = Gunicorn(env=env, log_dir=tmp_path)
    try:
        web.wait_ready()
        yield web
    finally:
        web.stop()
        services.redis_delete_prefix(services.redis_url(), prefix)


def guesses(server: Gunicorn, count: int, *, source, prefix: str = "", headers=None) -> Counter:
    """`count` forged tokens, 8 at a time; `source(i)` is the address of the i-th. Statuses."""

    def one(i: int) -> int:
        token = prefix + forged_token()[len(prefix) :]
        extra = headers(i) if headers else None
        return request(server.url, "GET", f"/s/{token}/", source=source(i), headers=extra).status

    with ThreadPoolExecutor(8) as pool:
        return Counter(pool.map(one, range(count)))


def answer_the_poll(server: Gunicorn, token: str, *, source: str) -> str:
    """A member's browser from `source`: GET the form, POST it with the CSRF cookie and a
    choice for every question; the page after the last POST."""
    page = request(server.url, "GET", f"/s/{token}/", source=source)
    assert page.status == 200, page.body[:2000]
    cookie = page.cookies()["csrftoken"]
    for _ in range(10):
        csrf, number = CSRF.search(page.body), PAGE.search(page.body)
        assert csrf and number, page.body[:2000]
        choices = dict(RADIO.findall(page.body))  # the last option of each question
        form = {"csrfmiddlewaretoken": csrf.group(1), "page": number.group(1), "action": "next"}
        posted = request(
            server.url,
            "POST",
            f"/s/{token}/",
            source=source,
            body=urlencode({**form, **choices}),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={cookie}",
            },
        )
        if posted.status != 302:
            return posted.body
        page = request(
            server.url,
            "GET",
            f"/s/{token}/",
            source=source,
            headers={"Cookie": f"csrftoken={cookie}"},
        )
    raise AssertionError("the poll never ended")


@pytest.mark.django_db(transaction=True)
def test_a_guessing_loop_from_one_address_is_throttled_and_headers_do_not_help(server):
    poll = f.PollFactory()
    f.single_choice_question(poll)
    _invitation, member_token = f.invitation_with_token(poll, email="medlem@example.se")
    limit, period = _split_rate(settings.MEMBER_RATE_PER_IP)

    guesser = with_time_left((f"127.0.0.{n}" for n in range(10, 250)), period, 45)
    started = time.monotonic()
    statuses = guesses(server, limit + 100, source=lambda i: guesser)
    elapsed = time.monotonic() - started
    # Exactly `limit` guesses were looked up (the unknown-link page, 404); the rest were refused.
    assert statuses == Counter({404: limit, 429: 100}), statuses

    # It keeps being refused, friendly and in Swedish, with a Retry-After.
    for _ in range(20):
        refused = request(server.url, "GET", f"/s/{forged_token()}/", source=guesser)
        assert refused.status == 429
        assert PAUSE in refused.body and refused.header("Retry-After") == "60"

    # Claiming another client address in a header changes nothing: the settings trust none.
    def rotating(i: int) -> dict[str, str]:
        address = f"10.{i % 200}.{i // 200}.{i % 250 + 1}"
        return {"X-Forwarded-For": address, "X-Real-IP": address, "Forwarded": f"for={address}"}

    assert guesses(server, 60, source=lambda i: guesser, headers=rotating) == Counter({429: 60})

    # Every request from that address counts, so even a real link waits there ...
    assert request(server.url, "GET", f"/s/{member_token}/", source=guesser).status == 429
    # ... while a member on another address answers as if nothing happened.
    member = next(f"127.0.1.{n}" for n in range(1, 250) if f"127.0.1.{n}" != guesser)
    assert THANKS in answer_the_poll(server, member_token, source=member)
    assert Response.objects.filter(poll=poll).count() == 1

    allowed = limit / period
    print(
        f"\none address: {limit} guesses answered in {elapsed:.1f} s"
        f" ({limit / elapsed:.0f}/s while the window was open), then 429;"
        f" allowed on average {limit} per {period} s = {allowed:g} guesses/s"
    )
    assert f"{limit:,} a minute = {allowed:g} guesses/s" in security_doc()


@pytest.mark.django_db(transaction=True)
def test_a_botnet_on_many_addresses_meets_the_limit_of_each_token_prefix(server):
    limit, period = _split_rate(settings.MEMBER_RATE_PER_TOKEN_PREFIX)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    prefix = with_time_left((a + b for a in "QZ" for b in alphabet), period, 30)
    addresses = [f"127.0.{2 + i // 250}.{i % 250 + 1}" for i in range(limit + 20)]  # one each

    statuses = guesses(server, limit + 20, prefix=prefix, source=lambda i: addresses[i])
    assert statuses == Counter({404: limit, 429: 20}), statuses
    # Another prefix is another counter: the botnet is slowed, not the whole site.
    other = next(p for p in ("Ab", "Cd", "Ef") if p != prefix)
    assert guesses(server, 5, prefix=other, source=lambda i: addresses[i]) == Counter({404: 5})

    prefixes = len(alphabet) ** 2
    per_second = limit / period * prefixes
    print(
        f"\nany number of addresses: {limit} guesses per prefix per {period} s,"
        f" {prefixes:,} prefixes = at most {per_second:,.0f} guesses/s answered"
    )
    assert f"{prefixes:,} prefixes, so at most {per_second:,.0f} guesses/s" in security_doc()


def security_doc() -> str:
    return " ".join((ROOT / "docs" / "security.md").read_text().split())


def sci(value: float) -> str:
    """5.2 × 10⁷, as docs/security.md writes it."""
    mantissa, exponent = f"{value:.1e}".split("e")
    superscript = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
    return f"{mantissa} × 10{str(int(exponent)).translate(superscript)}"


def test_the_documented_arithmetic_follows_from_the_configured_rates():
    """docs/security.md's figures are those of config/settings.py's defaults."""
    doc = security_doc()
    ip_limit, ip_period = _split_rate(settings.MEMBER_RATE_PER_IP)
    prefix_limit, prefix_period = _split_rate(settings.MEMBER_RATE_PER_TOKEN_PREFIX)
    assert ip_period == prefix_period == 60, "the doc speaks of limits a minute"
    assert f"| {ip_limit:,} a minute | `MEMBER_RATE_PER_IP` |" in doc
    assert f"| {prefix_limit:,} a minute per prefix | `MEMBER_RATE_PER_TOKEN_PREFIX` |" in doc
    field_period = 30 * 24 * 3600
    one_address = ip_limit / ip_period
    botnet = prefix_limit / prefix_period * 64**2
    valid = 10**5 / 2**128
    assert sci(valid) in doc
    assert f"{one_address:g} guesses/s" in doc
    assert f"that is {sci(one_address * field_period)} guesses" in doc
    assert sci(one_address * field_period * valid) in doc
    assert f"{prefix_limit / prefix_period:g}/s for each of 4,096 prefixes" in doc
    assert f"{sci(botnet * field_period)} guesses" in doc
    assert sci(botnet * field_period * valid) in doc
