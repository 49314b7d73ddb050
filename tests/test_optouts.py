"""Members opt out from the e-mail's link, bounces come as a list or from the provider's
webhook; neither is e-mailed again. Also the commands around reminders and field status."""

import json
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from polls.fieldwork.optouts import bounces_record
from polls.fieldwork.sending import invitation_batch_send, invitations_create, opt_out_token
from polls.models import Invitation, Poll
from respondents.draws import sample_draw
from respondents.models import Member
from tests.factories import PollFactory, RegisterFactory, single_choice_question

OPT_OUT = re.compile(r"https?://[^/\s]+(/u/[^/\s]+/)")


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """A command, then the tasks it queued on commit."""

    def run(*args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            call_command(*args, **kwargs)

    return run


@pytest.fixture
def sent(db):
    register = RegisterFactory(name="Socionomer 2026")
    Member.objects.bulk_create(
        Member(register=register, number=str(n), email=f"m{n}@example.org") for n in range(1, 21)
    )
    draw = sample_draw(register=register, name="Urval sept", size=10, seed=42)
    poll = PollFactory(slug="verklighet", register=register)
    single_choice_question(poll)
    invitations_create(poll=poll, draw=draw)
    invitation_batch_send(list(Invitation.objects.values_list("id", flat=True)))
    return poll, draw


def test_one_click_opts_the_member_out_of_every_poll_of_the_register(sent, client):
    poll, draw = sent
    path = OPT_OUT.search(mail.outbox[0].body).group(1)
    page = client.get(path)
    assert page.status_code == 200 and "Avregistrera mig" in page.content.decode()
    done = client.post(path)
    assert "skickar inga fler" in done.content.decode()
    assert client.post(path).status_code == 200  # idempotent
    member = Member.objects.get(email=mail.outbox[0].to[0])
    assert member.status == Member.Status.OPTED_OUT and member.opted_out_at
    second = PollFactory(slug="nasta", register=poll.register)
    assert invitations_create(poll=second, draw=draw) == 9


def test_the_rfc8058_post_needs_no_csrf_token(sent):
    from django.test import Client

    _poll, _draw = sent
    invitation = Invitation.objects.first()
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/u/{opt_out_token(invitation.pk)}/", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.OPTED_OUT


def test_a_reimport_keeps_the_opt_out(sent):

    poll, _draw = sent
    member = Member.objects.get(number="1")
    Member.objects.filter(pk=member.pk).update(status=Member.Status.LEFT)
    from respondents.optouts import member_opt_out

    member_opt_out(member=member)
    Member.objects.filter(pk=member.pk).update(status=Member.Status.ACTIVE)
    from respondents.importing import _keep_opt_outs_and_bounces

    _keep_opt_outs_and_bounces(poll.register)
    assert Member.objects.get(pk=member.pk).status == Member.Status.OPTED_OUT


def test_a_forged_opt_out_link_is_the_unknown_link_page(client, db):
    assert client.get("/u/forged/").status_code == 404


def test_bounced_addresses_are_marked_and_skipped_by_reminders(sent, run):
    poll, _draw = sent
    address = mail.outbox[0].to[0]
    assert bounces_record(addresses=[address.upper()], poll=poll) == 1
    assert Member.objects.get(email=address).status == Member.Status.BOUNCED
    mail.outbox.clear()
    run("send_reminders", poll=poll.slug)
    assert len(mail.outbox) == 9
    assert address not in {m.to[0] for m in mail.outbox}
    assert "Påminnelse" in mail.outbox[0].subject


def test_the_bounce_webhook_checks_the_shared_secret(sent, client, settings):
    _poll, _draw = sent
    settings.BOUNCE_WEBHOOK_SECRET = "s3cret"
    body = json.dumps({"addresses": ["m1@example.org"]})
    refused = client.post(
        "/hooks/bounces/",
        body,
        content_type="application/json",
        headers={"X-Medlemsrost-Secret": "wrong"},
    )
    assert refused.status_code == 403
    ok = client.post(
        "/hooks/bounces/",
        body,
        content_type="application/json",
        headers={"X-Medlemsrost-Secret": "s3cret"},
    )
    assert ok.status_code == 200
    assert Member.objects.get(number="1").status == Member.Status.BOUNCED


def test_reminders_skip_completed_and_keep_the_first_link_working(sent, client, run):
    poll, _draw = sent
    first_link = re.search(r"/s/[\w-]+/", mail.outbox[0].body).group(0)
    Invitation.objects.filter(pk=Invitation.objects.first().pk).update(status="completed")
    mail.outbox.clear()
    run("send_reminders", poll=poll.slug)
    assert len(mail.outbox) == 9
    assert client.get(first_link).status_code == 200
    reminder_link = re.search(r"/s/[\w-]+/", mail.outbox[0].body).group(0)
    assert client.get(reminder_link).status_code == 200
    mail.outbox.clear()
    call_command("send_reminders", poll=poll.slug, dry_run=True)
    assert not mail.outbox


def test_nothing_is_sent_after_the_poll_closes(sent):
    poll, _draw = sent
    Poll.objects.filter(pk=poll.pk).update(state=Poll.State.CLOSED)
    with pytest.raises(CommandError, match="stängd"):
        call_command("send_reminders", poll=poll.slug)


def test_send_invitations_refuses_a_draft_poll(sent):
    poll, draw = sent
    Poll.objects.filter(pk=poll.pk).update(state=Poll.State.DRAFT)
    with pytest.raises(CommandError, match="öppen eller schemalagd"):
        call_command("send_invitations", poll=poll.slug, sample=draw.name)


def test_send_invitations_dry_run_sends_nothing(sent, capsys):
    poll, draw = sent
    mail.outbox.clear()
    call_command("send_invitations", poll=poll.slug, sample=draw.name, dry_run=True)
    assert "Nothing was sent" in capsys.readouterr().out
    assert not mail.outbox


def test_field_status_prints_the_figures(sent, capsys):
    poll, _draw = sent
    call_command("field_status", poll=poll.slug)
    out = capsys.readouterr().out
    assert "all\t10\t10\t0" in out


def test_a_member_opening_the_link_counts_as_opened_once(sent, client, capsys):
    poll, _draw = sent
    token = re.search(r"/s/([\w-]+)/", mail.outbox[0].body).group(1)
    client.get(f"/s/{token}/")
    client.get(f"/s/{token}/")  # opening again counts nothing more
    call_command("field_status", poll=poll.slug)
    out = capsys.readouterr().out
    header, everyone = out.splitlines()[1:3]
    cells = dict(zip(header.split("\t"), everyone.split("\t"), strict=True))
    assert (cells["sent"], cells["opened"], cells["completed"]) == ("10", "1", "0")
    assert cells["response_rate"] == "0 %"
