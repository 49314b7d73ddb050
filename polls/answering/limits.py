"""Rate limits on the member's pages (issue 12), with django-ratelimit: guessing a token is
hopeless even without them (128 random bits), and with them it is slower by far than the poll
lasts. See docs/security.md for the arithmetic.

Two counters per request, in the cache (Redis in production, shared by every process):

- per client address (`MEMBER_RATE_PER_IP`, default 1,200 a minute: a workplace behind one
  address may have many members answering at 08:00), and
- per token prefix, for unknown tokens only (`MEMBER_RATE_PER_TOKEN_PREFIX`, default 300 a
  minute for each of the 4,096 prefixes of two characters): this one binds a guesser who
  spreads over many addresses, since every guessed token falls in one of 4,096 buckets, and
  it never touches a member with a real token.

A member answering normally makes some ten requests (and the draft's autosave at most one every
two seconds while typing), far below both. When Redis does not answer, the project's cache
(config/cache.py) reports every counter as new, so nothing is limited: answering goes on, and
the limits are back when Redis is.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import _get_ip, is_ratelimited

TOKEN_PREFIX_LENGTH = 2


def _token_prefix(group: str, request: HttpRequest) -> str:
    match = request.resolver_match
    token = str(match.kwargs.get("token", "")) if match else ""
    return token[:TOKEN_PREFIX_LENGTH]


_NETWORKS: dict[str, str] = {}
MAX_NETWORKS = 10_000


def _client_network(group: str, request: HttpRequest) -> str:
    """django-ratelimit's "ip" key (the client's address, an IPv6 one cut to its /64), kept per
    address: the library parses it into an `ipaddress` network on every request, a tenth of the
    rate limit's CPU (issue #14). Its own function works it out; only the result is kept."""
    header = settings.RATELIMIT_IP_META_KEY
    if (header is not None and not isinstance(header, str)) or (header and "." in header):
        return _get_ip(request)  # a function names the address: nothing to key it by
    address = request.META.get(header or "REMOTE_ADDR", "")
    network = _NETWORKS.get(address)
    if network is None:
        network = _get_ip(request)
        if len(_NETWORKS) >= MAX_NETWORKS:
            _NETWORKS.clear()
        _NETWORKS[address] = network
    return network


def too_many_requests(request: HttpRequest) -> HttpResponse:
    response = render(request, "429.html", status=429)
    response["Retry-After"] = "60"
    return response


def member_rate_limited(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Counts the request per client address; over the limit the member gets the friendly 429
    page and the view does not run. Unknown tokens are counted per prefix as well, by the view
    (`unknown_token_limited`)."""

    @wraps(view)
    def limited(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if is_ratelimited(
            request,
            group="member-ip",
            key=_client_network,
            rate=settings.MEMBER_RATE_PER_IP,
            increment=True,
        ):
            return too_many_requests(request)
        return view(request, *args, **kwargs)

    return limited


def unknown_token_limited(request: HttpRequest) -> bool:
    """Counts an unknown token against its prefix: whether that prefix is over its limit. Only
    guesses are counted, so a guesser who exhausts a prefix's counter never stands in the way
    of the members whose real tokens share it, and a member's own requests cost no counter."""
    return is_ratelimited(
        request,
        group="member-token-prefix",
        key=_token_prefix,
        rate=settings.MEMBER_RATE_PER_TOKEN_PREFIX,
        increment=True,
    )
