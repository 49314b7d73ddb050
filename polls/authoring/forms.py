"""The studio's forms: they validate what an editor typed and hand plain values to the services
in `polls.authoring.studio`, which write. Fields come from the models (labels, help texts,
lengths), so the studio and the admin say the same thing."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.forms.models import fields_for_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..kinds import CONDITION_KINDS, FEATURE_FIELDS, KINDS
from ..models import GridRow, Option, Poll, Question, Section
from .studio import (
    CODE_RE,
    OPTION_STRUCTURE_FIELDS,
    POLL_STRUCTURE_FIELDS,
    QUESTION_STRUCTURE_FIELDS,
    RESERVED_SLUGS,
    ROW_STRUCTURE_FIELDS,
    ItemSpec,
    registers_for_choice,
)

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _textarea(rows: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class ModelFieldsForm(forms.Form):
    """A plain form whose fields are the model's (no instance is touched: the services compare
    the cleaned values with the stored ones)."""

    model: type = Poll
    field_names: tuple[str, ...] = ()
    widgets: dict[str, type[forms.Widget] | forms.Widget] = {}
    # Pairs shown side by side: Swedish left, English right.
    bilingual: tuple[tuple[str, str], ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = fields_for_model(self.model, fields=self.field_names, widgets=self.widgets)
        for name in self.field_names:
            self.fields[name] = fields[name]

    def pairs(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[sv], self[en]) for sv, en in self.bilingual if sv in self.fields]

    def singles(self, *names: str) -> list[forms.BoundField]:
        return [self[name] for name in names if name in self.fields]


def initial_of(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}


def _check_code(code: str) -> str:
    if code and not CODE_RE.match(code):
        raise forms.ValidationError(
            _("Use letters, digits, “-” and “_” only, without spaces."), code="code"
        )
    return code


class PollForm(ModelFieldsForm):
    model = Poll
    field_names = (
        "title_sv",
        "title_en",
        "intro_sv",
        "intro_en",
        "slug",
        "organisation",
        "contact_email",
        "opens_at",
        "closes_at",
        "series",
        "open_link",
        "register",
        "reporting_variables",
    )
    widgets = {
        "intro_sv": _textarea(4),
        "intro_en": _textarea(4),
        "opens_at": DATETIME_WIDGET,
        "closes_at": DATETIME_WIDGET,
    }
    bilingual = (("title_sv", "title_en"), ("intro_sv", "intro_en"))

    def __init__(self, *args, poll: Poll | None = None, locked: bool = False, **kwargs):
        self.poll = poll
        super().__init__(*args, **kwargs)
        self.fields["slug"].help_text = _(
            "The poll's name in addresses and files, e.g. arbetsmiljo-2026."
        )
        register = cast(forms.ModelChoiceField, self.fields["register"])
        register.queryset = registers_for_choice()
        register.label = _("Population (register)")
        register.empty_label = _("No register (an open link or answers imported from a file)")
        self.register = self._chosen_register(locked=locked)
        # The register's variables, and (so that saving other settings keeps them) those the
        # poll already copies, e.g. from a questionnaire made before it had a register.
        offered = list(self.register.variables if self.register else [])
        offered += [v for v in (poll.reporting_variables if poll else []) if v not in offered]
        self.offered = offered
        self.fields["reporting_variables"] = forms.MultipleChoiceField(
            label=_("Reporting variables"),
            required=False,
            widget=forms.CheckboxSelectMultiple,
            choices=[(v, v) for v in offered],
            help_text=_(
                "The register's variables copied onto each response: the dashboard's breakdowns "
                "and weighting use them. Only these travel onto the (anonymous) responses."
            ),
            error_messages={
                "invalid_choice": _("“%(value)s” is not a variable of the chosen register.")
            },
        )
        if locked:
            for name in POLL_STRUCTURE_FIELDS:
                self.fields[name].disabled = True

    def _chosen_register(self, *, locked: bool):
        """The register whose variables are offered: the one in the data being checked, else
        (and always once the poll is locked) the poll's."""
        queryset = registers_for_choice()
        if self.is_bound and not locked:
            value = self.data.get(self.add_prefix("register"), "")
            return queryset.filter(pk=value).first() if str(value).isdigit() else None
        initial = self.initial.get("register")
        if initial is None:
            return None
        return queryset.filter(pk=getattr(initial, "pk", initial)).first()

    def clean_reporting_variables(self) -> list[str]:
        chosen = set(self.cleaned_data.get("reporting_variables") or [])
        # In the register's order, so that the same choice always reads the same.
        return [v for v in self.offered if v in chosen]

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(_("This address is taken by the studio itself."))
        others = Poll.objects.filter(slug=slug)
        if self.poll is not None:
            others = others.exclude(pk=self.poll.pk)
        if others.exists():
            raise forms.ValidationError(_("Another poll already has this address."))
        return slug

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("The poll must close after it opens."))
        return data


