"""A member's personal data can be erased (GDPR Art. 17) without changing any result, the
retention rule erases the members of long-closed polls, and an admin can hand a member
everything held about them (Art. 15). See docs/privacy.md."""

from __future__ import annotations

import datetime
import json

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, models
from django.urls import reverse
from django.utils import timezone

from polls.fieldwork.sending import invitations_create
from polls.models import Answer, Draft, Invitation, Poll, Response
from polls.privacy import retention_apply, retention_due
from respondents.draws import sample_draw
from respondents.importing import register_import
from respondents.models import ImportJob, Member, SampleDraw
from respondents.privacy import member_erase
from staff.models import AuditEntry
from tests.factories import (
    MemberFactory,
    PollFactory,
    RegisterFactory,
    SampleDrawFactory,
    SampleMemberFactory,
    single_choice_question,
    staff_user,
)

NUMBER = "SSR-480017"
EMAIL = "karin.lund@example.org"
OTHER_NUMBER = "SSR-480018"
OTHER_EMAIL = "nils.berg@example.org"


def register_file(*, skip: str = "") -> bytes:
    lines = ["medlemsnummer;e-post;sektor;region"]
    for n in range(40):
        number = f"SSR-48{n:04d}"
        if number == skip:
            continue
        email = {NUMBER: EMAIL, OTHER_NUMBER: OTHER_EMAIL}.get(number, f"m{n}@example.org")
        lines.append(
            f"{number};{email};{'Kommun' if n % 3 else 'Region'};{'Nord' if n % 2 else 'Syd'}"
        )
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def field(db):
    """A register of 40 imported members, all drawn and invited to an open poll; 25 answered.
    Karin (NUMBER) has an answer in progress, and her last e-mail error quotes her address."""
    register_import(name="Socionomer 2026", data=register_file())
    member = Member.objects.get(number=NUMBER)
    register = member.register
    draw = sample_draw(register=register, name="Urval sept", size=40, seed=7)
    poll = PollFactory(slug="verklighet", register=register, reporting_variables=["sektor"])
    question = single_choice_question(poll)
    options = list(question.options.order_by("order"))
    invitations_create(poll=poll, draw=draw)
    Invitation.objects.filter(poll=poll).update(
        status=Invitation.Status.SENT, sent_at=timezone.now()
    )
    others = Invitation.objects.filter(poll=poll).exclude(sample_member__member=member)
    for i, invitation in enumerate(others.order_by("pk")[:25]):
        response = Response.objects.create(
            poll=poll,
            submitted_on=timezone.localdate(),
            attributes={"sektor": invitation.sample_member.member.attributes["sektor"]},
        )
        Answer.objects.create(response=response, question=question, option=options[i % 3])
        Invitation.objects.filter(pk=invitation.pk).update(status=Invitation.Status.COMPLETED)
    karin = Invitation.objects.get(poll=poll, sample_member__member=member)
    karin.token_hash = "a" * 64
    karin.error = f"452 <{EMAIL}>: mailbox full"
    karin.save()
    Draft.objects.create(invitation=karin, data={f"q{question.pk}": [str(options[1].pk)]})
    ImportJob.objects.create(
        register_name=register.name,
        filename="gammal.csv",
        data=b"",
        errors=[{"line": 3, "message": f"Line 3: membership number {NUMBER} already appears"}],
    )
    return {"register": register, "member": member, "draw": draw, "poll": poll}


@pytest.fixture
def admin_client(client, db):
    client.force_login(staff_user("Admin"))
    return client


def results_of(client, poll) -> dict:
    cache.clear()  # the estimates are computed again, not served from before the erasure
    response = client.get(reverse("api-poll-results", args=[poll.slug]), {"by": "sektor"})
    assert response.status_code == 200
    return response.json()


