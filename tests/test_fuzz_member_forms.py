"""Fuzzing the forms (issue 12): hypothesis posts arbitrary form data to the member's pages
(/s/<token>/, its draft, an open link /p/<slug>/, the opt-out page, the bounce webhook) and to
the staff forms that take text (the studio's question forms, the register upload). Random and
real field names, unicode, NUL bytes, huge and negative values, repeated keys, raw bytes that
are no form at all, missing or wrong CSRF tokens (with the CSRF check on for the members):
never a 500, and what a member leaves behind stays valid: a response is written whole, with a
thank-you page, or not at all.

Bounded by tests/fuzzing.py (FUZZ_EXAMPLES, derandomized); see there for a long run."""

from __future__ import annotations

import json
import re
from html import unescape
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from polls.answering.questionnaires import questionnaire, questionnaire_stamp
from polls.answering.responses import poll_pages
from polls.answering.sheet import AnswerSheet
from polls.fieldwork.sending import opt_out_url
from polls.models import Answer, Draft, Invitation, Poll, Response
from respondents.models import ImportJob, Member, Register
from results.models import ResultBlock, ResultPage
from tests.factories import (
    every_kind_poll,
    invitation_with_token,
    open_link_poll_with_pages,
    staff_user,
)
from tests.fuzzing import fuzz_settings, rolled_back
from tests.test_weighted_results import seeded_poll

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
TRICKY = [
    "",
    " ",
    "0",
    "-1",
    "-999999999999999999999",
    "1e309",
    "nan",
    "inf",
    "3.5",
    "٣",
    "\x00",
    "a\x00b",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://x")',
    "\ud7ff\ue000",
    "😀" * 40,
    "9" * 5000,
    "ä" * 25_000,
]
values = st.one_of(
    st.sampled_from(TRICKY),
    st.text(max_size=40),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.builds(lambda c, n: c * n, st.sampled_from(["x", "å", "\x00", "€"]), st.integers(1, 30_000)),
)
junk_keys = st.one_of(st.text(max_size=20), st.sampled_from(["page", "action", "", "\x00"]))


def pairs_of(keys: st.SearchStrategy[str], vals: st.SearchStrategy[str]) -> Any:
    """A form body's (key, value) pairs: keys may repeat."""
    return st.lists(st.tuples(keys, vals), max_size=25)


def body_of(pairs: list[tuple[str, str]]) -> str:
    return urlencode(pairs)


def names_in(html: str) -> list[str]:
    return sorted({unescape(n) for n in re.findall(r'name="([^"]+)"', html)})


def values_in(html: str) -> list[str]:
    return sorted({unescape(v) for v in re.findall(r'value="([^"]*)"', html)})


def member_fields(poll) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """Every field name of the poll's pages, every value a real page offers (option ids,
    small numbers), and per field the values that fit it (its question's option ids)."""
    questions = questionnaire(poll, questionnaire_stamp(poll))
    sheet = AnswerSheet(poll_pages(poll, questions), data={}, seed=0)
    numbers = ["1", "2", "3", "4", "5"]
    fitting = {
        name: [str(o.pk) for o in q.options.all()] + numbers
        for q in questions
        for name in sheet.inputs[q.pk].field_names
    }
    offered = sorted({v for vs in fitting.values() for v in vs})
    return [*fitting, "page", "action"], [*offered, "back", "next"], fitting


def member_post(data: Any, client: Client, url: str, fields: tuple) -> Any:
    """One POST the fuzzer draws: what a browser could send (the page's names with values
    that fit them), or real and random names with any values; the CSRF token right, wrong or
    missing; or a body of raw bytes."""
    names, offered, fitting = fields
    token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
    csrf = data.draw(st.sampled_from(["right", "right", "right", "wrong", "missing"]), "csrf")
    if data.draw(st.booleans(), "plausible"):
        chosen = data.draw(
            st.fixed_dictionaries({}, optional={n: st.sampled_from(v) for n, v in fitting.items()})
        )
        pairs = [*chosen.items(), ("action", data.draw(st.sampled_from(["next", "back"])))]
    else:
        keys = st.one_of(st.sampled_from(names), junk_keys)
        vals = st.one_of(st.sampled_from(offered), values)
        pairs = data.draw(pairs_of(keys, vals), "pairs")
    if csrf != "missing":
        pairs.append(("csrfmiddlewaretoken", token if csrf == "right" else "x" * 64))
    if data.draw(st.integers(0, 9), "raw") == 0:
        body: bytes | str = data.draw(st.binary(max_size=2000), "bytes")
        content_type = data.draw(st.sampled_from([FORM, "multipart/form-data", "text/plain"]))
    else:
        body, content_type = body_of(pairs), FORM
    return client.generic("POST", url, body, content_type=content_type)