class OpenForm(ModelFieldsForm):
    """The field dates confirmed when a poll is opened; empty "opens" means now."""

    model = Poll
    field_names = ("opens_at", "closes_at")
    widgets = {"opens_at": DATETIME_WIDGET, "closes_at": DATETIME_WIDGET}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["opens_at"].help_text = _("Empty: now. A time ahead schedules the poll.")
        self.fields["closes_at"].help_text = _(
            "Optional: the poll then closes by itself at this time (or close it here)."
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("The poll must close after it opens."))
        return data


class SectionForm(ModelFieldsForm):
    model = Section
    field_names = ("title_sv", "title_en")
    bilingual = (("title_sv", "title_en"),)


class QuestionNewForm(ModelFieldsForm):
    """The first step of a new question: what kind, where, and its text."""

    model = Question
    field_names = ("kind", "code", "section", "text_sv", "text_en", "required")
    widgets = {"text_sv": _textarea(3), "text_en": _textarea(3)}
    bilingual = (("text_sv", "text_en"),)

    def __init__(self, *args, poll: Poll, **kwargs):
        self.poll = poll
        super().__init__(*args, **kwargs)
        section = cast(forms.ModelChoiceField, self.fields["section"])
        section.queryset = poll.sections.all()
        section.empty_label = _("The first, untitled page")
        section.label = _("Page")

    def clean_code(self) -> str:
        code = _check_code(self.cleaned_data["code"])
        if self.poll.questions.filter(code=code).exists():
            raise forms.ValidationError(_("The poll already has a question with this code."))
        return code


