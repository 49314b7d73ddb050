"""Who may reach what: the access rules of every staff page and API endpoint, written once.

Members have no account (their token is their key, checked in polls.answering). Staff log in:
group Editor (polls, coding, result pages), group Admin (registers, samples, invitations,
exports of anything personal), superuser (everything).

- A visitor who is not logged in (or whose account is inactive: Django's backend does not let
  an inactive user stay logged in, and `has_role` refuses one anyway) is sent to the login page
  by the decorators, and gets 403 from the API.
- A logged-in user without a staff role gets 403 on every staff page and endpoint, also when
  `is_staff` is set: a role is what opens staff pages, not the flag.
- `reach(user, Model, **lookup)` is the only way a view or endpoint fetches a poll, a register,
  an import job or a sample: it checks the role that `RULES` names for the model (403), then
  fetches the row (404). Rows inside a poll (sections, questions, codes) are fetched within the
  poll reached this way.

This module is the bottom layer: it imports no project app, so it names models by their label.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404
from rest_framework.permissions import BasePermission

EDITOR = "Editor"
ADMIN = "Admin"
STAFF_ROLES = (EDITOR, ADMIN)
POLL_ROLES = (EDITOR, ADMIN)
# Registers, imports and samples hold members' personal data.
PERSONAL_DATA_ROLES = (ADMIN,)

M = TypeVar("M", bound=Model)

# The Django admin (staff.admin_site): superusers and the Admin role, never editors.
DJANGO_ADMIN_ROLES = (ADMIN,)
# The audit trail page (staff.views): who did what to personal data and publishing.
AUDIT_ROLES = (ADMIN,)

# Which roles may reach which kind of object, by model label. A superuser reaches everything.
RULES: dict[str, tuple[str, ...]] = {
    "polls.Poll": POLL_ROLES,
    "polls.Question": POLL_ROLES,
    # Exports: aggregates for both roles; the views refuse row-level ones (microdata) to editors.
    "results.ExportJob": POLL_ROLES,
    "respondents.Register": PERSONAL_DATA_ROLES,
    "respondents.Member": PERSONAL_DATA_ROLES,
    "respondents.ImportJob": PERSONAL_DATA_ROLES,
    "respondents.SampleDraw": PERSONAL_DATA_ROLES,
}


def roles_of(user: Any) -> frozenset[str]:
    """The staff roles `user` holds: none unless active, logged-in staff; all for a superuser."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return frozenset()
    if user.is_superuser:
        return frozenset(STAFF_ROLES)
    return frozenset(user.groups.filter(name__in=STAFF_ROLES).values_list("name", flat=True))


def has_role(user: Any, *roles: str) -> bool:
    """Active, logged-in staff with one of `roles` (any staff role when none is given)."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    if user.is_superuser:
        return True
    return bool(user.groups.filter(name__in=roles or STAFF_ROLES).exists())


def roles_for(label: str) -> tuple[str, ...]:
    try:
        return RULES[label]
    except KeyError:
        raise ImproperlyConfigured(f"staff.access.RULES has no rule for {label}") from None


def may_reach(user: Any, label: str) -> bool:
    return has_role(user, *roles_for(label))


def may_use_django_admin(user: Any) -> bool:
    return has_role(user, *DJANGO_ADMIN_ROLES)


def reach(user: Any, model_or_queryset: type[M] | QuerySet[M], **lookup: Any) -> M:
    """The object `lookup` names, if `user` may reach its kind: PermissionDenied (403) when the
    role is missing, Http404 when there is no such row. The role is checked first, so a user
    without it cannot tell which rows exist."""
    model = (
        model_or_queryset.model if isinstance(model_or_queryset, QuerySet) else model_or_queryset
    )
    if not may_reach(user, model._meta.label):
        raise PermissionDenied
    return get_object_or_404(model_or_queryset, **lookup)


def role_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Logged-in staff with one of `roles` (any staff role when none is given). Anonymous and
    inactive visitors are sent to the login page; logged-in users without the role get 403."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(request: Any, *args: Any, **kwargs: Any) -> Any:
            if not (request.user.is_authenticated and request.user.is_active):
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


staff_required = role_required(*STAFF_ROLES)
editor_required = role_required(*POLL_ROLES)
admin_required = role_required(*PERSONAL_DATA_ROLES)
audit_required = role_required(*AUDIT_ROLES)


class IsEditorOrAdmin(BasePermission):
    """The API's rule (DRF, session login): staff with the Editor or Admin role; everyone else,
    logged in or not, gets 403."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return has_role(request.user, *POLL_ROLES)
