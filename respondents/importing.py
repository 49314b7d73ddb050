"""Reading a member register export (CSV) and applying it to a Register.

Reading is separate from writing: `read_members` parses and validates the whole file and reports
every bad row by line; `register_import` writes only when the file is clean, or when the admin
asked for the valid rows alone.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from charset_normalizer import from_bytes
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Member, Register

# Header names as unions' exports spell them, mapped to our fields.
NUMBER_HEADERS = {"number", "membership_number", "medlemsnummer", "medlemsnr", "medlnr"}
EMAIL_HEADERS = {"email", "e-mail", "e-post", "epost", "mail", "e_post"}


class ImportFileError(Exception):
    """The file as a whole cannot be read (encoding, empty, no header, missing columns)."""


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return _("Line %(line)d: %(message)s") % {"line": self.line, "message": self.message}


@dataclass
class ParsedFile:
    rows: list[dict] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    variables: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ImportReport:
    added: int
    updated: int
    left: int
    skipped: int
    errors: list[RowError]


def decode(data: bytes) -> str:
    """Text of an export in UTF-8 (with or without BOM) or Windows-1252."""
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    if b"\x00" in data[:4096]:
        raise ImportFileError(_("The file is not a text (CSV) file."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data, cp_isolation=["cp1252", "iso8859_15", "utf_16"]).best()
    if best is None:
        raise ImportFileError(_("The file's character encoding could not be recognised."))
    return str(best)


def _normalise_header(name: str) -> str:
    return name.strip().lower().replace(" ", "_")


def read_members(data: bytes) -> ParsedFile:
    text = decode(data)
    sample = text[:8192]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = [_normalise_header(h) for h in next(reader)]
    except StopIteration:
        raise ImportFileError(_("The file is empty.")) from None
    number_col = next((i for i, h in enumerate(header) if h in NUMBER_HEADERS), None)
    email_col = next((i for i, h in enumerate(header) if h in EMAIL_HEADERS), None)
    missing = []
    if number_col is None:
        missing.append(_("membership number"))
    if email_col is None:
        missing.append(_("e-mail"))
    if missing:
        raise ImportFileError(
            _("Missing column(s): %(columns)s. The first row must name the columns.")
            % {"columns": ", ".join(missing)}
        )
    variable_cols = [(i, h) for i, h in enumerate(header) if i not in (number_col, email_col) and h]
    parsed = ParsedFile(variables=[h for _i, h in variable_cols])
    seen: dict[str, int] = {}
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            parsed.errors.append(
                RowError(
                    line,
                    _("expected %(expected)d columns, found %(found)d")
                    % {"expected": len(header), "found": len(row)},
                )
            )
            continue
        number = row[number_col].strip()
        email = row[email_col].strip()
        if not number:
            parsed.errors.append(RowError(line, _("the membership number is missing")))
            continue
        if number in seen:
            parsed.errors.append(
                RowError(
                    line,
                    _("membership number %(number)s already appears on line %(first)d")
                    % {"number": number, "first": seen[number]},
                )
            )
            continue
        if email:
            try:
                validate_email(email)
            except ValidationError:
                parsed.errors.append(
                    RowError(
                        line, _("“%(email)s” is not a valid e-mail address") % {"email": email}
                    )
                )
                continue
        seen[number] = line
        parsed.rows.append(
            {
                "number": number,
                "email": email.lower(),
                "attributes": {h: row[i].strip() for i, h in variable_cols},
            }
        )
    if not parsed.rows and not parsed.errors:
        raise ImportFileError(_("The file has a header but no members."))
    return parsed


@transaction.atomic
def register_import(*, name: str, data: bytes, valid_only: bool = False) -> ImportReport:
    """Create or refresh the register `name` from an export. Changes nothing if any row is bad,
    unless `valid_only`. Members missing from a newer export are marked as left, never deleted:
    earlier samples still refer to them. Opt-outs and bounces survive a re-import."""
    parsed = read_members(data)
    if parsed.errors and not valid_only:
        return ImportReport(added=0, updated=0, left=0, skipped=0, errors=parsed.errors)

    register, _created = Register.objects.get_or_create(name=name)
    register.variables = sorted(set(register.variables) | set(parsed.variables))
    register.save()

    existing = {m.number: m for m in register.members.all()}
    new, changed = [], []
    for row in parsed.rows:
        member = existing.pop(row["number"], None)
        if member is None:
            new.append(Member(register=register, **row))
            continue
        member.email = row["email"]
        member.attributes = row["attributes"]
        if member.status == Member.Status.LEFT:
            member.status = Member.Status.ACTIVE
        changed.append(member)
    Member.objects.bulk_create(new, batch_size=5000)
    Member.objects.bulk_update(changed, ["email", "attributes", "status"], batch_size=5000)
    left = Member.objects.filter(pk__in=[m.pk for m in existing.values()]).exclude(
        status=Member.Status.LEFT
    )
    left_count = left.update(status=Member.Status.LEFT)
    return ImportReport(
        added=len(new),
        updated=len(changed),
        left=left_count,
        skipped=len(parsed.errors),
        errors=parsed.errors,
    )
