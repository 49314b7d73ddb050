"""An admin imports the register in the browser, watches the progress, plans and draws a sample."""

import csv
import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from respondents.import_jobs import import_job_report_progress
from respondents.models import ImportJob, Member, Register, SampleDraw
from tests.factories import staff_user

HEADER = "Medlemsnummer;E-post;region;sektor\n"


def export(rows: int = 300) -> bytes:
    regions = ["Skåne", "Norrbotten", "Stockholm"]
    lines = [f"{n};m{n}@example.org;{regions[n % 3]};Kommun\n" for n in range(1, rows + 1)]
    return (HEADER + "".join(lines)).encode("cp1252")


@pytest.fixture
def admin_client(client, db):
    client.force_login(staff_user("Admin"))
    return client


def upload(client, data: bytes, name="medlemmar.csv", **fields):
    return client.post(
        reverse("register-list"),
        {"register": "Socionomer 2026", "file": SimpleUploadedFile(name, data), **fields},
    )


def test_an_upload_is_imported_and_the_report_shown(
    admin_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(admin_client, export(300))
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("import-job", args=[job.pk])
    page = admin_client.get(response["Location"]).content.decode()
    assert "300 medlemmar tillagda" in page
    assert Register.objects.get(name="Socionomer 2026").members.count() == 300
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.rows_total, job.percent) == ("done", 300, 300, 100)
    assert bytes(job.data) == b""  # the upload's personal data is not kept


