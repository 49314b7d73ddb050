"""Issue 10's "Done means", walked in the browser: an Admin sets the poll's register in the
studio, plans the invitation and two reminders, previews and test-sends the e-mail, starts the
field period and watches the field page fill by itself; one member answers from the link in
their e-mail, another opts out from theirs, a third bounces, and the reminder then goes only to
those still waiting."""

import os
import re

import pytest
from playwright.sync_api import expect

from polls.models import Invitation, Response
from respondents.models import Member
from tests.factories import (
    MemberFactory,
    PollFactory,
    RegisterFactory,
    SampleDrawFactory,
    SampleMemberFactory,
    single_choice_question,
    staff_user,
)

PASSWORD = "medlemsrost-walk-10"
ANSWER_LINK = re.compile(r"(https?://\S+/s/[\w-]+/)")
OPT_OUT_LINK = re.compile(r"(https?://\S+/u/[^/\s]+/)")
SHOTS = "/tmp/shots"


def total(page, column: str):
    """The cell of the figures table's total row under the column headed `column`."""
    return page.locator(f"#field-figures tr.total td[data-label='{column}']")


def plain_text_link(message, pattern) -> str:
    """The link in the plain-text part of an e-mail (the body of a multipart message)."""
    match = pattern.search(message.body)
    assert match, message.body
    return match.group(1)


@pytest.mark.django_db(transaction=True)
def test_an_admin_runs_the_field_period_from_the_browser(
    live_server, settings, browser_page_factory, mailoutbox
):
    settings.SITE_URL = live_server.url
    site = live_server.url
    register = RegisterFactory(name="Socionomer 2026")
    poll = PollFactory(slug="verklighet", title_sv="Verklighetsförankring 2026", register=None)
    single_choice_question(poll)
    draw = SampleDrawFactory(register=register, name="Urval sept", target_size=5)
    for n in range(5):
        SampleMemberFactory(
            draw=draw,
            stratum="Kommun",
            member=MemberFactory(register=register, email=f"medlem{n}@example.org"),
        )
    staff_user("Admin", username="admin", password=PASSWORD, email="admin@example.org")

    page = browser_page_factory(width=1280, height=900)
    page.goto(f"{site}/staff/studio/verklighet/edit/")
    page.get_by_label("Användarnamn").fill("admin")
    page.get_by_label("Lösenord").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Logga in").click()

    # 1. The register (population), set in the studio.
    page.locator("#id_register").select_option(label="Socionomer 2026")
    with page.expect_navigation():
        page.locator("#poll-form button[type=submit]").click()
    poll.refresh_from_db()
    assert poll.register == register

    # 2. The plan: invitations in the future, reminders on day 3 and day 6.
    page.goto(f"{site}/staff/polls/verklighet/field/")
    expect(page.locator("#field-register")).to_have_text("Socionomer 2026")
    plan = page.locator("#plan-form")
    plan.get_by_label("Urval sept").check()
    plan.get_by_label("Inbjudningarna går ut").fill("2030-03-02T09:00")
    plan.get_by_label("Påminnelser dag").fill("3, 6")
    plan.get_by_role("button", name="Spara planen").click()
    expect(page.get_by_role("status")).to_contain_text("Fältplanen sparades")
    expect(page.locator(".plan-steps li")).to_have_count(4)  # invitations, 2 reminders, closing
    expect(page.locator(".plan-steps")).to_contain_text("Påminnelse 2")

    # 3. The e-mail: previewed, then a test to the admin's own address.
    page.locator("#field-email-link").click()
    expect(page.locator("#preview-invitation .email-subject")).not_to_be_empty()
    subject = page.locator("#preview-invitation .email-subject").inner_text()
    page.get_by_role("button", name="Skicka ett prov till mig").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Ett provmejl skickades till admin@example.org"
    )
    assert [m.to for m in mailoutbox] == [["admin@example.org"]]
    assert mailoutbox[0].subject == f"[Prov] {subject}"

    # 4. The field period starts now: five invitations go out.
    page.goto(f"{site}/staff/polls/verklighet/field/")
    page.locator("#invite-form").get_by_label("Urval sept").check()
    page.get_by_role("button", name="Skicka inbjudningar").click()
    expect(page.get_by_role("status")).to_contain_text("5 nya inbjudningar")
    invitations = {m.to[0]: m for m in mailoutbox[1:]}
    assert sorted(invitations) == [f"medlem{n}@example.org" for n in range(5)]
    expect(total(page, "Skickade")).to_have_text("5")
    expect(total(page, "Besvarade")).to_have_text("0")
    page.evaluate("window.loadedOnce = true")  # gone if the page were reloaded

    # 5. A member answers from the link in their e-mail; the field page shows it by itself.
    answerer = browser_page_factory(width=390, height=844)
    answerer.goto(plain_text_link(invitations["medlem0@example.org"], ANSWER_LINK))
    answerer.get_by_label("Mycket").check()
    answerer.get_by_role("button", name="Skicka mina svar").click()
    expect(answerer.get_by_role("heading", name="Tack för att du svarade!")).to_be_visible()
    assert Response.objects.filter(poll=poll).count() == 1
    expect(total(page, "Besvarade")).to_have_text("1", timeout=15_000)

    # 6. Another member opts out from their e-mail's link, after a confirmation.
    leaver = browser_page_factory(width=390, height=844)
    leaver.goto(plain_text_link(invitations["medlem1@example.org"], OPT_OUT_LINK))
    leaver.get_by_role("button", name="Avregistrera mig").click()
    expect(leaver.locator("main")).to_contain_text("skickar inga fler")
    expect(total(page, "Avböjt")).to_have_text("1", timeout=15_000)
    assert page.evaluate("window.loadedOnce") is True

    # A bounce list from the mail provider marks a third member bounced.
    bounces = page.locator("#bounces-form")
    bounces.get_by_label("Eller klistra in adresserna").fill("medlem2@example.org")
    bounces.get_by_role("button", name="Markera som studsade").click()
    expect(page.get_by_role("status")).to_contain_text("1 av 1 adresser")
    expect(total(page, "Studsade")).to_have_text("1")
    assert Member.objects.get(email="medlem2@example.org").status == Member.Status.BOUNCED

    # The reminder skips the one who answered, the one who opted out and the bounced one.
    expect(page.locator("#remind-form")).to_contain_text("2 medlemmar")
    sent_before = len(mailoutbox)
    page.get_by_role("button", name="Skicka påminnelse").click()
    expect(page.get_by_role("status")).to_contain_text("Påminnelse 1: 2 e-postmeddelanden")
    reminded = sorted(m.to[0] for m in mailoutbox[sent_before:])
    assert reminded == ["medlem3@example.org", "medlem4@example.org"]
    assert Invitation.objects.filter(poll=poll, reminders_sent=1).count() == 2

    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/walk-field-1280.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=f"{SHOTS}/walk-field-390.png", full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 390, f"the field page is {overflow} px wide on a phone"
