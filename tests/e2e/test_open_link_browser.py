"""A visitor answers an open-link poll in Chromium on a phone; the same browser is then told it
has already answered, while a second browser can still answer. axe-core on every page."""

import pytest

from polls.models import Response
from tests.e2e.axe import assert_accessible
from tests.factories import open_link_poll_with_pages

PHONE = {"width": 390, "height": 844}


def answer(page, link: str, first: str, second: str) -> None:
    page.goto(link)
    page.get_by_text("Del 1 av 2").wait_for()
    assert_accessible(page)
    page.get_by_label(first, exact=True).check()
    page.get_by_role("button", name="Nästa").click()
    page.get_by_text("Del 2 av 2").wait_for()
    assert_accessible(page)
    page.get_by_label(second, exact=True).check()
    page.get_by_role("button", name="Skicka mina svar").click()
    page.get_by_role("heading", name="Tack för att du svarade!").wait_for()
    assert_accessible(page)


@pytest.mark.django_db(transaction=True)
def test_a_visitor_answers_once_per_browser(live_server, browser_page_factory):
    poll = open_link_poll_with_pages()
    link = f"{live_server.url}/p/{poll.slug}/"

    phone = browser_page_factory(**PHONE)
    # A missing answer first: the error summary, then Back from page 2 keeps the answer.
    phone.goto(link)
    phone.get_by_role("button", name="Nästa").click()
    phone.get_by_role("alert").wait_for()
    assert_accessible(phone)
    phone.get_by_label("Nej", exact=True).check()
    phone.get_by_role("button", name="Nästa").click()
    phone.get_by_text("Del 2 av 2").wait_for()
    phone.get_by_role("button", name="Tillbaka").click()
    phone.get_by_text("Del 1 av 2").wait_for()
    assert phone.get_by_label("Nej", exact=True).is_checked()

    answer(phone, link, "Ja", "Lite")
    assert Response.objects.count() == 1
    assert Response.objects.get().attributes == {}

    phone.goto(link)
    phone.get_by_role("heading", name="Du har redan svarat").wait_for()
    assert_accessible(phone)
    assert Response.objects.count() == 1

    other = browser_page_factory(**PHONE)
    answer(other, link, "Nej", "Mycket")
    assert Response.objects.count() == 2
