"""Every URL in the URL map, opened by each role: anonymous, member (with a token), editor, admin,
a staff user without a role and an inactive editor (the rules are in staff/access.py).

A new URL without an entry in EXPECTED fails `test_every_url_has_a_stated_permission`, so each
later page must say who may see it.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from polls.models import Invitation
from respondents.models import ImportJob
from results.models import ExportJob, ResultPage
from tests.factories import (
    PollFactory,
    QuestionFactory,
    SectionFactory,
    UserFactory,
    invitation_with_token,
    single_choice_question,
    staff_user,
)

# staff_no_role: is_staff but in no role group; inactive: an Editor whose account is switched off
# (Django does not keep an inactive user logged in: it is an anonymous visitor).
ROLES = ["anonymous", "member", "editor", "admin", "staff_no_role", "inactive"]
LOGIN = "login"

# name -> expected status per role (a redirect to the login page is written "login").
EXPECTED = {
    "home": {
        "anonymous": 302,
        "member": 302,
        "editor": 302,
        "admin": 302,
        "staff_no_role": 302,
        "inactive": 302,
    },
    "answer": {
        "anonymous": 404,
        "member": 200,
        "editor": 404,
        "admin": 404,
        "staff_no_role": 404,
        "inactive": 404,
    },
    # The draft's autosave (answer.js) takes only POST, with the page's CSRF token.
    "answer-draft": {
        "anonymous": 405,
        "member": 405,
        "editor": 405,
        "admin": 405,
        "staff_no_role": 405,
        "inactive": 405,
    },
    # The world's poll has no open link: its /p/<slug>/ is the 404 page for everyone.
    "open-answer": {
        "anonymous": 404,
        "member": 404,
        "editor": 404,
        "admin": 404,
        "staff_no_role": 404,
        "inactive": 404,
    },
    "staff-home": {
        "anonymous": LOGIN,
        "member": LOGIN,
        "editor": 200,
        "admin": 200,
        "staff_no_role": 403,
        "inactive": LOGIN,
    },
    "poll-results": {
        "anonymous": LOGIN,
        "member": LOGIN,
        "editor": 200,
        "admin": 200,
        "staff_no_role": 403,
        "inactive": LOGIN,
    },
    "poll-trends": {
        "anonymous": LOGIN,
        "member": LOGIN,
        "editor": 200,
        "admin": 200,
        "staff_no_role": 403,
        "inactive": LOGIN,
    },
    # The world's poll is in no series: an unknown series is 404 (with its reason).
    "api-series-trends": {
        "anonymous": 403,
        "member": 403,
        "editor": 404,
        "admin": 404,
        "staff_no_role": 403,
        "inactive": 403,
    },
    # The dashboard's analysis choices: Editor and Admin, POST only.
    "poll-analysis-settings": {role: 405 for role in ROLES},
    # A forged opt-out link is the "link does not work" page; the webhook takes only POST.
    "opt-out": {role: 404 for role in ROLES},
    "bounce-webhook": {role: 405 for role in ROLES},
    "login": {
        "anonymous": 200,
        "member": 200,
        "editor": 200,
        "admin": 200,
        "staff_no_role": 200,
        "inactive": 200,
    },
    # The way back in for staff who forgot their password: open to everyone.
    **{
        name: {role: 200 for role in ROLES}
        for name in [
            "password_reset",
            "password_reset_done",
            "password_reset_confirm",
            "password_reset_complete",
        ]
    },
    # The login's second step: for a logged-in user with a confirmed device (none here: they are
    # sent on to the staff home); anyone else is sent to the login page.
    "login-code": {
        "anonymous": LOGIN,
        "member": LOGIN,
        "editor": 302,
        "admin": 302,
        "staff_no_role": 302,
        "inactive": LOGIN,
    },
    # Tvåstegsverifiering: any staff role sets up its own device.
    "two-factor": {
        "anonymous": LOGIN,
        "member": LOGIN,
        "editor": 200,
        "admin": 200,
        "staff_no_role": 403,
        "inactive": LOGIN,
    },
    "logout": {
        "anonymous": 405,
        "member": 405,
        "editor": 405,
        "admin": 405,
        "staff_no_role": 405,
        "inactive": 405,
    },
    "set_language": {
        "anonymous": 302,
        "member": 302,
        "editor": 302,
        "admin": 302,
        "staff_no_role": 302,
        "inactive": 302,
    },
    # Registers and samples hold personal data: the Admin role only.
    "register-list": {
        "anonymous": LOGIN,
        "member": LOGIN,
        "editor": 403,
        "admin": 200,
        "staff_no_role": 403,
        "inactive": LOGIN,
    },
    "register-detail": {
        "anonymous": LOGIN,
        "member": LOGIN,
        "editor": 403,
        "admin": 200,
        "staff_no_role": 403,
        "inactive": LOGIN,
    },
    "sample-new": {
        "anonymous": LOGIN,
        "member": LOGIN,
        "editor": 403,
        "admin": 200,
        "staff_no_role": 403,
        "inactive": LOGIN,
    },
    "import-job": {
        "anonymous": LOGIN,
        "member": LOGIN,
        "editor": 403,
        "admin": 200,
        "staff_no_role": 403,
        "inactive": LOGIN,
    },
    "sample-detail": {
        "anonymous": LOGIN,
        "member": LOGIN,
        "editor": 403,
        "admin": 200,
        "staff_no_role": 403,
        "inactive": LOGIN,
    },
    # A member's page, erasure and access export (GDPR): Admin only.
    "register-members": {
        "anonymous": LOGIN,
        "member": LOGIN,
        "editor": 403,
        "admin": 200,
        "staff_no_role": 403,
        "inactive": LOGIN,
    },
    "member-detail": {
        "anonymous": LOGIN,
        "member": LOGIN,
        "editor": 403,
        "admin": 200,
        "staff_no_role": 403,
        "inactive": LOGIN,
    },
    "member-erase": {
        "anonymous": LOGIN,
        "member": LOGIN,
        "editor": 403,
        "admin": 200,
        "staff_no_role": 403,
        "inactive": LOGIN,
    },
    "member-data": {
        "anonymous": LOGIN,
        "member": LOGIN,
        "editor": 403,
        "admin": 200,
        "staff_no_role": 403,
        "inactive": LOGIN,
    },
    "member-data-json": {
        "anonymous": LOGIN,
        "member": LOGIN,
        "editor": 403,
        "admin": 200,
        "staff_no_role": 403,
        "inactive": LOGIN,
    },
    "sample-csv": {
        "anonymous": LOGIN,
        "member": LOGIN,
        "editor": 403,
        "admin": 200,
        "staff_no_role": 403,
        "inactive": LOGIN,
    },
    # The audit trail and its CSV: Admin only (who did what to personal data).
    **{
        name: {
            "anonymous": LOGIN,
            "member": LOGIN,
            "editor": 403,
            "admin": 200,
            "staff_no_role": 403,
            "inactive": LOGIN,
        }
        for name in ("audit-trail", "audit-trail-csv")
    },
    # The field-work page of a poll: Admin only (members' addresses); its actions are POST only.
    **{
        name: {
            "anonymous": LOGIN,
            "member": LOGIN,
            "editor": 403,
            "admin": 200,
            "staff_no_role": 403,
            "inactive": LOGIN,
        }
        for name in ["field-page", "field-status"]
    },
    **{
        name: {role: 405 for role in ROLES}
        for name in [
            "field-invite",
            "field-remind",
            "field-send-again",
            "field-bounces",
            "field-plan",
        ]
    },
    # The poll's invitation e-mail: Editor and Admin; the test send is POST only.
    **{
        name: {
            "anonymous": LOGIN,
            "member": LOGIN,
            "editor": 200,
            "admin": 200,
            "staff_no_role": 403,
            "inactive": LOGIN,
        }
        for name in ["poll-email", "poll-email-preview"]
    },
    "poll-email-test": {role: 405 for role in ROLES},
    # Coding open answers: Editor and Admin; codes and assignments are POST only.
    "coding-polls": {
        "anonymous": LOGIN,
        "member": LOGIN,
        "editor": 200,
        "admin": 200,
        "staff_no_role": 403,
        "inactive": LOGIN,
    },
    "coding-home": {
        "anonymous": LOGIN,
        "member": LOGIN,
        "editor": 200,
        "admin": 200,
        "staff_no_role": 403,
        "inactive": LOGIN,
    },
    "coding-question": {
        "anonymous": LOGIN,
        "member": LOGIN,
        "editor": 200,
        "admin": 200,
        "staff_no_role": 403,
        "inactive": LOGIN,
    },
    "coding-add-code": {
        "anonymous": 405,
        "member": 405,
        "editor": 405,
        "admin": 405,
        "staff_no_role": 405,
        "inactive": 405,
    },
    "coding-assign": {
        "anonymous": 405,
        "member": 405,
        "editor": 405,
        "admin": 405,
        "staff_no_role": 405,
        "inactive": 405,
    },
    # The authoring studio: Editor and Admin; moves are POST only.
    **{
        name: {
            "anonymous": LOGIN,
            "member": LOGIN,
            "editor": 200,
            "admin": 200,
            "staff_no_role": 403,
            "inactive": LOGIN,
        }
        for name in [
            "studio-polls",
            "studio-poll-new",
            "studio-import",
            "studio-poll",
            "studio-poll-edit",
            "studio-poll-open",
            "studio-poll-close",
            "studio-section-new",
            "studio-section",
            "studio-section-delete",
            "studio-question-new",
            "studio-question",
            "studio-question-delete",
            "studio-preview",
            "studio-test",
            "studio-duplicate",
            "studio-wave-links",
            "studio-export",
        ]
    },
    "studio-section-move": {
        "anonymous": LOGIN,
        "member": LOGIN,
        "editor": 405,
        "admin": 405,
        "staff_no_role": 403,
        "inactive": LOGIN,
    },
    "studio-question-move": {
        "anonymous": LOGIN,
        "member": LOGIN,
        "editor": 405,
        "admin": 405,
        "staff_no_role": 403,
        "inactive": LOGIN,
    },
    # Composing result pages: Editor and Admin; changes are POST only.
    **{
        name: {
            "anonymous": LOGIN,
            "member": LOGIN,
            "editor": 200,
            "admin": 200,
            "staff_no_role": 403,
            "inactive": LOGIN,
        }
        for name in ["result-pages", "result-page-edit", "result-page-preview"]
    },
    **{
        name: {
            "anonymous": LOGIN,
            "member": LOGIN,
            "editor": 405,
            "admin": 405,
            "staff_no_role": 403,
            "inactive": LOGIN,
        }
        for name in [
            "result-page-block-add",
            "result-page-block-move",
            "result-page-block-delete",
            "result-page-publish",
            "result-page-unpublish",
            "result-page-schedule",
            "result-page-unschedule",
            "result-page-block-edit",
            "result-page-quote-add",
        ]
    },
    # Published result pages are public; the world's poll has none published: 404 for all.
    "result-page-public": {role: 404 for role in ROLES},
    "result-page-version": {role: 404 for role in ROLES},
    "result-page-json": {role: 404 for role in ROLES},
    "result-page-version-json": {role: 404 for role in ROLES},
    "result-page-embed": {role: 404 for role in ROLES},
    "result-page-version-embed": {role: 404 for role in ROLES},
    "result-page-chart-image": {role: 404 for role in ROLES},
    # Exports: the page and the codebook for Editor and Admin; the world's export job is
    # microdata (row-level: Admin only), still waiting, so its download is 404 even for Admin.
    **{
        name: {
            "anonymous": LOGIN,
            "member": LOGIN,
            "editor": 200,
            "admin": 200,
            "staff_no_role": 403,
            "inactive": LOGIN,
        }
        for name in ["poll-exports", "poll-codebook"]
    },
    "export-job": {
        "anonymous": LOGIN,
        "member": LOGIN,
        "editor": 403,
        "admin": 200,
        "staff_no_role": 403,
        "inactive": LOGIN,
    },
    "export-download": {
        "anonymous": LOGIN,
        "member": LOGIN,
        "editor": 403,
        "admin": 404,
        "staff_no_role": 403,
        "inactive": LOGIN,
    },
    # The API (DRF, session login): Editor or Admin; others get 403, not a login redirect.
    "api-poll-results": {
        "anonymous": 403,
        "member": 403,
        "editor": 200,
        "admin": 200,
        "staff_no_role": 403,
        "inactive": 403,
    },
    "api-schema": {
        "anonymous": 403,
        "member": 403,
        "editor": 200,
        "admin": 200,
        "staff_no_role": 403,
        "inactive": 403,
    },
}

# URLs whose <pk> is the primary key of one of the world's objects.
PK_OF = {
    "register-detail": "register",
    "sample-new": "register",
    "import-job": "import_job",
    "export-job": "export_job",
    "export-download": "export_job",
    "sample-detail": "draw",
    "sample-csv": "draw",
    **{name: "member" for name in ("member-detail", "member-erase", "member-data")},
    "member-data-json": "member",
    "register-members": "register",
    **{f"studio-section{end}": "section" for end in ("", "-move", "-delete")},
    **{f"coding-{end}": "text_question" for end in ("question", "add-code", "assign")},
    **{f"studio-question{end}": "question" for end in ("", "-move", "-delete")},
    **{
        f"result-page{end}": "result_page"
        for end in (
            "-edit",
            "-preview",
            "-block-add",
            "-block-move",
            "-block-delete",
            "-publish",
            "-unpublish",
            "-schedule",
            "-unschedule",
            "-block-edit",
            "-quote-add",
        )
    },
}


def walk(resolver=None, prefix="", namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name or ''}", prefix + str(entry.pattern)


def concrete(route: str, values: dict) -> str:
    route = route.lstrip("^").rstrip("$").replace("\\Z", "").replace("\\/", "/")

    def fill(match):
        name = match.group("name")
        return str(values.get(name, "1"))

    route = re.sub(r"<(?:\w+:)?(?P<name>\w+)>", fill, route)
    route = re.sub(r"\(\?P<(?P<name>\w+)>[^)]*\)", fill, route)
    return "/" + route


@pytest.fixture
def world(db):
    poll = PollFactory(slug="verklighet")
    question = single_choice_question(poll)
    invitation, token = invitation_with_token(poll)
    draw = invitation.sample_member.draw
    return {
        "objects": {
            "register": draw.register,
            "draw": draw,
            "member": invitation.sample_member.member,
            "import_job": ImportJob.objects.create(register_name="R", filename="r.csv", data=b""),
            "question": question,
            "text_question": QuestionFactory(poll=poll, kind="text"),
            "section": SectionFactory(poll=poll),
            "result_page": ResultPage.objects.create(poll=poll, slug="sidan", title="Sidan"),
            "export_job": ExportJob.objects.create(poll=poll, kind="microdata", format="sav"),
        },
        "values": {"slug": poll.slug, "token": token, "object_id": poll.pk, "app_label": "polls"},
        "invitation": invitation,
        "users": {
            "editor": staff_user("Editor"),
            "admin": staff_user("Admin"),
            "staff_no_role": UserFactory(is_staff=True),
            "inactive": staff_user("Editor", is_active=False),
        },
    }


def client_for(role, client, world):
    if role in world["users"]:
        client.force_login(world["users"][role])
    return client


def url_for(name, route, role, world):
    values = dict(world["values"])
    if name in ("answer", "answer-draft") and role != "member":
        values["token"] = "forged-token-1234567890"
    if name in PK_OF:
        values["pk"] = values["question_id"] = world["objects"][PK_OF[name]].pk
    return concrete(route, values)


def test_every_url_has_a_stated_permission():
    unlisted = [name for name, _route in walk() if not name.startswith("admin:")]
    missing = [name for name in unlisted if name not in EXPECTED]
    assert not missing, f"State who may open: {missing}"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_map_says(role, client, world):
    checked = 0
    for name, route in walk():
        if name.startswith("admin:"):
            continue
        # The member's visit marks the invitation started; each visit must see it unanswered.
        Invitation.objects.filter(pk=world["invitation"].pk).update(status="sent")
        url = url_for(name, route, role, world)
        response = client_for(role, client, world).get(url)
        expected = EXPECTED[name][role]
        if expected == LOGIN:
            assert response.status_code == 302, (name, url)
            assert response["Location"].startswith("/accounts/login/"), (name, url)
        else:
            assert response.status_code == expected, (name, url, role)
        checked += 1
    assert checked == len(EXPECTED)


@pytest.mark.parametrize("role", ROLES)
def test_the_django_admin_is_for_staff_only(role, client, world):
    for name, route in walk():
        if not name.startswith("admin:"):
            continue
        url = concrete(route, world["values"])
        response = client_for(role, client, world).get(url)
        assert response.status_code != 500, url
        if name == "admin:login":
            assert response.status_code in (200, 302), url
        elif role in ("anonymous", "member"):
            assert response.status_code in (302, 404), url
            if response.status_code == 302:
                assert "/admin/login/" in response["Location"] or name == "admin:logout", url


def test_a_logged_in_non_staff_user_is_refused_the_staff_pages(client, world):
    client.force_login(UserFactory(is_staff=False))
    assert client.get("/staff/").status_code == 403
    assert client.get("/staff/polls/verklighet/results/").status_code == 403


def test_a_staff_user_without_a_role_is_refused_the_dashboard(client, world):
    # The dashboard let any is_staff user in while the API refused them (issue 8).
    client.force_login(world["users"]["staff_no_role"])
    assert client.get("/staff/").status_code == 403
    assert client.get("/staff/polls/verklighet/results/").status_code == 403
    assert client.get("/api/v1/polls/verklighet/results/").status_code == 403


def test_an_inactive_editor_is_sent_to_the_login_page(client, world):
    client.force_login(world["users"]["inactive"])
    response = client.get("/staff/studio/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", ["editor", "staff_no_role"])
def test_the_django_admin_refuses_editors_and_staff_without_a_role(role, client, world):
    client.force_login(world["users"][role])
    for name, route in walk():
        if not name.startswith("admin:") or name in ("admin:login", "admin:logout"):
            continue
        url = concrete(route, world["values"])
        assert client.get(url).status_code in (403, 404), url
    assert client.get("/admin/").status_code == 403


@pytest.mark.parametrize("role", ["admin", "superuser"])
def test_the_django_admin_is_for_superusers_and_the_admin_role(role, client, world):
    user = UserFactory(is_staff=True, is_superuser=True) if role == "superuser" else None
    client.force_login(user or world["users"][role])
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/respondents/register/").status_code == 200


def test_editors_cannot_change_the_member_register_in_the_admin(client, world):
    client.force_login(world["users"]["editor"])
    assert client.get("/admin/respondents/member/").status_code == 403
    client.force_login(world["users"]["admin"])
    assert client.get("/admin/respondents/member/").status_code == 200


def test_the_menu_offers_registers_to_admins_only(client, world):
    client.force_login(world["users"]["editor"])
    assert "/staff/registers/" not in client.get("/staff/").content.decode()
    client.force_login(world["users"]["admin"])
    assert "/staff/registers/" in client.get("/staff/").content.decode()
