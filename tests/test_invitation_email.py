"""An editor words the poll's invitation e-mail in Swedish and English, previews it and sends a
test to their own address; members then get that wording, as plain text and HTML, with their
personal link, the union, the closing date and an unsubscribe link."""

import datetime
import re

import pytest
from django.core import mail

from polls.fieldwork.sending import invitation_batch_send, invitations_create
from polls.models import Invitation, InvitationEmail
from staff.models import AuditEntry
from tests.factories import (
    MemberFactory,
    PollFactory,
    RegisterFactory,
    SampleDrawFactory,
    SampleMemberFactory,
    staff_user,
)

LINK = re.compile(r"https?://\S+/s/([\w-]+)/")

WORDING = {
    "subject_sv": "{union} vill veta: {title}",
    "body_sv": "Hej kollega!\n\nVi undrar hur <b>du</b> har det.\n\nSvara här:\n{link}\n\n"
    "Sista dag: {closes}.",
    "subject_en": "{union} asks: {title}",
    "body_en": "Hello colleague!\n\nAnswer here:\n{link}",
}


@pytest.fixture
def poll(db):
    register = RegisterFactory(name="Socionomer 2026")
    poll = PollFactory(
        slug="arbetsmiljo",
        title_sv="Arbetsmiljön 2026",
        title_en="The working environment 2026",
        organisation="Akademikerförbundet SSR",
        register=register,
        closes_at=datetime.datetime(2030, 9, 30, 16, 0, tzinfo=datetime.UTC),
    )
    draw = SampleDrawFactory(register=register, name="Urval")
    SampleMemberFactory(
        draw=draw, member=MemberFactory(register=register, email="medlem@example.org")
    )
    invitations_create(poll=poll, draw=draw)
    return poll


@pytest.fixture
def editor(client, db):
    user = staff_user("Editor", username="redaktor", email="redaktor@example.org")
    client.force_login(user)
    return user


def send_all(poll, step=0):
    invitation_batch_send(list(poll.invitations.values_list("id", flat=True)), step=step)


def test_without_a_wording_of_its_own_the_default_says_what_a_member_needs(poll):
    send_all(poll)
    (message,) = mail.outbox
    assert message.subject == "Akademikerförbundet SSR: Arbetsmiljön 2026"
    assert LINK.search(message.body)
    assert "30 september 2030" in message.body
    assert "The survey closes on 30 September 2030" in message.body
    assert "/u/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    token = LINK.search(message.body).group(1)
    assert f'href="http://testserver/s/{token}/"' in html or f"/s/{token}/" in html
    assert "Avregistrera dig" in html and "/u/" in html
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_editor_words_the_email_and_members_get_that_wording(client, editor, poll):
    response = client.post("/staff/polls/arbetsmiljo/email/", WORDING)
    assert response.status_code == 302
    send_all(poll)
    (message,) = mail.outbox
    assert message.subject == "Akademikerförbundet SSR vill veta: Arbetsmiljön 2026"
    assert "Hej kollega!" in message.body and "Hello colleague!" in message.body
    assert "In English: Akademikerförbundet SSR asks: The working environment 2026" in message.body
    assert "Sista dag: 30 september 2030." in message.body
    tokens = set(LINK.findall(message.body))
    assert len(tokens) == 1  # the same personal link in both languages
    html = message.alternatives[0][0]
    assert "&lt;b&gt;du&lt;/b&gt;" in html  # the editor's text is text, never markup
    assert f"/s/{tokens.pop()}/" in html
    assert AuditEntry.objects.filter(action="email.save", target="arbetsmiljo").exists()


def test_a_reminder_says_it_is_one_in_both_languages(client, editor, poll):
    client.post("/staff/polls/arbetsmiljo/email/", WORDING)
    send_all(poll)
    mail.outbox.clear()
    send_all(poll, step=1)
    (message,) = mail.outbox
    assert message.subject.startswith("Påminnelse: ")
    assert "Vi har inte fått ditt svar än" in message.body
    assert "We have not had your answer yet" in message.body


def test_a_line_with_the_closing_date_goes_when_the_poll_has_none(client, editor, poll):
    poll.closes_at = None
    poll.save()
    client.post("/staff/polls/arbetsmiljo/email/", WORDING)
    send_all(poll)
    assert "Sista dag" not in mail.outbox[0].body


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("body_sv", "Hej!\n\nSvara här.", "måste innehålla {link}"),
        ("body_sv", "Svara: {link} senast {stanger}", "Okänd platshållare {stanger}"),
        ("subject_sv", "", "Det här fältet är obligatoriskt."),
        ("subject_en", "", "Ge den engelska texten en ämnesrad också."),
    ],
)
def test_a_wording_with_a_mistake_is_refused_and_nothing_changes(
    client, editor, poll, field, value, error
):
    response = client.post("/staff/polls/arbetsmiljo/email/", {**WORDING, field: value})
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not InvitationEmail.objects.exists()


def test_back_to_the_default_wording(client, editor, poll):
    client.post("/staff/polls/arbetsmiljo/email/", WORDING)
    client.post("/staff/polls/arbetsmiljo/email/", {"action": "reset"})
    assert not InvitationEmail.objects.exists()
    page = client.get("/staff/polls/arbetsmiljo/email/").content.decode()
    assert "Du har slumpmässigt valts ut" in page


def test_the_preview_shows_the_invitation_and_a_reminder_with_example_links(client, editor, poll):
    client.post("/staff/polls/arbetsmiljo/email/", WORDING)
    page = client.get("/staff/polls/arbetsmiljo/email/preview/").content.decode()
    assert "Akademikerförbundet SSR vill veta: Arbetsmiljön 2026" in page
    assert "Påminnelse: Akademikerförbundet SSR vill veta" in page
    assert "/s/exempel-ingen-riktig-lank/" in page
    assert "&lt;b&gt;du&lt;/b&gt;" in page
    assert "redaktor@example.org" in page
    # A preview makes no token and touches no invitation.
    assert set(Invitation.objects.values_list("token_hash", flat=True)) == {None}


@pytest.mark.django_db(transaction=True)
def test_a_test_send_reaches_the_editors_own_address_on_a_real_smtp_server(
    client, smtp_server, settings
):
    smtp_server.configure_django(settings)
    PollFactory(slug="arbetsmiljo", title_sv="Arbetsmiljön 2026")
    user = staff_user("Editor", username="redaktor", email="redaktor@example.org")
    client.force_login(user)
    response = client.post("/staff/polls/arbetsmiljo/email/test/", {"step": "1"}, follow=True)
    assert "Ett provmejl skickades till redaktor@example.org" in response.content.decode()
    (message,) = smtp_server.wait_for(1)
    assert message["To"] == "redaktor@example.org"
    assert message["Subject"].strip().startswith("[Prov] Påminnelse: ")
    assert message.get_body(("html",)) is not None
    assert "/s/exempel-ingen-riktig-lank/" in message.get_body(("plain",)).get_content()
    assert AuditEntry.objects.filter(action="email.test_send", target="arbetsmiljo").exists()


def test_a_test_send_without_an_own_address_says_so(client, db):
    PollFactory(slug="arbetsmiljo")
    client.force_login(staff_user("Editor", username="utan", email=""))
    response = client.post("/staff/polls/arbetsmiljo/email/test/", follow=True)
    assert "Ditt konto har ingen e-postadress" in response.content.decode()
    assert not mail.outbox
