"""The analysis choices an editor makes on the dashboard (issue 11): "don't know" per question,
t-based intervals, and every pair of groups of a breakdown, in the dashboard and the API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from results.models import ResultSettings
from staff.audit import AuditEntry
from tests.factories import staff_user
from tests.test_weighted_results import seeded_poll


@pytest.fixture
def seeded(db):
    return seeded_poll()


@pytest.fixture
def editor_client(client, db):
    client.force_login(staff_user("Editor"))
    return client


def api(client, poll, **params):
    response = client.get(reverse("api-poll-results", args=[poll.slug]), params)
    assert response.status_code == 200, response.content
    return response.json()


def question(body, code):
    return next(q for q in body["questions"] if q["code"] == code)


def save_choices(client, poll, **fields):
    data = {"dont_know": "include", "ci_df": "normal", **fields}
    return client.post(reverse("poll-analysis-settings", args=[poll.slug]), data)


def test_leaving_dont_know_out_of_one_question_changes_its_numbers_and_stated_base(
    editor_client, seeded
):
    poll = seeded.poll
    before = question(api(editor_client, poll), "enig")
    assert before["dont_know"] == "include"
    assert "vet_ej" in [o["code"] for o in before["total"]["options"]]
    dashboard = editor_client.get(reverse("poll-results", args=[poll.slug]))
    assert "”Vet ej” i enig:" in dashboard.content.decode()  # the per-question choice

    response = save_choices(editor_client, poll, dk_enig="exclude")
    assert response.status_code == 302

    after = question(api(editor_client, poll), "enig")
    people = seeded.people
    dont_know = sum(1 for p in people if p["enig"] == "vet_ej")
    answered = sum(1 for p in people if p["enig"] in ("ja", "nej"))
    assert after["dont_know"] == "exclude" and after["dont_know_excluded"]
    assert [o["code"] for o in after["total"]["options"]] == ["ja", "nej"]
    assert after["total"]["n"] == answered == before["total"]["n"] - dont_know
    ja_before = before["total"]["options"][0]["share"]
    assert after["total"]["options"][0]["share"] == pytest.approx(
        ja_before * before["total"]["n"] / answered
    )
    assert f"{dont_know}" in after["base_text"] and str(answered) in after["base_text"]
    # the other questions keep the poll-wide choice
    assert question(api(editor_client, poll), "nojd")["dont_know"] == "include"
    # the dashboard states the base next to the numbers
    page = editor_client.get(reverse("poll-results", args=[poll.slug])).content.decode()
    assert f"Bas: {answered} svarande." in page
    assert "lämnas utanför basen" in page
    entry = AuditEntry.objects.get(action="results.analysis_settings")
    assert entry.details["dont_know_by_question"] == {"enig": "exclude"}


def test_a_bad_choice_is_refused_and_changes_nothing(editor_client, seeded):
    response = save_choices(editor_client, seeded.poll, dk_enig="maybe")
    assert response.status_code == 400
    assert not ResultSettings.objects.filter(poll=seeded.poll).exists()


def test_the_api_takes_dont_know_per_question_and_refuses_bad_ones(editor_client, seeded):
    poll = seeded.poll
    body = api(editor_client, poll, dont_know_q="enig:exclude")
    assert question(body, "enig")["dont_know_excluded"]
    assert not question(body, "nojd")["dont_know_excluded"]
    body = api(editor_client, poll, dont_know="exclude", dont_know_q="nojd:include")
    assert question(body, "enig")["dont_know_excluded"]
    assert not question(body, "nojd")["dont_know_excluded"]
    url = reverse("api-poll-results", args=[poll.slug])
    for params in ({"dont_know_q": "enig"}, {"dont_know_q": "nope:exclude"}, {"dont_know": "x"}):
        response = editor_client.get(url, params)
        assert response.status_code == 400
        assert response.json()["param"] in ("dont_know_q", "dont_know")


def test_t_intervals_are_an_option_of_the_api_and_the_settings(editor_client, seeded):
    poll = seeded.poll
    normal = api(editor_client, poll, by="sektor")
    t = api(editor_client, poll, by="sektor", ci_df="t")
    assert t["ci_df"] == "t" and normal["ci_df"] == "normal"
    stat = next(g for g in question(t, "enig")["groups"] if g["group"] == "Stat")
    stat_normal = next(g for g in question(normal, "enig")["groups"] if g["group"] == "Stat")
    option, option_normal = stat["options"][0], stat_normal["options"][0]
    assert option["df"] == stat["n"] - 1 and option_normal["df"] is None
    assert option["ci_high"] - option["ci_low"] > option_normal["ci_high"] - option_normal["ci_low"]
    assert (
        editor_client.get(reverse("api-poll-results", args=[poll.slug]), {"ci_df": "z"}).status_code
        == 400
    )
    save_choices(editor_client, poll, ci_df="t")
    assert api(editor_client, poll)["ci_df"] == "t"
    page = editor_client.get(reverse("poll-results", args=[poll.slug])).content.decode()
    assert "Students t" in page


def test_every_pair_of_groups_is_in_the_api_and_the_dashboard(editor_client, seeded):
    poll = seeded.poll
    body = api(editor_client, poll, by="sektor")
    pairs = question(body, "enig")["total"]["options"][0]["pairs"]
    assert {(p["group"], p["versus"]) for p in pairs} == {
        ("Kommun", "Region"),
        ("Kommun", "Stat"),
        ("Region", "Stat"),
    }
    for p in pairs:
        assert 0 <= p["p_value"] <= p["p_adjusted"] <= 1
    assert question(body, "enig")["total"]["options"][0]["code"] == "ja"
    kommun_stat = next(p for p in pairs if p["versus"] == "Stat" and p["group"] == "Kommun")
    assert kommun_stat["significant"]
    page = editor_client.get(
        reverse("poll-results", args=[poll.slug]), {"by": "sektor"}
    ).content.decode()
    assert "Skillnaden är statistiskt säkerställd" in page
    assert "Skillnaden är inom felmarginalen" in page
    assert "Kommun – Stat" in page


def test_the_methodology_states_the_variance_of_the_weighting(editor_client, seeded):
    poll = seeded.poll
    body = api(editor_client, poll, weights="poststrat", weight_by="sektor")
    assert "strata" in body["variance"]
    page = editor_client.get(
        reverse("poll-results", args=[poll.slug]), {"weights": "poststrat", "weight_by": "sektor"}
    ).content.decode()
    assert "viktningscellerna som strata" in page
