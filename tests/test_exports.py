"""Exports: the statistician's microdata (CSV, XLSX, SPSS .sav) with weights and labels, the
tables for Excel, the codebook; never a formula that runs, never a column that leads back to a
member, never a cell small enough to recognise someone; run on the worker, audited, and for the
Admin role when row-level."""

from __future__ import annotations

import csv
import io
import random
import time

import openpyxl
import pyreadstat
import pytest
from django.urls import reverse

from polls.conditions import condition_set
from polls.models import Answer, Question, Response
from respondents.models import Member
from results.exports.disclosure import coarsen_profiles, published_counts
from results.exports.jobs import export_run
from results.models import ExportJob
from staff.models import AuditEntry
from tests.factories import (
    MemberFactory,
    RegisterFactory,
    SampleDrawFactory,
    SampleMemberFactory,
    every_kind_poll,
    question_with_options,
    staff_user,
)

pytestmark = pytest.mark.django_db

# Kommun 14, Region 7, Privat 3 (under the threshold of 5)
SECTORS = ["Kommun"] * 14 + ["Region"] * 7 + ["Privat"] * 3


def answered_poll(sectors=SECTORS, seed=1, **fields):
    """The every-kind poll of tests/factories.py with one response per entry of `sectors`
    (their reporting variable "sektor"), answered at random (follow-ups only when shown), and
    a register of 400 members."""
    register = RegisterFactory(variables=["sektor"])
    Member.objects.bulk_create(
        Member(
            register=register,
            number=str(1000 + i),
            email=f"m{i}@example.org",
            attributes={"sektor": ["Kommun", "Region", "Privat"][i % 3]},
        )
        for i in range(400)
    )
    poll = every_kind_poll(register=register, reporting_variables=["sektor"], **fields)
    why = question_with_options(
        poll,
        Question.Kind.SINGLE,
        [
            ("tid", "Tiden räcker inte", "Not enough time"),
            ("stod", "För lite stöd", "Too little support"),
        ],
        section=poll.sections.get(order=1),
        order=3,
        code="varfor",
        text_sv="Varför inte?",
        text_en="Why not?",
    )
    condition_set(question=why, on=poll.questions.get(code="kan_utfora"), codes=["nej"])
    q = {question.code: question for question in poll.questions.all()}
    options = {code: {o.code: o for o in question.options.all()} for code, question in q.items()}
    rows = list(q["pastaenden"].rows.all())
    rng = random.Random(seed)
    for sector in sectors:
        response = Response.objects.create(
            poll=poll, submitted_on="2026-09-03", attributes={"sektor": sector}
        )
        answers = []
        can = rng.choice(["ja", "nej", "vet_ej"])
        answers.append(
            Answer(response=response, question=q["kan_utfora"], option=options["kan_utfora"][can])
        )
        if can == "nej":
            answers.append(Answer(response=response, question=q["vad_kravs"], text="Mer tid"))
            answers.append(
                Answer(
                    response=response,
                    question=q["varfor"],
                    option=options["varfor"][rng.choice(["tid", "stod"])],
                )
            )
        ticks = rng.choice([["tid", "resurser"], ["vet_ej"], ["administration"]])
        answers += [
            Answer(response=response, question=q["atgarder"], option=options["atgarder"][t])
            for t in ticks
        ]
        if rng.random() < 0.2:
            answers.append(
                Answer(response=response, question=q["nojd"], option=options["nojd"]["vet_ej"])
            )
        else:
            answers.append(Answer(response=response, question=q["nojd"], value=rng.randint(1, 5)))
        answers.append(Answer(response=response, question=q["arenden"], value=rng.randint(0, 80)))
        for rank, code in enumerate(
            rng.sample(["lon", "arbetsmiljo", "arbetstid", "kompetens"], 3), 1
        ):
            answers.append(
                Answer(
                    response=response,
                    question=q["prioritet"],
                    option=options["prioritet"][code],
                    rank=rank,
                )
            )
        for row in rows:
            code = rng.choice(["helt", "delvis", "inte", "vet_ej"])
            answers.append(
                Answer(
                    response=response,
                    question=q["pastaenden"],
                    row=row,
                    option=options["pastaenden"][code],
                )
            )
        Answer.objects.bulk_create(answers)
    return poll


