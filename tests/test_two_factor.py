"""Two-factor login for staff (issue 12): an authenticator app's code after the password,
required for Admin and superusers, chosen by editors; wrong codes throttled; role changes and
devices in the audit trail."""

import json
import os
import re
import subprocess
import sys
from base64 import b32decode
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from staff.models import AuditEntry
from tests.factories import PollFactory, UserFactory, force_login_verified, staff_user

pytestmark = pytest.mark.django_db

PASSWORD = "ett långt lösenord 2026"
BASE_DIR = Path(__file__).resolve().parent.parent
SETUP = "/staff/account/two-factor/"
CODE_PAGE = "/accounts/login/code/"


def account(group=None, *, username, superuser=False):
    user = staff_user(group, username=username) if group else UserFactory(username=username)
    user.is_staff = True
    user.is_superuser = superuser
    user.set_password(PASSWORD)
    user.save()
    return user


def log_in(client, username):
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def code_from(secret: str, *, step: int = 0) -> str:
    """What an authenticator app shows for the secret typed in from the page; `step` 1 is the
    code of the next 30 seconds (a code once accepted is never accepted again)."""
    plain = secret.replace(" ", "")
    key = b32decode(plain + "=" * (-len(plain) % 8))
    return f"{totp(key, step=30, t0=0, digits=6, drift=step):06d}"


def secret_on(html: str) -> str:
    match = re.search(
        r'<code class="two-factor-secret" id="two-factor-secret">([A-Z2-7 ]+)</code>', html
    )
    assert match, html[html.find("<main") :][:3000]
    return match.group(1)


def device_for(user) -> tuple[TOTPDevice, str]:
    """A confirmed device and its secret as the set-up page shows it."""
    from staff.two_factor import secret_text

    device = TOTPDevice.objects.create(user=user, name="Medlemsröst", confirmed=True)
    return device, secret_text(device)


def wrong_code(secret: str) -> str:
    right = {code_from(secret, step=s) for s in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in right)


def set_up_on_the_page(client) -> str:
    client.post(SETUP, {"action": "start"})
    page = client.get(SETUP).content.decode()
    assert 'src="data:image/svg+xml' in page  # the QR code, drawn by us
    secret = secret_on(page)
    response = client.post(SETUP, {"action": "confirm", "code": code_from(secret)})
    assert response.status_code == 302, response.content.decode()[:3000]
    return secret