def assert_no_server_error(response) -> None:
    assert response.status_code < 500, response.content[:2000]


def assert_responses_whole(poll) -> None:
    """Each submitted invitation has exactly its response; a response has no answer to another
    poll's question, and no draft is left of a submitted invitation."""
    completed = Invitation.objects.filter(poll=poll, status=Invitation.Status.COMPLETED)
    assert Response.objects.filter(poll=poll).count() == completed.count()
    assert not Answer.objects.filter(response__poll=poll).exclude(question__poll=poll).exists()
    assert not Draft.objects.filter(invitation__in=completed).exists()


@pytest.fixture
def member_poll(settings):
    settings.RATELIMIT_ENABLE = False  # the fuzzer is one address sending hundreds of requests
    return every_kind_poll()


@given(data=st.data())
@fuzz_settings()
def test_a_member_posting_anything_never_meets_a_server_error(data, member_poll):
    with rolled_back():
        poll = member_poll
        fields = member_fields(poll)
        _invitation, token = invitation_with_token(poll)
        client = Client(enforce_csrf_checks=True)
        assert_no_server_error(client.get(f"/s/{token}/"))
        for _step in range(data.draw(st.integers(1, 8), "steps")):
            url = data.draw(st.sampled_from([f"/s/{token}/", f"/s/{token}/", f"/s/{token}/draft/"]))
            assert_no_server_error(member_post(data, client, url, fields))
            assert_no_server_error(client.get(f"/s/{token}/"))
        assert_responses_whole(poll)


@given(data=st.data())
@fuzz_settings(scale=0.5)
def test_a_made_up_token_never_meets_a_server_error(data, member_poll):
    with rolled_back():
        token = data.draw(st.text(min_size=1, max_size=300).filter(lambda t: "/" not in t), "token")
        client = Client()
        for suffix in ("", "draft/"):
            url = f"/s/{token}/{suffix}"
            assert_no_server_error(client.get(url))
            assert_no_server_error(client.post(url, {"page": token, "action": "next"}))


@given(data=st.data())
@fuzz_settings()
def test_anyone_posting_anything_to_an_open_link_never_meets_a_server_error(data, settings):
    with rolled_back():
        settings.RATELIMIT_ENABLE = False
        poll = open_link_poll_with_pages(slug="oppen-lank")
        fields = member_fields(poll)
        thanks = 0
        client = Client(enforce_csrf_checks=True)
        assert_no_server_error(client.get("/p/oppen-lank/"))
        for _step in range(data.draw(st.integers(1, 8), "steps")):
            response = member_post(data, client, "/p/oppen-lank/", fields)
            assert_no_server_error(response)
            thanks += "polls/answer_thanks.html" in [t.name for t in response.templates]
        assert Response.objects.filter(poll=poll).count() == thanks <= 1


@given(data=st.data())
@fuzz_settings(scale=0.5)
def test_the_opt_out_page_takes_any_link_and_any_post(data, member_poll):
    with rolled_back():
        invitation, _token = invitation_with_token(member_poll)
        real = opt_out_url(invitation.pk).rstrip("/").rsplit("/", 1)[-1]
        signed = data.draw(
            st.one_of(
                st.just(real),
                st.builds(lambda s, t: s + t, st.just(real), st.text(max_size=5)),
                st.text(min_size=1, max_size=200).filter(lambda t: "/" not in t),
            ),
            "signed",
        )
        client = Client()
        assert_no_server_error(client.get(f"/u/{signed}/"))
        pairs = data.draw(pairs_of(junk_keys, values), "pairs")
        assert_no_server_error(client.generic("POST", f"/u/{signed}/", body_of(pairs), FORM))
        status = Invitation.objects.get(pk=invitation.pk).status
        assert status in (Invitation.Status.SENT, Invitation.Status.OPTED_OUT)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.floats(), st.integers(), values),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=20,
)


@given(data=st.data())
@fuzz_settings()
def test_the_bounce_webhook_takes_any_body(data, member_poll, settings):
    with rolled_back():
        settings.BOUNCE_WEBHOOK_SECRET = "hemligt"
        invitation, _token = invitation_with_token(member_poll)
        body = data.draw(
            st.one_of(
                st.dictionaries(
                    st.sampled_from(["addresses", "email", "x"]),
                    st.one_of(
                        json_values,
                        st.lists(st.one_of(st.just(invitation.sample_member.member.email), values)),
                    ),
                ).map(json.dumps),
                json_values.map(json.dumps),
                st.binary(max_size=500),
            ),
            "body",
        )
        secret = data.draw(st.sampled_from(["hemligt", "hemligt", "", "fel", "hemligtå"]), "secret")
        response = Client().generic(
            "POST",
            "/hooks/bounces/",
            body,
            content_type="application/json",
            HTTP_X_MEDLEMSROST_SECRET=secret,
        )
        assert_no_server_error(response)
        if secret != "hemligt":
            assert response.status_code == 403


