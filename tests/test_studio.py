"""Editors build questionnaires in the studio: polls, pages, questions and their settings per
kind, order, display conditions, preview and test mode, the structure lock once responses exist
(with logged text fixes), and duplicating a poll as its next wave."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from polls.authoring.studio import (
    Locked,
    Refused,
    question_condition_set,
    question_create,
    question_move,
    question_update,
)
from polls.authoring.waves import next_wave_slug, poll_duplicate
from polls.conditions import condition_set
from polls.models import (
    Answer,
    Draft,
    GridRow,
    Invitation,
    Option,
    Poll,
    Question,
    Response,
    Section,
    TextEdit,
)
from tests.factories import (
    PollFactory,
    QuestionFactory,
    ResponseFactory,
    SectionFactory,
    every_kind_poll,
    invitation_with_token,
    question_with_options,
    staff_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor():
    return staff_user("Editor")


@pytest.fixture
def studio(client, editor):
    """An editor's browser, in English (the studio's own words have no Swedish yet)."""
    client.force_login(editor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def url(name, *args):
    return reverse(name, args=args)


def text(response) -> str:
    return response.content.decode()


def yes_no(poll, code="kan_utfora", **fields):
    return question_with_options(
        poll,
        Question.Kind.SINGLE,
        [("ja", "Ja", "Yes"), ("nej", "Nej", "No"), ("vet_ej", "Vet ej", "Don't know")],
        code=code,
        **fields,
    )


def question_post(question, **changes):
    """The question form as the page draws it, with `changes`; options and statements as they
    are (plus the two empty rows)."""
    data = {
        "action": "save",
        "text_sv": question.text_sv,
        "text_en": question.text_en,
        "code": question.code,
        "kind": question.kind,
        "section": question.section_id or "",
        "required": "on" if question.required else "",
        "randomize_options": "on" if question.randomize_options else "",
        "max_choices": question.max_choices or "",
        "scale_min": "" if question.scale_min is None else question.scale_min,
        "scale_max": "" if question.scale_max is None else question.scale_max,
        "label_low_sv": question.label_low_sv,
        "label_low_en": question.label_low_en,
        "label_high_sv": question.label_high_sv,
        "label_high_en": question.label_high_en,
        "number_min": "" if question.number_min is None else question.number_min,
        "number_max": "" if question.number_max is None else question.number_max,
        "decimal_places": question.decimal_places,
        "text_max_length": question.text_max_length,
    }
    for prefix, items, fields in (
        ("options", question.options.all(), ("code", "label_sv", "label_en")),
        ("rows", question.rows.all(), ("code", "text_sv", "text_en")),
    ):
        items = list(items)
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": len(items) + 2,
                f"{prefix}-INITIAL_FORMS": len(items),
                f"{prefix}-MIN_NUM_FORMS": 0,
                f"{prefix}-MAX_NUM_FORMS": 1000,
            }
        )
        for i, item in enumerate(items):
            data[f"{prefix}-{i}-pk"] = item.pk
            data[f"{prefix}-{i}-ORDER"] = i + 1
            for name in fields:
                data[f"{prefix}-{i}-{name}"] = getattr(item, name)
            for flag in ("is_dont_know", "exclusive", "anchored"):
                if getattr(item, flag, False):
                    data[f"{prefix}-{i}-{flag}"] = "on"
    data = {k: v for k, v in data.items() if v != ""}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def outline_codes(poll) -> list[list[str]]:
    from polls.authoring.studio import poll_outline

    return [[q.code for q in page.questions] for page in poll_outline(poll)]


# --- polls --------------------------------------------------------------------------------------


def test_an_editor_creates_a_poll_as_a_draft(studio):
    response = studio.post(
        url("studio-poll-new"),
        {
            "title_sv": "Arbetsmiljön 2026",
            "title_en": "The working environment 2026",
            "intro_sv": "Tre minuter.",
            "intro_en": "Three minutes.",
            "slug": "arbetsmiljo-2026",
            "organisation": "Akademikerförbundet SSR",
            "contact_email": "enkat@example.org",
            "opens_at": "2026-09-01T08:00",
            "closes_at": "2026-09-21T20:00",
            "series": "arbetsmiljo",
        },
    )
    poll = Poll.objects.get(slug="arbetsmiljo-2026")
    assert response.status_code == 302
    assert response["Location"] == url("studio-poll", poll.slug)
    assert poll.state == Poll.State.DRAFT
    assert (poll.title_en, poll.intro_sv, poll.series) == (
        "The working environment 2026",
        "Tre minuter.",
        "arbetsmiljo",
    )
    assert poll.opens_at < poll.closes_at
    assert "The working environment 2026" in text(studio.get(url("studio-polls")))


def test_a_poll_needs_a_free_address_that_the_studio_does_not_use(studio):
    PollFactory(slug="taken")
    for slug, message in [("taken", "Another poll already has"), ("new", "taken by the studio")]:
        response = studio.post(
            url("studio-poll-new"),
            {"title_sv": "X", "slug": slug, "organisation": "SSR", "contact_email": "a@b.se"},
        )
        assert response.status_code == 400
        assert message in text(response)
    assert Poll.objects.count() == 1


def test_a_poll_must_close_after_it_opens(studio):
    response = studio.post(
        url("studio-poll-new"),
        {
            "title_sv": "X",
            "slug": "x",
            "organisation": "SSR",
            "contact_email": "a@b.se",
            "opens_at": "2026-09-21T08:00",
            "closes_at": "2026-09-01T08:00",
        },
    )
    assert response.status_code == 400
    assert "must close after it opens" in text(response)


def test_an_editor_edits_the_poll_settings_side_by_side(studio):
    poll = PollFactory(slug="p-2026", state=Poll.State.DRAFT)
    page = studio.get(url("studio-poll-edit", poll.slug))
    assert re.search(
        r'<div class="bilingual">\s*<div lang="sv">.*id="id_title_sv"', text(page), re.S
    )
    response = studio.post(
        url("studio-poll-edit", poll.slug),
        {
            "title_sv": "Ny titel",
            "title_en": "New title",
            "slug": "p-2026",
            "organisation": "Vision",
            "contact_email": "fragor@example.org",
        },
    )
    assert response.status_code == 302
    poll.refresh_from_db()
    assert (poll.title_sv, poll.organisation, poll.contact_email) == (
        "Ny titel",
        "Vision",
        "fragor@example.org",
    )
    assert not TextEdit.objects.exists()  # no responses yet: nothing to log


# --- pages and questions ------------------------------------------------------------------------


def test_an_editor_adds_pages_and_questions_in_order(studio):
    poll = PollFactory(state=Poll.State.DRAFT)
    studio.post(
        url("studio-section-new", poll.slug),
        {"section-title_sv": "Ditt arbete", "section-title_en": "Your work"},
    )
    studio.post(url("studio-section-new", poll.slug), {"section-title_sv": "Arbetsmiljö"})
    work, environment = poll.sections.order_by("order")
    assert (work.order, work.title_en, environment.order) == (1, "Your work", 2)

    for code, section, kind in [
        ("kan_utfora", work, "single"),
        ("nojd", environment, "scale"),
        ("vad_kravs", work, "text"),
    ]:
        response = studio.post(
            url("studio-question-new", poll.slug),
            {
                "kind": kind,
                "code": code,
                "section": section.pk,
                "text_sv": f"Fråga {code}?",
                "text_en": f"Question {code}?",
                "required": "on",
            },
        )
        question = poll.questions.get(code=code)
        assert response["Location"] == url("studio-question", poll.slug, question.pk)
    assert outline_codes(poll) == [["kan_utfora", "vad_kravs"], ["nojd"]]
    scale = poll.questions.get(code="nojd")
    assert (scale.scale_min, scale.scale_max) == (1, 5)  # a scale starts as 1–5

    page = text(studio.get(url("studio-poll", poll.slug)))
    assert page.index("kan_utfora") < page.index("vad_kravs") < page.index("nojd")


def test_a_question_code_is_unique_in_its_poll(studio):
    poll = PollFactory(state=Poll.State.DRAFT)
    QuestionFactory(poll=poll, code="q1")
    response = studio.post(
        url("studio-question-new", poll.slug), {"kind": "text", "code": "q1", "text_sv": "Hm?"}
    )
    assert response.status_code == 400
    assert "already has a question with this code" in text(response)


def test_the_question_page_edits_swedish_and_english_side_by_side(studio):
    poll = PollFactory(state=Poll.State.DRAFT)
    question = yes_no(poll)
    page = text(studio.get(url("studio-question", poll.slug, question.pk)))
    assert re.search(
        r'<div lang="sv">.*id="id_text_sv".*</div>\s*<div lang="en">.*id="id_text_en"', page, re.S
    )
    assert 'id="id_options-0-label_sv"' in page and 'id="id_options-0-label_en"' in page
    response = studio.post(
        url("studio-question", poll.slug, question.pk),
        question_post(question, text_sv="Kan du göra ditt jobb?", text_en="Can you do your job?"),
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert (question.text_sv, question.text_en) == (
        "Kan du göra ditt jobb?",
        "Can you do your job?",
    )


def test_options_are_added_reordered_and_deleted(studio):
    poll = PollFactory(state=Poll.State.DRAFT)
    question = yes_no(poll)
    data = question_post(question)
    _ja, nej, _vet_ej = question.options.all()
    data.update(
        {
            # "Vet ej" first, "Nej" deleted, a new option without a code gets one from its label.
            "options-2-ORDER": "0",
            "options-1-DELETE": "on",
            "options-3-label_sv": "Delvis, ibland",
            "options-3-label_en": "Partly",
            "options-3-ORDER": "9",
            "options-3-exclusive": "on",
        }
    )
    response = studio.post(url("studio-question", poll.slug, question.pk), data)
    assert response.status_code == 302, text(response)
    options = list(question.options.all())
    assert [(o.code, o.order) for o in options] == [("vet_ej", 1), ("ja", 2), ("delvis_ibland", 3)]
    assert options[2].exclusive and options[2].label_en == "Partly"
    assert not Option.objects.filter(pk=nej.pk).exists()


def test_two_options_with_the_same_code_are_refused(studio):
    poll = PollFactory(state=Poll.State.DRAFT)
    question = yes_no(poll)
    data = question_post(question, **{"options-1-code": "ja"})
    response = studio.post(url("studio-question", poll.slug, question.pk), data)
    assert response.status_code == 400
    assert "The code ja is used twice." in text(response)
    assert list(question.options.values_list("code", flat=True)) == ["ja", "nej", "vet_ej"]


@pytest.mark.parametrize(
    ("kind", "changes", "expected"),
    [
        (
            "scale",
            {
                "scale_min": "0",
                "scale_max": "10",
                "label_low_sv": "Inte alls",
                "label_low_en": "Not at all",
                "label_high_sv": "Helt",
                "label_high_en": "Completely",
            },
            {
                "scale_min": 0,
                "scale_max": 10,
                "label_low_en": "Not at all",
                "label_high_sv": "Helt",
            },
        ),
        (
            "number",
            {"number_min": "0", "number_max": "99.5", "decimal_places": "1"},
            {"number_min": 0, "decimal_places": 1},
        ),
        ("text", {"text_max_length": "500"}, {"text_max_length": 500}),
        ("ranking", {"max_choices": "2"}, {"max_choices": 2}),
        ("multiple", {"max_choices": "3", "randomize_options": "on"}, {"randomize_options": True}),
    ],
)
def test_each_kind_keeps_its_settings(studio, kind, changes, expected):
    poll = PollFactory(state=Poll.State.DRAFT)
    options = [] if kind in ("number", "text") else ["A", "B", "C"]
    question = question_with_options(
        poll,
        kind,
        options,
        scale_min=1 if kind == "scale" else None,
        scale_max=5 if kind == "scale" else None,
    )
    response = studio.post(
        url("studio-question", poll.slug, question.pk), question_post(question, **changes)
    )
    assert response.status_code == 302, text(response)
    question.refresh_from_db()
    for name, value in expected.items():
        assert getattr(question, name) == value


def test_a_grid_gets_its_statements(studio):
    poll = PollFactory(state=Poll.State.DRAFT)
    question = question_with_options(poll, "grid", ["Stämmer", "Stämmer inte"])
    data = question_post(
        question,
        **{
            "rows-0-code": "belastning",
            "rows-0-text_sv": "Rimlig arbetsbelastning",
            "rows-0-text_en": "Reasonable workload",
            "rows-1-text_sv": "Stöd av chefen",
        },
    )
    response = studio.post(url("studio-question", poll.slug, question.pk), data)
    assert response.status_code == 302, text(response)
    assert [(r.code, r.text_sv, r.order) for r in question.rows.all()] == [
        ("belastning", "Rimlig arbetsbelastning", 1),
        ("stod_av_chefen", "Stöd av chefen", 2),
    ]


def test_a_scale_that_does_not_go_up_is_refused(studio):
    poll = PollFactory(state=Poll.State.DRAFT)
    question = QuestionFactory(poll=poll, kind="scale", scale_min=1, scale_max=5)
    response = studio.post(
        url("studio-question", poll.slug, question.pk),
        question_post(question, scale_min="5", scale_max="3"),
    )
    assert response.status_code == 400
    assert "The scale must go up" in text(response)
    question.refresh_from_db()
    assert (question.scale_min, question.scale_max) == (1, 5)


def test_settings_of_other_kinds_are_not_on_the_page(studio):
    poll = PollFactory(state=Poll.State.DRAFT)
    question = QuestionFactory(poll=poll, kind="text")
    page = text(studio.get(url("studio-question", poll.slug, question.pk)))
    assert 'name="text_max_length"' in page
    assert 'name="scale_min"' not in page and 'name="options-TOTAL_FORMS"' not in page


def test_questions_move_up_and_down_and_onto_the_next_page(studio):
    poll = PollFactory(state=Poll.State.DRAFT)
    one, two = SectionFactory(poll=poll, order=1), SectionFactory(poll=poll, order=2)
    a = QuestionFactory(poll=poll, section=one, order=1, code="a")
    QuestionFactory(poll=poll, section=one, order=2, code="b")
    QuestionFactory(poll=poll, section=two, order=1, code="c")

    def move(question, direction):
        return studio.post(
            url("studio-question-move", poll.slug, question.pk), {"direction": direction}
        )

    assert move(a, "down").status_code == 302
    assert outline_codes(poll) == [["b", "a"], ["c"]]
    move(a, "down")  # the last of its page: onto the start of the next
    assert outline_codes(poll) == [["b"], ["a", "c"]]
    move(a, "down")
    assert outline_codes(poll) == [["b"], ["c", "a"]]
    move(a, "down")  # already last: nothing happens
    assert outline_codes(poll) == [["b"], ["c", "a"]]
    move(a, "up")
    move(a, "up")
    move(a, "up")
    assert outline_codes(poll) == [["a", "b"], ["c"]]
    assert [q.order for q in poll.questions.filter(section=one)] == [1, 2]


def test_moving_with_htmx_returns_the_new_outline(studio):
    poll = PollFactory(state=Poll.State.DRAFT)
    a = QuestionFactory(poll=poll, order=1, code="first")
    QuestionFactory(poll=poll, order=2, code="second")
    response = studio.post(
        url("studio-question-move", poll.slug, a.pk), {"direction": "down"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = text(response)
    assert body.startswith('<div id="outline"')
    assert body.index('data-code="second"') < body.index('data-code="first"')


def test_pages_move_and_only_an_empty_page_is_deleted(studio):
    poll = PollFactory(state=Poll.State.DRAFT)
    one = SectionFactory(poll=poll, order=1, title_sv="Ett")
    two = SectionFactory(poll=poll, order=2, title_sv="Två")
    QuestionFactory(poll=poll, section=one, code="a")
    studio.post(url("studio-section-move", poll.slug, two.pk), {"direction": "up"})
    assert list(poll.sections.values_list("title_sv", flat=True)) == ["Två", "Ett"]

    assert studio.get(url("studio-section-delete", poll.slug, one.pk)).status_code == 200
    response = studio.post(url("studio-section-delete", poll.slug, one.pk), follow=True)
    assert "Move or delete the questions on this page first." in text(response)
    studio.post(url("studio-section-delete", poll.slug, two.pk))
    assert list(poll.sections.values_list("title_sv", "order")) == [("Ett", 1)]


def test_a_question_is_deleted_unless_another_depends_on_it(studio):
    poll = PollFactory(state=Poll.State.DRAFT)
    can = yes_no(poll, order=1)
    follow_up = QuestionFactory(poll=poll, order=2, code="vad_kravs", kind="text")
    condition_set(question=follow_up, on=can, codes=["nej"])
    response = studio.post(url("studio-question-delete", poll.slug, can.pk), follow=True)
    assert "remove those conditions first" in text(response)
    assert Question.objects.filter(pk=can.pk).exists()
    studio.post(url("studio-question-delete", poll.slug, follow_up.pk))
    studio.post(url("studio-question-delete", poll.slug, can.pk))
    assert not poll.questions.exists()


# --- conditions ---------------------------------------------------------------------------------


@pytest.fixture
def follow_up_poll():
    poll = PollFactory(state=Poll.State.DRAFT)
    can = yes_no(poll, order=1)
    follow_up = QuestionFactory(poll=poll, order=2, code="vad_kravs", kind="text")
    later = yes_no(poll, code="senare", order=3)
    return poll, can, follow_up, later


def condition_post(on, options):
    return {
        "action": "condition",
        "condition-on": on.pk if on else "",
        "condition-options": [o.pk for o in options],
    }


def test_an_editor_sets_a_follow_up_condition(studio, follow_up_poll):
    poll, can, follow_up, _later = follow_up_poll
    page = text(studio.get(url("studio-question", poll.slug, follow_up.pk)))
    assert f'data-condition-for="{can.pk}"' in page
    nej = can.options.get(code="nej")
    response = studio.post(
        url("studio-question", poll.slug, follow_up.pk), condition_post(can, [nej])
    )
    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.condition_question == can
    assert list(follow_up.condition_options.all()) == [nej]
    outline = text(studio.get(url("studio-poll", poll.slug)))
    assert "Shown only if <code>kan_utfora</code> = <code>nej</code>" in outline

    studio.post(url("studio-question", poll.slug, follow_up.pk), condition_post(None, []))
    follow_up.refresh_from_db()
    assert follow_up.condition_question is None and not follow_up.condition_options.exists()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("later", "Question vad_kravs depends on senare, which comes later."),
        ("no options", "Question vad_kravs depends on kan_utfora but names no options."),
        ("other's options", "names options that kan_utfora does not have: ja."),
    ],
)
def test_a_broken_condition_is_refused_with_its_message(studio, follow_up_poll, case, message):
    poll, can, follow_up, later = follow_up_poll
    data = {
        "later": condition_post(later, [later.options.get(code="nej")]),
        "no options": condition_post(can, []),
        "other's options": condition_post(can, [later.options.get(code="ja")]),
    }[case]
    response = studio.post(url("studio-question", poll.slug, follow_up.pk), data)
    assert response.status_code == 400
    assert message in text(response)
    follow_up.refresh_from_db()
    assert follow_up.condition_question is None and not follow_up.condition_options.exists()


def test_a_cycle_of_conditions_is_refused(follow_up_poll):
    _poll, can, _follow_up, later = follow_up_poll
    question_condition_set(question=later, on=can, options=[can.options.get(code="ja")])
    with pytest.raises(Refused) as refused:
        question_condition_set(question=can, on=later, options=[later.options.get(code="ja")])
    assert "Questions kan_utfora → senare → kan_utfora depend on each other in a circle." in (
        refused.value.messages
    )
    can.refresh_from_db()
    assert can.condition_question is None


def test_moving_a_follow_up_above_its_condition_is_refused(studio, follow_up_poll):
    poll, can, follow_up, _later = follow_up_poll
    condition_set(question=follow_up, on=can, codes=["nej"])
    response = studio.post(
        url("studio-question-move", poll.slug, follow_up.pk), {"direction": "up"}, follow=True
    )
    assert "Question vad_kravs depends on kan_utfora, which comes later." in text(response)
    assert outline_codes(poll) == [["kan_utfora", "vad_kravs", "senare"]]


def test_deleting_an_option_that_a_condition_names_is_refused(studio, follow_up_poll):
    poll, can, follow_up, _later = follow_up_poll
    condition_set(question=follow_up, on=can, codes=["nej"])
    response = studio.post(
        url("studio-question", poll.slug, can.pk),
        question_post(can, **{"options-1-DELETE": "on"}),
    )
    assert response.status_code == 400
    assert "The option nej is part of the condition of vad_kravs." in text(response)
    assert can.options.filter(code="nej").exists()


def test_a_question_others_depend_on_keeps_a_kind_with_options(studio, follow_up_poll):
    poll, can, follow_up, _later = follow_up_poll
    condition_set(question=follow_up, on=can, codes=["nej"])
    response = studio.post(
        url("studio-question", poll.slug, can.pk), question_post(can, kind="text")
    )
    assert response.status_code == 400
    assert "which has no options to choose" in text(response)
    can.refresh_from_db()
    assert can.kind == "single"


# --- preview and test mode ----------------------------------------------------------------------


def article(html: str) -> str:
    """The member page's <article>, without the per-request CSRF token."""
    match = re.search(r'<article class="poll">.*</article>', html, re.S)
    assert match, html[:2000]
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", match.group(0))


