"""Exactly once, or visibly not: each e-mail goes out at most once, and one whose worker died
is shown as unknown (docs/fieldwork.md). Against a real worker, Redis and SMTP server too."""

import asyncio
import collections
import time

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from polls.fieldwork.sending import (
    batch_claim,
    invitation_batch_send,
    invitations_create,
    leases_expire,
)
from polls.models import Invitation, Poll
from polls.tasks import invitations_queue, send_invitation_batch
from respondents.draws import sample_draw
from respondents.models import Member
from tests import services
from tests.factories import PollFactory, RegisterFactory, single_choice_question


def make_sample(size=20, members=40):
    register = RegisterFactory(name="Socionomer 2026")
    Member.objects.bulk_create(
        Member(register=register, number=str(n), email=f"m{n}@example.org")
        for n in range(1, members + 1)
    )
    return sample_draw(register=register, name="Urval sept", size=size, seed=42)


@pytest.fixture
def invited(db):
    draw = make_sample()
    poll = PollFactory(slug="verklighet", register=draw.register)
    single_choice_question(poll)
    invitations_create(poll=poll, draw=draw)
    return poll, list(Invitation.objects.order_by("id").values_list("id", flat=True))


def test_a_batch_is_claimed_and_marked_sent_in_two_statements(invited):
    _poll, ids = invited
    with CaptureQueriesContext(connection) as queries:
        assert invitation_batch_send(ids) == 20
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(writes) == 2
    # The claim, the poll, its e-mail wording, the mark; nothing per e-mail (SQLite adds one for
    # the addresses).
    assert len(queries.captured_queries) <= (4 if connection.vendor == "postgresql" else 5)
    assert len(mail.outbox) == 20


def test_a_batch_claimed_by_another_worker_sends_nothing(invited):
    _poll, ids = invited
    assert len(batch_claim(ids)) == 20
    assert invitation_batch_send(ids) == 0
    assert not mail.outbox


def test_each_email_has_one_click_unsubscribe_headers(invited):
    _poll, ids = invited
    invitation_batch_send(ids[:1])
    message = mail.outbox[0].message()
    assert message["List-Unsubscribe"].startswith("<http")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/u/" in mail.outbox[0].body


def test_an_email_whose_worker_died_becomes_unknown_and_is_not_sent_again(invited):
    _poll, ids = invited
    batch_claim(ids[:5])  # a worker claimed these, then was killed
    later = timezone.now() + timezone.timedelta(hours=1)
    assert leases_expire(now=later) == 5
    unknown = Invitation.objects.filter(status=Invitation.Status.UNKNOWN)
    assert unknown.count() == 5
    assert "Kontrollera innan" in unknown.first().error
    assert invitation_batch_send(ids) == 15


def test_nothing_is_sent_for_a_closed_poll(invited):
    poll, ids = invited
    Poll.objects.filter(pk=poll.pk).update(state=Poll.State.CLOSED)
    assert invitation_batch_send(ids) == 0
    assert Invitation.objects.filter(status=Invitation.Status.QUEUED).count() == 20


def test_an_unreachable_server_is_retried_then_marked_failed_with_the_reason(invited, settings):
    _poll, ids = invited
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", services.free_port()
    settings.EMAIL_TIMEOUT = 2
    with pytest.raises(Retry):
        send_invitation_batch.apply(args=[ids[:3]])
    assert Invitation.objects.filter(status=Invitation.Status.QUEUED).count() == 20
    send_invitation_batch.apply(args=[ids[:3]], retries=send_invitation_batch.max_retries)
    failed = Invitation.objects.filter(status=Invitation.Status.FAILED)
    assert failed.count() == 3
    assert "flera försök" in failed.first().error


def test_a_refused_recipient_is_failed_with_the_servers_reason(invited, smtp_server, settings):
    _poll, ids = invited
    smtp_server.configure_django(settings)
    refused = Invitation.objects.select_related("sample_member__member").get(pk=ids[0])
    address = refused.sample_member.member.email

    original = smtp_server.handle_DATA

    async def handle_DATA(server, session, envelope):
        if address in envelope.rcpt_tos:
            return "550 5.1.1 No such user"
        return await original(server, session, envelope)

    smtp_server.handle_DATA = handle_DATA
    assert invitation_batch_send(ids) == 19
    refused.refresh_from_db()
    assert refused.status == Invitation.Status.FAILED
    assert refused.error.startswith("550")
    assert refused.token_hash is None


