"""An editor codes the open answers, and the coded question reports like a multiple choice."""

import re

import pytest
from django.urls import reverse

from polls.answering.responses import AnswerRow, response_submit
from polls.models import Answer, Question
from respondents.models import Member
from results.coding import CodingError, code_create, coded_question_results, codes_assign
from results.models import CodedAnswer
from tests.factories import (
    PollFactory,
    QuestionFactory,
    RegisterFactory,
    invitation_with_token,
    staff_user,
)

TEXTS = [
    "Mer tid för klienterna",
    "Mindre administration och mer tid",
    "Fler kollegor, mer resurser",
    "Bättre introduktion",
    "Mer tid",
    "",  # answered the poll but left the open question empty
]


@pytest.fixture
def question(db):
    register = RegisterFactory()
    Member.objects.bulk_create(
        Member(register=register, number=f"R{n}", email=f"r{n}@example.org") for n in range(1000)
    )
    poll = PollFactory(register=register, slug="kvalitet")
    question = QuestionFactory(
        poll=poll,
        kind=Question.Kind.TEXT,
        required=False,
        text_sv="Vad krävs för att du ska kunna utföra ditt arbete med den kvalitet du anser "
        "nödvändig?",
    )
    for text in TEXTS:
        invitation, _token = invitation_with_token(poll)
        rows = [AnswerRow(question_id=question.pk, text=text)] if text else []
        response_submit(invitation=invitation, answers=rows)
    return question


def answer_ids(question, *needles):
    return [
        a.pk for a in Answer.objects.filter(question=question) if any(n in a.text for n in needles)
    ]


def test_the_coded_question_ranks_codes_by_share_with_intervals(question):
    more_time = code_create(question=question, label_sv="Mer tid")
    resources = code_create(question=question, label_sv="Mer resurser")
    admin = code_create(question=question, label_sv="Minskad administration")
    codes_assign(code=more_time, answer_ids=answer_ids(question, "tid"))
    codes_assign(code=resources, answer_ids=answer_ids(question, "resurser"))
    codes_assign(code=admin, answer_ids=answer_ids(question, "administration"))

    report = coded_question_results(question)
    assert (report.n_answered, report.n_coded) == (5, 4)
    assert [r.code.label_sv for r in report.codes] == [
        "Mer tid",
        "Mer resurser",
        "Minskad administration",
    ]
    top = report.codes[0].estimate
    assert top.share == pytest.approx(3 / 5)  # of those who answered the open question
    assert top.n == 5
    assert top.ci_low < 0.6 < top.ci_high
    # One answer may carry several codes, so the shares add up to more than the coded share.
    assert sum(r.estimate.share for r in report.codes) == pytest.approx(5 / 5)


def test_assigning_twice_keeps_one_coding(question):
    code = code_create(question=question, label_sv="Mer tid")
    ids = answer_ids(question, "tid")
    assert codes_assign(code=code, answer_ids=ids) == 3
    assert codes_assign(code=code, answer_ids=ids) == 0
    assert CodedAnswer.objects.count() == 3


def test_codes_only_go_to_answers_of_their_question(question, db):
    other = QuestionFactory(poll=question.poll, kind=Question.Kind.TEXT)
    code = code_create(question=other, label_sv="Annat")
    with pytest.raises(CodingError):
        codes_assign(code=code, answer_ids=answer_ids(question, "tid"))
    assert not CodedAnswer.objects.exists()


def test_a_duplicate_or_empty_code_is_refused(question):
    code_create(question=question, label_sv="Mer tid")
    with pytest.raises(CodingError):
        code_create(question=question, label_sv="Mer tid")
    with pytest.raises(CodingError):
        code_create(question=question, label_sv="  ")


@pytest.fixture
def editor_client(client, question):
    client.force_login(staff_user("Editor"))
    return client


def coding_url(question, name="coding-question"):
    return reverse(name, args=[question.poll.slug, question.pk])


def test_the_editor_adds_codes_and_bulk_assigns_them_on_the_page(editor_client, question):
    editor_client.post(coding_url(question, "coding-add-code"), {"label_sv": "Mer tid"})
    code = question.answer_codes.get()
    response = editor_client.post(
        coding_url(question, "coding-assign"),
        {"code": code.pk, "answers": answer_ids(question, "tid"), "action": "add"},
    )
    assert response.status_code == 302
    page = editor_client.get(coding_url(question)).content.decode()
    assert "3 av 5 svar kodade" in page
    assert "Mer tid</strong>: 60" in page


