"""Editors watch the live results: breakdowns, weighting, who answered, refreshed live."""

import re

import pytest
from django.urls import reverse

from polls.answering.responses import response_submit
from respondents.models import Member
from tests.factories import (
    PollFactory,
    RegisterFactory,
    invitation_with_token,
    single_choice_question,
    staff_user,
)

SECTORS = {"Kommun": 40, "Region": 20, "Privat": 3}


@pytest.fixture
def poll(db):
    register = RegisterFactory()
    members = []
    for sector, count in (("Kommun", 600), ("Region", 300), ("Privat", 100)):
        members += [
            Member(
                register=register,
                number=f"{sector}{n}",
                email=f"{sector}{n}@example.org",
                attributes={"sektor": sector},
            )
            for n in range(count)
        ]
    Member.objects.bulk_create(members)
    poll = PollFactory(register=register, slug="kvalitet", reporting_variables=["sektor"])
    question = single_choice_question(poll, labels=("Ja", "Nej"))
    yes, no = question.options.order_by("order")
    for sector, count in SECTORS.items():
        for i in range(count):
            invitation, _token = invitation_with_token(poll, attributes={"sektor": sector})
            choice = yes if (i % 4 != 0 if sector == "Kommun" else i % 2 == 0) else no
            response_submit(invitation=invitation, choices={question.pk: choice.pk})
    return poll


@pytest.fixture
def editor(client, db):
    client.force_login(staff_user("Editor"))
    return client


def dashboard(client, poll, **query):
    return client.get(reverse("poll-results", args=[poll.slug]), query)


def test_a_breakdown_shows_each_group_and_hides_the_small_one(editor, poll):
    html = dashboard(editor, poll, by="sektor").content.decode()
    assert "Efter sektor" in html
    for sector in ("Kommun", "Region"):
        assert f'<th scope="row">{sector}</th>' in html
    # Privat has 3 respondents, under the poll's threshold of 5: not shown, and since one hidden
    # group could be worked out from the total, the next smallest is hidden with it.
    assert "visas inte: färre än 5 svarande" in html
    assert re.search(r"<th scope=\"row\">Privat</th>\s*<td class=\"num\">–</td>", html)


def test_weighting_is_stated_with_the_effective_number_of_respondents(editor, poll):
    html = dashboard(editor, poll, weights="poststrat", weight_by="sektor").content.decode()
    assert "viktade mot registret efter sektor (efterstratifiering)" in html
    assert "effektiva svarande" in html


def test_an_impossible_choice_is_explained_not_a_crash(editor, poll):
    response = dashboard(editor, poll, weights="rake")
    assert response.status_code == 200
    assert "Vägning kräver minst en redovisningsvariabel" in response.content.decode()


def test_who_answered_compares_respondents_with_the_register(editor, poll):
    html = dashboard(editor, poll).content.decode()
    assert "Vilka som svarade" in html
    # Kommun: 60 % of the register, 40 of 63 respondents = 63 %.
    assert re.search(r"Kommun</th>\s*<td class=\"num\">60&nbsp;%</td>", html)


@pytest.mark.django_db(transaction=True)
def test_the_refresh_is_empty_until_a_new_answer_arrives(editor, poll):
    page = dashboard(editor, poll).content.decode()
    refresh = re.search(r'id="dashboard" hx-get="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert editor.get(refresh, HTTP_HX_REQUEST="true").status_code == 204

    question = poll.questions.get()
    invitation, _token = invitation_with_token(poll, attributes={"sektor": "Kommun"})
    response_submit(invitation=invitation, choices={question.pk: question.options.first().pk})
    fresh = editor.get(refresh, HTTP_HX_REQUEST="true")
    assert fresh.status_code == 200
    html = fresh.content.decode()
    assert html.startswith('<div id="dashboard"')
    assert '<span class="stat-value" id="n-responses">64</span>' in html


def test_open_answers_link_to_coding(editor, poll):
    from tests.factories import QuestionFactory

    QuestionFactory(poll=poll, kind="text", text_sv="Vad krävs?")
    html = dashboard(editor, poll).content.decode()
    assert reverse("coding-home", args=[poll.slug]) in html
