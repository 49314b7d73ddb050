"""Exports: the statistician's microdata (CSV, XLSX, SPSS .sav) with weights and labels, the
tables for Excel, the codebook; never a formula that runs, never a column that leads back to a
member, never a cell small enough to recognise someone; run on the worker, audited, and for the
Admin role when row-level."""

from __future__ import annotations

import csv
import io
import random

import pyreadstat
import pytest

from polls.conditions import condition_set
from polls.models import Answer, Question, Response
from respondents.models import Member
from results.exports.jobs import export_run
from tests.factories import (
    RegisterFactory,
    every_kind_poll,
    question_with_options,
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
