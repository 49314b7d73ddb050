"""An admin imports the union's member register: CSV from Excel or a membership system, or XLSX.
A bad file changes nothing and says what is wrong, by line; re-imports keep opt-outs and history.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from respondents import importing, population
from respondents.importing import (
    ImportFileError,
    cell_text,
    read_members,
    register_import,
    variable_name,
)
from respondents.management.commands import import_members
from respondents.models import Member, Register
from respondents.population import register_population_counts
from tests.factories import MemberFactory, RegisterFactory

HEADER = ["Medlemsnummer", "E-post", "Län", "Arbetsgivare"]


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English; the site's default language is Swedish."""
    with translation.override("en"):
        yield


def csv_bytes(rows, *, delimiter=";", encoding="utf-8", header=HEADER, newline="\r\n") -> bytes:
    lines = [delimiter.join(header)] if header else []
    lines += [delimiter.join(row) for row in rows]
    return (newline.join(lines) + newline).encode(encoding)


def xlsx_bytes(rows, *, header=HEADER, other_sheet=None) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    if other_sheet:
        extra = workbook.create_sheet("Annat")
        for row in other_sheet:
            extra.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def members(register_name="Socionomer 2026"):
    return {m.number: m for m in Member.objects.filter(register__name=register_name).order_by("id")}


def file_error(data: bytes, **kwargs) -> str:
    with pytest.raises(ImportFileError) as caught:
        read_members(data, **kwargs)
    return str(caught.value)


# --- formats ------------------------------------------------------------------------------------


def test_it_reads_an_excel_semicolon_export_in_windows_1252():
    data = csv_bytes(
        [["1001", "asa.oberg@example.se", "Örebro", "Åsa Öberg AB"]], encoding="cp1252"
    )
    assert "Ö".encode("cp1252") in data  # really cp1252, not UTF-8

    parsed = read_members(data)

    assert parsed.encoding == "Windows-1252"
    assert parsed.delimiter == ";"
    assert parsed.variables == ["län", "arbetsgivare"]
    assert parsed.attributes(parsed.rows[0]) == {"län": "Örebro", "arbetsgivare": "Åsa Öberg AB"}


def test_it_reads_utf8_with_a_byte_order_mark():
    data = b"\xef\xbb\xbf" + csv_bytes([["1001", "a@example.se", "Skåne", "Kommun"]])

    parsed = read_members(data)

    assert parsed.encoding == "UTF-8"
    assert parsed.rows[0].number == "1001"
    assert parsed.attributes(parsed.rows[0])["län"] == "Skåne"


def test_it_reads_utf16_from_excels_unicode_text_export():
    data = "\ufeff" + "Medlemsnummer\tE-post\n1001\ta@example.se\n"

    parsed = read_members(data.encode("utf-16-le"))

    assert (parsed.encoding, parsed.delimiter) == ("UTF-16", "\t")
    assert parsed.rows[0].email == "a@example.se"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_it_finds_the_delimiter(delimiter):
    data = csv_bytes(
        [["1001", "a@example.se", "Skåne", "Kommun"], ["1002", "b@example.se", "Gotland", ""]],
        delimiter=delimiter,
        newline="\n",
    )

    parsed = read_members(data)

    assert parsed.delimiter == delimiter
    assert [r.number for r in parsed.rows] == ["1001", "1002"]
    assert parsed.attributes(parsed.rows[1]) == {"län": "Gotland", "arbetsgivare": ""}


def test_commas_inside_values_of_a_semicolon_file_do_not_fool_it():
    data = csv_bytes(
        [
            ["1001", "a@example.se", "Skåne", "Öberg, Åsa AB"],
            ["1002", "b@example.se", "Skåne", "Lund, kommun, skola"],
        ]
    )

    parsed = read_members(data)

    assert parsed.delimiter == ";"
    assert parsed.attributes(parsed.rows[1])["arbetsgivare"] == "Lund, kommun, skola"


def test_quoted_values_may_hold_the_delimiter_and_line_breaks():
    data = (
        'Medlemsnummer,E-post,Arbetsgivare\n1001,a@example.se,"Lund, kommun"\n'
        '1002,b@example.se,"två\nrader"\n1003,c@example.se\n'
    ).encode()

    parsed = read_members(data)

    assert parsed.attributes(parsed.rows[1]) == {"arbetsgivare": "två\nrader"}
    # The bad record starts on physical line 5: the quoted line break counts.
    assert [(e.line, e.message) for e in parsed.errors] == [(5, "expected 3 columns, found 2")]


