"""A member opens the personal link, answers once, and can never answer twice."""

import threading

import pytest
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from polls.answering.responses import AlreadyAnswered, response_submit
from polls.models import Answer, Invitation, Poll, Response
from tests.factories import PollFactory, invitation_with_token, single_choice_question


@pytest.fixture
def poll(db):
    poll = PollFactory(reporting_variables=["sektor"])
    single_choice_question(poll)
    return poll


def answer_url(token):
    return reverse("answer", args=[token])


def first_option(poll):
    question = poll.questions.get()
    return question, question.options.order_by("order").first()


def test_the_member_sees_the_poll_in_swedish(client, poll):
    _invitation, token = invitation_with_token(poll)
    page = client.get(answer_url(token))
    assert page.status_code == 200
    assert "Hur verklighetsförankrade" in page.content.decode()
    assert "Skicka mina svar" in page.content.decode()


def test_opening_the_link_marks_the_invitation_started(client, poll):
    invitation, token = invitation_with_token(poll)
    client.get(answer_url(token))
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.STARTED


def test_the_member_can_switch_to_english(client, poll):
    _invitation, token = invitation_with_token(poll)
    client.post(reverse("set_language"), {"language": "en", "next": answer_url(token)})
    page = client.get(answer_url(token))
    assert "How well grounded" in page.content.decode()
    assert "Submit my answers" in page.content.decode()


def test_submitting_creates_one_anonymous_response(client, poll):
    invitation, token = invitation_with_token(poll, attributes={"sektor": "Kommun", "pnr": "x"})
    question, option = first_option(poll)
    page = client.post(answer_url(token), {f"q{question.pk}": option.pk})
    assert page.status_code == 200
    assert "Tack" in page.content.decode()
    response = Response.objects.get()
    assert response.attributes == {"sektor": "Kommun"}  # only declared reporting variables
    assert response.submitted_on == timezone.localdate()
    assert list(Answer.objects.values_list("option_id", flat=True)) == [option.pk]
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.COMPLETED


def test_opening_the_link_again_says_already_answered(client, poll):
    _invitation, token = invitation_with_token(poll)
    question, option = first_option(poll)
    client.post(answer_url(token), {f"q{question.pk}": option.pk})
    page = client.get(answer_url(token))
    assert "Du har redan svarat" in page.content.decode()
    assert '<form method="post"' not in page.content.decode()
    again = client.post(answer_url(token), {f"q{question.pk}": option.pk})
    assert "Du har redan svarat" in again.content.decode()
    assert Response.objects.count() == 1


def test_a_missing_answer_is_shown_next_to_the_question_and_nothing_is_saved(client, poll):
    _invitation, token = invitation_with_token(poll)
    page = client.post(answer_url(token), {})
    assert page.status_code == 400
    assert "Välj ett svar" in page.content.decode()
    assert not Response.objects.exists()


def test_a_forged_option_is_refused(client, poll):
    _invitation, token = invitation_with_token(poll)
    question, _option = first_option(poll)
    page = client.post(answer_url(token), {f"q{question.pk}": 999999})
    assert page.status_code == 400
    assert not Response.objects.exists()


@pytest.mark.parametrize("token", ["not-a-real-token", "x" * 200, "Ob1ogN2aBAfU-7yr3aAcag"])
def test_a_forged_token_gets_a_friendly_404(client, poll, token):
    page = client.get(answer_url(token))
    assert page.status_code == 404
    assert "Länken fungerar inte" in page.content.decode()


def test_a_closed_poll_shows_a_friendly_page_and_accepts_nothing(client, poll):
    invitation, token = invitation_with_token(poll)
    poll.state = Poll.State.CLOSED
    poll.save()
    question, option = first_option(poll)
    page = client.post(answer_url(token), {f"q{question.pk}": option.pk})
    assert "stängd" in page.content.decode()
    assert not Response.objects.exists()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SENT


def test_a_poll_not_yet_open_says_when_it_opens(client, poll):
    _invitation, token = invitation_with_token(poll)
    poll.opens_at = timezone.now() + timezone.timedelta(days=2)
    poll.save()
    page = client.get(answer_url(token))
    assert "öppnar" in page.content.decode()


