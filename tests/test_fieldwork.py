"""An admin closes the field period: no more answers, and unfinished drafts are deleted."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from polls.answering.responses import draft_save
from polls.fieldwork.closing import poll_close, polls_close_due
from polls.models import Draft, Poll
from tests.factories import PollFactory, invitation_with_token, single_choice_question


@pytest.fixture
def poll(db):
    poll = PollFactory()
    single_choice_question(poll)
    return poll


def test_closing_refuses_further_answers_and_deletes_drafts(client, poll):
    invitation, token = invitation_with_token(poll)
    assert draft_save(invitation=invitation, data={"q1": ["1"]}, current_section=0)
    assert poll_close(poll=poll)
    poll.refresh_from_db()
    assert poll.state == Poll.State.CLOSED
    assert not Draft.objects.exists()
    page = client.get(f"/s/{token}/")
    assert "stängd" in page.content.decode()


def test_no_draft_is_saved_once_the_poll_is_closed(poll):
    invitation, _token = invitation_with_token(poll)
    poll_close(poll=poll)
    invitation.refresh_from_db()
    assert not draft_save(invitation=invitation, data={"q1": ["1"]}, current_section=0)
    assert not Draft.objects.exists()


def test_closing_a_closed_poll_changes_nothing(poll):
    poll_close(poll=poll)
    closed_at = Poll.objects.get(pk=poll.pk).closes_at
    assert not poll_close(poll=poll)
    assert Poll.objects.get(pk=poll.pk).closes_at == closed_at


def test_polls_past_their_closing_time_are_closed_by_the_periodic_task(db):
    due = PollFactory(closes_at=timezone.now() - timezone.timedelta(minutes=1))
    running = PollFactory(closes_at=timezone.now() + timezone.timedelta(days=1))
    assert polls_close_due() == 1
    assert Poll.objects.get(pk=due.pk).state == Poll.State.CLOSED
    assert Poll.objects.get(pk=running.pk).state == Poll.State.OPEN


def test_the_close_poll_command(poll, capsys):
    call_command("close_poll", poll.slug)
    assert "is closed" in capsys.readouterr().out
    assert Poll.objects.get(pk=poll.pk).state == Poll.State.CLOSED
