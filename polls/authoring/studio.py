"""The authoring studio's services: editors build questionnaires page by page.

Services write, forms validate. Every change to the structure (pages, questions, options,
statements, kinds, codes, order, conditions) goes through `_structure_change`, which refuses it
once the poll has responses (the answers already given refer to that structure) and refuses any
change that would break a display condition (`validate_conditions`). Texts in Swedish and English
stay editable; once the poll has responses each change is kept as a `TextEdit`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.text import slugify
from django.utils.translation import gettext as _

from respondents.models import Register
from staff.access import reach

from ..conditions import flow_order, validate_conditions
from ..models import GridRow, Option, Poll, Question, Section, TextEdit

Kind = Question.Kind

# Slugs taken by the studio's own addresses (staff/studio/new/, staff/studio/import/).
RESERVED_SLUGS = frozenset({"new", "import"})
CODE_RE = re.compile(r"^[-\w]+\Z")

POLL_TEXT_FIELDS = ("title_sv", "title_en", "intro_sv", "intro_en")
# Not structure: the field period and who runs the poll may change at any time.
POLL_SETTING_FIELDS = (
    "slug",
    "organisation",
    "contact_email",
    "opens_at",
    "closes_at",
    "series",
    "open_link",
)
# Structure: which members the poll is for, and what travels onto their responses; locked once
# responses exist, as the questions are.
POLL_STRUCTURE_FIELDS = ("register", "reporting_variables")
SECTION_TEXT_FIELDS = ("title_sv", "title_en")
QUESTION_TEXT_FIELDS = (
    "text_sv",
    "text_en",
    "label_low_sv",
    "label_low_en",
    "label_high_sv",
    "label_high_en",
)
QUESTION_STRUCTURE_FIELDS = (
    "code",
    "kind",
    "section",
    "required",
    "randomize_options",
    "max_choices",
    "scale_min",
    "scale_max",
    "number_min",
    "number_max",
    "decimal_places",
    "text_max_length",
)
OPTION_TEXT_FIELDS = ("label_sv", "label_en")
OPTION_STRUCTURE_FIELDS = ("code", "is_dont_know", "exclusive", "anchored")
ROW_TEXT_FIELDS = ("text_sv", "text_en")
ROW_STRUCTURE_FIELDS = ("code",)


class Refused(Exception):
    """A change the studio does not make; `messages` say why, for the editor."""

    def __init__(self, *messages: str):
        super().__init__(" ".join(messages))
        self.messages = list(messages)


class Locked(Refused):
    pass


def lock_message() -> str:
    return _(
        "This poll has responses, so its structure is locked: questions, options, statements, "
        "kinds, codes, order and conditions stay as they were when members answered. You can "
        "still correct the Swedish and English texts; each correction is logged on the poll's "
        "page. To change the structure, duplicate the poll as a new wave."
    )


# --- reading ------------------------------------------------------------------------------------


def poll_for_editor(user, slug: str) -> Poll:
    """The only way a studio view reaches a poll: the rule of `staff.access` (Editor or Admin;
    every editor may edit every poll), checked here for `user` as well as by `editor_required`;
    an unknown slug is a 404."""
    return reach(user, Poll, slug=slug)


def registers_for_choice():
    """The registers an editor may choose as a poll's population: names and declared
    variables only (no members, no counts), which is why Editors may see them although
    registers themselves are for Admins (`staff.access.RULES`)."""
    return Register.objects.only("pk", "name", "variables").order_by("name")


def poll_is_locked(poll: Poll) -> bool:
    return poll.has_responses()


@dataclass
class PageOutline:
    """A page of the studio's outline: a section (or the implicit first page) and its
    questions in flow order."""

    section: Section | None
    questions: list[Question] = field(default_factory=list)


def poll_outline(poll: Poll) -> list[PageOutline]:
    """Every page with its questions, including empty sections, in the order members meet
    them. Questions without a section are the first page, shown only when there are some."""
    questions = flow_order(
        poll.questions.select_related("section", "condition_question").prefetch_related(
            "options", "rows", "condition_options"
        )
    )
    pages = [PageOutline(section=None)]
    pages += [PageOutline(section=s) for s in poll.sections.all()]
    by_section = {page.section.pk if page.section else None: page for page in pages}
    for question in questions:
        by_section[question.section_id].questions.append(question)
    if not pages[0].questions:
        pages.pop(0)
    return pages


# --- the structure lock and the condition check -------------------------------------------------


@contextmanager
def _structure_change(poll: Poll) -> Iterator[None]:
    """Refuses a structural change to a poll with responses, and rolls back one that leaves a
    display condition broken that was fine before (a question moved above the one it depends
    on, an option a condition names deleted, ...)."""
    if poll_is_locked(poll):
        raise Locked(lock_message())
    before = set(validate_conditions(poll))
    with transaction.atomic():
        yield
        broken = [problem for problem in validate_conditions(poll) if problem not in before]
        if broken:
            raise Refused(*broken)


def _log_texts(
    *,
    poll: Poll,
    obj: Any,
    object_type: str,
    label: str,
    changes: dict[str, Any],
    text_fields: Sequence[str],
    by,
) -> list[str]:
    """Sets the changed texts on `obj` and returns their names; logs them once the poll has
    responses."""
    changed = [
        name for name in text_fields if name in changes and changes[name] != getattr(obj, name)
    ]
    if changed and poll_is_locked(poll):
        TextEdit.objects.bulk_create(
            TextEdit(
                poll=poll,
                object_type=object_type,
                object_id=obj.pk,
                object_label=label[:200],
                field=name,
                old=getattr(obj, name),
                new=changes[name],
                by=by,
            )
            for name in changed
        )
    for name in changed:
        setattr(obj, name, changes[name])
    return changed


def _structure_changed(obj: Any, changes: dict[str, Any], fields: Sequence[str]) -> list[str]:
    return [name for name in fields if name in changes and changes[name] != getattr(obj, name)]


def _renumber(objects: Iterable[Any]) -> None:
    for position, obj in enumerate(objects, start=1):
        if obj.order != position:
            obj.order = position
            obj.save(update_fields=["order"])


def _section_questions(poll: Poll, section_id: int | None) -> list[Question]:
    questions = poll.questions.order_by("order", "id")
    if section_id is None:
        return list(questions.filter(section__isnull=True))
    return list(questions.filter(section_id=section_id))


# --- polls --------------------------------------------------------------------------------------


def poll_create(*, by, **fields: Any) -> Poll:
    """A new poll, always a draft."""
    fields.pop("state", None)
    return Poll.objects.create(state=Poll.State.DRAFT, **fields)


def poll_update(*, poll: Poll, changes: dict[str, Any], by) -> list[str]:
    """Settings change freely; texts are logged once the poll has responses."""
    with transaction.atomic():
        changed = _log_texts(
            poll=poll,
            obj=poll,
            object_type=TextEdit.ObjectType.POLL,
            label=poll.slug,
            changes=changes,
            text_fields=POLL_TEXT_FIELDS,
            by=by,
        )
        settings = _structure_changed(poll, changes, POLL_SETTING_FIELDS)
        structure = _structure_changed(poll, changes, POLL_STRUCTURE_FIELDS)
        if structure and poll_is_locked(poll):
            raise Locked(lock_message())
        settings += structure
        for name in settings:
            setattr(poll, name, changes[name])
        if changed or settings:
            poll.save(update_fields=[*changed, *settings])
    return [*changed, *settings]


# --- sections (pages) ---------------------------------------------------------------------------


def section_create(*, poll: Poll, title_sv: str = "", title_en: str = "") -> Section:
    with _structure_change(poll):
        last = poll.sections.aggregate(last=Max("order"))["last"] or 0
        return Section.objects.create(
            poll=poll, order=last + 1, title_sv=title_sv, title_en=title_en
        )


def section_update(*, section: Section, changes: dict[str, Any], by) -> list[str]:
    with transaction.atomic():
        changed = _log_texts(
            poll=section.poll,
            obj=section,
            object_type=TextEdit.ObjectType.SECTION,
            label=section.title_sv or f"#{section.order}",
            changes=changes,
            text_fields=SECTION_TEXT_FIELDS,
            by=by,
        )
        if changed:
            section.save(update_fields=changed)
    return changed


def section_move(*, section: Section, up: bool) -> None:
    """One step up or down among the poll's pages."""
    poll = section.poll
    with _structure_change(poll):
        sections = list(poll.sections.order_by("order", "id"))
        i = next(i for i, s in enumerate(sections) if s.pk == section.pk)
        j = i - 1 if up else i + 1
        if 0 <= j < len(sections):
            sections[i], sections[j] = sections[j], sections[i]
        _renumber(sections)


