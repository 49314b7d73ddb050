"""Fuzzing the imports (issue 12): hypothesis writes CSV files (encodings, delimiters, quotes,
BOMs, ragged rows, huge fields, formula-looking cells, NUL bytes, and plain random bytes) and
feeds them to the register import (`manage.py import_members`, respondents.importing) and to
`manage.py import_responses`. Never an unhandled exception: a file is imported, or refused
with a CommandError that says why (bad rows by line), and then nothing was written.

Bounded by tests/fuzzing.py (FUZZ_EXAMPLES, derandomized); see there for a long run."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from hypothesis import given
from hypothesis import strategies as st

from polls.models import Answer, Response
from respondents.models import Member, Register
from tests.fuzzing import fuzz_settings, rolled_back
from tests.test_import_responses import HEADER, make_poll

pytestmark = pytest.mark.django_db

ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1", "utf-16-le"]
NUMBER_HEADERS = ["Medlemsnummer", "medlnr", "Number", "member_id", ""]
EMAIL_HEADERS = ["E-post", "email", "Mail", ""]
VARIABLE_HEADERS = ["Region", "Sektor", "Län", "Län ", "typ av arbetsgivare", "region", "=SUM(A1)"]
cells = st.one_of(
    st.sampled_from(
        [
            "",
            "1001",
            "1001",
            "anna@example.org",
            "ANNA@EXAMPLE.ORG",
            "not-an-address",
            "Skåne",
            "Kommun",
            '=HYPERLINK("http://x","y")',
            "+46701234567",
            "-1",
            "@SUM(1)",
            '"',
            '""',
            "a\nb",
            "a\x00b",
            "\x00",
            "\ufeff",
        ]
    ),
    st.integers(min_value=0, max_value=10**30).map(str),
    st.text(max_size=30),
    st.builds(lambda c, n: c * n, st.sampled_from(["x", "ö", "@", "\x00"]), st.integers(60, 5_000)),
)


sheet_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(9999, 1, 1)),  # noqa: DTZ001
    st.dates(min_value=date(1900, 3, 1)),
    st.times(),
    st.sampled_from(["=1+1", "=A1", "Skåne", "1001"]),
)


def xlsx_of(header: list[str], rows: list[list[Any]], extra: list[Any]) -> bytes:
    """The rows as the first sheet of a workbook, with typed cells (numbers, dates, formulas)
    mixed in; characters a workbook cannot hold are left out."""
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in [header, *rows, extra]:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@st.composite
def csv_files(draw: Any, headers: st.SearchStrategy[list[str]]) -> bytes:
    """A CSV export as some program might write it: a header, ragged rows, any quoting and
    delimiter, an encoding (with or without BOM), line endings; sometimes cut short, an XLSX
    workbook of the same rows, or random bytes instead."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=3000))
    header = draw(headers)
    rows = draw(
        st.lists(
            st.lists(cells, min_size=max(0, len(header) - 2), max_size=len(header) + 2),
            max_size=12,
        )
    )
    if draw(st.integers(0, 4)) == 0:
        return xlsx_of(header, rows, draw(st.lists(sheet_values, max_size=6)))
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        delimiter=draw(st.sampled_from([";", ",", "\t", "|"])),
        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC])),
        lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"])),
    )
    for row in [header, *rows]:
        writer.writerow(row)
    text = buffer.getvalue()
    data = text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return data


member_headers = st.lists(
    st.one_of(
        st.sampled_from(NUMBER_HEADERS),
        st.sampled_from(EMAIL_HEADERS),
        st.sampled_from(VARIABLE_HEADERS),
        st.text(max_size=15),
    ),
    max_size=6,
).map(lambda rest: ["Medlemsnummer", "E-post", *rest] if len(rest) % 3 else rest)


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    return path


def members_snapshot() -> list[tuple]:
    return list(
        Member.objects.order_by("register_id", "number").values_list(
            "register_id", "number", "email", "attributes", "status"
        )
    )


@given(data=csv_files(member_headers), valid_only=st.booleans(), again=st.booleans())
@fuzz_settings()
def test_the_register_import_takes_any_file(tmp_path, data, valid_only, again):
    with rolled_back():
        if again:  # a refresh of a register that already has members
            call_command(
                "import_members",
                write(tmp_path, "Medlemsnummer;E-post;Region\n1001;a@example.org;Skåne\n".encode()),
                register="Medlemmar",
                stdout=io.StringIO(),
                stderr=io.StringIO(),
            )
        before = members_snapshot()
        stderr = io.StringIO()
        try:
            call_command(
                "import_members",
                write(tmp_path, data),
                register="Medlemmar",
                valid_only=valid_only,
                stdout=io.StringIO(),
                stderr=stderr,
            )
        except CommandError as refused:
            assert str(refused).strip()
            assert members_snapshot() == before, "a refused file changed the register"
            for line in stderr.getvalue().splitlines():
                assert line.startswith(("Line ", "Rad ", "Row ")), line
        else:
            assert Register.objects.filter(name="Medlemmar").exists()
            assert not Member.objects.filter(number="").exists()


response_headers = st.lists(
    st.one_of(st.sampled_from(HEADER.split(";")), st.text(max_size=12)), max_size=14
).map(lambda extra: (HEADER.split(";") if len(extra) % 2 else []) + extra)


@given(data=csv_files(response_headers))
@fuzz_settings()
def test_import_responses_takes_any_file(tmp_path, data):
    with rolled_back():
        poll = make_poll(slug="enkat")
        try:
            call_command(
                "import_responses",
                write(tmp_path, data),
                poll="enkat",
                stdout=io.StringIO(),
                stderr=io.StringIO(),
            )
        except CommandError as refused:
            assert str(refused).strip()
            assert not Response.objects.filter(poll=poll).exists(), "half imported"
        else:
            assert Response.objects.filter(poll=poll).exists()
            assert not Answer.objects.filter(response__poll=poll).exclude(question__poll=poll)