def rows_mentioning(text: str) -> list[str]:
    """Every table of the project, every text-like column: where `text` still occurs."""
    found = []
    text_fields = (models.CharField, models.TextField, models.JSONField)
    for model in apps.get_models(include_auto_created=True):
        columns = [f.column for f in model._meta.concrete_fields if isinstance(f, text_fields)]
        table = connection.ops.quote_name(model._meta.db_table)
        for column in columns:
            # The names come from the models, the searched text is a parameter.
            name = connection.ops.quote_name(column)
            sql = f"SELECT COUNT(*) FROM {table} WHERE CAST({name} AS TEXT) LIKE %s"  # noqa: S608
            with connection.cursor() as cursor:
                cursor.execute(sql, [f"%{text}%"])
                if cursor.fetchone()[0]:
                    found.append(f"{model._meta.db_table}.{column}")
    return found


def test_after_erasure_the_number_and_address_are_nowhere_and_the_results_unchanged(
    field, admin_client
):
    poll, member, draw = field["poll"], field["member"], field["draw"]
    assert rows_mentioning(NUMBER) and rows_mentioning(EMAIL)  # the scan does find them
    before = results_of(admin_client, poll)
    responses = Response.objects.filter(poll=poll).count()
    counts = SampleDraw.objects.get(pk=draw.pk).counts

    assert member_erase(member=member, by=staff_user("Admin", username="dpo")) is True

    assert rows_mentioning(NUMBER) == []
    assert rows_mentioning(EMAIL) == []
    member.refresh_from_db()
    assert member.status == Member.Status.ERASED and member.attributes == {}
    invitation = Invitation.objects.get(sample_member__member=member)
    assert invitation.token_hash is None and invitation.error == ""
    # The poll is open: as after an opt-out, nothing more goes to her.
    assert invitation.status == Invitation.Status.OPTED_OUT
    assert not Draft.objects.filter(invitation=invitation).exists()
    assert Response.objects.filter(poll=poll).count() == responses
    assert SampleDraw.objects.get(pk=draw.pk).counts == counts
    assert member.samplings.count() == 1  # the sample keeps its size
    # Shares, intervals, population, n, and the invited per register value: the same.
    assert results_of(admin_client, poll) == before
    assert before["representativeness"]["sample"] == 40

    entry = AuditEntry.objects.get(action="member.erase")
    assert entry.actor_name == "dpo" and entry.details["member"] == member.pk
    assert entry.details["drafts"] == 1 and entry.details["invitations"] == 1
    assert NUMBER not in json.dumps(entry.details) and EMAIL not in entry.target
    assert member_erase(member=member, by=None) is False  # once only


def test_an_erased_member_is_never_invited_again_nor_brought_back_by_an_import(field):
    register, member = field["register"], field["member"]
    member_erase(member=member, by=None)
    total = register.population["total"]

    second = PollFactory(slug="nasta", register=register)
    assert invitations_create(poll=second, draw=field["draw"]) == 39
    assert not Invitation.objects.filter(poll=second, sample_member__member=member).exists()
    draw = sample_draw(register=register, name="Urval okt", size=39, seed=3)
    assert not draw.members.filter(member=member).exists()

    report = register_import(name=register.name, data=register_file())
    assert report.erased == 1 and report.added == 0
    assert not Member.objects.filter(register=register, number=NUMBER).exists()
    register.refresh_from_db()
    assert register.population["total"] == total  # she is still a member, counted anonymously
    member.refresh_from_db()
    assert member.status == Member.Status.ERASED  # not marked as having left

    # She leaves the union: the next file lacks her, and the population is one smaller.
    register_import(name=register.name, data=register_file(skip=NUMBER))
    register.refresh_from_db()
    assert register.population["total"] == total - 1


def _invited(poll, draw, **member_fields):
    sm = SampleMemberFactory(
        draw=draw, member=MemberFactory(register=draw.register, **member_fields)
    )
    Invitation.objects.create(poll=poll, sample_member=sm, status=Invitation.Status.COMPLETED)
    return sm.member