def test_the_preview_draws_the_poll_exactly_like_the_member_page(studio, client):
    poll = every_kind_poll()
    poll.questions.update(randomize_options=False)  # the same order for both seeds
    _invitation, token = invitation_with_token(poll)
    from django.test import Client

    member = Client()
    member.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    as_member = member.get(f"/s/{token}/")
    preview = studio.get(url("studio-test", poll.slug) + "?restart=1")
    assert preview.status_code == 200
    assert article(text(preview)) == article(text(as_member))
    assert "Test mode" in text(preview)
    # The member's header: no staff menu inside the preview.
    assert "Log out" not in text(preview)


def test_the_preview_page_frames_the_test_mode_at_phone_width(studio):
    poll = every_kind_poll()
    page = text(studio.get(url("studio-preview", poll.slug)))
    assert 'class="preview-stage preview-phone"' in page
    assert f'src="{url("studio-test", poll.slug)}?restart=1"' in page
    assert page.count('target="preview-frame"') == 3 + 1  # three pages and "start over"
    desktop = text(studio.get(url("studio-preview", poll.slug) + "?width=desktop"))
    assert 'class="preview-stage preview-desktop"' in desktop
    frame = studio.get(url("studio-test", poll.slug))
    assert frame["X-Frame-Options"] == "SAMEORIGIN"


