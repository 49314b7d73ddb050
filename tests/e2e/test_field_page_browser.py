"""An admin starts the field period in the browser and watches the field page fill by itself."""

import os
import re

import pytest
from playwright.sync_api import expect

from polls.models import Invitation
from tests.e2e.axe import assert_accessible
from tests.factories import (
    MemberFactory,
    PollFactory,
    RegisterFactory,
    ResponseFactory,
    SampleDrawFactory,
    SampleMemberFactory,
    staff_user,
)

SCREENSHOTS = os.environ.get("FIELD_PAGE_SCREENSHOTS", "")


def log_in(page, url):
    page.goto(url)
    page.get_by_label("Användarnamn").fill("admin")
    page.get_by_label("Lösenord").fill("medlemsrost-test-1")
    page.get_by_role("button", name="Logga in").click()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [390, 1280])
def test_an_admin_invites_a_sample_and_watches_the_page_fill(
    live_server, browser_page_factory, mailoutbox, width
):
    register = RegisterFactory(name="Socionomer 2026")
    poll = PollFactory(slug="enkat", register=register)
    draw = SampleDrawFactory(register=register, name="Urval sept", target_size=5)
    for n in range(5):
        SampleMemberFactory(
            draw=draw,
            stratum="Kommun" if n < 3 else "Region",
            member=MemberFactory(
                register=register, email="" if n == 4 else f"medlem.nummer{n}@example.org"
            ),
        )
    staff_user("Admin", username="admin", password="medlemsrost-test-1")

    page = browser_page_factory(width=width, height=900)
    log_in(page, f"{live_server.url}/staff/polls/enkat/field/")
    expect(page.locator("#field-register")).to_have_text("Socionomer 2026")
    expect(page.locator("#plan-next")).to_contain_text("Inget mer är planerat")

    # A plan for later: the page says what happens next and when.
    plan = page.locator("#plan-form")
    plan.get_by_label("Urval sept").check()
    plan.get_by_label("Inbjudningarna går ut").fill("2030-03-02T09:00")
    plan.get_by_label("Påminnelser dag").fill("3, 6")
    plan.get_by_label("E-postmeddelanden per minut").fill("500")
    plan.get_by_role("button", name="Spara planen").click()
    expect(page.get_by_role("status")).to_contain_text("Fältplanen sparades")
    expect(page.locator("#plan-next")).to_contain_text(
        re.compile("inbjudningarna går ut den 2 mar 2030 09:00", re.IGNORECASE)
    )
    expect(page.locator(".plan-steps li")).to_have_count(4)  # invitations, 2 reminders, closing

    # Sending now instead: the plan's reminders then count from now.
    page.locator("#invite-form").get_by_label("Urval sept").check()
    page.get_by_role("button", name="Skicka inbjudningar").click()
    expect(page.get_by_role("status")).to_contain_text("4 nya inbjudningar")
    expect(page.locator("#unreachable")).to_contain_text("1 urvalsmedlem kan inte nås")
    assert len(mailoutbox) == 4
    expect(page.locator("#plan-next")).to_contain_text(
        "påminnelse 1 går till dem som inte har svarat"
    )
    page.evaluate("window.loadedOnce = true")  # gone if the page were reloaded

    # A failed send and a response arrive: the page shows them without a reload.
    failed = Invitation.objects.filter(poll=poll).order_by("id").first()
    Invitation.objects.filter(pk=failed.pk).update(
        status=Invitation.Status.FAILED, error="550 5.1.1 Mailbox unavailable"
    )
    Invitation.objects.filter(poll=poll).exclude(pk=failed.pk).filter(
        sample_member__stratum="Kommun"
    ).update(status=Invitation.Status.COMPLETED)
    ResponseFactory(poll=poll)
    ResponseFactory(poll=poll)
    expect(page.locator("#failed")).to_contain_text("550 5.1.1 Mailbox unavailable", timeout=20_000)
    expect(page.locator("#per-day")).to_be_visible()
    assert page.evaluate("window.loadedOnce") is True
    assert_accessible(page)
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"the page is {overflow} px wide at {width} px"
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/field-{width}.png", full_page=True)

    page.get_by_role("button", name="Skicka igen till medlem.nummer0@example.org").click()
    expect(page.get_by_role("status")).to_contain_text("1 e-postmeddelanden köades igen")
    assert len(mailoutbox) == 5
    expect(page.locator("#failed")).to_have_count(0)
