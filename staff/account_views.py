"""The staff account's own pages: the second step of the login (a code from the authenticator
app) and "Tvåstegsverifiering", where a device is set up, seen and turned off. The rules are in
staff/two_factor.py; staff.middleware.TwoFactorMiddleware sends sessions here."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from . import two_factor
from .access import staff_required
from .forms import TwoFactorCodeForm


def _next_url(request: Any) -> str:
    """Where to go once done: the page asked for, if it is one of ours, else the staff home."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return str(wanted)
    return reverse("staff-home")


def _code_refused(form: TwoFactorCodeForm, result: two_factor.CodeResult) -> int:
    """Puts the reason on the form; the HTTP status of the page (429 while locked)."""
    if result.locked_until is not None:
        seconds = result.wait_seconds
        form.add_error(
            "code",
            ngettext(
                "Too many wrong codes in a row. Wait %(seconds)d second and try again with "
                "the code your app shows then.",
                "Too many wrong codes in a row. Wait %(seconds)d seconds and try again with "
                "the code your app shows then.",
                seconds,
            )
            % {"seconds": seconds},
        )
        return 429
    form.add_error(
        "code",
        _(
            "That code is not right. Enter the code your app shows now (check that the phone's "
            "clock is right)."
        ),
    )
    return 200


@require_http_methods(["GET", "POST"])
def login_code(request: Any) -> Any:
    """The login's second step, for a user with a confirmed device. Permission: anyone logged in
    (this is the way in); without a device, or once verified, it sends them on."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    next_url = _next_url(request)
    if two_factor.is_verified(request.user) or two_factor.confirmed_device(request.user) is None:
        return redirect(next_url)
    request.two_factor_state = two_factor.State.VERIFY  # the menu stays hidden (context processor)
    status = 200
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = two_factor.login_verify(request=request, code=form.cleaned_data["code"])
        if result.ok:
            return redirect(next_url)
        status = _code_refused(form, result)
    elif request.method == "POST":
        status = 400
    return render(
        request, "registration/login_code.html", {"form": form, "next": next_url}, status=status
    )


@staff_required
@require_http_methods(["GET", "POST"])
def two_factor_page(request: Any) -> Any:
    """Tvåstegsverifiering: set a device up (QR code and the secret as text, confirmed by its
    first code), see that it is on, turn it off. Permission: any staff role."""
    user = request.user
    next_url = _next_url(request)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    form = TwoFactorCodeForm(request.POST if action == "confirm" else None)
    status = 200
    asked = request.POST.get("next") or request.GET.get("next")
    here = reverse("two-factor") + (f"?{urlencode({'next': next_url})}" if asked else "")

    if action == "start":
        two_factor.setup_start(user=user)
        return redirect(here)
    if action == "cancel":
        two_factor.setup_cancel(user=user)
        return redirect(here)
    if action == "remove":
        try:
            two_factor.device_remove(request=request)
        except two_factor.SetupError:
            messages.error(
                request, _("Your role requires two-factor verification: it cannot be turned off.")
            )
        else:
            messages.success(request, _("Two-factor verification is off."))
        return redirect(here)
    if action == "confirm":
        pending = two_factor.pending_device(user)
        if pending is None:
            return redirect(here)
        if form.is_valid():
            result = two_factor.setup_confirm(
                request=request, device=pending, code=form.cleaned_data["code"]
            )
            if result.ok:
                messages.success(
                    request,
                    _("Two-factor verification is on: you will be asked for a code at each login."),
                )
                was_held = getattr(request, "two_factor_state", None) is two_factor.State.SETUP
                return redirect(next_url if was_held else reverse("two-factor"))
            status = _code_refused(form, result)
        else:
            status = 400
    elif request.method == "POST":
        status = 400

    device = two_factor.confirmed_device(user)
    pending = two_factor.pending_device(user)
    context = {
        "device": device,
        "pending": pending,
        "required": two_factor.is_required_for(user),
        "held": getattr(request, "two_factor_state", None) is two_factor.State.SETUP,
        "form": form,
        "next": next_url,
    }
    if pending is not None:
        context["qr"] = two_factor.qr_data_uri(pending)
        context["secret"] = two_factor.secret_text(pending)
    return render(request, "staff/two_factor.html", context, status=status)