def test_empty_cells_after_the_last_named_column_are_not_a_wrong_column_count():
    data = b"Medlemsnummer;E-post;\n1001;a@example.se;\n1002;b@example.se\n1003;c@example.se;;\n"

    parsed = read_members(data)

    assert parsed.errors == []
    assert [r.number for r in parsed.rows] == ["1001", "1002", "1003"]


def test_it_reads_the_first_sheet_of_an_xlsx_workbook():
    data = xlsx_bytes(
        [
            [1001.0, "A@Example.se", "Skåne", None],
            [],
            [1002, "b@example.se", "Gotland", "Region"],
            [1003, "not-an-address", "Gotland", "Region"],
        ],
        other_sheet=[["Medlemsnummer", "E-post"], [9999, "x@example.se"]],
    )

    parsed = read_members(data)

    assert parsed.format == "xlsx"
    assert [(r.number, r.email) for r in parsed.rows] == [
        ("1001", "a@example.se"),
        ("1002", "b@example.se"),
    ]
    assert parsed.attributes(parsed.rows[0]) == {"län": "Skåne", "arbetsgivare": ""}
    assert [str(e) for e in parsed.errors] == [
        "Row 5: “not-an-address” is not a valid e-mail address"
    ]


def test_it_is_told_xlsx_by_content_not_by_name(tmp_path):
    path = tmp_path / "medlemmar.csv"  # an Excel workbook saved with the wrong name
    path.write_bytes(xlsx_bytes([[1001, "a@example.se", "Skåne", "Kommun"]]))

    assert read_members(path.read_bytes()).format == "xlsx"


def test_xlsx_cells_read_as_a_csv_export_would_write_them():
    assert cell_text(12345.0) == "12345"
    assert cell_text(198001011234.0) == "198001011234"
    assert cell_text(1.5) == "1.5"
    assert cell_text(7) == "7"
    assert cell_text(None) == ""
    assert cell_text("  Skåne ") == "Skåne"
    # Excel's dates and times are naive: no time zone.
    assert cell_text(datetime(2020, 8, 1)) == "2020-08-01"  # noqa: DTZ001
    assert cell_text(datetime(2020, 8, 1, 13, 30)) == "2020-08-01 13:30:00"  # noqa: DTZ001
    assert cell_text(date(2020, 8, 1)) == "2020-08-01"
    assert cell_text(True) == "TRUE"


# --- whole-file errors --------------------------------------------------------------------------

NOT_CSV = "The file is not a CSV or XLSX file."


@pytest.mark.parametrize(
    "data",
    [
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500),  # old Excel .xls
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        b"\x1f\x8b\x08\x00" + bytes(range(1, 200)) * 10,  # gzip, no NUL near the start
        b"%PDF-1.7\n" + bytes(range(256)),
    ],
    ids=["xls", "png", "gzip", "pdf"],
)
def test_it_rejects_a_binary_file(data):
    assert file_error(data).startswith(NOT_CSV)


def test_it_rejects_a_zip_that_is_no_workbook():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")

    assert file_error(out.getvalue()).startswith(NOT_CSV)


def test_it_points_at_the_line_of_a_file_mixing_utf8_and_windows_1252():
    data = csv_bytes(
        [["1001", "a@example.se", "Skåne", "Kommun"]]
    ) + "1002;b@example.se;Örebro;Kommun\r\n".encode("cp1252")

    assert file_error(data) == (
        "Line 3 is not UTF-8 although the rest of the file is. Save the file again as “CSV UTF-8”."
    )


@pytest.mark.parametrize("data", [b"", b"   \r\n\t\n  "], ids=["0 bytes", "whitespace"])
def test_it_rejects_an_empty_file(data):
    assert file_error(data) == "The file is empty."


def test_it_rejects_an_empty_workbook():
    out = io.BytesIO()
    openpyxl.Workbook().save(out)

    assert file_error(out.getvalue()) == "The first sheet of the workbook is empty."


