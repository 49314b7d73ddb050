"""Validation of a member's answers, page by page. Forms validate; services write.

`AnswerSheet` holds the raw values of all pages (field name -> list of strings, as posted and as
kept in the draft), decides which questions are shown (conditions) and which pages remain; a
`PageForm` is one page of it, validated by the inputs of its questions (`polls.answering.inputs`).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from ..conditions import condition_option_ids, visible_questions
from ..models import Question
from .inputs import INPUTS, QuestionInput, Raw, quoted
from .responses import AnswerRow, Page, Pages, question_numbers, question_options

__all__ = ["AnswerSheet", "PageForm", "question_numbers"]

MAX_VALUES_PER_FIELD = 50
MAX_VALUE_LENGTH = 20_000


class PageForm:
    """The questions of one page: those shown now, and those on it whose condition is an answer
    on the same page (drawn, so that they work without JavaScript; answer.js hides them while
    the condition does not hold)."""

    def __init__(self, sheet: AnswerSheet, page: Page):
        self.sheet = sheet
        self.page = page
        visible = sheet.visible_ids()
        on_page = {q.id for q in page.questions}
        self.inputs: list[QuestionInput] = []
        drawn: set[int] = set()
        for question in page.questions:
            item = sheet.inputs[question.id]
            item.visible = question.id in visible
            source = question.condition_question_id
            item.condition_on_page = source in on_page
            if item.condition_on_page:
                item.condition_hint = sheet.condition_hint(question)
            if item.visible or (item.condition_on_page and source in drawn):
                self.inputs.append(item)
                drawn.add(question.id)
        self.validated = False

    def is_valid(self) -> bool:
        self.validated = True
        ok = True
        for item in self.inputs:
            if item.visible:
                self.sheet.validated(item)
                ok = ok and item.error is None
            else:
                item.error, item.part_errors = None, {}
        return ok

    @property
    def errors(self) -> list[QuestionInput]:
        return [item for item in self.inputs if item.error]


class AnswerSheet:
    """A member's answers in progress over all pages, as raw values, with the poll's pages."""

    def __init__(self, pages: list[Page], *, data: Raw, seed: int | str):
        self.pages = pages
        self.data: dict[str, list[str]] = {k: list(v) for k, v in data.items()}
        self.questions = [q for page in pages for q in page.questions]
        numbers = pages.numbers if isinstance(pages, Pages) else question_numbers(self.questions)
        self.inputs: dict[int, QuestionInput] = {
            q.id: INPUTS[q.kind](q, number=numbers[q.id], seed=seed, data=self.data)
            for q in self.questions
        }
        # What the answers show, worked out once per state of `data` (a submit asks for it
        # for every page it checks); `update` forgets it.
        self._visible: set[int] | None = None
        self._rows: dict[int, list[AnswerRow]] = {}  # question id -> validated rows, likewise

    def field_names(self, page: Page) -> list[str]:
        return [name for q in page.questions for name in self.inputs[q.id].field_names]

    def update(self, page: Page, posted) -> None:
        """Take the page's values from a POST (a QueryDict or a dict of lists). NUL characters
        are dropped: no one types them, and PostgreSQL stores them in no text or JSON."""
        self._visible, self._rows = None, {}
        for name in self.field_names(page):
            values = posted.getlist(name) if hasattr(posted, "getlist") else posted.get(name, [])
            values = [str(v).replace("\x00", "")[:MAX_VALUE_LENGTH] for v in values]
            values = [v for v in values if v != ""]
            if values:
                self.data[name] = values[:MAX_VALUES_PER_FIELD]
            else:
                self.data.pop(name, None)

    def clean_data(self) -> dict[str, list[str]]:
        """The raw values of the poll's current fields only, for the draft."""
        names = {name for page in self.pages for name in self.field_names(page)}
        return {name: values for name, values in self.data.items() if name in names}

    def visible_ids(self) -> set[int]:
        if self._visible is None:
            chosen = {q.id: self.inputs[q.id].chosen() for q in self.questions}
            self._visible = {
                q.id for q in visible_questions(self.questions, chosen, in_flow_order=True)
            }
        return self._visible

    def active_pages(self) -> list[Page]:
        """Pages with at least one question shown: a page whose questions are all hidden by
        earlier answers is skipped."""
        visible = self.visible_ids()
        return [page for page in self.pages if any(q.id in visible for q in page.questions)]

    def page(self, index: int) -> Page:
        """The page at `index`, or the nearest shown page at or before it."""
        active = self.active_pages()
        if not active:
            return self.pages[0]
        earlier = [page for page in active if page.index <= index]
        return earlier[-1] if earlier else active[0]

    def next_page(self, page: Page) -> Page | None:
        return next((p for p in self.active_pages() if p.index > page.index), None)

    def previous_page(self, page: Page) -> Page | None:
        earlier = [p for p in self.active_pages() if p.index < page.index]
        return earlier[-1] if earlier else None

    def form(self, page: Page) -> PageForm:
        return PageForm(self, page)

    def first_invalid(self) -> PageForm | None:
        for page in self.active_pages():
            form = self.form(page)
            if not form.is_valid():
                return form
        return None

    def validated(self, item: QuestionInput) -> list[AnswerRow]:
        """`item.validate()`, once per state of the answers."""
        pk = item.question.id
        if pk not in self._rows:
            self._rows[pk] = item.validate()
        return self._rows[pk]

    def answers(self) -> list[AnswerRow]:
        """Every shown question's typed answers; call after `first_invalid()` found none."""
        visible = self.visible_ids()
        return [
            row
            for q in self.questions
            if q.id in visible
            for row in self.validated(self.inputs[q.id])
        ]

    def condition_hint(self, question: Question) -> str:
        source = question.condition_question
        if source is None:
            return ""
        ids = condition_option_ids(question)
        labels = [quoted(o.label) for o in question_options(source) if o.id in ids]
        return _("Only if you answered %(answers)s to question %(number)s.") % {
            "answers": " / ".join(labels),
            "number": self.inputs[source.id].number if source.id in self.inputs else "",
        }
