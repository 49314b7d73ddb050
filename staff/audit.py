"""The one way to write the audit trail: `record(actor, action, target, **details)`.

Call it in the same transaction as the action it records, so that an action that rolls back
leaves no entry and an entry never describes something that did not happen."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from .models import AuditEntry

# The request being handled (staff.middleware.AuditActorMiddleware), for entries written by
# signals, which are not handed one.
_request: ContextVar[Any] = ContextVar("staff_audit_request", default=None)
SYSTEM = "system"


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


@contextmanager
def acting_for(request: Any) -> Iterator[None]:
    """While the block runs, `current_actor()` is `request`'s user."""
    token = _request.set(request)
    try:
        yield
    finally:
        _request.reset(token)


def current_actor() -> Any:
    """The logged-in user of the request being handled (the Django admin, a staff page), else
    "system" (a management command, a Celery task, a migration)."""
    request = _request.get()
    user = getattr(request, "user", None) if request is not None else None
    if user is not None and getattr(user, "is_authenticated", False):
        return user
    return SYSTEM