@pytest.mark.parametrize("blank_lines", ["", "\r\n;;;\r\n\r\n"])
def test_it_rejects_a_header_without_members(blank_lines):
    data = csv_bytes([]) + blank_lines.encode()

    assert file_error(data) == "The file has a header but no members."


def test_it_rejects_a_file_without_a_header():
    data = csv_bytes(
        [["1002", "b@example.se", "Skåne", "Kommun"]],
        header=["1001", "a@example.se", "Skåne", "Kommun"],
    )

    assert file_error(data).startswith("The first row looks like a member, not like column names.")


def test_it_names_the_missing_columns_and_lists_those_found():
    data = csv_bytes([["1001", "Skåne"]], header=["Nummer", "Län"])

    assert file_error(data) == (
        "Missing column(s): membership number. The file's columns are: “Nummer”, “Län”."
    )


def test_it_rejects_duplicate_column_names():
    data = csv_bytes([["1", "a@example.se", "Skåne", "Gotland"]], header=[*HEADER[:3], " län"])

    assert file_error(data) == "The column name “län” appears more than once in the first row."


def test_it_explains_an_unclosed_quotation_mark():
    rows = [["1001", '"a@example.se', "Skåne", "Kommun"]]
    rows += [[str(n), f"m{n}@example.se", "Skåne", "Kommun"] for n in range(2000, 6000)]

    assert file_error(csv_bytes(rows)) == (
        'Line 2 cannot be read: it probably opens a quotation mark (") that is never closed.'
    )


# --- bad rows -----------------------------------------------------------------------------------

BAD_ROWS = [
    ["1001", "a@example.se", "Skåne", "Kommun"],
    ["1002", "b@example.se", "Skåne"],
    ["", "c@example.se", "Skåne", "Kommun"],
    ["1001", "d@example.se", "Skåne", "Kommun"],
    ["1004", "e@example", "Skåne", "Kommun"],
    ["1005", "f@@example.se", "Skåne", "Kommun"],
    ["1006", "g@example.se", "Skåne", "Kommun"],
]
BAD_ROW_ERRORS = [
    "Line 3: expected 4 columns, found 3",
    "Line 4: the membership number is missing",
    "Line 5: membership number 1001 already appears on line 2",
    "Line 6: “e@example” is not a valid e-mail address",
    "Line 7: “f@@example.se” is not a valid e-mail address",
]


def test_it_reports_each_bad_row_by_line_and_imports_nothing(db):
    report = register_import(name="Socionomer 2026", data=csv_bytes(BAD_ROWS))

    assert [str(e) for e in report.errors] == BAD_ROW_ERRORS
    assert (report.added, report.updated, report.left, report.written) == (0, 0, 0, False)
    assert not Register.objects.filter(name="Socionomer 2026").exists()


def test_a_bad_file_leaves_an_existing_register_as_it_was(db):
    register = RegisterFactory(name="Socionomer 2026", variables=["region"])
    MemberFactory(register=register, number="9", attributes={"region": "Norrbotten"})

    register_import(name="Socionomer 2026", data=csv_bytes(BAD_ROWS))

    assert members()["9"].status == Member.Status.ACTIVE
    assert set(members()) == {"9"}
    register.refresh_from_db()
    assert register.variables == ["region"]


def test_too_long_numbers_and_addresses_are_bad_rows():
    long_email = "a" * 250 + "@example.se"
    data = csv_bytes([["1" * 65, "a@example.se", "", ""], ["1002", long_email, "", ""]])

    assert [str(e) for e in read_members(data).errors] == [
        "Line 2: the membership number is longer than 64 characters",
        "Line 3: the e-mail address is longer than 254 characters",
    ]


def test_two_members_may_share_an_email_address_and_some_have_none():
    data = csv_bytes(
        [
            ["1001", "familjen@example.se", "", ""],
            ["1002", "Familjen@example.se", "", ""],
            ["1003", "", "", ""],
        ]
    )

    parsed = read_members(data)

    assert parsed.errors == []
    assert [r.email for r in parsed.rows] == ["familjen@example.se", "familjen@example.se", ""]


