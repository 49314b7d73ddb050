"""An editor keeps the dashboard open while answers arrive: it updates without a reload."""

import pytest
from playwright.sync_api import expect

from polls.answering.responses import response_submit
from respondents.models import Member
from tests.e2e.axe import assert_accessible
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
