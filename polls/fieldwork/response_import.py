"""Importing responses from a CSV file: answers collected on paper or in another tool, or test data.

One row a respondent. The header names the columns:

- the poll's reporting variables (every one of them must be there; a cell may be empty),
- optionally `submitted_on` (YYYY-MM-DD; default: today),
- one column per question, named by its code, holding
  single choice: the option's code; multiple choice: codes separated by `|`;
  scale: the point (or an option's code, e.g. "vet_ej"); number: the number (`,` or `.`);
  text: the text; ranking: the codes in rank order separated by `|`;
- for a grid, one column per statement: `<question>.<statement code>`, holding the option's code.

An empty cell is no answer. Questions without a column get no answers. Every cell is checked
first; any error refuses the whole file (all-or-nothing), reported by row (the file's line, the
header being row 1) and column. A clean file is written in one transaction with bulk_create,
after which `responses_imported` is sent (results listens, to forget cached estimates; polls
must not import results). Read as the register import reads its files (`respondents.csvfiles`:
encoding, BOM, lines); the delimiter is `;`, `,` or tab, whichever makes the header's names known
columns.

Display conditions are not checked: a respondent may have answered a question on paper that the
web form would have hidden.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from respondents.csvfiles import ImportFileError, csv_records, decode, delimiter_naming

from ..models import Answer, GridRow, Option, Poll, Question, Response

__all__ = [
    "ImportedResponses",
    "ResponseImportError",
    "read_responses",
    "responses_import",
    "responses_imported",
]

# Sent after responses were imported in bulk (bulk_create sends no post_save): poll=, count=.
responses_imported = Signal()

DELIMITERS = (";", ",", "\t")
SEPARATOR = "|"
DATE_COLUMN = "submitted_on"
LARGEST_NUMBER = Decimal("1e11")  # Answer.value: 15 digits, 4 of them decimals
BATCH = 5000


class ResponseImportError(Exception):
    """The file was refused; `errors` lists every problem found, nothing was imported."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class _Row:
    attributes: dict[str, str]
    submitted_on: date
    answers: list[Answer] = field(default_factory=list)


@dataclass(frozen=True)
class ImportedResponses:
    responses: int
    answers: int


class _Cell(Exception):
    """One cell's problem (the message without row and column)."""


def _quoted(text: str) -> str:
    return f"“{text}”"


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, cells) of each record that is not blank; a file that
    cannot be read refuses the import."""
    try:
        yield from csv_records(text, delimiter)
    except ImportFileError as error:
        raise ResponseImportError([str(error)]) from None


class _Reader:
    """The checks of one poll's cells, by question kind."""

    def __init__(self, poll: Poll) -> None:
        self.poll = poll
        self.questions = {
            q.code: q for q in poll.questions.prefetch_related("options", "rows").order_by("pk")
        }
        self.options = {
            code: {o.code: o for o in q.options.all()} for code, q in self.questions.items()
        }
        self.columns: dict[str, tuple[Question, GridRow | None]] = {}  # column -> (question, row)
        for code, q in self.questions.items():
            if q.kind == Question.Kind.GRID:
                for row in q.rows.all():
                    self.columns[f"{code}.{row.code}"] = (q, row)
            else:
                self.columns[code] = (q, None)

    def option(self, q: Question, code: str) -> Option:
        option = self.options[q.code].get(code)
        if option is None:
            raise _Cell(_("unknown option %(code)s") % {"code": _quoted(code)})
        return option

    def codes(self, q: Question, text: str) -> list[Option]:
        codes = [c.strip() for c in text.split(SEPARATOR)]
        if any(not c for c in codes):
            raise _Cell(_("an empty code between the separators “|”"))
        seen: set[str] = set()
        for code in codes:
            if code in seen:
                raise _Cell(_("%(code)s is given twice") % {"code": _quoted(code)})
            seen.add(code)
        options = [self.option(q, c) for c in codes]
        if q.max_choices and len(options) > q.max_choices:
            raise _Cell(_("at most %(count)d options may be given") % {"count": q.max_choices})
        return options

    def number(self, text: str) -> Decimal:
        try:
            value = Decimal(text.replace(",", ".").replace("\u00a0", "").replace(" ", ""))
        except InvalidOperation:
            raise _Cell(_("%(value)s is not a number") % {"value": _quoted(text)}) from None
        if not value.is_finite() or abs(value) >= LARGEST_NUMBER:
            raise _Cell(_("%(value)s is not a number") % {"value": _quoted(text)})
        return value

    def answers(self, column: str, text: str) -> list[Answer]:
        q, row = self.columns[column]
        kind = q.kind
        if kind == Question.Kind.SINGLE:
            return [Answer(question=q, option=self.option(q, text))]
        if kind == Question.Kind.GRID:
            return [Answer(question=q, row=row, option=self.option(q, text))]
        if kind == Question.Kind.MULTIPLE:
            options = self.codes(q, text)
            exclusive = [o for o in options if o.exclusive]
            if exclusive and len(options) > 1:
                raise _Cell(
                    _("%(code)s cannot be combined with other options")
                    % {"code": _quoted(exclusive[0].code)}
                )
            return [Answer(question=q, option=o) for o in options]
        if kind == Question.Kind.RANKING:
            return [
                Answer(question=q, option=o, rank=place)
                for place, o in enumerate(self.codes(q, text), start=1)
            ]
        if kind == Question.Kind.SCALE:
            if text in self.options[q.code]:
                return [Answer(question=q, option=self.options[q.code][text])]
            points = q.scale_points()
            try:
                value = Decimal(text.replace(",", "."))
            except InvalidOperation:
                value = None
            if value is None or value != value.to_integral_value() or int(value) not in points:
                raise _Cell(
                    _("%(value)s is neither a point of the scale %(low)s–%(high)s nor an option")
                    % {"value": _quoted(text), "low": q.scale_min, "high": q.scale_max}
                )
            return [Answer(question=q, value=Decimal(int(value)))]
        if kind == Question.Kind.NUMBER:
            value = self.number(text)
            low, high = q.number_min, q.number_max
            if (low is not None and value < low) or (high is not None and value > high):
                raise _Cell(
                    _("%(value)s is outside %(low)s–%(high)s")
                    % {
                        "value": text,
                        "low": "" if low is None else f"{low.normalize():f}",
                        "high": "" if high is None else f"{high.normalize():f}",
                    }
                )
            exponent = value.normalize().as_tuple().exponent  # finite: an int
            decimals = -exponent if isinstance(exponent, int) else 0
            if decimals > q.decimal_places:
                raise _Cell(
                    _("%(value)s has more than %(count)d decimals")
                    % {"value": text, "count": q.decimal_places}
                )
            return [Answer(question=q, value=value)]
        # text
        if len(text) > q.text_max_length:
            raise _Cell(
                _("the answer is longer than %(limit)d characters") % {"limit": q.text_max_length}
            )
        return [Answer(question=q, text=text)]


