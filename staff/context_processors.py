"""What base.html's staff menu shows: the sections the user's roles reach (staff.access)."""

from __future__ import annotations

from typing import Any

from .access import AUDIT_ROLES, DJANGO_ADMIN_ROLES, POLL_ROLES, RULES, roles_of
from .two_factor import State

# URL name -> the menu section it belongs to (for aria-current).
SECTIONS = {
    "staff-home": "results",
    "poll-results": "results",
    "coding-polls": "coding",
    "coding-home": "coding",
    "coding-question": "coding",
    "register-list": "registers",
    "register-detail": "registers",
    "sample-new": "registers",
    "sample-detail": "registers",
    "import-job": "registers",
    "audit-trail": "audit",
    "two-factor": "account",
}


def staff_navigation(request: Any) -> dict[str, Any]:
    """`staff_nav`: None for visitors without a staff role (members, role-less staff) and for
    a session that still owes the second login step (its links would only lead back to it),
    else which links they may follow and the section of the current page. One query."""
    user = getattr(request, "user", None)
    if getattr(request, "two_factor_state", None) in (State.VERIFY, State.SETUP):
        return {"staff_nav": None}
    held = roles_of(user) if user is not None else frozenset()
    if not held:
        return {"staff_nav": None}
    match = getattr(request, "resolver_match", None)
    name = match.url_name if match else ""
    return {
        "staff_nav": {
            "polls": bool(held & set(POLL_ROLES)),
            "registers": bool(held & set(RULES["respondents.Register"])),
            "audit": bool(held & set(AUDIT_ROLES)),
            "django_admin": bool(user and user.is_superuser)
            or bool(held & set(DJANGO_ADMIN_ROLES)),
            "current": "studio" if (name or "").startswith("studio-") else SECTIONS.get(name, ""),
        }
    }