def test_an_admin_sets_up_a_device_and_then_logs_in_with_password_and_code(
    client, two_factor_required
):
    anna = account("Admin", username="anna")
    log_in(client, "anna")
    # Held on the set-up page until the device is confirmed.
    held = client.get("/staff/")
    assert held.status_code == 302
    assert held["Location"] == f"{SETUP}?next=%2Fstaff%2F"
    page = client.get(held["Location"]).content.decode()
    assert "Din roll kräver tvåstegsverifiering" in page
    client.post(SETUP, {"action": "start", "next": "/staff/"})
    page = client.get(SETUP).content.decode()
    secret = secret_on(page)
    assert len(secret.replace(" ", "")) == 32  # 20 random bytes, base32
    assert not TOTPDevice.objects.filter(user=anna, confirmed=True).exists()  # not yet

    confirmed = client.post(
        SETUP, {"action": "confirm", "code": code_from(secret), "next": "/staff/"}
    )
    assert confirmed.status_code == 302 and confirmed["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
    assert TOTPDevice.objects.get(user=anna).confirmed
    entry = AuditEntry.objects.get(action="two_factor.confirm")
    assert (entry.actor, entry.target) == (anna, "anna")

    client.post(reverse("logout"))
    log_in(client, "anna")
    asked = client.get("/staff/registers/")
    assert asked["Location"] == f"{CODE_PAGE}?next=%2Fstaff%2Fregisters%2F"
    code_page = client.get(asked["Location"])
    assert "Ange din kod" in code_page.content.decode()
    done = client.post(CODE_PAGE, {"code": code_from(secret, step=1), "next": "/staff/registers/"})
    assert done.status_code == 302 and done["Location"] == "/staff/registers/"
    assert client.get("/staff/registers/").status_code == 200


def test_a_wrong_code_is_refused_in_swedish_counted_and_throttled(client, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    bo = account("Editor", username="bo")
    device, secret = device_for(bo)
    log_in(client, "bo")

    wrong = client.post(CODE_PAGE, {"code": wrong_code(secret)})
    assert wrong.status_code == 200
    assert "Koden stämmer inte" in wrong.content.decode()
    assert client.get("/staff/")["Location"].startswith(CODE_PAGE)  # still not in
    # ... and a session that knows only the password cannot turn two-factor off.
    assert client.post(SETUP, {"action": "remove"})["Location"].startswith(CODE_PAGE)
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    # Right away, even the right code waits: django-otp's back-off after a wrong one.
    locked = client.post(CODE_PAGE, {"code": code_from(secret)})
    assert locked.status_code == 429
    assert "För många felaktiga koder i rad. Vänta 1 sekund" in locked.content.decode()
    device.refresh_from_db()
    assert device.throttling_failure_count == 1

    # Each wrong code in a row doubles the wait: after five, 16 seconds.
    for _ in range(4):
        TOTPDevice.objects.filter(pk=device.pk).update(
            throttling_failure_timestamp=timezone.now() - timedelta(minutes=10)
        )
        client.post(CODE_PAGE, {"code": wrong_code(secret)})
    device.refresh_from_db()
    assert device.throttling_failure_count == 5
    assert (
        "Vänta 16 sekunder" in client.post(CODE_PAGE, {"code": code_from(secret)}).content.decode()
    )

    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(minutes=10)
    )
    assert client.post(CODE_PAGE, {"code": code_from(secret)})["Location"] == "/staff/"
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_the_throttle_factor_is_a_setting(client, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    bo = account("Editor", username="bo")
    _device, secret = device_for(bo)
    log_in(client, "bo")
    client.post(CODE_PAGE, {"code": wrong_code(secret)})
    locked = client.post(CODE_PAGE, {"code": code_from(secret)})
    assert locked.status_code == 429
    assert "Vänta 60 sekunder" in locked.content.decode()


def test_a_code_that_is_not_six_digits_is_refused_without_counting(client):
    bo = account("Editor", username="bo")
    device, _secret = device_for(bo)
    log_in(client, "bo")
    response = client.post(CODE_PAGE, {"code": "12ab"})
    assert response.status_code == 400
    assert "Skriv den sexsiffriga koden" in response.content.decode()
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


@pytest.mark.parametrize("who", ["admin", "superuser"])
def test_an_admin_without_a_device_is_held_on_the_set_up_page(client, two_factor_required, who):
    if who == "admin":
        account("Admin", username="chef")
    else:
        account(username="chef", superuser=True)
    poll = PollFactory(slug="arbetsmiljo")
    log_in(client, "chef")

    for path in ("/staff/", "/staff/registers/", "/staff/studio/", "/admin/", "/admin/auth/user/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(SETUP), path
    api = client.get(f"/api/v1/polls/{poll.slug}/results/")
    assert api.status_code == 403
    assert "tvåstegsverifiering" in json.loads(api.content)["detail"]
    # An htmx request is told where to go instead of getting the page as a fragment.
    htmx = client.get("/staff/", headers={"HX-Request": "true"})
    assert htmx["HX-Redirect"].startswith(SETUP)

    page = client.get(SETUP)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="site-nav"' not in html  # no menu of pages that would send them back
    assert "Logga ut" in html
    assert "Stäng av tvåstegsverifiering" not in html
    assert client.post(reverse("logout")).status_code == 302


def test_an_editor_without_a_device_logs_in_with_the_password_only(client, two_factor_required):
    account("Editor", username="redaktor")
    log_in(client, "redaktor")
    home = client.get("/staff/")
    assert home.status_code == 200
    html = home.content.decode()
    assert f'href="{SETUP}"' in html and "Tvåstegsverifiering" in html  # in the menu
    page = client.get(SETUP).content.decode()
    assert "Av" in page and "Slå på tvåstegsverifiering" in page


def test_an_editor_turns_two_factor_on_and_off(client, two_factor_required):
    editor = account("Editor", username="redaktor")
    client.force_login(editor)
    set_up_on_the_page(client)
    assert "Tvåstegsverifiering är på sedan" in client.get(SETUP).content.decode()

    off = client.post(SETUP, {"action": "remove"}, follow=True)
    assert "Tvåstegsverifiering är avstängd." in off.content.decode()
    assert not TOTPDevice.objects.filter(user=editor).exists()
    actions = list(
        AuditEntry.objects.filter(action__startswith="two_factor.")
        .order_by("id")
        .values_list("action", "actor", "target")
    )
    assert actions == [
        ("two_factor.confirm", editor.pk, "redaktor"),
        ("two_factor.remove", editor.pk, "redaktor"),
    ]
    client.post(reverse("logout"))
    log_in(client, "redaktor")
    assert client.get("/staff/").status_code == 200  # the password alone again


def test_an_admin_cannot_turn_it_off_while_the_role_requires_it(client, two_factor_required):
    admin = account("Admin", username="chef")
    client.force_login(admin)
    set_up_on_the_page(client)
    page = client.get(SETUP).content.decode()
    assert "Stäng av tvåstegsverifiering" not in page
    refused = client.post(SETUP, {"action": "remove"}, follow=True)
    assert "kan inte stängas av" in refused.content.decode()
    assert TOTPDevice.objects.filter(user=admin, confirmed=True).exists()


def test_moving_to_a_new_phone_replaces_the_device(client):
    editor = account("Editor", username="redaktor")
    old = force_login_verified(client, editor)
    assert client.get("/staff/").status_code == 200  # the helper's session needs no code
    client.post(SETUP, {"action": "start"})
    page = client.get(SETUP).content.decode()
    assert "Flytta till en ny telefon" in page and "Tvåstegsverifiering är på sedan" in page
    new_secret = secret_on(page)
    client.post(SETUP, {"action": "confirm", "code": code_from(new_secret)})
    device = TOTPDevice.objects.get(user=editor)
    assert device.pk != old.pk and device.confirmed
    assert client.get("/staff/").status_code == 200  # verified by the new one
    assert list(
        AuditEntry.objects.filter(action__startswith="two_factor.")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["two_factor.confirm", "two_factor.remove", "two_factor.confirm"]


def test_a_wrong_first_code_does_not_turn_it_on(client):
    editor = account("Editor", username="redaktor")
    client.force_login(editor)
    client.post(SETUP, {"action": "start"})
    secret = secret_on(client.get(SETUP).content.decode())
    response = client.post(SETUP, {"action": "confirm", "code": wrong_code(secret)})
    assert response.status_code == 200
    assert "Koden stämmer inte" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=editor, confirmed=True).exists()
    assert client.get("/staff/").status_code == 200  # an unconfirmed device asks for nothing
    # Cancelled, the secret is gone; a new start draws a new one.
    client.post(SETUP, {"action": "cancel"})
    assert not TOTPDevice.objects.filter(user=editor).exists()


def test_an_api_call_by_an_unverified_session_gets_403_with_the_reason(client):
    admin = account("Admin", username="chef")
    device_for(admin)
    poll = PollFactory(slug="arbetsmiljo")
    log_in(client, "chef")
    response = client.get(f"/api/v1/polls/{poll.slug}/results/")
    assert response.status_code == 403
    detail = json.loads(response.content)["detail"]
    assert "Tvåstegsverifiering krävs" in detail and CODE_PAGE in detail
    assert client.get("/admin/")["Location"].startswith(CODE_PAGE)


def test_the_code_page_sends_a_user_without_a_device_on_and_a_visitor_to_the_login(client):
    assert client.get(CODE_PAGE)["Location"].startswith("/accounts/login/")
    client.force_login(account("Editor", username="redaktor"))
    assert client.get(CODE_PAGE)["Location"] == "/staff/"
    assert client.get(f"{CODE_PAGE}?next=https://elsewhere.example/")["Location"] == "/staff/"


def test_a_database_that_does_not_answer_is_the_try_again_page_not_a_500(client, monkeypatch):
    from django.db import OperationalError

    import staff.middleware

    client.force_login(account("Editor", username="redaktor"))

    def no_database(user):
        raise OperationalError("connection refused")

    monkeypatch.setattr(staff.middleware, "state_of", no_database)
    response = client.get("/staff/")
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert "Försök igen om en stund" in response.content.decode()


# --- the audit trail of role changes -----------------------------------------------------------


def roles_trail():
    return list(
        AuditEntry.objects.filter(action="role.change")
        .order_by("id")
        .values_list("actor_name", "target", "details")
    )


def test_role_changes_outside_a_request_are_recorded_as_the_system():
    user = UserFactory(username="eva", is_staff=True)
    admin_group = Group.objects.get(name="Admin")
    user.groups.add(admin_group, Group.objects.get(name="Editor"))
    admin_group.user_set.remove(user)
    user.groups.clear()
    user.is_superuser = True
    user.save()
    user.is_active = False
    user.save()
    UserFactory(username="ny", is_superuser=True, is_staff=True)
    assert roles_trail() == [
        ("system", "eva", {"role": "Admin", "granted": True}),
        ("system", "eva", {"role": "Editor", "granted": True}),
        ("system", "eva", {"role": "Admin", "granted": False}),
        ("system", "eva", {"role": "Editor", "granted": False}),
        ("system", "eva", {"flag": "is_superuser", "value": True}),
        ("system", "eva", {"flag": "is_active", "value": False}),
        ("system", "ny", {"flag": "is_superuser", "value": True}),
    ]


def test_a_login_or_a_new_password_is_no_role_change(client):
    account("Editor", username="redaktor")
    before = len(roles_trail())
    log_in(client, "redaktor")
    assert len(roles_trail()) == before


def test_role_changes_in_the_django_admin_name_who_made_them(client):
    boss = account(username="boss", superuser=True)
    eva = UserFactory(username="eva", is_staff=True)
    client.force_login(boss)
    form = client.get(f"/admin/auth/user/{eva.pk}/change/").context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name in form.fields and value is not None and name not in ("password", "groups")
    }
    data.update(
        {
            "groups": [Group.objects.get(name="Admin").pk],
            "is_staff": "on",
            "is_active": "on",
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": eva.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": eva.date_joined.strftime("%H:%M:%S"),
            "user_permissions": [],
        }
    )
    data.pop("last_login", None)
    data.pop("date_joined", None)
    response = client.post(f"/admin/auth/user/{eva.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert roles_trail()[-1] == ("boss", "eva", {"role": "Admin", "granted": True})


def test_a_device_removed_by_a_superuser_in_the_admin_is_recorded(client):
    boss = account(username="boss", superuser=True)
    eva = account("Admin", username="eva")
    device, _secret = device_for(eva)
    client.force_login(boss)
    response = client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="two_factor.remove")
    assert (entry.actor_name, entry.target) == ("boss", "eva")


# --- settings and the demo ---------------------------------------------------------------------


def test_admin_is_required_by_default_and_the_environment_can_change_it():
    def required(**env):
        environment = {k: v for k, v in os.environ.items() if k != "STAFF_2FA_REQUIRED_ROLES"} | env
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "import config.settings as s; print(','.join(s.STAFF_2FA_REQUIRED_ROLES))",
            ],
            cwd=BASE_DIR,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout.strip()

    assert required() == "Admin"
    assert required(STAFF_2FA_REQUIRED_ROLES="Admin,Editor") == "Admin,Editor"
    assert required(STAFF_2FA_REQUIRED_ROLES="") == ""


def test_a_misspelt_role_in_the_setting_stops_the_checks(settings):
    from staff.checks import two_factor_roles_check

    settings.STAFF_2FA_REQUIRED_ROLES = ["admin"]
    errors = two_factor_roles_check()
    assert [e.id for e in errors] == ["staff.E001"] and "admin" in errors[0].msg
    settings.STAFF_2FA_REQUIRED_ROLES = ["Admin", "Editor"]
    assert two_factor_roles_check() == []
