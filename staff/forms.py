from collections.abc import Iterator
from typing import Any

from django.contrib.auth.forms import PasswordResetForm


class StaffPasswordResetForm(PasswordResetForm):
    """Reset links go to active staff accounts only (members have no account; Django already
    leaves out inactive users and those without a usable password). The page says the same
    whether or not an account has the address, so it tells no one who works here."""

    def get_users(self, email: str) -> Iterator[Any]:
        return (user for user in super().get_users(email) if user.is_staff)
