"""Fuzzing the API (issue 12): schemathesis generates requests from the project's own OpenAPI
schema (/api/v1/schema/) and sends them in-process to the WSGI application, as an Admin and as
an Editor, against a poll with 80 responses, a series and a published result page. Whatever the
query, the answer is never a 500; the status codes and the bodies are those the schema declares.

Bounded by tests/fuzzing.py (FUZZ_EXAMPLES, derandomized); see there for a long run."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import given
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from polls.models import Poll
from results.publishing import page_publish
from tests.factories import staff_user
from tests.fuzzing import fuzz_settings, rolled_back
from tests.test_fuzz_member_forms import QUERY_KEYS, body_of, junk_keys, pairs_of, values
from tests.test_result_pages import page, poll  # noqa: F401  (the fixtures)

application = get_wsgi_application()
# The schema as /api/v1/schema/ serves it (drf-spectacular's generator, no request needed).
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = application

# The slugs of the seeded data: half the examples use them, the rest go where the fuzzer likes.
KNOWN = {"slug": "verklighet", "series": "fuzz-serie", "page_slug": "verklighetsforankring"}
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture
def seeded(page: Any, settings: Any) -> Iterator[Any]:  # noqa: F811
    """The result-page poll (80 responses) in a series, its page published."""
    Poll.objects.filter(pk=page.poll_id).update(series="fuzz-serie")
    page_publish(page=page)
    settings.ALLOWED_HOSTS = [*django_settings.ALLOWED_HOSTS, "localhost"]
    # As Django's test client does: the WSGI handler must not close the test's connection
    # (and with it the test's transaction) at the end of each request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield page
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def session_cookie(client: Any, role: str) -> dict[str, str]:
    client.force_login(staff_user(role))
    name = django_settings.SESSION_COOKIE_NAME
    return {name: client.cookies[name].value}


def call_and_check(case: Any, cookies: dict[str, str], *, known: bool) -> Any:
    if known and case.path_parameters:
        case.path_parameters = {
            name: KNOWN.get(name, value) for name, value in case.path_parameters.items()
        }
    return case.call_and_validate(cookies=cookies, checks=CHECKS)


@schema.parametrize()
@fuzz_settings()
def test_an_admin_never_meets_a_server_error(case: Any, client: Any, seeded: Any) -> None:
    cookies = session_cookie(client, "Admin")
    call_and_check(case, cookies, known=False)
    call_and_check(case, cookies, known=True)


@schema.parametrize()
@fuzz_settings(scale=0.5)
def test_an_editor_never_meets_a_server_error(case: Any, client: Any, seeded: Any) -> None:
    response = call_and_check(case, session_cookie(client, "Editor"), known=True)
    assert response.status_code < 500


@given(data=st.data())
@fuzz_settings(scale=0.5)
@pytest.mark.django_db
def test_the_public_result_page_takes_any_address_and_query(data, client, page):  # noqa: F811
    """A published page, its versions, embeds, chart images and JSON, with made-up numbers,
    suffixes and queries: the page or a 404, never a 500."""
    with rolled_back():
        page_publish(page=page)
        suffix = data.draw(
            st.one_of(
                st.sampled_from(
                    ["", "v1/", "v2/", "v0/", "data.json", "v1/data.json", "embed/1/", "embed/9/"]
                ),
                st.builds(
                    "v{}/chart-{}-{}.{}.png".format,
                    st.integers(-1, 3),
                    st.integers(-1, 4),
                    st.integers(-1, 3),
                    st.sampled_from(["sv", "en", "xx"]),
                ),
                st.text(max_size=30).filter(lambda t: "?" not in t and "#" not in t),
            ),
            "suffix",
        )
        pairs = data.draw(
            pairs_of(st.one_of(st.sampled_from(QUERY_KEYS), junk_keys), values), "query"
        )
        response = client.get(f"/r/verklighetsforankring/{quote(suffix)}?{body_of(pairs)}")
        assert response.status_code < 500, response.content[:2000]
