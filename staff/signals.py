"""Role changes in the audit trail, wherever they are made (the Django admin, a shell, a
command): a user added to or removed from a staff role (the Editor and Admin groups), a switch of
`is_superuser`, `is_staff` or `is_active`, and a two-factor device confirmed or removed.

Each is one `role.change` or `two_factor.*` entry whose target is the account's user name; the
actor is the user of the request being handled, else "system" (`staff.audit.current_actor`).
Connected in `StaffConfig.ready`. Accounts created with a flag already set are recorded only for
`is_superuser` (a new staff account opens nothing until it is given a role, which is recorded).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django_otp.plugins.otp_totp.models import TOTPDevice

from .access import STAFF_ROLES
from .audit import current_actor, record

ROLE_FLAGS = ("is_superuser", "is_staff", "is_active")


def _role_recorded(user: Any, role: str, granted: bool) -> None:
    record(current_actor(), "role.change", user.get_username(), role=role, granted=granted)


# --- the account's flags ------------------------------------------------------------------------


def user_flags_before(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    instance._staff_flags_before = None
    update_fields = kwargs.get("update_fields")
    if raw or instance.pk is None:
        return
    if update_fields is not None and not set(update_fields) & set(ROLE_FLAGS):
        return  # e.g. last_login at every login: no flag can change
    instance._staff_flags_before = (
        sender._default_manager.filter(pk=instance.pk).values(*ROLE_FLAGS).first()
    )


def user_flags_after(
    sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    before = getattr(instance, "_staff_flags_before", None)
    instance._staff_flags_before = None
    if raw:
        return
    if created:
        if instance.is_superuser:
            record(
                current_actor(),
                "role.change",
                instance.get_username(),
                flag="is_superuser",
                value=True,
            )
        return
    if before is None:
        return
    for flag in ROLE_FLAGS:
        value = bool(getattr(instance, flag))
        if bool(before[flag]) != value:
            record(current_actor(), "role.change", instance.get_username(), flag=flag, value=value)


# --- the role groups ----------------------------------------------------------------------------


def user_groups_changed(
    sender: Any,
    instance: Any,
    action: str,
    reverse: bool,
    model: Any,
    pk_set: set[int] | None,
    **kwargs: Any,
) -> None:
    if action not in ("post_add", "post_remove", "pre_clear", "post_clear"):
        return
    if not reverse:
        # user.groups.add(...) / .remove(...) / .set(...) / .clear(): `instance` is the user
        if action == "pre_clear":
            instance._staff_roles_cleared = list(
                instance.groups.filter(name__in=STAFF_ROLES).values_list("name", flat=True)
            )
            return
        if action == "post_clear":
            names = getattr(instance, "_staff_roles_cleared", [])
            instance._staff_roles_cleared = []
        else:
            names = list(
                Group.objects.filter(pk__in=pk_set or (), name__in=STAFF_ROLES)
                .order_by("name")
                .values_list("name", flat=True)
            )
        for name in names:
            _role_recorded(instance, name, granted=action == "post_add")
        return
    # group.user_set.add(...) and the like: `instance` is the group, `pk_set` the users
    if instance.name not in STAFF_ROLES:
        return
    if action == "pre_clear":
        instance._staff_users_cleared = list(instance.user_set.order_by("pk"))
        return
    if action == "post_clear":
        users = getattr(instance, "_staff_users_cleared", [])
        instance._staff_users_cleared = []
    else:
        users = list(model._default_manager.filter(pk__in=pk_set or ()).order_by("pk"))
    for user in users:
        _role_recorded(user, instance.name, granted=action == "post_add")


# --- two-factor devices -------------------------------------------------------------------------


def device_before(sender: Any, instance: TOTPDevice, raw: bool = False, **kwargs: Any) -> None:
    instance._was_confirmed = bool(
        not raw
        and instance.pk is not None
        and sender._default_manager.filter(pk=instance.pk, confirmed=True).exists()
    )


def device_after(
    sender: Any, instance: TOTPDevice, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if raw:
        return
    was = getattr(instance, "_was_confirmed", False)
    if instance.confirmed and not was:
        record(current_actor(), "two_factor.confirm", instance.user.get_username(), kind="totp")
    elif was and not instance.confirmed:
        record(current_actor(), "two_factor.remove", instance.user.get_username(), kind="totp")


def device_deleted(sender: Any, instance: TOTPDevice, **kwargs: Any) -> None:
    if instance.confirmed:
        user = get_user_model()._default_manager.filter(pk=instance.user_id).first()
        target = user.get_username() if user is not None else f"user {instance.user_id}"
        record(current_actor(), "two_factor.remove", target, kind="totp")


def connect() -> None:
    User = get_user_model()
    pre_save.connect(user_flags_before, sender=User, dispatch_uid="staff-audit-flags-before")
    post_save.connect(user_flags_after, sender=User, dispatch_uid="staff-audit-flags-after")
    m2m_changed.connect(
        user_groups_changed, sender=User.groups.through, dispatch_uid="staff-audit-groups"
    )
    pre_save.connect(device_before, sender=TOTPDevice, dispatch_uid="staff-audit-device-before")
    post_save.connect(device_after, sender=TOTPDevice, dispatch_uid="staff-audit-device-after")
    post_delete.connect(device_deleted, sender=TOTPDevice, dispatch_uid="staff-audit-device-gone")
