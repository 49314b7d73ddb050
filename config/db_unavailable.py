"""A database that does not answer is a "try again" page (HTTP 503), not a 500 traceback.

PostgreSQL restarts (an upgrade, a failover of a managed database, a crash) happen while members
answer. A view that cannot reach the database raises `OperationalError` or `InterfaceError`;
this middleware answers those with `templates/503.html` and `Retry-After`. Nothing is lost by
it: the submit transaction is rolled back as a whole (no half-written response), and the draft,
deleted only inside that transaction, is still there, so submitting again once the database is
back gives exactly one response.

The page is rendered without the request's context processors, so that rendering it needs no
database (no session or user lookup). Errors raised outside views (in another middleware) still
go to Django's 500 handling.
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 30


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("database unavailable on %s %s: %s", request.method, request.path, exception)
        return database_unavailable_response()


def database_unavailable_response() -> HttpResponse:
    language = translation.get_language() or "sv"
    html = render_to_string("503.html", {"LANGUAGE_CODE": language})
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
