"""Published result pages: frozen snapshots, the public page, "Om undersökningen", the editor."""

import datetime
import json
import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone, translation

from polls.answering.responses import response_submit
from polls.models import Question
from respondents.models import Member
from results.models import ResultBlock, ResultPage, ResultPageVersion, ResultSettings
from results.publishing import page_publish, page_snapshot
from tests.factories import (
    OptionFactory,
    PollFactory,
    QuestionFactory,
    RegisterFactory,
    invitation_with_token,
    single_choice_question,
    staff_user,
)

THIN = "\u202f"
NBSP = "\u00a0"


@pytest.fixture
def poll(db):
    """A register of 2,000 members, 100 invited; 80 answered: 60 'Ja', 20 'Nej'. Those who said
    'Nej' got a follow-up question. Sectors: 50 kommun, 30 region."""
    register = RegisterFactory(name="Socionomer, medlemsregistret aug 2020")
    Member.objects.bulk_create(
        Member(register=register, number=f"P{n}", email=f"p{n}@example.org")
        for n in range(1, 2_001)
    )
    poll = PollFactory(register=register, slug="verklighet")
    question = single_choice_question(poll, labels=("Ja", "Nej", "Vet ej"))
    question.options.filter(label_sv="Vet ej").update(is_dont_know=True)
    yes, no, _dont_know = question.options.order_by("order")
    follow = QuestionFactory(
        poll=poll,
        text_sv="Varför inte?",
        text_en="Why not?",
        condition_question=question,
    )
    follow.condition_options.add(no)
    reason = OptionFactory(question=follow, order=0, code="r0", label_sv="Tid", label_en="Time")
    OptionFactory(question=follow, order=1, code="r1", label_sv="Pengar", label_en="Money")
    for i in range(100):
        invitation, _token = invitation_with_token(
            poll, attributes={"sektor": "kommun" if i % 8 < 5 else "region"}
        )
        if i >= 80:
            continue
        choices = {question.pk: (yes if i < 60 else no).pk}
        if i >= 60:
            choices[follow.pk] = reason.pk
        response_submit(invitation=invitation, choices=choices)
    # The field period as the articles have it (kept open until now for the answers above).
    poll.opens_at = datetime.datetime(2020, 9, 1, 8, tzinfo=datetime.UTC)
    poll.closes_at = datetime.datetime(2020, 9, 7, 18, tzinfo=datetime.UTC)
    poll.save()
    return poll


@pytest.fixture
def page(poll):
    page = ResultPage.objects.create(
        poll=poll,
        slug="verklighetsforankring",
        title="Tre av fyra säger ja",
        lead="75 procent av socionomerna svarar ja.",
        body="Mer än hälften svarar **ja**.",
    )
    question, follow = poll.questions.order_by("order")
    ResultBlock.objects.create(page=page, order=0, kind="chart", question=question)
    ResultBlock.objects.create(page=page, order=1, kind="chart", question=follow)
    ResultBlock.objects.create(page=page, order=2, kind="chart", question=question, by="sektor")
    return page


def public(client, slug="verklighetsforankring", suffix=""):
    return client.get(f"/r/{slug}/{suffix}")


def text_of(response) -> str:
    return re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_a_draft_page_is_not_public(client, page):
    assert public(client).status_code == 404


def test_the_published_page_shows_title_lead_body_wording_n_and_intervals(client, page):
    page_publish(page=page)
    response = public(client)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Tre av fyra säger ja</h1>" in html
    assert "<strong>ja</strong>" in html  # the body's Markdown
    assert "Hur verklighetsförankrade anser du att de politiska besluten är?" in html
    # The table works without JavaScript: shares, intervals and ±.
    assert "n = 80" in html
    assert f"75{NBSP}%" in html
    assert re.search(r"\d+–\d+\xa0%", html)
    assert "±" in html
    # The follow-up's base, and how "Vet ej" is handled.
    assert "Bland dem som svarade ”Nej” på fråga 1, n = 20." in html
    assert "”Vet ej” räknas in i andelarna." in html or "“Vet ej” räknas in" in html
    # The chart is an enhancement: plotly from our static files, figures as JSON data.
    assert "vendor/plotly-basic.min.js" in html
    assert 'type="application/json"' in html
    # No staff links or forms.
    assert "/staff/" not in html
    assert "csrfmiddlewaretoken" not in html
    assert "public" in response["Cache-Control"]