def test_retention_erases_only_the_members_of_polls_closed_long_enough(db, capsys):
    now = timezone.now()
    register = RegisterFactory(name="Ekonomer")
    draw = SampleDrawFactory(register=register)
    old = PollFactory(
        slug="gammal",
        register=register,
        state=Poll.State.CLOSED,
        opens_at=now - datetime.timedelta(days=800),
        closes_at=now - datetime.timedelta(days=790),
    )
    recent = PollFactory(
        slug="nyss",
        register=register,
        state=Poll.State.CLOSED,
        opens_at=now - datetime.timedelta(days=40),
        closes_at=now - datetime.timedelta(days=30),
    )
    running = PollFactory(slug="pagar", register=register)
    gone = _invited(old, draw, number="GONE-1")
    also_recent = _invited(old, draw, number="KEEP-RECENT")
    Invitation.objects.create(poll=recent, sample_member=also_recent.samplings.get())
    in_open = _invited(old, draw, number="KEEP-OPEN")
    Invitation.objects.create(poll=running, sample_member=in_open.samplings.get())
    never_invited = MemberFactory(register=register, number="KEEP-NEVER")

    assert list(retention_due(months=24)) == [gone]
    assert retention_apply(months=0) == []  # the rule is off

    call_command("apply_retention", "--dry-run", "--months", "24")
    out = capsys.readouterr().out
    assert "GONE-1" in out and "KEEP" not in out and "1 members would be erased" in out
    assert Member.objects.get(pk=gone.pk).status != Member.Status.ERASED

    call_command("apply_retention", "--months", "24")
    statuses = dict(Member.objects.values_list("pk", "status"))
    assert statuses[gone.pk] == Member.Status.ERASED
    # A closed poll's field figures stay: her invitation is still "completed".
    assert Invitation.objects.get(sample_member__member=gone).status == "completed"
    for kept in (also_recent, in_open, never_invited):
        assert statuses[kept.pk] != Member.Status.ERASED
    entry = AuditEntry.objects.get(action="member.erase")
    assert entry.details == {**entry.details, "member": gone.pk, "reason": "retention"}
    assert AuditEntry.objects.filter(action="retention.apply").exists()
    # Erased by retention, not at her request: a later export may add the number afresh.
    assert Member.objects.get(pk=gone.pk).erasure_key == ""


def test_the_beat_task_follows_the_setting(db, settings):
    from polls.tasks import apply_retention

    register = RegisterFactory()
    old = PollFactory(
        register=register,
        state=Poll.State.CLOSED,
        opens_at=timezone.now() - datetime.timedelta(days=400),
        closes_at=timezone.now() - datetime.timedelta(days=390),
    )
    member = _invited(old, SampleDrawFactory(register=register))
    settings.PERSONAL_DATA_RETENTION_MONTHS = 0
    assert apply_retention.delay().get() == 0
    settings.PERSONAL_DATA_RETENTION_MONTHS = 12
    assert apply_retention.delay().get() == 1
    member.refresh_from_db()
    assert member.status == Member.Status.ERASED
    assert "polls.tasks.apply_retention" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }


def test_the_access_export_holds_the_members_invitations_and_no_one_elses(field, admin_client):
    member = field["member"]
    response = admin_client.get(reverse("member-data-json", args=[member.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="medlem-{member.pk}.json"'
    body = response.content.decode()
    data = json.loads(body)
    assert data["member"]["membership_number"] == NUMBER and data["member"]["email"] == EMAIL
    assert data["registers"] == ["Socionomer 2026"]
    assert [s["draw"] for s in data["samplings"]] == ["Urval sept"]
    [invitation] = data["invitations"]
    assert invitation["poll"] == "verklighet" and invitation["status"] == "sent"
    assert invitation["sent_at"] and invitation["draft"]["answers_in_progress"]
    assert OTHER_NUMBER not in body and OTHER_EMAIL not in body and "m1@example.org" not in body
    assert "kan inte kopplas" in data["answers"]

    page = admin_client.get(reverse("member-data", args=[member.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "kan inte kopplas tillbaka till dig" in html and "verklighet" in html
    assert OTHER_EMAIL not in html
    exports = AuditEntry.objects.filter(action="member.access_export", details__member=member.pk)
    assert exports.count() == 2
    # The next export lists the earlier ones: they name the member.
    again = admin_client.get(reverse("member-data-json", args=[member.pk])).json()
    assert [e["action"] for e in again["audit"]] == ["member.access_export"] * 2


def test_the_admin_erases_from_the_register_page_with_the_number_typed(field, admin_client):
    register, member = field["register"], field["member"]
    page = admin_client.get(reverse("register-detail", args=[register.pk]))
    assert "Hitta en medlem" in page.content.decode()
    found = admin_client.get(reverse("register-members", args=[register.pk]), {"q": EMAIL.upper()})
    assert found.status_code == 302 and found["Location"] == reverse(
        "member-detail", args=[member.pk]
    )
    detail = admin_client.get(found["Location"]).content.decode()
    assert NUMBER in detail and "Radera personuppgifter" in detail
    missing = admin_client.get(reverse("register-members", args=[register.pk]), {"q": "SSR-999"})
    assert missing.status_code == 404 and "Ingen medlem" in missing.content.decode()

    url = reverse("member-erase", args=[member.pk])
    wrong = admin_client.post(url, {"number": "SSR-480016"})
    assert wrong.status_code == 400
    assert "inte medlemmens medlemsnummer" in wrong.content.decode()
    assert Member.objects.get(pk=member.pk).number == NUMBER

    done = admin_client.post(url, {"number": f" {NUMBER} "}, follow=True)
    assert done.redirect_chain[-1][0] == reverse("register-detail", args=[register.pk])
    assert "personuppgifter raderades" in done.content.decode()
    assert Member.objects.get(pk=member.pk).status == Member.Status.ERASED
    assert admin_client.get(url).status_code == 302  # nothing left to erase
    assert AuditEntry.objects.filter(action="member.erase", details__member=member.pk).exists()


def test_editors_may_neither_erase_nor_export(field, client):
    client.force_login(staff_user("Editor"))
    member = field["member"]
    assert (
        client.post(reverse("member-erase", args=[member.pk]), {"number": NUMBER}).status_code
        == 403
    )
    assert client.get(reverse("member-data-json", args=[member.pk])).status_code == 403
    assert Member.objects.get(pk=member.pk).number == NUMBER
    assert not AuditEntry.objects.filter(action__startswith="member.").exists()


def test_the_erase_member_command(field, capsys):
    call_command("erase_member", "--register", "Socionomer 2026", "--number", NUMBER)
    assert Member.objects.get(pk=field["member"].pk).status == Member.Status.ERASED
    assert "erased" in capsys.readouterr().out
    with pytest.raises(CommandError, match="No member numbered"):
        call_command("erase_member", "--register", "Socionomer 2026", "--number", NUMBER)
    with pytest.raises(CommandError, match="No register"):
        call_command("erase_member", "--register", "Okänt", "--number", "1")
    assert AuditEntry.objects.get(action="member.erase").actor_name.startswith("erase_member")


@pytest.mark.parametrize("variables", [["a", "b"], ["a", "b", "c", "d", "e"]])
def test_the_population_counts_are_the_same_after_an_erasure(db, variables):
    from respondents.population import register_population_counts

    register = RegisterFactory(variables=variables)
    for n in range(12):
        MemberFactory(
            register=register, attributes={v: f"{v}{(n + i) % 3}" for i, v in enumerate(variables)}
        )
    left = MemberFactory(register=register, status=Member.Status.LEFT, attributes={"a": "a9"})
    before = register_population_counts(register, variables)
    for member in register.members.order_by("pk")[:4]:
        member_erase(member=member, by=None)
    member_erase(member=left, by=None)  # had left: never in the counts, nor in the tally
    register.refresh_from_db()
    assert sum(register.erased_profiles.values()) == 4
    assert register_population_counts(register, variables) == before
    assert register_population_counts(register, [])["total"] == 12


def test_an_erasure_that_fails_halfway_changes_nothing(field):
    from respondents.privacy import member_erased

    member = field["member"]

    def broken(**_kwargs):
        raise RuntimeError("the polls part failed")

    member_erased.connect(broken, dispatch_uid="test-broken")
    try:
        with pytest.raises(RuntimeError):
            member_erase(member=member, by=None)
    finally:
        member_erased.disconnect(dispatch_uid="test-broken")
    member.refresh_from_db()
    assert (member.number, member.email, member.status) == (NUMBER, EMAIL, "active")
    assert Draft.objects.filter(invitation__sample_member__member=member).exists()
    assert not AuditEntry.objects.filter(action="member.erase").exists()
