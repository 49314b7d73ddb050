"""Every URL in the URL map, opened by each role: anonymous, member (with a token), editor, admin.

A new URL without an entry in EXPECTED fails `test_every_url_has_a_stated_permission`, so each
later page must say who may see it.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from polls.models import Invitation
from respondents.models import ImportJob
from tests.factories import (
    PollFactory,
    QuestionFactory,
    SectionFactory,
    UserFactory,
    invitation_with_token,
    single_choice_question,
    staff_user,
)

ROLES = ["anonymous", "member", "editor", "admin"]
LOGIN = "login"

# name -> expected status per role (a redirect to the login page is written "login").
EXPECTED = {
    "home": {"anonymous": 302, "member": 302, "editor": 302, "admin": 302},
    "answer": {"anonymous": 404, "member": 200, "editor": 404, "admin": 404},
    # The world's poll has no open link: its /p/<slug>/ is the 404 page for everyone.
    "open-answer": {"anonymous": 404, "member": 404, "editor": 404, "admin": 404},
    "staff-home": {"anonymous": LOGIN, "member": LOGIN, "editor": 200, "admin": 200},
    "poll-results": {"anonymous": LOGIN, "member": LOGIN, "editor": 200, "admin": 200},
    "login": {"anonymous": 200, "member": 200, "editor": 200, "admin": 200},
    "logout": {"anonymous": 405, "member": 405, "editor": 405, "admin": 405},
    "set_language": {"anonymous": 302, "member": 302, "editor": 302, "admin": 302},
    # Registers and samples hold personal data: the Admin role only.
    "register-list": {"anonymous": LOGIN, "member": LOGIN, "editor": 403, "admin": 200},
    "register-detail": {"anonymous": LOGIN, "member": LOGIN, "editor": 403, "admin": 200},
    "sample-new": {"anonymous": LOGIN, "member": LOGIN, "editor": 403, "admin": 200},
    "import-job": {"anonymous": LOGIN, "member": LOGIN, "editor": 403, "admin": 200},
    "sample-detail": {"anonymous": LOGIN, "member": LOGIN, "editor": 403, "admin": 200},
    "sample-csv": {"anonymous": LOGIN, "member": LOGIN, "editor": 403, "admin": 200},
    # Coding open answers: Editor and Admin; codes and assignments are POST only.
    "coding-home": {"anonymous": LOGIN, "member": LOGIN, "editor": 200, "admin": 200},
    "coding-question": {"anonymous": LOGIN, "member": LOGIN, "editor": 200, "admin": 200},
    "coding-add-code": {"anonymous": 405, "member": 405, "editor": 405, "admin": 405},
    "coding-assign": {"anonymous": 405, "member": 405, "editor": 405, "admin": 405},
    # The authoring studio: Editor and Admin; moves are POST only.
    **{
        name: {"anonymous": LOGIN, "member": LOGIN, "editor": 200, "admin": 200}
        for name in [
            "studio-polls",
            "studio-poll-new",
            "studio-import",
            "studio-poll",
            "studio-poll-edit",
            "studio-section-new",
            "studio-section",
            "studio-section-delete",
            "studio-question-new",
            "studio-question",
            "studio-question-delete",
            "studio-preview",
            "studio-test",
            "studio-duplicate",
            "studio-export",
        ]
    },
    "studio-section-move": {"anonymous": LOGIN, "member": LOGIN, "editor": 405, "admin": 405},
    "studio-question-move": {"anonymous": LOGIN, "member": LOGIN, "editor": 405, "admin": 405},
    # The API (DRF, session login): Editor or Admin; others get 403, not a login redirect.
    "api-poll-results": {"anonymous": 403, "member": 403, "editor": 200, "admin": 200},
    "api-schema": {"anonymous": 403, "member": 403, "editor": 200, "admin": 200},
}

# URLs whose <pk> is the primary key of one of the world's objects.
PK_OF = {
    "register-detail": "register",
    "sample-new": "register",
    "import-job": "import_job",
    "sample-detail": "draw",
    "sample-csv": "draw",
    **{f"studio-section{end}": "section" for end in ("", "-move", "-delete")},
    **{f"coding-{end}": "text_question" for end in ("question", "add-code", "assign")},
    **{f"studio-question{end}": "question" for end in ("", "-move", "-delete")},
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
            "import_job": ImportJob.objects.create(register_name="R", filename="r.csv", data=b""),
            "question": question,
            "text_question": QuestionFactory(poll=poll, kind="text"),
            "section": SectionFactory(poll=poll),
        },
        "values": {"slug": poll.slug, "token": token, "object_id": poll.pk, "app_label": "polls"},
        "invitation": invitation,
        "users": {
            "editor": staff_user("Editor"),
            "admin": staff_user("Admin"),
        },
    }


def client_for(role, client, world):
    if role in world["users"]:
        client.force_login(world["users"][role])
    return client


def url_for(name, route, role, world):
    values = dict(world["values"])
    if name == "answer" and role != "member":
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