def test_submitting_twice_through_the_service_raises(poll):
    invitation, _token = invitation_with_token(poll)
    question, option = first_option(poll)
    response_submit(invitation=invitation, choices={question.pk: option.pk})
    with pytest.raises(AlreadyAnswered):
        response_submit(invitation=invitation, choices={question.pk: option.pk})
    assert Response.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submits_with_one_token_give_exactly_one_response(needs_postgres):
    poll = PollFactory()
    single_choice_question(poll)
    invitation, _token = invitation_with_token(poll)
    question, option = first_option(poll)
    barrier = threading.Barrier(2)
    outcomes = []

    def submit():
        try:
            barrier.wait()
            response_submit(
                invitation=Invitation.objects.get(pk=invitation.pk),
                choices={question.pk: option.pk},
            )
            outcomes.append("saved")
        except AlreadyAnswered:
            outcomes.append("already answered")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert connection.vendor == "postgresql"
    assert sorted(outcomes) == ["already answered", "saved"]
    assert Response.objects.filter(poll=poll).count() == 1


def test_an_english_browser_still_gets_swedish_until_the_member_chooses(client, poll):
    _invitation, token = invitation_with_token(poll)
    page = client.get(answer_url(token), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "Skicka mina svar" in page.content.decode()


def test_an_editor_opening_a_members_link_in_their_own_browser_is_not_known_to_it(client, poll):
    """Member pages pass by the staff middlewares (config/member_paths.py): the page never reads
    the staff session, so nothing on it (or in what it records) can tie it to the editor."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import staff_user

    client.force_login(staff_user("Editor"))
    assert "Logga ut" in client.get(reverse("staff-home"), follow=True).content.decode()
    _invitation, token = invitation_with_token(poll)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(answer_url(token))
    assert page.status_code == 200
    assert "Logga ut" not in page.content.decode()
    tables = " ".join(query["sql"] for query in queries.captured_queries)
    assert "django_session" not in tables and "auth_user" not in tables


def test_a_link_cut_before_its_last_slash_still_reaches_the_poll(client, poll):
    _invitation, token = invitation_with_token(poll)
    page = client.get(answer_url(token).rstrip("/"), follow=True)
    assert page.status_code == 200
    assert "Hur verklighetsförankrade" in page.content.decode()


def test_numbers_and_texts_are_stored_exactly_as_answered(db):
    """The submit sends its columns of numbers as PostgreSQL array literals
    (polls.answering.responses): fractions, negative values and large ones come back as they were
    given, and a text with the literal's own characters is stored as typed."""
    from decimal import Decimal

    from polls.answering.responses import AnswerRow
    from polls.models import Question
    from tests.factories import QuestionFactory

    poll = PollFactory(state=Poll.State.OPEN)
    hours = QuestionFactory(poll=poll, kind=Question.Kind.NUMBER, code="timmar", order=1)
    change = QuestionFactory(poll=poll, kind=Question.Kind.NUMBER, code="andring", order=2)
    cases = QuestionFactory(poll=poll, kind=Question.Kind.NUMBER, code="arenden", order=3)
    why = QuestionFactory(poll=poll, kind=Question.Kind.TEXT, code="varfor", order=4)
    invitation, _token = invitation_with_token(poll)
    typed = 'Fler "händer", {mindre} administration\\ och NULL, tack'
    response_submit(
        invitation=invitation,
        answers=[
            AnswerRow(hours.pk, value=Decimal("37.5")),
            AnswerRow(change.pk, value=Decimal("-0.25")),
            AnswerRow(cases.pk, value=Decimal("1E+3")),
            AnswerRow(why.pk, text=typed),
        ],
    )
    stored = dict(Response.objects.get().answers.values_list("question__code", "value"))
    assert stored["timmar"] == Decimal("37.5") and stored["andring"] == Decimal("-0.25")
    assert stored["arenden"] == Decimal(1000)
    assert Answer.objects.get(question=why).text == typed
