"""Reading and checking a questionnaire file (polls.authoring.questionnaire_json) before anything
is written: every problem is collected with the path where it is, and the file is refused if
there is any."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from ..kinds import CONDITION_KINDS, KINDS
from ..models import GridRow, Option, Poll, Question, Section
from .studio import CODE_RE, QUESTION_STRUCTURE_FIELDS, QUESTION_TEXT_FIELDS, RESERVED_SLUGS

# Every question field the file sets; the page ("section") is resolved separately.
QUESTION_FIELDS = (*QUESTION_TEXT_FIELDS, *QUESTION_STRUCTURE_FIELDS)

SCHEMA_VERSION = 1
MAX_PROBLEMS = 50
SLUG_RE = CODE_RE  # letters, digits, "-" and "_"


class QuestionnaireError(Exception):
    """The file is refused; `problems` are "path: message" lines."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


MISSING = object()


class _Reader:
    """Reads values at paths, collecting problems instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, path: str, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(f"{path}: {message}" if path else message)

    def obj(
        self, value: Any, path: str, *, required: tuple[str, ...], optional: tuple[str, ...]
    ) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.problem(path, _("must be an object"))
            return None
        for key in value:
            if key not in required and key not in optional:
                self.problem(_join(path, key), _("unknown field"))
        for key in required:
            if key not in value:
                self.problem(_join(path, key), _("is required"))
        return value

    def items(self, data: dict, key: str, path: str) -> list[Any]:
        value = data.get(key, [])
        if not isinstance(value, list):
            self.problem(_join(path, key), _("must be a list"))
            return []
        return value

    def string(
        self, data: dict, key: str, path: str, *, max_length: int | None = None, default: str = ""
    ) -> str:
        value = data.get(key, default)
        at = _join(path, key)
        if not isinstance(value, str):
            self.problem(at, _("must be text"))
            return default
        if max_length is not None and len(value) > max_length:
            self.problem(at, _("at most %(max)d characters") % {"max": max_length})
        return value

    def code(self, data: dict, key: str, path: str, *, max_length: int) -> str:
        value = self.string(data, key, path, max_length=max_length)
        if key in data and isinstance(data[key], str) and not SLUG_RE.match(value):
            self.problem(
                _join(path, key),
                _('"%(code)s" is not a code: use letters, digits, "-" and "_" only')
                % {"code": value},
            )
        return value

    def texts(
        self, data: dict, key: str, path: str, *, max_length: int | None, required: bool = False
    ) -> tuple[str, str]:
        at = _join(path, key)
        value = data.get(key, MISSING)
        if value is MISSING:
            return "", ""
        pair = self.obj(value, at, required=("sv",) if required else (), optional=("sv", "en"))
        if pair is None:
            return "", ""
        sv = self.string(pair, "sv", at, max_length=max_length)
        en = self.string(pair, "en", at, max_length=max_length)
        if required and "sv" in pair and not sv.strip():
            self.problem(_join(at, "sv"), _("must not be empty"))
        return sv, en

    def boolean(self, data: dict, key: str, path: str, *, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.problem(_join(path, key), _("must be true or false"))
            return default
        return value

    def integer(
        self,
        data: dict,
        key: str,
        path: str,
        *,
        default: int | None,
        nullable: bool,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        value = data.get(key, default)
        at = _join(path, key)
        if value is None and nullable:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            self.problem(
                at, _("must be a whole number or null") if nullable else _("must be a whole number")
            )
            return default
        if minimum is not None and value < minimum:
            self.problem(at, _("must be at least %(min)d") % {"min": minimum})
        if maximum is not None and value > maximum:
            self.problem(at, _("must be at most %(max)d") % {"max": maximum})
        return value

    def decimal(self, data: dict, key: str, path: str) -> Decimal | None:
        value = data.get(key)
        if value is None:
            return None
        at = _join(path, key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(at, _("must be a number or null"))
            return None
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            self.problem(at, _("must be a number or null"))
            return None
        if abs(number) >= Decimal(10) ** 11 or number != number.quantize(Decimal("0.0001")):
            self.problem(at, _("must be below 100 000 000 000 with at most 4 decimals"))
            return None
        return number

    def when(self, data: dict, key: str, path: str) -> datetime | None:
        value = data.get(key)
        if value is None:
            return None
        at = _join(path, key)
        parsed = parse_datetime(value) if isinstance(value, str) else None
        if parsed is None:
            self.problem(
                at, _("must be a date and time such as 2026-09-01T08:00:00+02:00, or null")
            )
            return None
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        return parsed


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


POLL_REQUIRED = ("schema_version", "title", "questions")
POLL_OPTIONAL = (
    "slug",
    "intro",
    "organisation",
    "contact_email",
    "series",
    "opens_at",
    "closes_at",
    "reporting_variables",
    "min_cell_size",
    "sections",
)
QUESTION_REQUIRED = ("code", "kind", "text")
QUESTION_OPTIONAL = (
    "section",
    "required",
    "randomize_options",
    "max_choices",
    "scale_min",
    "scale_max",
    "label_low",
    "label_high",
    "number_min",
    "number_max",
    "decimal_places",
    "text_max_length",
    "options",
    "rows",
    "condition",
)


def _field_length(model: type[models.Model], name: str) -> int:
    return int(getattr(model._meta.get_field(name), "max_length", 0) or 0)


def questionnaire_read(data: Any, *, slug: str | None) -> dict[str, Any]:
    """Checks the whole file (parsed JSON); returns what `poll_import` writes, or raises
    QuestionnaireError."""
    r = _Reader()
    root = r.obj(data, "", required=POLL_REQUIRED, optional=POLL_OPTIONAL)
    if root is None:
        raise QuestionnaireError(r.problems)
    version = root.get("schema_version")
    if "schema_version" in root and version != SCHEMA_VERSION:
        # Nothing else can be trusted to mean what this version means.
        raise QuestionnaireError(
            [
                "schema_version: "
                + _("unsupported version %(version)s (this Medlemsröst reads version %(ours)s)")
                % {"version": json.dumps(version), "ours": SCHEMA_VERSION}
            ]
        )
    if "schema_version" not in root:
        raise QuestionnaireError(r.problems)

    poll: dict[str, Any] = {}
    file_slug = r.string(root, "slug", "", max_length=100) if "slug" in root else ""
    poll["slug"] = slug or file_slug
    slug_path = "slug"
    if not poll["slug"]:
        r.problem(slug_path, _("is required (in the file or as the new slug)"))
    elif not SLUG_RE.match(poll["slug"]) or len(poll["slug"]) > 100:
        r.problem(slug_path, _('"%(slug)s" is not a valid slug') % {"slug": poll["slug"]})
    elif poll["slug"] in RESERVED_SLUGS:
        r.problem(slug_path, _('"%(slug)s" is reserved by the studio') % {"slug": poll["slug"]})
    elif Poll.objects.filter(slug=poll["slug"]).exists():
        r.problem(
            slug_path,
            _('a poll with the slug "%(slug)s" already exists; choose a new slug')
            % {"slug": poll["slug"]},
        )
    poll["title_sv"], poll["title_en"] = r.texts(
        root, "title", "", max_length=_field_length(Poll, "title_sv"), required=True
    )
    poll["intro_sv"], poll["intro_en"] = r.texts(root, "intro", "", max_length=None)
    if "organisation" in root:
        poll["organisation"] = r.string(
            root, "organisation", "", max_length=_field_length(Poll, "organisation")
        )
    if "contact_email" in root:
        email = r.string(root, "contact_email", "", max_length=254)
        try:
            validate_email(email)
        except ValidationError:
            r.problem("contact_email", _('"%(email)s" is not an e-mail address') % {"email": email})
        poll["contact_email"] = email
    poll["series"] = r.string(root, "series", "", max_length=_field_length(Poll, "series"))
    poll["opens_at"] = r.when(root, "opens_at", "")
    poll["closes_at"] = r.when(root, "closes_at", "")
    if poll["opens_at"] and poll["closes_at"] and poll["closes_at"] <= poll["opens_at"]:
        r.problem("closes_at", _("must be after opens_at"))
    variables = r.items(root, "reporting_variables", "")
    for i, name in enumerate(variables):
        if not isinstance(name, str) or not name:
            r.problem(_join("reporting_variables", i), _("must be text"))
    poll["reporting_variables"] = [v for v in variables if isinstance(v, str) and v]
    poll["min_cell_size"] = r.integer(
        root, "min_cell_size", "", default=5, nullable=False, minimum=0, maximum=32767
    )

    sections: list[dict[str, Any]] = []
    section_index: dict[str, int] = {}
    for i, item in enumerate(r.items(root, "sections", "")):
        path = _join("sections", i)
        section = r.obj(item, path, required=("key",), optional=("title",))
        if section is None:
            continue
        key = r.string(section, "key", path)
        if "key" in section and isinstance(section["key"], str):
            if not key:
                r.problem(_join(path, "key"), _("must not be empty"))
            elif key in section_index:
                r.problem(_join(path, "key"), _('duplicate key "%(key)s"') % {"key": key})
            else:
                section_index[key] = len(sections)
        title_sv, title_en = r.texts(
            section, "title", path, max_length=_field_length(Section, "title_sv")
        )
        sections.append({"title_sv": title_sv, "title_en": title_en})

    questions: list[dict[str, Any]] = []
    codes: dict[str, int] = {}  # question code -> index in the file
    kinds = [k.value for k in Question.Kind]
    last_page = -1
    for i, item in enumerate(r.items(root, "questions", "")):
        path = _join("questions", i)
        q = r.obj(item, path, required=QUESTION_REQUIRED, optional=QUESTION_OPTIONAL)
        if q is None:
            questions.append({})
            continue
        spec: dict[str, Any] = {"index": i}
        code = r.code(q, "code", path, max_length=_field_length(Question, "code"))
        if code and code in codes:
            r.problem(_join(path, "code"), _('duplicate code "%(code)s"') % {"code": code})
        elif code:
            codes[code] = i
        spec["code"] = code
        kind = r.string(q, "kind", path)
        if "kind" in q and isinstance(q["kind"], str) and kind not in kinds:
            r.problem(
                _join(path, "kind"),
                _('unknown kind "%(kind)s" (one of %(kinds)s)')
                % {"kind": kind, "kinds": ", ".join(kinds)},
            )
            kind = ""
        spec["kind"] = kind
        section_key = q.get("section")
        spec["section"] = None
        if section_key is not None:
            if not isinstance(section_key, str) or section_key not in section_index:
                r.problem(
                    _join(path, "section"),
                    _('unknown section "%(key)s"') % {"key": section_key},
                )
            else:
                spec["section"] = section_index[section_key]
        page = -1 if spec["section"] is None else spec["section"]
        if page < last_page:
            r.problem(
                _join(path, "section"),
                _("questions must be listed page by page, in the order of the sections"),
            )
        last_page = max(last_page, page)
        spec["text_sv"], spec["text_en"] = r.texts(q, "text", path, max_length=None, required=True)
        spec["required"] = r.boolean(q, "required", path, default=True)
        spec["randomize_options"] = r.boolean(q, "randomize_options", path, default=False)
        spec["max_choices"] = r.integer(
            q, "max_choices", path, default=None, nullable=True, minimum=1, maximum=32767
        )
        spec["scale_min"] = r.integer(
            q, "scale_min", path, default=None, nullable=True, minimum=-32768, maximum=32767
        )
        spec["scale_max"] = r.integer(
            q, "scale_max", path, default=None, nullable=True, minimum=-32768, maximum=32767
        )
        label_length = _field_length(Question, "label_low_sv")
        spec["label_low_sv"], spec["label_low_en"] = r.texts(
            q, "label_low", path, max_length=label_length
        )
        spec["label_high_sv"], spec["label_high_en"] = r.texts(
            q, "label_high", path, max_length=label_length
        )
        spec["number_min"] = r.decimal(q, "number_min", path)
        spec["number_max"] = r.decimal(q, "number_max", path)
        spec["decimal_places"] = r.integer(
            q, "decimal_places", path, default=0, nullable=False, minimum=0, maximum=4
        )
        spec["text_max_length"] = r.integer(
            q, "text_max_length", path, default=2000, nullable=False, minimum=1, maximum=100_000
        )
        low, high = spec["scale_min"], spec["scale_max"]
        if kind == Question.Kind.SCALE and (low is None or high is None):
            r.problem(path, _("a scale needs scale_min and scale_max"))
        elif low is not None and high is not None and isinstance(low, int) and low >= high:
            r.problem(_join(path, "scale_max"), _("must be above scale_min"))
        nlow, nhigh = spec["number_min"], spec["number_max"]
        if nlow is not None and nhigh is not None and nlow > nhigh:
            r.problem(_join(path, "number_max"), _("must not be below number_min"))

        kind_spec = KINDS.get(kind)
        # An unknown kind was reported already: its options and rows are read, not judged.
        features = kind_spec.features if kind_spec else frozenset({"options", "rows"})
        spec["options"] = _read_items(
            r,
            q,
            "options",
            path,
            text_key="label",
            text_length=_field_length(Option, "label_sv"),
            flags=("dont_know", "exclusive", "anchored"),
        )
        spec["rows"] = _read_items(
            r,
            q,
            "rows",
            path,
            text_key="text",
            text_length=_field_length(GridRow, "text_sv"),
            flags=(),
        )
        if kind_spec:
            if spec["options"] and "options" not in features:
                r.problem(
                    _join(path, "options"),
                    _("a %(kind)s question has no options") % {"kind": kind},
                )
            if not spec["options"] and kind_spec.needs_options:
                r.problem(
                    _join(path, "options"),
                    _("a %(kind)s question needs at least one option") % {"kind": kind},
                )
            if spec["rows"] and "rows" not in features:
                r.problem(_join(path, "rows"), _("only grid questions have statements"))
            if not spec["rows"] and kind_spec.needs_rows:
                r.problem(_join(path, "rows"), _("a grid needs at least one statement"))
        spec["condition"] = q.get("condition")
        questions.append(spec)

    # Conditions last: they may name any earlier question.
    for i, spec in enumerate(questions):
        condition = spec.get("condition") if spec else None
        if condition is None:
            continue
        path = _join(_join("questions", i), "condition")
        cond = r.obj(condition, path, required=("question", "options"), optional=())
        if cond is None:
            spec["condition"] = None
            continue
        source_code = r.string(cond, "question", path)
        option_codes = r.items(cond, "options", path)
        spec["condition"] = None
        if "question" not in cond or not isinstance(cond["question"], str):
            continue
        at = _join(path, "question")
        if source_code not in codes:
            r.problem(at, _('unknown question "%(code)s"') % {"code": source_code})
            continue
        j = codes[source_code]
        if j == i:
            r.problem(at, _("a question cannot depend on itself"))
            continue
        if j > i:
            r.problem(
                at,
                _('question "%(code)s" comes later; a condition can only name an earlier question')
                % {"code": source_code},
            )
            continue
        source = questions[j]
        if source.get("kind") not in CONDITION_KINDS:
            r.problem(
                at,
                _('question "%(code)s" has no options to choose (it is a %(kind)s question)')
                % {"code": source_code, "kind": source.get("kind")},
            )
            continue
        known = {o["code"] for o in source["options"]}
        if not option_codes and "options" in cond:
            r.problem(_join(path, "options"), _("must name at least one option"))
        chosen = []
        for k, option_code in enumerate(option_codes):
            if not isinstance(option_code, str) or option_code not in known:
                r.problem(
                    _join(_join(path, "options"), k),
                    _('question "%(question)s" has no option "%(code)s"')
                    % {"question": source_code, "code": option_code},
                )
            elif option_code not in chosen:
                chosen.append(option_code)
        spec["condition"] = {"question": j, "options": chosen}

    if r.problems:
        raise QuestionnaireError(r.problems)
    return {"poll": poll, "sections": sections, "questions": questions}


def _read_items(
    r: _Reader,
    data: dict,
    key: str,
    path: str,
    *,
    text_key: str,
    text_length: int,
    flags: tuple[str, ...],
) -> list[dict[str, Any]]:
    items = []
    seen: set[str] = set()
    base = _join(path, key)
    for i, item in enumerate(r.items(data, key, path)):
        at = _join(base, i)
        obj = r.obj(item, at, required=("code", text_key), optional=flags)
        if obj is None:
            continue
        code = r.code(obj, "code", at, max_length=50)
        if code and code in seen:
            r.problem(_join(at, "code"), _('duplicate code "%(code)s"') % {"code": code})
        seen.add(code)
        sv, en = r.texts(obj, text_key, at, max_length=text_length, required=True)
        items.append(
            {
                "code": code,
                "sv": sv,
                "en": en,
                **{flag: r.boolean(obj, flag, at, default=False) for flag in flags},
            }
        )
    return items
