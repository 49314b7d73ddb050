"""Open-link polls: anyone with /p/<slug>/ answers, once per browser, and the results never
pretend to be a random sample."""

import re

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from polls.answering.open_link import COOKIE_SALT
from polls.answering.responses import PollNotOpen, open_response_submit
from polls.models import Answer, Draft, Invitation, Poll, Response
from tests.factories import (
    MemberFactory,
    PollFactory,
    RegisterFactory,
    open_link_poll_with_pages,
    single_choice_question,
    staff_user,
)


@pytest.fixture
def poll(db):
    return open_link_poll_with_pages()


def link(poll) -> str:
    return reverse("open-answer", args=[poll.slug])


def cookie_name(poll) -> str:
    return f"mr_answered_{poll.pk}"


def options(poll):
    """[(question, {label: option})] per page."""
    return [
        (q, {o.label_sv: o for o in q.options.all()})
        for q in poll.questions.order_by("section__order")
    ]


def answer_all(client, poll, first="Ja", second="Mycket"):
    (q1, o1), (q2, o2) = options(poll)
    client.post(link(poll), {"page": 0, "action": "next", f"q{q1.pk}": o1[first].pk})
    return client.post(link(poll), {"page": 1, "action": "next", f"q{q2.pk}": o2[second].pk})


def text(response) -> str:
    return response.content.decode()


