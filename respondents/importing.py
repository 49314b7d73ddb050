"""Reading a member register export (CSV or XLSX) and applying it to a Register.

Reading is separate from writing: `read_members` parses and validates the whole file and reports
every bad row by line; `register_write_members` writes only when the file is clean, or when the
admin asked for the valid rows alone. `register_import` does both.

Files come from union membership systems and from Excel: CSV with `,` `;` tab or `|`, in UTF-8
(with or without BOM), Windows-1252 (Excel's Swedish "CSV (semikolonavgränsad)") or UTF-16 with
BOM (Excel's "Unicode text"), read by `respondents.csvfiles`; or an .xlsx workbook, of which the
first sheet is read. The population counts kept at each import: `respondents.population`.

Writing is built for registers of a million members: on PostgreSQL (psycopg 3) the rows are
COPYed into a temporary table and merged with three set-based statements; elsewhere (SQLite) in
batches without a query per row.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from functools import partial
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils.translation import gettext as _

from .csvfiles import ImportFileError, csv_records, decode, not_csv_or_xlsx, sniff_delimiter
from .models import Member, Register
from .population import population_snapshot
from .privacy import erased_keys, erasure_key, erasure_secret, profile_key

# Column names as unions' exports spell them (after `variable_name`), mapped to our fields.
NUMBER_HEADERS = {
    "number",
    "membership_number",
    "member_number",
    "member_id",
    "medlemsnummer",
    "medlemsnr",
    "medlnr",
    "medlems-id",
    "medlemsid",
    "medlems_id",
}
EMAIL_HEADERS = {
    "email",
    "e-mail",
    "e_mail",
    "e-post",
    "epost",
    "e_post",
    "mail",
    "e-postadress",
    "epostadress",
    "email_address",
    "e-mail_address",
    "mejl",
    "mejladress",
}

Progress = Callable[[int, int], None]
PROGRESS_EVERY = 10_000

NUMBER_MAX_LENGTH = Member._meta.get_field("number").max_length or 64
EMAIL_MAX_LENGTH = Member._meta.get_field("email").max_length or 254

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, .doc: old Office binary files
# A subset of what Django's EmailValidator accepts (and at most 254 characters long), 10 times
# faster; anything else goes to it.
PLAIN_EMAIL = re.compile(
    r"(?=.{3,254}\Z)"
    r"[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\Z"
)


@dataclass(frozen=True)
class RowError:
    line: int
    message: str
    in_sheet: bool = False  # `line` is a row of an XLSX sheet

    def __str__(self) -> str:
        if self.in_sheet:
            return _("Row %(line)d: %(message)s") % {"line": self.line, "message": self.message}
        return _("Line %(line)d: %(message)s") % {"line": self.line, "message": self.message}


class MemberRow(NamedTuple):
    number: str
    email: str
    values: tuple[str, ...]  # in the order of ParsedFile.variables


@dataclass
class ParsedFile:
    rows: list[MemberRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    variables: list[str] = field(default_factory=list)
    # Numbers read from bad rows: with valid_only those members are left as they are, not
    # marked as having left the union.
    skipped_numbers: set[str] = field(default_factory=set)
    format: str = "csv"  # or "xlsx"
    encoding: str = ""
    delimiter: str = ""
    # A union's statistical extract often has no e-mail column: its members have no address
    # (the draw may keep them, the field page counts them as unreachable).
    has_email: bool = True

    def attributes(self, row: MemberRow) -> dict[str, str]:
        return dict(zip(self.variables, row.values, strict=True))


@dataclass(frozen=True)
class ImportReport:
    added: int
    updated: int  # in the file and already in the register
    changed: int  # of those updated: a new e-mail or attributes, or back after having left
    left: int
    skipped: int
    errors: list[RowError]
    # Rows of members erased at their request: left out (respondents.privacy).
    erased: int = 0

    @property
    def written(self) -> bool:
        """False when the import was refused: bad rows (or no valid row with valid_only)."""
        return self.added + self.updated > 0


# --- reading ------------------------------------------------------------------------------------


def variable_name(header: str) -> str:
    """A column name as a variable: "Län " → "län", "Typ av arbetsgivare" → "typ_av_arbetsgivare".
    Lowercase, runs of spaces as one _, Swedish letters kept."""
    return "_".join(header.replace("\ufeff", "").lower().split())


def cell_text(value: Any) -> str:
    """An XLSX cell as the text a CSV export would have: 12345.0 → "12345", empty → ""."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip()


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of the first sheet's rows that are not blank, trailing empty cells
    removed."""
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        # A zip that is no workbook (.docx, .ods, a damaged file) fails in many ways inside
        # openpyxl: KeyError, BadZipFile, InvalidFileException, XML errors...
        raise not_csv_or_xlsx() from None
    try:
        if not workbook.worksheets:
            return
        sheet = workbook.worksheets[0]
        # Some programs write a wrong <dimension>; read what is there instead.
        sheet.reset_dimensions()
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [cell_text(v) for v in values]
            while cells and not cells[-1]:
                cells.pop()
            if cells:
                yield number, cells
    finally:
        workbook.close()


def _fit_row(cells: list[str], width: int, in_sheet: bool) -> list[str]:
    """Empty cells after the last named column do not count (a trailing ";" on some lines);
    in a sheet, cells missing at the end of a row are empty, not a wrong column count."""
    if len(cells) > width and not any(cell.strip() for cell in cells[width:]):
        return cells[:width]
    if in_sheet and len(cells) < width:
        return cells + [""] * (width - len(cells))
    return cells


def _header_columns(
    raw: list[str], mapping: dict[str, str] | None
) -> tuple[list[str], int, int | None, list[tuple[int, str]]]:
    """(names, number column, e-mail column or None, variable columns) of a header row."""
    names = [variable_name(h) for h in raw]
    found = ", ".join(f"“{h.strip()}”" for h in raw if h.strip())
    if mapping:
        wanted = {variable_name(k): variable_name(v) for k, v in mapping.items()}
        unknown = [k for k in mapping if variable_name(k) not in names]
        if unknown:
            raise ImportFileError(
                _(
                    "The column mapping names column(s) not in the file: %(unknown)s. The "
                    "file's columns are: %(found)s."
                )
                % {"unknown": ", ".join(f"“{k}”" for k in unknown), "found": found}
            )
        names = [wanted.get(n, n) if n else n for n in names]
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise ImportFileError(
                _("The column name “%(name)s” appears more than once in the first row.")
                % {"name": name}
            )
        seen.add(name)
    number_col = next((i for i, n in enumerate(names) if n in NUMBER_HEADERS), None)
    email_col = next((i for i, n in enumerate(names) if n in EMAIL_HEADERS), None)
    if number_col is None:
        if any("@" in h for h in raw):
            raise ImportFileError(
                _(
                    "The first row looks like a member, not like column names. The first row "
                    "must name the columns, e.g. “Medlemsnummer;E-post;Region”."
                )
            )
        missing = [_("membership number")]
        raise ImportFileError(
            _("Missing column(s): %(columns)s. The file's columns are: %(found)s.")
            % {"columns": ", ".join(missing), "found": found}
        )
    variables = [(i, n) for i, n in enumerate(names) if n and i not in (number_col, email_col)]
    return names, number_col, email_col, variables


def _is_email(text: str) -> bool:
    try:
        validate_email(text)
    except ValidationError:
        return False
    return True


def read_members(data: bytes, *, mapping: dict[str, str] | None = None) -> ParsedFile:
    """Parse and validate a whole export. Raises ImportFileError when the file as a whole is
    unusable; bad rows are collected in `errors` with their line (CSV) or row (XLSX) number.

    `mapping` renames columns: {"Län": "region"}; keys are matched like the file's headers
    (case and surrounding spaces do not matter). Mapping a column to "" leaves it out, e.g.
    {"Personnummer": ""}. Columns not mapped keep their name as `variable_name` writes it."""
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    parsed = ParsedFile()
    records: Iterator[tuple[int, list[str]]]
    if data.startswith(ZIP_MAGIC):
        parsed.format = "xlsx"
        records = _xlsx_rows(data)
    elif data.startswith(OLE2_MAGIC):
        raise not_csv_or_xlsx()
    else:
        text, parsed.encoding = decode(data)
        if not text.strip():
            raise ImportFileError(_("The file is empty."))
        parsed.delimiter = sniff_delimiter(text)
        records = csv_records(text, parsed.delimiter)
    in_sheet = parsed.format == "xlsx"

    try:
        _first_line, header = next(records)
    except StopIteration:
        if in_sheet:
            raise ImportFileError(_("The first sheet of the workbook is empty.")) from None
        raise ImportFileError(_("The file is empty.")) from None
    while not header[-1].strip():
        header.pop()
    names, number_col, email_col, variable_cols = _header_columns(header, mapping)
    parsed.variables = [n for _i, n in variable_cols]
    parsed.has_email = email_col is not None
    width = len(names)

    # Translated once: gettext costs 20 µs a call, and a bad export may have a million bad rows.
    wrong_width = _("expected %(expected)d columns, found %(found)d")
    no_number = _("the membership number is missing")
    if in_sheet:
        repeated = _("membership number %(number)s already appears on row %(first)d")
    else:
        repeated = _("membership number %(number)s already appears on line %(first)d")
    long_number = _("the membership number is longer than %(max)d characters") % {
        "max": NUMBER_MAX_LENGTH
    }
    long_email = _("the e-mail address is longer than %(max)d characters") % {
        "max": EMAIL_MAX_LENGTH
    }
    bad_email = _("“%(email)s” is not a valid e-mail address")

    errors, rows, skipped = parsed.errors, parsed.rows, parsed.skipped_numbers
    seen: dict[str, int] = {}
    value_columns = [i for i, _n in variable_cols]
    values_cache: dict[str, str] = {}  # one str object per distinct value: 1M rows, few regions
    for line, cells in records:
        if len(cells) != width:
            cells = _fit_row(cells, width, in_sheet)
            if len(cells) != width:
                message = wrong_width % {"expected": width, "found": len(cells)}
                errors.append(RowError(line, message, in_sheet))
                continue
        number = cells[number_col].strip()
        if not number:
            errors.append(RowError(line, no_number, in_sheet))
            continue
        if number in seen:
            message = repeated % {"number": number, "first": seen[number]}
            errors.append(RowError(line, message, in_sheet))
            continue
        seen[number] = line
        if len(number) > NUMBER_MAX_LENGTH:
            errors.append(RowError(line, long_number, in_sheet))
            continue
        email = cells[email_col].strip().lower() if email_col is not None else ""
        if email and not PLAIN_EMAIL.match(email):
            if len(email) > EMAIL_MAX_LENGTH:
                message = long_email
            elif _is_email(email):
                message = ""
            else:
                message = bad_email % {"email": email}
            if message:
                errors.append(RowError(line, message, in_sheet))
                skipped.add(number)
                continue
        values = tuple(
            [values_cache.setdefault(v, v) for v in [cells[i].strip() for i in value_columns]]
        )
        rows.append(MemberRow(number, email, values))
    if not parsed.rows and not parsed.errors:
        raise ImportFileError(_("The file has a header but no members."))
    return parsed


# --- writing ------------------------------------------------------------------------------------


def register_import(
    *,
    name: str,
    data: bytes,
    valid_only: bool = False,
    mapping: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Create or refresh the register `name` from an export. Changes nothing if any row is bad,
    unless `valid_only`. See `read_members` for `mapping` and `register_write_members` for the
    rest."""
    parsed = read_members(data, mapping=mapping)
    return register_write_members(
        name=name, parsed=parsed, valid_only=valid_only, progress=progress
    )


