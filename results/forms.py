from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ResultBlock, ResultPage, ResultSettings

WEIGHTING_CHOICES = [
    ("none", _("no weighting")),
    ("poststrat", _("post-stratification")),
    ("rake", _("raking")),
]
CI_CHOICES = [("wilson", "Wilson"), ("wald", "Wald"), ("logit", "logit")]
CI_DF_CHOICES = [
    ("normal", _("normal (z)")),
    ("t", _("t (small subgroups)")),
]
DONT_KNOW_CHOICES = [
    ("include", _("counted in the base")),
    ("exclude", _("reported separately, left out of the base")),
]


class ResultControlsForm(forms.Form):
    """The dashboard's selectors: breakdown, weighting and interval method. Empty fields keep
    the poll's own result settings."""

    by = forms.ChoiceField(label=_("Breakdown"), required=False)
    weights = forms.ChoiceField(
        label=_("Weighting"),
        choices=[("", _("the poll's setting")), *WEIGHTING_CHOICES],
        required=False,
    )
    weight_by = forms.MultipleChoiceField(
        label=_("Weight by"), required=False, widget=forms.CheckboxSelectMultiple
    )
    ci = forms.ChoiceField(
        label=_("Interval"), choices=[("", _("the poll's setting")), *CI_CHOICES], required=False
    )
    ci_df = forms.ChoiceField(
        label=_("Interval quantile"),
        choices=[("", _("the poll's setting")), *CI_DF_CHOICES],
        required=False,
    )

    def __init__(self, *args, variables: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["by"]).choices = [
            ("", _("none: all respondents")),
            *((v, v) for v in variables),
        ]
        cast(forms.ChoiceField, self.fields["weight_by"]).choices = [(v, v) for v in variables]

    def params(self) -> dict:
        data = self.cleaned_data
        return {
            "by": data.get("by") or None,
            "weights": data.get("weights") or None,
            "weight_by": data.get("weight_by") or None,
            "ci": data.get("ci") or None,
            "ci_df": data.get("ci_df") or None,
        }


class AnalysisSettingsForm(forms.Form):
    """The poll's analysis choices, saved in its `ResultSettings`: "don't know" poll-wide and per
    question (counted in the base, or reported separately and left out of it) and the interval's
    quantile. Only questions with a "don't know" option get a field (`dk_<code>`)."""

    dont_know = forms.ChoiceField(label=_("“Don't know”, all questions"), choices=DONT_KNOW_CHOICES)
    ci_df = forms.ChoiceField(label=_("Interval quantile"), choices=CI_DF_CHOICES)

    def __init__(self, *args, settings: ResultSettings, questions: list, **kwargs):
        initial = {
            "dont_know": settings.dont_know,
            "ci_df": settings.ci_df,
            **{f"dk_{code}": choice for code, choice in settings.dont_know_by_question.items()},
        }
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.questions = [q for q in questions if any(o.is_dont_know for o in q.options.all())]
        for q in self.questions:
            self.fields[f"dk_{q.code}"] = forms.ChoiceField(
                label=f"{q.code}: {q.text}",
                choices=[("", _("as all questions")), *DONT_KNOW_CHOICES],
                required=False,
            )

    def question_fields(self) -> list:
        return [self[f"dk_{q.code}"] for q in self.questions]

    def save(self, settings: ResultSettings) -> ResultSettings:
        data = self.cleaned_data
        settings.dont_know = data["dont_know"]
        settings.ci_df = data["ci_df"]
        settings.dont_know_by_question = {
            q.code: data[f"dk_{q.code}"]
            for q in self.questions
            if data.get(f"dk_{q.code}") and data[f"dk_{q.code}"] != data["dont_know"]
        }
        settings.save()
        return settings


class ResultPageForm(forms.ModelForm):
    """A result page's texts. The lead and the body are checked for claims on the editor's page."""

    class Meta:
        model = ResultPage
        fields = ["title", "slug", "lead", "body"]
        widgets = {
            "lead": forms.Textarea(attrs={"rows": 3}),
            "body": forms.Textarea(attrs={"rows": 12}),
        }


class ResultBlockForm(forms.ModelForm):
    """A block to add: the question (of this poll), its breakdown, weighting and text."""

    class Meta:
        model = ResultBlock
        fields = ["kind", "question", "by", "weighted", "option_code", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, poll, **kwargs):
        super().__init__(*args, **kwargs)
        self.poll = poll
        question = cast(forms.ModelChoiceField, self.fields["question"])
        question.queryset = poll.questions.order_by("order")
        question.label_from_instance = lambda q: f"{q.code}: {q.text}"  # type: ignore[method-assign,assignment]
        self.fields["by"] = forms.ChoiceField(
            label=_("Breakdown"),
            required=False,
            choices=[("", _("no breakdown"))] + [(v, v) for v in poll.reporting_variables],
        )

    def clean(self):
        data = super().clean() or {}
        kind, question = data.get("kind"), data.get("question")
        if kind in ("chart", "coded", "key_figure", "trend") and question is None:
            self.add_error("question", _("Choose the question this block shows."))
        if kind == "coded" and question is not None and question.kind != "text":
            self.add_error("question", _("A top list shows a coded open question."))
        if kind == "trend" and question is not None and question.predecessor_id is None:
            self.add_error("question", _("A trend shows a question linked to a previous wave."))
        if kind == "key_figure" and not data.get("option_code"):
            self.add_error("option_code", _("Give the code of the answer the key figure shows."))
        if kind in ("text", "quote") and not data.get("text"):
            self.add_error("text", _("Write the text of the block."))
        return data
