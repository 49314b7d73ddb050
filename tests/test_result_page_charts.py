"""Each chart of a result page fits its question: horizontal bars with intervals for choices,
a diverging stacked bar for a scale, grouped bars for a breakdown."""

import re
from decimal import Decimal

import pytest

from polls.answering.responses import AnswerRow, response_submit
from polls.models import Question
from respondents.models import Member
from results.models import ResultBlock, ResultPage
from results.publishing import page_snapshot
from tests.factories import (
    PollFactory,
    QuestionFactory,
    RegisterFactory,
    invitation_with_token,
    single_choice_question,
)

# 60 answers on a scale of 1-5: 6, 9, 12, 18, 15.
VALUES = [1] * 6 + [2] * 9 + [3] * 12 + [4] * 18 + [5] * 15


@pytest.fixture
def page(db):
    register = RegisterFactory()
    Member.objects.bulk_create(
        Member(register=register, number=f"S{n}", email=f"s{n}@example.org") for n in range(800)
    )
    poll = PollFactory(register=register, slug="skalor", reporting_variables=["sektor"])
    choice = single_choice_question(poll, labels=("Ja", "Nej"))
    scale = QuestionFactory(
        poll=poll, kind=Question.Kind.SCALE, scale_min=1, scale_max=5, text_sv="Hur nöjd?"
    )
    yes, no = choice.options.order_by("order")
    for i, value in enumerate(VALUES):
        invitation, _token = invitation_with_token(
            poll, attributes={"sektor": "kommun" if i % 2 else "region"}
        )
        rows = [
            AnswerRow(question_id=choice.pk, option_id=(yes if i % 3 else no).pk),
            AnswerRow(question_id=scale.pk, value=Decimal(value)),
        ]
        response_submit(invitation=invitation, answers=rows)
    page = ResultPage.objects.create(poll=poll, slug="skalor", title="Skalor")
    ResultBlock.objects.create(page=page, order=0, kind="chart", question=choice)
    ResultBlock.objects.create(page=page, order=1, kind="chart", question=scale)
    ResultBlock.objects.create(page=page, order=2, kind="chart", question=choice, by="sektor")
    return page


def figures(page):
    blocks = page_snapshot(page)["languages"]["sv"]["blocks"]
    return [b["parts"][0]["figure"] for b in blocks]


def test_a_choice_is_drawn_as_horizontal_bars_with_their_intervals(page):
    choice, _scale, _breakdown = figures(page)
    [bars] = choice["data"]
    assert bars["orientation"] == "h" and choice["layout"].get("barmode") is None
    assert bars["y"][0].startswith("Ja")
    assert all(high > 0 for high in bars["error_x"]["array"])  # every bar has its interval


def test_a_scale_is_drawn_as_a_diverging_stacked_bar(page):
    _choice, scale, _breakdown = figures(page)
    assert scale["layout"]["barmode"] == "relative"
    x = {}
    for trace in scale["data"]:
        label = trace["name"].split()[0]
        x.setdefault(label, []).append(trace["x"][0])
    # Low points to the left of zero, high ones to the right, the middle split across it.
    assert x["1"][0] == pytest.approx(-10) and x["2"][0] == pytest.approx(-15)
    assert sorted(x["3"]) == pytest.approx([-10, 10])
    assert x["4"][0] == pytest.approx(30) and x["5"][0] == pytest.approx(25)
    # Each point's share and 95 % interval stand in the legend, once per point.
    legend = [t["name"] for t in scale["data"] if t["showlegend"]]
    assert len(legend) == 5
    assert all(re.search(r"\d+\xa0% \(\d+\xa0%–\d+\xa0%\)$", name) for name in legend)
    assert scale["layout"]["xaxis"]["ticktext"][0] == scale["layout"]["xaxis"]["ticktext"][-1]


def test_a_breakdown_is_drawn_as_grouped_bars_one_colour_a_group(page):
    _choice, _scale, breakdown = figures(page)
    assert breakdown["layout"]["barmode"] == "group"
    assert sorted(t["name"] for t in breakdown["data"]) == ["kommun", "region"]
    assert all(t["error_x"]["array"] for t in breakdown["data"])
    assert len({t["marker"]["color"] for t in breakdown["data"]}) == 2