def section_delete(*, section: Section) -> None:
    poll = section.poll
    with _structure_change(poll):
        if section.questions.exists():
            raise Refused(_("Move or delete the questions on this page first."))
        section.delete()
        _renumber(poll.sections.order_by("order", "id"))


# --- questions ----------------------------------------------------------------------------------


def suggest_question_code(poll: Poll) -> str:
    taken = set(poll.questions.values_list("code", flat=True))
    n = len(taken) + 1
    while f"q{n}" in taken:
        n += 1
    return f"q{n}"


def question_create(*, poll: Poll, by=None, **fields: Any) -> Question:
    """A new question at the end of its page. A scale without bounds gets 1–5."""
    with _structure_change(poll):
        if poll.questions.filter(code=fields.get("code")).exists():
            raise Refused(
                _("The poll already has a question with the code %(code)s.")
                % {"code": fields.get("code")}
            )
        if fields.get("kind") == Kind.SCALE:
            if fields.get("scale_min") is None:
                fields["scale_min"] = 1
            if fields.get("scale_max") is None:
                fields["scale_max"] = 5
        section = fields.get("section")
        last = poll.questions.filter(section=section).aggregate(last=Max("order"))["last"] or 0
        return Question.objects.create(poll=poll, order=last + 1, **fields)