def every_kind_answers(poll) -> dict[str, dict]:
    q = {question.code: question for question in poll.questions.all()}

    def opt(code, option):
        return str(q[code].options.get(code=option).pk)

    rows = list(q["pastaenden"].rows.all())
    return {
        "page1": {
            f"q{q['kan_utfora'].pk}": opt("kan_utfora", "nej"),
            f"q{q['vad_kravs'].pk}": "Färre ärenden",
            f"q{q['atgarder'].pk}": [opt("atgarder", "tid"), opt("atgarder", "resurser")],
        },
        "page2": {f"q{q['nojd'].pk}": "4", f"q{q['arenden'].pk}": "35"},
        "page3": {
            **{
                f"q{q['prioritet'].pk}_{place}": opt("prioritet", code)
                for place, code in enumerate(["lon", "arbetstid", "kompetens"], start=1)
            },
            **{f"q{q['pastaenden'].pk}_r{row.pk}": opt("pastaenden", "delvis") for row in rows},
        },
    }


def test_test_mode_walks_the_pages_validates_and_writes_nothing(studio):
    poll = every_kind_poll()
    invitation, _token = invitation_with_token(poll)
    answers = every_kind_answers(poll)
    test = url("studio-test", poll.slug)
    counts = (Response.objects.count(), Answer.objects.count(), Draft.objects.count())

    assert "Part 1 of 3" in text(studio.get(test + "?restart=1"))
    # The member's validation: the follow-up after "No" needs an answer.
    incomplete = dict(answers["page1"])
    incomplete.pop(next(k for k in incomplete if incomplete[k] == "Färre ärenden"))
    response = studio.post(test, {"page": 0, "action": "next", **incomplete})
    assert response.status_code == 400
    assert "Please write an answer." in text(response)

    assert studio.post(test, {"page": 0, "action": "next", **answers["page1"]}).status_code == 302
    assert "Part 2 of 3" in text(studio.get(test))
    studio.post(test, {"page": 1, "action": "back", **answers["page2"]})
    assert "Part 1 of 3" in text(studio.get(test))
    studio.post(test, {"page": 0, "action": "next", **answers["page1"]})
    studio.post(test, {"page": 1, "action": "next", **answers["page2"]})
    done = studio.post(test, {"page": 2, "action": "next", **answers["page3"]})

    assert done.status_code == 200
    body = text(done)
    assert 'id="would-be-answers"' in body
    for expected in [
        "No (nej)",
        "Färre ärenden",
        "More time for work with clients (tid)",
        "<dd>4</dd>",
        "<dd>35</dd>",
        "1. Pay (lon)",
        "3. Professional development (kompetens)",
        "My workload is reasonable: Partly true (delvis)",
    ]:
        assert expected in body, expected
    assert (Response.objects.count(), Answer.objects.count(), Draft.objects.count()) == counts
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SENT
    # The next run starts afresh.
    assert "Part 1 of 3" in text(studio.get(test))


