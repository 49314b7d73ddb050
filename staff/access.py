"""Who may open which staff page: the roles, written once for every app.

Members have no account (their token is their key, checked in polls.answering). Staff log in:
group Editor (polls, coding, result pages), group Admin (registers, samples, invitations,
exports of anything personal), superuser (everything)."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

EDITOR = "Editor"
ADMIN = "Admin"


def has_role(user, *roles: str) -> bool:
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    if user.is_superuser or not roles:
        return True
    return user.groups.filter(name__in=roles).exists()


def role_required(*roles: str):
    """Logged-in staff with one of `roles` (any staff when none is given). Anonymous visitors
    are sent to the login page; logged-in users without the role get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


staff_required = role_required()
admin_required = role_required(ADMIN)
editor_required = role_required(EDITOR, ADMIN)
