"""An editor keeps the dashboard open while answers arrive: it updates without a reload."""

import pytest
from playwright.sync_api import expect

from polls.answering.responses import response_submit
from respondents.models import Member
from tests.e2e.axe import assert_accessible, assert_no_violations
from tests.factories import (
    PollFactory,
    RegisterFactory,
    invitation_with_token,
    single_choice_question,
    staff_user,
)


@pytest.mark.django_db(transaction=True)
def test_the_dashboard_updates_itself_when_an_answer_arrives(live_server, browser_page_factory):
    register = RegisterFactory()
    Member.objects.bulk_create(
        Member(register=register, number=f"M{n}", email=f"m{n}@example.org") for n in range(100)
    )
    poll = PollFactory(register=register, slug="kvalitet", reporting_variables=["sektor"])
    question = single_choice_question(poll, labels=("Ja", "Nej"))
    yes = question.options.order_by("order").first()
    for _ in range(3):
        invitation, _token = invitation_with_token(poll, attributes={"sektor": "Kommun"})
        response_submit(invitation=invitation, choices={question.pk: yes.pk})

    staff_user("Editor", username="redaktor", password="medlemsrost-test-1")
    page = browser_page_factory(width=1280, height=900)
    page.goto(f"{live_server.url}/staff/polls/kvalitet/results/")
    page.get_by_label("Användarnamn").fill("redaktor")
    page.get_by_label("Lösenord").fill("medlemsrost-test-1")
    page.get_by_role("button", name="Logga in").click()
    page.locator(".chart .main-svg").first.wait_for()
    assert page.locator("#n-responses").inner_text() == "3"
    assert_accessible(page)
    assert_no_violations(page)
    page.evaluate("window.loadedOnce = true")  # gone if the page were reloaded

    invitation, _token = invitation_with_token(poll, attributes={"sektor": "Region"})
    response_submit(invitation=invitation, choices={question.pk: yes.pk})
    # Polled from Python: a string predicate would be eval'd in the page, which the CSP refuses.
    expect(page.locator("#n-responses")).to_have_text("4", timeout=20_000)
    assert page.evaluate("window.loadedOnce") is True
    page.locator(".chart .main-svg").first.wait_for()  # the chart is drawn again after the swap

    # Choosing a breakdown swaps in the groups without a reload either.
    page.get_by_label("Nedbrytning").select_option("sektor")
    page.get_by_text("Efter sektor").wait_for()
    assert page.evaluate("window.loadedOnce") is True
    page.wait_for_url("**by=sektor**")  # the choice is kept in the address


LONG_OPTIONS = (
    "Mycket verklighetsförankrade",
    "Ganska verklighetsförankrade",
    "Inte så verklighetsförankrade",
    "Inte alls verklighetsförankrade",
    "Vet ej",
)
REGIONS = ("Kronoberg", "Norrbotten", "Skåne", "Stockholm", "Västra Götaland", "Östergötland")

# Elements wider than the box they sit in: a table that scrolls out of view.
OVERFLOWING = """() => [...document.querySelectorAll('#dashboard .table-scroll, #dashboard table')]
    .filter(e => e.scrollWidth > e.clientWidth + 1
                 || e.getBoundingClientRect().right > document.documentElement.clientWidth)
    .map(e => e.className + ' ' + e.scrollWidth + '/' + e.clientWidth)"""


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 900)])
def test_the_result_tables_fit_on_a_phone_and_a_desktop(
    live_server, browser_page_factory, width, height
):
    register = RegisterFactory()
    poll = PollFactory(register=register, slug="bredd", reporting_variables=["region"])
    question = single_choice_question(poll, labels=LONG_OPTIONS)
    options = list(question.options.order_by("order"))
    for i in range(60):
        invitation, _token = invitation_with_token(
            poll, attributes={"region": REGIONS[i % len(REGIONS)]}
        )
        response_submit(invitation=invitation, choices={question.pk: options[i % 5].pk})
    Member.objects.bulk_create(
        Member(register=register, number=f"X{n}", attributes={"region": REGIONS[n % 6]})
        for n in range(1000)
    )

    staff_user("Editor", username="redaktor", password="medlemsrost-test-1")
    page = browser_page_factory(width=width, height=height)
    page.goto(f"{live_server.url}/staff/polls/bredd/results/")
    page.get_by_label("Användarnamn").fill("redaktor")
    page.get_by_label("Lösenord").fill("medlemsrost-test-1")
    page.get_by_role("button", name="Logga in").click()
    page.locator(".chart .main-svg").first.wait_for()
    assert page.evaluate(OVERFLOWING) == []
    assert_no_violations(page)
    weighting = page.get_by_label("Vägning")
    assert weighting.evaluate("e => e.scrollWidth <= e.clientWidth")  # not cut off

    page.get_by_label("Nedbrytning").select_option("region")
    page.get_by_text("Efter region").wait_for()
    page.locator("table.breakdown").first.wait_for()
    assert page.evaluate(OVERFLOWING) == []
    assert_no_violations(page)
    text = page.locator("#dashboard").inner_text()
    assert "procentenheter i grupperna som visas" in text
    assert "±0\n" not in text and "±0 " not in text
    page.screenshot(path=f"/tmp/dashboard-{width}.png", full_page=True)
