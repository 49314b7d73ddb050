"""Member pages are rate-limited per client address and per token prefix (issue 12): a loop of
forged tokens meets the friendly 429 page after the limit, a member answering normally never
does, and with Redis down nobody is limited (answering goes on)."""

import time

import pytest
from django.core.cache import caches
from django.test import Client, override_settings
from django.urls import reverse

from polls.models import Draft, Response
from tests.factories import every_kind_poll, invitation_with_token

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _one_window(monkeypatch):
    """The counters' windows are a minute long: the clock stands still, so that a loop does not
    straddle two of them."""
    import django_ratelimit.core

    window = int(time.time()) + 60
    monkeypatch.setattr(django_ratelimit.core, "_get_window", lambda value, period: window)


def forged(i: int, prefix: str = "Xy") -> str:
    """A made-up token of the real tokens' length (22 characters)."""
    return reverse("answer", args=[f"{prefix}{i:020d}"])


@override_settings(MEMBER_RATE_PER_IP="20/m")
def test_a_forged_token_loop_from_one_address_meets_the_429_page():
    client = Client()
    statuses = [client.get(forged(i)).status_code for i in range(30)]
    assert statuses[:20] == [404] * 20
    assert statuses[20:] == [429] * 10
    page = client.get(forged(99))
    html = page.content.decode()
    assert page["Retry-After"] == "60"
    assert "En kort paus" in html and "Vänta en minut" in html
    assert "<script>" not in html and "style=" not in html


@override_settings(MEMBER_RATE_PER_TOKEN_PREFIX="10/m")
def test_a_guesser_spread_over_many_addresses_meets_the_limit_of_the_token_prefix():
    statuses = [
        Client(REMOTE_ADDR=f"10.0.{i // 250}.{i % 250 + 1}").get(forged(i, "Ab")).status_code
        for i in range(15)
    ]
    assert statuses == [404] * 10 + [429] * 5
    # another prefix is another counter
    assert Client(REMOTE_ADDR="10.9.9.9").get(forged(1, "Zz")).status_code == 404


def test_a_member_answering_normally_never_meets_the_limits(client):
    poll = every_kind_poll()
    _invitation, token = invitation_with_token(poll)
    url = reverse("answer", args=[token])
    questions = {q.code: q for q in poll.questions.prefetch_related("options", "rows")}

    def option(code, option_code):
        return str(questions[code].options.get(code=option_code).pk)

    page1 = {
        "page": "0",
        f"q{questions['kan_utfora'].pk}": option("kan_utfora", "nej"),
        f"q{questions['vad_kravs'].pk}": "Färre ärenden",
        f"q{questions['atgarder'].pk}": [option("atgarder", "tid")],
    }
    statuses = [client.get(url).status_code]
    for _typed in range(30):  # the autosave while typing, once every two seconds for a minute
        statuses.append(client.post(url + "draft/", page1).status_code)
    statuses.append(client.post(url, {**page1, "action": "next"}).status_code)
    statuses.append(client.get(url).status_code)
    statuses.append(client.post(url, {"page": "1", "action": "back"}).status_code)
    statuses.append(client.get(url).status_code)
    statuses.append(client.post(url, {**page1, "action": "next"}).status_code)
    page2 = {
        "page": "1",
        "action": "next",
        f"q{questions['nojd'].pk}": "4",
        f"q{questions['arenden'].pk}": "38",
    }
    statuses.append(client.post(url, page2).status_code)
    ranking, grid = questions["prioritet"], questions["pastaenden"]
    page3 = {"page": "2", "action": "next"}
    for rank, code in enumerate(["lon", "arbetstid", "arbetsmiljo"], start=1):
        page3[f"q{ranking.pk}_{rank}"] = option("prioritet", code)
    for row in grid.rows.all():
        page3[f"q{grid.pk}_r{row.pk}"] = option("pastaenden", "inte")
    statuses.append(client.get(url).status_code)
    statuses.append(client.post(url, page3).status_code)
    assert 429 not in statuses
    assert Response.objects.count() == 1 and not Draft.objects.exists()