def question_update(*, question: Question, changes: dict[str, Any], by) -> list[str]:
    """Texts and settings. Structural settings are refused once the poll has responses;
    changed texts are logged then."""
    poll = question.poll
    structural = _structure_changed(question, changes, QUESTION_STRUCTURE_FIELDS)
    if structural:
        with _structure_change(poll):
            code = changes.get("code", question.code)
            if code != question.code and poll.questions.filter(code=code).exists():
                raise Refused(
                    _("The poll already has a question with the code %(code)s.") % {"code": code}
                )
            new_section = "section" in structural
            for name in structural:
                setattr(question, name, changes[name])
            if question.kind == Kind.SCALE and None in (question.scale_min, question.scale_max):
                question.scale_min, question.scale_max = 1, 5
            if new_section:
                last = (
                    poll.questions.filter(section=question.section)
                    .exclude(pk=question.pk)
                    .aggregate(last=Max("order"))["last"]
                    or 0
                )
                question.order = last + 1
            texts = _log_texts(
                poll=poll,
                obj=question,
                object_type=TextEdit.ObjectType.QUESTION,
                label=question.code,
                changes=changes,
                text_fields=QUESTION_TEXT_FIELDS,
                by=by,
            )
            question.save()
        return [*structural, *texts]
    with transaction.atomic():
        texts = _log_texts(
            poll=poll,
            obj=question,
            object_type=TextEdit.ObjectType.QUESTION,
            label=question.code,
            changes=changes,
            text_fields=QUESTION_TEXT_FIELDS,
            by=by,
        )
        if texts:
            question.save(update_fields=texts)
    return texts


def question_move(*, question: Question, up: bool) -> None:
    """One step up or down in the order members meet the questions. The first question of a
    page moves up onto the end of the page before; the last one down onto the start of the
    next page."""
    poll = question.poll
    with _structure_change(poll):
        flow = flow_order(poll.questions.select_related("section"))
        i = next(i for i, q in enumerate(flow) if q.pk == question.pk)
        j = i - 1 if up else i + 1
        if not 0 <= j < len(flow):
            return  # already first or last; the page select of the question's form moves further
        other = flow[j]
        source_section = question.section_id
        if other.section_id == question.section_id:
            siblings = _section_questions(poll, question.section_id)
            a = next(n for n, q in enumerate(siblings) if q.pk == question.pk)
            b = next(n for n, q in enumerate(siblings) if q.pk == other.pk)
            siblings[a], siblings[b] = siblings[b], siblings[a]
            _renumber(siblings)
            return
        # Across a page boundary: the flow stays the same, the page changes.
        question.section_id = other.section_id
        question.order = 10**6 if up else 0
        question.save(update_fields=["section", "order"])
        _renumber(_section_questions(poll, question.section_id))
        _renumber(_section_questions(poll, source_section))


def question_delete(*, question: Question) -> None:
    poll = question.poll
    with _structure_change(poll):
        dependent = list(question.dependent_questions.values_list("code", flat=True))
        if dependent:
            raise Refused(
                _(
                    "Questions %(codes)s are shown depending on the answer to %(code)s: remove "
                    "those conditions first."
                )
                % {"codes": ", ".join(dependent), "code": question.code}
            )
        section_id = question.section_id
        question.condition_options.clear()
        question.delete()
        _renumber(_section_questions(poll, section_id))


def question_condition_set(
    *, question: Question, on: Question | None, options: Iterable[Option] = ()
) -> None:
    """Show `question` only when the answer to `on` is one of `options`; `on=None` removes the
    condition. Whatever `validate_conditions` finds wrong with the result (a later or own
    question, a cycle, options of another question, no options) is refused with its message."""
    poll = question.poll
    options = list(options)
    with _structure_change(poll):
        if on is None:
            question.condition_question = None
            question.save(update_fields=["condition_question"])
            question.condition_options.clear()
            return
        if on.poll_id != poll.pk:
            raise Refused(_("The condition must be a question of the same poll."))
        question.condition_question = on
        question.save(update_fields=["condition_question"])
        question.condition_options.set(options)


