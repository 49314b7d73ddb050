"""The files: microdata as CSV, XLSX or SPSS .sav, aggregated tables as CSV or XLSX formatted
for a Swedish Excel. Every text cell of a CSV or XLSX goes through
`respondents.csvfiles.neutralise_formula` (formula injection); numbers stay numbers.

Each writer takes rows as they come (an iterator read in chunks) and writes to a binary file.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from typing import IO, Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from respondents.csvfiles import neutralise_formula, neutralised_row

from .aggregates import AggregateRow, Aggregates, aggregate_headers
from .microdata import MISSING_RANGE, Microdata, Value

__all__ = [
    "aggregates_csv",
    "aggregates_xlsx",
    "microdata_csv",
    "microdata_sav",
    "microdata_xlsx",
    "swedish_number",
]

BOM = codecs.BOM_UTF8


class _Text(io.TextIOWrapper):
    """Text into a binary file, left open when done."""

    def close(self) -> None:
        self.detach()


def _text(out: IO[bytes]) -> _Text:
    return _Text(out, encoding="utf-8", newline="")


# --------------------------------------------------------------------------- microdata


def _plain(value: Value) -> object:
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    return "" if value is None else value


def microdata_csv(plan: Microdata, rows: Iterable[Sequence[Value]], out: IO[bytes]) -> None:
    """Comma-separated, UTF-8 with BOM (Excel reads it, as do R and pandas), dot decimals: the
    file statisticians read with read.csv / pandas.read_csv; the codes are the codebook's."""
    out.write(BOM)
    text = _text(out)
    writer = csv.writer(text)
    writer.writerow(neutralised_row(plan.names))
    for row in rows:
        writer.writerow([neutralise_formula(_plain(v)) for v in row])
    text.flush()
    text.close()


def _header(sheet: WriteOnlyWorksheet, names: Sequence[str]) -> None:
    bold = Font(bold=True)
    cells = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=neutralise_formula(name))
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)


def microdata_xlsx(plan: Microdata, rows: Iterable[Sequence[Value]], out: IO[bytes]) -> None:
    """Sheet "data" with a header of variable names, sheet "variables" with their labels."""
    book = Workbook(write_only=True)
    data = book.create_sheet(_("data"))
    data.freeze_panes = "A2"
    _header(data, plan.names)
    for row in rows:
        data.append([neutralise_formula(v) for v in row])
    about = book.create_sheet(_("variables"))
    _header(about, [_("variable"), _("label"), _("values")])
    for v in plan.variables:
        values = "; ".join(f"{code} = {label}" for code, label in sorted(v.value_labels.items()))
        about.append(neutralised_row([v.name, v.label, values or v.note]))
    book.save(out)


def microdata_sav(plan: Microdata, rows: Iterable[Sequence[Value]], out: IO[bytes]) -> None:
    """SPSS .sav (pyreadstat): variable labels from the questions, value labels from the
    options, -9..-1 declared user-missing ("don't know", not shown)."""
    import pandas as pd
    import pyreadstat

    columns: list[list[Any]] = [[] for _v in plan.variables]
    for row in rows:
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    frame: dict[str, Any] = {}
    for variable, values in zip(plan.variables, columns, strict=True):
        if variable.numeric:
            frame[variable.name] = pd.array(
                [math.nan if v is None else float(v) for v in values], dtype="float64"
            )
        else:
            frame[variable.name] = ["" if v is None else str(v) for v in values]
    df = pd.DataFrame(frame, columns=plan.names)
    low, high = MISSING_RANGE
    fd, path = tempfile.mkstemp(suffix=".sav")
    os.close(fd)
    try:
        pyreadstat.write_sav(
            df,
            path,
            file_label=plan.poll.title[:64],
            column_labels={v.name: v.label[:256] for v in plan.variables},
            variable_value_labels={
                v.name: {float(code): label[:120] for code, label in v.value_labels.items()}
                for v in plan.variables
                if v.value_labels
            },
            missing_ranges={
                v.name: [{"lo": float(low), "hi": float(high)}] for v in plan.variables if v.missing
            },
            variable_measure={v.name: v.measure for v in plan.variables},
        )
        with open(path, "rb") as written:
            while block := written.read(1 << 20):
                out.write(block)
    finally:
        os.unlink(path)


# --------------------------------------------------------------------------- aggregates


def swedish_number(value: float | int | None, decimals: int = 1) -> str:
    """A number as a Swedish Excel reads it from a CSV: decimal comma, no thousands mark."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return f"{value:.{decimals}f}".replace(".", ",")


def _aggregate_cells(row: AggregateRow) -> list[object]:
    return [
        row.question,
        row.text,
        row.statement,
        row.group,
        row.answer,
        row.measure,
        row.estimate,
        row.low,
        row.high,
        row.plus_minus,
        row.base,
        row.respondents,
        row.note,
    ]


NUMBER_COLUMNS = range(6, 12)


def aggregates_csv(tables: Aggregates, out: IO[bytes], progress: Callable[[int], None]) -> None:
    """Excel in Swedish: semicolons, UTF-8 with BOM, decimal commas."""
    out.write(BOM)
    text = _text(out)
    writer = csv.writer(text, delimiter=";")
    writer.writerow(neutralised_row(aggregate_headers()))
    for i, row in enumerate(tables.rows, start=1):
        cells = _aggregate_cells(row)
        writer.writerow(
            [
                swedish_number(c) if j in NUMBER_COLUMNS else neutralise_formula(c)  # type: ignore[arg-type]
                for j, c in enumerate(cells)
            ]
        )
        if i % 1000 == 0:
            progress(i)
    text.flush()
    text.close()


def aggregates_xlsx(tables: Aggregates, out: IO[bytes], progress: Callable[[int], None]) -> None:
    """Real numbers with number formats (Excel shows them with its locale's decimal comma)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("tables"))
    sheet.freeze_panes = "A2"
    widths = (12, 50, 30, 18, 30, 12, 10, 10, 10, 10, 10, 10, 40)
    for letter, width in zip("ABCDEFGHIJKLM", widths, strict=True):
        sheet.column_dimensions[letter].width = width
    _header(sheet, aggregate_headers())
    for i, row in enumerate(tables.rows, start=1):
        cells = []
        for j, value in enumerate(_aggregate_cells(row)):
            cell = WriteOnlyCell(sheet, value=neutralise_formula(value))
            if j in NUMBER_COLUMNS and value is not None:
                cell.number_format = "0" if j >= 10 else "0.0"
            cells.append(cell)
        sheet.append(cells)
        if i % 1000 == 0:
            progress(i)
    about = book.create_sheet(_("about"))
    for label, value in tables.about():
        about.append(neutralised_row([label, value]))
    book.save(out)
