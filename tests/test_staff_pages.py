"""Site-wide staff things: the menu on every staff page, Swedish 403 and 404 pages with a way
back, password reset by e-mail, and the favicon."""

import re

import pytest
from django.contrib.staticfiles import finders

from tests.factories import UserFactory, staff_user
from tests.test_permissions import EXPECTED, client_for, url_for, walk
from tests.test_permissions import world as world

pytestmark = pytest.mark.django_db

MENU = re.compile(r'<nav class="site-nav".*?</nav>', re.DOTALL)


def menu(response) -> str:
    found = MENU.search(response.content.decode())
    return found.group(0) if found else ""


# The staff pages: those that send an anonymous visitor to the login page.
STAFF_PAGES = [name for name, expected in EXPECTED.items() if expected["anonymous"] == "login"]
# Files, not pages; and the studio's test mode, which shows the member's page as members see it
# (inside the preview's frame, tests/test_studio.py); a result page's preview, which is the
# public page exactly as the public will see it (tests/test_result_pages.py); the field page's
# figures, a fragment that htmx swaps into that page. A member's access export as JSON.
DOWNLOADS = {
    "export-download",
    "sample-csv",
    "audit-trail-csv",
    "member-data-json",
    "studio-export",
    "studio-test",
    "result-page-preview",
    "field-status",
}


@pytest.mark.parametrize("role", ["editor", "admin"])
def test_every_staff_page_has_the_menu_to_results_studio_and_coding(role, client, world):
    checked = []
    for name, route in walk():
        if name not in STAFF_PAGES or name in DOWNLOADS or EXPECTED[name][role] != 200:
            continue
        response = client_for(role, client, world).get(url_for(name, route, role, world))
        links = menu(response)
        assert 'href="/staff/"' in links, name
        assert 'href="/staff/studio/"' in links, name
        assert 'href="/staff/coding/"' in links, name
        assert ('href="/staff/registers/"' in links) == (role == "admin"), name
        assert ('href="/admin/"' in links) == (role == "admin"), name
        assert ('href="/staff/audit/"' in links) == (role == "admin"), name
        checked.append(name)
    expected = {n for n in STAFF_PAGES if n not in DOWNLOADS and EXPECTED[n][role] == 200}
    assert set(checked) == expected
    assert len(checked) > 15


def test_the_menu_marks_the_section_of_the_page(client, world):
    client.force_login(world["users"]["editor"])
    links = menu(client.get("/staff/studio/"))
    assert 'href="/staff/studio/" aria-current="page"' in links
    assert 'href="/staff/" aria-current' not in links


def test_staff_without_a_role_and_members_see_no_menu(client, world):
    client.force_login(world["users"]["staff_no_role"])
    assert menu(client.get("/accounts/login/")) == ""
    client.logout()
    assert menu(client.get("/accounts/login/")) == ""


def test_the_403_page_is_swedish_styled_and_leads_back(client, world):
    client.force_login(world["users"]["editor"])
    response = client.get("/staff/registers/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Ingen åtkomst" in html
    assert 'class="site-header"' in html  # extends base.html
    assert 'href="/staff/">Tillbaka till undersökningarna' in html
    assert "Forbidden" not in html


def test_the_403_page_offers_staff_without_a_role_to_log_out(client, world):
    client.force_login(world["users"]["staff_no_role"])
    response = client.get("/staff/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "kräver rollen Editor eller Admin" in html
    assert 'action="/accounts/logout/"' in html


def test_the_404_page_is_swedish_and_leads_staff_back(client, world):
    client.force_login(world["users"]["editor"])
    response = client.get("/staff/polls/finns-inte/results/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Sidan finns inte" in html
    assert 'href="/staff/"' in html


def test_the_favicon_is_a_static_file():
    assert finders.find("favicon.svg")


def test_the_favicon_is_linked_from_base_and_the_500_page(client):
    html = client.get("/accounts/login/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    from django.template.loader import render_to_string

    assert "/static/favicon.svg" in render_to_string("500.html")


# --- password reset -----------------------------------------------------------------------------


def test_the_login_page_links_to_the_password_reset(client):
    html = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/password/reset/">Glömt lösenordet?' in html


def test_a_staff_member_resets_a_forgotten_password_by_e_mail(client, mailoutbox):
    user = staff_user("Editor", email="redaktor@example.org")
    response = client.post("/accounts/password/reset/", {"email": "redaktor@example.org"})
    assert response.status_code == 302
    assert client.get(response["Location"]).content.decode().count("Titta i din e-post") >= 1

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["redaktor@example.org"]
    assert mail.subject == "Nytt lösenord till Medlemsröst"
    assert user.get_username() in mail.body
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.body).group(1)

    form = client.get(link, follow=True)
    assert "Välj ett nytt lösenord" in form.content.decode()
    set_password_url = form.redirect_chain[-1][0]
    done = client.post(
        set_password_url,
        {"new_password1": "ett-helt-nytt-lösen-42", "new_password2": "ett-helt-nytt-lösen-42"},
    )
    assert done.status_code == 302
    assert "Lösenordet är bytt" in client.get(done["Location"]).content.decode()

    def log_in(password):  # through the login page, as the editor would
        response = client.post(
            "/accounts/login/", {"username": user.username, "password": password}
        )
        return response.status_code == 302

    assert not log_in("secret-pass-123")
    assert log_in("ett-helt-nytt-lösen-42")

    # The link works once.
    used = client.get(link, follow=True).content.decode()
    assert "Länken fungerar inte" in used or "Länken har redan använts" in used


def test_no_reset_mail_for_an_address_without_a_staff_account(client, mailoutbox):
    UserFactory(is_staff=False, email="medlem@example.org")
    staff_user("Editor", email="avstangd@example.org", is_active=False)
    for address in ("medlem@example.org", "avstangd@example.org", "ingen@example.org"):
        response = client.post("/accounts/password/reset/", {"email": address})
        assert response.status_code == 302  # the same answer: it tells no one who works here
    assert mailoutbox == []
