"""A trend of three waves against R's survey package (tests/reference/make_trends.R): each wave
its own sample and register (2024 unweighted, 2025 and 2026 post-stratified), answered as in
trends_sample.csv; the trend flags exactly the changes R calls significant (two-sample z of
independent designs, Holm over the answers), and the estimates match to 1e-6."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
from django.utils import timezone

from polls.models import Answer, Response
from respondents.models import Member
from results.models import ResultSettings
from results.stats.trends import WaveShare, changes_between_waves
from results.trends import question_trend
from tests.factories import PollFactory, RegisterFactory, question_with_options

HERE = Path(__file__).parent / "reference"
REFERENCE = json.loads((HERE / "trends_reference.json").read_text(encoding="utf-8"))
CODES = REFERENCE["codes"]
LABELS = {"bra": "Bra", "varken": "Varken bra eller dåligt", "daligt": "Dåligt", "vet_ej": "Vet ej"}


def rows(name: str) -> list[dict]:
    with (HERE / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def three_waves():
    population = rows("trends_population.csv")
    sample = rows("trends_sample.csv")
    previous = None
    questions = {}
    for wave in REFERENCE["waves"]:
        name = wave["wave"]
        register = RegisterFactory(name=f"Register {name}", variables=["sektor", "region"])
        Member.objects.bulk_create(
            Member(
                register=register,
                number=f"{name}-{r['sektor']}-{r['region']}-{i}",
                attributes={"sektor": r["sektor"], "region": r["region"]},
            )
            for r in population
            if r["wave"] == name
            for i in range(int(r["count"]))
        )
        poll = PollFactory(
            slug=f"arbetsmiljo-{name}",
            register=register,
            reporting_variables=["sektor", "region"],
            series="arbetsmiljo",
            predecessor=previous,
        )
        question = question_with_options(
            poll,
            "single",
            [(c, LABELS[c], LABELS[c], {"is_dont_know": c == "vet_ej"}) for c in CODES],
            code="arbetsmiljo",
            predecessor=questions.get(previous.pk) if previous else None,
        )
        if wave["design"] == "poststrat":
            ResultSettings.objects.create(
                poll=poll, weighting="poststrat", weight_by=["sektor", "region"]
            )
        options = {o.code: o for o in question.options.all()}
        responses, answers = [], []
        for r in sample:
            if r["wave"] != name:
                continue
            response = Response(
                poll=poll,
                submitted_on=timezone.localdate(),
                attributes={"sektor": r["sektor"], "region": r["region"]},
            )
            responses.append(response)
            answers.append(
                Answer(response=response, question=question, option=options[r["answer"]])
            )
        Response.objects.bulk_create(responses)
        Answer.objects.bulk_create(answers)
        questions[poll.pk] = question
        previous = poll
    return question


def test_the_trend_statistics_agree_with_r_from_rs_own_estimates():
    series = {
        code: [WaveShare(**w["estimates"][code]) for w in REFERENCE["waves"]] for code in CODES
    }
    changes = changes_between_waves(series)
    for expected in REFERENCE["changes"]:
        w = [x["wave"] for x in REFERENCE["waves"]].index(expected["to"])
        change = changes[expected["code"]][w]
        assert change.difference == pytest.approx(expected["difference"], abs=1e-12)
        assert change.se == pytest.approx(expected["se"], abs=1e-12)
        assert change.p_adjusted == pytest.approx(expected["p_holm"], abs=1e-12)
        assert change.significant is expected["significant"]


@pytest.mark.django_db
def test_a_trend_of_three_waves_flags_exactly_what_r_calls_significant():
    latest = three_waves()
    trend = question_trend(question=latest, language="sv")
    assert [w.label for w in trend.waves] == ["2024", "2025", "2026"]
    assert [w.weighting for w in trend.waves] == ["none", "poststrat", "poststrat"]
    options = {o.code: o for o in trend.options}
    for w, wave in enumerate(REFERENCE["waves"]):
        assert trend.waves[w].n == wave["n"]
        for code in CODES:
            point = options[code].points[w]
            assert point.share == pytest.approx(wave["estimates"][code]["share"], abs=1e-6)
            assert point.se == pytest.approx(wave["estimates"][code]["se"], abs=1e-6)
    flagged = Counter()
    for expected in REFERENCE["changes"]:
        w = [x["wave"] for x in REFERENCE["waves"]].index(expected["to"])
        change = options[expected["code"]].changes[w]
        assert change.difference == pytest.approx(expected["difference"], abs=1e-6)
        assert change.se == pytest.approx(expected["se"], abs=1e-6)
        # R's stacked svyglm gives the same standard error: the waves are independent.
        assert change.se == pytest.approx(expected["se_svyglm"], abs=1e-6)
        assert change.p_value == pytest.approx(expected["p_value"], abs=1e-6)
        assert change.p_adjusted == pytest.approx(expected["p_holm"], abs=1e-6)
        assert change.significant is expected["significant"]
        flagged[change.significant] += 1
        expected_text = (
            "Förändringen är större än felmarginalen"
            if expected["significant"]
            else "Förändringen är inom felmarginalen"
        )
        assert change.flag_text == expected_text
    # The data hold both kinds: some changes beyond the margin of error, most within it.
    assert flagged[True] >= 1 and flagged[False] >= 1
    assert options["bra"].changes[0] is None