def register_write_members(
    *,
    name: str,
    parsed: ParsedFile,
    valid_only: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Apply a parsed export to the register `name`, creating it if needed.

    Members are matched by membership number: new ones are added, known ones get the file's
    e-mail and attributes, and members missing from the file are marked as left, never deleted:
    earlier samples still refer to them. Opt-outs and bounces survive; a member who had left
    and is in the file again is active. With `valid_only`, members on bad rows are left as
    they were.

    `progress(done, total)` is called every ~10,000 rows and once more after the commit. The
    calls before that run inside the import's transaction: rows the callback writes through
    Django's connection are seen by others only at the end (use the cache for a live bar)."""
    if parsed.errors and not (valid_only and parsed.rows):
        # Nothing to write: a bad file, or valid_only with no valid row (which would otherwise
        # mark every member as left).
        return ImportReport(
            added=0,
            updated=0,
            changed=0,
            left=0,
            skipped=len(parsed.errors),
            errors=parsed.errors,
        )
    with transaction.atomic():
        register, _created = Register.objects.get_or_create(name=name)
        # Two imports into one register at once would both mark the other's members as left.
        register = Register.objects.select_for_update().get(pk=register.pk)
        if not parsed.has_email and register.members.exclude(email="").exists():
            # Nothing lost: a file without addresses would take away the ones kept.
            raise ImportFileError(
                _(
                    "The file has no e-mail column, but the register “%(name)s” holds e-mail "
                    "addresses that this import would remove. Add the column, or import the "
                    "file into a register of its own."
                )
                % {"name": name}
            )
        register.variables = sorted(set(register.variables) | set(parsed.variables))
        parsed, register.erased_profiles, erased = _without_erased(register, parsed)
        register.save()
        if _can_copy():
            added, changed, left = _write_with_copy(register, parsed, progress)
        else:
            added, changed, left = _write_in_batches(register, parsed, progress)
        _keep_opt_outs_and_bounces(register)
        register.population = population_snapshot(register)
        register.save(update_fields=["population"])
    if progress:
        progress(len(parsed.rows), len(parsed.rows))
    return ImportReport(
        added=added,
        updated=len(parsed.rows) - added,
        changed=changed,
        left=left,
        skipped=len(parsed.errors),
        errors=parsed.errors,
        erased=erased,
    )


def _without_erased(
    register: Register, parsed: ParsedFile
) -> tuple[ParsedFile, dict[str, int], int]:
    """The file without the rows of members erased at their request, the register's new tally
    of erased members' profiles (those rows: still members, counted in the population), and
    how many rows were left out. Members erased by retention, or no longer in the file, are in
    no tally: the first come back as new members, the others have left."""
    keys = erased_keys(register)
    if not keys:
        return parsed, {}, 0
    kept: list[MemberRow] = []
    profiles: Counter[str] = Counter()
    secret = erasure_secret()
    for row in parsed.rows:
        if erasure_key(register_id=register.pk, number=row.number, secret=secret) in keys:
            profiles[profile_key(parsed.attributes(row))] += 1
        else:
            kept.append(row)
    erased = len(parsed.rows) - len(kept)
    return replace(parsed, rows=kept), dict(profiles), erased


def _can_copy() -> bool:
    if connection.vendor != "postgresql":
        return False
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return is_psycopg3


def _jsonb_object(variables: list[str], alias: str) -> tuple[str, list[str]]:
    """SQL building the attributes object from the columns v0, v1... of `alias`, and its params
    (the keys). jsonb_build_object takes at most 100 arguments, hence the chunks."""
    if not variables:
        return "'{}'::jsonb", []
    parts, params = [], []
    for start in range(0, len(variables), 40):
        pairs = [f"%s::text, {alias}.v{i}" for i in range(start, min(start + 40, len(variables)))]
        parts.append(f"jsonb_build_object({', '.join(pairs)})")
        params += variables[start : start + 40]
    return " || ".join(parts), params


def _keep_opt_outs_and_bounces(register: Register) -> None:
    """A member who opted out, or whose address bounced, and whom this import brought back
    (from "left") stays unreachable: the import never undoes a member's own choice."""
    back = register.members.filter(status=Member.Status.ACTIVE)
    back.filter(opted_out_at__isnull=False).update(status=Member.Status.OPTED_OUT)
    back.filter(bounced_at__isnull=False).update(status=Member.Status.BOUNCED)


def _write_with_copy(
    register: Register, parsed: ParsedFile, progress: Progress | None
) -> tuple[int, int, int]:
    """PostgreSQL: COPY into a temporary table, then three set-based statements."""
    member_table = connection.ops.quote_name(Member._meta.db_table)
    values = [f"v{i}" for i in range(len(parsed.variables))]
    total = len(parsed.rows)
    status = Member.Status
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE member_import (ord integer NOT NULL, number text NOT NULL, "
            "email text, bad boolean NOT NULL"
            + "".join(f", {v} text" for v in values)
            + ") ON COMMIT DROP"
        )
        columns = ", ".join(["ord", "number", "email", "bad", *values])
        with cursor.copy(f"COPY member_import ({columns}) FROM STDIN") as copy:
            for done, row in enumerate(parsed.rows, start=1):
                copy.write_row((done, row.number, row.email, False, *row.values))
                if progress and done % PROGRESS_EVERY == 0 and done < total:
                    progress(done, total)
            nothing = (None,) * len(values)
            for number in parsed.skipped_numbers:
                copy.write_row((0, number, None, True, *nothing))
        cursor.execute("ALTER TABLE member_import ADD PRIMARY KEY (number)")
        cursor.execute("ANALYZE member_import")

        cursor.execute(
            f"UPDATE {member_table} AS m SET status = %s "
            "WHERE m.register_id = %s AND m.status NOT IN (%s, %s) "
            "AND NOT EXISTS (SELECT 1 FROM member_import t WHERE t.number = m.number)",
            [status.LEFT, register.pk, status.LEFT, status.ERASED],
        )
        left = cursor.rowcount
        attributes, keys = _jsonb_object(parsed.variables, "t")
        cursor.execute(
            f"UPDATE {member_table} AS m SET email = t.email, attributes = {attributes}, "
            "status = CASE WHEN m.status = %s THEN %s ELSE m.status END "
            "FROM member_import t "
            "WHERE m.register_id = %s AND m.number = t.number AND NOT t.bad "
            f"AND m.status <> '{status.ERASED}' "
            f"AND (m.email <> t.email OR m.attributes <> {attributes} OR m.status = %s)",
            [*keys, status.LEFT, status.ACTIVE, register.pk, *keys, status.LEFT],
        )
        changed = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {member_table} (register_id, number, email, attributes, status) "
            f"SELECT %s, t.number, t.email, {attributes}, %s FROM member_import t "
            "WHERE NOT t.bad AND NOT EXISTS "
            f"(SELECT 1 FROM {member_table} m WHERE m.register_id = %s AND m.number = t.number) "
            # The anti-join is what is fast; ON CONFLICT only guards against a concurrent insert.
            "ORDER BY t.ord ON CONFLICT (register_id, number) DO NOTHING",
            [register.pk, *keys, status.ACTIVE, register.pk],
        )
        added = cursor.rowcount
        cursor.execute("DROP TABLE member_import")
    return added, changed, left


