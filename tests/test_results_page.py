"""Staff see a chart per question with intervals, n, and the poll's margin of error."""

import json
import re

import pytest
from django.urls import reverse

from polls.answering.responses import response_submit
from respondents.models import Member
from tests.factories import (
    PollFactory,
    RegisterFactory,
    UserFactory,
    invitation_with_token,
    single_choice_question,
    staff_user,
)


@pytest.fixture
def answered_poll(db):
    """A poll from a register of 10,000 with 100 answers: 60 'Ja', 40 'Nej'."""
    register = RegisterFactory()
    Member.objects.bulk_create(
        Member(register=register, number=f"P{n}", email=f"p{n}@example.org")
        for n in range(1, 10_001)
    )
    poll = PollFactory(register=register, slug="kvalitet")
    question = single_choice_question(poll, labels=("Ja", "Nej"))
    yes, no = question.options.order_by("order")
    for i in range(100):
        invitation, _token = invitation_with_token(poll)
        response_submit(invitation=invitation, choices={question.pk: (yes if i < 60 else no).pk})
    return poll


def results_page(client, poll):
    client.force_login(staff_user("Editor"))
    return client.get(reverse("poll-results", args=[poll.slug]))


def test_it_shows_a_bar_chart_with_interval_bars_per_question(client, answered_poll):
    page = results_page(client, answered_poll)
    assert page.status_code == 200
    html = page.content.decode()
    script = re.search(r'<script id="figure-0" type="application/json">(.*?)</script>', html, re.S)
    figure = json.loads(script.group(1))
    bars = figure["data"][0]
    assert bars["type"] == "bar"
    # No <b> around the share: plotly would write it as a style attribute, which the CSP refuses.
    assert bars["y"] == ["Ja  60\xa0%", "Nej  40\xa0%"]
    assert bars["x"] == pytest.approx([60.0, 40.0])
    # Wilson 95 % interval of 60/100 with n_eff = p(1-p)/se² = 99.99, where
    # se² = 0.24/99 · (1 - 100/10,100): centre 0.5963, half-width 0.0943.
    assert 60 - bars["error_x"]["arrayminus"][0] == pytest.approx(50.20, abs=0.01)
    assert 60 + bars["error_x"]["array"][0] == pytest.approx(69.06, abs=0.01)
    assert "vendor/plotly-basic.min.js" in html


def test_it_states_the_margin_of_error_in_percentage_points(client, answered_poll):
    html = results_page(client, answered_poll).content.decode()
    # 1.96 * sqrt(0.6 * 0.4 / 99 * (1 - 100/10100)) = 9.6 points is 100 z SE; what is printed
    # is the interval's longer side: 60 % has 50.20-69.06 %, 40 % has 30.94-49.80 %, so 9.8.
    assert "Statistisk felmarginal 9,8 procentenheter" in html
    assert "n = 100" in html


def test_a_poll_without_answers_says_so_instead_of_a_margin(client, db):
    poll = PollFactory()
    single_choice_question(poll)
    html = results_page(client, poll).content.decode()
    assert "Inga svar ännu" in html
    assert "Statistisk felmarginal" not in html


def test_members_and_outsiders_cannot_see_results(client, answered_poll):
    url = reverse("poll-results", args=[answered_poll.slug])
    assert client.get(url).status_code == 302
    client.force_login(UserFactory(is_staff=False))
    assert client.get(url).status_code == 403


def test_staff_home_lists_polls_with_responses(client, answered_poll):
    client.force_login(staff_user("Admin"))
    html = client.get(reverse("staff-home")).content.decode()
    assert answered_poll.title_sv in html
    assert ">100<" in html


def test_staff_home_writes_swedish_dates_and_thousands(client, db):
    import datetime
    from zoneinfo import ZoneInfo

    stockholm = ZoneInfo("Europe/Stockholm")
    opens = datetime.datetime(2026, 11, 25, 9, 0, tzinfo=stockholm)
    closes = datetime.datetime(2026, 12, 9, 17, 0, tzinfo=stockholm)
    poll = PollFactory(opens_at=opens, closes_at=closes)
    client.force_login(staff_user("Admin"))
    html = client.get(reverse("staff-home")).content.decode()
    assert "25 nov. 2026 – 9 dec. 2026" in html
    assert poll.title_sv in html


def test_the_dashboard_marks_thousands(client, answered_poll):
    html = results_page(client, answered_poll).content.decode()
    # the register's 10,000 members and the 100 invited
    assert '<span class="stat-value">10\xa0100</span>' in html
