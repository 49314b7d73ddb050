"""The field plan: invitations at a time, reminders on day N, a sending rate, run by beat's
tick once each, changeable until each step runs; the page says what happens next."""

import datetime

import pytest
from django.utils import timezone

from polls.fieldwork.plans import PlanLocked, plan_update
from polls.fieldwork.sending import invitation_batches
from polls.models import FieldPlan, Invitation, Poll
from polls.tasks import field_work_tick
from tests.factories import (
    MemberFactory,
    PollFactory,
    RegisterFactory,
    SampleDrawFactory,
    SampleMemberFactory,
    staff_user,
)

DAY = datetime.timedelta(days=1)


@pytest.fixture
def admin(db):
    return staff_user("Admin")


@pytest.fixture
def setup(db):
    register = RegisterFactory(name="Socionomer 2026")
    poll = PollFactory(slug="enkat", register=register)
    draw = SampleDrawFactory(register=register, name="Urval sept", target_size=3)
    for n in range(3):
        SampleMemberFactory(
            draw=draw, member=MemberFactory(register=register, email=f"m{n}@example.org")
        )
    return poll, draw


def plan(poll, draw, *, invite_at, days=(3, 6), rate=None):
    return plan_update(
        poll=poll,
        invite_at=invite_at,
        reminder_days=list(days),
        rate_per_minute=rate,
        draws=[draw],
    )


def tick(capture):
    with capture(execute=True):
        return field_work_tick()