def test_unusual_but_valid_addresses_are_accepted():
    addresses = ["o'brien@example.ie", "åsa@exempel.se", "x@[127.0.0.1]", "a+tag@sub.example.co.uk"]
    data = csv_bytes([[str(n), a, "", ""] for n, a in enumerate(addresses, start=1)])

    parsed = read_members(data)

    assert [str(e) for e in parsed.errors] == [
        "Line 3: “åsa@exempel.se” is not a valid e-mail address"  # Django's rule: ASCII only
    ]
    assert len(parsed.rows) == 3


def test_valid_only_imports_the_good_rows_and_reports_the_bad(db):
    report = register_import(name="Socionomer 2026", data=csv_bytes(BAD_ROWS), valid_only=True)

    assert [str(e) for e in report.errors] == BAD_ROW_ERRORS
    assert (report.added, report.skipped) == (2, 5)
    assert set(members()) == {"1001", "1006"}


def test_valid_only_does_not_mark_members_on_bad_rows_as_left(db):
    register = RegisterFactory(name="Socionomer 2026")
    MemberFactory(register=register, number="1004")  # e-mail now malformed in the file
    MemberFactory(register=register, number="8")  # not in the file

    report = register_import(name="Socionomer 2026", data=csv_bytes(BAD_ROWS), valid_only=True)

    assert report.left == 1
    assert members()["1004"].status == Member.Status.ACTIVE
    assert members()["8"].status == Member.Status.LEFT


def test_valid_only_with_no_valid_row_changes_nothing(db):
    register = RegisterFactory(name="Socionomer 2026")
    MemberFactory(register=register, number="8")

    report = register_import(
        name="Socionomer 2026", data=csv_bytes([["", "a@example.se", "", ""]]), valid_only=True
    )

    assert (report.added, report.left, report.skipped) == (0, 0, 1)
    assert members()["8"].status == Member.Status.ACTIVE


# --- columns ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        ["Medlems-id", "E-postadress"],
        ["medlemsnummer", "Email address"],
        ["Medlemsnr", "E-post"],
        ["Membership number", "e-mail"],
    ],
)
def test_it_knows_how_exports_name_the_number_and_email_columns(header):
    parsed = read_members(csv_bytes([["1001", "a@example.se"]], header=header))

    assert parsed.rows == [importing.MemberRow("1001", "a@example.se", ())]


def test_variable_names_are_lowercase_with_underscores_and_keep_swedish_letters():
    assert variable_name("  Typ av  arbetsgivare ") == "typ_av_arbetsgivare"
    assert variable_name("LÄN") == "län"
    assert variable_name("\ufeffÅlder") == "ålder"


def test_a_mapping_renames_columns_and_can_leave_one_out(db):
    data = csv_bytes(
        [["1001", "a@example.se", "Skåne", "Kommun", "19800101-1234"]],
        header=[*HEADER, "Personnummer"],
    )

    register_import(
        name="Socionomer 2026",
        data=data,
        mapping={"län": "Region", "Arbetsgivare": "sector", "Personnummer": ""},
    )

    assert members()["1001"].attributes == {"region": "Skåne", "sector": "Kommun"}
    assert Register.objects.get(name="Socionomer 2026").variables == ["region", "sector"]


def test_a_mapping_can_name_the_membership_number_column():
    data = csv_bytes([["1001", "a@example.se"]], header=["Medlem", "E-post"])

    assert read_members(data, mapping={"Medlem": "number"}).rows[0].number == "1001"


def test_a_mapping_of_a_column_not_in_the_file_is_an_error():
    error = file_error(csv_bytes([["1001", "a@example.se", "", ""]]), mapping={"Kommun": "x"})

    assert error == (
        "The column mapping names column(s) not in the file: “Kommun”. The file's columns are: "
        "“Medlemsnummer”, “E-post”, “Län”, “Arbetsgivare”."
    )


def test_two_columns_mapped_to_one_name_are_an_error():
    error = file_error(csv_bytes([]), mapping={"Län": "region", "Arbetsgivare": "region"})

    assert error == "The column name “region” appears more than once in the first row."


# --- re-import ----------------------------------------------------------------------------------


@pytest.fixture(params=["copy", "batches"])
def writer(request, db, monkeypatch):
    """Both ways of writing: COPY on PostgreSQL, batches on any database."""
    if request.param == "copy":
        request.getfixturevalue("needs_postgres")
    else:
        monkeypatch.setattr(importing, "_can_copy", lambda: False)
    return request.param


