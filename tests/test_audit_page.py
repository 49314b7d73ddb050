"""Issue 12: admins browse and filter the audit trail at /staff/audit/ and download what they
picked as CSV (a download that is itself in the trail). Editors get 403, visitors the login."""

import csv
import datetime
import io
import re
from contextlib import contextmanager
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from respondents.import_jobs import import_job_create
from results.models import ResultPage
from results.publishing import page_publish
from staff import audit_trail
from staff.audit import record
from staff.audit_labels import ACTION_LABELS
from staff.models import AuditEntry
from tests.factories import PollFactory, staff_user

pytestmark = pytest.mark.django_db

STOCKHOLM = ZoneInfo("Europe/Stockholm")
URL = "/staff/audit/"
CSV_URL = "/staff/audit/entries.csv"


@pytest.fixture(autouse=True)
def _cast_without_role_entries(monkeypatch):
    """The staff accounts the story starts with are made without `role.change` entries (those
    are tests/test_two_factor.py's story), so the trail holds only what the story does."""
    monkeypatch.setattr("staff.signals.record", lambda *args, **kwargs: None)


@contextmanager
def at(year, month, day, hour, minute):
    """Entries written inside are stamped with this Stockholm time."""
    moment = datetime.datetime(year, month, day, hour, minute, tzinfo=STOCKHOLM)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


@pytest.fixture
def admin():
    return staff_user("Admin", username="anna")


@pytest.fixture
def history(admin):
    """Anna imported a register on 2 March at 10:15; Bo published a page on 5 March at 23:30
    (22:30 UTC, still the 5th in Stockholm)."""
    editor = staff_user("Editor", username="bo")
    with at(2026, 3, 2, 10, 15):
        import_job_create(
            register_name="Socionomer 2026", filename="medlemmar.csv", data=b"", by=admin
        )
    poll = PollFactory(slug="arbetsmiljo-2026")
    page = ResultPage.objects.create(poll=poll, slug="arbetsmiljo", title="Arbetsmiljön")
    with at(2026, 3, 5, 23, 30):
        page_publish(page=page, by=editor)
    return {"editor": editor}