def test_a_bad_file_is_refused_with_each_line_and_imports_nothing(
    admin_client, django_capture_on_commit_callbacks
):
    data = (
        HEADER + "1;ok@example.org;Skåne;Kommun\n2;inte-en-adress;Skåne;Kommun\n1;x@example.org;;\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(admin_client, data.encode())
    page = admin_client.get(response["Location"]).content.decode()
    assert "Inget importerades" in page
    assert "Rad 3" in page and "Rad 4" in page
    assert not Member.objects.exists()


def test_valid_rows_can_be_imported_on_request(admin_client, django_capture_on_commit_callbacks):
    data = HEADER + "1;ok@example.org;Skåne;Kommun\n2;inte-en-adress;Skåne;Kommun\n"
    with django_capture_on_commit_callbacks(execute=True):
        upload(admin_client, data.encode(), valid_only="on")
    assert list(Member.objects.values_list("number", flat=True)) == ["1"]
    assert ImportJob.objects.get().status == "done"


def test_an_empty_upload_gets_a_clear_error_and_no_job(admin_client):
    response = upload(admin_client, b"")
    assert response.status_code == 400
    assert "Den skickade filen var tom" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_progress_partial_is_what_htmx_refreshes(admin_client):
    job = ImportJob.objects.create(register_name="R", filename="r.csv", data=b"x", status="running")
    import_job_report_progress(job.pk, 250_000, 1_000_000)
    partial = admin_client.get(reverse("import-job", args=[job.pk]), HTTP_HX_REQUEST="true")
    html = partial.content.decode()
    assert html.startswith('<div id="import-progress"')
    assert 'value="25"' in html and 'hx-trigger="every 1s"' in html


def test_the_register_page_shows_population_counts_per_variable(
    admin_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload(admin_client, export(300))
    register = Register.objects.get()
    page = admin_client.get(reverse("register-detail", args=[register.pk])).content.decode()
    assert "Norrbotten" in page and ">100<" in page


@pytest.fixture
def register(admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(admin_client, export(3000))
    return Register.objects.get()


def plan(client, register, htmx=True, **fields):
    data = {
        "name": "Urval sept",
        "target_moe": "4",
        "response_rate": "60",
        "allocation": "proportional",
        "seed": "42",
        "action": "preview",
        **fields,
    }
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(reverse("sample-new", args=[register.pk]), data, **extra)


def test_the_planner_proposes_a_size_and_shows_each_stratum_before_drawing(admin_client, register):
    html = plan(admin_client, register, strata=["region"]).content.decode()
    # ±4 points among 3,000: n0 = 1.96² · 0.25 / 0.04² = 600.2; with the finite population
    # correction 600.2 / (1 + 599.2/3000) = 500.3 → 501 respondents; at 60 % → 835 to invite.
    assert "<strong>835</strong>" in html
    for region in ("Skåne", "Norrbotten", "Stockholm"):
        assert region in html
    assert not SampleDraw.objects.exists()


def test_drawing_records_the_sample_and_offers_it_as_csv(admin_client, register):
    response = plan(
        admin_client, register, htmx=False, strata=["region"], size="300", action="draw"
    )
    draw = SampleDraw.objects.get()
    assert response["Location"] == reverse("sample-detail", args=[draw.pk])
    assert (draw.target_size, draw.seed, draw.strata) == (300, 42, ["region"])
    page = admin_client.get(response["Location"]).content.decode()
    assert "Urval sept" in page and "Skåne" in page
    download = admin_client.get(reverse("sample-csv", args=[draw.pk]))
    rows = list(
        csv.reader(
            io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig")), delimiter=";"
        )
    )
    assert rows[0] == ["medlemsnummer", "e-post", "stratum", "urvalssannolikhet"]
    assert len(rows) == 301
    assert {r[2] for r in rows[1:]} == {"Skåne", "Norrbotten", "Stockholm"}


def test_an_impossible_sample_is_explained_and_nothing_drawn(admin_client, register):
    response = plan(admin_client, register, htmx=False, size="5000", action="draw")
    assert response.status_code == 400
    assert "Det går inte att dra 5000 medlemmar ur en ram på 3000" in response.content.decode()
    assert not SampleDraw.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_large_import_runs_on_the_worker_with_progress(celery_worker, client):
    client.force_login(staff_user("Admin"))
    response = upload(client, export(25_000))
    job = ImportJob.objects.get()
    deadline = time.monotonic() + 60
    seen = set()
    while time.monotonic() < deadline:
        job.refresh_from_db()
        seen.add(job.status)
        if job.finished:
            break
        time.sleep(0.05)
    assert job.status == "done", celery_worker.log
    assert job.rows_total == 25_000
    assert Member.objects.count() == 25_000
    assert "done" in seen
    page = client.get(response["Location"]).content.decode()
    assert "25000 medlemmar tillagda" in page


def test_members_of_an_earlier_sample_can_be_left_out(admin_client, register):
    plan(admin_client, register, htmx=False, name="Våren", size="2000", action="draw")
    response = plan(
        admin_client,
        register,
        htmx=False,
        name="Hösten",
        size="900",
        exclude_samples=["Våren"],
        action="draw",
    )
    autumn = SampleDraw.objects.get(name="Hösten")
    assert response["Location"] == reverse("sample-detail", args=[autumn.pk])
    spring = set(SampleDraw.objects.get(name="Våren").members.values_list("member_id", flat=True))
    assert not spring & set(autumn.members.values_list("member_id", flat=True))
    assert autumn.frame_size == 1000


def test_while_the_file_is_read_the_progress_bar_says_so(admin_client):
    job = ImportJob.objects.create(register_name="R", filename="r.csv", data=b"x", status="running")
    html = admin_client.get(reverse("import-job", args=[job.pk]), HTTP_HX_REQUEST="true")
    html = html.content.decode()
    assert "läser och kontrollerar varje rad i filen" in html
    assert '<progress class="progress" aria-label' in html  # no value: still reading


def test_the_planner_offers_to_leave_out_only_this_registers_samples(admin_client, register):
    plan(admin_client, register, htmx=False, name="Våren", size="200", action="draw")
    other = Register.objects.create(name="Ett annat register")
    SampleDraw.objects.create(
        register=other, name="Annat urval", target_size=1, seed=1, frame_size=1
    )
    page = admin_client.get(reverse("sample-new", args=[register.pk])).content.decode()
    assert "Våren" in page
    assert "Annat urval" not in page


def test_the_draw_leaves_out_members_without_an_email_unless_asked_to_keep_them(
    admin_client, register
):
    from respondents.models import Member

    Member.objects.filter(pk__in=register.members.order_by("pk")[:1000].values("pk")).update(
        email=""
    )
    plan(admin_client, register, htmx=False, size="2000", action="draw", name="Med e-post")
    with_email = SampleDraw.objects.get(name="Med e-post")
    assert with_email.frame_size == 2000
    assert not with_email.members.filter(member__email="").exists()

    plan(
        admin_client,
        register,
        htmx=False,
        size="2500",
        action="draw",
        name="Alla",
        keep_no_email="on",
    )
    everyone = SampleDraw.objects.get(name="Alla")
    assert everyone.frame_size == 3000
    assert everyone.members.filter(member__email="").exists()
    assert everyone.exclusions == {"no_email_kept": True}
    detail = admin_client.get(reverse("sample-detail", args=[everyone.pk])).content.decode()
    assert "behålls i ramen" in detail and "Utelämnade" not in detail
    page = admin_client.get(reverse("sample-new", args=[register.pk])).content.decode()
    assert "Behåll medlemmar utan e-postadress" in page
