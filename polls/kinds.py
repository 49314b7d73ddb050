"""The question kinds, one entry each: everything about a kind that is a fact rather than code.

Read by the studio (which settings and lists its question page shows), the questionnaire JSON
(what a file may and must give), the member's page (the input class, the random order), the
display conditions (which kinds a condition can test) and, keyed the same way, the results
(`results/estimation`'s per-kind estimator table uses these keys). Adding a kind: see
CONTRIBUTING.md, "Checklist: adding a question kind".

Features are what a kind uses besides its text:

    options      a list of options (a scale's are the extra answers beside the points, "Vet ej";
                 a grid's are the scale its statements are rated on)
    rows         a list of statements (a grid)
    randomize    "random order" (`Question.randomize_options`)
    max_choices  `Question.max_choices` (at most this many; a ranking's top this many)
    scale        the points and their end labels
    number       bounds and decimals
    text         the longest answer
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .models import Question

Kind = Question.Kind

# The Question fields each feature brings; "options" and "rows" are lists, not fields.
FEATURE_FIELDS: dict[str, tuple[str, ...]] = {
    "randomize": ("randomize_options",),
    "max_choices": ("max_choices",),
    "scale": (
        "scale_min",
        "scale_max",
        "label_low_sv",
        "label_low_en",
        "label_high_sv",
        "label_high_en",
    ),
    "number": ("number_min", "number_max", "decimal_places"),
    "text": ("text_max_length",),
}
FEATURES = frozenset({"options", "rows", *FEATURE_FIELDS})


@dataclass(frozen=True)
class KindSpec:
    features: frozenset[str]
    # The member's input class, by its name in polls.answering.inputs (which builds `INPUTS`
    # from this table: the inputs depend on the answering code that reads this module).
    input: str
    # What "random order" shuffles per member: the options, a grid's statements, or nothing
    # (a scale's options are a scale).
    shuffles: Literal["options", "rows"] | None = None
    # A later question's display condition can test the options chosen here.
    conditions: bool = False
    # Cannot be answered without at least one option, or one statement.
    needs_options: bool = False
    needs_rows: bool = False

    def __post_init__(self) -> None:
        unknown = self.features - FEATURES
        if unknown:
            raise ValueError(f"unknown features {sorted(unknown)}")

    @property
    def fields(self) -> tuple[str, ...]:
        """The Question settings this kind uses (besides code, text, page and required)."""
        return tuple(
            name
            for feature, names in FEATURE_FIELDS.items()
            if feature in self.features
            for name in names
        )


KINDS: dict[str, KindSpec] = {
    Kind.SINGLE: KindSpec(
        features=frozenset({"options", "randomize"}),
        input="SingleInput",
        shuffles="options",
        conditions=True,
        needs_options=True,
    ),
    Kind.MULTIPLE: KindSpec(
        features=frozenset({"options", "randomize", "max_choices"}),
        input="MultipleInput",
        shuffles="options",
        conditions=True,
        needs_options=True,
    ),
    Kind.SCALE: KindSpec(features=frozenset({"options", "scale"}), input="ScaleInput"),
    Kind.NUMBER: KindSpec(features=frozenset({"number"}), input="NumberInput"),
    Kind.TEXT: KindSpec(features=frozenset({"text"}), input="TextInput"),
    Kind.RANKING: KindSpec(
        features=frozenset({"options", "randomize", "max_choices"}),
        input="RankingInput",
        shuffles="options",
        needs_options=True,
    ),
    Kind.GRID: KindSpec(
        features=frozenset({"options", "rows", "randomize"}),
        input="GridInput",
        shuffles="rows",
        needs_options=True,
        needs_rows=True,
    ),
}

# Kinds whose answers are options a later question's condition can test.
CONDITION_KINDS = tuple(kind for kind, spec in KINDS.items() if spec.conditions)

if set(KINDS) != set(Kind.values):
    raise ValueError(f"polls.kinds.KINDS must describe every Question.Kind: {sorted(Kind.values)}")
