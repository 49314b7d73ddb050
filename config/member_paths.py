"""The member's pages pass by the middlewares that only staff pages need.

A member's link (/s/<token>/ and its draft address) has no account, no session, no messages and
no htmx; what it needs of the middleware stack is the security headers, the CSP, the language,
CSRF, X-Frame-Options and the friendly page when the database is down. The other middlewares
(sessions, authentication and two-factor, the audit actor, messages, htmx, static files,
slash redirects) each cost a few microseconds per request even when they have
nothing to do, and at the 08:00 rush member requests are almost all requests (issue #14: about
0.3 ms of a one-page submission's 3.3 ms in-process).

So in `settings.MIDDLEWARE` those are wrapped in `passing_member_pages`, which calls the
middleware for every other path and goes straight on for a member page. One list for every
handler (gunicorn, the test client, the live server), so the tests see what production runs.
A member page therefore never reads a staff session either: an editor who opens a member's link
in their own browser is not known to it (tests/test_answering.py).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

# /s/<token>/ and /s/<token>/draft/ (config/urls.py). A path without its closing slash goes
# through the whole stack, so that CommonMiddleware's APPEND_SLASH redirect still finds it.
MEMBER_PREFIX = "/s/"


def is_member_page(path: str) -> bool:
    return path.startswith(MEMBER_PREFIX) and path.endswith("/")


def passing_member_pages(dotted_path: str) -> type:
    """A subclass of `dotted_path`'s middleware (so that checks such as the admin's, which look
    for AuthenticationMiddleware in MIDDLEWARE, still find it) that goes straight on for member
    pages. The wrapped middlewares have no process_view, process_exception or
    process_template_response hooks (tests/test_architecture.py checks it), which run whatever
    the path."""
    middleware = import_string(dotted_path)

    class PassingMemberPages(middleware):  # type: ignore[misc,valid-type]
        def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
            self.passed_to = get_response
            super().__init__(get_response)

        def __call__(self, request: HttpRequest) -> HttpResponse:
            if is_member_page(request.path_info):
                return self.passed_to(request)
            return super().__call__(request)

    PassingMemberPages.__name__ = PassingMemberPages.__qualname__ = middleware.__name__
    PassingMemberPages.__module__ = __name__
    return PassingMemberPages


WhiteNoise = passing_member_pages("whitenoise.middleware.WhiteNoiseMiddleware")
Sessions = passing_member_pages("django.contrib.sessions.middleware.SessionMiddleware")
Common = passing_member_pages("django.middleware.common.CommonMiddleware")
Authentication = passing_member_pages("django.contrib.auth.middleware.AuthenticationMiddleware")
OTP = passing_member_pages("django_otp.middleware.OTPMiddleware")
TwoFactor = passing_member_pages("staff.middleware.TwoFactorMiddleware")
AuditActor = passing_member_pages("staff.middleware.AuditActorMiddleware")
Messages = passing_member_pages("django.contrib.messages.middleware.MessageMiddleware")
Htmx = passing_member_pages("django_htmx.middleware.HtmxMiddleware")
