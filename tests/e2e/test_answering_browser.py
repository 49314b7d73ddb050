"""A member answers a poll with every question kind in Chromium on a phone: Next, Back, a
validation error, a follow-up that appears, an exclusive "don't know", going on from a second
device, and axe-core on every page they see."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from polls.models import Answer, Draft, Invitation, Poll, Response
from tests.e2e.axe import assert_accessible
from tests.factories import (
    PollFactory,
    every_kind_poll,
    invitation_with_token,
    single_choice_question,
)

PHONE = {"width": 390, "height": 844}


def in_english(page):
    """The member chooses English with the language switch (remembered in a cookie)."""
    page.get_by_role("button", name="English").click()
    page.get_by_role("button", name="Svenska").wait_for()


@pytest.mark.django_db(transaction=True)
def test_a_member_answers_every_kind_on_a_phone(live_server, browser_page_factory):
    poll = every_kind_poll()
    invitation, token = invitation_with_token(poll)
    link = f"{live_server.url}/s/{token}/"

    phone = browser_page_factory(**PHONE)
    phone.goto(link)
    assert phone.locator("html").get_attribute("lang") == "sv"
    assert_accessible(phone)
    in_english(phone)
    phone.get_by_text("Part 1 of 3").wait_for()

    # Page 1: the follow-up appears only after "No"; "Don't know" clears the other measures.
    follow_up = phone.get_by_role("group", name="What would it take")
    assert not follow_up.is_visible()
    phone.get_by_label("No", exact=True).check()
    follow_up.wait_for()
    phone.get_by_label("Don't know").last.check()  # the multiple choice's
    phone.get_by_label("More resources").check()
    assert not phone.get_by_label("Don't know").last.is_checked()
    phone.get_by_label("Don't know").last.check()
    assert not phone.get_by_label("More resources").is_checked()
    assert_accessible(phone)

    # Next without the follow-up: the error is tied to its field, and focus goes to the list.
    phone.get_by_role("button", name="Next").click()
    summary = phone.get_by_role("alert")
    summary.wait_for()
    assert summary.evaluate("el => el === document.activeElement")
    answer = follow_up.get_by_label("Your answer")
    assert answer.get_attribute("aria-invalid") == "true"
    error_id = answer.get_attribute("aria-describedby").split()[-1]
    assert phone.locator(f"#{error_id}").inner_text() == "Please write an answer."
    assert phone.title().startswith("Error: ")
    assert_accessible(phone)
    summary.get_by_role("link").click()
    assert answer.evaluate("el => el === document.activeElement")
    phone.keyboard.type("Fewer cases per social worker")
    phone.get_by_role("button", name="Next").click()

    # Page 2: a wrong number, then Back and Next again without losing anything.
    phone.get_by_text("Part 2 of 3").wait_for()
    phone.get_by_label("4", exact=True).check()
    phone.get_by_label("Your answer").fill("two hundred")
    phone.get_by_role("button", name="Next").click()
    phone.get_by_text("Please enter a number, for example 12.").first.wait_for()
    assert_accessible(phone)
    phone.get_by_label("Your answer").fill("38")
    phone.get_by_role("button", name="Back").click()
    phone.get_by_text("Part 1 of 3").wait_for()
    assert phone.get_by_label("No", exact=True).is_checked()
    assert phone.get_by_label("Don't know").last.is_checked()
    assert follow_up.get_by_label("Your answer").input_value() == "Fewer cases per social worker"
    phone.get_by_role("button", name="Next").click()
    phone.get_by_text("Part 2 of 3").wait_for()
    assert phone.get_by_label("4", exact=True).is_checked()
    assert phone.get_by_label("Your answer").input_value() == "38"
    phone.get_by_role("button", name="Next").click()
    phone.get_by_text("Part 3 of 3").wait_for()
    assert_accessible(phone)

    # The member closes the phone and goes on from a laptop with the same link.
    laptop = browser_page_factory(width=1280, height=900, locale="en-GB")
    laptop.goto(link)
    in_english(laptop)
    laptop.get_by_text("Part 3 of 3").wait_for()
    laptop.get_by_label("Place 1").select_option(label="Pay")
    laptop.get_by_label("Place 2").select_option(label="Working hours")
    laptop.get_by_label("Place 3").select_option(label="Professional development")
    workload = laptop.get_by_role("group", name="My workload is reasonable")
    workload.get_by_label("Partly true").check()
    laptop.get_by_role("group", name="My manager supports me").get_by_label("Don't know").check()
    laptop.get_by_role("button", name="Back").click()
    laptop.get_by_text("Part 2 of 3").wait_for()
    assert laptop.get_by_label("Your answer").input_value() == "38"
    laptop.get_by_role("button", name="Next").click()
    assert laptop.get_by_label("Place 2").input_value() == laptop.get_by_label("Place 2").locator(
        "option", has_text="Working hours"
    ).get_attribute("value")
    laptop.get_by_role("button", name="Submit my answers").click()
    laptop.get_by_role("heading", name="Thank you for answering!").wait_for()
    assert_accessible(laptop)

    # One anonymous response with typed rows; the draft is gone.
    response = Response.objects.get(poll=poll)
    rows = set(
        response.answers.values_list(
            "question__code", "option__code", "row__code", "value", "text", "rank"
        )
    )
    assert rows == {
        ("kan_utfora", "nej", None, None, None, None),
        ("vad_kravs", None, None, None, "Fewer cases per social worker", None),
        ("atgarder", "vet_ej", None, None, None, None),
        ("nojd", None, None, Decimal(4), None, None),
        ("arenden", None, None, Decimal(38), None, None),
        ("prioritet", "lon", None, None, None, 1),
        ("prioritet", "arbetstid", None, None, None, 2),
        ("prioritet", "kompetens", None, None, None, 3),
        ("pastaenden", "delvis", "r0", None, None, None),
        ("pastaenden", "vet_ej", "r1", None, None, None),
    }
    assert not Draft.objects.exists()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.COMPLETED

    # The phone, still on page 3, submits too late: "already answered", nothing more saved.
    phone.get_by_label("Place 1").select_option(label="Pay")
    phone.get_by_role("button", name="Submit my answers").click()
    phone.get_by_role("heading", name="You have already answered").wait_for()
    assert_accessible(phone)
    assert Response.objects.count() == 1
    assert Answer.objects.count() == len(rows)


@pytest.mark.django_db(transaction=True)
def test_a_member_answers_with_the_keyboard_only(live_server, browser_page_factory):
    poll = PollFactory()
    single_choice_question(poll)
    _invitation, token = invitation_with_token(poll)
    page = browser_page_factory(**PHONE)
    page.goto(f"{live_server.url}/s/{token}/")
    page.get_by_label("Mycket").focus()
    page.keyboard.press("ArrowDown")  # native radios: arrows move and choose
    assert page.get_by_label("Ganska").is_checked()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Tack för att du svarade!").wait_for()
    assert Answer.objects.get().option.label_sv == "Ganska"


@pytest.mark.django_db(transaction=True)
def test_the_friendly_pages_are_accessible(live_server, browser_page_factory):
    page = browser_page_factory(**PHONE)
    closed = PollFactory(state=Poll.State.CLOSED)
    single_choice_question(closed)
    _invitation, token = invitation_with_token(closed)
    page.goto(f"{live_server.url}/s/{token}/")
    page.get_by_role("heading", name="Undersökningen är inte öppen").wait_for()
    assert_accessible(page)

    response = page.goto(f"{live_server.url}/s/forged-token-000000000000/")
    assert response.status == 404
    page.get_by_role("heading", name="Länken fungerar inte").wait_for()
    assert_accessible(page)


@pytest.mark.django_db(transaction=True)
def test_what_is_typed_reaches_another_device_without_next(live_server, browser_page_factory):
    """answer.js keeps the page in the draft a moment after typing (issue 13): the laptop opens
    the link with the phone's unfinished answers, though Nästa was never pressed."""
    poll = every_kind_poll()
    invitation, token = invitation_with_token(poll)
    link = f"{live_server.url}/s/{token}/"
    phone = browser_page_factory(**PHONE)
    phone.goto(link)
    phone.get_by_label("Nej", exact=True).check()
    answer = phone.get_by_role("group", name="Vad krävs").get_by_label("Ditt svar")
    with phone.expect_response(lambda r: r.url.endswith("/draft/") and r.status == 204):
        answer.fill("Färre ärenden per handläggare")
    draft = Draft.objects.get(invitation=invitation)
    assert draft.current_section == 0

    laptop = browser_page_factory(width=1280, height=800)
    laptop.goto(link)
    expect(laptop.get_by_label("Nej", exact=True)).to_be_checked()
    expect(laptop.get_by_role("group", name="Vad krävs").get_by_label("Ditt svar")).to_have_value(
        "Färre ärenden per handläggare"
    )