def test_requeue_unsent_rebuilds_the_queue_from_the_database(
    invited, django_capture_on_commit_callbacks
):
    poll, _ids = invited
    Invitation.objects.update(queued_at=timezone.now() - timezone.timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("requeue_unsent", poll=poll.slug)
    assert len(mail.outbox) == 20
    with django_capture_on_commit_callbacks(execute=True):
        call_command("requeue_unsent", poll=poll.slug)
    assert len(mail.outbox) == 20


def test_requeue_unsent_refuses_a_draft_poll(invited):
    poll, _ids = invited
    Poll.objects.filter(pk=poll.pk).update(state=Poll.State.DRAFT)
    with pytest.raises(CommandError, match="öppen eller schemalagd"):
        call_command("requeue_unsent", poll=poll.slug)


# --- a real worker ------------------------------------------------------------------------------


def slow_smtp(smtp_server, seconds):
    original = smtp_server.handle_DATA

    async def handle_DATA(server, session, envelope):
        await asyncio.sleep(seconds)
        return await original(server, session, envelope)

    smtp_server.handle_DATA = handle_DATA


def per_recipient(smtp_server):
    return collections.Counter(to for _from, tos in smtp_server.envelopes for to in tos)


@pytest.fixture
def short_lease(monkeypatch):
    monkeypatch.setenv("INVITATION_LEASE_SECONDS", "6")
    monkeypatch.setenv("INVITATION_BATCH_SIZE", "10")
    monkeypatch.setenv("INVITATION_RETRY_DELAY", "1")


def real_poll(size):
    draw = make_sample(size=size, members=size + 10)
    poll = PollFactory(slug="verklighet", register=draw.register)
    single_choice_question(poll)
    invitations_create(poll=poll, draw=draw)
    return poll


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_sends_nothing_twice(
    short_lease, celery_worker, smtp_server, settings
):
    settings.INVITATION_BATCH_SIZE = 10
    poll = real_poll(40)
    slow_smtp(smtp_server, 0.15)
    from django.db import transaction

    with transaction.atomic():
        invitations_queue(poll=poll)
    smtp_server.wait_for(4, timeout=60)
    celery_worker.process.kill()  # SIGKILL, in the middle of the first batch
    celery_worker.process.wait(10)
    delivered_before = len(smtp_server.messages)
    assert 0 < delivered_before < 40

    restarted = services.CeleryWorker(
        prefix=celery_worker.prefix,
        redis_url=celery_worker.redis_url,
        database_url=celery_worker.database_url,
        smtp=smtp_server,
    )
    restarted.start()
    try:
        deadline = time.monotonic() + 60
        while Invitation.objects.filter(status=Invitation.Status.QUEUED).exists():
            assert time.monotonic() < deadline, restarted.log
            time.sleep(0.2)
        time.sleep(7)  # the killed batch's lease runs out
        assert leases_expire() > 0
        # The lost task again (as Redis would redeliver it), and the whole queue rebuilt.
        with transaction.atomic():
            invitations_queue(poll=poll, stale_after=0)
        time.sleep(2)
    finally:
        restarted.stop()
    counts = per_recipient(smtp_server)
    assert max(counts.values()) == 1, counts
    statuses = collections.Counter(Invitation.objects.values_list("status", flat=True))
    assert set(statuses) == {"sent", "unknown"}
    assert statuses["sent"] + statuses["unknown"] == 40
    # Every invitation marked sent did reach the server; the unknown ones are those in flight.
    sent_to = set(
        Invitation.objects.filter(status="sent").values_list(
            "sample_member__member__email", flat=True
        )
    )
    assert sent_to <= set(counts)
    assert statuses["unknown"] <= 10


@pytest.mark.django_db(transaction=True)
def test_two_workers_given_the_same_batch_send_each_email_once(
    short_lease, celery_worker, smtp_server
):
    real_poll(10)
    slow_smtp(smtp_server, 0.1)
    second = services.CeleryWorker(
        prefix=celery_worker.prefix,
        redis_url=celery_worker.redis_url,
        database_url=celery_worker.database_url,
        smtp=smtp_server,
    )
    second.start()
    try:
        ids = list(Invitation.objects.values_list("id", flat=True))
        send_invitation_batch.delay(ids)
        send_invitation_batch.delay(ids)
        deadline = time.monotonic() + 60
        while (celery_worker.log + second.log).count("succeeded") < 2:
            assert time.monotonic() < deadline, celery_worker.log + second.log
            time.sleep(0.1)
    finally:
        second.stop()
    counts = per_recipient(smtp_server)
    assert len(counts) == 10 and max(counts.values()) == 1
    assert Invitation.objects.filter(status="sent").count() == 10


@pytest.mark.django_db(transaction=True)
def test_a_temporary_smtp_failure_is_retried_with_backoff(short_lease, celery_worker, smtp_server):
    real_poll(5)
    original = smtp_server.handle_DATA
    refusals = {"left": 2}

    async def handle_DATA(server, session, envelope):
        if refusals["left"] > 0:
            refusals["left"] -= 1
            return "451 4.3.0 Try again later"
        return await original(server, session, envelope)

    smtp_server.handle_DATA = handle_DATA
    ids = list(Invitation.objects.values_list("id", flat=True))
    send_invitation_batch.delay(ids)
    smtp_server.wait_for(5, timeout=60)
    celery_worker.wait_for_log(r"send_invitation_batch\[.*\] succeeded", timeout=30)
    assert "retry" in celery_worker.log.lower()
    assert max(per_recipient(smtp_server).values()) == 1
    assert Invitation.objects.filter(status="sent").count() == 5