def first_export():
    return csv_bytes(
        [
            ["1", "ett@example.se", "Skåne", "Kommun"],
            ["2", "tva@example.se", "Skåne", "Region"],
            ["3", "tre@example.se", "Gotland", "Privat"],
            ["4", "fyra@example.se", "Gotland", "Kommun"],
        ]
    )


def test_a_reimport_updates_adds_and_marks_missing_members_as_left(writer):
    register_import(name="Socionomer 2026", data=first_export())
    before = members()

    report = register_import(
        name="Socionomer 2026",
        data=csv_bytes(
            [
                ["1", "ett@example.se", "Skåne", "Kommun"],
                ["2", "ny.adress@example.se", "Skåne", "Region"],
                ["3", "tre@example.se", "Örebro", "Privat"],
                ["5", "fem@example.se", "Gotland", "Kommun"],
            ]
        ),
    )

    assert (report.added, report.updated, report.changed, report.left) == (1, 3, 2, 1)
    after = members()
    assert after["2"].email == "ny.adress@example.se"
    assert after["3"].attributes == {"län": "Örebro", "arbetsgivare": "Privat"}
    assert after["4"].status == Member.Status.LEFT
    assert after["5"].status == Member.Status.ACTIVE
    assert after["5"].attributes == {"län": "Gotland", "arbetsgivare": "Kommun"}
    assert {n: m.pk for n, m in before.items()} == {n: after[n].pk for n in before}


def test_opt_outs_and_bounces_survive_a_reimport(writer):
    register_import(name="Socionomer 2026", data=first_export())
    Member.objects.filter(number="1").update(status=Member.Status.OPTED_OUT)
    Member.objects.filter(number="2").update(status=Member.Status.BOUNCED)

    register_import(name="Socionomer 2026", data=first_export().replace(b"Kommun", b"Stat"))

    assert members()["1"].status == Member.Status.OPTED_OUT
    assert members()["1"].attributes["arbetsgivare"] == "Stat"
    assert members()["2"].status == Member.Status.BOUNCED


def test_a_member_who_left_and_reappears_is_active_again(writer):
    register_import(name="Socionomer 2026", data=first_export())
    register_import(
        name="Socionomer 2026", data=csv_bytes([["1", "ett@example.se", "Skåne", "Kommun"]])
    )
    assert members()["3"].status == Member.Status.LEFT

    report = register_import(name="Socionomer 2026", data=first_export())

    assert (report.added, report.updated, report.changed, report.left) == (0, 4, 3, 0)
    assert {m.status for m in members().values()} == {Member.Status.ACTIVE}


def test_importing_the_same_file_again_changes_nothing(writer):
    register_import(name="Socionomer 2026", data=first_export())
    before = list(Member.objects.values_list("pk", "number", "email", "attributes", "status"))

    report = register_import(name="Socionomer 2026", data=first_export())

    assert (report.added, report.updated, report.changed, report.left) == (0, 4, 0, 0)
    after = list(Member.objects.values_list("pk", "number", "email", "attributes", "status"))
    assert after == before


def test_registers_do_not_touch_each_others_members(writer):
    register_import(name="Socionomer 2026", data=first_export())

    register_import(name="Annat förbund", data=csv_bytes([["1", "x@example.se", "", ""]]))

    assert {m.status for m in members().values()} == {Member.Status.ACTIVE}
    assert members("Annat förbund")["1"].email == "x@example.se"


def test_a_file_with_many_columns_is_stored_whole(writer):
    header = ["Medlemsnummer", "E-post", *(f"Fält {n}" for n in range(60))]
    data = csv_bytes([["1", "a@example.se", *(str(n) for n in range(60))]], header=header)

    register_import(name="Socionomer 2026", data=data)
    register_import(name="Socionomer 2026", data=data.replace(b";59\r\n", b";sist\r\n"))

    attributes = members()["1"].attributes
    assert len(attributes) == 60
    assert (attributes["fält_0"], attributes["fält_59"]) == ("0", "sist")


