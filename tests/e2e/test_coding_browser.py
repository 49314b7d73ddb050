"""An editor codes open answers in the browser: the filter stays chosen while codes are added,
and the page has no accessibility violations at all."""

import pytest

from polls.answering.responses import AnswerRow, response_submit
from polls.models import Question
from tests.e2e.axe import assert_no_violations
from tests.factories import (
    PollFactory,
    QuestionFactory,
    RegisterFactory,
    invitation_with_token,
    staff_user,
)

TEXTS = ("Mer tid för klienterna", "Mindre administration", "Fler kollegor", "Bättre lön")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [390, 1280])
def test_adding_a_code_keeps_the_uncoded_filter(live_server, browser_page_factory, width):
    poll = PollFactory(register=RegisterFactory(), slug="koda")
    question = QuestionFactory(poll=poll, kind=Question.Kind.TEXT, required=False)
    for text in TEXTS:
        invitation, _token = invitation_with_token(poll)
        response_submit(invitation=invitation, answers=[AnswerRow(question.pk, text=text)])

    staff_user("Editor", username="redaktor", password="medlemsrost-test-1")
    page = browser_page_factory(width=width, height=900)
    page.goto(f"{live_server.url}/staff/polls/koda/coding/{question.pk}/")
    page.get_by_label("Användarnamn").fill("redaktor")
    page.get_by_label("Lösenord").fill("medlemsrost-test-1")
    page.get_by_role("button", name="Logga in").click()
    page.get_by_label("Visa").select_option("uncoded")
    page.get_by_role("button", name="Filtrera").click()
    page.wait_for_url("**only=uncoded**")
    assert_no_violations(page)

    page.get_by_label("Ny kod (svenska)").fill("Mer tid")
    page.get_by_role("button", name="Lägg till koden").click()
    page.wait_for_url("**only=uncoded**")
    assert page.get_by_label("Visa").input_value() == "uncoded"
    assert page.locator("#id_bulk_code option").all_inner_texts() == ["Mer tid"]
    assert_no_violations(page)
