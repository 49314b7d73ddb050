from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.utils.translation import gettext_lazy as _

from .audit_labels import ACTION_GROUPS
from .audit_trail import GROUP_PREFIX
from .two_factor import CODE_DIGITS


class StaffPasswordResetForm(PasswordResetForm):
    """Reset links go to active staff accounts only (members have no account; Django already
    leaves out inactive users and those without a usable password). The page says the same
    whether or not an account has the address, so it tells no one who works here."""

    def get_users(self, email: str) -> Iterator[Any]:
        return (user for user in super().get_users(email) if user.is_staff)


def _action_choices() -> list[Any]:
    """A group's "all" entry first, then its actions, as option groups of one select."""
    choices: list[Any] = [("", _("All actions"))]
    for key, (label, actions) in ACTION_GROUPS.items():
        entries: list[tuple[str, Any]] = [
            (f"{GROUP_PREFIX}{key}", _("All: %(group)s") % {"group": label})
        ]
        entries += [(action, action_label) for action, action_label in actions.items()]
        choices.append((label, entries))
    return choices


class AuditFilterForm(forms.Form):
    """The audit trail page's filters, read from the query string. Dates are days in
    Europe/Stockholm; "to" includes its whole day."""

    DATE_ERROR = _("Write the date as YYYY-MM-DD, for example 2026-03-01.")

    action = forms.ChoiceField(label=_("Action"), required=False, choices=_action_choices)
    who = forms.CharField(
        label=_("Who"),
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    target = forms.CharField(
        label=_("Object"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    since = forms.DateField(
        label=_("From date"),
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": DATE_ERROR},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    until = forms.DateField(
        label=_("To date"),
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": DATE_ERROR},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The to date is before the from date."))
        return data


class TwoFactorCodeForm(forms.Form):
    """The 6 digits an authenticator app shows; spaces (as some apps group them) are ignored."""

    code = forms.CharField(
        label=_("Code from your app"),
        max_length=16,
        help_text=_("6 digits. A new code appears in the app every 30 seconds."),
        error_messages={"required": _("Enter the 6-digit code from your authenticator app.")},
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "autocapitalize": "off",
                "spellcheck": "false",
                "size": "8",
                "class": "input-code",
            }
        ),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not (len(code) == CODE_DIGITS and code.isdigit()):
            raise forms.ValidationError(_("Enter the 6-digit code from your authenticator app."))
        return code