def read_responses(poll: Poll, data: bytes) -> list[_Row]:
    """Parse and check the whole file; raises `ResponseImportError` with every problem."""
    try:
        text, _encoding = decode(data)
    except ImportFileError as error:
        raise ResponseImportError([str(error)]) from None
    reader = _Reader(poll)
    variables = list(poll.reporting_variables)
    known = {*variables, *reader.columns, DATE_COLUMN}
    records = _records(text, delimiter_naming(text, known, DELIMITERS))
    header_record = next(records, None)
    if header_record is None:
        raise ResponseImportError([_("The file is empty.")])
    header = [name.replace("\ufeff", "").strip() for name in header_record[1]]
    errors = []
    duplicates = sorted({name for name in header if header.count(name) > 1 and name})
    if duplicates:
        errors.append(
            _("Column(s) %(names)s appear more than once.")
            % {"names": ", ".join(map(_quoted, duplicates))}
        )
    unknown = [name for name in header if name not in known]
    if unknown:
        errors.append(
            _(
                "Unknown column(s) %(names)s. The columns are the reporting variables "
                "(%(variables)s), %(date)s and the question codes (a grid's statements as "
                "question.statement): %(questions)s."
            )
            % {
                "names": ", ".join(map(_quoted, unknown)),
                "variables": ", ".join(variables) or "–",
                "date": DATE_COLUMN,
                "questions": ", ".join(reader.columns) or "–",
            }
        )
    missing = [name for name in variables if name not in header]
    if missing:
        errors.append(
            _("The file lacks the reporting variable column(s) %(names)s.")
            % {"names": ", ".join(map(_quoted, missing))}
        )
    if errors:
        raise ResponseImportError(errors)

    today = timezone.localdate()
    rows: list[_Row] = []
    for line, cells in records:
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            errors.append(
                _("Row %(line)d: %(message)s")
                % {
                    "line": line,
                    "message": _("%(count)d cells, but the header has %(columns)d columns")
                    % {"count": len(cells), "columns": len(header)},
                }
            )
            continue
        values = dict(zip(header, [c.strip() for c in cells] + [""] * len(header), strict=False))
        row = _Row(
            attributes={name: values[name] for name in variables if values[name]},
            submitted_on=today,
        )
        for column in header:
            value = values[column]
            if not value or column in variables:
                continue
            try:
                if column == DATE_COLUMN:
                    try:
                        row.submitted_on = date.fromisoformat(value)
                    except ValueError:
                        raise _Cell(
                            _("%(value)s is not a date (YYYY-MM-DD)") % {"value": _quoted(value)}
                        ) from None
                    continue
                row.answers += reader.answers(column, value)
            except _Cell as cell:
                errors.append(
                    _("Row %(row)d, column %(column)s: %(message)s")
                    % {"row": line, "column": column, "message": cell}
                )
        rows.append(row)
    if errors:
        raise ResponseImportError(errors)
    if not rows:
        raise ResponseImportError([_("The file has a header but no responses.")])
    return rows


def responses_import(*, poll: Poll, data: bytes) -> ImportedResponses:
    """Import the file's responses into `poll`: all of them or, on any error, none (raises
    `ResponseImportError`)."""
    rows = read_responses(poll, data)
    responses = [
        Response(poll=poll, submitted_on=row.submitted_on, attributes=row.attributes)
        for row in rows
    ]
    answers = []
    for response, row in zip(responses, rows, strict=True):
        for answer in row.answers:
            answer.response = response
            answers.append(answer)
    with transaction.atomic():
        Response.objects.bulk_create(responses, batch_size=BATCH)
        Answer.objects.bulk_create(answers, batch_size=BATCH)
    responses_imported.send(sender=Poll, poll=poll, count=len(responses))
    return ImportedResponses(responses=len(responses), answers=len(answers))
