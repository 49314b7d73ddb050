"""An editor leaves "Vet ej" out of one question's base from the dashboard, in a real browser."""

import pytest

from tests.factories import staff_user
from tests.test_weighted_results import seeded_poll


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [390, 1280])
def test_an_editor_sets_dont_know_per_question_and_sees_every_pair(
    live_server, browser_page_factory, width
):
    seeded = seeded_poll()
    staff_user("Editor", username="redaktor", password="medlemsrost-test-1")
    page = browser_page_factory(width=width, height=900)
    page.goto(f"{live_server.url}/staff/polls/{seeded.poll.slug}/results/?by=sektor")
    page.get_by_label("Användarnamn").fill("redaktor")
    page.get_by_label("Lösenord").fill("medlemsrost-test-1")
    page.get_by_role("button", name="Logga in").click()
    page.get_by_text("Analysval", exact=True).click()
    page.get_by_label("”Vet ej” i enig", exact=False).select_option("exclude")
    page.locator("#analysis-settings").screenshot(path=f"/tmp/shots/analysis-form-{width}.png")
    page.get_by_role("button", name="Spara analysvalen").click()
    page.get_by_text("Analysvalen är sparade.").wait_for()
    base = page.locator(".base-text").first
    assert "lämnas utanför basen" in base.inner_text()
    page.goto(f"{live_server.url}/staff/polls/{seeded.poll.slug}/results/?by=sektor")
    page.get_by_text("Alla par av grupper").first.click()
    assert page.get_by_text("Skillnaden är statistiskt säkerställd").first.is_visible()
    page.screenshot(path=f"/tmp/shots/analysis-dashboard-{width}.png", full_page=False)
    page.locator(".pairs").first.scroll_into_view_if_needed()
    page.screenshot(path=f"/tmp/shots/analysis-pairs-{width}.png")