def test_one_answer_toggles_its_code_in_place_with_htmx(editor_client, question):
    code = code_create(question=question, label_sv="Mer tid")
    (first,) = answer_ids(question, "klienterna")
    response = editor_client.post(
        coding_url(question, "coding-assign"),
        {"code": code.pk, "answers": [first], "action": "add"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert html.startswith(f'<li class="coded-answer" id="answer-{first}">')
    assert 'aria-pressed="true"' in html
    editor_client.post(
        coding_url(question, "coding-assign"),
        {"code": code.pk, "answers": [first], "action": "remove"},
        HTTP_HX_REQUEST="true",
    )
    assert not CodedAnswer.objects.exists()


def test_search_and_the_uncoded_filter(editor_client, question):
    code = code_create(question=question, label_sv="Mer tid")
    codes_assign(code=code, answer_ids=answer_ids(question, "tid"))
    uncoded = editor_client.get(coding_url(question), {"only": "uncoded"}).content.decode()
    assert "Bättre introduktion" in uncoded and "Mer tid för klienterna" not in uncoded
    found = editor_client.get(coding_url(question), {"q": "kollegor"}).content.decode()
    assert "Fler kollegor" in found and "Bättre introduktion" not in found


def test_an_assignment_without_answers_says_so_and_changes_nothing(editor_client, question):
    code = code_create(question=question, label_sv="Mer tid")
    response = editor_client.post(
        coding_url(question, "coding-assign"), {"code": code.pk, "action": "add"}, follow=True
    )
    assert "Välj minst ett svar" in response.content.decode()
    assert not CodedAnswer.objects.exists()


def test_the_coding_overview_lists_open_questions(editor_client, question):
    page = editor_client.get(reverse("coding-home", args=[question.poll.slug])).content.decode()
    assert "Vad krävs" in page


def test_the_dashboard_shows_the_coded_question_ranked(editor_client, question):
    code = code_create(question=question, label_sv="Mer tid")
    codes_assign(code=code, answer_ids=answer_ids(question, "tid"))
    html = editor_client.get(reverse("poll-results", args=[question.poll.slug])).content.decode()
    assert "3 av 5 svar kodade" in html
    assert "Mer tid  60" in html.replace("\\u00a0", " ")


def test_the_api_reports_the_coded_question_ranked(editor_client, question):
    more_time = code_create(question=question, label_sv="Mer tid")
    codes_assign(code=more_time, answer_ids=answer_ids(question, "tid"))
    resources = code_create(question=question, label_sv="Mer resurser")
    codes_assign(code=resources, answer_ids=answer_ids(question, "resurser"))
    body = editor_client.get(reverse("api-poll-results", args=[question.poll.slug])).json()
    (open_question,) = [q for q in body["questions"] if q["kind"] == "text"]
    coded = open_question["coded"]
    assert (coded["n_answered"], coded["n_coded"], coded["suppressed"]) == (5, 4, False)
    assert [c["label"] for c in coded["codes"]] == ["Mer tid", "Mer resurser"]
    assert coded["codes"][0]["share"] == pytest.approx(0.6)
    assert coded["codes"][0]["ci_low"] < 0.6 < coded["codes"][0]["ci_high"]


def test_the_dashboard_suppresses_the_codes_of_too_few_answers(editor_client, db):
    """As the API does: fewer members answered the open question than the poll's smallest
    cell (5), so its codes' shares are not shown on the dashboard either."""
    poll = PollFactory(register=RegisterFactory(), slug="fa-svar")
    question = QuestionFactory(poll=poll, kind=Question.Kind.TEXT, required=False)
    for text in ("Mer tid", "Mer tid för klienterna", "Bättre lön"):
        invitation, _token = invitation_with_token(poll)
        response_submit(invitation=invitation, answers=[AnswerRow(question.pk, text=text)])
    code = code_create(question=question, label_sv="Mer tid")
    codes_assign(code=code, answer_ids=answer_ids(question, "tid"))
    html = editor_client.get(reverse("poll-results", args=[poll.slug])).content.decode()
    assert "Koderna visas inte: färre än 5 medlemmar besvarade frågan." in html
    # Neither the chart's label ("Mer tid  67 %") nor the table's share (2 of 3) is shown.
    text = html.replace("\\u00a0", " ").replace("\xa0", " ")
    assert not re.search(r"Mer tid\s+\d", text)
    assert not re.search(r"(?<![\w-])67(?:,\d)? ?%", text)
    body = editor_client.get(reverse("api-poll-results", args=[poll.slug])).json()
    (coded,) = [q["coded"] for q in body["questions"] if q["kind"] == "text"]
    assert coded["suppressed"] is True and coded["codes"] == []


def test_adding_a_code_keeps_the_uncoded_filter(editor_client, question):
    page = editor_client.get(coding_url(question), {"only": "uncoded", "q": "tid"})
    assert 'name="next" value="/staff/polls/' in page.content.decode()
    back = f"{coding_url(question)}?only=uncoded&q=tid"
    response = editor_client.post(
        coding_url(question, "coding-add-code"), {"label_sv": "Mer tid", "next": back}
    )
    assert response.status_code == 302 and response["Location"] == back
    elsewhere = editor_client.post(
        coding_url(question, "coding-add-code"),
        {"label_sv": "Annat", "next": "https://example.com/"},
    )
    assert elsewhere["Location"] == coding_url(question)
