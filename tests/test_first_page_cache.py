"""Members opening their link for the first time get the first page from the process's cache
(issue 14), each with their own link and a working CSRF token; nothing else about the page may
differ from a fresh render."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from polls.answering.page_cache import forget_pages
from polls.answering.responses import displayed_options
from polls.models import Draft, Question, Response
from tests.factories import OptionFactory, PollFactory, QuestionFactory, invitation_with_token

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("needs_postgres")]

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def empty_cache():
    forget_pages()
    yield
    forget_pages()


def satisfaction_poll(*, shuffled=False):
    poll = PollFactory(title_sv="Arbetsmiljö 2026", title_en="Work environment 2026")
    question = QuestionFactory(
        poll=poll,
        code="q1",
        kind=Question.Kind.SINGLE,
        text_sv="Hur nöjd är du med din arbetsmiljö?",
        text_en="How satisfied are you with your work environment?",
        randomize_options=shuffled,
    )
    for i, label in enumerate(["Mycket", "Ganska", "Inte så", "Inte alls", "Lite", "Vet inte"]):
        OptionFactory(question=question, order=i, code=f"o{i}", label_sv=label, label_en=label)
    return poll, question


def open_link(token, client=None):
    client = client or Client(enforce_csrf_checks=True)
    response = client.get(reverse("answer", args=[token]))
    assert response.status_code == 200
    return client, response.content.decode()


def test_each_member_gets_their_own_link_and_can_submit_with_the_pages_csrf_token():
    poll, question = satisfaction_poll()
    _first, first_token = invitation_with_token(poll)
    _second, second_token = invitation_with_token(poll)

    _client, first_html = open_link(first_token)
    client, second_html = open_link(second_token)

    assert first_token in first_html and second_token not in first_html
    assert second_token in second_html and first_token not in second_html
    assert f'content="{reverse("answer-draft", args=[second_token])}"' in second_html
    # The same page but for the member's own parts.
    strip = lambda html, token: CSRF.sub("", html).replace(token, "TOKEN")  # noqa: E731
    assert strip(first_html, first_token) == strip(second_html, second_token)

    submitted = client.post(
        reverse("answer", args=[second_token]),
        {
            "csrfmiddlewaretoken": CSRF.search(second_html).group(1),
            "page": "0",
            "action": "next",
            f"q{question.pk}": question.options.get(code="o1").pk,
        },
    )
    assert submitted.status_code == 200
    assert Response.objects.filter(poll=poll).count() == 1


def test_an_edited_poll_title_shows_at_once():
    poll, _question = satisfaction_poll()
    _first, first_token = invitation_with_token(poll)
    _second, second_token = invitation_with_token(poll)
    open_link(first_token)

    poll.title_sv = "Arbetsmiljö och arbetstid 2026"
    poll.save()
    _client, html = open_link(second_token)
    assert "Arbetsmiljö och arbetstid 2026" in html


def test_the_language_the_member_chose_is_the_pages():
    poll, _question = satisfaction_poll()
    _first, first_token = invitation_with_token(poll)
    _second, second_token = invitation_with_token(poll)
    open_link(first_token)

    english = Client(enforce_csrf_checks=True)
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    _client, html = open_link(second_token, english)
    assert "How satisfied are you with your work environment?" in html
    assert "Hur nöjd är du" not in html


def test_shuffled_options_keep_each_members_own_order():
    poll, question = satisfaction_poll(shuffled=True)
    members = [invitation_with_token(poll) for _ in range(4)]
    for invitation, token in members:
        _client, html = open_link(token)
        expected = [o.label_sv for o in displayed_options(question, seed=invitation.pk)]
        shown = [
            label for label in re.findall(r"<span[^>]*>([^<]+)</span>", html) if label in expected
        ]
        assert shown == expected


def test_a_member_with_a_draft_sees_their_answers_not_the_empty_page():
    poll, question = satisfaction_poll()
    _first, first_token = invitation_with_token(poll)
    second, second_token = invitation_with_token(poll)
    open_link(first_token)
    chosen = question.options.get(code="o2")
    Draft.objects.create(invitation=second, data={f"q{question.pk}": [str(chosen.pk)]})

    _client, html = open_link(second_token)
    assert re.search(rf'value="{chosen.pk}"[^>]*checked', html)


def submit_first_page(token, question):
    client, html = open_link(token)
    return client.post(
        reverse("answer", args=[token]),
        {
            "csrfmiddlewaretoken": CSRF.search(html).group(1),
            "page": "0",
            "action": "next",
            f"q{question.pk}": question.options.get(code="o0").pk,
        },
    ).content.decode()


def test_each_member_gets_their_own_thank_you_page_with_the_latest_results_link():
    poll, question = satisfaction_poll()
    (_a, first), (_b, second), (_c, third) = (invitation_with_token(poll) for _ in range(3))

    thanks = submit_first_page(first, question)
    assert "Tack för att du svarade!" in thanks
    assert "Se undersökningens resultat" not in thanks
    thanks = submit_first_page(second, question)
    assert second in thanks and first not in thanks

    poll.results_url = "/r/arbetsmiljo-2026/"
    poll.save()
    thanks = submit_first_page(third, question)
    assert 'href="/r/arbetsmiljo-2026/"' in thanks
    assert Response.objects.filter(poll=poll).count() == 3


def three_page_poll():
    """Page 1 asks whether the member works in social services; page 2 has a follow-up shown
    only to those who do, and a question for everyone; page 3 one more."""
    from tests.factories import SectionFactory

    poll = PollFactory(title_sv="Socialtjänsten 2026")
    pages = [SectionFactory(poll=poll, order=n) for n in (1, 2, 3)]

    def single(section, code, text, labels, **extra):
        question = QuestionFactory(
            poll=poll, section=section, code=code, kind=Question.Kind.SINGLE, text_sv=text, **extra
        )
        for i, label in enumerate(labels):
            OptionFactory(question=question, order=i, code=f"{code}o{i}", label_sv=label)
        return question

    social = single(pages[0], "q1", "Arbetar du inom socialtjänsten?", ["Ja", "Nej"])
    follow_up = single(
        pages[1],
        "q2",
        "Hur ofta hinner du med dokumentationen?",
        ["Alltid", "Sällan"],
        condition_question=social,
    )
    follow_up.condition_options.set([social.options.get(code="q1o0")])
    everyone = single(pages[1], "q3", "Skulle du rekommendera yrket?", ["Ja", "Nej"], order=2)
    last = single(pages[2], "q4", "Hur länge har du arbetat?", ["<5 år", "5 år eller mer"])
    return poll, social, follow_up, everyone, last


def next_page(client, token, html, answers):
    response = client.post(
        reverse("answer", args=[token]),
        {
            "csrfmiddlewaretoken": CSRF.search(html).group(1),
            "page": re.search(r'name="page" value="(\d+)"', html).group(1),
            "action": "next",
            **answers,
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return client.get(reverse("answer", args=[token])).content.decode()


def test_a_later_page_is_drawn_once_for_members_whose_answers_show_the_same_questions():
    from polls.answering import page_cache

    poll, social, follow_up, everyone, _last = three_page_poll()
    yes, no = (social.options.get(code=c).pk for c in ("q1o0", "q1o1"))
    members = [invitation_with_token(poll)[1] for _ in range(3)]
    pages = {}
    for token, choice in zip(members, (yes, yes, no), strict=True):
        client, html = open_link(token)
        pages[token] = (client, next_page(client, token, html, {f"q{social.pk}": choice}))

    (first, (_, first_html)), (second, (client, second_html)), (_third, (_, third_html)) = (
        pages.items()
    )
    strip = lambda html, token: CSRF.sub("", html).replace(token, "TOKEN")  # noqa: E731
    # Two who said yes: the same page (from the cache for the second), each with their link.
    assert strip(first_html, first) == strip(second_html, second)
    assert second in second_html and first not in second_html
    assert "dokumentationen" in second_html and "2 av 3" in second_html
    # Who said no does not get the follow-up.
    assert "dokumentationen" not in third_html
    cached = [key for key in page_cache._cache if key[1] == "page"]
    assert len(cached) == 2  # one per set of shown questions

    # The page's CSRF token works: the second member goes on and submits.
    html = next_page(
        client,
        second,
        second_html,
        {
            f"q{follow_up.pk}": follow_up.options.first().pk,
            f"q{everyone.pk}": everyone.options.first().pk,
        },
    )
    assert "Hur länge har du arbetat?" in html


def test_a_later_page_with_the_members_own_answers_is_drawn_for_them():
    poll, social, _follow_up, everyone, _last = three_page_poll()
    token = invitation_with_token(poll)[1]
    client, html = open_link(token)
    page_two = next_page(client, token, html, {f"q{social.pk}": social.options.first().pk})
    chosen = everyone.options.get(code="q3o1")
    # The member answers on page two, goes back, and returns: their answer is on the page.
    client.post(
        reverse("answer", args=[token]),
        {
            "csrfmiddlewaretoken": CSRF.search(page_two).group(1),
            "page": re.search(r'name="page" value="(\d+)"', page_two).group(1),
            "action": "back",
            f"q{everyone.pk}": chosen.pk,
        },
    )
    html = client.get(reverse("answer", args=[token])).content.decode()
    again = next_page(client, token, html, {f"q{social.pk}": social.options.first().pk})
    assert re.search(rf'value="{chosen.pk}"[^>]*checked', again)
    other = invitation_with_token(poll)[1]
    other_client, other_html = open_link(other)
    fresh = next_page(other_client, other, other_html, {f"q{social.pk}": social.options.first().pk})
    assert not re.search(rf'value="{chosen.pk}"[^>]*checked', fresh)


def test_a_cached_pages_csrf_token_is_masked_afresh_for_every_page_and_holds_its_cookies_secret():
    """The cached pages fill in their CSRF token themselves (page_cache.csrf_token, faster than
    Django's get_token): every page carries a new mask (BREACH), yet each token is the secret of
    the member's own cookie, which Django's middleware accepts, and a forged one it refuses."""
    poll, question = satisfaction_poll()
    _invitation, token = invitation_with_token(poll)
    client, first = open_link(token)
    secret = client.cookies[settings.CSRF_COOKIE_NAME].value
    _client, again = open_link(token, client)
    tokens = [CSRF.search(html).group(1) for html in (first, again)]
    assert tokens[0] != tokens[1] and tokens[0][:32] != tokens[1][:32]
    assert client.cookies[settings.CSRF_COOKIE_NAME].value == secret  # the same member's cookie
    assert all(len(t) == 64 and t.isascii() and t.isalnum() for t in tokens)
    option = str(question.options.get(code="o1").pk)
    form = {"page": "0", "action": "next", f"q{question.pk}": option}
    forged = tokens[1][:32] + tokens[0][32:]  # another mask over the wrong cipher
    url = reverse("answer", args=[token])
    assert client.post(url, {**form, "csrfmiddlewaretoken": forged}).status_code == 403
    assert not Response.objects.exists()
    done = client.post(url, {**form, "csrfmiddlewaretoken": tokens[0]})
    assert done.status_code == 200 and Response.objects.count() == 1
