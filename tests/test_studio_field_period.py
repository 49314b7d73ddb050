"""A poll run from the studio, without Django admin or a shell: its population and reporting
variables, opening and closing with its field dates, and the smaller things seen on the
studio, register and sample pages (issue 13)."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from polls.answering.responses import draft_save
from polls.fieldwork.opening import (
    TransitionRefused,
    poll_is_scheduled,
    poll_may_close,
    poll_open,
)
from polls.models import Draft, Poll, Question
from tests.factories import (
    MemberFactory,
    PollFactory,
    QuestionFactory,
    RegisterFactory,
    ResponseFactory,
    SampleDrawFactory,
    invitation_with_token,
    question_with_options,
    single_choice_question,
    staff_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def studio(client):
    client.force_login(staff_user("Editor"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def swedish(client):
    client.force_login(staff_user("Admin"))
    return client


def url(name, *args):
    return reverse(name, args=args)


def settings_post(poll, **changes):
    data = {
        "title_sv": poll.title_sv,
        "title_en": poll.title_en,
        "slug": poll.slug,
        "organisation": poll.organisation,
        "contact_email": poll.contact_email,
    }
    data.update(changes)
    return data


def draft(**fields):
    fields = {"state": Poll.State.DRAFT, "opens_at": None, "closes_at": None, **fields}
    poll = PollFactory(reporting_variables=[], **fields)
    single_choice_question(poll)
    return poll


# --- population and reporting variables ----------------------------------------------------------


def test_an_editor_chooses_the_register_then_its_reporting_variables(studio):
    register = RegisterFactory(name="Socionomer 2026", variables=["region", "sektor", "alder"])
    MemberFactory(register=register, email="hemlig@example.org")
    poll = draft()
    page = studio.get(url("studio-poll-edit", poll.slug)).content.decode()
    assert "Socionomer 2026" in page
    assert "hemlig@example.org" not in page  # names and variables only, no member data

    response = studio.post(
        url("studio-poll-edit", poll.slug), settings_post(poll, register=register.pk)
    )
    # The new register's variables are offered only now: the settings page again.
    assert response.status_code == 302
    assert response["Location"] == url("studio-poll-edit", poll.slug)
    page = studio.get(url("studio-poll-edit", poll.slug)).content.decode()
    for variable in ("region", "sektor", "alder"):
        assert f'type="checkbox" name="reporting_variables" value="{variable}"' in page

    response = studio.post(
        url("studio-poll-edit", poll.slug),
        settings_post(poll, register=register.pk, reporting_variables=["sektor", "region"]),
    )
    assert response.status_code == 302
    poll.refresh_from_db()
    assert poll.register == register
    assert poll.reporting_variables == ["region", "sektor"]  # in the register's order
    detail = studio.get(url("studio-poll", poll.slug)).content.decode()
    assert "Socionomer 2026" in detail and "region, sektor" in detail


def test_a_variable_the_register_does_not_declare_is_refused(studio):
    register = RegisterFactory(variables=["region"])
    poll = draft(register=register)
    response = studio.post(
        url("studio-poll-edit", poll.slug),
        settings_post(poll, register=register.pk, reporting_variables=["lon"]),
    )
    assert response.status_code == 400
    assert "is not a variable of the chosen register" in response.content.decode()
    poll.refresh_from_db()
    assert poll.reporting_variables == []


def test_a_new_poll_gets_its_register_in_the_studio(studio):
    register = RegisterFactory(variables=["region"])
    response = studio.post(
        url("studio-poll-new"),
        {
            "title_sv": "Lön 2026",
            "slug": "lon-2026",
            "organisation": "Vision",
            "contact_email": "a@example.org",
            "register": register.pk,
        },
    )
    assert response.status_code == 302
    assert Poll.objects.get(slug="lon-2026").register == register


def test_population_and_reporting_variables_are_locked_once_the_poll_has_responses(studio):
    register, other = RegisterFactory(variables=["region", "sektor"]), RegisterFactory()
    poll = PollFactory(register=register, reporting_variables=["sektor"])
    ResponseFactory(poll=poll)
    page = studio.get(url("studio-poll-edit", poll.slug)).content.decode()
    assert 'name="register" disabled' in page or "disabled" in page.split('name="register"')[1][:80]
    response = studio.post(
        url("studio-poll-edit", poll.slug),
        settings_post(poll, register=other.pk, reporting_variables=["region"], title_en="New"),
    )
    assert response.status_code == 302
    poll.refresh_from_db()
    # Disabled fields keep their values; the text change goes through (and is logged).
    assert (poll.register, poll.reporting_variables, poll.title_en) == (register, ["sektor"], "New")


def test_the_service_refuses_a_new_population_once_the_poll_has_responses():
    from polls.authoring.studio import Locked, poll_update

    poll = PollFactory(register=RegisterFactory(), reporting_variables=["sektor"])
    ResponseFactory(poll=poll)
    with pytest.raises(Locked):
        poll_update(poll=poll, changes={"reporting_variables": ["region"]}, by=None)
    poll.refresh_from_db()
    assert poll.reporting_variables == ["sektor"]


# --- opening and closing: the service ------------------------------------------------------------


def test_a_draft_opens_now():
    poll = draft()
    assert poll_open(poll=poll) == "open"
    assert poll.state == Poll.State.OPEN
    assert poll.is_accepting_answers()


def test_a_draft_with_an_opening_time_ahead_is_scheduled():
    poll = draft()
    later = timezone.now() + timedelta(days=2)
    assert poll_open(poll=poll, opens_at=later, closes_at=later + timedelta(days=7)) == "scheduled"
    assert poll_is_scheduled(poll)
    assert not poll.is_accepting_answers()
    assert poll.is_accepting_answers(now=later + timedelta(hours=1))


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (Poll.State.OPEN, "already open"),
        (Poll.State.CLOSED, "Only a draft poll can be opened"),
        (Poll.State.ARCHIVED, "Only a draft poll can be opened"),
    ],
)
def test_only_a_draft_opens(state, message):
    poll = draft(state=state)
    with translation.override("en"), pytest.raises(TransitionRefused, match=message):
        poll_open(poll=poll)
    poll.refresh_from_db()
    assert poll.state == state


def test_a_poll_without_questions_does_not_open():
    poll = PollFactory(state=Poll.State.DRAFT, opens_at=None, closes_at=None)
    with translation.override("en"), pytest.raises(TransitionRefused, match="no questions"):
        poll_open(poll=poll)


def test_a_closing_time_in_the_past_or_before_the_opening_is_refused():
    poll = draft()
    now = timezone.now()
    with translation.override("en"), pytest.raises(TransitionRefused, match="already passed"):
        poll_open(poll=poll, closes_at=now - timedelta(hours=1))
    with translation.override("en"), pytest.raises(TransitionRefused, match="close after"):
        poll_open(poll=poll, opens_at=now + timedelta(days=3), closes_at=now + timedelta(days=2))
    poll.refresh_from_db()
    assert poll.state == Poll.State.DRAFT


@pytest.mark.parametrize("state", [Poll.State.DRAFT, Poll.State.CLOSED, Poll.State.ARCHIVED])
def test_only_an_open_poll_closes(state):
    poll = draft(state=state)
    with translation.override("en"), pytest.raises(TransitionRefused, match="Only an open poll"):
        poll_may_close(poll)


def test_a_scheduled_poll_is_not_closed():
    poll = draft()
    poll_open(poll=poll, opens_at=timezone.now() + timedelta(days=1))
    with translation.override("en"), pytest.raises(TransitionRefused, match="has not opened"):
        poll_may_close(poll)


# --- opening and closing: the pages --------------------------------------------------------------


def test_the_open_page_says_what_happens_and_opens_with_the_field_dates(studio):
    poll = draft(register=RegisterFactory())
    page = studio.get(url("studio-poll-open", poll.slug)).content.decode()
    assert "links start working" in page and "Invitations can be sent" in page
    closes = (timezone.localtime() + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M")
    response = studio.post(
        url("studio-poll-open", poll.slug), {"opens_at": "", "closes_at": closes}
    )
    assert response.status_code == 302
    poll.refresh_from_db()
    assert poll.state == Poll.State.OPEN and poll.is_accepting_answers()
    assert timezone.localtime(poll.closes_at).strftime("%Y-%m-%dT%H:%M") == closes


def test_the_open_page_schedules_a_poll_that_opens_later(studio):
    poll = draft()
    opens = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    studio.post(url("studio-poll-open", poll.slug), {"opens_at": opens, "closes_at": ""})
    poll.refresh_from_db()
    assert poll_is_scheduled(poll)
    assert "scheduled" in studio.get(url("studio-poll", poll.slug)).content.decode()


def test_opening_an_open_poll_is_refused_with_a_message(studio):
    poll = PollFactory()
    single_choice_question(poll)
    response = studio.post(url("studio-poll-open", poll.slug), {"opens_at": "", "closes_at": ""})
    assert response.status_code == 400
    assert "The poll is already open." in response.content.decode()


def test_the_close_page_says_what_happens_and_closes_deleting_drafts(studio):
    poll = PollFactory()
    single_choice_question(poll)
    invitation, token = invitation_with_token(poll)
    assert draft_save(invitation=invitation, data={"q1": ["1"]}, current_section=0)
    page = studio.get(url("studio-poll-close", poll.slug)).content.decode()
    assert "The 1 unfinished answer" in page and "is deleted" in page
    assert "shows the page saying the poll is closed" in page
    response = studio.post(url("studio-poll-close", poll.slug))
    assert response.status_code == 302
    poll.refresh_from_db()
    assert poll.state == Poll.State.CLOSED
    assert not Draft.objects.exists()
    assert "This poll is closed" in studio.get(f"/s/{token}/").content.decode()


def test_closing_a_draft_is_refused_with_a_message(studio):
    poll = draft()
    response = studio.post(url("studio-poll-close", poll.slug))
    assert response.status_code == 400
    assert "Only an open poll can be closed" in response.content.decode()
    poll.refresh_from_db()
    assert poll.state == Poll.State.DRAFT


def test_the_poll_page_offers_the_next_step_only(studio):
    poll = draft()
    page = studio.get(url("studio-poll", poll.slug)).content.decode()
    assert 'id="open-poll"' in page and 'id="close-poll"' not in page
    poll_open(poll=poll)
    page = studio.get(url("studio-poll", poll.slug)).content.decode()
    assert 'id="open-poll"' not in page and 'id="close-poll"' in page


# --- smaller things ------------------------------------------------------------------------------


def test_the_created_message_appears_once(studio):
    response = studio.post(
        url("studio-poll-new"),
        {"title_sv": "Ny", "slug": "ny-2026", "organisation": "V", "contact_email": "a@b.se"},
        follow=True,
    )
    assert response.content.decode().count("The poll was created.") == 1


def test_a_scale_question_is_listed_with_its_scale(studio):
    poll = draft()
    question_with_options(
        poll,
        Question.Kind.SCALE,
        [("vet_ej", "Vet ej", "Don't know")],
        code="nojd",
        scale_min=1,
        scale_max=5,
    )
    page = studio.get(url("studio-poll", poll.slug)).content.decode()
    item = page.split('data-code="nojd"')[1].split("</li>")[0]
    assert "scale 1–5" in item and "1 answer beside the scale" in item
    assert "1 option" not in item


def test_options_are_added_one_blank_row_at_a_time(studio):
    poll = draft()
    question = poll.questions.get()
    page = studio.get(url("studio-question", poll.slug, question.pk)).content.decode()
    n = question.options.count()
    assert f'name="options-TOTAL_FORMS" value="{n + 1}"' in page
    assert 'id="add-options"' in page  # studio.js adds one more on request


def test_saving_the_condition_keeps_the_question_edits_typed_above_it(studio):
    from tests.test_studio import question_post

    poll = draft()
    can = poll.questions.get()
    follow_up = QuestionFactory(
        poll=poll, code="foljd", kind=Question.Kind.TEXT, order=can.order + 100
    )
    option = can.options.first()
    data = question_post(follow_up, text_sv="Ändrad text")
    data.update({"action": "condition", "condition-on": can.pk, "condition-options": [option.pk]})
    response = studio.post(url("studio-question", poll.slug, follow_up.pk), data)
    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.text_sv == "Ändrad text"
    assert follow_up.condition_question == can
    assert list(follow_up.condition_options.all()) == [option]


def test_single_choice_is_called_enkelval_everywhere():
    po = (settings.BASE_DIR / "locale" / "sv" / "LC_MESSAGES" / "django.po").read_text()
    msgstrs = [line for line in po.splitlines() if line.startswith(("msgstr", '"'))]
    assert not [line for line in msgstrs if "enval" in line.replace("enkelval", "")]


def test_counts_have_the_thousands_space_in_swedish_and_the_comma_in_english():
    template = Template("{% load numbers %}{{ n|thousands }}")
    with translation.override("sv"):
        assert template.render(Context({"n": 5000})) == "5\xa0000"
        assert template.render(Context({"n": 999})) == "999"
    with translation.override("en"):
        assert template.render(Context({"n": 1234567})) == "1,234,567"


def test_dates_have_swedish_month_names():
    when = timezone.make_aware(timezone.datetime(2026, 11, 25, 14, 30))
    template = Template('{{ when|date:"DATETIME_FORMAT" }}')
    with translation.override("sv"):
        assert template.render(Context({"when": when})) == "25 november 2026 14:30"


def test_the_register_list_shows_members_with_the_thousands_space(swedish):
    register = RegisterFactory(name="Stor")
    MemberFactory.create_batch(3, register=register)
    from respondents.models import Member

    Member.objects.bulk_create(
        Member(register=register, number=f"n{i}", email=f"m{i}@example.org") for i in range(1200)
    )
    page = swedish.get(url("register-list")).content.decode()
    assert "1\xa0203" in page


def test_the_sample_page_keeps_each_value_beside_its_label(swedish):
    draw = SampleDrawFactory()
    page = swedish.get(url("sample-detail", draw.pk)).content.decode()
    facts = page.split('<dl class="facts">')[1].split("</dl>")[0]
    assert facts.count("<div><dt>") == facts.count("<dt>")  # each pair in one grid cell
    assert "Draget" in facts


def test_no_template_comment_spans_lines():
    """Django's {# #} is one line only: a longer one is printed on the page (it was, in the
    header of every staff page at phone width). {% comment %} spans lines."""
    problems = []
    for path in (settings.BASE_DIR / "templates").rglob("*.html"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "{#" in line and "#}" not in line.split("{#", 1)[1]:
                problems.append(f"{path.relative_to(settings.BASE_DIR)}:{number}")
    assert not problems