class QuestionForm(ModelFieldsForm):
    """A question's texts and the settings of its kind. Once the poll has responses the
    structural settings are shown but disabled: only the texts can change."""

    model = Question
    field_names = (
        "text_sv",
        "text_en",
        "code",
        "kind",
        "section",
        "required",
        "randomize_options",
        "max_choices",
        "scale_min",
        "scale_max",
        "label_low_sv",
        "label_low_en",
        "label_high_sv",
        "label_high_en",
        "number_min",
        "number_max",
        "decimal_places",
        "text_max_length",
    )
    widgets = {"text_sv": _textarea(3), "text_en": _textarea(3)}
    bilingual = (
        ("text_sv", "text_en"),
        ("label_low_sv", "label_low_en"),
        ("label_high_sv", "label_high_en"),
    )

    def __init__(self, *args, question: Question, locked: bool = False, **kwargs):
        self.question = question
        kwargs.setdefault("initial", initial_of(question, self.field_names))
        super().__init__(*args, **kwargs)
        section = cast(forms.ModelChoiceField, self.fields["section"])
        section.queryset = question.poll.sections.all()
        section.empty_label = _("The first, untitled page")
        section.label = _("Page")
        # Only the settings of the question's kind: a setting not on the page must not read
        # as emptied.
        kind_fields = set(KINDS[self.question.kind].fields)
        for names in FEATURE_FIELDS.values():
            for name in names:
                if name not in kind_fields:
                    del self.fields[name]
        if locked:
            for name in QUESTION_STRUCTURE_FIELDS:
                if name in self.fields:
                    self.fields[name].disabled = True

    @property
    def features(self) -> frozenset[str]:
        return KINDS[self.question.kind].features

    def clean_code(self) -> str:
        code = _check_code(self.cleaned_data["code"])
        if self.question.poll.questions.filter(code=code).exclude(pk=self.question.pk).exists():
            raise forms.ValidationError(_("The poll already has a question with this code."))
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("scale_min"), data.get("scale_max")
        if "scale_min" in self.fields and data.get("kind") == Question.Kind.SCALE:
            if low is None or high is None:
                self.add_error("scale_max", _("A scale needs both ends."))
            elif low >= high:
                self.add_error("scale_max", _("The scale must go up: “to” above “from”."))
        elif low is not None and high is not None and low >= high:
            self.add_error("scale_max", _("The scale must go up: “to” above “from”."))
        nlow, nhigh = data.get("number_min"), data.get("number_max")
        if nlow is not None and nhigh is not None and nlow > nhigh:
            self.add_error("number_max", _("The largest number must not be below the smallest."))
        places = data.get("decimal_places")
        if places is not None and places > 4:
            self.add_error("decimal_places", _("At most 4 decimals."))
        if data.get("max_choices") == 0:
            self.add_error("max_choices", _("Leave empty or give at least 1."))
        if data.get("text_max_length") == 0:
            self.add_error("text_max_length", _("At least 1 character."))
        return data


class _ItemForm(ModelFieldsForm):
    """One option or statement in the question's list; `pk` empty for a new one."""

    pk = forms.IntegerField(required=False, widget=forms.HiddenInput)
    text_field = ""
    structure_fields: tuple[str, ...] = ()

    def __init__(self, *args, locked: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].required = False
        self.fields["code"].help_text = ""
        self.fields[self.text_field].required = False
        for name in self.field_names:
            self.fields[name].help_text = ""
        if locked:
            for name in self.structure_fields:
                self.fields[name].disabled = True

    def clean_code(self) -> str:
        return _check_code(self.cleaned_data.get("code", ""))

    @property
    def sv(self) -> forms.BoundField:
        return self[self.text_field]

    @property
    def en(self) -> forms.BoundField:
        return self[self.text_field.replace("_sv", "_en")]

    @property
    def flags(self) -> list[forms.BoundField]:
        text = (self.text_field, self.text_field.replace("_sv", "_en"))
        return [self[name] for name in self.field_names if name not in ("code", *text)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.has_changed() and not data.get(self.text_field) and not data.get("DELETE"):
            self.add_error(self.text_field, _("Write the Swedish text."))
        return data


class OptionForm(_ItemForm):
    model = Option
    field_names = ("code", "label_sv", "label_en", "is_dont_know", "exclusive", "anchored")
    text_field = "label_sv"
    structure_fields = OPTION_STRUCTURE_FIELDS


class RowForm(_ItemForm):
    model = GridRow

    field_names = ("code", "text_sv", "text_en")
    text_field = "text_sv"
    structure_fields = ROW_STRUCTURE_FIELDS


class _ItemFormSet(forms.BaseFormSet):
    def __init__(self, *args, locked: bool = False, **kwargs):
        self.locked = locked
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "locked": self.locked}

    @property
    def empty_form(self):
        form = self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix("__prefix__"),
            empty_permitted=True,
            use_required_attribute=False,
            locked=self.locked,
            renderer=getattr(self, "renderer", None),
        )
        self.add_fields(form, None)
        return form

    def specs(self) -> list[ItemSpec]:
        """The list as the editor wants it: ordered by the order numbers typed (unchanged ones
        keep their place), blank new rows dropped."""
        numbered = []
        for index, form in enumerate(self.forms):
            data = form.cleaned_data
            if not data or (data.get("pk") is None and not form.has_changed()):
                continue
            values = {k: v for k, v in data.items() if k in form.field_names}
            order = data.get("ORDER")
            numbered.append(
                (
                    order if order is not None else 10**6 + index,
                    index,
                    ItemSpec(pk=data.get("pk"), values=values, delete=bool(data.get("DELETE"))),
                )
            )
        return [spec for _order, _index, spec in sorted(numbered, key=lambda t: t[:2])]


