"""An editor words the invitation e-mail in the browser, previews it and sends a test to their
own address."""

import os

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import assert_accessible
from tests.factories import PollFactory, staff_user

SCREENSHOTS = os.environ.get("FIELD_PAGE_SCREENSHOTS", "")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [390, 1280])
def test_an_editor_words_previews_and_test_sends_the_email(
    live_server, browser_page_factory, mailoutbox, width
):
    PollFactory(slug="arbetsmiljo", title_sv="Arbetsmiljön 2026", organisation="Vision")
    staff_user("Editor", username="redaktor", password="medlemsrost-test-1", email="r@example.org")
    page = browser_page_factory(width=width, height=900)
    page.goto(f"{live_server.url}/staff/polls/arbetsmiljo/email/")
    page.get_by_label("Användarnamn").fill("redaktor")
    page.get_by_label("Lösenord").fill("medlemsrost-test-1")
    page.get_by_role("button", name="Logga in").click()

    page.get_by_label("Ämnesrad (svenska)").fill("{union} undrar: {title}")
    page.get_by_label("Text (svenska)").fill("Hej!\n\nSvara här:\n{link}\n\nSista dag {closes}.")
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/field-email-edit-{width}.png", full_page=True)
    page.get_by_role("button", name="Spara och förhandsgranska").click()
    expect(page.get_by_role("status")).to_contain_text("Mejlet sparades")
    expect(page.locator("#preview-invitation .email-subject")).to_have_text(
        "Vision undrar: Arbetsmiljön 2026"
    )
    expect(page.locator("#preview-reminder .email-subject")).to_have_text(
        "Påminnelse: Vision undrar: Arbetsmiljön 2026"
    )
    assert_accessible(page)
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/field-email-preview-{width}.png", full_page=True)

    page.get_by_role("button", name="Skicka ett prov till mig").click()
    expect(page.get_by_role("status")).to_contain_text("Ett provmejl skickades till r@example.org")
    assert [m.to for m in mailoutbox] == [["r@example.org"]]
    assert mailoutbox[0].subject == "[Prov] Vision undrar: Arbetsmiljön 2026"
