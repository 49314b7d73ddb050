"""A whole poll run from the browser, as a new Admin would (issue 13): from an empty database, a
register uploaded as CSV, a poll made in the studio with a single-choice question and a
reporting variable, a sample drawn in the planner, the poll opened from the studio, invitations
sent (with the command until field work has its page), one member's answer, and a dashboard
whose every "±" is above zero and agrees with the interval printed beside it."""

import re

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from polls.models import Poll, Response
from respondents.models import Register, SampleDraw
from tests.e2e.axe import assert_accessible
from tests.factories import staff_user

PASSWORD = "medlemsrost-admin-13"
LINK = re.compile(r"(https?://\S+/s/[\w-]+/)")


def members_csv(tmp_path, count=80):
    rows = ["Medlemsnummer;E-post;region;sektor"]
    regions, sectors = ["Skåne", "Norrbotten"], ["Kommun", "Region", "Privat"]
    rows += [
        f"{n};medlem{n}@example.org;{regions[n % 2]};{sectors[n % 3]}" for n in range(1, count + 1)
    ]
    path = tmp_path / "medlemmar.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def save(page, button):
    with page.expect_navigation():
        page.locator(button).click()


def number(text: str) -> float:
    return float(
        text.replace("\xa0", "").replace("%", "").replace("±", "").replace(",", ".").strip()
    )


@pytest.mark.django_db(transaction=True)
def test_an_admin_runs_a_whole_poll_from_the_browser(
    live_server, settings, browser_page_factory, tmp_path
):
    settings.SITE_URL = live_server.url
    site = live_server.url
    assert not Poll.objects.exists() and not Register.objects.exists()
    staff_user("Admin", username="forbundsadmin", password=PASSWORD)

    page = browser_page_factory(width=1280, height=900)
    page.goto(f"{site}/staff/registers/")
    page.get_by_label("Användarnamn").fill("forbundsadmin")
    page.get_by_label("Lösenord").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Logga in").click()

    # 1. The register, uploaded as CSV.
    page.locator("#id_register").fill("Socionomer 2026")
    page.locator("#id_file").set_input_files(str(members_csv(tmp_path)))
    with page.expect_navigation():
        page.get_by_role("button", name="Importera").click()
    expect(page.locator("#import-progress")).not_to_have_attribute("hx-get", re.compile("."))
    register = Register.objects.get(name="Socionomer 2026")
    assert register.members.count() == 80
    assert sorted(register.variables) == ["region", "sektor"]

    # 2. The poll in the studio: its population, then its reporting variable.
    page.goto(f"{site}/staff/studio/")
    page.locator("#new-poll").click()
    page.locator("#id_title_sv").fill("Arbetsmiljön 2026")
    page.locator("#id_slug").fill("arbetsmiljo-2026")
    page.locator("#id_register").select_option(label="Socionomer 2026")
    save(page, "#poll-form button[type=submit]")
    assert page.url.endswith("/staff/studio/arbetsmiljo-2026/edit/")
    page.get_by_label("sektor").check()
    assert_accessible(page)
    save(page, "#poll-form button[type=submit]")
    poll = Poll.objects.get(slug="arbetsmiljo-2026")
    assert (poll.register, poll.reporting_variables) == (register, ["sektor"])
    assert "sektor" in page.locator("#poll-reporting-variables").inner_text()

    page.locator("#first-question").click()
    page.locator("#id_kind").select_option("single")
    page.locator("#id_code").fill("trivs")
    page.locator("#id_text_sv").fill("Trivs du på jobbet?")
    save(page, "main form.studio-form button[type=submit]")
    page.locator("#id_options-0-label_sv").fill("Ja")
    page.locator("#add-options").click()
    page.locator("#id_options-1-label_sv").fill("Nej")
    save(page, "#save-question")
    assert list(poll.questions.get().options.values_list("label_sv", flat=True)) == ["Ja", "Nej"]

    # 3. The sample, drawn in the planner.
    page.goto(f"{site}/staff/registers/{register.pk}/samples/new/")
    page.locator("#id_name").fill("Urval arbetsmiljö")
    page.locator("#id_size").fill("30")
    page.locator("#id_seed").fill("42")
    with page.expect_navigation():
        page.get_by_role("button", name="Dra urvalet").click()
    draw = SampleDraw.objects.get(name="Urval arbetsmiljö")
    assert draw.members.count() == 30
    expect(page.locator("h1")).to_have_text("Urval arbetsmiljö")

    # 4. The poll opened from the studio, after a page that says what happens.
    page.goto(f"{site}/staff/studio/arbetsmiljo-2026/")
    page.locator("#open-poll").click()
    expect(page.locator("#what-happens")).to_contain_text("Inbjudningar kan skickas")
    assert_accessible(page)
    save(page, "#confirm-open")
    poll.refresh_from_db()
    assert poll.state == Poll.State.OPEN and poll.is_accepting_answers()
    expect(page.locator("#poll-state")).to_have_text("öppen")

    # 5. Invitations: the command until field work has its page.
    call_command("send_invitations", poll="arbetsmiljo-2026", sample="Urval arbetsmiljö")
    assert len(mail.outbox) == 30
    link = LINK.search(mail.outbox[0].body).group(1)
    assert link.startswith(site)

    # 6. One member answers on a phone.
    member = browser_page_factory(width=390, height=844)
    member.goto(link)
    member.get_by_label("Ja").check()
    member.get_by_role("button", name="Skicka mina svar").click()
    member.get_by_role("heading", name="Tack för att du svarade!").wait_for()
    assert Response.objects.filter(poll=poll).count() == 1
    # The reporting variable chosen in the studio travelled onto the response, and only it.
    assert set(Response.objects.get(poll=poll).attributes) == {"sektor"}

    # 7. The dashboard: a breakdown and weighting, who answered, and honest margins.
    page.goto(f"{site}/staff/polls/arbetsmiljo-2026/results/")
    page.locator("#dashboard").wait_for()
    assert page.locator("#controls").count() == 1  # breakdown and weighting selectors
    assert "sektor" in page.locator("#controls").inner_text()
    expect(page.locator("#representativeness-heading")).to_have_text("Vilka som svarade")
    main = page.locator("main").inner_text()
    # One answer: the ± and the felmarginal come from the intervals shown, never 0.
    assert not re.search(r"felmarginal 0 procentenheter", main), main
    pluses = [number(m) for m in re.findall(r"±\s*([\d\xa0]+(?:,\d+)?)", main)]
    assert all(p > 0 for p in pluses), pluses
    rows = page.locator("table").filter(
        has=page.get_by_role("columnheader", name="± procentenheter")
    )
    rows = rows.locator("tbody tr")
    assert rows.count() == 2
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td").all_inner_texts()
        share, interval, plus = cells[1], cells[2], cells[3]
        low, high = (number(x) for x in interval.split("–"))
        estimate, moe = number(share), number(plus)
        assert moe > 0, (share, interval, plus)
        # The ± is the larger distance from the share to an end of the interval shown
        # (both printed rounded: a point of slack).
        assert abs(moe - max(estimate - low, high - estimate)) <= 1, (share, interval, plus)
