"""Staff access to polls: written once; results views reach polls only through here."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from staff.access import has_role, staff_required
from polls.models import Poll

__all__ = ["poll_for_staff", "staff_required"]


def poll_for_staff(user, slug: str) -> Poll:
    if not has_role(user):
        raise PermissionDenied
    return get_object_or_404(Poll, slug=slug)
