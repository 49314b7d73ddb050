"""axe-core on every staff page, at phone (390 px) and desktop (1280 px) width, logged in as an
Admin: not one violation of any impact (issue 13). Also the styled 403 and 404 pages."""

import pytest

from polls.models import Question
from tests.e2e.axe import axe_violations, describe
from tests.factories import (
    MemberFactory,
    PollFactory,
    RegisterFactory,
    ResponseFactory,
    SampleDrawFactory,
    question_with_options,
    staff_user,
)

PASSWORD = "medlemsrost-axe-13"


def log_in(page, site, username):
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Logga in").click()


@pytest.fixture
def world(db):
    register = RegisterFactory(name="Socionomer 2026", variables=["region", "sektor"])
    for _n in range(12):
        MemberFactory(register=register, attributes={"region": "Skåne", "sektor": "Kommun"})
    draw = SampleDrawFactory(register=register, name="Urval 1", target_size=5, frame_size=12)
    poll = PollFactory(slug="arbetsmiljo", register=register, reporting_variables=["sektor"])
    question = question_with_options(
        poll, Question.Kind.SINGLE, [("ja", "Ja", "Yes"), ("nej", "Nej", "No")], code="trivs"
    )
    question_with_options(poll, Question.Kind.TEXT, [], code="varfor")
    ResponseFactory(poll=poll)
    return {"register": register, "draw": draw, "poll": poll, "question": question}


def pages(world):
    poll, register, draw = world["poll"], world["register"], world["draw"]
    member = register.members.order_by("pk").first()
    return {
        "staff home": "/staff/",
        "studio list": "/staff/studio/",
        "poll in the studio": f"/staff/studio/{poll.slug}/",
        "poll settings": f"/staff/studio/{poll.slug}/edit/",
        "question": f"/staff/studio/{poll.slug}/questions/{world['question'].pk}/",
        "registers": "/staff/registers/",
        "register": f"/staff/registers/{register.pk}/",
        "sample planner": f"/staff/registers/{register.pk}/samples/new/",
        "sample": f"/staff/samples/{draw.pk}/",
        "member lookup": f"/staff/registers/{register.pk}/members/",
        "member": f"/staff/members/{member.pk}/",
        "member erasure": f"/staff/members/{member.pk}/erase/",
        "everything held about a member": f"/staff/members/{member.pk}/data/",
        "coding": "/staff/coding/",
        "coding of a poll": f"/staff/polls/{poll.slug}/coding/",
        "audit trail": "/staff/audit/",
        "two-factor": "/staff/account/two-factor/",
        "404": "/staff/studio/no-such-poll/",
    }


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.django_db(transaction=True)
def test_every_staff_page_has_no_axe_violation(live_server, browser_page_factory, world, width):
    staff_user("Admin", username="axe-admin", password=PASSWORD)
    page = browser_page_factory(width=width, height=900)
    log_in(page, live_server.url, "axe-admin")
    problems = []
    for name, path in pages(world).items():
        response = page.goto(live_server.url + path)
        assert response.status == (404 if name == "404" else 200), (name, response.status)
        assert page.locator("main h1").count() == 1, name
        violations = axe_violations(page)
        if violations:
            problems.append(f"{name} ({path}):\n{describe(violations)}")
    # The 403 page, for a staff user without a role.
    user = staff_user("Editor", username="axe-norole", password=PASSWORD)
    user.groups.clear()
    other = browser_page_factory(width=width, height=900)
    log_in(other, live_server.url, "axe-norole")
    response = other.goto(f"{live_server.url}/staff/studio/")
    assert response.status == 403
    violations = axe_violations(other)
    if violations:
        problems.append(f"403:\n{describe(violations)}")
    assert not problems, "\n\n".join(problems)