def unmasked(response) -> str:
    """The page without its CSRF token, which is masked afresh on each request."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text(response))


def test_a_visitor_answers_page_by_page_and_submits(client, poll):
    (q1, o1), (q2, o2) = options(poll)
    first = client.get(link(poll))
    assert first.status_code == 200
    assert "Del 1 av 2" in text(first) and "Fråga 1?" in text(first)
    assert first["Cache-Control"].startswith("max-age=0")

    moved = client.post(link(poll), {"page": 0, "action": "next", f"q{q1.pk}": o1["Nej"].pk})
    assert moved.status_code == 302 and moved["Location"] == link(poll)
    second = client.get(link(poll))
    assert "Del 2 av 2" in text(second) and "Skicka mina svar" in text(second)

    # Back keeps the answer; the answers in progress live in the session, nowhere else.
    client.post(link(poll), {"page": 1, "action": "back", f"q{q2.pk}": o2["Lite"].pk})
    again = client.get(link(poll))
    assert "Del 1 av 2" in text(again)
    assert re.search(rf'value="{o1["Nej"].pk}" id="[^"]*" checked', text(again))
    assert not Draft.objects.exists() and not Invitation.objects.exists()
    assert client.session[f"open_link:{poll.pk}"]["data"][f"q{q2.pk}"] == [str(o2["Lite"].pk)]

    thanks = answer_all(client, poll, first="Nej", second="Lite")
    assert thanks.status_code == 200
    assert "Tack för att du svarade!" in text(thanks)
    response = Response.objects.get()
    assert response.poll == poll and response.attributes == {}
    assert response.submitted_on == timezone.localdate()
    assert {(a.question_id, a.option_id) for a in Answer.objects.all()} == {
        (q1.pk, o1["Nej"].pk),
        (q2.pk, o2["Lite"].pk),
    }
    assert f"open_link:{poll.pk}" not in client.session
    cookie = thanks.cookies[cookie_name(poll)]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) > 300 * 24 * 3600


def test_a_missing_answer_keeps_the_visitor_on_the_page_and_writes_nothing(client, poll):
    page = client.post(link(poll), {"page": 0, "action": "next"})
    assert page.status_code == 400
    assert 'role="alert"' in text(page)
    (q1, o1), (_q2, _o2) = options(poll)
    client.post(link(poll), {"page": 0, "action": "next", f"q{q1.pk}": o1["Ja"].pk})
    last = client.post(link(poll), {"page": 1, "action": "next"})
    assert last.status_code == 400
    assert not Response.objects.exists()
    assert cookie_name(poll) not in last.cookies


def test_the_visitor_can_switch_to_english(client, poll):
    client.post(reverse("set_language"), {"language": "en", "next": link(poll)})
    page = client.get(link(poll))
    assert "Part 1 of 2" in text(page) and "Question 1?" in text(page)


def test_without_the_flag_the_address_is_the_unknown_link_page(client, db):
    unknown = client.get(reverse("open-answer", args=["finns-inte"]))
    assert unknown.status_code == 404 and "Länken fungerar inte" in text(unknown)
    invited = PollFactory(slug="med-inbjudan")
    single_choice_question(invited)
    for method in (client.get, client.post):
        page = method(link(invited))
        assert page.status_code == 404
        assert unmasked(page) == unmasked(unknown).replace("finns-inte", "med-inbjudan")
        assert invited.title_sv not in text(page)
    # A draft is not published yet, open link or not.
    draft = open_link_poll_with_pages(state=Poll.State.DRAFT)
    assert client.get(link(draft)).status_code == 404
    assert not Response.objects.exists()


def test_one_answer_per_browser(client, poll):
    answer_all(client, poll)
    assert Response.objects.count() == 1
    visit = client.get(link(poll))
    assert visit.status_code == 200 and "Du har redan svarat" in text(visit)
    again = answer_all(client, poll, first="Nej")
    assert "Du har redan svarat" in text(again)
    assert Response.objects.count() == 1 and Answer.objects.count() == 2


def test_another_browser_can_answer(client, poll):
    answer_all(client, poll)
    other = Client()
    assert "Del 1 av 2" in text(other.get(link(poll)))
    assert "Tack för att du svarade!" in text(answer_all(other, poll, first="Nej"))
    assert Response.objects.count() == 2


def test_the_cookie_of_one_poll_does_not_block_another(client, poll):
    answer_all(client, poll)
    other = open_link_poll_with_pages()
    assert "Del 1 av 2" in text(client.get(link(other)))


@pytest.mark.parametrize(
    "forge",
    [
        lambda poll: "x",
        lambda poll: f"{poll.pk}:tampered-signature",
        # Signed with the right key but for another poll's cookie (name and value).
        lambda poll: signing.get_cookie_signer(salt=f"mr_answered_{poll.pk + 1}{COOKIE_SALT}").sign(
            str(poll.pk + 1)
        ),
        # The right poll's value, signed with another salt.
        lambda poll: signing.get_cookie_signer(salt="other").sign(str(poll.pk)),
    ],
)
def test_a_forged_cookie_neither_blocks_nor_crashes(client, poll, forge):
    client.cookies[cookie_name(poll)] = forge(poll)
    page = client.get(link(poll))
    assert page.status_code == 200 and "Del 1 av 2" in text(page)
    assert "Tack för att du svarade!" in text(answer_all(client, poll))
    assert Response.objects.count() == 1


def test_a_closed_poll_shows_the_closed_page_and_accepts_nothing(client, poll):
    poll.state = Poll.State.CLOSED
    poll.save()
    page = client.get(link(poll))
    assert page.status_code == 200 and "stängd" in text(page)
    assert "stängd" in text(answer_all(client, poll))
    assert not Response.objects.exists()


def test_a_poll_not_yet_open_says_when_it_opens(client, poll):
    poll.opens_at = timezone.now() + timezone.timedelta(days=2)
    poll.save()
    page = client.get(link(poll))
    assert "öppnar" in text(page)
    answer_all(client, poll)
    assert not Response.objects.exists()


def test_closing_while_a_visitor_answers_refuses_the_submit(client, poll):
    (q1, o1), _second = options(poll)
    client.post(link(poll), {"page": 0, "action": "next", f"q{q1.pk}": o1["Ja"].pk})
    Poll.objects.filter(pk=poll.pk).update(state=Poll.State.CLOSED)
    page = answer_all(client, poll)
    assert "stängd" in text(page)
    assert not Response.objects.exists()
    assert cookie_name(poll) not in page.cookies


def test_the_service_refuses_a_poll_without_the_open_link(db):
    poll = PollFactory()
    question = single_choice_question(poll)
    with pytest.raises(PollNotOpen):
        open_response_submit(poll=poll, choices={question.pk: question.options.first().pk})
    assert not Response.objects.exists()


def test_the_results_show_no_margin_of_error(client, poll):
    for first in ("Ja", "Ja", "Nej"):
        answer_all(Client(), poll, first=first)
    client.force_login(staff_user("Editor"))
    body = client.get(reverse("api-poll-results", args=[poll.slug])).json()
    assert body["n_responses"] == 3
    assert body["random_sample"] is False and body["moe_range_pp"] is None
    option = body["questions"][0]["total"]["options"][0]
    assert option["share"] is not None and option["moe_pp"] is None
    page = client.get(reverse("poll-results", args=[poll.slug]))
    assert "De svarande är inte ett slumpmässigt urval" in text(page)
    assert 'id="moe"' not in text(page)


def test_an_open_link_poll_with_a_register_is_not_a_random_sample(client, db):
    register = RegisterFactory()
    MemberFactory.create_batch(20, register=register)
    poll = open_link_poll_with_pages(register=register)
    for first in ("Ja", "Nej"):
        answer_all(Client(), poll, first=first)
    client.force_login(staff_user("Editor"))
    body = client.get(reverse("api-poll-results", args=[poll.slug])).json()
    assert body["random_sample"] is False and body["moe_range_pp"] is None


def test_the_studio_creates_an_open_link_poll(client, db):
    client.force_login(staff_user("Editor"))
    form = client.get(reverse("studio-poll-new"))
    assert 'name="open_link"' in text(form)
    client.post(
        reverse("studio-poll-new"),
        {
            "title_sv": "Öppen enkät",
            "slug": "oppen",
            "organisation": "SSR",
            "contact_email": "a@b.se",
            "open_link": "on",
        },
    )
    poll = Poll.objects.get(slug="oppen")
    assert poll.open_link is True
    detail = client.get(reverse("studio-poll", args=[poll.slug]))
    assert link(poll) in text(detail)


def test_the_studio_settings_turn_the_open_link_on(client, db):
    poll = PollFactory(state=Poll.State.DRAFT)
    client.force_login(staff_user("Editor"))
    client.post(
        reverse("studio-poll-edit", args=[poll.slug]),
        {
            "title_sv": poll.title_sv,
            "slug": poll.slug,
            "organisation": poll.organisation,
            "contact_email": poll.contact_email,
            "open_link": "on",
        },
    )
    poll.refresh_from_db()
    assert poll.open_link is True
