"""The member's radio buttons and checkboxes, drawn in Python.

A page of 20 questions with five options each draws a hundred labels; through the template
engine (a `{% for %}` with a dozen lookups per option) that was about half of a GET's CPU
(bench/answering_cpu.py). The markup is the same as the templates drew: every value escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol, TypeVar

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


class Choice(Protocol):
    """What is drawn of a choice (`polls.answering.inputs.Choice`)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def checked(self) -> bool: ...
    @property
    def note(self) -> str: ...
    @property
    def dont_know(self) -> bool: ...


C = TypeVar("C", bound=Choice)

INVALID = ' aria-invalid="true"'


def draw_choices(
    choices: Iterable[C],
    *,
    input_type: str,
    invalid: bool,
    css: Callable[[C], str] = lambda choice: "",
    attrs: Callable[[C], str] = lambda choice: "",
    note: Callable[[C], str] = lambda choice: "",
) -> SafeString:
    """`<label class="choice…"><input …><span>label</span></label>` for each choice.

    `css`, `attrs` and `note` give a choice's extra classes (" choice-dont-know"), extra input
    attributes (" data-exclusive") and the text after its label; they return markup, so a text
    they include must be escaped by them.
    """
    aria = INVALID if invalid else ""
    return mark_safe(  # noqa: S308 - every value below is escaped
        "\n".join(
            f'<label class="choice{css(c)}" for="{escape(c.id)}">'
            f'<input type="{input_type}" name="{escape(c.name)}" value="{escape(c.value)}"'
            f' id="{escape(c.id)}"{" checked" if c.checked else ""}{attrs(c)}{aria}>'
            f" <span>{escape(c.label)}{note(c)}</span></label>"
            for c in choices
        )
    )


def dont_know_class(choice: Choice) -> str:
    return " choice-dont-know" if choice.dont_know else ""


def scale_note(choice: Choice) -> str:
    return f' <small class="scale-note">{escape(choice.note)}</small>' if choice.note else ""