def entries_on(html: str) -> list[str]:
    """The rows of the table as their text, one string per entry."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


def test_an_admin_sees_an_import_and_a_publish_newest_first(client, admin, history):
    client.force_login(admin)
    response = client.get(URL)

    assert response.status_code == 200
    rows = entries_on(response.content.decode())
    assert len(rows) == 2
    assert rows[0].startswith("2026-03-05 23:30:00 bo Resultatsida publicerad")
    assert "arbetsmiljo" in rows[0]
    assert rows[1].startswith("2026-03-02 10:15:00 anna Medlemsregister importerat")
    assert "Socionomer 2026" in rows[1]
    assert "fil: medlemmar.csv" in rows[1]
    assert "Poster 1–2 av 2." in response.content.decode()


def test_the_admin_filters_by_action_group_and_dates(client, admin, history):
    client.force_login(admin)

    def shown(**query):
        response = client.get(URL, query)
        assert response.status_code == 200
        return [row.split(" ")[2] for row in entries_on(response.content.decode())]

    assert shown(action="page.publish") == ["bo"]
    assert shown(action="group:registers") == ["anna"]
    assert shown(action="group:exports") == []
    assert shown(who="ANN") == ["anna"]
    assert shown(target="socionomer") == ["anna"]
    assert shown(since="2026-03-03") == ["bo"]
    # "To" includes its whole day in Stockholm: 23:30 on the 5th is 22:30 UTC.
    assert shown(until="2026-03-05") == ["bo", "anna"]
    assert shown(until="2026-03-04") == ["anna"]
    assert shown(since="2026-03-02", until="2026-03-02") == ["anna"]


def test_the_csv_holds_the_filtered_entries_and_the_download_is_recorded(client, admin, history):
    record(admin, "members.import", '=HYPERLINK("http://evil.example")', filename="x.csv")
    client.force_login(admin)

    response = client.get(CSV_URL, {"action": "members.import"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="granskningslogg-')
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["tid", "vem", "händelse", "händelsekod", "objekt", "detaljer"]
    assert [row[4] for row in rows[1:]] == [
        '\'=HYPERLINK("http://evil.example")',
        "Socionomer 2026",
    ]
    assert rows[2][:4] == [
        "2026-03-02T10:15:00+01:00",
        "anna",
        "Medlemsregister importerat",
        "members.import",
    ]

    download = AuditEntry.objects.get(action="audit.download")
    assert download.actor_name == "anna"
    assert download.details == {"filters": {"action": "members.import"}}
    page = client.get(URL, {"action": "audit.download"}).content.decode()
    assert " anna Granskningsloggen nedladdad " in entries_on(page)[0]


def test_an_editor_is_refused_and_a_visitor_sent_to_log_in(client, history):
    client.force_login(history["editor"])
    assert client.get(URL).status_code == 403
    assert client.get(CSV_URL).status_code == 403
    assert "Granskningslogg" not in client.get("/staff/").content.decode()
    assert not AuditEntry.objects.filter(action="audit.download").exists()

    client.logout()
    for url in (URL, CSV_URL):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_the_admin_finds_the_trail_in_the_menu_and_on_the_staff_home(client, admin):
    client.force_login(admin)
    home = client.get("/staff/").content.decode()
    assert home.count(f'href="{URL}"') == 2  # the menu and the line under the heading


def test_a_malformed_date_is_a_clear_error_and_nothing_is_shown(client, admin, history):
    client.force_login(admin)

    response = client.get(URL, {"since": "2026-13-45"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2026-03-01." in html
    assert entries_on(html) == []

    refused = client.get(CSV_URL, {"until": "igår"})
    assert refused.status_code == 400
    assert "Ingen fil skapades" in refused.content.decode()
    assert not AuditEntry.objects.filter(action="audit.download").exists()

    backwards = client.get(URL, {"since": "2026-03-05", "until": "2026-03-01"})
    assert backwards.status_code == 400
    assert "Till-datumet är före från-datumet." in backwards.content.decode()

    unknown = client.get(URL, {"action": "no.such.action", "page": "x"})
    assert unknown.status_code == 400


def test_htmx_gets_the_table_alone_also_with_an_error(client, admin, history):
    client.force_login(admin)

    response = client.get(URL, {"action": "page.publish"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<div id="audit-results"') and "<html" not in html
    assert [row.split(" ")[2] for row in entries_on(html)] == ["bo"]
    assert f'href="{CSV_URL}?action=page.publish"' in html

    # htmx swaps only a 200: the error reaches the page in the table's place.
    bad = client.get(URL, {"since": "3/2/2026"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 200
    assert 'role="alert"' in bad.content.decode()
    assert "Skriv datumet som" in bad.content.decode()


def test_entries_come_fifty_a_page_and_a_long_trail_is_not_counted_to_the_end(
    client, admin, monkeypatch
):
    for n in range(60):
        record(admin, "sample.draw", f"urval-{n}", size=n)
    client.force_login(admin)

    first = client.get(URL).content.decode()
    assert len(entries_on(first)) == 50
    assert "urval-59" in entries_on(first)[0]
    assert "Sida 1 av 2" in first
    second = client.get(URL, {"page": 2}).content.decode()
    assert [row.split("urval-")[1].split(" ")[0] for row in entries_on(second)] == [
        str(n) for n in range(9, -1, -1)
    ]
    assert "Poster 51–60 av 60." in second

    monkeypatch.setattr(audit_trail, "COUNT_LIMIT", 50)
    capped = client.get(URL).content.decode()
    assert "Poster 1–50 av fler än 50." in capped, re.findall(r"Poster[^<]*", capped)
    assert "Avgränsa filtren" in capped


def test_an_action_without_a_label_is_shown_as_written(client, admin):
    record(None, "poll.teleport", "x", distance=3)
    client.force_login(admin)
    rows = entries_on(client.get(URL).content.decode())
    assert rows[0].split(" ")[2:5] == ["systemet", "poll.teleport", "x"]


def test_every_action_the_product_records_has_a_label():
    """Each action string passed to `record` in the apps' code is in staff.audit_labels."""
    root = Path(settings.BASE_DIR)
    call = re.compile(
        r"\brecord\(\s*[^,()]+(?:\([^)]*\))?[^,()]*,\s*((?:\"[a-z_.]+\"(?:\s*if [^,]+else\s*)?)+)"
    )
    found = set()
    for app in ("staff", "respondents", "polls", "results"):
        for path in (root / app).rglob("*.py"):
            for match in call.finditer(path.read_text(encoding="utf-8")):
                found.update(re.findall(r"\"([a-z_.]+)\"", match.group(1)))
    assert len(found) >= 20  # the pattern still finds the calls
    assert found - set(ACTION_LABELS) == set()
