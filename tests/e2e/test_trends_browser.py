"""An editor opens the trends of a poll on a phone and on a desktop: the chart is drawn, the
table and the flags read, and nothing breaks the Content Security Policy."""

import pytest
from playwright.sync_api import expect

from results.models import ResultBlock, ResultPage
from results.publishing import page_publish
from tests.e2e.axe import assert_accessible
from tests.factories import staff_user
from tests.test_trends_reference import three_waves


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [390, 1280])
def test_the_trends_page_draws_its_chart_on_a_phone_and_a_desktop(
    width, live_server, browser_page_factory
):
    latest = three_waves()
    staff_user("Editor", username="redaktor", password="medlemsrost-test-1")
    page = browser_page_factory(width=width, height=900)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/staff/polls/{latest.poll.slug}/trends/")
    page.get_by_label("Användarnamn").fill("redaktor")
    page.get_by_label("Lösenord").fill("medlemsrost-test-1")
    page.get_by_role("button", name="Logga in").click()
    page.locator(".chart .main-svg").first.wait_for()
    # Four answers, "Vet ej" hidden until the editor picks it in the legend.
    assert page.locator(".chart .scatterlayer .trace").count() == 3
    assert_accessible(page)
    page.locator(".legend .traces", has_text="Vet ej").click()
    expect(page.locator(".chart .scatterlayer .trace")).to_have_count(4)
    assert page.get_by_text("förändringen är större än felmarginalen").count() >= 1
    table = page.locator("table.trend-table")
    assert "2026" in table.inner_text()
    # The page is no wider than the screen (the table scrolls in its own region).
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
    assert not errors, errors
    page.mouse.move(0, 0)
    page.screenshot(path=f"/tmp/shots/trends-dashboard-{width}.png", full_page=True)

    # The same trend as a block of a published result page, for the public.
    result_page = ResultPage.objects.create(
        poll=latest.poll, slug="arbetsmiljon", title="Arbetsmiljön"
    )
    ResultBlock.objects.create(page=result_page, kind="trend", question=latest)
    page_publish(page=result_page)
    page.goto(f"{live_server.url}/r/arbetsmiljon/")
    page.locator(".trend-block .chart .main-svg").first.wait_for()
    assert page.get_by_text("förändringen är större än felmarginalen").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
    assert not errors, errors
    page.screenshot(path=f"/tmp/shots/trends-public-{width}.png", full_page=True)