def test_test_mode_of_a_poll_without_questions_says_so(studio):
    poll = PollFactory(state=Poll.State.DRAFT)
    assert "has no questions yet" in text(studio.get(url("studio-test", poll.slug)))


# --- the structure lock -------------------------------------------------------------------------


@pytest.fixture
def answered_poll():
    poll = PollFactory(slug="answered-2026")
    section = SectionFactory(poll=poll, order=1, title_sv="Arbetet", title_en="Work")
    can = yes_no(poll, section=section, order=1, text_sv="Kan du utföra ditt arbte?")
    follow_up = QuestionFactory(poll=poll, section=section, order=2, code="vad_kravs", kind="text")
    ResponseFactory(poll=poll)
    return poll, can, follow_up


def test_structural_edits_are_refused_once_a_response_exists(studio, answered_poll):
    poll, can, follow_up = answered_poll
    nej = can.options.get(code="nej")
    attempts = [
        studio.post(
            url("studio-question-new", poll.slug), {"kind": "text", "code": "ny", "text_sv": "Ny?"}
        ),
        studio.post(url("studio-question-delete", poll.slug, follow_up.pk), follow=True),
        studio.post(
            url("studio-question-move", poll.slug, follow_up.pk), {"direction": "up"}, follow=True
        ),
        studio.post(url("studio-section-new", poll.slug), {"section-title_sv": "Ny"}, follow=True),
    ]
    for response in attempts:
        assert "its structure is locked" in text(response)
    with pytest.raises(Locked):
        question_condition_set(question=follow_up, on=can, options=[nej])
    with pytest.raises(Locked):
        question_update(question=can, changes={"code": "kan"}, by=None)
    with pytest.raises(Locked):
        question_create(poll=poll, kind="text", code="x", text_sv="X?")
    with pytest.raises(Locked):
        question_move(question=follow_up, up=True)
    assert outline_codes(poll) == [["kan_utfora", "vad_kravs"]]
    assert can.options.count() == 3 and follow_up.condition_question is None


