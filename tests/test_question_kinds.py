"""Every question kind: what a member may answer, what is refused, and the rows it becomes."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from polls.answering.responses import (
    AnswerRow,
    displayed_options,
    poll_pages,
    response_submit,
    stable_shuffle,
)
from polls.answering.sheet import AnswerSheet, question_numbers
from polls.models import Answer, Invitation, Question, Response
from tests.factories import (
    PollFactory,
    QuestionFactory,
    every_kind_poll,
    invitation_with_token,
    question_with_options,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted by their English msgids (the Swedish is in the .po)."""
    with translation.override("en"):
        yield


@pytest.fixture
def client(client, settings):
    """A member who chose English with the language switch."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def check(question, data, seed=1):
    """(answer rows, error) for `question` given raw form values."""
    sheet = AnswerSheet(poll_pages(question.poll), data=data, seed=seed)
    item = sheet.inputs[question.pk]
    return item.validate(), item.error


def options(question):
    return {o.code: o for o in question.options.all()}


# --- single choice ------------------------------------------------------------------------------


def test_single_choice_gives_one_option_row():
    q = question_with_options(PollFactory(), Question.Kind.SINGLE, ["Ja", "Nej"])
    rows, error = check(q, {f"q{q.pk}": [str(options(q)["o1"].pk)]})
    assert error is None
    assert rows == [AnswerRow(q.pk, option_id=options(q)["o1"].pk)]


def test_single_choice_refuses_a_missing_a_forged_and_two_answers():
    q = question_with_options(PollFactory(), Question.Kind.SINGLE, ["Ja", "Nej"])
    other = question_with_options(q.poll, Question.Kind.SINGLE, ["X"])
    assert check(q, {})[1] == "Please choose an answer."
    assert check(q, {f"q{q.pk}": [str(other.options.get().pk)]})[1] == (
        "Please choose one of the options."
    )
    both = [str(o.pk) for o in q.options.all()]
    assert check(q, {f"q{q.pk}": both})[1] == "Please choose one of the options."


def test_an_optional_question_may_be_left_empty():
    q = question_with_options(PollFactory(), Question.Kind.SINGLE, ["Ja"], required=False)
    assert check(q, {}) == ([], None)


# --- multiple choice ----------------------------------------------------------------------------


@pytest.fixture
def measures():
    return question_with_options(
        PollFactory(),
        Question.Kind.MULTIPLE,
        [
            ("tid", "Mer tid", "More time"),
            ("resurser", "Mer resurser", "More resources"),
            ("annat", "Annat", "Other", {"anchored": True}),
            ("vet_ej", "Vet ej", "Don't know", {"exclusive": True, "is_dont_know": True}),
        ],
    )


def test_multiple_choice_gives_one_row_per_chosen_option(measures):
    o = options(measures)
    rows, error = check(measures, {f"q{measures.pk}": [str(o["tid"].pk), str(o["annat"].pk)]})
    assert error is None
    assert {r.option_id for r in rows} == {o["tid"].pk, o["annat"].pk}


def test_an_exclusive_option_cannot_be_combined_with_others(measures):
    o = options(measures)
    name = f"q{measures.pk}"
    _rows, error = check(measures, {name: [str(o["tid"].pk), str(o["vet_ej"].pk)]})
    assert error == "“Don't know” cannot be combined with other answers."
    rows, error = check(measures, {name: [str(o["vet_ej"].pk)]})
    assert error is None and [r.option_id for r in rows] == [o["vet_ej"].pk]


def test_multiple_choice_required_and_at_most(measures):
    assert check(measures, {})[1] == "Please choose at least one option."
    measures.max_choices = 1
    measures.save()
    o = options(measures)
    error = check(measures, {f"q{measures.pk}": [str(o["tid"].pk), str(o["annat"].pk)]})[1]
    assert error == "Please choose no more than 1."


def test_multiple_choice_is_saved_as_rows_never_as_a_list(measures):
    invitation, _token = invitation_with_token(measures.poll)
    o = options(measures)
    response_submit(
        invitation=invitation,
        answers=[
            AnswerRow(measures.pk, option_id=o["tid"].pk),
            AnswerRow(measures.pk, option_id=o["resurser"].pk),
        ],
    )
    assert sorted(Answer.objects.values_list("option__code", "text", "value")) == [
        ("resurser", None, None),
        ("tid", None, None),
    ]


# --- scale --------------------------------------------------------------------------------------


@pytest.fixture
def scale():
    return question_with_options(
        PollFactory(),
        Question.Kind.SCALE,
        [("vet_ej", "Vet ej", "Don't know", {"is_dont_know": True})],
        scale_min=1,
        scale_max=5,
        label_low_en="Very dissatisfied",
        label_high_en="Very satisfied",
    )


def test_a_scale_point_is_a_value_and_dont_know_an_option(scale):
    name = f"q{scale.pk}"
    assert check(scale, {name: ["4"]}) == ([AnswerRow(scale.pk, value=Decimal(4))], None)
    dont_know = scale.options.get()
    rows, _error = check(scale, {name: [f"o{dont_know.pk}"]})
    assert rows == [AnswerRow(scale.pk, option_id=dont_know.pk)]


@pytest.mark.parametrize("value", ["0", "6", "4.5", "o999999", "x"])
def test_a_scale_refuses_what_is_not_on_it(scale, value):
    assert check(scale, {f"q{scale.pk}": [value]})[1] == "Please choose one of the options."


def test_a_scale_shows_its_end_labels_on_its_end_points(client, scale):
    _invitation, token = invitation_with_token(scale.poll)
    html = client.get(reverse("answer", args=[token])).content.decode()
    assert html.index('value="1"') < html.index("Very dissatisfied") < html.index('value="2"')
    assert html.index('value="5"') < html.index("Very satisfied")


# --- number -------------------------------------------------------------------------------------


@pytest.fixture
def hours():
    return QuestionFactory(
        kind=Question.Kind.NUMBER, number_min=Decimal(0), number_max=Decimal(80), decimal_places=1
    )


@pytest.mark.parametrize(
    "typed, value",
    [("37", "37"), ("37,5", "37.5"), ("37.5", "37.5"), (" 40 ", "40"), ("0", "0"), ("80", "80")],
)
def test_a_number_accepts_swedish_and_english_decimals(hours, typed, value):
    assert check(hours, {f"q{hours.pk}": [typed]}) == (
        [AnswerRow(hours.pk, value=Decimal(value))],
        None,
    )


@pytest.mark.parametrize(
    "typed, message",
    [
        ("abc", "Please enter a number, for example 12."),
        ("1e3", "Please enter a number, for example 12."),
        ("NaN", "Please enter a number, for example 12."),
        ("37,25", "Please use at most 1 decimals."),
        ("-1", "Please enter a number from 0 to 80."),
        ("80,1", "Please enter a number from 0 to 80."),
    ],
)
def test_a_number_refuses_what_is_not_a_number_in_bounds(hours, typed, message):
    assert check(hours, {f"q{hours.pk}": [typed]})[1] == message


def test_a_whole_number_question_refuses_decimals_and_huge_numbers():
    q = QuestionFactory(kind=Question.Kind.NUMBER)
    assert check(q, {f"q{q.pk}": ["3,5"]})[1] == "Please enter a whole number."
    assert check(q, {f"q{q.pk}": ["1 000"]})[0] == [AnswerRow(q.pk, value=Decimal(1000))]
    assert check(q, {f"q{q.pk}": ["1" * 12]})[1] == "That number is too large."
    assert check(q, {})[1] == "Please enter a number."


def test_one_sided_bounds_say_so():
    q = QuestionFactory(kind=Question.Kind.NUMBER, number_min=Decimal(18))
    assert check(q, {f"q{q.pk}": ["17"]})[1] == "Please enter a number of at least 18."


# --- free text ----------------------------------------------------------------------------------


def test_free_text_is_trimmed_and_limited():
    q = QuestionFactory(kind=Question.Kind.TEXT, text_max_length=10)
    name = f"q{q.pk}"
    assert check(q, {name: ["  Mer tid  "]}) == ([AnswerRow(q.pk, text="Mer tid")], None)
    assert check(q, {name: ["x" * 11]})[1] == (
        "Please shorten your answer to 10 characters (it has 11)."
    )
    # A line break counts once, as the browser's maxlength counts it.
    assert check(q, {name: ["abcd\r\nefgh"]})[0] == [AnswerRow(q.pk, text="abcd\nefgh")]
    assert check(q, {name: ["   "]})[1] == "Please write an answer."


# --- ranking ------------------------------------------------------------------------------------


@pytest.fixture
def ranking():
    return question_with_options(
        PollFactory(),
        Question.Kind.RANKING,
        ["Lön", "Arbetsmiljö", "Arbetstid", "Pension"],
        max_choices=2,
    )


def ranked(question, *codes):
    o = options(question)
    return {f"q{question.pk}_{place}": [str(o[c].pk)] for place, c in enumerate(codes, 1) if c}


def test_a_ranking_gives_the_top_k_with_their_ranks(ranking):
    o = options(ranking)
    rows, error = check(ranking, ranked(ranking, "o2", "o0"))
    assert error is None
    assert rows == [
        AnswerRow(ranking.pk, option_id=o["o2"].pk, rank=1),
        AnswerRow(ranking.pk, option_id=o["o0"].pk, rank=2),
    ]


def test_a_ranking_refuses_repeats_gaps_and_too_few(ranking):
    assert check(ranking, ranked(ranking, "o1", "o1"))[1] == "Please choose each option only once."
    assert check(ranking, ranked(ranking, None, "o1"))[1] == (
        "Please fill in the places in order, starting with place 1."
    )
    assert check(ranking, ranked(ranking, "o1"))[1] == "Please choose an option for every place."


def test_a_ranking_without_a_limit_ranks_every_option(ranking):
    ranking.max_choices = None
    ranking.save()
    sheet = AnswerSheet(poll_pages(ranking.poll), data={}, seed=1)
    assert sheet.inputs[ranking.pk].places == 4


def test_ranks_are_unique_in_the_database(ranking):
    invitation, _token = invitation_with_token(ranking.poll)
    response = response_submit(invitation=invitation, answers=[])
    o = options(ranking)
    Answer.objects.create(response=response, question=ranking, option=o["o0"], rank=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.create(response=response, question=ranking, option=o["o1"], rank=1)


# --- grid ---------------------------------------------------------------------------------------


@pytest.fixture
def grid():
    return question_with_options(
        PollFactory(),
        Question.Kind.GRID,
        [("helt", "Stämmer helt", "Entirely"), ("inte", "Stämmer inte", "Not at all")],
        rows=[("Rimlig arbetsbelastning", "Workload"), ("Stöd av chefen", "Support")],
    )


def test_a_grid_gives_one_row_per_statement(grid):
    r1, r2 = grid.rows.all()
    o = options(grid)
    data = {
        f"q{grid.pk}_r{r1.pk}": [str(o["helt"].pk)],
        f"q{grid.pk}_r{r2.pk}": [str(o["inte"].pk)],
    }
    rows, error = check(grid, data)
    assert error is None
    assert rows == [
        AnswerRow(grid.pk, option_id=o["helt"].pk, row_id=r1.pk),
        AnswerRow(grid.pk, option_id=o["inte"].pk, row_id=r2.pk),
    ]
    invitation, _token = invitation_with_token(grid.poll)
    response_submit(invitation=invitation, answers=rows)
    # The same option for two statements is two rows: unique per statement, not per option.
    assert Answer.objects.filter(question=grid).count() == 2


def test_a_grid_wants_every_statement_and_marks_the_missing_one(grid):
    r1, r2 = grid.rows.all()
    sheet = AnswerSheet(
        poll_pages(grid.poll),
        data={f"q{grid.pk}_r{r1.pk}": [str(options(grid)["helt"].pk)]},
        seed=1,
    )
    item = sheet.inputs[grid.pk]
    item.validate()
    assert item.error == "Please answer every statement."
    assert set(item.part_errors) == {f"q{grid.pk}-r{r2.pk}"}


def test_a_grid_refuses_another_questions_option(grid):
    r1, _r2 = grid.rows.all()
    other = question_with_options(grid.poll, Question.Kind.SINGLE, ["X"]).options.get()
    assert check(grid, {f"q{grid.pk}_r{r1.pk}": [str(other.pk)]})[1] == (
        "Please choose one of the options."
    )


def test_the_service_refuses_a_statement_or_option_of_another_question(grid):
    other = question_with_options(grid.poll, Question.Kind.GRID, ["X"], rows=[("Y", "Y")])
    invitation, _token = invitation_with_token(grid.poll)
    with pytest.raises(ValueError):
        response_submit(
            invitation=invitation,
            answers=[
                AnswerRow(grid.pk, option_id=grid.options.first().pk, row_id=other.rows.get().pk)
            ],
        )
    assert not Response.objects.exists()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SENT


# --- database rules for answer rows -------------------------------------------------------------


def test_an_answer_row_holds_exactly_one_kind_of_content():
    q = question_with_options(PollFactory(), Question.Kind.SINGLE, ["Ja"])
    invitation, _token = invitation_with_token(q.poll)
    response = response_submit(invitation=invitation, answers=[])
    for bad in (
        {},
        {"option": q.options.get(), "text": "ja"},
        {"value": Decimal(1), "text": "1"},
        {"text": "x", "rank": 1},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Answer.objects.create(response=response, question=q, **bad)


# --- the order of options -----------------------------------------------------------------------


def test_random_order_is_stable_per_member_and_keeps_anchored_options_in_place():
    measures = question_with_options(
        PollFactory(),
        Question.Kind.MULTIPLE,
        [
            *[(f"o{i}", f"Alternativ {i}", f"Option {i}") for i in range(6)],
            ("annat", "Annat", "Other", {"anchored": True}),
            ("vet_ej", "Vet ej", "Don't know", {"anchored": True, "exclusive": True}),
        ],
        randomize_options=True,
    )
    orders = {}
    for member in range(1, 21):
        first = [o.code for o in displayed_options(measures, seed=member)]
        again = [o.code for o in displayed_options(measures, seed=member)]
        assert first == again
        assert first[-2:] == ["annat", "vet_ej"]
        orders[member] = tuple(first)
    assert len(set(orders.values())) > 1, "every member got the same order"


def test_stable_shuffle_keeps_anchored_items_at_their_positions():
    items = ["a", "ANCHOR", "b", "c", "d", "LAST"]
    shuffled = stable_shuffle(items, seed="7:1", anchored=str.isupper)
    assert shuffled[1] == "ANCHOR" and shuffled[-1] == "LAST"
    assert sorted(shuffled) == sorted(items)
    assert stable_shuffle(items, seed="7:1", anchored=str.isupper) == shuffled


def test_the_page_shows_the_same_random_order_on_every_load(client):
    poll = PollFactory()
    measures = question_with_options(
        poll,
        Question.Kind.MULTIPLE,
        [f"Alternativ {i}" for i in range(8)],
        randomize_options=True,
    )
    invitation, token = invitation_with_token(poll)
    url = reverse("answer", args=[token])

    def order():
        html = client.get(url).content.decode()
        return sorted((html.index(f'value="{o.pk}"'), o.code) for o in measures.options.all())

    assert order() == order()
    expected = [o.code for o in displayed_options(measures, seed=invitation.pk)]
    assert [code for _pos, code in order()] == expected


def test_scales_and_grids_are_never_shuffled(scale):
    scale.randomize_options = True
    scale.save()
    assert displayed_options(scale, seed=3) == list(scale.options.all())


# --- numbering ----------------------------------------------------------------------------------


def test_follow_ups_are_numbered_after_their_question_so_hidden_ones_leave_no_gap():
    poll = every_kind_poll()
    questions = [q for page in poll_pages(poll) for q in page.questions]
    numbers = question_numbers(questions)
    assert [numbers[q.pk] for q in questions] == ["1", "1a", "2", "3", "4", "5", "6"]


# --- the whole member journey over HTTP ---------------------------------------------------------


def test_a_member_answers_every_kind_through_the_pages(client):
    poll = every_kind_poll()
    invitation, token = invitation_with_token(poll)
    url = reverse("answer", args=[token])
    q = {question.code: question for question in poll.questions.all()}

    def opt(code, option):
        return str(q[code].options.get(code=option).pk)

    assert client.get(url).status_code == 200
    page1 = {
        "page": 0,
        "action": "next",
        f"q{q['kan_utfora'].pk}": opt("kan_utfora", "nej"),
        f"q{q['vad_kravs'].pk}": "Färre ärenden per handläggare",
        f"q{q['atgarder'].pk}": [opt("atgarder", "tid"), opt("atgarder", "annat")],
    }
    assert client.post(url, page1).status_code == 302
    page2 = {"page": 1, "action": "next", f"q{q['nojd'].pk}": "2", f"q{q['arenden'].pk}": "38"}
    assert client.post(url, page2).status_code == 302
    r1, r2 = q["pastaenden"].rows.all()
    page3 = {
        "page": 2,
        "action": "next",
        f"q{q['prioritet'].pk}_1": opt("prioritet", "lon"),
        f"q{q['prioritet'].pk}_2": opt("prioritet", "arbetstid"),
        f"q{q['prioritet'].pk}_3": opt("prioritet", "arbetsmiljo"),
        f"q{q['pastaenden'].pk}_r{r1.pk}": opt("pastaenden", "inte"),
        f"q{q['pastaenden'].pk}_r{r2.pk}": opt("pastaenden", "vet_ej"),
    }
    thanks = client.post(url, page3)
    assert thanks.status_code == 200
    assert "Thank you for answering!" in thanks.content.decode()

    response = Response.objects.get()
    rows = set(
        response.answers.values_list(
            "question__code", "option__code", "row__code", "value", "text", "rank"
        )
    )
    assert rows == {
        ("kan_utfora", "nej", None, None, None, None),
        ("vad_kravs", None, None, None, "Färre ärenden per handläggare", None),
        ("atgarder", "tid", None, None, None, None),
        ("atgarder", "annat", None, None, None, None),
        ("nojd", None, None, Decimal(2), None, None),
        ("arenden", None, None, Decimal(38), None, None),
        ("prioritet", "lon", None, None, None, 1),
        ("prioritet", "arbetstid", None, None, None, 2),
        ("prioritet", "arbetsmiljo", None, None, None, 3),
        ("pastaenden", "inte", "r0", None, None, None),
        ("pastaenden", "vet_ej", "r1", None, None, None),
    }
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.COMPLETED


def test_a_wrong_answer_is_tied_to_its_field_and_nothing_moves_on(client):
    poll = every_kind_poll()
    _invitation, token = invitation_with_token(poll)
    url = reverse("answer", args=[token])
    can = poll.questions.get(code="kan_utfora")
    measures = poll.questions.get(code="atgarder")
    page = client.post(
        url,
        {"page": 0, "action": "next", f"q{can.pk}": str(can.options.get(code="ja").pk)},
    )
    assert page.status_code == 400
    html = page.content.decode()
    name = f"q{measures.pk}"
    assert f'id="{name}-error"' in html
    assert f'aria-describedby="{name}-hint {name}-error"' in html
    assert html.count('aria-invalid="true"') == measures.options.count()
    assert f'href="#{name}-o' in html  # the summary links to the question's first box
    assert 'class="question question-multiple has-error"' in html
    # Every input has a label.
    assert html.count("<label") >= html.count('type="radio"') + html.count('type="checkbox"')
    assert "Part 1 of 3" in html
    assert not Response.objects.exists()