def test_progress_is_reported_every_10000_rows(writer):
    rows = [[str(n), f"m{n}@example.se", "Skåne", "Kommun"] for n in range(25_000)]
    calls = []

    register_import(
        name="Socionomer 2026",
        data=csv_bytes(rows),
        progress=lambda done, total: calls.append((done, total)),
    )

    assert calls == [(10_000, 25_000), (20_000, 25_000), (25_000, 25_000)]
    assert Member.objects.count() == 25_000


# --- population counts --------------------------------------------------------------------------


@pytest.mark.parametrize("one_query", [True, False], ids=["one query", "a query per pair"])
def test_population_counts_per_value_and_per_pair_of_variables(db, monkeypatch, one_query):
    if not one_query:  # as for a register with many variables
        monkeypatch.setattr(population, "ONE_QUERY_VARIABLES", 1)
    register = RegisterFactory()
    for region, sector, status in [
        ("Skåne", "Kommun", Member.Status.ACTIVE),
        ("Skåne", "Kommun", Member.Status.OPTED_OUT),
        ("Skåne", "Region", Member.Status.BOUNCED),
        ("Gotland", "Kommun", Member.Status.ACTIVE),
        ("Gotland", "Kommun", Member.Status.LEFT),
    ]:
        MemberFactory(
            register=register, status=status, attributes={"region": region, "sektor": sector}
        )
    MemberFactory(register=register, attributes={"region": "Gotland"})
    MemberFactory(attributes={"region": "Skåne", "sektor": "Kommun"})  # another register

    counts = register_population_counts(register, ["region", "sektor"])

    assert counts == {
        "total": 5,
        "variables": {
            "region": {"Gotland": 2, "Skåne": 3},
            "sektor": {"": 1, "Kommun": 3, "Region": 1},
        },
        "pairs": {
            ("region", "sektor"): {
                ("Gotland", ""): 1,
                ("Gotland", "Kommun"): 1,
                ("Skåne", "Kommun"): 2,
                ("Skåne", "Region"): 1,
            }
        },
    }


def test_population_counts_can_leave_out_the_pairs(db):
    register = RegisterFactory()
    MemberFactory.create_batch(2, register=register)

    counts = register_population_counts(register, ["region", "sektor"], pairs=False)

    assert counts["pairs"] == {}
    assert counts["variables"]["region"] == {"Skåne": 2}


def test_population_counts_without_variables_give_the_total(db):
    register = RegisterFactory()
    MemberFactory.create_batch(3, register=register)

    assert register_population_counts(register, []) == {"total": 3, "variables": {}, "pairs": {}}


def test_population_counts_of_an_imported_register(db):
    register_import(name="Socionomer 2026", data=first_export())

    counts = register_population_counts(
        Register.objects.get(name="Socionomer 2026"), ["län", "arbetsgivare", "saknas"]
    )

    assert counts["variables"]["län"] == {"Gotland": 2, "Skåne": 2}
    assert counts["variables"]["saknas"] == {"": 4}
    assert set(counts["pairs"]) == {
        ("län", "arbetsgivare"),
        ("län", "saknas"),
        ("arbetsgivare", "saknas"),
    }
    assert counts["pairs"]["län", "arbetsgivare"][("Gotland", "Privat")] == 1


# --- the command --------------------------------------------------------------------------------