def test_the_locked_question_page_explains_and_keeps_the_structure(studio, answered_poll):
    poll, can, _follow_up = answered_poll
    page = text(studio.get(url("studio-question", poll.slug, can.pk)))
    assert 'id="lock-notice"' in page
    assert re.search(r'name="code"[^>]*disabled', page)
    assert 'name="options-0-DELETE"' not in page  # no deleting, adding or reordering
    # A crafted POST that adds an option is refused with the explanation.
    response = studio.post(
        url("studio-question", poll.slug, can.pk),
        question_post(can, **{"options-TOTAL_FORMS": 4, "options-3-label_sv": "Ny"}),
    )
    assert response.status_code == 400
    assert "its structure is locked" in text(response)
    assert can.options.count() == 3
    # One that changes the code and kind and deletes an option changes only the texts.
    data = question_post(
        can,
        code="changed",
        kind="multiple",
        text_sv="Kan du utföra ditt arbete?",
        **{
            "options-0-code": "changed",
            "options-0-DELETE": "on",
            "options-0-label_en": "Yes, I can",
        },
    )
    response = studio.post(url("studio-question", poll.slug, can.pk), data)
    assert response.status_code == 302, text(response)
    can.refresh_from_db()
    assert (can.code, can.kind, can.text_sv) == (
        "kan_utfora",
        "single",
        "Kan du utföra ditt arbete?",
    )
    assert list(can.options.values_list("code", "label_en")) == [
        ("ja", "Yes, I can"),
        ("nej", "No"),
        ("vet_ej", "Don't know"),
    ]


