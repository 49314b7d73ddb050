"""Questionnaires as JSON files: export, import, the round trip, and every kind of bad file
refused with the path of its problem and nothing changed."""

import copy
import html
import io
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from polls.authoring.questionnaire_json import (
    SCHEMA_VERSION,
    QuestionnaireError,
    poll_export,
    poll_export_json,
    poll_import,
)
from polls.demo import demo_poll
from polls.models import GridRow, Option, Poll, Question, Section
from tests.factories import RegisterFactory, every_kind_poll, staff_user

pytestmark = pytest.mark.django_db

DOCS = Path(settings.BASE_DIR) / "docs" / "questionnaire-schema.md"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def without_slug(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "slug"}


def counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Poll, Section, Question, Option, GridRow))


# --- the round trip -----------------------------------------------------------------------------


def test_export_then_import_gives_the_same_file():
    poll = every_kind_poll(series="arbetsmiljo")
    exported = poll_export(poll)
    assert exported["schema_version"] == SCHEMA_VERSION
    assert [q["code"] for q in exported["questions"]] == [
        "kan_utfora",
        "vad_kravs",
        "atgarder",
        "nojd",
        "arenden",
        "prioritet",
        "pastaenden",
    ]
    assert exported["questions"][1]["condition"] == {"question": "kan_utfora", "options": ["nej"]}
    copy_ = poll_import(poll_export_json(poll), slug="copy")
    assert copy_.state == Poll.State.DRAFT
    assert without_slug(poll_export(copy_)) == without_slug(exported)
    assert poll_export(copy_)["slug"] == "copy"


def test_the_seeds_poll_round_trips():
    poll = demo_poll(RegisterFactory())
    text = poll_export_json(poll)
    again = poll_import(text.replace(poll.slug, "seeds-copy", 1))
    assert poll_export_json(again) == text.replace(poll.slug, "seeds-copy", 1)


def test_the_documented_example_imports_and_exports_unchanged():
    document = DOCS.read_text(encoding="utf-8")
    example = re.search(r"```json\n(\{\n  \"schema_version\".*?)\n```", document, re.S)
    assert example, "docs/questionnaire-schema.md lost its example"
    data = json.loads(example.group(1))
    poll = poll_import(example.group(1))
    assert poll_export(poll) == data


def test_the_schema_document_names_every_field_that_export_writes():
    document = DOCS.read_text(encoding="utf-8")
    exported = poll_export(every_kind_poll())
    names = (
        set(exported) | set(exported["questions"][2]) | set(exported["questions"][2]["options"][0])
    )
    names |= set(exported["sections"][0]) | set(exported["questions"][6]["rows"][0])
    missing = sorted(name for name in names if f"`{name}`" not in document)
    assert not missing, f"Document these fields: {missing}"


# --- commands -----------------------------------------------------------------------------------


def test_export_poll_writes_to_standard_output_or_a_file(tmp_path):
    poll = every_kind_poll(slug="arbetsmiljo-2026")
    out = io.StringIO()
    call_command("export_poll", "arbetsmiljo-2026", stdout=out)
    assert json.loads(out.getvalue()) == poll_export(poll)
    target = tmp_path / "poll.json"
    call_command("export_poll", "arbetsmiljo-2026", "--output", str(target), stderr=io.StringIO())
    assert target.read_text(encoding="utf-8") == out.getvalue()
    with pytest.raises(CommandError, match="No poll"):
        call_command("export_poll", "nope")


def test_import_poll_creates_a_draft_with_a_new_slug(tmp_path):
    poll = every_kind_poll(slug="arbetsmiljo-2026")
    source = tmp_path / "poll.json"
    source.write_text(poll_export_json(poll), encoding="utf-8")
    out = io.StringIO()
    call_command("import_poll", str(source), "--slug", "arbetsmiljo-2027", stdout=out)
    assert "arbetsmiljo-2027" in out.getvalue()
    new = Poll.objects.get(slug="arbetsmiljo-2027")
    assert without_slug(poll_export(new)) == without_slug(poll_export(poll))
    # The file's own slug is taken now.
    before = counts()
    with pytest.raises(CommandError) as error:
        call_command("import_poll", str(source))
    assert 'slug: a poll with the slug "arbetsmiljo-2026" already exists' in str(error.value)
    assert "nothing changed" in str(error.value)
    assert counts() == before


