"""Questions shown only after certain answers; hidden ones are never saved; the studio's check."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from polls.answering.responses import AnswerRow, response_submit
from polls.conditions import condition_set, validate_conditions, visible_questions
from polls.models import Answer, Question
from tests.factories import (
    PollFactory,
    QuestionFactory,
    SectionFactory,
    every_kind_poll,
    invitation_with_token,
    question_with_options,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def seeds_case():
    """The seeds' real case: only those who cannot do their work with the quality they find
    necessary are asked what it would take."""
    poll = PollFactory()
    can = question_with_options(
        poll,
        Question.Kind.SINGLE,
        [("ja", "Ja", "Yes"), ("nej", "Nej", "No"), ("vet_ej", "Vet ej", "Don't know")],
        order=1,
        code="kan_utfora",
        text_sv="Kan du utföra ditt arbete med den kvalitet du anser nödvändig?",
    )
    follow_up = QuestionFactory(
        poll=poll,
        order=2,
        code="vad_kravs",
        kind=Question.Kind.TEXT,
        text_sv="Vad krävs för att du ska kunna utföra ditt arbete med den kvalitet du anser "
        "nödvändig?",
    )
    condition_set(question=follow_up, on=can, codes=["nej"])
    return poll, can, follow_up


def option(question, code):
    return question.options.get(code=code)


def codes(questions):
    return [q.code for q in questions]


# --- what is shown ------------------------------------------------------------------------------


def test_the_follow_up_is_shown_only_after_the_answer_it_depends_on(seeds_case):
    poll, can, _follow_up = seeds_case
    assert codes(visible_questions(poll, {})) == ["kan_utfora"]
    assert codes(visible_questions(poll, {can.pk: [option(can, "ja").pk]})) == ["kan_utfora"]
    shown = visible_questions(poll, {can.pk: [option(can, "nej").pk]})
    assert codes(shown) == ["kan_utfora", "vad_kravs"]


def test_any_of_several_options_shows_it_and_a_chain_collapses_from_the_top():
    poll = PollFactory()
    a = question_with_options(poll, Question.Kind.MULTIPLE, ["x", "y", "z"], order=1, code="a")
    b = question_with_options(poll, Question.Kind.SINGLE, ["ja", "nej"], order=2, code="b")
    c = QuestionFactory(poll=poll, order=3, code="c", kind=Question.Kind.TEXT)
    condition_set(question=b, on=a, codes=["o1", "o2"])
    condition_set(question=c, on=b, codes=["o0"])
    b_yes = option(b, "o0").pk
    assert codes(visible_questions(poll, {a.pk: [option(a, "o2").pk], b.pk: [b_yes]})) == [
        "a",
        "b",
        "c",
    ]
    # a changed to "x": b is hidden, so its (stale) answer no longer shows c.
    assert codes(visible_questions(poll, {a.pk: [option(a, "o0").pk], b.pk: [b_yes]})) == ["a"]


# --- what is saved ------------------------------------------------------------------------------


def test_the_service_discards_answers_to_hidden_questions(seeds_case):
    poll, can, follow_up = seeds_case
    invitation, _token = invitation_with_token(poll)
    response_submit(
        invitation=invitation,
        answers=[
            AnswerRow(can.pk, option_id=option(can, "ja").pk),
            AnswerRow(follow_up.pk, text="Written after a “Nej”, then changed to “Ja”"),
        ],
    )
    assert list(Answer.objects.values_list("question__code", flat=True)) == ["kan_utfora"]


def test_a_changed_earlier_answer_discards_the_follow_up_on_submit(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    poll = every_kind_poll()
    _invitation, token = invitation_with_token(poll)
    url = reverse("answer", args=[token])
    q = {question.code: question for question in poll.questions.all()}
    page1 = {
        "page": 0,
        "action": "next",
        f"q{q['kan_utfora'].pk}": option(q["kan_utfora"], "nej").pk,
        f"q{q['vad_kravs'].pk}": "Färre ärenden",
        f"q{q['atgarder'].pk}": option(q["atgarder"], "vet_ej").pk,
    }
    assert client.post(url, page1).status_code == 302
    client.post(url, {"page": 1, "action": "back"})
    # The follow-up text is still in the draft: it comes back if the member returns to "Nej".
    assert "Färre ärenden" in client.get(url).content.decode()
    page1[f"q{q['kan_utfora'].pk}"] = option(q["kan_utfora"], "ja").pk
    assert client.post(url, page1).status_code == 302
    client.post(
        url, {"page": 1, "action": "next", f"q{q['nojd'].pk}": "3", f"q{q['arenden'].pk}": "5"}
    )
    r1, r2 = q["pastaenden"].rows.all()
    p = q["prioritet"]
    done = client.post(
        url,
        {
            "page": 2,
            "action": "next",
            f"q{p.pk}_1": option(p, "lon").pk,
            f"q{p.pk}_2": option(p, "arbetstid").pk,
            f"q{p.pk}_3": option(p, "kompetens").pk,
            f"q{q['pastaenden'].pk}_r{r1.pk}": option(q["pastaenden"], "helt").pk,
            f"q{q['pastaenden'].pk}_r{r2.pk}": option(q["pastaenden"], "helt").pk,
        },
    )
    assert "Thank you for answering!" in done.content.decode()
    assert not Answer.objects.filter(question__code="vad_kravs").exists()
    assert not Answer.objects.filter(text__isnull=False).exists()


def test_a_follow_up_on_the_same_page_works_without_javascript(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    poll = every_kind_poll()
    _invitation, token = invitation_with_token(poll)
    url = reverse("answer", args=[token])
    can, follow_up = poll.questions.get(code="kan_utfora"), poll.questions.get(code="vad_kravs")
    html = client.get(url).content.decode()
    # Drawn with its condition for answer.js, and a hint for everyone else.
    nej = option(can, "nej").pk
    assert (
        f'data-condition-on="q{can.pk}" data-condition-options="{nej}" data-condition-unmet' in html
    )
    assert "Only if you answered “No” to question 1." in html
    # Required only when shown: "Ja" with an empty follow-up is fine ...
    measures = poll.questions.get(code="atgarder")
    page = {"page": 0, "action": "next", f"q{measures.pk}": option(measures, "tid").pk}
    assert client.post(url, {**page, f"q{can.pk}": option(can, "ja").pk}).status_code == 302
    # ... "Nej" with an empty follow-up is not.
    refused = client.post(url, {**page, f"q{can.pk}": nej})
    assert refused.status_code == 400
    assert f'id="q{follow_up.pk}-error"' in refused.content.decode()


def test_a_page_whose_questions_are_all_hidden_is_skipped(client):
    poll = PollFactory()
    first, second, third = (SectionFactory(poll=poll, order=i) for i in (1, 2, 3))
    can = question_with_options(poll, Question.Kind.SINGLE, ["ja", "nej"], section=first)
    follow_up = QuestionFactory(poll=poll, section=second, kind=Question.Kind.TEXT)
    last = QuestionFactory(poll=poll, section=third, kind=Question.Kind.NUMBER)
    condition_set(question=follow_up, on=can, codes=["o1"])
    _invitation, token = invitation_with_token(poll)
    url = reverse("answer", args=[token])
    client.post(url, {"page": 0, "action": "next", f"q{can.pk}": option(can, "o0").pk})
    html = client.get(url).content.decode()
    assert f'name="q{last.pk}"' in html
    assert f'name="q{follow_up.pk}"' not in html
    assert 'value="2" max="2"' in html  # part 2 of 2: the hidden page does not count


# --- the studio's check -------------------------------------------------------------------------


def test_a_sound_poll_passes(seeds_case):
    poll, _can, _follow_up = seeds_case
    assert validate_conditions(poll) == []
    assert validate_conditions(every_kind_poll()) == []


def test_a_condition_on_a_later_question_is_refused(seeds_case):
    poll, can, follow_up = seeds_case
    follow_up.order, can.order = 1, 2
    follow_up.save()
    can.save()
    assert validate_conditions(poll) == [
        "Question vad_kravs depends on kan_utfora, which comes later."
    ]


def test_a_condition_on_a_later_page_is_refused_whatever_the_order_numbers():
    poll = PollFactory()
    early, late = SectionFactory(poll=poll, order=1), SectionFactory(poll=poll, order=2)
    source = question_with_options(poll, Question.Kind.SINGLE, ["ja"], section=late, order=1)
    shown = QuestionFactory(poll=poll, section=early, order=5, code="shown")
    condition_set(question=shown, on=source, codes=["o0"])
    assert "which comes later" in validate_conditions(poll)[0]


def test_cycles_are_refused():
    poll = PollFactory()
    a = question_with_options(poll, Question.Kind.SINGLE, ["x"], order=1, code="a")
    b = question_with_options(poll, Question.Kind.SINGLE, ["y"], order=2, code="b")
    condition_set(question=b, on=a, codes=["o0"])
    condition_set(question=a, on=b, codes=["o0"])
    problems = validate_conditions(poll)
    assert "Questions a → b → a depend on each other in a circle." in problems
    assert "Question a depends on b, which comes later." in problems


def test_a_question_cannot_depend_on_itself_in_the_database():
    q = question_with_options(PollFactory(), Question.Kind.SINGLE, ["x"])
    q.condition_question = q
    with pytest.raises(IntegrityError), transaction.atomic():
        q.save()


def test_dangling_references_are_refused(seeds_case):
    poll, can, follow_up = seeds_case
    other = question_with_options(poll, Question.Kind.SINGLE, ["x"], order=0, code="other")
    follow_up.condition_options.add(other.options.get())
    assert validate_conditions(poll) == [
        "Question vad_kravs names options that kan_utfora does not have: o0."
    ]
    # An option deleted after the condition was set leaves a condition that names nothing.
    follow_up.condition_options.set([])
    assert validate_conditions(poll) == [
        "Question vad_kravs depends on kan_utfora but names no options."
    ]
    with pytest.raises(ValueError):
        condition_set(question=follow_up, on=can, codes=["nej", "kanske"])


def test_conditions_on_questions_without_options_or_in_other_polls_are_refused(seeds_case):
    poll, _can, follow_up = seeds_case
    text = QuestionFactory(poll=poll, order=3, code="fritext", kind=Question.Kind.TEXT)
    text.condition_question = follow_up
    text.save()
    assert (
        "Question fritext depends on vad_kravs, which has no options to choose."
        in validate_conditions(poll)
    )
    elsewhere = question_with_options(PollFactory(), Question.Kind.SINGLE, ["x"])
    text.condition_question = elsewhere
    text.save()
    assert "Question fritext depends on a question in another poll." in validate_conditions(poll)
