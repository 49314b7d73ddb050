"""The request for an export (the poll's export page)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import ExportJob


class ExportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What"), widget=forms.RadioSelect)
    format = forms.ChoiceField(
        label=gettext_lazy("Format"), choices=ExportJob.Format.choices, widget=forms.RadioSelect
    )
    by = forms.ChoiceField(
        label=gettext_lazy("Tables broken down by"),
        required=False,
        help_text=gettext_lazy("Aggregated tables only: each group beside all respondents."),
    )

    def __init__(self, *args: Any, variables: list[str], microdata: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = ExportJob.Kind.choices
        if not microdata:  # row-level data: the Admin role only
            kinds = [(k, label) for k, label in kinds if k != ExportJob.Kind.MICRODATA]
        cast(forms.ChoiceField, self.fields["kind"]).choices = kinds
        self.fields["kind"].initial = kinds[0][0]
        self.fields["format"].initial = ExportJob.Format.XLSX
        cast(forms.ChoiceField, self.fields["by"]).choices = [
            ("", _("no breakdown")),
            *[(v, v) for v in variables],
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, fmt = data.get("kind"), data.get("format")
        if kind == ExportJob.Kind.AGGREGATES and fmt == ExportJob.Format.SAV:
            self.add_error(
                "format", _("SPSS files hold microdata; choose CSV or Excel for the tables.")
            )
        if kind == ExportJob.Kind.MICRODATA:
            data["by"] = ""
        return data