def test_text_fixes_after_a_response_are_saved_and_logged(studio, answered_poll, editor):
    poll, can, _follow_up = answered_poll
    studio.post(
        url("studio-question", poll.slug, can.pk),
        question_post(
            can, text_sv="Kan du utföra ditt arbete?", **{"options-2-label_en": "Not sure"}
        ),
    )
    section = poll.sections.get()
    studio.post(
        url("studio-section", poll.slug, section.pk),
        {"section-title_sv": "Arbetet", "section-title_en": "Your work"},
    )
    studio.post(
        url("studio-poll-edit", poll.slug),
        {
            "title_sv": poll.title_sv,
            "title_en": "New title",
            "slug": poll.slug,
            "organisation": poll.organisation,
            "contact_email": poll.contact_email,
        },
    )
    edits = {
        (e.object_type, e.object_label, e.field): (e.old, e.new, e.by)
        for e in TextEdit.objects.all()
    }
    assert edits == {
        ("question", "kan_utfora", "text_sv"): (
            "Kan du utföra ditt arbte?",
            "Kan du utföra ditt arbete?",
            editor,
        ),
        ("option", "kan_utfora / vet_ej", "label_en"): ("Don't know", "Not sure", editor),
        ("section", "Arbetet", "title_en"): ("Work", "Your work", editor),
        ("poll", poll.slug, "title_en"): (
            "How well grounded are the political decisions?",
            "New title",
            editor,
        ),
    }
    can.refresh_from_db()
    assert can.text_sv == "Kan du utföra ditt arbete?"
    page = text(studio.get(url("studio-poll", poll.slug)))
    assert "<del>Kan du utföra ditt arbte?</del>" in page
    assert "<ins>Kan du utföra ditt arbete?</ins>" in page


