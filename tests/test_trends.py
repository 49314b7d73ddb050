"""Trends in the dashboard, the API and on result pages (the numbers are held to R in
tests/test_trends_reference.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from results.models import ResultBlock, ResultPage
from results.publishing import page_publish
from tests.factories import PollFactory, staff_user
from tests.test_trends_reference import three_waves


@pytest.fixture
def editor(client, db):
    client.force_login(staff_user("Editor"))
    return client


def test_the_trends_page_shows_a_chart_a_table_and_which_changes_exceed_the_margin(editor, db):
    latest = three_waves()
    results = editor.get(reverse("poll-results", args=[latest.poll.slug])).content.decode()
    url = reverse("poll-trends", args=[latest.poll.slug])
    assert url in results
    response = editor.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-figure-id="trend-1"' in html and 'id="trend-1"' in html
    for label in ("2024", "2025", "2026"):
        assert label in html
    assert "förändringen är större än felmarginalen" in html
    assert "förändringen är inom felmarginalen" in html
    assert "Holm" in html
    # 2025 -> 2026: "Bra" fell by 14 points, beyond the margin of error.
    assert "Bra, 2025–2026: <strong>\N{MINUS SIGN}14</strong>" in html


def test_a_poll_without_links_says_how_to_link_it(editor, db):
    poll = PollFactory()
    html = editor.get(reverse("poll-trends", args=[poll.slug])).content.decode()
    assert "Koppla till föregående omgång" in html


def test_the_api_gives_the_series_trends_and_refuses_an_unknown_series(editor, db):
    three_waves()
    response = editor.get(reverse("api-series-trends", args=["arbetsmiljo"]))
    assert response.status_code == 200
    body = response.json()
    assert body["series"] == "arbetsmiljo"
    (question,) = body["questions"]
    assert [w["label"] for w in question["waves"]] == ["2024", "2025", "2026"]
    bra = next(o for o in question["options"] if o["code"] == "bra")
    assert bra["changes"][0] is None
    assert bra["changes"][2]["significant"] is True
    assert bra["changes"][1]["significant"] is False
    assert bra["changes"][2]["p_adjusted"] >= bra["changes"][2]["p_value"]
    assert 0 < bra["points"][0]["ci_low"] < bra["points"][0]["share"] < bra["points"][0]["ci_high"]
    missing = editor.get(reverse("api-series-trends", args=["finns-inte"]))
    assert missing.status_code == 404
    assert "finns-inte" in missing.json()["detail"]
    schema = editor.get(reverse("api-schema")).content.decode()
    assert "/api/v1/series/{series}/trends/" in schema and "SeriesTrends" in schema


def test_a_trend_block_is_frozen_when_the_page_is_published(editor, db):
    latest = three_waves()
    page = ResultPage.objects.create(poll=latest.poll, slug="arbetsmiljon", title="Arbetsmiljön")
    form = {"block-kind": "trend", "block-question": latest.pk, "block-weighted": "on"}
    editor.post(reverse("result-page-block-add", args=[latest.poll.slug, page.pk]), form)
    block = ResultBlock.objects.get(page=page)
    assert block.kind == "trend"
    version = page_publish(page=page)
    frozen = version.snapshot["languages"]["sv"]["blocks"][0]
    assert frozen["kind"] == "trend"
    assert [w["label"] for w in frozen["waves"]] == ["2024", "2025", "2026"]
    assert frozen["figure"]["data"]
    # A later wave's answers do not move the published page.
    latest.poll.responses.all().delete()
    html = editor.get(reverse("result-page-public", args=[page.slug])).content.decode()
    assert "förändringen är större än felmarginalen" in html
    assert "2026" in html and 'data-figure-id="figure-1-1"' in html


def test_a_trend_block_needs_a_linked_question(editor, db):
    poll = PollFactory()
    from tests.factories import single_choice_question

    question = single_choice_question(poll)
    page = ResultPage.objects.create(poll=poll, slug="sida", title="Sida")
    form = {"block-kind": "trend", "block-question": question.pk}
    response = editor.post(reverse("result-page-block-add", args=[poll.slug, page.pk]), form)
    assert response.status_code == 302
    assert not ResultBlock.objects.filter(page=page).exists()
