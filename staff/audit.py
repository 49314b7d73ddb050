"""The one way to write the audit trail: `record(actor, action, target, **details)`.

Call it in the same transaction as the action it records, so that an action that rolls back
leaves no entry and an entry never describes something that did not happen."""

from __future__ import annotations

from typing import Any

from .models import AuditEntry


def record(actor: Any, action: str, target: object = "", **details: Any) -> AuditEntry:
    """Append one entry. `actor` is the staff user (or None for the system: beat, a command
    run without a user); `details` must be JSON-serialisable and hold no personal data."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    name = user.get_username() if user is not None else (actor if isinstance(actor, str) else "")
    return AuditEntry.objects.create(
        actor=user,
        actor_name=name or "",
        action=action,
        target=str(target)[:200],
        details=details,
    )