def test_about_the_survey_is_generated_from_the_data(client, page):
    page_publish(page=page)
    about = re.search(
        r'<aside class="method" id="about-survey".*?</aside>', public(client).content.decode(), re.S
    )
    text = re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", " ", about.group(0)))
    assert (
        "Ett obundet slumpmässigt urval av 100 medlemmar drogs ur registret "
        f"”Socionomer, medlemsregistret aug 2020” (2{THIN}100 medlemmar)." in text
    )
    assert "Svaren samlades in 1–7 september 2020." in text
    assert f"80 medlemmar svarade, en svarsfrekvens på 80{NBSP}%." in text
    assert "Svaren är inte viktade." in text
    assert re.search(r"Statistisk felmarginal \d+(,\d)?–\d+(,\d)? procentenheter\.", text)


def test_an_open_link_poll_says_why_there_is_no_margin_of_error(client, db):
    poll = PollFactory(open_link=True, register=None, reporting_variables=[])
    question = single_choice_question(poll, labels=("Ja", "Nej"))
    page = ResultPage.objects.create(poll=poll, slug="oppen", title="Öppen")
    ResultBlock.objects.create(page=page, kind="chart", question=question)
    page_publish(page=page)
    text = text_of(public(client, "oppen"))
    assert "ingen felmarginal" in text
    assert "Statistisk felmarginal" not in text


def test_small_groups_are_suppressed_on_the_public_page(client, poll, page):
    poll.min_cell_size = 40
    poll.save()
    page_publish(page=page)
    html = public(client).content.decode()
    assert "visas inte: färre än 40 svarande" in html


def test_a_response_after_publishing_does_not_move_the_page_until_republished(client, poll, page):
    page_publish(page=page)
    before = public(client).content.decode()
    assert "n = 80" in before
    poll.closes_at = timezone.now() + datetime.timedelta(days=1)
    poll.save()
    question = poll.questions.order_by("order").first()
    for _ in range(5):
        invitation, _token = invitation_with_token(poll, attributes={"sektor": "kommun"})
        response_submit(invitation=invitation, choices={question.pk: question.options.first().pk})
    cache.clear()  # not the cache that keeps it: the snapshot does
    assert public(client).content.decode() == before
    page_publish(page=page)
    after = public(client).content.decode()
    assert "n = 85" in after
    # The first version stays readable at its own address, with its own numbers.
    first = public(client, suffix="v1/").content.decode()
    assert "n = 80" in first and "n = 85" not in first


def test_a_change_of_weighting_does_not_move_the_published_page(client, poll, page):
    version = page_publish(page=page)
    ResultSettings.objects.create(poll=poll, weighting="poststrat", weight_by=["sektor"])
    cache.clear()
    assert ResultPageVersion.objects.get(pk=version.pk).snapshot == version.snapshot
    assert "Svaren är inte viktade." in text_of(public(client))


def test_an_unpublished_page_and_its_versions_are_gone(client, page):
    from results.publishing import page_unpublish

    page_publish(page=page)
    page_unpublish(page=page)
    assert public(client).status_code == 404
    assert public(client, suffix="v1/").status_code == 404


def test_thousands_have_a_thin_space_in_the_snapshot(page):
    snapshot = page_snapshot(page)
    about = " ".join(snapshot["languages"]["sv"]["about"])
    assert f"2{THIN}100" in about
    assert "2,100" in " ".join(snapshot["languages"]["en"]["about"])


def test_a_coded_question_shows_its_top_list_and_is_suppressed_when_few_answered(client, poll):
    from results.coding import code_create

    text_question = QuestionFactory(poll=poll, kind=Question.Kind.TEXT)
    code_create(question=text_question, label_sv="Mer tid", label_en="More time")
    page = ResultPage.objects.create(poll=poll, slug="koder", title="Koder")
    ResultBlock.objects.create(page=page, kind="coded", question=text_question)
    page_publish(page=page)
    assert "färre än 5 medlemmar besvarade frågan" in text_of(public(client, "koder"))


