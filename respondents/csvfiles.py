"""Reading CSV files as exported by membership systems and by Excel: one reader for the register
import (`respondents.importing`) and the response import (`polls.fieldwork.response_import`).

- the encoding: UTF-8 (with or without BOM), Windows-1252 (Excel's Swedish "CSV
  (semikolonavgränsad)") or UTF-16 with BOM (Excel's "Unicode text"), see `decode`;
- the delimiter: `,` `;` tab or `|`, by the columns it makes (`sniff_delimiter`) or by the header
  names it makes known (`delimiter_naming`);
- the records with the line each starts on, for messages by line (`csv_records`).

Problems with the file as a whole raise `ImportFileError`, whose message is for the person who
uploaded it.

And one rule for every CSV and XLSX file the product *writes* (the sample's members, exports):
`neutralise_formula`, against formula injection (see its docstring and docs/exports.md).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Collection, Iterator, Sequence

from charset_normalizer import from_bytes
from django.utils.translation import gettext as _

# The rule for written files is in the bottom layer, for every app; its names stay here too.
from staff.csvsafe import FORMULA_STARTS as FORMULA_STARTS
from staff.csvsafe import neutralise_formula as neutralise_formula
from staff.csvsafe import neutralised_row as neutralised_row

# C0 control bytes never found in a text export (tab, LF, VT, FF, CR and DOS's Ctrl-Z are).
CONTROL_BYTES = bytes([*range(0, 9), *range(14, 26), *range(27, 32)])
# å ä ö Å Ä Ö é in UTF-8. In a Windows-1252 file these would read "Ã¥" etc., which no Swedish
# register contains: a file with them that is not valid UTF-8 mixes the two encodings.
UTF8_SWEDISH = (b"\xc3\xa5", b"\xc3\xa4", b"\xc3\xb6", b"\xc3\x85", b"\xc3\x84", b"\xc3\x96")
DELIMITERS = (";", ",", "\t", "|")


class ImportFileError(Exception):
    """The file as a whole cannot be read (encoding, empty, no header, missing columns)."""


def not_csv_or_xlsx() -> ImportFileError:
    return ImportFileError(
        _(
            "The file is not a CSV or XLSX file. Old Excel files (.xls) must first be saved "
            "as .xlsx or CSV."
        )
    )


def _looks_binary(data: bytes) -> bool:
    sample = data[:65536]
    if b"\x00" in sample:
        return True
    controls = len(sample) - len(sample.translate(None, CONTROL_BYTES))
    return controls > len(sample) // 100


def decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV export and the name of its encoding.

    UTF-8 (with or without BOM) first, then Windows-1252 when every byte is defined there, and
    only then charset-normalizer: plain Windows-1252 must never come out as something exotic.
    A text with a NUL character (a UTF-16 file holding one, or a NUL past the binary check's
    sample) is no export either: PostgreSQL could store none of it."""
    text, encoding = _decode(data)
    if "\x00" in text:
        raise not_csv_or_xlsx()
    return text, encoding


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise ImportFileError(
                _("The file's character encoding could not be recognised.")
            ) from None
    if _looks_binary(data):
        raise not_csv_or_xlsx()
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError as exc:
        if any(letters in data for letters in UTF8_SWEDISH):
            raise ImportFileError(
                _(
                    "Line %(line)d is not UTF-8 although the rest of the file is. Save the "
                    "file again as “CSV UTF-8”."
                )
                % {"line": data.count(b"\n", 0, exc.start) + 1}
            ) from None
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        pass
    best = from_bytes(data[: 1 << 20]).best()
    if best is not None:
        try:
            return data.decode(best.encoding), best.encoding
        except (UnicodeDecodeError, LookupError):
            pass
    raise ImportFileError(_("The file's character encoding could not be recognised."))


def sniff_delimiter(text: str, delimiters: Sequence[str] = DELIMITERS) -> str:
    """The delimiter that splits the first lines into the same number (>1) of columns most often.
    csv.Sniffer is thrown off by commas in names ("Öberg, Åsa") in a semicolon file."""
    sample = text[:65536]
    if len(text) > len(sample):
        sample = sample[: sample.rfind("\n") + 1] or sample
    best, best_score = ",", (False, 0.0, 0)
    for delimiter in delimiters:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        try:
            records = [r for r in (next(reader, None) for _i in range(100)) if r]
        except csv.Error:
            continue
        if not records:
            continue
        width = len(records[0])
        same = sum(len(r) == width for r in records) / len(records)
        score = (width > 1, same, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def delimiter_naming(text: str, known: Collection[str], delimiters: Sequence[str]) -> str:
    """The delimiter that makes the most of the first line's names known columns (for files
    whose columns are known in advance, such as a poll's question codes)."""
    # The first line whatever ends it: a lone "\r" (old Mac exports) in a line made csv fail.
    first = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]

    def score(delimiter: str) -> tuple[int, int]:
        try:
            names = next(csv.reader([first], delimiter=delimiter), [])
        except csv.Error:
            return 0, 0
        return sum(name.strip() in known for name in names), len(names)

    return max(delimiters, key=score)


def csv_records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, cells) for each record that is not blank."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            # After the NUL check, what csv refuses is a field over 128 kB: a quotation mark
            # opened and never closed, which swallows the rest of the file.
            raise ImportFileError(
                _(
                    'Line %(line)d cannot be read: it probably opens a quotation mark (") '
                    "that is never closed."
                )
                % {"line": line}
            ) from None
        if "".join(cells).strip():  # not a blank line, nor only delimiters
            yield line, cells
        line = reader.line_num + 1
