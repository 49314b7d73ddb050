"""Who may see what on the staff side. Written once; views reach polls only through here."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from polls.models import Poll


def staff_required(view):
    """Permission: logged-in staff (editors, admins, superusers). Others are sent to the login
    page, or refused with 403 when they are logged in without staff rights."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def poll_for_staff(user, slug: str) -> Poll:
    if not (user.is_authenticated and user.is_staff):
        raise PermissionDenied
    return get_object_or_404(Poll, slug=slug)
