"""Answers in progress are kept on the server: a member can close the tab and go on from the same
link on another device. Submitting turns the draft into an anonymous response and deletes it."""

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from polls.answering.responses import AlreadyAnswered, draft_save, response_submit
from polls.models import Draft, Invitation, Poll, Response
from tests.factories import every_kind_poll, invitation_with_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def poll():
    return every_kind_poll()


@pytest.fixture
def member(poll):
    invitation, token = invitation_with_token(poll)
    return invitation, reverse("answer", args=[token])


def q(poll, code):
    return poll.questions.get(code=code)


def opt(poll, code, option):
    return str(q(poll, code).options.get(code=option).pk)


def page1(poll, **extra):
    return {
        "page": "0",
        "action": "next",
        f"q{q(poll, 'kan_utfora').pk}": opt(poll, "kan_utfora", "nej"),
        f"q{q(poll, 'vad_kravs').pk}": "Färre ärenden",
        f"q{q(poll, 'atgarder').pk}": [
            opt(poll, "atgarder", "tid"),
            opt(poll, "atgarder", "annat"),
        ],
        **extra,
    }


def test_next_keeps_the_page_in_a_draft_and_moves_on(client, poll, member):
    invitation, url = member
    response = client.post(url, page1(poll))
    assert response.status_code == 302 and response["Location"] == url
    draft = Draft.objects.get(invitation=invitation)
    assert draft.current_section == 1
    assert draft.data[f"q{q(poll, 'vad_kravs').pk}"] == ["Färre ärenden"]
    assert len(draft.data[f"q{q(poll, 'atgarder').pk}"]) == 2
    html = client.get(url).content.decode()
    assert f'name="q{q(poll, "nojd").pk}"' in html
    assert 'value="2" max="3"' in html


def test_the_member_goes_on_from_another_device(poll, member):
    _invitation, url = member
    phone, laptop = Client(), Client()
    phone.post(url, page1(poll))
    phone.post(url, {"page": "1", "action": "back"})
    html = laptop.get(url).content.decode()  # no cookie in common with the phone
    # The laptop opens where the phone left off, with the answers given there.
    assert f'name="q{q(poll, "kan_utfora").pk}"' in html
    assert f'value="{opt(poll, "kan_utfora", "nej")}" id="q{q(poll, "kan_utfora").pk}-o' in html
    nej_input = html.split(f'value="{opt(poll, "kan_utfora", "nej")}"')[1].split(">")[0]
    assert "checked" in nej_input
    assert "Färre ärenden</textarea>" in html


def test_back_keeps_unchecked_answers_without_complaining(client, poll, member):
    invitation, url = member
    client.post(url, page1(poll))
    back = client.post(
        url, {"page": "1", "action": "back", f"q{q(poll, 'arenden').pk}": "not a number"}
    )
    assert back.status_code == 302
    draft = Draft.objects.get(invitation=invitation)
    assert draft.current_section == 0
    assert draft.data[f"q{q(poll, 'arenden').pk}"] == ["not a number"]
    # Next from page 1 shows page 2 with the value kept, and checks it only now.
    client.post(url, page1(poll))
    refused = client.post(url, {"page": "1", "action": "next", f"q{q(poll, 'nojd').pk}": "3"})
    assert refused.status_code == 400
    assert 'value="not a number"' not in refused.content.decode()  # the page posted replaces it


def test_a_failed_next_still_keeps_what_was_typed(client, poll, member):
    invitation, url = member
    client.post(url, page1(poll, **{f"q{q(poll, 'atgarder').pk}": []}))
    draft = Draft.objects.get(invitation=invitation)
    assert draft.current_section == 0
    assert draft.data[f"q{q(poll, 'vad_kravs').pk}"] == ["Färre ärenden"]


def test_the_draft_keeps_only_the_polls_own_fields(client, poll, member):
    invitation, url = member
    client.post(url, page1(poll, **{"evil": "x" * 100, "q999999": "1"}))
    data = Draft.objects.get(invitation=invitation).data
    assert "evil" not in data and "q999999" not in data


def test_submitting_deletes_the_draft_with_the_completion(poll, member):
    invitation, _url = member
    assert draft_save(invitation=invitation, data={"q1": ["x"]}, current_section=2)
    response_submit(invitation=invitation, answers=[])
    assert not Draft.objects.exists()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.COMPLETED
    assert Response.objects.count() == 1


def test_a_failed_submit_keeps_the_draft(poll, member):
    invitation, _url = member
    draft_save(invitation=invitation, data={"q1": ["x"]}, current_section=2)
    Invitation.objects.filter(pk=invitation.pk).update(status=Invitation.Status.COMPLETED)
    with pytest.raises(AlreadyAnswered):
        response_submit(invitation=invitation, answers=[])
    assert Draft.objects.filter(invitation=invitation).exists()


def test_no_draft_comes_back_after_the_submit(poll, member):
    """A Next on a second device after the first submitted must not leave answers tied to the
    invitation."""
    invitation, _url = member
    response_submit(invitation=invitation, answers=[])
    assert draft_save(invitation=invitation, data={"q1": ["x"]}, current_section=1) is False
    assert not Draft.objects.exists()


