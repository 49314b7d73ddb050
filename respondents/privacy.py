"""Erasure of a member's personal data (GDPR Art. 17), keeping what the statistics need.

The member's row stays (samples, invitations and the draw's counts refer to it) but loses
everything that says who it was: the membership number becomes `erased-<id>`, the e-mail
address and the attributes go, the status becomes "erased". What the member's attributes
contributed to the register's population counts (the weighting targets) moves to a tally of
profiles on the register, detached from the row, so estimates do not change.

An erasure at the member's request (`Reason.REQUEST`) keeps a keyed hash of the number
(`erasure_key`), so a later import of the same number does not bring them back: that row of the
file is left out and counted in the register's tally instead. An erasure by the retention rule
(`Reason.RETENTION`) keeps no key: the data was no longer needed, not refused, and a member who
is in a later export is added as a new member.

`member_erased` is sent inside the erasing transaction, so that the apps above (polls: the
invitations' tokens and errors, the drafts) remove what they hold in the same transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from staff.audit import record

from .models import ImportJob, Member, Register

# Sent with `member` (already scrubbed), `attributes` (what they were: for counts only, never to
# be stored with anything that names the member), `by` and `reason`; receivers run in the
# transaction and may return a dict of counts for the audit entry.
member_erased = Signal()

_KEY_SALT = "medlemsrost.respondents.privacy.erasure"


class Reason(StrEnum):
    REQUEST = "request"
    RETENTION = "retention"


def _secret() -> bytes:
    # Derived from SECRET_KEY as Django's salted_hmac derives its keys, once per call site
    # rather than once per row: an import checks every row of the file.
    return hashlib.sha256((_KEY_SALT + settings.SECRET_KEY).encode()).digest()


def erasure_key(*, register_id: int, number: str, secret: bytes | None = None) -> str:
    """HMAC-SHA256 (keyed with SECRET_KEY) of the register and membership number. A new
    SECRET_KEY makes the old keys unknowable: re-imports would then add erased members again.
    Pass `secret=erasure_secret()` when computing many."""
    message = f"{register_id}:{number.strip()}".encode()
    return hmac.new(secret or _secret(), message, hashlib.sha256).hexdigest()


def erasure_secret() -> bytes:
    return _secret()


def profile_key(attributes: dict[str, Any]) -> str:
    return json.dumps(attributes, sort_keys=True, ensure_ascii=False)


def erased_placeholder(member_id: int) -> str:
    return f"erased-{member_id}"


@transaction.atomic
def member_erase(*, member: Member, by: Any, reason: Reason = Reason.REQUEST) -> bool:
    """Remove the member's personal data, here and (through `member_erased`) in polls, and
    audit it; False when the member was already erased."""
    # The register first, as an import locks it before it writes the members: no deadlock.
    register = Register.objects.select_for_update().get(pk=member.register_id)
    member = Member.objects.select_for_update().get(pk=member.pk)
    if member.status == Member.Status.ERASED:
        return False
    number, attributes = member.number, dict(member.attributes or {})
    if member.status != Member.Status.LEFT:
        profiles = dict(register.erased_profiles or {})
        key = profile_key(attributes)
        profiles[key] = int(profiles.get(key, 0)) + 1
        register.erased_profiles = profiles
        register.save(update_fields=["erased_profiles"])
    Member.objects.filter(pk=member.pk).update(
        number=erased_placeholder(member.pk),
        email="",
        attributes={},
        status=Member.Status.ERASED,
        erased_at=timezone.now(),
        erasure_key=(
            erasure_key(register_id=register.pk, number=number) if reason == Reason.REQUEST else ""
        ),
    )
    scrubbed_jobs = _import_errors_scrub(register=register, number=number)
    member.refresh_from_db()
    results = member_erased.send(
        sender=Member, member=member, attributes=attributes, by=by, reason=str(reason)
    )
    details: dict[str, Any] = {"member": member.pk, "reason": str(reason)}
    details["import_jobs"] = scrubbed_jobs
    for _receiver, counts in results:
        if isinstance(counts, dict):
            details.update(counts)
    record(by, "member.erase", target=register.name, **details)
    return True


def _import_errors_scrub(*, register: Register, number: str) -> int:
    """An import's error list may quote the number ("membership number 123 already appears on
    line 5"): such messages keep their line and lose the number."""
    scrubbed = 0
    if not number:
        return 0
    pattern = re.compile(rf"(?<![\w-]){re.escape(number)}(?![\w-])")
    jobs = ImportJob.objects.filter(register_name=register.name).exclude(errors=[])
    for job in jobs.only("pk", "errors"):
        changed = False
        errors = []
        for error in job.errors:
            message = str(error.get("message", "")) if isinstance(error, dict) else str(error)
            scrubbed_message = pattern.sub("…", message)
            if scrubbed_message != message:
                message, changed = scrubbed_message, True
            errors.append({**error, "message": message} if isinstance(error, dict) else message)
        if changed:
            ImportJob.objects.filter(pk=job.pk).update(errors=errors)
            scrubbed += 1
    return scrubbed


def erased_keys(register: Register) -> set[str]:
    """The keys of the members erased at their request from this register."""
    return set(
        register.members.filter(status=Member.Status.ERASED)
        .exclude(erasure_key="")
        .values_list("erasure_key", flat=True)
    )


def member_find(*, register: Register, text: str) -> Member | None:
    """The register's member with this membership number or e-mail address (not an erased
    one: their number and address are gone)."""
    text = text.strip()
    if not text:
        return None
    members = register.members.exclude(status=Member.Status.ERASED)
    if "@" in text:
        return members.filter(email__iexact=text).order_by("pk").first()
    return members.filter(number=text).first()