def item_formset(form: type[_ItemForm], *, locked: bool):
    """One empty row to add to while the structure is open (studio.js adds more on request);
    none once it is locked."""
    return forms.formset_factory(
        form,
        formset=_ItemFormSet,
        extra=0 if locked else 1,
        can_delete=not locked,
        can_order=not locked,
        max_num=200,
    )


def item_initial(objects, names: tuple[str, ...]) -> list[dict[str, Any]]:
    return [
        {"pk": obj.pk, "ORDER": position, **initial_of(obj, names)}
        for position, obj in enumerate(objects, start=1)
    ]


class ConditionForm(forms.Form):
    """Show this question only when the answer to an earlier choice question is one of the
    options ticked. Every choice question of the poll is offered: the service refuses, with
    `validate_conditions`' message, the ones that do not come earlier."""

    on = forms.ModelChoiceField(
        queryset=Question.objects.none(),
        required=False,
        label=gettext_lazy("Shown only if the answer to"),
        empty_label=gettext_lazy("(always shown)"),
    )
    options = forms.ModelMultipleChoiceField(
        queryset=Option.objects.none(),
        required=False,
        label=gettext_lazy("is one of"),
    )

    def __init__(self, *args, question: Question, locked: bool = False, **kwargs):
        self.question = question
        kwargs.setdefault(
            "initial",
            {
                "on": question.condition_question_id,
                "options": [o.pk for o in question.condition_options.all()],
            },
        )
        super().__init__(*args, **kwargs)
        candidates = (
            question.poll.questions.filter(kind__in=CONDITION_KINDS)
            .exclude(pk=question.pk)
            .select_related("section")
            .order_by("section__order", "order", "id")
        )
        on = cast(forms.ModelChoiceField, self.fields["on"])
        on.queryset = candidates
        on.label_from_instance = lambda q: f"{q.code}: {q.text_sv[:60]}"  # type: ignore[method-assign,assignment]
        options = cast(forms.ModelMultipleChoiceField, self.fields["options"])
        options.queryset = Option.objects.filter(question__in=candidates)
        if locked:
            for field in self.fields.values():
                field.disabled = True

    def groups(self) -> list[dict[str, Any]]:
        """The options per candidate question, for one fieldset each."""
        chosen = {str(v) for v in (self["options"].value() or [])}
        selected = str(self["on"].value() or "")
        groups = []
        candidates = cast(forms.ModelChoiceField, self.fields["on"]).queryset
        assert candidates is not None  # set in __init__
        for candidate in candidates.prefetch_related("options"):
            groups.append(
                {
                    "question": candidate,
                    "active": str(candidate.pk) == selected,
                    "options": [
                        {
                            "option": option,
                            "id": f"id_{self.add_prefix('options')}_{option.pk}",
                            "checked": str(option.pk) in chosen,
                        }
                        for option in candidate.options.all()
                    ],
                }
            )
        return groups


class DuplicateForm(forms.Form):
    slug = forms.SlugField(label=gettext_lazy("Address of the new wave"), max_length=100)
    title_sv = forms.CharField(label=gettext_lazy("title (Swedish)"), max_length=300)
    title_en = forms.CharField(
        label=gettext_lazy("title (English)"), max_length=300, required=False
    )

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(_("This address is taken by the studio itself."))
        if Poll.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("Another poll already has this address."))
        return slug


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Questionnaire file (JSON)"),
        help_text=gettext_lazy("As exported from the studio or by manage.py export_poll."),
    )
    slug = forms.SlugField(
        label=gettext_lazy("New address (optional)"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("Leave empty to use the address in the file."),
    )

    MAX_BYTES = 5 * 1024 * 1024

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload
