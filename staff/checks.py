"""System checks of the staff layer's settings (`manage.py check`, run before every start)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error

from .access import STAFF_ROLES


def two_factor_roles_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """A misspelt role ("admin") would silently require two-factor of nobody."""
    unknown = [r for r in settings.STAFF_2FA_REQUIRED_ROLES if r not in STAFF_ROLES]
    if not unknown:
        return []
    return [
        Error(
            f"STAFF_2FA_REQUIRED_ROLES names unknown roles: {', '.join(unknown)}",
            hint=f"Use {' and/or '.join(STAFF_ROLES)} (comma-separated), or leave it empty.",
            id="staff.E001",
        )
    ]