def test_text_changes_before_any_response_are_not_logged(studio):
    poll = PollFactory(state=Poll.State.DRAFT)
    question = yes_no(poll)
    studio.post(
        url("studio-question", poll.slug, question.pk), question_post(question, text_sv="Ny text?")
    )
    question.refresh_from_db()
    assert question.text_sv == "Ny text?"
    assert not TextEdit.objects.exists()


# --- the next wave ------------------------------------------------------------------------------


def test_duplicating_makes_the_next_wave_with_links_to_the_last(studio):
    poll = every_kind_poll(slug="arbetsmiljo-2026", title_sv="Arbetsmiljön 2026")
    ResponseFactory(poll=poll)  # a locked poll can still be duplicated
    form = text(studio.get(url("studio-duplicate", poll.slug)))
    assert 'value="arbetsmiljo-2027"' in form and 'value="Arbetsmiljön 2027"' in form
    response = studio.post(
        url("studio-duplicate", poll.slug),
        {"slug": "arbetsmiljo-2027", "title_sv": "Arbetsmiljön 2027", "title_en": "Environment"},
    )
    wave = Poll.objects.get(slug="arbetsmiljo-2027")
    assert response["Location"] == url("studio-poll", wave.slug)
    poll.refresh_from_db()
    assert (wave.state, wave.predecessor, wave.opens_at) == (Poll.State.DRAFT, poll, None)
    assert wave.series == poll.series == "arbetsmiljo"

    def shape(p):
        return [
            (
                q.section.title_sv if q.section else None,
                q.section.order if q.section else None,
                q.order,
                q.code,
                q.kind,
                q.text_sv,
                q.scale_min,
                q.max_choices,
                q.randomize_options,
                [
                    (o.code, o.label_en, o.exclusive, o.anchored, o.is_dont_know)
                    for o in q.options.all()
                ],
                [(r.code, r.text_sv) for r in q.rows.all()],
                q.condition_question.code if q.condition_question else None,
                [o.code for o in q.condition_options.all()],
            )
            for q in p.questions.order_by("section__order", "order")
        ]

    assert shape(wave) == shape(poll)
    for question in wave.questions.all():
        assert question.predecessor.poll == poll
        assert question.predecessor.code == question.code
        if question.condition_question:
            assert question.condition_question.poll == wave
            assert {o.question.poll for o in question.condition_options.all()} == {wave}
    assert not wave.responses.exists() and not poll_is_locked_now(wave)
    assert Section.objects.filter(poll=wave).count() == 3
    assert GridRow.objects.filter(question__poll=wave).count() == 2


def poll_is_locked_now(poll):
    from polls.authoring.studio import poll_is_locked

    return poll_is_locked(poll)


def test_the_next_wave_gets_the_next_free_year_slug():
    poll = PollFactory(slug="verklighet-2026")
    assert next_wave_slug(poll) == "verklighet-2027"
    PollFactory(slug="verklighet-2027")
    assert next_wave_slug(poll) == "verklighet-2027-2"
    assert next_wave_slug(PollFactory(slug="utan-ar")).startswith("utan-ar-20")


def test_deleting_an_earlier_wave_keeps_the_next_one():
    poll = every_kind_poll()
    wave = poll_duplicate(poll=poll, slug="next")
    poll.delete()
    wave.refresh_from_db()
    assert wave.predecessor is None
    assert not wave.questions.filter(predecessor__isnull=False).exists()
    assert wave.questions.count() == 7


# --- listing ------------------------------------------------------------------------------------


def test_the_studio_lists_every_poll_with_its_lock(studio, answered_poll):
    PollFactory(title_sv="Utkastet", title_en="", state=Poll.State.DRAFT)
    page = text(studio.get(url("studio-polls")))
    assert "Utkastet" in page and "answered-2026" in page
    assert page.count(">locked<") == 1
