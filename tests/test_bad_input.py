"""Inputs the fuzzers (tests/test_fuzz_*.py) found to break something, each as the user met it:
a clear answer, never a 500, nothing half written."""

import pytest
from django.test import Client
from django.urls import reverse

from polls.models import Draft, Invitation
from tests.factories import every_kind_poll, invitation_with_token

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
