"""An Admin's first login with two-factor required, on a phone: held on the set-up page, the
secret typed into an "app" (computed here), the first code confirms it; the next login asks for
a code. Both pages pass axe-core."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.e2e.axe import assert_no_violations
from tests.factories import staff_user
from tests.test_two_factor import code_from, wrong_code

PASSWORD = "medlemsrost-tva-steg-12"


def log_in(page, site):
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Användarnamn").fill("chef")
    page.get_by_label("Lösenord").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Logga in").click()


@pytest.mark.django_db(transaction=True)
def test_an_admin_sets_up_two_factor_and_logs_in_with_a_code(
    live_server, browser_page, two_factor_required
):
    staff_user("Admin", username="chef", password=PASSWORD)
    page = browser_page
    site = live_server.url

    log_in(page, site)
    assert "/staff/account/two-factor/" in page.url
    assert page.get_by_text("Din roll kräver tvåstegsverifiering.").is_visible()
    page.get_by_role("button", name="Slå på tvåstegsverifiering").click()
    qr = page.get_by_role("img", name="QR-kod för din autentiseringsapp")
    assert qr.is_visible()
    assert qr.evaluate("img => img.naturalWidth") > 0  # the SVG data URI draws
    assert_no_violations(page)
    page.screenshot(path="/tmp/otp-setup-390.png", full_page=True)

    secret = page.locator("#two-factor-secret").inner_text()
    page.get_by_label("Kod från appen").fill(wrong_code(secret))
    page.get_by_role("button", name="Bekräfta och slå på").click()
    assert page.get_by_text("Koden stämmer inte").is_visible()
    # django-otp locks the device for a second after a wrong code.
    page.wait_for_timeout(1100)
    page.get_by_label("Kod från appen").fill(code_from(secret))
    with page.expect_navigation():
        page.get_by_role("button", name="Bekräfta och slå på").click()
    assert page.url.rstrip("/").endswith("/staff")
    assert page.get_by_text("Tvåstegsverifiering är på").is_visible()
    assert TOTPDevice.objects.get(user__username="chef").confirmed

    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url("**/accounts/login/")
    log_in(page, site)
    assert "/accounts/login/code/" in page.url
    assert page.get_by_role("heading", name="Ange din kod").is_visible()
    assert page.locator(".site-nav").count() == 0  # no menu before the code
    assert_no_violations(page)
    page.screenshot(path="/tmp/otp-code-390.png", full_page=True)
    page.get_by_label("Kod från appen").fill(code_from(secret, step=1))
    with page.expect_navigation():
        page.get_by_role("button", name="Verifiera och logga in").click()
    assert page.url.rstrip("/").endswith("/staff")
    page.get_by_role("link", name="Tvåstegsverifiering").click()
    assert page.get_by_text("Tvåstegsverifiering är på sedan").is_visible()
    page.screenshot(path="/tmp/otp-on-390.png", full_page=True)