# --- staff forms that take text ------------------------------------------------------------


@pytest.fixture
def editor(client, member_poll):
    client.force_login(staff_user("Admin"))
    return client


@given(data=st.data())
@fuzz_settings()
def test_the_studios_question_forms_take_any_text(data, editor, member_poll):
    with rolled_back():
        poll = member_poll
        question = poll.questions.order_by("order").first()
        url = data.draw(
            st.sampled_from(
                [
                    f"/staff/studio/{poll.slug}/questions/new/",
                    f"/staff/studio/{poll.slug}/questions/{question.pk}/",
                    f"/staff/studio/{poll.slug}/questions/{question.pk}/",
                    f"/staff/studio/{poll.slug}/edit/",
                    f"/staff/studio/{poll.slug}/sections/new/",
                    "/staff/studio/new/",
                    f"/staff/polls/{poll.slug}/email/",
                ]
            ),
            "url",
        )
        page = editor.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        keys = st.one_of(
            st.sampled_from(names_in(html)), st.sampled_from(names_in(html)), junk_keys
        )
        vals = st.one_of(st.sampled_from(values_in(html) or [""]), values)
        pairs = data.draw(pairs_of(keys, vals), "pairs")
        assert_no_server_error(editor.generic("POST", url, body_of(pairs), FORM))
        assert_no_server_error(editor.get(url))


@given(data=st.data())
@fuzz_settings(scale=0.5)
def test_the_register_upload_takes_any_file_and_text(
    data, editor, django_capture_on_commit_callbacks
):
    with rolled_back():
        content = data.draw(st.binary(max_size=3000), "file")
        fields = {
            "register": data.draw(st.one_of(st.sampled_from(["Medlemmar"]), values), "register"),
            "mapping": data.draw(st.one_of(st.just(""), values, st.text()), "mapping"),
            "valid_only": data.draw(st.sampled_from(["", "on", "\x00"]), "valid_only"),
            "file": SimpleUploadedFile(
                data.draw(st.sampled_from(["m.csv", "m.xlsx", "m"])), content
            ),
        }
        members_before = Member.objects.count()
        with django_capture_on_commit_callbacks(execute=True):
            response = editor.post("/staff/registers/", fields)
        assert_no_server_error(response)
        if response.status_code == 302:
            job = ImportJob.objects.order_by("-pk").first()
            assert_no_server_error(editor.get(f"/staff/imports/{job.pk}/"))
            job.refresh_from_db()
            if job.status == ImportJob.Status.FAILED:
                assert Member.objects.count() == members_before
        assert Register.objects.filter(name="").count() == 0


def mutated(draw: Any, value: Any, depth: int = 0) -> Any:
    """`value` (parsed JSON) with a few of its parts replaced, removed or retyped."""
    if draw(st.integers(0, 5)) == 0 or depth > 6:
        return draw(json_values)
    if isinstance(value, dict):
        keys = list(value)
        out = dict(value)
        for key in draw(st.lists(st.sampled_from(keys), max_size=2)) if keys else []:
            if draw(st.booleans()):
                out.pop(key, None)
            else:
                out[key] = mutated(draw, value[key], depth + 1)
        return out
    if isinstance(value, list) and value:
        out = list(value)
        index = draw(st.integers(0, len(value) - 1))
        out[index] = mutated(draw, value[index], depth + 1)
        return out
    return value


@given(data=st.data())
@fuzz_settings()
def test_the_questionnaire_import_takes_any_file(data, editor, member_poll):
    with rolled_back():
        exported = json.loads(editor.get(f"/staff/studio/{member_poll.slug}/export.json").content)
        kind = data.draw(st.sampled_from(["mutated", "mutated", "json", "bytes"]), "kind")
        if kind == "mutated":
            content = json.dumps(mutated(data.draw, exported)).encode()
        elif kind == "json":
            content = json.dumps(data.draw(json_values)).encode()
        else:
            content = data.draw(st.binary(max_size=500))
        slug = data.draw(st.one_of(st.just(""), st.just("ny-enkat"), values), "slug")
        polls_before = Poll.objects.count()
        upload = SimpleUploadedFile("enkat.json", content, content_type="application/json")
        response = editor.post("/staff/studio/import/", {"file": upload, "slug": slug})
        assert_no_server_error(response)
        if response.status_code != 302:
            assert Poll.objects.count() == polls_before, "a refused questionnaire left a poll"