# --- bad files ----------------------------------------------------------------------------------


def mutate(data: dict, case: str) -> dict | str | bytes:
    q = data["questions"]
    if case == "not json":
        return '{"schema_version": 1,'
    if case == "not utf-8":
        return json.dumps(data).encode("utf-16")
    if case == "not an object":
        return "[1, 2]"
    if case == "no schema version":
        del data["schema_version"]
    elif case == "schema version 2":
        data["schema_version"] = 2
    elif case == "unknown kind":
        q[3]["kind"] = "slider"
    elif case == "no title":
        del data["title"]
    elif case == "empty Swedish title":
        data["title"]["sv"] = " "
    elif case == "question without code":
        del q[1]["code"]
    elif case == "question without text":
        del q[4]["text"]
    elif case == "option without label":
        del q[0]["options"][2]["label"]
    elif case == "duplicate question code":
        q[2]["code"] = "kan_utfora"
    elif case == "duplicate option code":
        q[3]["options"].append({"code": "vet_ej", "label": {"sv": "Vet inte"}})
    elif case == "duplicate statement code":
        q[6]["rows"][1]["code"] = q[6]["rows"][0]["code"]
    elif case == "bad code":
        q[0]["options"][0]["code"] = "ja tack"
    elif case == "condition on an unknown question":
        q[1]["condition"]["question"] = "finns_inte"
    elif case == "condition on an unknown option":
        q[1]["condition"]["options"] = ["kanske"]
    elif case == "condition on a later question":
        q[1]["condition"] = {"question": "atgarder", "options": ["tid"]}
    elif case == "condition on itself":
        q[2]["condition"] = {"question": "atgarder", "options": ["tid"]}
    elif case == "condition on a text question":
        q[2]["condition"] = {"question": "vad_kravs", "options": ["x"]}
    elif case == "condition without options":
        q[1]["condition"]["options"] = []
    elif case == "scale upside down":
        q[3]["scale_min"], q[3]["scale_max"] = 5, 1
    elif case == "scale without bounds":
        q[3]["scale_max"] = None
    elif case == "number bounds upside down":
        q[4]["number_min"], q[4]["number_max"] = 10, 2
    elif case == "too many decimals":
        q[4]["decimal_places"] = 7
    elif case == "not a boolean":
        q[0]["required"] = "yes"
    elif case == "unknown field":
        q[0]["txt"] = "typo"
    elif case == "unknown section":
        q[0]["section"] = "page-9"
    elif case == "questions out of page order":
        q[0], q[3] = q[3], q[0]
    elif case == "options on a text question":
        q[1]["options"] = [{"code": "a", "label": {"sv": "A"}}]
    elif case == "grid without statements":
        q[6]["rows"] = []
    elif case == "single choice without options":
        q[0]["options"] = []
    elif case == "bad e-mail":
        data["contact_email"] = "nobody"
    elif case == "bad date":
        data["opens_at"] = "next monday"
    elif case == "too long title":
        data["title"]["sv"] = "x" * 301
    else:
        raise AssertionError(case)
    return data


