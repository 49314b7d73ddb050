"""One rule for every CSV and XLSX file the product *writes* (the sample's members, exports, the
audit trail): `neutralise_formula`, against formula injection (see docs/exports.md).

It lives in the bottom layer so that every app may use it; `respondents.csvfiles` (where it
was first written) still offers the same names."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

# What makes Excel, LibreOffice or Google Sheets read a text cell as a formula (or DDE call):
# OWASP's list, "CSV Injection".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = TypeVar("Cell")


def neutralise_formula(value: Cell) -> Cell | str:
    """A cell that is safe to open in a spreadsheet: text starting with `=`, `+`, `-`, `@`, a
    tab or a carriage return gets a leading apostrophe, so that it is shown as the text it is
    (`'=SUM(A1:A9)`, `'-Kommun`) and never run as a formula. Numbers (int, float, Decimal) and
    everything that is not text pass unchanged: a negative number stays a number. Every CSV
    and XLSX writer of the product calls this on each cell it writes."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralised_row(cells: Iterable[object]) -> list[object]:
    """`neutralise_formula` on each cell of a row."""
    return [neutralise_formula(cell) for cell in cells]
