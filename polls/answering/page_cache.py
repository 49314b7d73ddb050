"""The first page of a poll as a member without a draft meets it, each later page as a member
meets it after Next (nothing typed on it yet), and the thank-you page after the submit,
rendered once per process.

At 08:00 most requests of a poll are members opening their link for the first time: no draft,
page one, nothing typed. That page is the same for all of them but for three things: their token
(in the autosave address and the language form's `next`), the CSRF token, and, where a question
on it shuffles its options, the order that the member's seed gives. Rendering it (20 questions,
their inputs, the base template) was most of a GET's CPU (bench/RESULTS.md, issue #14), so each
process keeps the rendered page with the member's parts cut out and puts them back per request.

A later page's key adds the page and which questions the member's earlier answers show
(`polls.answering.flow._later_page_key`): its numbering and buttons follow from that set, and
a page holding any of the member's own values is never taken from the cache. The key holds
everything else the page is drawn from: the poll and its questionnaire stamp
(`polls.answering.questionnaires`: any edit of a question, option, statement or condition
changes it), the poll's own texts as the member's language shows them, the language, and the
member's seed when the page shuffles. A request that could draw anything else (a query string,
a pending message, a signed-in user) is rendered as usual, and so is anything without a stamp
(SQLite, the studio's test mode).
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.utils.translation import get_language

MAX_CACHED = 256  # pages per process, some 30 kB each

LINK_SLOT = "\x00token\x00"
CSRF_SLOT = "\x00csrf\x00"
_CSRF_VALUE = re.compile(r'(name="csrfmiddlewaretoken" value=")([^"]+)(")')

_cache: OrderedDict[Hashable, tuple[int, str]] = OrderedDict()
_lock = threading.Lock()


def cacheable(request: HttpRequest) -> bool:
    """Whether this request draws nothing but what the key holds."""
    return (
        not request.GET
        and "messages" not in request.COOKIES
        and not getattr(getattr(request, "user", None), "is_authenticated", False)
    )


def page_key(*parts: Hashable) -> Hashable:
    return (get_language(), *parts)


def _cut(html: str, token: str) -> str:
    return _CSRF_VALUE.sub(rf"\g<1>{CSRF_SLOT}\g<3>", html).replace(token, LINK_SLOT)


# Byte -> character, for the bytes under 248 (4 × 62); the others are dropped, so that every
# character is equally likely.
_CHAR_OF_BYTE = bytes(ord(CSRF_ALLOWED_CHARS[b % len(CSRF_ALLOWED_CHARS)]) for b in range(256))
_UNEVEN_BYTES = bytes(range(4 * len(CSRF_ALLOWED_CHARS), 256))


def _random_chars(length: int) -> str:
    """`length` characters of CSRF_ALLOWED_CHARS, each uniformly random, from the system's
    random generator."""
    picked = b""
    while len(picked) < length:
        picked += secrets.token_bytes(length).translate(_CHAR_OF_BYTE, _UNEVEN_BYTES)
    return picked[:length].decode("ascii")


_INDEX = {char: index for index, char in enumerate(CSRF_ALLOWED_CHARS)}


def csrf_token(request: HttpRequest) -> str:
    """What `django.middleware.csrf.get_token` gives, the request's secret masked afresh (or a
    new secret, which the middleware then sets as the cookie), with one call to the system's
    random generator per string instead of one per character: Django's `get_random_string`
    took some 60 µs for each of the 32-character mask and secret, a fifth of a cached page's
    CPU (bench/RESULTS.md, issue #14). The format is Django's: mask, then the secret shifted
    by it character by character; tests/test_first_page_cache.py posts the forms it fills."""
    secret = request.META.get("CSRF_COOKIE")
    if secret is None:
        secret = request.META["CSRF_COOKIE"] = _random_chars(CSRF_SECRET_LENGTH)
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    mask, chars = _random_chars(CSRF_SECRET_LENGTH), CSRF_ALLOWED_CHARS
    return mask + "".join(
        chars[(_INDEX[s] + _INDEX[m]) % len(chars)] for s, m in zip(secret, mask, strict=True)
    )


def _fill(template: str, request: HttpRequest, token: str) -> str:
    return template.replace(CSRF_SLOT, csrf_token(request)).replace(LINK_SLOT, token)


def member_page(
    request: HttpRequest, *, key: Hashable, token: str, render: Callable[[], HttpResponse]
) -> HttpResponse:
    """The page from this process's cache, or `render()` (and kept when it is a plain 200)."""
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
    if found is not None:
        status, template = found
        return HttpResponse(_fill(template, request, token), status=status)
    response = render()
    if response.status_code == 200 and not response.streaming and token:
        charset = response.charset or "utf-8"
        html = response.content.decode(charset)
        if LINK_SLOT not in html and CSRF_SLOT not in html:
            with _lock:
                _cache[key] = (response.status_code, _cut(html, token))
                while len(_cache) > MAX_CACHED:
                    _cache.popitem(last=False)
    return response


def forget_pages() -> None:
    """Empty this process's cache (tests)."""
    with _lock:
        _cache.clear()
