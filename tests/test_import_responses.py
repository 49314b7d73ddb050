"""import_responses: a CSV of respondents into a poll, all or nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from polls.fieldwork.response_import import ResponseImportError, responses_import
from polls.models import Answer, Question, Response
from results.caching import cached_poll_results
from tests.factories import PollFactory, QuestionFactory, question_with_options

HEADER = (
    "sektor;region;submitted_on;enig;atgarder;nojd;arenden;prioritet;"
    "pastaenden.r0;pastaenden.r1;kommentar"
)
GOOD = [
    HEADER,
    "Kommun;Nord;2026-09-01;ja;tid|resurser;4;12,5;lon|miljo|tid;helt;delvis;"
    "Mer tid för klienterna",
    "Region;Syd;;nej;vet_ej;vet_ej;3;miljo;inte;helt;",
    "Stat;;2026-09-02;;;5;;;helt;helt;Åtgärda arbetsmiljön",
]


def make_poll(**fields):
    poll = PollFactory(reporting_variables=["sektor", "region"], **fields)
    kind = Question.Kind
    dont_know = ("vet_ej", "Vet ej", "Don't know", {"is_dont_know": True})
    question_with_options(
        poll, kind.SINGLE, [("ja", "Ja", "Yes"), ("nej", "Nej", "No")], code="enig"
    )
    question_with_options(
        poll,
        kind.MULTIPLE,
        [
            ("tid", "Tid", "Time"),
            ("resurser", "Resurser", "Resources"),
            ("vet_ej", "Vet ej", "Don't know", {"is_dont_know": True, "exclusive": True}),
        ],
        code="atgarder",
        max_choices=2,
    )
    question_with_options(poll, kind.SCALE, [dont_know], code="nojd", scale_min=1, scale_max=5)
    QuestionFactory(
        poll=poll, kind=kind.NUMBER, code="arenden", number_min=0, number_max=200, decimal_places=1
    )
    question_with_options(
        poll,
        kind.RANKING,
        [("lon", "Lön", "Pay"), ("miljo", "Miljö", "Env"), ("tid", "Tid", "Time")],
        code="prioritet",
    )
    question_with_options(
        poll,
        kind.GRID,
        [("helt", "Helt", "Fully"), ("delvis", "Delvis", "Partly"), ("inte", "Inte", "Not")],
        rows=[("Belastning", "Load"), ("Chef", "Manager")],
        code="pastaenden",
    )
    QuestionFactory(poll=poll, kind=kind.TEXT, code="kommentar", required=False, text_max_length=40)
    return poll


def csv_bytes(lines: list[str], encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def test_a_clean_file_becomes_responses_and_typed_answers(db):
    poll = make_poll()
    imported = responses_import(poll=poll, data=csv_bytes(GOOD, "cp1252"))
    assert (imported.responses, imported.answers) == (3, 11 + 7 + 4)
    responses = list(Response.objects.filter(poll=poll).order_by("submitted_on", "attributes"))
    assert {tuple(sorted(r.attributes.items())) for r in responses} == {
        (("region", "Nord"), ("sektor", "Kommun")),
        (("region", "Syd"), ("sektor", "Region")),
        (("sektor", "Stat"),),  # an empty cell: no attribute
    }
    first = next(r for r in responses if r.attributes.get("sektor") == "Kommun")
    assert str(first.submitted_on) == "2026-09-01"
    answers = Answer.objects.filter(response=first)
    assert sorted(
        answers.filter(question__code="atgarder").values_list("option__code", flat=True)
    ) == [
        "resurser",
        "tid",
    ]
    assert list(
        answers.filter(question__code="prioritet")
        .order_by("rank")
        .values_list("option__code", "rank")
    ) == [("lon", 1), ("miljo", 2), ("tid", 3)]
    assert answers.get(question__code="nojd").value == 4
    assert answers.get(question__code="arenden").value == Decimal("12.5")
    assert answers.get(question__code="pastaenden", row__code="r1").option.code == "delvis"
    assert answers.get(question__code="kommentar").text == "Mer tid för klienterna"
    second = next(r for r in responses if r.attributes.get("sektor") == "Region")
    assert Answer.objects.get(response=second, question__code="nojd").option.code == "vet_ej"
    third = next(r for r in responses if r.attributes.get("sektor") == "Stat")
    assert (
        Answer.objects.get(response=third, question__code="kommentar").text
        == "Åtgärda arbetsmiljön"
    )
    assert not Answer.objects.filter(response=third, question__code="enig").exists()


def test_the_estimates_see_the_imported_responses(db):
    poll = make_poll()
    responses_import(poll=poll, data=csv_bytes(GOOD))
    results = cached_poll_results(poll=poll, by="sektor")
    single = results.questions[0]
    assert single.n == 2
    assert [o.estimate.respondents for o in single.options] == [1, 1]
    assert results.random_sample is False  # no register: an open link


def bad(lines: list[str]) -> list[str]:
    with translation.override("en"), pytest.raises(ResponseImportError) as error:
        responses_import(poll=make_poll(), data=csv_bytes(lines))
    assert not Response.objects.exists() and not Answer.objects.exists()
    return error.value.errors


def test_an_unknown_option_is_named_by_row_and_column(db):
    errors = bad([GOOD[0], GOOD[1], "Kommun;Nord;;kanske;tid;3;1;lon;helt;helt;"])
    assert errors == ["Row 3, column enig: unknown option “kanske”"]


def test_every_bad_cell_is_reported_and_nothing_imported(db):
    errors = bad(
        [
            HEADER,
            "Kommun;Nord;2026-13-01;ja;tid|vet_ej;9;300;lon|lon;helt;jo;" + "x" * 41,
            "Region;Syd;;ja;tid|resurser|vet_ej;3,5;1,25;okand;helt;helt;",
            GOOD[1],
        ]
    )
    assert errors == [
        "Row 2, column submitted_on: “2026-13-01” is not a date (YYYY-MM-DD)",
        "Row 2, column atgarder: “vet_ej” cannot be combined with other options",
        "Row 2, column nojd: “9” is neither a point of the scale 1–5 nor an option",
        "Row 2, column arenden: 300 is outside 0–200",
        "Row 2, column prioritet: “lon” is given twice",
        "Row 2, column pastaenden.r1: unknown option “jo”",
        "Row 2, column kommentar: the answer is longer than 40 characters",
        "Row 3, column atgarder: at most 2 options may be given",
        "Row 3, column nojd: “3,5” is neither a point of the scale 1–5 nor an option",
        "Row 3, column arenden: 1,25 has more than 1 decimals",
        "Row 3, column prioritet: unknown option “okand”",
    ]


def test_a_bad_number_is_refused(db):
    errors = bad([GOOD[0], "Kommun;Nord;;ja;tid;3;tolv;lon;helt;helt;"])
    assert errors == ["Row 2, column arenden: “tolv” is not a number"]


def test_an_unknown_column_is_refused(db):
    errors = bad([HEADER + ";lan", GOOD[1] + ";Skåne"])
    assert len(errors) == 1 and errors[0].startswith("Unknown column(s) “lan”.")


def test_a_missing_reporting_variable_column_is_refused(db):
    header = HEADER.replace("region;", "")
    row = GOOD[1].replace("Nord;", "")
    errors = bad([header, row])
    assert errors == ["The file lacks the reporting variable column(s) “region”."]


@pytest.mark.parametrize("lines", [[], [""], ["   ", ""]])
def test_an_empty_file_is_refused(db, lines):
    assert bad(lines) == ["The file is empty."]


def test_a_header_without_rows_is_refused(db):
    assert bad([HEADER]) == ["The file has a header but no responses."]


def test_a_comma_separated_file_is_read_too(db):
    poll = make_poll()
    lines = ["sektor,region,enig,atgarder", 'Kommun,Nord,ja,"tid|resurser"', "Stat,Syd,nej,tid"]
    assert responses_import(poll=poll, data=csv_bytes(lines)).responses == 2


def test_the_command_imports_a_file(db, tmp_path):
    poll = make_poll()
    path = tmp_path / "svar.csv"
    path.write_bytes(csv_bytes(GOOD))
    call_command("import_responses", "--poll", poll.slug, str(path))
    assert Response.objects.filter(poll=poll).count() == 3


def test_the_command_refuses_a_bad_file_and_imports_nothing(db, tmp_path, capsys):
    poll = make_poll()
    path = tmp_path / "svar.csv"
    path.write_bytes(csv_bytes([GOOD[0], GOOD[1], "Kommun;Nord;;kanske;;;;;;;"]))
    with translation.override("en"), pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_responses", "--poll", poll.slug, str(path))
    assert "Row 3, column enig: unknown option “kanske”" in capsys.readouterr().err
    assert not Response.objects.exists()
    with pytest.raises(CommandError, match="No poll"):
        call_command("import_responses", "--poll", "finns-inte", str(path))


def test_imported_responses_start_a_new_cache_generation(transactional_db):
    poll = make_poll()
    responses_import(poll=poll, data=csv_bytes(GOOD[:2]))
    assert cached_poll_results(poll=poll).n_responses == 1
    responses_import(poll=poll, data=csv_bytes([GOOD[0], *GOOD[2:]]))
    assert cached_poll_results(poll=poll).n_responses == 3


def test_the_command_sets_the_register_and_the_results_get_their_intervals(db, tmp_path):
    from respondents.models import Register
    from staff.models import AuditEntry
    from tests.factories import MemberFactory, RegisterFactory

    register = RegisterFactory(name="Socionomer 2026", variables=["sektor", "region"])
    for n in range(40):
        MemberFactory(
            register=register,
            attributes={"sektor": ["Kommun", "Region", "Stat"][n % 3], "region": "Nord"},
        )
    poll = make_poll()
    path = tmp_path / "svar.csv"
    path.write_bytes(csv_bytes(GOOD))
    assert cached_poll_results(poll=poll).random_sample is False

    call_command(
        "import_responses", "--poll", poll.slug, "--register", "Socionomer 2026", str(path)
    )

    poll.refresh_from_db()
    assert poll.register == register
    results = cached_poll_results(poll=poll)
    assert results.random_sample is True
    assert results.moe_range is not None
    entry = AuditEntry.objects.get(action="responses.import")
    assert (entry.target, entry.details["register"], entry.details["responses"]) == (
        poll.slug,
        "Socionomer 2026",
        3,
    )
    assert Register.objects.count() == 1


def test_the_command_refuses_an_unknown_register_and_imports_nothing(db, tmp_path):
    poll = make_poll()
    path = tmp_path / "svar.csv"
    path.write_bytes(csv_bytes(GOOD))
    with pytest.raises(CommandError, match="No register named “Finns inte”"):
        call_command("import_responses", "--poll", poll.slug, "--register", "Finns inte", str(path))
    poll.refresh_from_db()
    assert poll.register is None and not Response.objects.exists()
