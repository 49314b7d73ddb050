"""Every "±" and every "felmarginal" agrees with the interval shown beside it (issue 13).

The ± is the larger distance from the estimate to an end of its interval, never 100 z SE (which
is 0 at a share of 0 or 100 % while the Wilson interval is not); the poll's range is never 0 when
an interval has width; a mean of one answer has no interval. On the dashboard (the texts a user
reads) and in the API, at n = 1, 2, 5, at 0 and 100 %, unweighted and weighted.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from polls.answering.responses import AnswerRow, response_submit
from polls.models import Question
from respondents.models import Member
from results.presenting import plus_minus_text
from tests.factories import (
    PollFactory,
    QuestionFactory,
    RegisterFactory,
    invitation_with_token,
    single_choice_question,
    staff_user,
)

NBSP = "\u00a0"
# a row of the table under a chart: answer, count, share, interval, ±
ROW = re.compile(
    r'<th scope="row">(?P<label>[^<]+)</th>\s*<td class="num[^"]*"[^>]*>(?P<count>[^<]*)</td>\s*'
    r'<td class="num"[^>]*>(?P<share>\d+)\xa0%</td>\s*'
    r'<td class="num"[^>]*>(?P<low>\d+)–(?P<high>\d+)\xa0%</td>\s*'
    r'<td class="num"[^>]*>±(?P<pm>[\d,]+)</td>'
)
MOE = re.compile(r"Statistisk felmarginal ([\d,]+)(?:–([\d,]+))? procentenheter")


def number(text: str) -> float:
    return float(text.replace(",", ".").replace(NBSP, ""))


def make_poll(*, members=100, sectors=("Kommun",), scale=False, labels=("Ja", "Nej")):
    register = RegisterFactory(variables=["sektor"])
    Member.objects.bulk_create(
        Member(
            register=register,
            number=f"M{i}",
            email=f"m{i}@example.org",
            attributes={"sektor": sectors[i % len(sectors)]},
        )
        for i in range(members)
    )
    poll = PollFactory(register=register, slug="felmarginal", reporting_variables=["sektor"])
    question = single_choice_question(poll, labels=labels)
    scale_question = None
    if scale:
        scale_question = QuestionFactory(
            poll=poll, kind=Question.Kind.SCALE, scale_min=1, scale_max=5, text_sv="Hur nöjd?"
        )
    return poll, question, scale_question


def answer(poll, question, label, *, sektor="Kommun", scale_question=None, value=None):
    invitation, _token = invitation_with_token(poll, attributes={"sektor": sektor})
    rows = [AnswerRow(question_id=question.pk, option_id=question.options.get(label_sv=label).pk)]
    if scale_question is not None and value is not None:
        rows.append(AnswerRow(question_id=scale_question.pk, value=Decimal(value)))
    response_submit(invitation=invitation, answers=rows)


@pytest.fixture
def editor(client, db):
    client.force_login(staff_user("Editor"))
    return client


def dashboard(client, poll, **query) -> str:
    response = client.get(reverse("poll-results", args=[poll.slug]), query)
    assert response.status_code == 200
    return response.content.decode()


def api(client, poll, **query) -> dict:
    response = client.get(reverse("api-poll-results", args=[poll.slug]), query)
    assert response.status_code == 200
    return response.json()


def assert_rows_agree(html: str) -> list[re.Match]:
    """Each row's ± is > 0 and is the larger distance from the share to its interval's ends
    (to the rounding of the whole percents shown)."""
    rows = list(ROW.finditer(html))
    assert rows, "no result table"
    for row in rows:
        share, low, high = (int(row[name]) for name in ("share", "low", "high"))
        pm = number(row["pm"])
        assert high > low
        assert pm > 0, row.group(0)
        assert abs(pm - max(share - low, high - share)) <= 1.0, row.group(0)
    return rows


def headline(html: str) -> tuple[float, float]:
    match = MOE.search(html)
    assert match, "no margin-of-error sentence"
    low = number(match[1])
    return low, number(match[2]) if match[2] else low


# --------------------------------------------------------------------------- the dashboard


@pytest.mark.parametrize("n", [1, 2, 5])
def test_every_plus_minus_agrees_with_its_interval(editor, n):
    poll, question, _scale = make_poll()
    for i in range(n):
        answer(poll, question, "Ja" if i % 2 == 0 else "Nej")
    html = dashboard(editor, poll)
    rows = assert_rows_agree(html)
    low, high = headline(html)
    assert low > 0
    assert high == pytest.approx(max(number(r["pm"]) for r in rows), abs=0.05)
    assert "Statistisk felmarginal 0 procentenheter" not in html
    assert "±0," not in html and "±0<" not in html


def test_one_answer_gives_the_whole_interval_as_its_margin(editor):
    poll, question, _scale = make_poll()
    answer(poll, question, "Ja")
    html = dashboard(editor, poll)
    rows = {r["label"]: r for r in assert_rows_agree(html)}
    # Wilson at n_eff = 1 / (1 - 1/101): Ja 100 % (21–100 %), Nej 0 % (0–79 %)
    assert (rows["Ja"]["share"], rows["Ja"]["low"], rows["Ja"]["high"]) == ("100", "21", "100")
    assert (rows["Nej"]["share"], rows["Nej"]["low"], rows["Nej"]["high"]) == ("0", "0", "79")
    assert rows["Ja"]["pm"] == rows["Nej"]["pm"]
    assert number(rows["Nej"]["pm"]) == pytest.approx(79.3, abs=0.3)
    assert f"Statistisk felmarginal {rows['Nej']['pm']} procentenheter" in html


@pytest.mark.parametrize("n", [5, 12])
def test_shares_of_0_and_100_percent_have_a_margin(editor, n):
    poll, question, _scale = make_poll()
    for _i in range(n):
        answer(poll, question, "Ja")
    html = dashboard(editor, poll)
    rows = {r["label"]: r for r in assert_rows_agree(html)}
    assert rows["Ja"]["share"] == "100" and rows["Nej"]["share"] == "0"
    assert headline(html)[0] > 0


def test_a_mean_of_one_answer_has_no_interval(editor):
    poll, question, scale = make_poll(scale=True)
    answer(poll, question, "Ja", scale_question=scale, value=2)
    html = dashboard(editor, poll)
    assert "Medelvärde: <strong>2,0</strong>" in html
    assert "inget intervall: för få svar, n = 1" in html
    assert "2,0–2,0" not in html


def test_a_mean_of_two_answers_has_its_interval(editor):
    poll, question, scale = make_poll(scale=True)
    answer(poll, question, "Ja", scale_question=scale, value=2)
    answer(poll, question, "Nej", scale_question=scale, value=4)
    html = dashboard(editor, poll)
    assert "för få svar" not in html
    mean = re.search(r"95 % intervall (?P<low>\d+,\d)–(?P<high>\d+,\d), ±(?P<pm>\d+,\d)", html)
    assert mean, "no interval of the mean"
    low, high, pm = (number(mean[k]) for k in ("low", "high", "pm"))
    assert low < 3.0 < high
    assert pm == pytest.approx(max(3.0 - low, high - 3.0), abs=0.051)


def test_the_methodology_says_what_the_plus_minus_is(editor):
    poll, question, _scale = make_poll()
    answer(poll, question, "Ja")
    html = dashboard(editor, poll)
    assert "den längre av avstånden till intervallets två ändar" in html


def test_a_census_says_0_because_no_interval_has_width(editor, db):
    poll, question, _scale = make_poll(members=0)
    for label in ("Ja", "Nej", "Ja"):
        answer(poll, question, label)  # each invitation adds its member: all 3 answered
    html = dashboard(editor, poll)
    assert "Statistisk felmarginal 0 procentenheter" in html
    assert "hela populationen svarade" in html


@pytest.fixture
def sectors_poll(db):
    """Kommun (6 answers) all said Ja, Region (5) 3 Ja and 2 Nej, nobody Vet ej: shares of 0
    and 100 % overall and in the groups."""
    poll, question, _scale = make_poll(
        members=300, sectors=("Kommun", "Region"), labels=("Ja", "Nej", "Vet ej")
    )
    for _i in range(6):
        answer(poll, question, "Ja", sektor="Kommun")
    for label in ("Ja", "Ja", "Ja", "Nej", "Nej"):
        answer(poll, question, label, sektor="Region")
    return poll


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"weights": "poststrat", "weight_by": "sektor"},
        {"weights": "rake", "weight_by": "sektor"},
    ],
)
def test_weighted_shares_agree_with_their_intervals(editor, sectors_poll, query):
    html = dashboard(editor, sectors_poll, **query)
    assert_rows_agree(html)
    assert headline(html)[0] > 0


@pytest.mark.parametrize("query", [{}, {"weights": "poststrat", "weight_by": "sektor"}])
def test_a_breakdown_gives_the_groups_range_beside_the_polls(editor, sectors_poll, query):
    html = dashboard(editor, sectors_poll, by="sektor", **query)
    match = re.search(
        r"Statistisk felmarginal (?P<poll>[\d,–]+) procentenheter för hela undersökningen, "
        r"(?P<groups>[\d,–]+) procentenheter i grupperna som visas",
        html,
    )
    assert match, "the headline does not say whose range it is"
    cells = [number(pm) for pm in re.findall(r'<span class="muted pm">±([\d,]+)</span>', html)]
    assert cells and min(cells) > 0
    groups = [number(part) for part in match["groups"].split("–")]
    # the groups' range covers every ± in the cells (those are rounded to whole points)
    assert groups[0] <= min(cells) + 0.5 and max(cells) <= groups[-1] + 0.5
    assert "±0<" not in html and ">±0</span>" not in html


# --------------------------------------------------------------------------- the API


@pytest.mark.parametrize("n", [1, 2, 5])
def test_the_api_gives_the_plus_minus_of_the_interval(editor, n):
    poll, question, scale = make_poll(scale=True)
    for i in range(n):
        answer(poll, question, "Ja", scale_question=scale, value=1 + i % 5)
    body = api(editor, poll)
    options = body["questions"][0]["total"]["options"]
    for option in options:
        expected = 100 * max(
            option["share"] - option["ci_low"], option["ci_high"] - option["share"]
        )
        assert option["plus_minus_pp"] == pytest.approx(expected)
        assert option["plus_minus_pp"] > 0
    assert options[1]["share"] == 0 and options[1]["moe_pp"] == 0  # 100 z SE: not for print
    low, high = body["moe_range_pp"]
    every = [o["plus_minus_pp"] for q in body["questions"] for o in q["total"]["options"]]
    assert low > 0
    assert (low, high) == pytest.approx((min(every), max(every)))
    mean = body["questions"][1]["total"]["mean"]
    if n == 1:
        assert mean["too_few"] is True
        assert (mean["ci_low"], mean["ci_high"], mean["plus_minus"]) == (None, None, None)
    else:
        assert mean["too_few"] is False
        assert mean["plus_minus"] == pytest.approx(mean["ci_high"] - mean["mean"])


@pytest.mark.parametrize(
    "query",
    [{"weights": "poststrat", "weight_by": "sektor"}, {"weights": "rake", "weight_by": "sektor"}],
)
def test_the_api_gives_the_groups_range_in_a_weighted_breakdown(editor, sectors_poll, query):
    body = api(editor, sectors_poll, by="sektor", **query)
    cells = [
        o["plus_minus_pp"]
        for g in body["questions"][0]["groups"]
        if not g["suppressed"]
        for o in g["options"]
    ]
    assert cells and min(cells) > 0
    assert body["moe_range_groups_pp"] == pytest.approx([min(cells), max(cells)])
    assert body["moe_range_pp"][0] > 0


def test_plus_minus_texts_never_say_zero_for_a_width():
    assert plus_minus_text(9.84, 1, "sv") == "±9,8"
    assert plus_minus_text(0.3, 0, "sv") == "±0,3"
    assert plus_minus_text(0.01, 0, "sv") == "±<0,1"
    assert plus_minus_text(0.0, 1, "en") == "±0.0"
