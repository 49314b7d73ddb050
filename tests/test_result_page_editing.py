"""The result page editor: an embargo published by beat, the audit trail of publishing, and
quotes picked from the open answers with their personal data flagged until edited out."""

import datetime
import re

import pytest
from django.utils import timezone

from polls.answering.responses import response_submit
from polls.models import Answer, Question
from respondents.models import Member
from results.models import ResultBlock, ResultPage, ResultSettings
from results.scheduling import pages_publish_due
from results.tasks import publish_due_pages
from staff.models import AuditEntry
from tests.factories import (
    PollFactory,
    QuestionFactory,
    RegisterFactory,
    invitation_with_token,
    single_choice_question,
    staff_user,
)
from tests.test_result_pages import page, poll  # noqa: F401  (the fixtures)


@pytest.fixture
def editor(client, db):
    user = staff_user("Editor", username="redaktor")
    client.force_login(user)
    return user


def edit_url(page, end=""):  # noqa: F811
    return f"/staff/polls/{page.poll.slug}/pages/{page.pk}/{end}"


def text_of(html: str) -> str:
    return re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", " ", html))


def local_input(moment: datetime.datetime) -> str:
    """What a datetime-local field sends: the local wall-clock time."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def public_status(client, slug="verklighetsforankring") -> int:
    return client.get(f"/r/{slug}/").status_code


# --------------------------------------------------------------------------- scheduling


def test_an_editor_schedules_a_page_and_beat_publishes_it_when_due_and_not_before(
    client,
    editor,
    page,  # noqa: F811
):
    at = timezone.now() + datetime.timedelta(hours=2)
    response = client.post(edit_url(page, "schedule/"), {"publish_at": local_input(at)})
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.state == "scheduled" and page.scheduled_by == editor
    html = client.get(edit_url(page)).content.decode()
    assert "Schemalagd: publiceras" in html and "Avbryt schemaläggningen" in html
    assert public_status(client) == 404

    # Beat runs every minute: before the time nothing happens, the public sees nothing.
    assert publish_due_pages() == 0
    assert pages_publish_due(now=at - datetime.timedelta(minutes=1)) == []
    page.refresh_from_db()
    assert page.state == "scheduled" and not page.versions.exists()
    assert public_status(client) == 404

    [version] = pages_publish_due(now=at + datetime.timedelta(seconds=30))
    page.refresh_from_db()
    assert page.state == "published" and version.published_by == editor
    assert public_status(client) == 200
    # Once published, beat does not publish it again.
    assert pages_publish_due(now=at + datetime.timedelta(minutes=2)) == []
    assert page.versions.count() == 1
    entries = AuditEntry.objects.filter(details__page_id=page.pk).order_by("at", "id")
    assert [(e.action, e.actor_name) for e in entries] == [
        ("page.schedule", "redaktor"),
        ("page.publish", "beat"),
    ]
    assert entries[1].details["scheduled_by"] == "redaktor"


def test_beats_task_publishes_due_pages_and_leaves_future_ones(page, poll):  # noqa: F811
    later = ResultPage.objects.create(
        poll=poll,
        slug="senare",
        title="Senare",
        state="scheduled",
        publish_at=timezone.now() + datetime.timedelta(days=1),
    )
    page.state = "scheduled"
    page.publish_at = timezone.now() - datetime.timedelta(minutes=1)
    page.save()
    assert publish_due_pages() == 1
    page.refresh_from_db()
    later.refresh_from_db()
    assert page.state == "published" and page.versions.count() == 1
    assert later.state == "scheduled" and not later.versions.exists()


def test_the_beat_schedule_runs_the_task_every_minute(settings):
    from config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["publish-due-pages"]
    assert entry["task"] == "results.tasks.publish_due_pages"
    assert entry["schedule"] <= 60
    app.loader.import_default_modules()
    assert "results.tasks.publish_due_pages" in app.tasks


def test_a_schedule_in_the_past_or_of_a_public_page_is_refused(
    client,
    editor,
    page,  # noqa: F811
):
    past = timezone.now() - datetime.timedelta(hours=1)
    response = client.post(
        edit_url(page, "schedule/"), {"publish_at": local_input(past)}, follow=True
    )
    assert "Välj en tidpunkt i framtiden." in response.content.decode()
    response = client.post(edit_url(page, "schedule/"), {"publish_at": "i morgon"}, follow=True)
    assert "ange datum och tid" in response.content.decode()
    page.refresh_from_db()
    assert page.state == "draft"
    client.post(edit_url(page, "publish/"), {"anyway": "1"})
    future = timezone.now() + datetime.timedelta(hours=1)
    response = client.post(
        edit_url(page, "schedule/"), {"publish_at": local_input(future)}, follow=True
    )
    assert "Sidan är redan publik" in response.content.decode()
    page.refresh_from_db()
    assert page.state == "published"


def test_a_cancelled_schedule_is_not_published(client, editor, page):  # noqa: F811
    at = timezone.now() + datetime.timedelta(minutes=30)
    client.post(edit_url(page, "schedule/"), {"publish_at": local_input(at)})
    client.post(edit_url(page, "unschedule/"))
    page.refresh_from_db()
    assert page.state == "draft" and page.publish_at is None
    assert pages_publish_due(now=at + datetime.timedelta(hours=1)) == []
    assert public_status(client) == 404
    history = text_of(client.get(edit_url(page)).content.decode())
    assert "schemaläggningen avbruten" in history and "schemalagd" in history


def test_scheduling_with_a_flagged_claim_needs_publish_anyway_and_keeps_it(
    client,
    editor,
    page,  # noqa: F811
):
    page.lead = "57 procent svarar ja."
    page.save()
    at = timezone.now() + datetime.timedelta(hours=1)
    response = client.post(
        edit_url(page, "schedule/"), {"publish_at": local_input(at)}, follow=True
    )
    assert "Inte schemalagd" in response.content.decode()
    page.refresh_from_db()
    assert page.state == "draft"
    client.post(edit_url(page, "schedule/"), {"publish_at": local_input(at), "anyway": "1"})
    page.refresh_from_db()
    assert page.state == "scheduled"
    [version] = pages_publish_due(now=at + datetime.timedelta(minutes=1))
    assert [c["text"] for c in version.overridden_claims] == ["57 procent"]
    entry = AuditEntry.objects.get(action="page.publish", details__page_id=page.pk)
    assert entry.details["published_anyway"][0]["text"] == "57 procent"


def test_a_claim_that_became_untrue_by_the_time_stops_the_scheduled_publishing(
    client,
    editor,
    page,  # noqa: F811
):
    at = timezone.now() + datetime.timedelta(hours=1)
    client.post(edit_url(page, "schedule/"), {"publish_at": local_input(at)})
    # After scheduling, the lead gains a figure the page does not show (edited, or the
    # numbers moved): beat does not publish what the editor did not accept.
    ResultPage.objects.filter(pk=page.pk).update(lead="57 procent svarar ja.")
    assert pages_publish_due(now=at + datetime.timedelta(minutes=1)) == []
    page.refresh_from_db()
    assert page.state == "draft" and not page.versions.exists()
    failed = AuditEntry.objects.get(action="page.schedule_failed", details__page_id=page.pk)
    assert failed.actor_name == "beat" and failed.details["claims"][0]["text"] == "57 procent"
    history = text_of(client.get(edit_url(page)).content.decode())
    assert "inte publicerad vid den satta tiden" in history and "57 procent" in history


@pytest.mark.django_db(transaction=True)
def test_the_real_worker_publishes_a_due_page(celery_worker, poll, page):  # noqa: F811
    page.state = "scheduled"
    page.publish_at = timezone.now() - datetime.timedelta(seconds=5)
    page.save()
    publish_due_pages.delay()
    celery_worker.wait_for_log(r"results\.tasks\.publish_due_pages\[.*\] succeeded", timeout=60)
    page.refresh_from_db()
    assert page.state == "published", celery_worker.log
    assert page.versions.count() == 1


# --------------------------------------------------------------------------- the audit trail


def test_publishing_and_unpublishing_are_in_the_audit_trail(client, editor, page):  # noqa: F811
    page.lead = "57 procent svarar ja."
    page.save()
    client.post(edit_url(page, "publish/"), {"anyway": "1"})
    client.post(edit_url(page, "unpublish/"))
    entries = AuditEntry.objects.filter(details__page_id=page.pk).order_by("at", "id")
    assert [(e.action, e.actor_name, e.target) for e in entries] == [
        ("page.publish", "redaktor", "verklighetsforankring"),
        ("page.unpublish", "redaktor", "verklighetsforankring"),
    ]
    anyway = entries[0].details["published_anyway"]
    assert anyway[0]["text"] == "57 procent" and "Ingen andel på sidan" in anyway[0]["reason"]
    history = text_of(client.get(edit_url(page)).content.decode())
    assert "publicerade version 1 (ändå)" in history and "avpublicerad" in history


# --------------------------------------------------------------------------- quotes


@pytest.fixture
def open_question(poll):  # noqa: F811
    question = QuestionFactory(
        poll=poll, kind=Question.Kind.TEXT, text_sv="Vad krävs?", text_en="What is needed?"
    )
    texts = [
        "Mer tid för klienterna och färre ärenden.",
        "Min chef Anna Berg på Socialtjänsten i Lund lyssnar inte.",
        "Ring mig på 070-123 45 67.",
        "Mindre administration.",
    ]
    for response, text in zip(poll.responses.order_by("id"), texts, strict=False):
        Answer.objects.create(response=response, question=question, text=text)
    return question


def test_an_editor_picks_a_quote_from_the_open_answers(
    client,
    editor,
    page,  # noqa: F811
    open_question,
):
    html = client.get(edit_url(page), {"quotes": open_question.pk}).content.decode()
    picker = text_of(
        re.search(r'<section class="card"[^>]*id="quotes">.*?</section>', html, re.S).group(0)
    )
    assert "4 olika svar." in picker
    assert "Mer tid för klienterna och färre ärenden." in picker
    narrowed = client.get(edit_url(page), {"quotes": open_question.pk, "search": "administration"})
    assert "1 olika svar." in text_of(narrowed.content.decode())
    answer = Answer.objects.get(question=open_question, text__startswith="Mer tid")
    client.post(edit_url(page, "quotes/"), {"answer": answer.pk})
    quote = page.blocks.get(kind="quote")
    assert quote.text == "Mer tid för klienterna och färre ärenden."
    assert quote.question == open_question and quote.order == 3
    # An answer of another poll, or no answer at all, adds nothing.
    assert client.post(edit_url(page, "quotes/"), {"answer": "x"}).status_code == 400
    assert client.post(edit_url(page, "quotes/"), {"answer": 10**9}).status_code == 404
    assert page.blocks.filter(kind="quote").count() == 1


def test_a_name_and_a_workplace_in_a_quote_block_publishing_until_edited(
    client,
    editor,
    page,  # noqa: F811
    open_question,
):
    page.lead = ""
    page.save()
    answer = Answer.objects.get(question=open_question, text__contains="Anna Berg")
    client.post(edit_url(page, "quotes/"), {"answer": answer.pk})
    html = client.get(edit_url(page)).content.decode()
    claims = text_of(re.search(r'<div class="card" id="claims">.*?</div>', html, re.S).group(0))
    for found in ("Anna Berg", "Socialtjänsten", "Lund"):
        assert f"”{found}”" in claims
    assert "Ett namn eller en arbetsplats i ett citat?" in claims
    assert 'id="blocking"' in html and 'id="publish-form"' not in html
    # Not even "publish anyway" lets personal data out.
    client.post(edit_url(page, "publish/"), {"anyway": "1"})
    at = timezone.now() + datetime.timedelta(hours=1)
    client.post(edit_url(page, "schedule/"), {"publish_at": local_input(at), "anyway": "1"})
    page.refresh_from_db()
    assert page.state == "draft" and not page.versions.exists()
    # The editor takes the name and the workplace out; then the page can be published.
    quote = page.blocks.get(kind="quote")
    client.post(
        edit_url(page, f"blocks/{quote.pk}/edit/"),
        {"text": "Min chef [namn] på [arbetsplats] lyssnar inte."},
    )
    html = client.get(edit_url(page)).content.decode()
    assert 'id="blocking"' not in html
    client.post(edit_url(page, "publish/"))
    assert public_status(client) == 200
    public = client.get("/r/verklighetsforankring/").content.decode()
    assert "Min chef [namn] på [arbetsplats] lyssnar inte." in public
    assert "Anna Berg" not in public


def test_a_phone_number_in_a_quote_blocks_publishing_even_anyway(
    client,
    editor,
    page,  # noqa: F811
    open_question,
):
    page.lead = ""
    page.save()
    answer = Answer.objects.get(question=open_question, text__startswith="Ring")
    client.post(edit_url(page, "quotes/"), {"answer": answer.pk})
    response = client.post(edit_url(page, "publish/"), {"anyway": "1"}, follow=True)
    assert "Inte publicerad: ett citat innehåller personuppgifter." in response.content.decode()
    assert public_status(client) == 404


def test_words_of_the_poll_and_sentence_starts_are_not_taken_for_names(
    client,
    editor,
    page,  # noqa: F811
):
    page.lead = ""
    page.save()
    ResultBlock.objects.create(
        page=page,
        order=5,
        kind="quote",
        text="Det är för mycket. Jag hinner inte med. Ja, i Sverige är det så.",
    )
    html = client.get(edit_url(page)).content.decode()
    assert 'id="blocking"' not in html


def test_an_empty_block_text_is_refused(client, editor, page):  # noqa: F811
    quote = ResultBlock.objects.create(page=page, order=5, kind="quote", text="Mer tid.")
    response = client.post(edit_url(page, f"blocks/{quote.pk}/edit/"), {"text": " "}, follow=True)
    assert "Texten är tom" in response.content.decode()
    quote.refresh_from_db()
    assert quote.text == "Mer tid."


# --------------------------------------------------------------------------- weighting


def test_a_claim_true_before_weighting_is_flagged_once_the_chart_is_weighted(client, editor):
    """Kommun is 80 % of the register but half of the answers: 30 % of Kommun and 90 % of
    Region say "Ja", so 60 % unweighted and 42 % weighted to the register (and no other
    answer reaches half)."""

    register = RegisterFactory(variables=["sektor"])
    Member.objects.bulk_create(
        Member(register=register, number=f"W{n}", attributes={"sektor": sektor})
        for n, sektor in enumerate(["Kommun"] * 700 + ["Region"] * 100)
    )
    survey = PollFactory(register=register, slug="viktning", reporting_variables=["sektor"])
    question = single_choice_question(survey, labels=("Ja", "Nej", "Tveksam"))
    options = list(question.options.order_by("order"))
    for sektor, counts in (("Kommun", (30, 35, 35)), ("Region", (90, 5, 5))):
        for option, count in zip(options, counts, strict=True):
            for _i in range(count):
                invitation, _token = invitation_with_token(survey, attributes={"sektor": sektor})
                response_submit(invitation=invitation, choices={question.pk: option.pk})
    ResultSettings.objects.create(poll=survey, weighting="poststrat", weight_by=["sektor"])
    article = ResultPage.objects.create(
        poll=survey, slug="viktat", title="Svaren", lead="Fler än hälften svarar ja."
    )
    block = ResultBlock.objects.create(
        page=article, kind="chart", question=question, weighted=False
    )

    def claims() -> str:
        html = client.get(edit_url(article)).content.decode()
        return text_of(re.search(r'<div class="card" id="claims">.*?</div>', html, re.S).group(0))

    assert "Varje siffra och jämförelse i texterna stöds" in claims()
    block.weighted = True
    block.save()
    flagged = claims()
    assert "Fler än hälften" in flagged
    assert "Ingen andels intervall ligger helt över 50" in flagged
    assert re.search(r"Ja: 4\d\xa0%", flagged)  # the weighted share, the right figure
