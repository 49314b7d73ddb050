"""An admin finds a member from the register page and erases their personal data, confirming
with the membership number, on a phone and on a desktop."""

import os

import pytest
from playwright.sync_api import expect

from respondents.models import Member
from staff.models import AuditEntry
from tests.e2e.axe import assert_accessible
from tests.factories import (
    MemberFactory,
    RegisterFactory,
    SampleDrawFactory,
    SampleMemberFactory,
    staff_user,
)

# A folder to save screenshots of each step in (to look at the pages), or empty.
SCREENSHOTS = os.environ.get("PRIVACY_SCREENSHOTS", "")


def shot(page, name, width):
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/{name}-{width}.png", full_page=True)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [390, 1280])
def test_an_admin_erases_a_member_after_typing_the_number(live_server, browser_page_factory, width):
    register = RegisterFactory(name="Socionomer 2026")
    draw = SampleDrawFactory(register=register, name="Urval sept")
    member = MemberFactory(register=register, number="SSR-480017", email="karin.lund@example.org")
    SampleMemberFactory(draw=draw, member=member, stratum="Skåne")
    MemberFactory(register=register, number="SSR-480018")
    staff_user("Admin", username="admin", password="medlemsrost-test-1")

    page = browser_page_factory(width=width, height=900)
    page.goto(f"{live_server.url}/staff/registers/{register.pk}/")
    page.get_by_label("Användarnamn").fill("admin")
    page.get_by_label("Lösenord").fill("medlemsrost-test-1")
    page.get_by_role("button", name="Logga in").click()

    page.get_by_label("Medlemsnummer eller e-postadress").fill("karin.lund@example.org")
    page.get_by_role("button", name="Sök").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Medlem SSR-480017")
    expect(page.locator("#member-status")).to_have_text("aktiv")
    shot(page, "member", width)
    assert_accessible(page)

    # What she may ask for first (Art. 15): everything held, and that her answers are anonymous.
    page.get_by_role("link", name="Visa allt som finns").click()
    expect(page.locator("#anonymity-statement")).to_contain_text("kan inte kopplas tillbaka")
    expect(page.get_by_text("Urval sept").first).to_be_visible()
    shot(page, "data", width)
    assert_accessible(page)
    page.go_back()

    page.get_by_role("link", name="Radera personuppgifter").click()
    expect(page.get_by_text("Det går inte att ångra.")).to_be_visible()
    page.get_by_label("Skriv medlemsnumret för att bekräfta").fill("SSR-480018")
    page.get_by_role("button", name="Radera personuppgifter").click()
    expect(page.get_by_text("Det är inte medlemmens medlemsnummer")).to_be_visible()
    shot(page, "erase-refused", width)
    assert_accessible(page)
    assert Member.objects.get(pk=member.pk).status == Member.Status.ACTIVE

    page.get_by_label("Skriv medlemsnumret för att bekräfta").fill("SSR-480017")
    page.get_by_role("button", name="Radera personuppgifter").click()
    expect(page.get_by_text("Medlemmens personuppgifter raderades.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Socionomer 2026")
    shot(page, "erased", width)

    erased = Member.objects.get(pk=member.pk)
    assert erased.status == Member.Status.ERASED and erased.email == ""
    assert AuditEntry.objects.filter(action="member.erase", details__member=member.pk).exists()

    # The same search finds nobody now.
    page.get_by_label("Medlemsnummer eller e-postadress").fill("SSR-480017")
    page.get_by_role("button", name="Sök").click()
    expect(page.get_by_text("Ingen medlem i det här registret")).to_be_visible()
