"""An admin sends the sample its invitations; each member gets one personal link."""

import re

import pytest
from django.core import mail
from django.core.management import call_command

from polls.fieldwork.sending import invitation_batch_send, invitations_create
from polls.models import Invitation, hash_token
from respondents.draws import sample_draw
from respondents.models import Member
from tests.factories import PollFactory, RegisterFactory, single_choice_question

LINK = re.compile(r"https?://\S+/s/([\w-]+)/")


@pytest.fixture
def sample(db):
    register = RegisterFactory(name="Socionomer 2026")
    Member.objects.bulk_create(
        Member(register=register, number=str(n), email=f"m{n}@example.org") for n in range(1, 51)
    )
    return sample_draw(register=register, name="Urval sept", size=20, seed=42)


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """The admin's command. Batches are queued when its transaction commits; run them."""

    def send(poll="verklighet", sample="Urval sept"):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("send_invitations", poll=poll, sample=sample)

    return send


@pytest.fixture
def poll(db):
    poll = PollFactory(slug="verklighet")
    single_choice_question(poll)
    return poll


def test_each_sampled_member_gets_one_email_with_a_personal_link(sample, poll, settings, send):
    settings.INVITATION_BATCH_SIZE = 7
    send()
    assert len(mail.outbox) == 20
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted(sample.members.values_list("member__email", flat=True))
    tokens = {LINK.search(m.body).group(1) for m in mail.outbox}
    assert len(tokens) == 20
    hashes = set(Invitation.objects.values_list("token_hash", flat=True))
    assert {hash_token(t) for t in tokens} == hashes
    assert set(Invitation.objects.values_list("status", flat=True)) == {"sent"}
    assert "Hur verklighetsförankrade" in mail.outbox[0].subject


def test_the_link_in_the_email_opens_the_poll(sample, poll, client, send):
    send()
    token = LINK.search(mail.outbox[0].body).group(1)
    assert client.get(f"/s/{token}/").status_code == 200


def test_sending_again_sends_nothing_twice(sample, poll, send):
    send()
    send()
    assert len(mail.outbox) == 20
    assert Invitation.objects.count() == 20


def test_a_batch_that_runs_twice_sends_each_email_once(sample, poll):
    invitations_create(poll=poll, draw=sample)
    ids = list(Invitation.objects.values_list("id", flat=True))
    assert invitation_batch_send(ids) == 20
    assert invitation_batch_send(ids) == 0
    assert len(mail.outbox) == 20


def test_the_poll_takes_the_sample_register_as_its_population(sample, poll, send):
    send()
    poll.refresh_from_db()
    assert poll.register == sample.register


def test_an_unknown_poll_or_sample_is_a_clear_error(sample, poll):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No poll"):
        call_command("send_invitations", poll="nope", sample="Urval sept")
    with pytest.raises(CommandError, match="No sample"):
        call_command("send_invitations", poll="verklighet", sample="nope")
    assert not Invitation.objects.exists()
