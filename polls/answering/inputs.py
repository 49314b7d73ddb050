"""The member's inputs, one class per question kind (`INPUTS`, as `polls.kinds` names them).

Each input knows its field names, reads the member's raw values (field name -> list of strings,
as posted and as kept in the draft), turns them into typed `AnswerRow`s or an error message for
the member, and gives the template what it draws. The pages they sit on: `polls.answering.sheet`.

The member path reads `question.id`, not `.pk`: the same value without the property and its
meta lookup, some 650 times per submission (issue #14); every model here has an `id` key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils import formats
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from ..conditions import condition_option_ids
from ..kinds import KINDS
from ..models import Option, Question
from .drawing import dont_know_class, draw_choices, scale_note
from .responses import (
    AnswerRow,
    displayed_options,
    displayed_rows,
    option_by_value,
    question_options,
)

Raw = Mapping[str, list[str]]

LARGEST_NUMBER = Decimal(10) ** 11  # Answer.value: 15 digits, 4 of them decimals


class Invalid(Exception):
    def __init__(self, message: str, parts: Mapping[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.parts = dict(parts or {})  # error per sub-input id (grid row, ranking place)


def quoted(label: str) -> str:
    return _("“%(label)s”") % {"label": label}


def _plain_number(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return formats.number_format(Decimal(text))


@dataclass(frozen=True)
class Choice:
    """One radio button, checkbox or select option as drawn."""

    id: str
    name: str
    value: str
    label: str
    checked: bool
    option: Option | None = None
    note: str = ""  # the end label of a scale point

    @property
    def exclusive(self) -> bool:
        return bool(self.option and self.option.exclusive)

    @property
    def dont_know(self) -> bool:
        return bool(self.option and self.option.is_dont_know)


class QuestionInput:
    """One question on a page. Subclasses: one per kind."""

    template = ""

    @property
    def required_message(self) -> str:
        return ""

    def __init__(self, question: Question, *, number: str, seed: int | str, data: Raw):
        self.question = question
        self.number = number
        self.seed = seed
        self.data = data
        self.name = f"q{question.id}"
        self.error: str | None = None
        self.part_errors: dict[str, str] = {}
        self.visible = True  # set by the page: does the condition hold now?
        self.condition_on_page = False
        self.condition_hint = ""

    # --- raw values ---

    def values(self, name: str) -> list[str]:
        return [v for v in self.data.get(name, []) if v != ""]

    def value(self, name: str) -> str:
        values = self.values(name)
        return values[0] if values else ""

    @property
    def field_names(self) -> list[str]:
        return [self.name]

    # --- meaning ---

    def clean(self) -> list[AnswerRow]:
        raise NotImplementedError

    def validate(self) -> list[AnswerRow]:
        """The typed answer rows, or [] with `error` set. An empty optional answer is []."""
        self.error, self.part_errors = None, {}
        try:
            rows = self.clean()
            self.check_complete(rows)
        except Invalid as problem:
            self.error, self.part_errors = problem.message, problem.parts
            return []
        return rows

    def check_complete(self, rows: list[AnswerRow]) -> None:
        if self.question.required and not rows:
            raise Invalid(self.required_message)

    def chosen(self) -> set[int]:
        """Option ids chosen, leniently (for conditions, which only test valid options)."""
        return set()

    # --- drawing ---

    @property
    def question_id(self) -> str:
        return self.name

    @property
    def hint(self) -> str:
        return ""

    @property
    def hint_id(self) -> str:
        return f"{self.name}-hint" if self.hint else ""

    @property
    def error_id(self) -> str:
        return f"{self.name}-error" if self.error else ""

    @property
    def condition_id(self) -> str:
        return f"{self.name}-condition" if self.condition_hint else ""

    @property
    def describedby(self) -> str:
        return " ".join(i for i in (self.condition_id, self.hint_id, self.error_id) if i)

    @property
    def first_input_id(self) -> str:
        return f"{self.name}-input"

    @property
    def condition_name(self) -> str:
        return f"q{self.question.condition_question_id}"

    @property
    def condition_values(self) -> str:
        return " ".join(str(pk) for pk in sorted(condition_option_ids(self.question)))


class _OptionsInput(QuestionInput):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.options = displayed_options(self.question, seed=self.seed)
        self.by_value = option_by_value(self.question)

    def choices(self) -> list[Choice]:
        chosen = set(self.values(self.name))
        return [
            Choice(
                id=f"{self.name}-o{option.id}",
                name=self.name,
                value=str(option.id),
                label=option.label,
                checked=str(option.id) in chosen,
                option=option,
            )
            for option in self.options
        ]

    @property
    def first_input_id(self) -> str:
        return f"{self.name}-o{self.options[0].id}" if self.options else self.name

    def chosen(self) -> set[int]:
        return {self.by_value[v].id for v in self.values(self.name) if v in self.by_value}


class SingleInput(_OptionsInput):
    template = "polls/questions/choices.html"

    def choices_html(self) -> SafeString:
        return draw_choices(
            self.choices(), input_type="radio", invalid=bool(self.error), css=dont_know_class
        )

    @property
    def required_message(self) -> str:
        return _("Please choose an answer.")

    def clean(self) -> list[AnswerRow]:
        values = self.values(self.name)
        if not values:
            return []
        if len(values) > 1 or values[0] not in self.by_value:
            raise Invalid(_("Please choose one of the options."))
        return [AnswerRow(self.question.id, option_id=self.by_value[values[0]].id)]


class MultipleInput(_OptionsInput):
    template = "polls/questions/choices.html"

    def choices_html(self) -> SafeString:
        return draw_choices(
            self.choices(),
            input_type="checkbox",
            invalid=bool(self.error),
            css=lambda c: " choice-exclusive" if c.exclusive else "",
            attrs=lambda c: " data-exclusive" if c.exclusive else "",
        )

    @property
    def required_message(self) -> str:
        return _("Please choose at least one option.")

    @property
    def hint(self) -> str:
        if self.question.max_choices:
            return _("Choose up to %(count)d.") % {"count": self.question.max_choices}
        return _("Choose one or more.")

    def clean(self) -> list[AnswerRow]:
        values = list(dict.fromkeys(self.values(self.name)))
        if any(v not in self.by_value for v in values):
            raise Invalid(_("Please choose one of the options."))
        options = [self.by_value[v] for v in values]
        exclusive = [o for o in options if o.exclusive]
        if exclusive and len(options) > 1:
            raise Invalid(
                _("%(option)s cannot be combined with other answers.")
                % {"option": quoted(exclusive[0].label)}
            )
        limit = self.question.max_choices
        if limit and len(options) > limit:
            raise Invalid(_("Please choose no more than %(count)d.") % {"count": limit})
        return [AnswerRow(self.question.id, option_id=o.id) for o in options]


class ScaleInput(QuestionInput):
    """Points scale_min..scale_max answered as a value; "don't know" options as options."""

    template = "polls/questions/scale.html"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.points = self.question.scale_points()
        self.extra_options = list(self.question.options.all())

    @property
    def required_message(self) -> str:
        return _("Please choose an answer.")

    def choices(self) -> list[Choice]:
        chosen = self.value(self.name)
        notes = {}
        if self.points:
            q = self.question
            notes = {self.points[0]: q.label_low, self.points[-1]: q.label_high}
        return [
            Choice(
                id=f"{self.name}-v{point}",
                name=self.name,
                value=str(point),
                label=str(point),
                checked=chosen == str(point),
                note=notes.get(point, ""),
            )
            for point in self.points
        ]

    def choices_html(self) -> SafeString:
        return draw_choices(
            self.choices(), input_type="radio", invalid=bool(self.error), note=scale_note
        )

    def extra_choices_html(self) -> SafeString:
        return draw_choices(
            self.extra_choices(),
            input_type="radio",
            invalid=bool(self.error),
            css=lambda c: " choice-dont-know",
        )

    def extra_choices(self) -> list[Choice]:
        chosen = self.value(self.name)
        return [
            Choice(
                id=f"{self.name}-o{option.id}",
                name=self.name,
                value=f"o{option.id}",
                label=option.label,
                checked=chosen == f"o{option.id}",
                option=option,
            )
            for option in self.extra_options
        ]

    @property
    def first_input_id(self) -> str:
        return f"{self.name}-v{self.points[0]}" if self.points else self.name

    def clean(self) -> list[AnswerRow]:
        values = self.values(self.name)
        if not values:
            return []
        value = values[0]
        if len(values) == 1 and value in {str(p) for p in self.points}:
            return [AnswerRow(self.question.id, value=Decimal(value))]
        options = {f"o{option.id}": option for option in self.extra_options}
        if len(values) == 1 and value in options:
            return [AnswerRow(self.question.id, option_id=options[value].id)]
        raise Invalid(_("Please choose one of the options."))


NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")


class NumberInput(QuestionInput):
    template = "polls/questions/number.html"

    @property
    def required_message(self) -> str:
        return _("Please enter a number.")

    @property
    def field_value(self) -> str:
        return self.value(self.name)

    @property
    def inputmode(self) -> str:
        negative = self.question.number_min is None or self.question.number_min < 0
        # Phone keypads with inputmode=numeric/decimal have no minus sign.
        if negative:
            return "text"
        return "decimal" if self.question.decimal_places else "numeric"

    @property
    def hint(self) -> str:
        q = self.question
        if q.decimal_places:
            kind = _("A number with at most %(places)d decimals.") % {"places": q.decimal_places}
        else:
            kind = _("A whole number.")
        low = _plain_number(q.number_min) if q.number_min is not None else None
        high = _plain_number(q.number_max) if q.number_max is not None else None
        if low is not None and high is not None:
            bounds = _("From %(min)s to %(max)s.") % {"min": low, "max": high}
        elif low is not None:
            bounds = _("At least %(min)s.") % {"min": low}
        elif high is not None:
            bounds = _("At most %(max)s.") % {"max": high}
        else:
            bounds = ""
        return f"{kind} {bounds}".strip()

    def clean(self) -> list[AnswerRow]:
        raw = self.value(self.name)
        text = re.sub(r"[\s\u00a0\u202f]", "", raw)
        if not text:
            return []
        if not NUMBER.match(text):
            raise Invalid(_("Please enter a number, for example 12."))
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation:
            raise Invalid(_("Please enter a number, for example 12.")) from None
        q = self.question
        exponent = number.as_tuple().exponent  # an int for a finite number
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        if places > q.decimal_places:
            if q.decimal_places == 0:
                raise Invalid(_("Please enter a whole number."))
            raise Invalid(
                _("Please use at most %(places)d decimals.") % {"places": q.decimal_places}
            )
        low, high = q.number_min, q.number_max
        if (low is not None and number < low) or (high is not None and number > high):
            if low is not None and high is not None:
                message = _("Please enter a number from %(min)s to %(max)s.")
            elif low is not None:
                message = _("Please enter a number of at least %(min)s.")
            else:
                message = _("Please enter a number of at most %(max)s.")
            raise Invalid(
                message
                % {
                    "min": _plain_number(low) if low is not None else "",
                    "max": _plain_number(high) if high is not None else "",
                }
            )
        if abs(number) >= LARGEST_NUMBER:
            raise Invalid(_("That number is too large."))
        return [AnswerRow(q.id, value=number)]


class TextInput(QuestionInput):
    template = "polls/questions/text.html"

    @property
    def required_message(self) -> str:
        return _("Please write an answer.")

    @property
    def field_value(self) -> str:
        return self.value(self.name)

    @property
    def hint(self) -> str:
        return _("At most %(limit)d characters.") % {"limit": self.question.text_max_length}

    def clean(self) -> list[AnswerRow]:
        # Browsers count a line break as one character for maxlength but send two.
        text = self.value(self.name).replace("\r\n", "\n").strip()
        if not text:
            return []
        limit = self.question.text_max_length
        if len(text) > limit:
            raise Invalid(
                _("Please shorten your answer to %(limit)d characters (it has %(count)d).")
                % {"limit": limit, "count": len(text)}
            )
        return [AnswerRow(self.question.id, text=text)]


class RankingInput(_OptionsInput):
    """Places 1..K, each a select of the options: the member's top K in order."""

    template = "polls/questions/ranking.html"

    @property
    def required_message(self) -> str:
        return _("Please choose an option for every place.")

    @property
    def places(self) -> int:
        return min(self.question.max_choices or len(self.options), len(self.options))

    def place_name(self, place: int) -> str:
        return f"{self.name}_{place}"

    @property
    def field_names(self) -> list[str]:
        return [self.place_name(place) for place in range(1, self.places + 1)]

    @property
    def hint(self) -> str:
        return _("Choose one option for each place, the most important first.")

    @property
    def first_input_id(self) -> str:
        return f"{self.name}-p1"

    def selects(self) -> list[dict]:
        return [
            {
                "id": f"{self.name}-p{place}",
                "name": self.place_name(place),
                "label": _("Place %(place)d") % {"place": place},
                "error": self.part_errors.get(f"{self.name}-p{place}", ""),
                "choices": [
                    Choice(
                        id="",
                        name=self.place_name(place),
                        value=str(option.id),
                        label=option.label,
                        checked=self.value(self.place_name(place)) == str(option.id),
                        option=option,
                    )
                    for option in self.options
                ],
            }
            for place in range(1, self.places + 1)
        ]

    def chosen(self) -> set[int]:
        return {
            self.by_value[v].id
            for name in self.field_names
            if (v := self.value(name)) in self.by_value
        }

    def clean(self) -> list[AnswerRow]:
        ranked: list[tuple[int, Option]] = []
        empty: list[int] = []
        for place in range(1, self.places + 1):
            value = self.value(self.place_name(place))
            if not value:
                empty.append(place)
                continue
            if value not in self.by_value:
                raise Invalid(_("Please choose one of the options."))
            ranked.append((place, self.by_value[value]))
        seen: dict[int, int] = {}
        for place, option in ranked:
            if option.id in seen:
                raise Invalid(
                    _("Please choose each option only once."),
                    {f"{self.name}-p{place}": _("Please choose each option only once.")},
                )
            seen[option.id] = place
        if ranked and empty and min(empty) < max(place for place, _o in ranked):
            raise Invalid(
                _("Please fill in the places in order, starting with place 1."),
                {f"{self.name}-p{p}": _("Please choose an answer.") for p in empty},
            )
        return [AnswerRow(self.question.id, option_id=o.id, rank=place) for place, o in ranked]

    def check_complete(self, rows: list[AnswerRow]) -> None:
        if self.question.required and len(rows) < self.places:
            filled = {row.rank for row in rows}
            # Nothing chosen: the question's message says it all; some chosen: mark the rest.
            missing = [p for p in range(1, self.places + 1) if p not in filled] if rows else []
            raise Invalid(
                self.required_message,
                {f"{self.name}-p{p}": _("Please choose an answer.") for p in missing},
            )


