"""An admin runs the field period from the poll's field-work page: invites samples, reminds,
sends failed e-mails again, uploads bounces, and watches the figures."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from polls.models import Invitation, Poll
from respondents.models import Member
from tests.factories import (
    MemberFactory,
    PollFactory,
    RegisterFactory,
    ResponseFactory,
    SampleDrawFactory,
    SampleMemberFactory,
    staff_user,
)


@pytest.fixture
def admin(db):
    return staff_user("Admin")


@pytest.fixture
def setup(db):
    register = RegisterFactory(name="Socionomer 2026")
    poll = PollFactory(slug="enkat", register=register)
    draw = SampleDrawFactory(register=register, name="Urval sept", target_size=4)
    for n, email in enumerate(["a@example.org", "b@example.org", "c@example.org", ""]):
        SampleMemberFactory(
            draw=draw,
            stratum="Kommun" if n < 2 else "Region",
            member=MemberFactory(register=register, email=email),
        )
    return poll, draw


def invite(client, poll, draw, **kwargs):
    return client.post(f"/staff/polls/{poll.slug}/field/invite/", {"sample": [draw.pk]}, **kwargs)


def test_it_shows_the_register_read_only_and_the_samples_to_choose(client, admin, setup):
    _poll, _draw = setup
    client.force_login(admin)
    page = client.get("/staff/polls/enkat/field/").content.decode()
    assert "Socionomer 2026" in page
    assert 'name="sample"' in page and "Urval sept" in page
    assert 'name="register"' not in page
    assert 'hx-get="/staff/polls/enkat/field/status/"' in page


def test_it_is_for_admins_only(client, setup):
    client.force_login(staff_user("Editor"))
    assert client.get("/staff/polls/enkat/field/").status_code == 403
    assert client.post("/staff/polls/enkat/field/invite/").status_code == 403


def test_sending_invitations_invites_the_reachable_members_and_sends_them(
    client, admin, setup, mailoutbox, django_capture_on_commit_callbacks
):
    poll, draw = setup
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client, poll, draw, follow=True)
    assert "3 nya inbjudningar" in response.content.decode()
    assert len(mailoutbox) == 3
    assert sorted(m.to[0] for m in mailoutbox) == [
        "a@example.org",
        "b@example.org",
        "c@example.org",
    ]
    assert set(poll.invitations.values_list("status", flat=True)) == {"sent"}


def test_sending_invitations_twice_sends_nobody_twice(
    client, admin, setup, mailoutbox, django_capture_on_commit_callbacks
):
    poll, draw = setup
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        invite(client, poll, draw)
        invite(client, poll, draw)
    assert len(mailoutbox) == 3


@pytest.mark.parametrize("state", [Poll.State.DRAFT, Poll.State.CLOSED])
def test_sending_invitations_is_refused_unless_the_poll_is_open_or_scheduled(
    client, admin, setup, state, mailoutbox
):
    poll, draw = setup
    Poll.objects.filter(pk=poll.pk).update(state=state)
    client.force_login(admin)
    response = invite(client, poll, draw, follow=True)
    page = response.content.decode()
    assert "inbjudningar skickas bara för en öppen eller schemalagd" in page
    assert not Invitation.objects.exists()
    assert not mailoutbox


def test_a_scheduled_poll_may_be_invited(client, admin, setup):
    poll, draw = setup
    # Scheduled: open, with its opening time still ahead (polls/fieldwork/opening.py).
    Poll.objects.filter(pk=poll.pk).update(
        state=Poll.State.OPEN, opens_at=timezone.now() + timezone.timedelta(days=2)
    )
    client.force_login(admin)
    invite(client, poll, draw)
    assert poll.invitations.count() == 3


def test_a_sample_of_another_register_is_not_found(client, admin, setup):
    _poll, _draw = setup
    other = SampleDrawFactory(name="Annat register")
    client.force_login(admin)
    response = client.post("/staff/polls/enkat/field/invite/", {"sample": [other.pk]})
    assert response.status_code == 404
    assert not Invitation.objects.exists()


def test_inviting_without_choosing_a_sample_is_refused(client, admin, setup):
    client.force_login(admin)
    response = client.post("/staff/polls/enkat/field/invite/", {}, follow=True)
    assert "Välj minst ett urval" in response.content.decode()


def test_a_reminder_goes_to_those_who_have_not_answered(
    client, admin, setup, mailoutbox, django_capture_on_commit_callbacks
):
    poll, draw = setup
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        invite(client, poll, draw)
    poll.invitations.filter(sample_member__member__email="a@example.org").update(
        status=Invitation.Status.COMPLETED
    )
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/staff/polls/enkat/field/remind/", follow=True)
    assert "Påminnelse 1: 2 e-postmeddelanden" in response.content.decode()
    assert sorted(m.to[0] for m in mailoutbox) == ["b@example.org", "c@example.org"]


def test_a_reminder_with_nobody_waiting_is_refused(client, admin, setup, mailoutbox):
    client.force_login(admin)
    response = client.post("/staff/polls/enkat/field/remind/", follow=True)
    assert "Ingen väntar på en påminnelse" in response.content.decode()
    assert not mailoutbox


def test_a_reminder_for_a_closed_poll_is_refused(client, admin, setup, mailoutbox):
    poll, draw = setup
    client.force_login(admin)
    invite(client, poll, draw)
    poll.invitations.update(status=Invitation.Status.SENT)
    Poll.objects.filter(pk=poll.pk).update(state=Poll.State.CLOSED)
    response = client.post("/staff/polls/enkat/field/remind/", follow=True)
    assert "inbjudningar skickas bara" in response.content.decode()
    assert not mailoutbox


def failed_ones(poll, draw):
    for sm in draw.members.exclude(member__email=""):
        Invitation.objects.create(
            poll=poll, sample_member=sm, status=Invitation.Status.FAILED, error="550 No such user"
        )
    return list(poll.invitations.order_by("id"))


def test_failed_sends_are_listed_with_their_reason(client, admin, setup):
    poll, draw = setup
    failed_ones(poll, draw)
    client.force_login(admin)
    page = client.get("/staff/polls/enkat/field/status/").content.decode()
    assert page.count("550 No such user") == 3
    assert "a@example.org" in page
    assert "Skicka igen" in page


def test_send_again_sends_one_failed_invitation(
    client, admin, setup, mailoutbox, django_capture_on_commit_callbacks
):
    poll, draw = setup
    first, *rest = failed_ones(poll, draw)
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/staff/polls/enkat/field/again/", {"invitation": first.pk}, follow=True
        )
    assert "1 e-postmeddelanden köades igen" in response.content.decode()
    assert [m.to[0] for m in mailoutbox] == [first.sample_member.member.email]
    first.refresh_from_db()
    assert first.status == Invitation.Status.SENT and first.error == ""
    assert {i.status for i in Invitation.objects.filter(pk__in=[r.pk for r in rest])} == {"failed"}


def test_send_again_also_takes_an_unknown_one_the_admin_checked(
    client, admin, setup, mailoutbox, django_capture_on_commit_callbacks
):
    poll, draw = setup
    first, *_rest = failed_ones(poll, draw)
    Invitation.objects.filter(pk=first.pk).update(status=Invitation.Status.UNKNOWN)
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/staff/polls/enkat/field/again/", {"invitation": first.pk})
    assert len(mailoutbox) == 1


def test_send_again_without_a_choice_sends_every_failed_one(
    client, admin, setup, mailoutbox, django_capture_on_commit_callbacks
):
    poll, draw = setup
    failed_ones(poll, draw)
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/staff/polls/enkat/field/again/")
    assert len(mailoutbox) == 3


def test_send_again_with_nothing_failed_is_refused(client, admin, setup):
    client.force_login(admin)
    response = client.post("/staff/polls/enkat/field/again/", follow=True)
    assert "Det fanns inget att skicka igen" in response.content.decode()


def test_send_again_for_a_closed_poll_is_refused(client, admin, setup, mailoutbox):
    poll, draw = setup
    failed_ones(poll, draw)
    Poll.objects.filter(pk=poll.pk).update(state=Poll.State.CLOSED)
    client.force_login(admin)
    response = client.post("/staff/polls/enkat/field/again/", follow=True)
    assert "inbjudningar skickas bara" in response.content.decode()
    assert set(poll.invitations.values_list("status", flat=True)) == {"failed"}


def test_an_uploaded_list_of_bounces_marks_the_members_and_their_invitations(client, admin, setup):
    poll, draw = setup
    failed_ones(poll, draw)
    poll.invitations.update(status=Invitation.Status.SENT)
    stranger = MemberFactory(email="b@example.org")  # another register: left alone
    client.force_login(admin)
    upload = SimpleUploadedFile("bounces.csv", b"email\nB@example.org\nnobody@example.org\n")
    response = client.post("/staff/polls/enkat/field/bounces/", {"file": upload}, follow=True)
    assert "1 av 2 adresser" in response.content.decode()
    member = Member.objects.get(register=poll.register, email="b@example.org")
    assert member.status == Member.Status.BOUNCED
    assert poll.invitations.get(sample_member__member=member).status == "bounced"
    stranger.refresh_from_db()
    assert stranger.status == Member.Status.ACTIVE


def test_pasted_bounces_count_too(client, admin, setup):
    client.force_login(admin)
    client.post("/staff/polls/enkat/field/bounces/", {"addresses": "a@example.org; c@example.org"})
    assert Member.objects.filter(status=Member.Status.BOUNCED).count() == 2


def test_a_bounce_list_without_addresses_is_refused(client, admin, setup):
    client.force_login(admin)
    response = client.post("/staff/polls/enkat/field/bounces/", {"addresses": "inga här"})
    assert response.status_code == 400
    assert "Inga e-postadresser" in response.content.decode()
    assert not Member.objects.filter(status=Member.Status.BOUNCED).exists()


def test_bounces_for_a_poll_without_a_register_are_refused(client, admin, db):
    PollFactory(slug="utan")
    MemberFactory(email="a@example.org")
    client.force_login(admin)
    response = client.post("/staff/polls/utan/field/bounces/", {"addresses": "a@example.org"})
    assert response.status_code == 302
    assert not Member.objects.filter(status=Member.Status.BOUNCED).exists()


def test_the_figures_per_stratum_the_unreachable_and_the_rate(client, admin, setup):
    poll, draw = setup
    failed_ones(poll, draw)
    poll.invitations.filter(sample_member__member__email="a@example.org").update(
        status=Invitation.Status.COMPLETED
    )
    poll.invitations.filter(sample_member__member__email="b@example.org").update(
        status=Invitation.Status.SENT
    )
    client.force_login(admin)
    page = client.get("/staff/polls/enkat/field/status/").content.decode()
    assert "1 urvalsmedlem kan inte nås" in page
    # Kommun: 2 invited, 2 sent, 1 completed: 50 %; Region: 1 failed, nothing sent.
    assert "50 %" in page
    assert "Kommun" in page and "Region" in page


def test_responses_per_day_are_counted_by_their_date(client, admin, setup):
    poll, _draw = setup
    today = timezone.localdate()
    for day, n in ((today - datetime.timedelta(days=1), 2), (today, 3)):
        for _ in range(n):
            ResponseFactory(poll=poll, submitted_on=day)
    client.force_login(admin)
    page = client.get("/staff/polls/enkat/field/status/").content.decode()
    assert page.count('<progress class="progress" value="2" max="3"') == 1
    assert page.count('<progress class="progress" value="3" max="3"') == 1


def test_the_studio_and_the_staff_home_link_admins_to_the_field_page(client, admin, setup):
    client.force_login(admin)
    assert "/staff/polls/enkat/field/" in client.get("/staff/studio/enkat/").content.decode()
    assert "/staff/polls/enkat/field/" in client.get("/staff/").content.decode()
    client.force_login(staff_user("Editor"))
    assert "/staff/polls/enkat/field/" not in client.get("/staff/studio/enkat/").content.decode()
    assert "/staff/polls/enkat/field/" not in client.get("/staff/").content.decode()


def test_each_sending_action_is_written_to_the_audit_trail(
    client, admin, setup, mailoutbox, django_capture_on_commit_callbacks
):
    from staff.models import AuditEntry

    poll, draw = setup
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        invite(client, poll, draw)
    client.post(
        "/staff/polls/enkat/field/plan/",
        {"draws": [draw.pk], "reminder_days": "3, 6", "rate_per_minute": "100"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/staff/polls/enkat/field/remind/")
    client.post("/staff/polls/enkat/field/bounces/", {"addresses": "a@example.org"})
    entries = list(
        AuditEntry.objects.exclude(action="role.change")  # the admin fixture got their role
        .order_by("id")
        .values_list("action", "target", "actor")
    )
    assert entries == [
        ("invitations.send", "enkat", admin.pk),
        ("field_plan.save", "enkat", admin.pk),
        ("reminders.send", "enkat", admin.pk),
        ("bounces.upload", "enkat", admin.pk),
    ]
    sent = AuditEntry.objects.get(action="invitations.send")
    assert sent.details == {"samples": ["Urval sept"], "created": 3, "queued": 3}
    assert "a@example.org" not in str(AuditEntry.objects.values_list("details", flat=True))


def test_the_chart_of_responses_per_day_carries_the_response_rate_so_far(
    client, admin, setup, mailoutbox, django_capture_on_commit_callbacks
):
    import json
    import re

    poll, draw = setup
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        invite(client, poll, draw)  # 3 sent
    today = timezone.localdate()
    ResponseFactory(poll=poll, submitted_on=today - datetime.timedelta(days=1))
    ResponseFactory(poll=poll, submitted_on=today)
    page = client.get("/staff/polls/enkat/field/").content.decode()
    assert 'data-figure-id="per-day-figure"' in page and "plotly-basic.min.js" in page
    figure = json.loads(
        re.search(
            r'<script id="per-day-figure" type="application/json">(.*?)</script>', page
        ).group(1)
    )
    bars, rate = figure["data"]
    assert bars["y"] == [1, 1]
    assert rate["y"] == [33, 67]  # of the 3 e-mails sent: 1, then 2 answered
    assert ">67 %<" in page  # the same figures in the table