def run_command(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_members", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_imports_and_says_what_it_did(db, tmp_path):
    path = tmp_path / "medlemmar.xlsx"
    path.write_bytes(xlsx_bytes([[n, f"m{n}@example.se", "Skåne", "Kommun"] for n in (1, 2, 3)]))

    out, err = run_command(str(path), "--register", "Socionomer 2026", "--map", "Län=region")

    assert out.strip() == (
        "Register “Socionomer 2026”: 3 added, 0 updated (0 with changes), 0 marked as left, "
        "0 bad row(s) skipped."
    )
    assert err.strip() == "Imported 3 / 3 rows"
    assert members()["1"].attributes == {"region": "Skåne", "arbetsgivare": "Kommun"}


def test_the_command_prints_progress_every_100000_rows(db, tmp_path, monkeypatch):
    # The same arithmetic as 1,000 times as many rows, at a test's speed.
    monkeypatch.setattr(importing, "PROGRESS_EVERY", 10)
    monkeypatch.setattr(import_members, "PRINT_EVERY", 100)
    path = tmp_path / "medlemmar.csv"
    path.write_bytes(csv_bytes([[str(n), "", "", ""] for n in range(2_500)]))

    out, err = run_command(str(path), "--register", "Socionomer 2026")

    assert err.splitlines()[:2] == ["Imported 100 / 2 500 rows", "Imported 200 / 2 500 rows"]
    assert err.splitlines()[-1] == "Imported 2 500 / 2 500 rows"
    assert len(err.splitlines()) == 25
    assert "2500 added" in out


def test_the_command_fails_on_bad_rows_and_changes_nothing(db, tmp_path):
    register = RegisterFactory(name="Socionomer 2026")
    MemberFactory(register=register, number="9")
    path = tmp_path / "medlemmar.csv"
    path.write_bytes(csv_bytes(BAD_ROWS))
    err = io.StringIO()

    with pytest.raises(CommandError) as caught:
        call_command("import_members", str(path), register="Socionomer 2026", stderr=err)

    assert str(caught.value) == (
        "5 bad row(s); nothing was imported. Fix the file, or pass --valid-only to import the "
        "valid rows."
    )
    assert err.getvalue().splitlines() == BAD_ROW_ERRORS
    assert set(members()) == {"9"}
    assert members()["9"].status == Member.Status.ACTIVE


def test_the_command_imports_the_valid_rows_when_asked(db, tmp_path):
    path = tmp_path / "medlemmar.csv"
    path.write_bytes(csv_bytes(BAD_ROWS))

    out, err = run_command(str(path), "--register", "Socionomer 2026", "--valid-only")

    assert "2 added, 0 updated (0 with changes), 0 marked as left, 5 bad row(s) skipped." in out
    assert err.splitlines() == ["Imported 2 / 2 rows", *BAD_ROW_ERRORS]


def test_the_command_fails_on_a_file_it_cannot_use(db, tmp_path):
    path = tmp_path / "medlemmar.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100))

    with pytest.raises(CommandError, match="not a CSV or XLSX file"):
        run_command(str(path), "--register", "Socionomer 2026")
    with pytest.raises(CommandError, match="Cannot read"):
        run_command(str(tmp_path / "saknas.csv"), "--register", "Socionomer 2026")
    with pytest.raises(CommandError, match="--map takes COLUMN=VARIABLE"):
        run_command(str(path), "--register", "Socionomer 2026", "--map", "Län")
    assert not Register.objects.exists()


def test_each_import_keeps_the_population_counts_with_the_register(db):
    data = (
        "Medlemsnummer;E-post;region;sektor\n"
        "1;a@example.org;Skåne;Kommun\n2;b@example.org;Skåne;Region\n3;c@example.org;Norrbotten;Kommun\n"
    ).encode()
    register_import(name="Socionomer 2026", data=data)
    population = Register.objects.get(name="Socionomer 2026").population
    assert population["total"] == 3
    assert population["variables"]["region"] == {"Norrbotten": 1, "Skåne": 2}
    assert population["pairs"]["region / sektor"]["Skåne / Kommun"] == 1
    assert population["counted_at"]


@pytest.mark.django_db
def test_a_statistical_extract_without_an_email_column_is_imported_and_counted_unreachable():
    from respondents.draws import reachable_members
    from respondents.models import Member

    data = csv_bytes([["1001", "Skåne"], ["1002", "Norrbotten"]], header=["Medlemsnummer", "Län"])
    report = register_import(name="Statistikuttag 2026", data=data)
    assert report.added == 2
    members = Member.objects.filter(register__name="Statistikuttag 2026")
    assert set(members.values_list("email", flat=True)) == {""}
    assert not reachable_members(members.first().register).exists()


@pytest.mark.django_db
def test_a_file_without_emails_never_takes_away_the_addresses_a_register_holds():
    from respondents.models import Member

    register_import(
        name="Socionomer 2026", data=csv_bytes([["1001", "a@example.se", "Skåne", "Kommun"]])
    )
    without = csv_bytes([["1001", "Skåne"]], header=["Medlemsnummer", "Län"])
    with translation.override("en"), pytest.raises(ImportFileError, match="no e-mail column"):
        register_import(name="Socionomer 2026", data=without)
    assert Member.objects.get(number="1001").email == "a@example.se"
