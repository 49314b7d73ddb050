"""The whole story on the real stack: register → sample → invitations through a Celery worker on
Redis to an SMTP server → a member answers in Chromium → staff see the chart and its margin."""

import os
import re

import pytest
from django.core.management import call_command

from polls.models import Invitation, Option, Poll, Question, Response
from tests.factories import staff_user

LINK = re.compile(r"(https?://\S+/s/[\w-]+/)")


@pytest.fixture
def site_url(live_server, settings, monkeypatch):
    """Links in e-mails point at the live server; the worker subprocess reads SITE_URL too."""
    monkeypatch.setenv("SITE_URL", live_server.url)
    settings.SITE_URL = live_server.url
    return live_server.url


def members_csv(tmp_path, count=60):
    rows = ["Medlemsnummer;E-post;region;sektor"]
    sectors = ["Kommun", "Region", "Privat"]
    rows += [f"{n};member{n}@example.org;Skåne;{sectors[n % 3]}" for n in range(1, count + 1)]
    path = tmp_path / "medlemmar.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def the_poll():
    poll = Poll.objects.create(
        slug="verklighet",
        title_sv="Socionomernas syn på politiska beslut",
        state=Poll.State.OPEN,
        reporting_variables=["sektor"],
    )
    question = Question.objects.create(
        poll=poll,
        order=1,
        code="verklighet",
        text_sv="Hur verklighetsförankrade anser du att de politiska besluten för "
        "socialtjänsten är i den kommun där du är anställd?",
    )
    labels = ["Mycket", "Ganska", "Inte så", "Inte alls", "Vet ej"]
    for i, label in enumerate(labels):
        Option.objects.create(
            question=question,
            order=i,
            code=f"o{i}",
            label_sv=f"{label} verklighetsförankrade" if label != "Vet ej" else label,
        )
    return poll


@pytest.mark.django_db(transaction=True)
def test_from_register_to_result_chart(
    site_url, celery_worker, smtp_server, browser_page_factory, tmp_path
):
    # 1. The admin imports the register and draws a sample.
    call_command("import_members", str(members_csv(tmp_path)), register="Socionomer 2026")
    poll = the_poll()
    call_command("draw_sample", register="Socionomer 2026", size=20, seed=42, name="Urval sept")

    # 2. Invitations go out through the real worker and the real SMTP server.
    call_command("send_invitations", poll="verklighet", sample="Urval sept")
    messages = smtp_server.wait_for(20, timeout=60)
    celery_worker.wait_for_log(r"send_invitation_batch\[.*\] succeeded in .*: 20")
    assert len({m["To"] for m in messages}) == 20
    assert Invitation.objects.filter(poll=poll, status="sent").count() == 20
    links = [LINK.search(m.get_body(("plain",)).get_content()).group(1) for m in messages]
    link = links[0]
    assert link.startswith(site_url)

    # 3. A member opens the link on a phone and answers in Swedish.
    member = browser_page_factory(width=390, height=844)
    member.goto(link)
    assert "Hur verklighetsförankrade" in member.content()
    member.get_by_label("Inte så verklighetsförankrade").check()
    member.get_by_role("button", name="Skicka mina svar").click()
    member.get_by_role("heading", name="Tack för att du svarade!").wait_for()
    assert Response.objects.filter(poll=poll).count() == 1

    # Two more members answer, on their own phones.
    for other_link, choice in ((links[1], "Ganska"), (links[2], "Inte så")):
        other = browser_page_factory(width=390, height=844)
        other.goto(other_link)
        other.get_by_label(f"{choice} verklighetsförankrade").check()
        other.get_by_role("button", name="Skicka mina svar").click()
        other.get_by_role("heading", name="Tack för att du svarade!").wait_for()
    assert Response.objects.filter(poll=poll).count() == 3

    # Opening the link again says "already answered", never the form.
    member.goto(link)
    member.get_by_role("heading", name="Du har redan svarat").wait_for()
    assert member.locator("input[type=radio]").count() == 0

    # A forged token gets a friendly page.
    forged = member.goto(f"{site_url}/s/forged-token-000000000000/")
    assert forged.status == 404
    member.get_by_role("heading", name="Länken fungerar inte").wait_for()

    # 4. An editor logs in and sees the chart with its margin of error.
    staff_user("Editor", username="redaktor", password="medlemsrost-test-1")
    editor = browser_page_factory(width=1280, height=900)
    editor.goto(f"{site_url}/staff/polls/verklighet/results/")
    editor.get_by_label("Användarnamn").fill("redaktor")
    editor.get_by_label("Lösenord").fill("medlemsrost-test-1")
    editor.get_by_role("button", name="Logga in").click()
    editor.locator(".chart .main-svg").first.wait_for()
    text = editor.locator("main").inner_text()
    assert re.search(r"Statistisk felmarginal [\d,–]+ procentenheter", text)
    assert "n = 3" in text
    assert "67\xa0%" in text  # 2 of 3 answered "Inte så verklighetsförankrade"
    assert editor.locator(".chart .errorbar").count() >= 1
    shots = os.environ.get("SCREENSHOT_DIR")
    if shots:
        member.screenshot(path=f"{shots}/e2e-member.png", full_page=True)
        editor.screenshot(path=f"{shots}/e2e-results.png", full_page=True)
