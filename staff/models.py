"""What the staff layer stores: the audit trail of staff actions on personal data and
publishing. Append-only: the application never updates or deletes a row (PostgreSQL enforces
it with a trigger, see migration 0002; the model refuses it in Python on every database)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """An audit entry was asked to change or go away."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("the audit trail is append-only")

    def delete(self):
        raise AppendOnlyError("the audit trail is append-only")


class AuditEntry(models.Model):
    """One staff action: who did what to which object, when, with what details.

    `action` is a dotted verb such as `members.import`, `sample.draw`, `invitations.send`,
    `page.publish`, `export.create`, `role.change`, `member.erase`. `target` names the object
    in words a reader of the log understands (a poll's slug, a register's name); `details`
    holds counts and choices, never a member's personal data."""

    at = models.DateTimeField(_("at"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,  # never an UPDATE of the trail
        related_name="+",
        db_constraint=False,  # the trail outlives an account; it keeps the name below
    )
    actor_name = models.CharField(_("by (name)"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64)
    target = models.CharField(_("object"), max_length=200, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        # The trail page reads newest first, filtered by time and action (staff.audit_trail):
        # both orders end in the page's order, so a page is read from an index, never sorted.
        # (They replace the single-column indexes of 0001, which they begin with.)
        indexes = [
            models.Index(fields=["at", "id"], name="staff_audit_at_id"),
            models.Index(fields=["action", "at", "id"], name="staff_audit_action_at_id"),
        ]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name or '-'} {self.action} {self.target}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("the audit trail is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("the audit trail is append-only")
