"""An editor builds a small poll in the studio with Chromium: a question, its options, a
follow-up shown only after "Nej", a refused move (htmx), a preview at phone width that runs the
member's own page, and axe-core on every studio page on the way."""

import pytest

from polls.models import Answer, Poll, Response
from tests.e2e.axe import assert_accessible
from tests.factories import staff_user

PASSWORD = "medlemsrost-studio-1"


def log_in(page, site_url):
    page.goto(f"{site_url}/staff/studio/")
    page.get_by_label("Användarnamn").fill("studio-redaktor")
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.locator("#new-poll").wait_for()


def save(page, button="button.btn-primary[type=submit]"):
    with page.expect_navigation():
        page.locator(button).first.click()


@pytest.mark.django_db(transaction=True)
def test_an_editor_builds_previews_and_tests_a_poll(live_server, browser_page_factory):
    staff_user("Editor", username="studio-redaktor", password=PASSWORD)
    site_url = live_server.url
    page = browser_page_factory(width=1280, height=900)
    log_in(page, site_url)
    assert_accessible(page)

    # A new poll.
    page.locator("#new-poll").click()
    page.locator("#id_title_sv").fill("Arbetsmiljön 2026")
    page.locator("#id_title_en").fill("The working environment 2026")
    page.locator("#id_slug").fill("arbetsmiljo-2026")
    assert_accessible(page)
    save(page)
    poll = Poll.objects.get(slug="arbetsmiljo-2026")
    assert poll.state == Poll.State.DRAFT

    # The first question with two options.
    page.locator("#first-question").click()
    page.locator("#id_kind").select_option("single")
    page.locator("#id_code").fill("kan_utfora")
    page.locator("#id_text_sv").fill(
        "Kan du utföra ditt arbete med den kvalitet du anser nödvändig?"
    )
    page.locator("#id_text_en").fill(
        "Can you do your work with the quality you consider necessary?"
    )
    assert_accessible(page)
    save(page)
    page.locator("#id_options-0-label_sv").fill("Ja")
    page.locator("#id_options-0-label_en").fill("Yes")
    # One empty row at a time; "Add an option" (studio.js) gives the next.
    assert page.locator("#id_options-1-code").count() == 0
    page.locator("#add-options").click()
    page.locator("#id_options-1-code").fill("nej")
    page.locator("#id_options-1-label_sv").fill("Nej")
    page.locator("#id_options-1-label_en").fill("No")
    save(page, "#save-question")
    assert list(poll.questions.get().options.values_list("code", flat=True)) == ["ja", "nej"]
    assert_accessible(page)

    # A follow-up, shown only after "Nej".
    page.goto(f"{site_url}/staff/studio/arbetsmiljo-2026/")
    page.locator("a.add-question").first.click()
    page.locator("#id_kind").select_option("text")
    page.locator("#id_code").fill("vad_kravs")
    page.locator("#id_text_sv").fill("Vad krävs för att du ska kunna göra det?")
    page.locator("#id_required").uncheck()
    save(page)
    can = poll.questions.get(code="kan_utfora")
    nej = can.options.get(code="nej")
    options = page.locator(f'[data-condition-for="{can.pk}"]')
    assert not options.is_visible()  # studio.js shows a question's options once it is chosen
    page.locator("#id_condition-on").select_option(str(can.pk))
    options.wait_for()
    options.locator(f'input[value="{nej.pk}"]').check()
    assert_accessible(page)
    save(page, "#save-condition")
    follow_up = poll.questions.get(code="vad_kravs")
    assert follow_up.condition_question == can
    assert list(follow_up.condition_options.all()) == [nej]

    # Moving the condition below its follow-up is refused, in place (htmx), focus kept.
    page.goto(f"{site_url}/staff/studio/arbetsmiljo-2026/")
    page.locator(".condition-summary").wait_for()
    assert_accessible(page)
    page.locator(f"#move-question-{can.pk}-down").click()
    page.locator("#outline [role=alert]").wait_for()
    # validate_conditions' message ("… kan_utfora, which comes later."), in Swedish here.
    assert "kan_utfora" in page.locator("#outline [role=alert]").inner_text()
    assert page.evaluate("document.activeElement.id") == f"move-question-{can.pk}-down"
    codes = page.locator(".outline-item").evaluate_all("els => els.map(e => e.dataset.code)")
    assert codes == ["kan_utfora", "vad_kravs"]

    # The preview at phone width runs the member's page; the follow-up appears after "Nej".
    phone = browser_page_factory(width=390, height=844)
    log_in(phone, site_url)
    phone.goto(f"{site_url}/staff/studio/arbetsmiljo-2026/preview/")
    assert phone.locator("#width-phone").get_attribute("aria-current") == "true"
    frame_box = phone.locator("#preview-frame").bounding_box()
    assert frame_box["width"] <= 390
    frame = phone.frame_locator("#preview-frame")
    frame.locator("form.answer-form").wait_for()
    assert_accessible(phone)
    member_page = phone.frame(name="preview-frame")
    assert_accessible(member_page)
    question = frame.locator(f"#q{follow_up.pk}")
    assert not question.is_visible()
    frame.get_by_label("Nej", exact=True).check()
    question.wait_for()
    question.locator("textarea").fill("Färre ärenden per handläggare.")
    frame.locator("button[name=action][value=next]").click()
    done = frame.locator("#would-be-answers")
    done.wait_for()
    assert "Nej (nej)" in done.inner_text()
    assert "Färre ärenden per handläggare." in done.inner_text()
    assert_accessible(phone.frame(name="preview-frame"))
    assert (Response.objects.count(), Answer.objects.count()) == (0, 0)

    # Desktop width is a link away.
    page.goto(f"{site_url}/staff/studio/arbetsmiljo-2026/preview/?width=desktop")
    assert page.locator("#preview-frame").bounding_box()["width"] > 800
    assert_accessible(page)
