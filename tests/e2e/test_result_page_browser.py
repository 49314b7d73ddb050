"""An editor composes a result page on a phone (a chart, a breakdown, a follow-up question and a
coded top list), publishes it, and an anonymous visitor reads it at phone width: the chart is
drawn, the table is there, the method box says exactly what was computed, no staff links."""

import pytest
from playwright.sync_api import expect

from polls.models import Question
from results.coding import code_create
from results.models import ResultPage
from tests.e2e.axe import assert_accessible
from tests.factories import QuestionFactory, staff_user
from tests.test_result_pages import poll  # noqa: F401  (the fixture)

PHONE = {"width": 390, "height": 844}


def add_block(page, kind, question, by=""):
    page.locator("#id_block-kind").select_option(kind)
    page.locator("#id_block-question").select_option(str(question.pk))
    page.locator("#id_block-by").select_option(by)
    page.get_by_role("button", name="Lägg till blocket").click()
    expect(page.get_by_text("Blocket är tillagt.")).to_be_visible()


@pytest.mark.django_db(transaction=True)
def test_an_editor_publishes_a_page_and_the_public_reads_it_on_a_phone(
    live_server,
    browser_page_factory,
    poll,  # noqa: F811
):
    question, follow = poll.questions.order_by("order")
    open_question = QuestionFactory(poll=poll, kind=Question.Kind.TEXT, required=False)
    code_create(question=open_question, label_sv="Mer tid", label_en="More time")
    staff_user("Editor", username="redaktor", password="medlemsrost-test-1")

    editor = browser_page_factory(**PHONE)
    editor.goto(f"{live_server.url}/staff/polls/{poll.slug}/pages/")
    editor.get_by_label("Användarnamn").fill("redaktor")
    editor.get_by_label("Lösenord").fill("medlemsrost-test-1")
    editor.get_by_role("button", name="Logga in").click()
    editor.locator("#id_new-title").fill("Tre av fyra socionomer svarar ja")
    editor.locator("#id_new-slug").fill("socionomer")
    editor.locator("#id_new-lead").fill("75 procent svarar ja.")
    editor.get_by_role("button", name="Skapa sidan").click()
    expect(editor.get_by_text("Sidan är skapad som utkast.")).to_be_visible()
    add_block(editor, "chart", question)
    add_block(editor, "chart", question, by="sektor")
    add_block(editor, "chart", follow)
    add_block(editor, "coded", open_question)
    expect(editor.locator("#claims")).to_contain_text("Varje siffra och jämförelse")
    assert_accessible(editor)
    editor.get_by_role("button", name="Publicera").click()
    expect(editor.get_by_text("Version 1 är publicerad")).to_be_visible()

    version = ResultPage.objects.get(slug="socionomer").versions.get()
    about = " ".join(version.snapshot["languages"]["sv"]["about"])

    visitor = browser_page_factory(**PHONE)
    visitor.goto(f"{live_server.url}/r/socionomer/")
    expect(visitor.locator("h1")).to_have_text("Tre av fyra socionomer svarar ja")
    expect(visitor.locator(".chart .main-svg").first).to_be_visible()
    expect(visitor.locator("table.shares").first).to_contain_text("Ja")
    expect(visitor.locator("table.breakdown")).to_contain_text("kommun")
    expect(visitor.get_by_text("Bland dem som svarade ”Nej” på fråga 1, n = 20.")).to_be_visible()
    expect(visitor.locator("#about-survey p")).to_have_text(about)
    assert visitor.locator("a[href^='/staff/'], nav.site-nav, form").count() == 0
    assert_accessible(visitor)
