from collections.abc import Sequence
from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import SampleDraw

MAX_UPLOAD_BYTES = 200 * 1024 * 1024


def parse_mapping(text: str) -> dict[str, str]:
    """Lines such as "Län=region" → {"Län": "region"}."""
    mapping = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        column, sep, variable = line.rpartition("=")
        if not sep or not column.strip() or not variable.strip():
            raise forms.ValidationError(
                _("Line %(line)d of the mapping: write COLUMN=VARIABLE, e.g. Län=region."),
                params={"line": number},
            )
        mapping[column.strip()] = variable.strip()
    return mapping


class RegisterImportForm(forms.Form):
    register = forms.CharField(
        label=_("Register"),
        max_length=200,
        help_text=_("An existing register's name refreshes it; a new name creates a register."),
    )
    file = forms.FileField(
        label=_("Export file (CSV or XLSX)"),
        help_text=_("The first row names the columns: membership number, e-mail, then variables."),
    )
    mapping = forms.CharField(
        label=_("Column names (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Län=region\nArbetsgivare=sektor"}),
        help_text=_("One per line: the file's column=the variable's name."),
    )
    valid_only = forms.BooleanField(
        label=_("Import the valid rows even if some rows are bad"), required=False
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 200 MB."))
        return upload

    def clean_mapping(self):
        return parse_mapping(self.cleaned_data["mapping"])


# The planner offers every allocation but fixed numbers (those come from the command line).
ALLOCATION_CHOICES = [
    (value, label)
    for value, label in SampleDraw.Allocation.choices
    if value != SampleDraw.Allocation.FIXED
]


class SamplePlanForm(forms.Form):
    name = forms.CharField(label=_("Name of the sample"), max_length=200)
    target_moe = forms.FloatField(
        label=_("Target margin of error (± percentage points)"),
        min_value=0.5,
        max_value=20,
        initial=4,
    )
    response_rate = forms.IntegerField(
        label=_("Expected response rate (%)"), min_value=1, max_value=100, initial=60
    )
    size = forms.IntegerField(
        label=_("Sample size"),
        min_value=1,
        required=False,
        help_text=_("Leave empty to use the size the planner proposes."),
    )
    strata = forms.MultipleChoiceField(
        label=_("Stratify by"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("At most two variables; none gives a simple random sample."),
    )
    allocation = forms.ChoiceField(
        label=_("Allocation"), choices=ALLOCATION_CHOICES, initial="proportional"
    )
    exclude_sampled_months = forms.IntegerField(
        label=_("Leave out members sampled in the last … months"),
        min_value=1,
        max_value=120,
        required=False,
    )
    keep_no_email = forms.BooleanField(
        label=_("Keep members without an e-mail address"),
        required=False,
        help_text=_(
            "They cannot be invited by e-mail (the field page counts them): for a poll answered "
            "on paper or imported from a file."
        ),
    )
    exclude_samples = forms.MultipleChoiceField(
        label=_("Leave out the members of these samples"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    seed = forms.IntegerField(
        label=_("Seed"),
        min_value=0,
        help_text=_("The same register, design and seed always give the same members."),
    )

    def __init__(self, *args, variables: list[str], samples: Sequence[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["strata"]).choices = [(v, v) for v in variables]
        cast(forms.ChoiceField, self.fields["exclude_samples"]).choices = [(s, s) for s in samples]
        if not samples:
            del self.fields["exclude_samples"]

    def clean_strata(self):
        strata = self.cleaned_data["strata"]
        if len(strata) > 2:
            raise forms.ValidationError(_("Stratify by at most two variables."))
        return strata


class MemberLookupForm(forms.Form):
    q = forms.CharField(
        label=_("Membership number or e-mail address"),
        max_length=254,
        help_text=_("Finds one member of this register."),
    )


class MemberEraseForm(forms.Form):
    """The confirmation of an erasure: the admin types the member's number again."""

    number = forms.CharField(label=_("Type the membership number to confirm"), max_length=64)

    def __init__(self, *args, expected: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.expected = expected

    def clean_number(self) -> str:
        number = self.cleaned_data["number"].strip()
        if number != self.expected:
            raise forms.ValidationError(
                _("That is not this member's membership number: nothing was erased.")
            )
        return number