def exported(poll, kind, fmt, by=""):
    out = io.BytesIO()
    export_run(poll=poll, kind=kind, format=fmt, by=by, out=out)
    return out.getvalue()


def csv_rows(data: bytes, delimiter=","):
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=delimiter))


def test_the_sav_reads_back_with_labels_weights_and_missing_codes(tmp_path):
    poll = answered_poll()
    path = tmp_path / "data.sav"
    path.write_bytes(exported(poll, "microdata", "sav"))
    df, meta = pyreadstat.read_sav(str(path), user_missing=True)
    assert len(df) == len(SECTORS)
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["kan_utfora"] == "Kan du utföra ditt arbete med den kvalitet du anser nödvändig?"
    assert meta.variable_value_labels["kan_utfora"] == {1.0: "Ja", 2.0: "Nej", -1.0: "Vet ej"}
    # a follow-up not shown is -8, "not asked"
    assert meta.variable_value_labels["varfor"] == {
        1.0: "Tiden räcker inte",
        2.0: "För lite stöd",
        -8.0: "inte tillfrågad (följdfrågan visades inte)",
    }
    asked = df["kan_utfora"] == 2.0
    assert set(df.loc[asked, "varfor"]) <= {1.0, 2.0}
    assert set(df.loc[~asked, "varfor"]) == {-8.0}
    # "Vet ej" and "not shown" are SPSS user-missing: the range -9..-1
    assert meta.missing_ranges["kan_utfora"] == [{"lo": -9.0, "hi": -1.0}]
    assert set(df["kan_utfora"]) <= {1.0, 2.0, -1.0}
    assert -1.0 in set(df["nojd"]) and set(df["nojd"]) - {-1.0} <= {1.0, 2.0, 3.0, 4.0, 5.0}
    # unweighted with a register: every weight is N / n, adding up to the 400 members
    assert df["vikt"].sum() == pytest.approx(400)
    # the grid's statements and the ranking's options are variables of their own
    assert labels["pastaenden_r0"].endswith("– Jag har en rimlig arbetsbelastning")
    assert set(df["prioritet_lon"]) <= {0.0, 1.0, 2.0, 3.0}
    # read as SPSS would (user-missing as missing): "Vet ej" leaves the base
    plain, _meta = pyreadstat.read_sav(str(path))
    assert plain["kan_utfora"].isna().sum() == (df["kan_utfora"] == -1).sum()


def test_microdata_has_no_column_that_leads_back_to_a_member():
    poll = answered_poll()
    header = csv_rows(exported(poll, "microdata", "csv"))[0]
    assert header[:2] == ["vikt", "sektor"]
    # every column is the weight, a reporting variable or an answer to a question: nothing else
    codes = set(poll.questions.values_list("code", flat=True))
    others = [
        name
        for name in header[2:]
        if not any(name == code or name.startswith(f"{code}_") for code in codes)
    ]
    assert others == []
    assert "vad_kravs" not in header  # the open answer: free text may name people
    # and no value of any row is a response's key or its submission date
    keys = {str(pk) for pk in Response.objects.values_list("pk", flat=True)}
    text = exported(poll, "microdata", "csv").decode("utf-8-sig")
    assert not any(key in text for key in keys)
    assert "2026-09-03" not in text


