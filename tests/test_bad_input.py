"""Inputs the fuzzers (tests/test_fuzz_*.py) found to break something, each as the user met it:
a clear answer, never a 500, nothing half written."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from polls.models import Draft, Invitation, Response
from respondents.models import Member
from tests.factories import every_kind_poll, invitation_with_token
from tests.test_import_responses import HEADER, make_poll

pytestmark = pytest.mark.django_db


def field(poll, code) -> str:
    return f"q{poll.questions.get(code=code).pk}"


def option(poll, code, option_code) -> str:
    return str(poll.questions.get(code=code).options.get(code=option_code).pk)


def test_a_nul_character_in_a_members_text_is_dropped_not_a_server_error():
    """PostgreSQL keeps no NUL in JSON or text: a draft or an answer holding one failed with a
    500. A pasted text with one now keeps the rest."""
    poll = every_kind_poll()
    invitation, token = invitation_with_token(poll)
    client = Client()
    url = reverse("answer", args=[token])
    first_page = {
        "page": "0",
        "action": "next",
        field(poll, "kan_utfora"): option(poll, "kan_utfora", "nej"),
        field(poll, "vad_kravs"): "Färre\x00 ärenden",
        field(poll, "atgarder"): option(poll, "atgarder", "tid"),
    }
    autosave = client.post(reverse("answer-draft", args=[token]), first_page)
    assert autosave.status_code == 204
    response = client.post(url, first_page)
    assert response.status_code == 302
    draft = Draft.objects.get(invitation=invitation)
    assert draft.data[field(poll, "vad_kravs")] == ["Färre ärenden"]
    # A NUL alone is no answer: the required question says so.
    second = client.post(url, {"page": "1", "action": "next", field(poll, "nojd"): "\x00"})
    assert second.status_code == 400
    assert Invitation.objects.get(pk=invitation.pk).status != Invitation.Status.COMPLETED


def run(command: str, tmp_path, data: bytes, **options) -> str:
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    with pytest.raises(CommandError) as refused:
        call_command(command, path, stdout=io.StringIO(), stderr=io.StringIO(), **options)
    return str(refused.value)


@pytest.mark.parametrize(
    "data",
    [
        "Medlemsnummer;E-post;Region\n1001;a@example.org;Sk\x00ne\n".encode("utf-16"),
        (
            "Medlemsnummer;E-post;Region\n" + "1001;a@example.org;Skåne\n" * 3000 + "1\x00;;\n"
        ).encode(),
    ],
    ids=["utf-16", "after-64-kB"],
)
def test_a_register_export_with_a_nul_character_is_refused_not_a_crash(tmp_path, data):
    """A NUL decoded from UTF-16, or one beyond the first 64 kB that the binary check reads,
    reached PostgreSQL and the import died with a DataError."""
    message = run("import_members", tmp_path, data, register="Medlemmar")
    assert "inte en CSV- eller XLSX-fil" in message
    assert not Member.objects.exists()


def test_a_response_file_with_a_nul_character_is_refused_not_a_crash(tmp_path):
    poll = make_poll(slug="enkat")
    data = f"{HEADER}\nKommun;No\x00rd;;ja;;;;;;;Text\x00 med nul\n".encode("utf-16")
    message = run("import_responses", tmp_path, data, poll="enkat")
    assert "Nothing was imported" in message
    assert not Response.objects.filter(poll=poll).exists()


def test_a_response_file_with_old_mac_line_endings_is_read_not_a_crash(tmp_path):
    """Lines ended by a lone carriage return (Excel for old Macs): choosing the delimiter read
    the whole file as one line and csv raised "new-line character seen in unquoted field"."""
    poll = make_poll(slug="enkat")
    path = tmp_path / "export.csv"
    path.write_bytes(f"{HEADER}\rKommun;Nord;2026-09-01;ja;;4;;;;;\r".encode())
    out = io.StringIO()
    call_command("import_responses", path, poll="enkat", stdout=out, stderr=io.StringIO())
    assert "Imported 1 responses" in out.getvalue()
    assert Response.objects.filter(poll=poll).count() == 1
