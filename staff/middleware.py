"""The staff layer's middleware: the second login step before any staff page, and who is acting
for the audit entries that signals write."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from . import audit
from .two_factor import State, state_of

# What a session must pass the second step for: the staff pages, the Django admin, the API.
GUARDED_PREFIXES = ("/staff/", "/admin/", "/api/")
API_PREFIX = "/api/"


class TwoFactorMiddleware:
    """After django-otp's OTPMiddleware. A logged-in user who still owes the second step
    (`staff.two_factor.state_of`) is sent to the code page (a confirmed device) or to the set-up
    page (a role that requires one): a page request is redirected there, with `next`; an htmx
    request is told to go there; an API request gets 403 with the reason. Logging out is always
    possible (/accounts/logout/ is not guarded; the admin's own logout is let through)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        path = request.path_info
        if path.startswith(GUARDED_PREFIXES):
            try:
                state = state_of(request.user)
            except (OperationalError, InterfaceError):
                # As config.db_unavailable answers for views (this runs before any view): the
                # "try again" page, not a 500, and never the page without the check.
                return _database_unavailable()
            request.two_factor_state = state
            if state is not State.OK and not self._open_anyway(path, state):
                return self._refuse(request, state)
        return self.get_response(request)

    @staticmethod
    def _open_anyway(path: str, state: State) -> bool:
        if path == reverse("admin:logout"):
            return True
        return state is State.SETUP and path == reverse("two-factor")

    @staticmethod
    def _refuse(request: Any, state: State) -> Any:
        if state is State.VERIFY:
            target = reverse("login-code")
            reason = _(
                "Two-factor verification is required: enter the code from your authenticator "
                "app at %(url)s."
            )
        else:
            target = reverse("two-factor")
            reason = _(
                "Your role requires two-factor verification: set it up at %(url)s before you "
                "use the staff pages or the API."
            )
        if request.path_info.startswith(API_PREFIX):
            return JsonResponse({"detail": reason % {"url": target}}, status=403)
        location = f"{target}?{urlencode({'next': request.get_full_path()})}"
        # HtmxMiddleware runs after this one: read its header here.
        if request.headers.get("HX-Request") == "true":
            return HttpResponseClientRedirect(location)
        return HttpResponseRedirect(location)


def _database_unavailable() -> HttpResponse:
    language = translation.get_language() or "sv"
    response = HttpResponse(render_to_string("503.html", {"LANGUAGE_CODE": language}), status=503)
    response["Retry-After"] = "30"
    response["Cache-Control"] = "no-store"
    return response


class AuditActorMiddleware:
    """Makes the request's user the actor of audit entries written by signals during the request
    (role changes in the Django admin, a device set up on the staff page)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        with audit.acting_for(request):
            return self.get_response(request)
