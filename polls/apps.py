from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PollsConfig(AppConfig):
    name = "polls"
    verbose_name = _("Polls")

    def ready(self) -> None:
        # The erasure of a member (respondents.privacy.member_erased) reaches what polls holds.
        from . import privacy  # noqa: F401