@pytest.mark.parametrize(
    "situation, status",
    [
        ("closed", Invitation.Status.SENT),
        ("not yet open", Invitation.Status.SENT),
        ("answered", Invitation.Status.COMPLETED),
        ("opted out", Invitation.Status.OPTED_OUT),
    ],
)
def test_the_friendly_pages_change_nothing(client, poll, member, situation, status):
    invitation, url = member
    if situation == "closed":
        Poll.objects.filter(pk=poll.pk).update(state=Poll.State.CLOSED)
    if situation == "not yet open":
        Poll.objects.filter(pk=poll.pk).update(opens_at=timezone.now() + timezone.timedelta(days=1))
    Invitation.objects.filter(pk=invitation.pk).update(status=status)
    for request in (client.get, client.post):
        page = request(url, page1(poll)) if request == client.post else request(url)
        assert page.status_code == 200
        assert 'class="answer-form"' not in page.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == status
    assert not Draft.objects.exists()
    assert not Response.objects.exists()


def test_an_unknown_token_changes_nothing(client, poll, member):
    page = client.post(reverse("answer", args=["forged-token-0000000000"]), page1(poll))
    assert page.status_code == 404
    assert not Draft.objects.exists()


# --- kept on input, before Next (answer.js posts the page to /s/<token>/draft/) ----------------


def draft_url(url: str) -> str:
    return url + "draft/"


def test_what_is_typed_is_kept_without_next_and_found_on_another_device(poll, member):
    invitation, url = member
    phone, laptop = Client(enforce_csrf_checks=True), Client()
    html = phone.get(url).content.decode()
    assert f'<meta name="draft-url" content="{draft_url(url)}">' in html
    csrf = phone.cookies["csrftoken"].value
    typed = page1(poll, csrfmiddlewaretoken=csrf)
    del typed["action"]
    saved = phone.post(draft_url(url), typed)
    assert saved.status_code == 204
    draft = Draft.objects.get(invitation=invitation)
    assert draft.current_section == 0  # still on the first page: nothing was checked
    assert draft.data[f"q{q(poll, 'vad_kravs').pk}"] == ["Färre ärenden"]
    assert "Färre ärenden</textarea>" in laptop.get(url).content.decode()


def test_the_draft_save_needs_the_csrf_token(poll, member):
    _invitation, url = member
    phone = Client(enforce_csrf_checks=True)
    phone.get(url)
    assert phone.post(draft_url(url), page1(poll)).status_code == 403
    assert not Draft.objects.exists()


def test_a_late_draft_save_does_not_move_the_member_back(client, poll, member):
    invitation, url = member
    client.post(url, page1(poll))  # Next: on page 2
    late = page1(poll, **{f"q{q(poll, 'vad_kravs').pk}": "Färre ärenden, mer tid"})
    assert client.post(draft_url(url), late).status_code == 204
    draft = Draft.objects.get(invitation=invitation)
    assert draft.current_section == 1
    assert draft.data[f"q{q(poll, 'vad_kravs').pk}"] == ["Färre ärenden, mer tid"]


def test_a_draft_save_after_the_submit_or_with_a_forged_token_keeps_nothing(client, poll, member):
    invitation, url = member
    response_submit(invitation=invitation, answers=[])
    assert client.post(draft_url(url), page1(poll)).status_code == 409
    forged = reverse("answer-draft", args=["forged-token-0000000000"])
    assert client.post(forged, page1(poll)).status_code == 404
    assert client.get(draft_url(url)).status_code == 405
    assert not Draft.objects.exists()


def test_a_draft_save_of_a_closed_poll_keeps_nothing(client, poll, member):
    _invitation, url = member
    Poll.objects.filter(pk=poll.pk).update(state=Poll.State.CLOSED)
    assert client.post(draft_url(url), page1(poll)).status_code == 409
    assert not Draft.objects.exists()


# --- what the member is told --------------------------------------------------------------------


def test_a_poll_not_opened_yet_says_so(client, poll, member):
    _invitation, url = member
    Poll.objects.filter(pk=poll.pk).update(state=Poll.State.DRAFT)
    html = client.get(url).content.decode()
    assert "har inte öppnat ännu" in html
    assert "är stängd" not in html
    Poll.objects.filter(pk=poll.pk).update(
        state=Poll.State.OPEN, opens_at=timezone.now() + timezone.timedelta(days=2)
    )
    html = client.get(url).content.decode()
    assert "öppnar" in html and "är stängd" not in html
    Poll.objects.filter(pk=poll.pk).update(
        opens_at=timezone.now() - timezone.timedelta(days=2),
        closes_at=timezone.now() - timezone.timedelta(days=1),
    )
    html = client.get(url).content.decode()
    assert "är stängd" in html and "öppnar" not in html


def test_the_thank_you_page_promises_no_results(poll, member):
    """No result page is published for members yet: the thank-you page says nothing of results
    (issue 13)."""
    _invitation, _url = member
    with translation.override("sv"):
        html = render_to_string("polls/answer_thanks.html", {"poll": poll})
    assert "sparade anonymt" in html
    assert "publiceras" not in html and "resultat" not in html.lower()