class GridInput(QuestionInput):
    """Statements (rows) each rated on the question's options."""

    template = "polls/questions/grid.html"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = displayed_rows(self.question, seed=self.seed)
        self.options = question_options(self.question)
        self.by_value = option_by_value(self.question)

    @property
    def required_message(self) -> str:
        return _("Please answer every statement.")

    def row_name(self, row) -> str:
        return f"{self.name}_r{row.id}"

    @property
    def field_names(self) -> list[str]:
        return [self.row_name(row) for row in self.rows]

    @property
    def first_input_id(self) -> str:
        if not self.rows or not self.options:
            return self.name
        return f"{self.name}-r{self.rows[0].id}-o{self.options[0].id}"

    def grid_rows(self) -> list[dict]:
        return [
            {
                "id": f"{self.name}-r{row.id}",
                "row": row,
                "error": (error := self.part_errors.get(f"{self.name}-r{row.id}", "")),
                "choices_html": draw_choices(
                    self._row_choices(row),
                    input_type="radio",
                    invalid=bool(error),
                    css=dont_know_class,
                ),
            }
            for row in self.rows
        ]

    def _row_choices(self, row) -> list[Choice]:
        name = self.row_name(row)
        chosen = self.value(name)
        return [
            Choice(
                id=f"{self.name}-r{row.id}-o{option.id}",
                name=name,
                value=str(option.id),
                label=option.label,
                checked=chosen == str(option.id),
                option=option,
            )
            for option in self.options
        ]

    def clean(self) -> list[AnswerRow]:
        answers = []
        for row in self.rows:
            values = self.values(self.row_name(row))
            if not values:
                continue
            if len(values) > 1 or values[0] not in self.by_value:
                raise Invalid(
                    _("Please choose one of the options."),
                    {f"{self.name}-r{row.id}": _("Please choose one of the options.")},
                )
            answers.append(
                AnswerRow(self.question.id, option_id=self.by_value[values[0]].id, row_id=row.id)
            )
        return answers

    def check_complete(self, rows: list[AnswerRow]) -> None:
        answered = {row.row_id for row in rows}
        missing = [row for row in self.rows if row.id not in answered]
        # An optional grid may be left empty, but not half done.
        if missing and (self.question.required or answered):
            marked = missing if answered else []
            raise Invalid(
                self.required_message,
                {f"{self.name}-r{row.id}": _("Please choose an answer.") for row in marked},
            )


_INPUT_CLASSES: dict[str, type[QuestionInput]] = {
    cls.__name__: cls
    for cls in (
        SingleInput,
        MultipleInput,
        ScaleInput,
        NumberInput,
        TextInput,
        RankingInput,
        GridInput,
    )
}
# Kind -> input class, as `polls.kinds.KINDS` names them.
INPUTS: dict[str, type[QuestionInput]] = {
    kind: _INPUT_CLASSES[spec.input] for kind, spec in KINDS.items()
}
