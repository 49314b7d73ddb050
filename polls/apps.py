from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PollsConfig(AppConfig):
    name = "polls"
    verbose_name = _("Polls")

    def ready(self) -> None:
        from .roles import roles_sync

        post_migrate.connect(roles_sync, dispatch_uid="polls-roles-sync")
