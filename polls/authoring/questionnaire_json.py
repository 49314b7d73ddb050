"""A questionnaire as a JSON file: export a poll, import one as a new draft.

The schema is documented field by field in docs/questionnaire-schema.md. An import reads the
whole file first and refuses it, changing nothing, with one message per problem naming where it
is (`questions[3].options[1].code: duplicate code "vet_ej"`; the checks are in
`polls.authoring.questionnaire_checks`). Exporting what was imported gives the same file again,
but for the slug.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from ..answering.responses import poll_questions
from ..kinds import KINDS
from ..models import GridRow, Option, Poll, Question, Section
from .questionnaire_checks import (
    QUESTION_FIELDS,
    SCHEMA_VERSION,
    QuestionnaireError,
    questionnaire_read,
)

# --- export -------------------------------------------------------------------------------------


def _texts(obj: Any, name: str) -> dict[str, str]:
    return {"sv": getattr(obj, f"{name}_sv"), "en": getattr(obj, f"{name}_en")}


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(format(value.normalize(), "f"))


def _when(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def poll_export(poll: Poll) -> dict[str, Any]:
    """The poll's questionnaire as plain data (schema version 1)."""
    sections = list(poll.sections.order_by("order", "id"))
    keys = {section.pk: f"page-{i}" for i, section in enumerate(sections, start=1)}
    questions = []
    for q in poll_questions(poll):
        features = KINDS[q.kind].features
        condition = None
        if q.condition_question is not None:
            condition = {
                "question": q.condition_question.code,
                "options": [o.code for o in sorted(q.condition_options.all(), key=_by_order)],
            }
        questions.append(
            {
                "code": q.code,
                "section": keys.get(q.section_id) if q.section_id is not None else None,
                "kind": q.kind,
                "text": _texts(q, "text"),
                "required": q.required,
                "randomize_options": q.randomize_options,
                "max_choices": q.max_choices,
                "scale_min": q.scale_min,
                "scale_max": q.scale_max,
                "label_low": _texts(q, "label_low"),
                "label_high": _texts(q, "label_high"),
                "number_min": _number(q.number_min),
                "number_max": _number(q.number_max),
                "decimal_places": q.decimal_places,
                "text_max_length": q.text_max_length,
                "options": [
                    {
                        "code": o.code,
                        "label": _texts(o, "label"),
                        "dont_know": o.is_dont_know,
                        "exclusive": o.exclusive,
                        "anchored": o.anchored,
                    }
                    for o in q.options.all()
                ]
                if "options" in features
                else [],
                "rows": [{"code": r.code, "text": _texts(r, "text")} for r in q.rows.all()]
                if "rows" in features
                else [],
                "condition": condition,
            }
        )
    return {
        "schema_version": SCHEMA_VERSION,
        "slug": poll.slug,
        "title": _texts(poll, "title"),
        "intro": _texts(poll, "intro"),
        "organisation": poll.organisation,
        "contact_email": poll.contact_email,
        "series": poll.series,
        "opens_at": _when(poll.opens_at),
        "closes_at": _when(poll.closes_at),
        "reporting_variables": list(poll.reporting_variables),
        "min_cell_size": poll.min_cell_size,
        "sections": [
            {"key": keys[section.pk], "title": _texts(section, "title")} for section in sections
        ],
        "questions": questions,
    }


def _by_order(obj: Any) -> tuple[int, int]:
    return (obj.order, obj.pk)


def poll_export_json(poll: Poll) -> str:
    return json.dumps(poll_export(poll), ensure_ascii=False, indent=2) + "\n"


# --- import -------------------------------------------------------------------------------------


def parse(text: str | bytes) -> Any:
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig")
        return json.loads(text)
    except UnicodeDecodeError:
        raise QuestionnaireError([_("The file is not UTF-8 text.")]) from None
    except json.JSONDecodeError as error:
        raise QuestionnaireError(
            [
                _("Not valid JSON: %(reason)s at line %(line)d, column %(column)d.")
                % {"reason": error.msg, "line": error.lineno, "column": error.colno}
            ]
        ) from None


def poll_import(text: str | bytes, *, slug: str | None = None, by=None) -> Poll:
    """A new draft poll from a questionnaire file; refuses the file (QuestionnaireError),
    writing nothing, when anything in it is wrong."""
    spec = questionnaire_read(parse(text), slug=slug or None)
    with transaction.atomic():
        return _create(spec)


def _create(spec: dict[str, Any]) -> Poll:
    poll = Poll.objects.create(state=Poll.State.DRAFT, **spec["poll"])
    sections = [
        Section.objects.create(poll=poll, order=i, **fields)
        for i, fields in enumerate(spec["sections"], start=1)
    ]
    created: list[Question] = []
    options: list[dict[str, Option]] = []
    per_page: dict[int | None, int] = {}
    for q in spec["questions"]:
        page = q["section"]
        per_page[page] = per_page.get(page, 0) + 1
        question = Question.objects.create(
            poll=poll,
            section=sections[page] if page is not None else None,
            order=per_page[page],
            **{name: q[name] for name in QUESTION_FIELDS if name != "section"},
        )
        created.append(question)
        options.append(
            {
                o["code"]: Option.objects.create(
                    question=question,
                    order=k,
                    code=o["code"],
                    label_sv=o["sv"],
                    label_en=o["en"],
                    is_dont_know=o["dont_know"],
                    exclusive=o["exclusive"],
                    anchored=o["anchored"],
                )
                for k, o in enumerate(q["options"], start=1)
            }
        )
        GridRow.objects.bulk_create(
            GridRow(question=question, order=k, code=r["code"], text_sv=r["sv"], text_en=r["en"])
            for k, r in enumerate(q["rows"], start=1)
        )
    for q, question in zip(spec["questions"], created, strict=True):
        condition = q["condition"]
        if condition is None:
            continue
        source = condition["question"]
        question.condition_question = created[source]
        question.save(update_fields=["condition_question"])
        question.condition_options.set(options[source][code] for code in condition["options"])
    return poll