# --- staff pages that read their query ---------------------------------------------------------

QUERY_KEYS = [
    "by",
    "weights",
    "weight_by",
    "ci",
    "level",
    "ci_df",
    "dont_know",
    "dont_know_q",
    "since",
    "q",
    "only",
    "page",
    "section",
    "width",
    "restart",
    "previous",
    "format",
]
QUERY_VALUES = [
    "sektor",
    "region",
    "sektor,region",
    "rake",
    "poststrat",
    "none",
    "wilson",
    "logit",
    "t",
    "0.95",
    "1",
    "0",
    "include",
    "exclude",
    "enig:exclude",
    "desktop",
    "all",
    "uncoded",
]


@given(data=st.data())
@fuzz_settings()
def test_the_staff_pages_take_any_query(data, client, settings):
    """The dashboard, trends, analysis, exports, coding, studio preview and test mode with
    whatever query string: a 400 or the page, never a 500 (htmx requests too)."""
    with rolled_back():
        seeded = seeded_poll(cells={("Kommun", "Nord"): 6, ("Stat", "Syd"): 4}, series="serie")
        poll = seeded.poll
        client.force_login(staff_user("Admin"))
        text = seeded.questions["kommentar"].pk
        url = data.draw(
            st.sampled_from(
                [
                    f"/staff/polls/{poll.slug}/results/",
                    f"/staff/polls/{poll.slug}/results/",
                    f"/staff/polls/{poll.slug}/trends/",
                    f"/staff/polls/{poll.slug}/results/analysis/",
                    f"/staff/polls/{poll.slug}/exports/",
                    f"/staff/polls/{poll.slug}/exports/codebook/",
                    f"/staff/polls/{poll.slug}/coding/",
                    f"/staff/polls/{poll.slug}/coding/{text}/",
                    f"/staff/polls/{poll.slug}/pages/",
                    f"/staff/polls/{poll.slug}/field/",
                    f"/staff/studio/{poll.slug}/preview/",
                    f"/staff/studio/{poll.slug}/test/",
                    f"/staff/studio/{poll.slug}/waves/",
                    "/staff/registers/",
                ]
            ),
            "url",
        )
        keys = st.one_of(st.sampled_from(QUERY_KEYS), junk_keys)
        pairs = data.draw(pairs_of(keys, st.one_of(st.sampled_from(QUERY_VALUES), values)))
        headers = {"HTTP_HX_REQUEST": "true"} if data.draw(st.booleans(), "htmx") else {}
        response = client.get(f"{url}?{body_of(pairs)}", **headers)
        assert_no_server_error(response)


@given(data=st.data())
@fuzz_settings()
def test_the_staff_forms_of_a_poll_with_responses_take_any_post(data, client):
    """Each form on the dashboard's neighbours (result pages and their editor, coding, the
    sample planner, field work, the e-mail): the page's own names and values, or junk, posted
    to the form's own address. A 4xx or a redirect, never a 500."""
    with rolled_back():
        seeded = seeded_poll(cells={("Kommun", "Nord"): 6, ("Stat", "Syd"): 4})
        poll = seeded.poll
        page = ResultPage.objects.create(poll=poll, slug="sida", title="Sida", lead="", body="")
        ResultBlock.objects.create(
            page=page, order=0, kind="chart", question=seeded.questions["enig"]
        )
        client.force_login(staff_user("Admin"))
        text = seeded.questions["kommentar"].pk
        url = data.draw(
            st.sampled_from(
                [
                    f"/staff/polls/{poll.slug}/pages/",
                    f"/staff/polls/{poll.slug}/pages/{page.pk}/",
                    f"/staff/polls/{poll.slug}/coding/{text}/",
                    f"/staff/polls/{poll.slug}/results/analysis/",
                    f"/staff/polls/{poll.slug}/field/",
                    f"/staff/polls/{poll.slug}/email/",
                    f"/staff/registers/{poll.register_id}/samples/new/",
                    f"/staff/studio/{poll.slug}/waves/",
                ]
            ),
            "url",
        )
        shown = client.get(url)
        assert_no_server_error(shown)
        html = shown.content.decode()
        actions = [unescape(a) for a in re.findall(r'<form[^>]*action="([^"]+)"', html)]
        target = data.draw(st.sampled_from([url, *[a for a in actions if a.startswith("/")]]))
        keys = st.one_of(st.sampled_from(names_in(html) or ["x"]), junk_keys)
        vals = st.one_of(st.sampled_from(values_in(html) or [""]), values)
        pairs = data.draw(pairs_of(keys, vals), "pairs")
        assert_no_server_error(client.generic("POST", target, body_of(pairs), FORM))