def test_a_formula_in_a_register_value_is_neutralised_in_csv_and_xlsx():
    poll = answered_poll(sectors=['=HYPERLINK("http://x")'] * 6 + ["Kommun"] * 6)
    rows = csv_rows(exported(poll, "microdata", "csv"))
    assert {r[1] for r in rows[1:]} == {'\'=HYPERLINK("http://x")', "Kommun"}
    book = openpyxl.load_workbook(io.BytesIO(exported(poll, "aggregates", "xlsx", by="sektor")))
    sheet = book.worksheets[0]
    groups = {row[3] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert '\'=HYPERLINK("http://x")' in groups
    assert not any(
        cell.data_type == "f" for row in sheet.iter_rows() for cell in row
    )  # no cell is a formula
    # numbers stay numbers
    shares = [row[6] for row in sheet.iter_rows(min_row=2, values_only=True) if row[6] is not None]
    assert shares and all(isinstance(v, int | float) for v in shares)


def test_the_sample_csv_neutralises_formulas(client):
    draw = SampleDrawFactory()
    SampleMemberFactory(
        draw=draw, member=MemberFactory(register=draw.register, number="=1+1"), stratum="-Kommun"
    )
    client.force_login(staff_user("Admin"))
    response = client.get(reverse("sample-csv", args=[draw.pk]))
    rows = csv_rows(b"".join(response.streaming_content), delimiter=";")
    assert rows[1][0] == "'=1+1" and rows[1][2] == "'-Kommun"


def test_small_reporting_cells_are_merged_or_blanked():
    # Privat has 3 respondents, under the threshold of 5: merged with the next smallest
    poll = answered_poll()
    rows = csv_rows(exported(poll, "microdata", "csv"))
    sectors = [r[1] for r in rows[1:]]
    assert "Privat" not in sectors
    assert sectors.count("övriga (sammanslagna)") == 10  # Privat 3 + Region 7
    published = coarsen_profiles({("A",): 2, ("B",): 3, ("C",): 9}, 5, other="X")
    assert published == {("A",): ("X",), ("B",): ("X",), ("C",): ("C",)}
    # when merging would leave one group only, the variable is blanked for everyone
    blanked = coarsen_profiles({("A",): 2, ("B",): 2, ("C",): 9}, 5, other="X")
    assert set(blanked.values()) == {("",)}
    # a crossed cell under the threshold loses its most telling variable
    crossed = {("A", "x"): 6, ("A", "y"): 2, ("B", "x"): 5, ("B", "y"): 5}
    result = published_counts(crossed, coarsen_profiles(crossed, 5, other="X"))
    assert all(n >= 5 for cell, n in result.items() if any(cell))


def test_the_aggregates_csv_is_for_a_swedish_excel_and_respects_suppression():
    poll = answered_poll()
    rows = csv_rows(exported(poll, "aggregates", "csv", by="sektor"), delimiter=";")
    assert rows[0][:4] == ["fråga", "frågetext", "påstående", "grupp"]
    privat = [r for r in rows if r[3] == "Privat"]
    assert privat and all(r[6] == "" and "visas inte" in r[12] for r in privat)
    kommun = [r for r in rows if r[3] == "Kommun" and r[5] == "andel (%)"]
    assert kommun and all("," in r[6] or r[6].isdigit() for r in kommun)


def test_an_editor_may_not_export_microdata(client):
    poll = answered_poll()
    client.force_login(staff_user("Editor"))
    url = reverse("poll-exports", args=[poll.slug])
    assert client.get(url).status_code == 200
    response = client.post(url, {"kind": "microdata", "format": "sav"})
    assert response.status_code == 403
    assert not ExportJob.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_export_runs_on_the_worker_is_downloaded_and_audited(celery_worker, client):
    poll = answered_poll()
    admin = staff_user("Admin")
    client.force_login(admin)
    response = client.post(
        reverse("poll-exports", args=[poll.slug]), {"kind": "microdata", "format": "xlsx"}
    )
    job = ExportJob.objects.get()
    assert response["Location"] == reverse("export-job", args=[job.pk])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not job.finished:
        time.sleep(0.3)
        job.refresh_from_db()
    assert job.status == "done", job.error
    page = client.get(reverse("export-job", args=[job.pk])).content.decode()
    assert reverse("export-download", args=[job.pk]) in page
    download = client.get(reverse("export-download", args=[job.pk]))
    book = openpyxl.load_workbook(io.BytesIO(download.content))
    assert book.worksheets[0].max_row == len(SECTORS) + 1
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", "actor_id"))
    assert ("export.requested", admin.pk) in actions and ("export.downloaded", admin.pk) in actions
    # an editor cannot download it
    client.force_login(staff_user("Editor"))
    assert client.get(reverse("export-download", args=[job.pk])).status_code == 403
