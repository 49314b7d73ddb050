"""An admin reads the audit trail in Chromium at phone (390 px) and desktop (1280 px) width:
opens it from the menu, narrows it by action (htmx refreshes the table and the address),
downloads the CSV, and the page has no axe-core violation of any impact."""

from pathlib import Path

import pytest

from staff.audit import record
from tests.e2e.axe import assert_no_violations
from tests.factories import staff_user

PASSWORD = "medlemsrost-audit-12"


@pytest.fixture(autouse=True)
def _cast_without_role_entries(monkeypatch):
    """The staff accounts the story starts with are made without `role.change` entries (those
    are tests/test_two_factor.py's story), so the trail holds only what the story does."""
    monkeypatch.setattr("staff.signals.record", lambda *args, **kwargs: None)


def log_in(page, site, username):
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Logga in").click()


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.django_db(transaction=True)
def test_an_admin_filters_the_trail_and_downloads_it(live_server, browser_page_factory, width):
    admin = staff_user("Admin", username="revisor", password=PASSWORD)
    record(admin, "members.import", "Socionomer 2026", job=1, filename="medlemmar.csv")
    record(admin, "sample.draw", "Socionomer 2026: Urval 1", size=600, seed=7, strata=["region"])
    record("beat", "page.publish", "arbetsmiljo-2026-resultat-med-ett-langt-namn", version=2)
    page = browser_page_factory(width=width, height=900)
    log_in(page, live_server.url, "revisor")

    page.get_by_role("navigation", name="Huvudmeny").get_by_role(
        "link", name="Granskningslogg"
    ).click()
    page.wait_for_url("**/staff/audit/")
    assert page.locator("main h1").inner_text() == "Granskningslogg"
    rows = page.locator("#audit-results tbody tr")
    assert rows.count() == 3
    assert "Resultatsida publicerad" in rows.nth(0).inner_text()
    assert "Medlemsregister importerat" in rows.nth(2).inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_no_violations(page)

    # Choosing an action refreshes the table in place (htmx) and the address says what is shown.
    page.evaluate("window.notReloaded = true")
    page.get_by_label("Åtgärd").select_option(label="Urval draget")
    page.wait_for_url("**action=sample.draw**")
    page.wait_for_function("document.querySelectorAll('#audit-results tbody tr').length === 1")
    assert page.evaluate("window.notReloaded") is True
    row = rows.nth(0).inner_text()
    assert "Urval draget" in row and "urvalsstorlek" in row and "600" in row
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_no_violations(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Ladda ned som CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("granskningslogg-")
    lines = Path(download.path()).read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 2 and "sample.draw" in lines[1]

    # The download is in the trail: shown when the filters are cleared.
    page.get_by_role("link", name="Rensa filtren").click()
    page.wait_for_url("**/staff/audit/")
    assert "Granskningsloggen nedladdad" in rows.nth(0).inner_text()
    assert_no_violations(page)

    # Typing a name narrows the table as well, without a button.
    page.get_by_label("Vem").press_sequentially("bea")
    page.wait_for_url("**who=bea**")
    page.wait_for_function("document.querySelectorAll('#audit-results tbody tr').length === 1")
    assert "beat" in rows.nth(0).inner_text()
