from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

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
