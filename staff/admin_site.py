"""The Django admin, for superusers and the Admin role only (`staff.access.DJANGO_ADMIN_ROLES`).

Django's own rule is `is_staff`, which every Editor has (the staff pages need it); the studio,
coding and result pages are where editors work. A logged-in user who may not use the admin gets
the site's 403 page, not the admin's login form again (which would invite them to log in as
someone else)."""

from __future__ import annotations

from functools import update_wrapper
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from .access import may_use_django_admin


class StaffAdminSite(admin.AdminSite):
    def has_permission(self, request: Any) -> bool:
        return may_use_django_admin(request.user)

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        wrapped = super().admin_view(view, cacheable)

        def inner(request: Any, *args: Any, **kwargs: Any) -> Any:
            user = request.user
            logging_out = request.path == reverse("admin:logout", current_app=self.name)
            if user.is_authenticated and not logging_out and not self.has_permission(request):
                raise PermissionDenied
            return wrapped(request, *args, **kwargs)

        return update_wrapper(inner, view)