@override_settings(
    MEMBER_RATE_PER_IP="5/m",
    CACHES={
        "default": {
            # nothing listens on port 1: the project's cache serves it as empty
            "BACKEND": "config.cache.ForgivingRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    },
)
def test_with_redis_down_nobody_is_limited():
    assert caches["default"].add("probe", 1) is True  # what config/cache.py says when down
    client = Client()
    assert [client.get(forged(i)).status_code for i in range(10)] == [404] * 10


@override_settings(MEMBER_RATE_PER_TOKEN_PREFIX="5/m")
def test_a_guesser_who_exhausts_a_prefix_does_not_lock_out_its_members():
    poll = every_kind_poll()
    _invitation, token = invitation_with_token(poll)
    prefix = token[:2]
    statuses = [
        Client(REMOTE_ADDR=f"10.1.0.{i + 1}").get(forged(i, prefix)).status_code for i in range(8)
    ]
    assert statuses == [404] * 5 + [429] * 3
    assert Client(REMOTE_ADDR="10.2.0.1").get(reverse("answer", args=[token])).status_code == 200


@pytest.mark.usefixtures("needs_redis")
def test_on_redis_a_counter_goes_up_in_one_round_trip_and_keeps_its_expiry(settings):
    """Every member request counts itself (config.cache: `incr` is one script on Redis, where
    Django's own is EXISTS then INCRBY); a key that is not there is still an error."""
    import uuid

    from django.test.utils import override_settings as override

    with override(
        CACHES={
            "counters": {
                "BACKEND": "config.cache.ForgivingRedisCache",
                "LOCATION": settings.REDIS_URL,
                "KEY_PREFIX": f"test-incr-{uuid.uuid4().hex[:8]}",
            }
        }
    ):
        cache = caches["counters"]
        client = cache._cache.get_client(write=True)
        cache.add("ip:1", 1, 60)
        redis_cache = cache._cache
        assert cache.incr("ip:1") == 2
        client.script_flush()  # as after a Redis restart: the script is loaded again
        assert cache.incr("ip:1") == 3
        calls = []
        held = redis_cache._held
        original = held.command
        held.command = lambda pool, *args: calls.append(args[0]) or original(pool, *args)
        try:
            assert cache.incr("ip:1") == 4
            assert cache.incr("ip:1", 5) == 9
        finally:
            del held.command
        assert calls == ["EVALSHA", "EVALSHA"]
        assert 0 < client.ttl(cache.make_key("ip:1")) <= 60
        with pytest.raises(ValueError):
            cache.incr("ip:2")
        cache.delete("ip:1")


@pytest.mark.usefixtures("needs_redis")
def test_the_counters_count_every_request_in_one_round_trip_and_survive_a_redis_restart(settings):
    """config.cache.CounterCache, the rate limits' cache on Redis: after a counter's first
    request each request costs one round trip (django-ratelimit's `add` is answered from the
    process's memory), the count is exact, and a counter that vanished (Redis restarted) is
    counted again from one."""
    import uuid

    from django.test import RequestFactory
    from django.test.utils import override_settings as override
    from django_ratelimit.core import get_usage

    with override(
        CACHES={
            "counters": {
                "BACKEND": "config.cache.CounterCache",
                "LOCATION": settings.REDIS_URL,
                "KEY_PREFIX": f"test-counters-{uuid.uuid4().hex[:8]}",
            }
        },
        RATELIMIT_USE_CACHE="counters",
    ):
        cache = caches["counters"]
        client = cache._cache.get_client(write=True)
        request = RequestFactory().get("/s/x/", REMOTE_ADDR="198.51.100.7")

        def count() -> int | None:
            usage = get_usage(request, group="member-ip", key="ip", rate="100/m", increment=True)
            return usage["count"] if usage else None  # None: not counted, so not limited

        assert count() == 1
        calls = []
        held = cache._cache._held  # the thread's own connection (get, incr) and the client's
        original, original_held = client.execute_command, held.command
        client.execute_command = lambda *args, **kw: calls.append(args[0]) or original(*args, **kw)
        held.command = lambda pool, *args: calls.append(args[0]) or original_held(pool, *args)
        try:
            assert [count() for _ in range(5)] == [2, 3, 4, 5, 6]
        finally:
            del client.execute_command, held.command
        assert calls == ["EVALSHA"] * 5

        for key in client.scan_iter(match=f"{cache.key_prefix}*"):
            client.delete(key)  # as if Redis had restarted empty
        assert count() is None  # finds the counter gone (and limits nobody) ...
        assert count() == 1  # ... and starts it again


@pytest.mark.parametrize(
    ("meta", "header", "counted_as"),
    [
        ({"REMOTE_ADDR": "198.51.100.7"}, None, "198.51.100.7"),
        ({"REMOTE_ADDR": "2001:db8:1:2:aaaa::1"}, None, "2001:db8:1:2::"),
        (
            {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_REAL_IP": "203.0.113.9"},
            "HTTP_X_REAL_IP",
            "203.0.113.9",
        ),
    ],
)
def test_members_are_counted_per_address_as_django_ratelimit_counts_them(
    settings, meta, header, counted_as
):
    """The per-address counter's key is kept per address (polls.answering.limits), and it is
    the library's own: an IPv6 address counts with its /64, and behind a proxy the address is
    the header's, asked twice to show the kept answer is the same."""
    from django.test import RequestFactory

    from polls.answering.limits import _client_network

    settings.RATELIMIT_IP_META_KEY = header
    for _ in range(2):
        request = RequestFactory().get("/s/x/", **meta)
        assert _client_network("member-ip", request) == counted_as