# --- options and grid statements -----------------------------------------------------------------


@dataclass
class ItemSpec:
    """One option or grid statement as the editor wants it, in the wanted order: `pk` None
    for a new one."""

    pk: int | None
    values: dict[str, Any]
    delete: bool = False


def _derive_code(label: str, taken: set[str]) -> str:
    base = slugify(label).replace("-", "_")[:40] or "svar"
    code, n = base, 2
    while code in taken:
        code, n = f"{base}_{n}", n + 1
    return code


def _items_save(
    *,
    question: Question,
    manager,
    model,
    specs: Sequence[ItemSpec],
    text_fields: Sequence[str],
    structure_fields: Sequence[str],
    object_type: str,
    by,
) -> None:
    poll = question.poll
    existing = {obj.pk: obj for obj in manager.all()}
    kept = [spec for spec in specs if not spec.delete]
    unknown = [spec.pk for spec in specs if spec.pk is not None and spec.pk not in existing]
    if unknown:
        raise Refused(_("Some of the rows no longer exist; reload the page."))
    current_order = [obj.pk for obj in existing.values()]
    wanted_order = [spec.pk for spec in kept]
    structural = (
        any(spec.pk is None for spec in kept)
        or any(spec.delete and spec.pk is not None for spec in specs)
        or wanted_order != current_order
        or any(_structure_changed(existing[s.pk], s.values, structure_fields) for s in kept if s.pk)
    )

    def texts() -> list[Any]:
        changed = []
        for spec in kept:
            if spec.pk is None:
                continue
            obj = existing[spec.pk]
            label = f"{question.code} / {obj.code}"
            names = _log_texts(
                poll=poll,
                obj=obj,
                object_type=object_type,
                label=label,
                changes=spec.values,
                text_fields=text_fields,
                by=by,
            )
            if names:
                changed.append((obj, names))
        return changed

    if not structural:
        with transaction.atomic():
            for obj, names in texts():
                obj.save(update_fields=names)
        return

    with _structure_change(poll):
        codes: set[str] = set()
        for spec in kept:
            code = spec.values.get("code") or ""
            if not code:
                label = spec.values.get(text_fields[0], "")
                code = spec.values["code"] = _derive_code(label, codes | _codes_of(kept))
            if code in codes:
                raise Refused(_("The code %(code)s is used twice.") % {"code": code})
            codes.add(code)
        deleted = [existing[spec.pk] for spec in specs if spec.delete and spec.pk is not None]
        for obj in deleted:
            if model is Option and obj.conditioned_questions.exists():
                users = ", ".join(obj.conditioned_questions.values_list("code", flat=True))
                raise Refused(
                    _("The option %(code)s is part of the condition of %(questions)s.")
                    % {"code": obj.code, "questions": users}
                )
            obj.delete()
        # Codes are unique per question: park the kept rows' codes first so that swapping two
        # codes does not trip the constraint half way.
        for spec in kept:
            if spec.pk is not None:
                model.objects.filter(pk=spec.pk).update(code=f"~{spec.pk}")
        texts()
        for position, spec in enumerate(kept, start=1):
            if spec.pk is None:
                model.objects.create(
                    question=question,
                    order=position,
                    **{
                        k: v
                        for k, v in spec.values.items()
                        if k in (*text_fields, *structure_fields)
                    },
                )
                continue
            obj = existing[spec.pk]
            for name in structure_fields:
                if name in spec.values:
                    setattr(obj, name, spec.values[name])
            obj.order = position
            obj.save()


def _codes_of(specs: Iterable[ItemSpec]) -> set[str]:
    return {spec.values["code"] for spec in specs if spec.values.get("code")}


def question_options_save(*, question: Question, specs: Sequence[ItemSpec], by) -> None:
    """The question's options as the editor lists them: new ones added (a code is made from the
    label when none is given), deleted ones removed, the rest updated and put in this order."""
    _items_save(
        question=question,
        manager=question.options,
        model=Option,
        specs=specs,
        text_fields=OPTION_TEXT_FIELDS,
        structure_fields=OPTION_STRUCTURE_FIELDS,
        object_type=TextEdit.ObjectType.OPTION,
        by=by,
    )


def question_rows_save(*, question: Question, specs: Sequence[ItemSpec], by) -> None:
    """A grid's statements, like `question_options_save`."""
    _items_save(
        question=question,
        manager=question.rows,
        model=GridRow,
        specs=specs,
        text_fields=ROW_TEXT_FIELDS,
        structure_fields=ROW_STRUCTURE_FIELDS,
        object_type=TextEdit.ObjectType.ROW,
        by=by,
    )