def _write_in_batches(
    register: Register, parsed: ParsedFile, progress: Progress | None
) -> tuple[int, int, int]:
    """Any database: the register's members in memory, then batches of INSERT and UPDATE
    through executemany (bulk_create spends 50 µs a row building model instances)."""
    existing = {
        number: (pk, email, attributes, status)
        for number, pk, email, attributes, status in register.members.values_list(
            "number", "pk", "email", "attributes", "status"
        ).iterator(chunk_size=PROGRESS_EVERY)
    }
    # The connection itself, not django.db.connection: that proxy costs 6 µs a lookup.
    database = connections[DEFAULT_DB_ALIAS]
    as_json = partial(Member._meta.get_field("attributes").get_db_prep_save, connection=database)
    member_table = connection.ops.quote_name(Member._meta.db_table)
    insert = (
        f"INSERT INTO {member_table} (register_id, number, email, attributes, status) "
        "VALUES (%s, %s, %s, %s, %s)"
    )
    update = f"UPDATE {member_table} SET email = %s, attributes = %s, status = %s WHERE id = %s"
    total, added, changed = len(parsed.rows), 0, 0
    for start in range(0, total, PROGRESS_EVERY):
        new, updates = [], []
        for row in parsed.rows[start : start + PROGRESS_EVERY]:
            attributes = parsed.attributes(row)
            current = existing.pop(row.number, None)
            if current is None:
                new.append(
                    (register.pk, row.number, row.email, as_json(attributes), Member.Status.ACTIVE)
                )
                continue
            pk, email, old_attributes, status = current
            if status == Member.Status.LEFT:
                status = Member.Status.ACTIVE
            elif email == row.email and old_attributes == attributes:
                continue
            updates.append((row.email, as_json(attributes), status, pk))
        with connection.cursor() as cursor:
            if new:
                cursor.executemany(insert, new)
            if updates:
                cursor.executemany(update, updates)
        added += len(new)
        changed += len(updates)
        done = min(start + PROGRESS_EVERY, total)
        if progress and done < total:
            progress(done, total)
    for number in parsed.skipped_numbers:
        existing.pop(number, None)
    gone = [
        pk
        for pk, _e, _a, status in existing.values()
        if status not in (Member.Status.LEFT, Member.Status.ERASED)
    ]
    for start in range(0, len(gone), 500):
        Member.objects.filter(pk__in=gone[start : start + 500]).update(status=Member.Status.LEFT)
    return added, changed, len(gone)