BAD_FILES = {
    "not json": "Not valid JSON: Expecting property name enclosed in double quotes at line 1",
    "not utf-8": "The file is not UTF-8 text.",
    "not an object": "must be an object",
    "no schema version": "schema_version: is required",
    "schema version 2": "schema_version: unsupported version 2 (this Medlemsröst reads version 1)",
    "unknown kind": 'questions[3].kind: unknown kind "slider" (one of single, multiple, scale,',
    "no title": "title: is required",
    "empty Swedish title": "title.sv: must not be empty",
    "question without code": "questions[1].code: is required",
    "question without text": "questions[4].text: is required",
    "option without label": "questions[0].options[2].label: is required",
    "duplicate question code": 'questions[2].code: duplicate code "kan_utfora"',
    "duplicate option code": 'questions[3].options[1].code: duplicate code "vet_ej"',
    "duplicate statement code": 'questions[6].rows[1].code: duplicate code "r0"',
    "bad code": 'questions[0].options[0].code: "ja tack" is not a code',
    "condition on an unknown question": (
        'questions[1].condition.question: unknown question "finns_inte"'
    ),
    "condition on an unknown option": (
        'questions[1].condition.options[0]: question "kan_utfora" has no option "kanske"'
    ),
    "condition on a later question": (
        'questions[1].condition.question: question "atgarder" comes later'
    ),
    "condition on itself": "questions[2].condition.question: a question cannot depend on itself",
    "condition on a text question": (
        'questions[2].condition.question: question "vad_kravs" has no options to choose'
    ),
    "condition without options": "questions[1].condition.options: must name at least one option",
    "scale upside down": "questions[3].scale_max: must be above scale_min",
    "scale without bounds": "questions[3]: a scale needs scale_min and scale_max",
    "number bounds upside down": "questions[4].number_max: must not be below number_min",
    "too many decimals": "questions[4].decimal_places: must be at most 4",
    "not a boolean": "questions[0].required: must be true or false",
    "unknown field": "questions[0].txt: unknown field",
    "unknown section": 'questions[0].section: unknown section "page-9"',
    "questions out of page order": "questions must be listed page by page",
    "options on a text question": "questions[1].options: a text question has no options",
    "grid without statements": "questions[6].rows: a grid needs at least one statement",
    "single choice without options": (
        "questions[0].options: a single question needs at least one option"
    ),
    "bad e-mail": 'contact_email: "nobody" is not an e-mail address',
    "bad date": "opens_at: must be a date and time",
    "too long title": "title.sv: at most 300 characters",
}


@pytest.fixture
def exported():
    poll = every_kind_poll(slug="original")
    data = poll_export(poll)
    data["slug"] = "imported"
    return data


def as_text(value) -> str | bytes:
    return value if isinstance(value, str | bytes) else json.dumps(value, ensure_ascii=False)


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_file_is_refused_with_where_the_problem_is(exported, case):
    before = counts()
    with pytest.raises(QuestionnaireError) as refused:
        poll_import(as_text(mutate(copy.deepcopy(exported), case)))
    message = "\n".join(refused.value.problems)
    assert BAD_FILES[case] in message
    assert counts() == before
    assert not Poll.objects.filter(slug="imported").exists()


def test_every_problem_of_a_file_is_listed_at_once(exported):
    data = mutate(mutate(copy.deepcopy(exported), "unknown kind"), "bad e-mail")
    with pytest.raises(QuestionnaireError) as refused:
        poll_import(json.dumps(data))
    assert len(refused.value.problems) == 2


@pytest.mark.parametrize("case", ["duplicate option code", "condition on a later question"])
def test_import_poll_refuses_a_bad_file_and_names_the_problem(tmp_path, exported, case):
    source = tmp_path / "bad.json"
    source.write_text(as_text(mutate(copy.deepcopy(exported), case)), encoding="utf-8")
    before = counts()
    with pytest.raises(CommandError) as error:
        call_command("import_poll", str(source))
    assert BAD_FILES[case] in str(error.value)
    assert counts() == before


# --- the studio ---------------------------------------------------------------------------------


@pytest.fixture
def studio(client):
    client.force_login(staff_user("Editor"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def upload(studio, content, slug=""):
    file = io.BytesIO(content if isinstance(content, bytes) else content.encode())
    file.name = "poll.json"
    return studio.post(reverse("studio-import"), {"file": file, "slug": slug})


def test_the_studio_downloads_and_uploads_a_questionnaire(studio):
    poll = every_kind_poll(slug="arbetsmiljo-2026")
    download = studio.get(reverse("studio-export", args=[poll.slug]))
    assert download["Content-Type"] == "application/json; charset=utf-8"
    assert download["Content-Disposition"] == 'attachment; filename="arbetsmiljo-2026.json"'
    response = upload(studio, download.content, slug="arbetsmiljo-2027")
    new = Poll.objects.get(slug="arbetsmiljo-2027")
    assert response["Location"] == reverse("studio-poll", args=[new.slug])
    assert without_slug(poll_export(new)) == without_slug(poll_export(poll))


def test_the_studio_refuses_a_bad_upload_with_its_problems(studio, exported):
    before = counts()
    response = upload(studio, as_text(mutate(exported, "duplicate option code")))
    assert response.status_code == 400
    assert BAD_FILES["duplicate option code"] in html.unescape(response.content.decode())
    assert counts() == before