def test_an_admin_saves_a_plan_and_the_page_says_what_happens_next(client, admin, setup):
    poll, draw = setup
    client.force_login(admin)
    response = client.post(
        "/staff/polls/enkat/field/plan/",
        {
            "draws": [draw.pk],
            "invite_at": "2030-03-02T09:00",
            "reminder_days": "3, 6",
            "rate_per_minute": "120",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "Fältplanen sparades" in page
    saved = FieldPlan.objects.get(poll=poll)
    assert saved.reminder_days == [3, 6] and saved.rate_per_minute == 120
    assert list(saved.draws.all()) == [draw]
    assert timezone.localtime(saved.invite_at).strftime("%Y-%m-%d %H:%M") == "2030-03-02 09:00"
    assert "inbjudningarna går ut den 2 mar 2030 09:00" in page.lower()
    assert "Påminnelse 2" in page


@pytest.mark.parametrize(
    ("days", "error"),
    [("tre", "Skriv hela dagar"), ("6, 3", "i ordning"), ("0", "1 till 90 dagar")],
)
def test_a_plan_with_bad_reminder_days_is_refused(client, admin, setup, days, error):
    client.force_login(admin)
    response = client.post("/staff/polls/enkat/field/plan/", {"reminder_days": days})
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not FieldPlan.objects.exists()


def test_a_plan_cannot_name_a_sample_of_another_register(client, admin, setup):
    other = SampleDrawFactory(name="Annat")
    client.force_login(admin)
    response = client.post("/staff/polls/enkat/field/plan/", {"draws": [other.pk]})
    assert response.status_code == 400
    assert not FieldPlan.objects.exists()


def test_the_tick_sends_the_invitations_at_their_time_once(
    setup, mailoutbox, django_capture_on_commit_callbacks
):
    poll, draw = setup
    plan(poll, draw, invite_at=timezone.now() + datetime.timedelta(minutes=5))
    tick(django_capture_on_commit_callbacks)
    assert not mailoutbox and not Invitation.objects.exists()
    FieldPlan.objects.update(invite_at=timezone.now() - datetime.timedelta(seconds=1))
    tick(django_capture_on_commit_callbacks)
    tick(django_capture_on_commit_callbacks)
    assert sorted(m.to[0] for m in mailoutbox) == [f"m{n}@example.org" for n in range(3)]
    assert FieldPlan.objects.get().invited_at is not None


def test_the_reminders_go_on_their_day_to_those_who_have_not_answered(
    setup, mailoutbox, django_capture_on_commit_callbacks
):
    poll, draw = setup
    plan(poll, draw, invite_at=timezone.now() - datetime.timedelta(seconds=1))
    tick(django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 3
    poll.invitations.filter(sample_member__member__email="m0@example.org").update(
        status=Invitation.Status.COMPLETED
    )
    mailoutbox.clear()
    tick(django_capture_on_commit_callbacks)  # day 0: no reminder yet
    assert not mailoutbox
    FieldPlan.objects.update(invited_at=timezone.now() - 3 * DAY)
    tick(django_capture_on_commit_callbacks)
    tick(django_capture_on_commit_callbacks)
    assert sorted(m.to[0] for m in mailoutbox) == ["m1@example.org", "m2@example.org"]
    assert set(
        poll.invitations.exclude(status="completed").values_list("reminders_sent", flat=True)
    ) == {1}
    FieldPlan.objects.update(invited_at=timezone.now() - 6 * DAY)
    tick(django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 4
    assert FieldPlan.objects.get().reminders_done == 2


def test_nothing_planned_goes_out_for_a_draft_poll_and_the_page_says_so(
    client, admin, setup, mailoutbox, django_capture_on_commit_callbacks
):
    poll, draw = setup
    Poll.objects.filter(pk=poll.pk).update(state=Poll.State.DRAFT)
    plan(poll, draw, invite_at=timezone.now() - datetime.timedelta(seconds=1))
    tick(django_capture_on_commit_callbacks)
    assert not mailoutbox
    assert FieldPlan.objects.get().invited_at is None
    client.force_login(admin)
    assert (
        "Väntar: undersökningen är inte öppen"
        in client.get("/staff/polls/enkat/field/").content.decode()
    )


def test_a_step_can_change_until_it_has_run(setup, django_capture_on_commit_callbacks):
    poll, draw = setup
    later = timezone.now() + DAY
    plan(poll, draw, invite_at=later)
    plan(poll, draw, invite_at=later + DAY, days=(2, 5))  # not run yet: any change is fine
    FieldPlan.objects.update(invite_at=timezone.now() - datetime.timedelta(seconds=1))
    tick(django_capture_on_commit_callbacks)
    ran = FieldPlan.objects.get()
    with pytest.raises(PlanLocked):
        plan(poll, draw, invite_at=later, days=(2, 5))
    # The reminders and the rate have not run: they may still change.
    plan(poll, draw, invite_at=ran.invite_at, days=(4, 7), rate=60)
    FieldPlan.objects.update(invited_at=timezone.now() - 4 * DAY)
    tick(django_capture_on_commit_callbacks)
    with pytest.raises(PlanLocked):
        plan(poll, draw, invite_at=ran.invite_at, days=(3, 7))
    plan(poll, draw, invite_at=ran.invite_at, days=(4, 10))


def test_a_locked_step_is_refused_on_the_page(client, admin, setup):
    poll, draw = setup
    plan(poll, draw, invite_at=timezone.now() - DAY, days=(3,))
    FieldPlan.objects.update(invited_at=timezone.now() - 4 * DAY, reminders_done=1)
    client.force_login(admin)
    response = client.post("/staff/polls/enkat/field/plan/", {"reminder_days": "5"}, follow=True)
    page = response.content.decode()
    assert "Påminnelser som har gått ut kan inte ändras" in page
    assert FieldPlan.objects.get().reminder_days == [3]


def test_sending_by_hand_counts_as_the_plans_invitations(client, admin, setup):
    poll, draw = setup
    plan(poll, draw, invite_at=timezone.now() + DAY)
    client.force_login(admin)
    client.post("/staff/polls/enkat/field/invite/", {"sample": [draw.pk]})
    assert FieldPlan.objects.get().invited_at is not None


def test_the_rate_spreads_the_batches_over_the_minutes(setup):
    poll, draw = setup
    for n in range(2):
        SampleMemberFactory(
            draw=draw, member=MemberFactory(register=poll.register, email=f"x{n}@example.org")
        )
    from polls.fieldwork.sending import invitations_create

    invitations_create(poll=poll, draw=draw)
    before = timezone.now()
    batches = invitation_batches(poll=poll, rate=2)
    assert [len(b) for b in batches] == [2, 2, 1]
    times = [Invitation.objects.get(pk=b[0]).queued_at - before for b in batches]
    assert [round(t.total_seconds() / 60) for t in times] == [0, 1, 2]
