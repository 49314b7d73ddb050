"""An editor links a poll to its previous wave in the studio, on a phone and on a desktop."""

import pytest

from tests.e2e.axe import assert_accessible
from tests.factories import staff_user
from tests.test_wave_links import two_waves


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [390, 1280])
def test_an_editor_links_the_previous_wave_in_the_browser(width, live_server, browser_page_factory):
    old, old_q, _other, new, new_q, _text = two_waves()
    staff_user("Editor", username="redaktor", password="medlemsrost-test-1")
    page = browser_page_factory(width=width, height=900)
    page.goto(f"{live_server.url}/staff/studio/{new.slug}/waves/")
    page.get_by_label("Användarnamn").fill("redaktor")
    page.get_by_label("Lösenord").fill("medlemsrost-test-1")
    page.get_by_role("button", name="Logga in").click()
    page.get_by_label("Föregående omgång").select_option(str(old.pk))
    page.get_by_role("button", name="Visa dess frågor").click()
    page.get_by_role("button", name="Spara kopplingarna").click()
    page.get_by_text("Kopplingarna är sparade").wait_for()
    # Linked: each answer now has its answer of the previous wave, editable.
    assert page.get_by_label("Instämmer inte").input_value() != ""
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
    assert_accessible(page)
    page.screenshot(path=f"/tmp/shots/trends-wave-links-{width}.png", full_page=True)
    new_q.refresh_from_db()
    assert new_q.predecessor == old_q
