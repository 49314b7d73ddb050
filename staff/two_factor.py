"""Two-factor login for staff: one TOTP device (django-otp) per staff user, in an authenticator
app on their phone.

- A user with a *confirmed* device enters a 6-digit code after the password; until then the
  session is logged in but not verified (`request.user.is_verified()`, django-otp's
  OTPMiddleware) and `staff.middleware.TwoFactorMiddleware` lets it reach no staff page, no
  page of the Django admin and no API endpoint (`state_of` says why: VERIFY).
- The roles in `settings.STAFF_2FA_REQUIRED_ROLES` (default Admin; a superuser counts as every
  role) must have a confirmed device: without one the session reaches only the set-up page
  (SETUP), and the device cannot be removed.
- A device counts once its first code has been entered (`setup_confirm`); until then it is
  django-otp's "unconfirmed" device, which OTPMiddleware never accepts.
- Wrong codes are throttled by django-otp (`OTP_TOTP_THROTTLE_FACTOR`): the n-th wrong code in a
  row locks the device for FACTOR * 2^(n-1) seconds; a code is never accepted twice.

Confirmations and removals reach the audit trail through the signals in `staff.signals`.
"""

from __future__ import annotations

import enum
from base64 import b32encode
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from .access import roles_of

# The name the device has in the Django admin's list (and in nothing the user sees).
DEVICE_NAME = "Medlemsröst"
CODE_DIGITS = 6


class State(enum.Enum):
    OK = "ok"  # nothing to do: verified, or no device and none required
    VERIFY = "verify"  # a confirmed device, but no code entered in this session yet
    SETUP = "setup"  # a role that requires a device, and none confirmed


class SetupError(Exception):
    """A step of the set-up page that cannot be taken (the message is for the user)."""


def is_required_for(user: Any) -> bool:
    """Whether `user`'s roles require a confirmed device (superusers hold every role)."""
    required = set(settings.STAFF_2FA_REQUIRED_ROLES)
    return bool(required and required & roles_of(user))


def confirmed_device(user: Any) -> TOTPDevice | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def pending_device(user: Any) -> TOTPDevice | None:
    """The device being set up: created, its QR code shown, its first code not yet entered."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def is_verified(user: Any) -> bool:
    """This session entered a code of the user's confirmed device (django-otp's OTPMiddleware
    checks that the device is the user's, is confirmed and still exists)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def state_of(user: Any) -> State:
    if not getattr(user, "is_authenticated", False) or is_verified(user):
        return State.OK
    if confirmed_device(user) is not None:
        return State.VERIFY
    if is_required_for(user):
        return State.SETUP
    return State.OK


# --- setting a device up ------------------------------------------------------------------------


def setup_start(*, user: Any) -> TOTPDevice:
    """The device to set up: the one already waiting for its first code (so a QR code scanned
    a minute ago still works), else a new one with a fresh random secret (20 bytes)."""
    return pending_device(user) or TOTPDevice.objects.create(
        user=user, name=DEVICE_NAME, confirmed=False
    )


def setup_cancel(*, user: Any) -> None:
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()


@dataclass(frozen=True)
class CodeResult:
    ok: bool
    # Set when the device refused to check the code at all (too many wrong codes in a row).
    locked_until: datetime | None = None

    @property
    def wait_seconds(self) -> int:
        if self.locked_until is None:
            return 0
        return max(1, int((self.locked_until - timezone.now()).total_seconds() + 0.999))


def code_check(*, device: TOTPDevice, code: str) -> CodeResult:
    """Check `code` against `device` with django-otp's throttling: a locked device says until
    when; a wrong code is counted (`throttling_failure_count`), a right one resets the count."""
    with transaction.atomic():
        # The row locked, as django_otp.verify_token does: two wrong codes sent at once are
        # both counted, and one code is not accepted twice.
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, info = locked.verify_is_allowed()
        if not allowed:
            return CodeResult(ok=False, locked_until=(info or {}).get("locked_until"))
        ok = bool(locked.verify_token(code))
    device.refresh_from_db()
    return CodeResult(ok=ok)


def setup_confirm(*, request: Any, device: TOTPDevice, code: str) -> CodeResult:
    """The first code from the app: the device counts from now on (any earlier device of the
    user goes), and this session is verified by it."""
    result = code_check(device=device, code=code)
    if not result.ok:
        return result
    with transaction.atomic():
        TOTPDevice.objects.filter(user=device.user_id).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save()
    otp_login(request, device)
    return result


def login_verify(*, request: Any, code: str) -> CodeResult:
    """The second step of the login: a right code of the user's device verifies the session."""
    device = confirmed_device(request.user)
    if device is None:
        return CodeResult(ok=False)
    result = code_check(device=device, code=code)
    if result.ok:
        otp_login(request, device)
    return result


def device_remove(*, request: Any) -> None:
    """Two-factor off: the user's devices go. Refused while their role requires a device."""
    user = request.user
    if is_required_for(user):
        raise SetupError("required")
    with transaction.atomic():
        for device in TOTPDevice.objects.filter(user=user):
            device.delete()  # one by one: each removal is a signal, and an audit entry
    request.session.pop(DEVICE_ID_SESSION_KEY, None)


# --- what the set-up page shows -----------------------------------------------------------------


def secret_text(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it when typed in: base32, in groups of four."""
    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def qr_data_uri(device: TOTPDevice) -> str:
    """The device's otpauth:// address as a QR code, an SVG data URI drawn here (no service
    elsewhere sees the secret)."""
    return str(segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2))
