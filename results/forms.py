from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ResultBlock, ResultPage

WEIGHTING_CHOICES = [
    ("none", _("no weighting")),
    ("poststrat", _("post-stratification")),
    ("rake", _("raking")),
]
CI_CHOICES = [("wilson", "Wilson"), ("wald", "Wald"), ("logit", "logit")]


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
        }


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
