from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.utils.translation import gettext_lazy as _

from .two_factor import CODE_DIGITS


class StaffPasswordResetForm(PasswordResetForm):
    """Reset links go to active staff accounts only (members have no account; Django already
    leaves out inactive users and those without a usable password). The page says the same
    whether or not an account has the address, so it tells no one who works here."""

    def get_users(self, email: str) -> Iterator[Any]:
        return (user for user in super().get_users(email) if user.is_staff)


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
