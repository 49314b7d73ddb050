from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    """The bottom layer: roles and access rules for every other app. Imports no project app."""

    name = "staff"
    verbose_name = _("Staff and roles")

    def ready(self) -> None:
        from django.core.checks import register

        from . import signals
        from .checks import two_factor_roles_check
        from .roles import roles_sync

        # Role changes and two-factor devices, in the audit trail.
        signals.connect()
        register(two_factor_roles_check)

        # Not tied to a sender: the groups' permissions need every app's permissions, which
        # exist only once each app's post_migrate (auth's create_permissions) has run.
        post_migrate.connect(roles_sync, dispatch_uid="staff-roles-sync")
