"""An editor quotes an open answer, is stopped by the name in it, takes the name out and
schedules the page; beat publishes it; a visitor on a phone reads the quote and the scale's
diverging chart."""

import datetime
import os
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from polls.answering.responses import AnswerRow, response_submit
from polls.models import Question
from respondents.models import Member
from results.models import ResultBlock, ResultPage
from results.scheduling import pages_publish_due
from tests.factories import (
    PollFactory,
    QuestionFactory,
    RegisterFactory,
    invitation_with_token,
    staff_user,
)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SHOTS = os.environ.get("SHOTS_DIR", "")  # set it to keep screenshots of the pages


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"pages-{name}.png"), full_page=True)


@pytest.fixture
def poll(db):
    register = RegisterFactory()
    Member.objects.bulk_create(
        Member(register=register, number=f"B{n}", email=f"b{n}@example.org") for n in range(500)
    )
    poll = PollFactory(register=register, slug="arbetsmiljo")
    scale = QuestionFactory(
        poll=poll,
        kind=Question.Kind.SCALE,
        scale_min=1,
        scale_max=5,
        order=0,
        text_sv="Hur nöjd är du med din arbetsmiljö?",
    )
    open_question = QuestionFactory(
        poll=poll,
        kind=Question.Kind.TEXT,
        required=False,
        order=1,
        text_sv="Vad skulle göra störst skillnad?",
    )
    texts = ["Mer tid för klienterna.", "Min chef Anna Berg lyssnar aldrig.", ""]
    for i, value in enumerate([1] * 5 + [2] * 8 + [3] * 10 + [4] * 15 + [5] * 12):
        invitation, _token = invitation_with_token(poll)
        rows = [AnswerRow(question_id=scale.pk, value=Decimal(value))]
        if texts[i % 3]:
            rows.append(AnswerRow(question_id=open_question.pk, text=texts[i % 3]))
        response_submit(invitation=invitation, answers=rows)
    return poll


@pytest.mark.django_db(transaction=True)
def test_an_editor_quotes_an_answer_takes_the_name_out_and_schedules_the_page(
    live_server, browser_page_factory, poll
):
    scale, open_question = poll.questions.order_by("order")
    page = ResultPage.objects.create(poll=poll, slug="arbetsmiljon", title="Arbetsmiljön")
    ResultBlock.objects.create(page=page, order=0, kind="chart", question=scale)
    staff_user("Editor", username="redaktor", password="medlemsrost-test-1")

    editor = browser_page_factory(**DESKTOP)
    editor.goto(f"{live_server.url}/staff/polls/{poll.slug}/pages/{page.pk}/")
    editor.get_by_label("Användarnamn").fill("redaktor")
    editor.get_by_label("Lösenord").fill("medlemsrost-test-1")
    editor.get_by_role("button", name="Logga in").click()
    editor.locator("#id_quotes").select_option(str(open_question.pk))
    editor.get_by_role("button", name="Visa svaren").click()
    answers = editor.locator("#quote-answers li")
    expect(answers).to_have_count(2)  # the same words from 17 members are one quote
    answers.filter(has_text="Anna Berg").get_by_role("button", name="Citera det här svaret").click()
    expect(editor.locator("#claims")).to_contain_text("”Anna Berg”")
    expect(editor.locator("#blocking")).to_be_visible()
    shot(editor, "editor-blocked-1280")
    editor.locator("details.block-edit textarea").fill("Min chef [namn] lyssnar aldrig.")
    editor.get_by_role("button", name="Spara texten").click()
    expect(editor.locator("#blocking")).to_have_count(0)
    at = timezone.localtime(timezone.now() + datetime.timedelta(hours=1))
    editor.locator("#id_publish_at").fill(at.strftime("%Y-%m-%dT%H:%M"))
    editor.get_by_role("button", name="Schemalägg").click()
    expect(editor.locator("#schedule-notice")).to_contain_text("Schemalagd: publiceras")
    shot(editor, "editor-scheduled-1280")
    phone_editor = browser_page_factory(**PHONE)
    phone_editor.context.add_cookies(editor.context.cookies())
    phone_editor.goto(f"{live_server.url}/staff/polls/{poll.slug}/pages/{page.pk}/")
    shot(phone_editor, "editor-scheduled-390")

    visitor = browser_page_factory(**PHONE)
    assert visitor.goto(f"{live_server.url}/r/arbetsmiljon/").status == 404
    pages_publish_due(now=timezone.now() + datetime.timedelta(hours=2))
    visitor.goto(f"{live_server.url}/r/arbetsmiljon/")
    expect(visitor.locator("blockquote.quote p")).to_have_text("Min chef [namn] lyssnar aldrig.")
    expect(visitor.locator(".chart .main-svg").first).to_be_visible()
    expect(visitor.locator(".chart .legend")).to_contain_text("%")
    shot(visitor, "public-390")
    desktop = browser_page_factory(**DESKTOP)
    desktop.goto(f"{live_server.url}/r/arbetsmiljon/")
    expect(desktop.locator(".chart .main-svg").first).to_be_visible()
    shot(desktop, "public-1280")