def test_script_in_every_editor_field_renders_as_text(client, poll):
    attack = "<script>alert(1)</script><img src=x onerror=alert(2)>[x](javascript:alert(3))"
    question = poll.questions.order_by("order").first()
    page = ResultPage.objects.create(poll=poll, slug="xss", title=attack, lead=attack, body=attack)
    for kind in ("text", "quote", "key_figure", "chart"):
        ResultBlock.objects.create(
            page=page, kind=kind, question=question, option_code="o0", text=attack
        )
    page_publish(page=page)
    html = public(client, "xss").content.decode()
    assert "<script>alert" not in html
    assert "onerror=alert" not in html.replace("onerror=alert(2)&gt;", "")
    assert "javascript:" not in html.replace("[x](javascript:alert(3))", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_public_page_is_served_from_cache(client, page, django_assert_max_num_queries):
    page_publish(page=page)
    public(client)
    with django_assert_max_num_queries(3):
        assert public(client).status_code == 200


def test_staff_see_the_same_public_page_without_staff_links(client, page):
    page_publish(page=page)
    client.force_login(staff_user("Editor"))
    html = public(client).content.decode()
    assert "/staff/" not in html
    assert reverse("staff-home") not in html


# --------------------------------------------------------------------------- the editor


@pytest.fixture
def editor(client, db):
    user = staff_user("Editor")
    client.force_login(user)
    return user


def edit_url(page, end=""):
    return f"/staff/polls/{page.poll.slug}/pages/{page.pk}/{end}"


def test_an_editor_creates_a_page_and_adds_reorders_and_removes_blocks(client, editor, poll):
    response = client.post(
        f"/staff/polls/{poll.slug}/pages/",
        {
            "new-title": "Socionomerna svarar",
            "new-slug": "socionomerna",
            "new-lead": "",
            "new-body": "",
        },
    )
    page = ResultPage.objects.get(slug="socionomerna")
    assert response.status_code == 302 and page.state == "draft"
    question, follow = poll.questions.order_by("order")
    for q in (question, follow):
        client.post(
            edit_url(page, "blocks/"),
            {"block-kind": "chart", "block-question": q.pk, "block-weighted": "on"},
        )
    client.post(edit_url(page, "blocks/"), {"block-kind": "text", "block-text": "Mellanrubrik"})
    assert list(page.blocks.values_list("kind", "order")) == [
        ("chart", 0),
        ("chart", 1),
        ("text", 2),
    ]
    text_block = page.blocks.get(kind="text")
    client.post(edit_url(page, f"blocks/{text_block.pk}/move/"), {"direction": "up"})
    assert [b.kind for b in page.blocks.order_by("order")] == ["chart", "text", "chart"]
    client.post(edit_url(page, f"blocks/{text_block.pk}/delete/"))
    assert [b.order for b in page.blocks.order_by("order")] == [0, 1]
    # A block must name its question.
    client.post(edit_url(page, "blocks/"), {"block-kind": "chart"})
    assert page.blocks.count() == 2
    assert client.get(edit_url(page)).status_code == 200
    assert client.get(f"/staff/polls/{poll.slug}/pages/").status_code == 200


def test_the_preview_is_the_public_page(client, editor, page):
    preview = client.get(edit_url(page, "preview/")).content.decode()
    client.post(edit_url(page, "publish/"), {"anyway": "1"})
    client.logout()
    published = public(client).content.decode()
    # The same HTML; the figures' JSON is the same data (PostgreSQL's jsonb orders the keys).
    # Only a published version has an address, an image, downloads and embeds.
    strip = re.compile(
        r'<p class="muted article-version">.*?</p>'
        r'|<p class="chart-tools">.*?</p>|<details class="embed-code">.*?</details>'
        r'|<(?:meta|link) (?:property|name|rel)="(?:og:url|canonical|og:image[:a-z]*|twitter:'
        r'(?:card|image))"[^>]*>\s*'
        r'|(<script id="[^"]+" type="application/json">).*?(</script>)',
        re.S,
    )

    def same(html: str) -> str:
        return re.sub(r"\s+", " ", strip.sub(r"\1\2", html))

    assert same(preview) == same(published)
    figures = re.compile(r'<script id="[^"]+" type="application/json">(.*?)</script>', re.S)
    assert [json.loads(f) for f in figures.findall(preview)] == [
        json.loads(f) for f in figures.findall(published)
    ]


def test_unsupported_claims_are_listed_with_the_reason_and_the_right_figure(client, editor, page):
    page.lead = "57 procent svarar ja. Nio av tio svarar ja."
    page.body = "Fler än hälften svarar nej. Ja är vanligare bland kommun än bland region."
    page.save()
    html = client.get(edit_url(page)).content.decode()
    claims = re.search(r'<div class="card" id="claims">.*?</div>', html, re.S).group(0)
    text = re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", " ", claims))
    assert "57 procent" in text
    assert (
        "Ingen andel på sidan avrundas till den siffran. "
        f"Närmast: Ja (region): 70{NBSP}%, intervall 52–83{NBSP}%." in text
    )
    assert "Nio av tio" in text and "Andelen är större" not in text.split("Nio av tio")[0]
    assert "Intervallet når under" in text or "Andelen är större än texten säger" in text
    assert "vanligare bland kommun än bland region" in text
    assert "Skillnaden ryms inom felmarginalen" in text or "Skillnaden går åt andra hållet" in text
    # The supported ones are not listed: 75 % is on the page, "tre av fyra" holds.
    assert "75 procent" not in text


def test_a_supported_text_has_no_flags_and_headlines_are_offered(client, editor, page):
    page.title = "Svaren"
    page.lead = "75 procent svarar ja."
    page.body = ""
    page.save()
    html = client.get(edit_url(page)).content.decode()
    assert "Varje siffra och jämförelse i texterna stöds av sidans siffror." in html
    assert 'id="headlines"' in html
    assert "Mer än hälften svarar ”Ja”" in html or "av 10 svarar ”Ja”" in html


def test_publishing_with_a_flag_needs_publish_anyway_which_is_logged(client, editor, page, caplog):
    page.lead = "57 procent svarar ja."
    page.save()
    client.post(edit_url(page, "publish/"))
    page.refresh_from_db()
    assert page.state == "draft" and not page.versions.exists()
    with caplog.at_level("WARNING", logger="results.publishing"):
        client.post(edit_url(page, "publish/"), {"anyway": "1"})
    version = page.versions.get()
    assert version.published_by == editor
    assert version.overridden_claims[0]["text"] == "57 procent"
    assert "Ingen andel på sidan" in version.overridden_claims[0]["reason"]
    assert "published anyway by" in caplog.text and "57 procent" in caplog.text
    assert public(client).status_code == 200
    client.post(edit_url(page, "unpublish/"))
    assert public(client).status_code == 404


def test_a_phone_number_or_e_mail_in_a_quote_is_flagged(client, editor, page):
    ResultBlock.objects.create(
        page=page, order=9, kind="quote", text="Ring mig på 070-123 45 67 eller a@b.se"
    )
    page.lead = ""
    page.title = "Citat"
    page.body = ""
    page.save()
    html = client.get(edit_url(page)).content.decode()
    assert "Ett telefonnummer i ett citat" in html
    assert "En e-postadress i ett citat" in html


def test_script_in_every_editor_field_renders_as_text_on_the_editor_page(client, editor, poll):
    attack = "<script>alert(1)</script>"
    page = ResultPage.objects.create(poll=poll, slug="x", title=attack, lead=attack, body=attack)
    ResultBlock.objects.create(page=page, kind="quote", text=attack)
    for url in (edit_url(page), edit_url(page, "preview/")):
        html = client.get(url).content.decode()
        assert "<script>alert(1)" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_public_json_has_an_etag_and_keeps_small_groups_suppressed(client, poll, page):
    poll.min_cell_size = 40
    poll.save()
    assert client.get("/r/verklighetsforankring/data.json").status_code == 404
    page_publish(page=page)
    response = client.get("/r/verklighetsforankring/data.json")
    assert response.status_code == 200
    data = response.json()
    assert data["title"] == page.title
    breakdown = data["languages"]["sv"]["blocks"][2]["parts"][0]["groups"]
    hidden = [g for g in breakdown if g["suppressed"]]
    assert hidden and all(g["options"] == [] and g["n_text"] == "" for g in hidden)
    again = client.get("/r/verklighetsforankring/data.json", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    page_publish(page=page)
    assert (
        client.get(
            "/r/verklighetsforankring/data.json", HTTP_IF_NONE_MATCH=response["ETag"]
        ).status_code
        == 200
    )


def test_the_thank_you_page_links_to_the_published_results_and_only_then(page):
    from django.template.loader import render_to_string

    from results.publishing import page_unpublish

    def thanks():
        page.poll.refresh_from_db()
        with translation.override("sv"):
            return render_to_string("polls/answer_thanks.html", {"poll": page.poll})

    assert "resultat" not in thanks().lower()
    page_publish(page=page)
    assert 'href="/r/verklighetsforankring/"' in thanks()
    assert "Se undersökningens resultat" in thanks()
    page_unpublish(page=page)
    assert "resultat" not in thanks().lower()
