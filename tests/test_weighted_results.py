"""The estimation engine (`results.estimation`) against `results.stats`, respondent by respondent.

The engine counts answers per profile in the database and computes from those counts; here the
same poll is expanded to one row per respondent and estimated with `Design`, `share_estimates`,
`mean_estimate` and `compare_breakdown` (which tests/test_estimation_engine.py holds to R's survey
package). Every kind of question, unweighted, post-stratified and raked, overall and by group.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone, translation

from polls.models import Answer, Question, Response
from respondents.models import Member
from results.estimation import (
    ResultsError,
    load_poll_data,
    poll_design,
    poll_questions,
    poll_results,
    resolve_params,
)
from results.models import ResultSettings
from results.stats import Design, compare_breakdown, mean_estimate, share_estimates, suppress
from tests.factories import PollFactory, QuestionFactory, RegisterFactory, question_with_options

REGISTER_CELLS = {
    ("Kommun", "Nord"): 400,
    ("Kommun", "Syd"): 300,
    ("Region", "Nord"): 150,
    ("Region", "Syd"): 100,
    ("Stat", "Nord"): 30,
    ("Stat", "Syd"): 20,
}
SAMPLE_CELLS = {
    ("Kommun", "Nord"): 50,
    ("Kommun", "Syd"): 40,
    ("Region", "Nord"): 35,
    ("Region", "Syd"): 25,
    ("Stat", "Nord"): 12,
    ("Stat", "Syd"): 8,
}
YES = {"Kommun": 0.6, "Region": 0.4, "Stat": 0.2}
DONT_KNOW = ("vet_ej", "Vet ej", "Don't know", {"is_dont_know": True})


@dataclass
class Seeded:
    poll: object
    questions: dict[str, Question]
    people: list[dict] = field(default_factory=list)  # one per respondent: attributes, answers

    @property
    def n(self) -> int:
        return len(self.people)

    def labels(self, name: str) -> np.ndarray:
        return np.array([p[name] for p in self.people], dtype=object)


def make_register(cells: dict[tuple[str, str], int]):
    register = RegisterFactory(variables=["sektor", "region"])
    Member.objects.bulk_create(
        Member(
            register=register,
            number=f"{sektor[0]}{region[0]}{i}",
            attributes={"sektor": sektor, "region": region},
        )
        for (sektor, region), count in cells.items()
        for i in range(count)
    )
    return register


def make_questions(poll) -> dict[str, Question]:
    kind = Question.Kind
    return {
        "enig": question_with_options(
            poll, kind.SINGLE, [("ja", "Ja", "Yes"), ("nej", "Nej", "No"), DONT_KNOW], code="enig"
        ),
        "atgarder": question_with_options(
            poll,
            kind.MULTIPLE,
            [
                ("tid", "Mer tid", "More time"),
                ("resurser", "Resurser", "Resources"),
                ("admin", "Mindre administration", "Less administration"),
                ("vet_ej", "Vet ej", "Don't know", {"is_dont_know": True, "exclusive": True}),
            ],
            code="atgarder",
        ),
        "nojd": question_with_options(
            poll, kind.SCALE, [DONT_KNOW], code="nojd", scale_min=1, scale_max=5
        ),
        "arenden": QuestionFactory(
            poll=poll, kind=kind.NUMBER, code="arenden", number_min=0, number_max=500
        ),
        "prioritet": question_with_options(
            poll,
            kind.RANKING,
            [
                ("lon", "Lön", "Pay"),
                ("miljo", "Miljö", "Environment"),
                ("tid", "Tid", "Time"),
                ("pension", "Pension", "Pension"),
            ],
            code="prioritet",
            max_choices=3,
        ),
        "pastaenden": question_with_options(
            poll,
            kind.GRID,
            [("helt", "Helt", "Fully"), ("delvis", "Delvis", "Partly"), DONT_KNOW],
            rows=[("Rimlig arbetsbelastning", "Workload"), ("Stöd av chef", "Support")],
            code="pastaenden",
        ),
        "kommentar": QuestionFactory(poll=poll, kind=kind.TEXT, code="kommentar", required=False),
    }


def person(rng: np.random.Generator, sektor: str, region: str) -> dict:
    yes = YES[sektor]
    p: dict = {"sektor": sektor, "region": region}
    draw = rng.random()
    if draw < 0.08:
        p["enig"] = None  # skipped
    elif draw < 0.16:
        p["enig"] = "vet_ej"
    else:
        p["enig"] = "ja" if rng.random() < yes else "nej"
    if rng.random() < 0.05:
        p["atgarder"] = None
    elif rng.random() < 0.07:
        p["atgarder"] = ["vet_ej"]
    else:
        ticked = [
            c for c, q in (("tid", yes), ("resurser", 0.5), ("admin", 0.3)) if rng.random() < q
        ]
        p["atgarder"] = ticked or ["tid"]
    draw = rng.random()
    p["nojd"] = None if draw < 0.04 else "vet_ej" if draw < 0.12 else int(rng.integers(1, 6))
    p["arenden"] = None if rng.random() < 0.1 else int(rng.integers(0, 60) + 40 * yes)
    order = [str(code) for code in rng.permutation(["lon", "miljo", "tid", "pension"])]
    p["prioritet"] = None if rng.random() < 0.05 else order[:3]
    p["pastaenden"] = {row: str(rng.choice(["helt", "delvis", "vet_ej"])) for row in ("r0", "r1")}
    p["kommentar"] = "Mer tid" if rng.random() < 0.3 else None
    return p


def seeded_poll(
    *,
    cells: dict[tuple[str, str], int] = SAMPLE_CELLS,
    register_cells: dict[tuple[str, str], int] | None = REGISTER_CELLS,
    seed: int = 7,
    **poll_fields,
) -> Seeded:
    """A poll of every question kind from a register of 1,000 (`register_cells`; None: an open
    link), answered by `cells` respondents per (sector, region), Stat oversampled."""
    register = make_register(register_cells) if register_cells is not None else None
    poll = PollFactory(register=register, reporting_variables=["sektor", "region"], **poll_fields)
    seeded = Seeded(poll=poll, questions=make_questions(poll))
    rng = np.random.default_rng(seed)
    for (sektor, region), count in cells.items():
        seeded.people += [person(rng, sektor, region) for _i in range(count)]
    save_people(seeded, seeded.people)
    return seeded


def save_people(seeded: Seeded, people: list[dict]) -> None:
    qs = seeded.questions
    options = {code: {o.code: o for o in q.options.all()} for code, q in qs.items()}
    rows = {r.code: r for r in qs["pastaenden"].rows.all()}
    responses, answers = [], []
    today = timezone.localdate()
    for p in people:
        response = Response(
            poll=seeded.poll,
            submitted_on=today,
            attributes={"sektor": p["sektor"], "region": p["region"]},
        )
        responses.append(response)

        def add(code, response=response, **fields):
            answers.append(Answer(response=response, question=qs[code], **fields))

        if p["enig"]:
            add("enig", option=options["enig"][p["enig"]])
        for code in p["atgarder"] or []:
            add("atgarder", option=options["atgarder"][code])
        if p["nojd"] == "vet_ej":
            add("nojd", option=options["nojd"]["vet_ej"])
        elif p["nojd"] is not None:
            add("nojd", value=Decimal(p["nojd"]))
        if p["arenden"] is not None:
            add("arenden", value=Decimal(p["arenden"]))
        for place, code in enumerate(p["prioritet"] or [], start=1):
            add("prioritet", option=options["prioritet"][code], rank=place)
        for row, code in p["pastaenden"].items():
            add("pastaenden", row=rows[row], option=options["pastaenden"][code])
        if p["kommentar"]:
            add("kommentar", text=p["kommentar"])
    Response.objects.bulk_create(responses)
    Answer.objects.bulk_create(answers)


# --------------------------------------------------------------------------- the oracle


def oracle_design(seeded: Seeded, weights: str, weight_by: tuple[str, ...]) -> Design:
    population = sum(REGISTER_CELLS.values())
    if weights == "none":
        return Design.srs(seeded.n, population)
    if weights == "poststrat":
        labels = [tuple(p[name] for name in weight_by) for p in seeded.people]
        cells: dict = {}
        for cell, count in REGISTER_CELLS.items():
            key = tuple(dict(zip(("sektor", "region"), cell, strict=True))[n] for n in weight_by)
            cells[key] = cells.get(key, 0) + count
        return Design.poststratified(labels, cells)
    margins = {name: seeded.labels(name) for name in weight_by}
    targets: dict = {name: {} for name in weight_by}
    for cell, count in REGISTER_CELLS.items():
        values = dict(zip(("sektor", "region"), cell, strict=True))
        for name in weight_by:
            targets[name][values[name]] = targets[name].get(values[name], 0) + count
    return Design.raked(margins, targets)


def same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return a == pytest.approx(b, rel=1e-8, abs=1e-12)


def assert_shares(engine, oracle) -> None:
    assert len(engine) == len(oracle)
    for option, expected in zip(engine, oracle, strict=True):
        e = option.estimate
        for name in ("share", "se", "ci_low", "ci_high", "count", "n_effective", "deff"):
            assert same(getattr(e, name), getattr(expected, name)), (option.code, name)
        assert (e.n, e.respondents) == (expected.n, expected.respondents), option.code


def assert_mean(engine, expected) -> None:
    for name in ("mean", "se", "ci_low", "ci_high", "moe", "deff"):
        assert same(getattr(engine, name), getattr(expected, name)), name
    assert engine.n == expected.n


def indicators(values: list, codes: list[str]) -> np.ndarray:
    return np.array([[v == c for c in codes] for v in values], dtype=float)


def check_breakdown(design, result_groups, y_columns, domain, groups, codes, level, threshold):
    """Each shown group's estimates and its comparison with the rest, against the stats."""
    present = sorted({g for g, inside in zip(groups, domain, strict=True) if inside})
    n_by_group = {g: int(((groups == g) & domain).sum()) for g in present}
    hidden = suppress(n_by_group, threshold)
    tables = {g.group: g.table for g in result_groups}
    for g in present:
        assert tables[g].suppressed == (g in hidden)
    for j, code in enumerate(codes):
        comparisons = {
            c.group: c
            for c in compare_breakdown(
                design, y_columns[:, j], groups, domain=domain, hidden=hidden, level=level
            )
        }
        for g in present:
            if g in hidden:
                continue
            expected = share_estimates(design, y_columns, domain & (groups == g), level=level)
            assert_shares(tables[g].options, expected)
            difference = tables[g].options[j].difference
            assert difference.p_adjusted == pytest.approx(comparisons[g].p_adjusted, rel=1e-7)
            assert difference.significant == comparisons[g].significant, (code, g)


WEIGHTINGS = [
    ("none", ()),
    ("poststrat", ("sektor",)),
    ("poststrat", ("sektor", "region")),
    ("rake", ("sektor", "region")),
]


@pytest.mark.parametrize(("weights", "weight_by"), WEIGHTINGS)
@pytest.mark.parametrize("dont_know", ["include", "exclude"])
def test_every_kind_matches_the_survey_estimators(db, weights, weight_by, dont_know):
    seeded = seeded_poll()
    ResultSettings.objects.create(poll=seeded.poll, dont_know=dont_know)
    results = poll_results(poll=seeded.poll, by="sektor", weights=weights, weight_by=weight_by)
    design = oracle_design(seeded, weights, weight_by)
    by_code = {q.question.code: q for q in results.questions}
    people = seeded.people
    sektor = seeded.labels("sektor")
    level, threshold = 0.95, seeded.poll.min_cell_size
    excluded = dont_know == "exclude"

    # single choice
    codes = ["ja", "nej"] + ([] if excluded else ["vet_ej"])
    answers = [p["enig"] for p in people]
    domain = np.array([a is not None and (a != "vet_ej" or not excluded) for a in answers])
    y = indicators(answers, codes)
    assert_shares(by_code["enig"].options, share_estimates(design, y, domain))
    assert by_code["enig"].dont_know_excluded == excluded
    check_breakdown(design, by_code["enig"].groups, y, domain, sektor, codes, level, threshold)

    # multiple choice: shares of the respondents
    codes = ["tid", "resurser", "admin"] + ([] if excluded else ["vet_ej"])
    ticked = [p["atgarder"] or [] for p in people]
    domain = np.array([bool(t) and not (excluded and "vet_ej" in t) for t in ticked], dtype=bool)
    y = np.array([[c in t for c in codes] for t in ticked], dtype=float)
    assert_shares(by_code["atgarder"].options, share_estimates(design, y, domain))
    check_breakdown(design, by_code["atgarder"].groups, y, domain, sektor, codes, level, threshold)

    # scale: shares of the points (and "Vet ej"), the mean of the points only
    codes = [1, 2, 3, 4, 5] + ([] if excluded else ["vet_ej"])
    answers = [p["nojd"] for p in people]
    domain = np.array([a is not None and (a != "vet_ej" or not excluded) for a in answers])
    y = indicators(answers, codes)
    assert_shares(by_code["nojd"].options, share_estimates(design, y, domain))
    valued = np.array([isinstance(a, int) for a in answers])
    values = np.array([a if isinstance(a, int) else 0 for a in answers], dtype=float)
    assert_mean(by_code["nojd"].total.mean, mean_estimate(design, values, valued))
    for g in ("Kommun", "Region", "Stat"):
        table = next(t.table for t in by_code["nojd"].groups if t.group == g)
        assert_mean(table.mean, mean_estimate(design, values, valued & (sektor == g)))

    # number
    answers = [p["arenden"] for p in people]
    valued = np.array([a is not None for a in answers])
    values = np.array([a or 0 for a in answers], dtype=float)
    assert_mean(by_code["arenden"].total.mean, mean_estimate(design, values, valued))
    comparisons = {
        c.group: c for c in compare_breakdown(design, values, sektor, domain=valued, level=level)
    }
    for group in by_code["arenden"].groups:
        assert_mean(
            group.table.mean, mean_estimate(design, values, valued & (sektor == group.group))
        )
        assert group.table.mean_difference.p_adjusted == pytest.approx(
            comparisons[group.group].p_adjusted, rel=1e-7
        )

    # ranking: the share ranking each item first, and its mean place
    codes = ["lon", "miljo", "tid", "pension"]
    ranked = [p["prioritet"] or [] for p in people]
    domain = np.array([bool(r) for r in ranked])
    y = indicators([r[0] if r else None for r in ranked], codes)
    options = by_code["prioritet"].options
    assert_shares(options, share_estimates(design, y, domain))
    for option, code in zip(options, codes, strict=True):
        has = np.array([code in r for r in ranked])
        place = np.array([r.index(code) + 1 if code in r else 0 for r in ranked], dtype=float)
        assert_mean(option.mean_rank, mean_estimate(design, place, has))

    # grid: each statement like a single choice
    codes = ["helt", "delvis"] + ([] if excluded else ["vet_ej"])
    for row in by_code["pastaenden"].rows:
        answers = [p["pastaenden"][row.row.code] for p in people]
        domain = np.array([a != "vet_ej" or not excluded for a in answers])
        y = indicators(answers, codes)
        assert_shares(row.total.options, share_estimates(design, y, domain))
        check_breakdown(design, row.groups, y, domain, sektor, codes, level, threshold)

    # text: n only
    assert by_code["kommentar"].n == sum(1 for p in people if p["kommentar"])
    assert by_code["kommentar"].total is None


def test_unweighted_shares_are_the_textbook_formula(db):
    """Everyone rated the grid's statements: the shares are those of a simple random sample,
    se = sqrt((1 - n/N) p (1 - p) / (n - 1))."""
    seeded = seeded_poll()
    grid = next(q for q in poll_results(poll=seeded.poll).questions if q.rows)
    answered = [p["pastaenden"]["r0"] for p in seeded.people]
    n, population = len(answered), sum(REGISTER_CELLS.values())
    assert grid.rows[0].total.n == n
    for option in grid.rows[0].total.options:
        p = answered.count(option.code) / n
        se = math.sqrt((1 - n / population) * p * (1 - p) / (n - 1))
        assert option.estimate.share == pytest.approx(p)
        assert option.estimate.se == pytest.approx(se)
        assert option.estimate.moe_pp == pytest.approx(100 * 1.959964 * se, rel=1e-6)
        assert option.estimate.respondents == answered.count(option.code)
        assert option.estimate.n_effective == pytest.approx((n - 1) / (1 - n / population))


def test_the_poll_summary(db):
    seeded = seeded_poll()
    results = poll_results(poll=seeded.poll)
    assert results.n_responses == seeded.n
    assert results.population == sum(REGISTER_CELLS.values())
    assert results.weights.deff == pytest.approx(1.0)
    assert results.random_sample
    low, high = results.moe_range
    assert 0 < low < high < 20


def test_other_interval_methods_and_levels_reach_the_estimates(db):
    seeded = seeded_poll()
    design = oracle_design(seeded, "none", ())
    answers = [p["enig"] for p in seeded.people]
    domain = np.array([a is not None for a in answers])
    y = indicators(answers, ["ja", "nej", "vet_ej"])
    for ci, level in (("wald", 0.9), ("logit", 0.99)):
        results = poll_results(poll=seeded.poll, ci=ci, level=level)
        expected = share_estimates(design, y, domain, level=level, method=ci)
        assert_shares(results.questions[0].options, expected)


def weighted_cells(seeded: Seeded, weights: str, weight_by: list[str]) -> dict:
    params = resolve_params(seeded.poll, weights=weights, weight_by=weight_by)
    data = load_poll_data(seeded.poll, poll_questions(seeded.poll), profiles=True)
    design = poll_design(seeded.poll, data, params)
    totals: dict = {}
    for profile, size, weight in zip(data.profiles, data.sizes, design.weights, strict=True):
        cell = dict(zip(data.variables, profile, strict=True))
        key = (cell["sektor"], cell["region"])
        totals[key] = totals.get(key, 0.0) + size * weight
    return totals


def test_poststratified_weights_reproduce_the_register_cells(db):
    seeded = seeded_poll()
    totals = weighted_cells(seeded, "poststrat", ["sektor", "region"])
    assert totals == pytest.approx({cell: float(n) for cell, n in REGISTER_CELLS.items()})


def test_raked_weights_reproduce_the_register_margins(db):
    seeded = seeded_poll()
    totals = weighted_cells(seeded, "rake", ["sektor", "region"])
    for position, name in enumerate(("sektor", "region")):
        margin: dict = {}
        register: dict = {}
        for cell, total in totals.items():
            margin[cell[position]] = margin.get(cell[position], 0.0) + total
        for cell, count in REGISTER_CELLS.items():
            register[cell[position]] = register.get(cell[position], 0) + count
        assert margin == pytest.approx(register), name


def test_settings_decide_what_is_left_out_per_question(db):
    seeded = seeded_poll()
    ResultSettings.objects.create(
        poll=seeded.poll, dont_know="exclude", dont_know_by_question={"nojd": "include"}
    )
    by_code = {q.question.code: q for q in poll_results(poll=seeded.poll).questions}
    assert [o.code for o in by_code["enig"].options] == ["ja", "nej"]
    assert by_code["enig"].dont_know_n == sum(1 for p in seeded.people if p["enig"] == "vet_ej")
    assert by_code["enig"].total.n == sum(1 for p in seeded.people if p["enig"] in ("ja", "nej"))
    assert [o.code for o in by_code["nojd"].options][-1] == "vet_ej"


def test_a_non_exclusive_dont_know_takes_its_other_ticks_along(db):
    seeded = seeded_poll(cells={("Kommun", "Nord"): 20, ("Region", "Syd"): 20})
    question = seeded.questions["atgarder"]
    question.options.filter(code="vet_ej").update(exclusive=False)
    response = Response.objects.filter(poll=seeded.poll).first()
    Answer.objects.filter(response=response, question=question).delete()
    for code in ("tid", "vet_ej"):
        Answer.objects.create(
            response=response, question=question, option=question.options.get(code=code)
        )
    ResultSettings.objects.create(poll=seeded.poll, dont_know="exclude")
    result = next(
        q for q in poll_results(poll=seeded.poll).questions if q.question.code == "atgarder"
    )
    ticked = [
        set(
            Answer.objects.filter(response=r, question=question).values_list(
                "option__code", flat=True
            )
        )
        for r in Response.objects.filter(poll=seeded.poll)
    ]
    kept = [t for t in ticked if t and "vet_ej" not in t]
    assert result.total.n == len(kept)
    tid = next(o for o in result.options if o.code == "tid")
    assert tid.estimate.respondents == sum("tid" in t for t in kept)


def test_a_small_group_is_suppressed_with_its_complement(db):
    cells = {("Kommun", "Nord"): 40, ("Region", "Nord"): 12, ("Stat", "Nord"): 3}
    register = {("Kommun", "Nord"): 400, ("Region", "Nord"): 120, ("Stat", "Nord"): 30}
    seeded = seeded_poll(cells=cells, register_cells=register)
    results = poll_results(poll=seeded.poll, by="sektor")
    groups = {g.group: g for g in results.groups}
    assert groups["Stat"].suppressed and groups["Stat"].n is None
    # Stat could be worked out as the total less the others: the next smallest goes too
    assert groups["Region"].suppressed
    assert not groups["Kommun"].suppressed
    single = results.questions[0]
    tables = {g.group: g.table for g in single.groups}
    assert tables["Stat"].suppressed and tables["Stat"].options == []
    assert tables["Region"].suppressed and tables["Region"].options == []
    assert not tables["Kommun"].suppressed and tables["Kommun"].options
    assert single.total.options  # the total stays: two groups hide behind it


def test_a_single_group_hidden_hides_the_total_too(db):
    cells = {("Kommun", "Nord"): 40, ("Stat", "Nord"): 3}
    register = {("Kommun", "Nord"): 400, ("Stat", "Nord"): 30}
    seeded = seeded_poll(cells=cells, register_cells=register)
    # only the Stat respondents answered this one
    question = seeded.questions["enig"]
    Answer.objects.filter(question=question, response__attributes__sektor="Kommun").delete()
    result = poll_results(poll=seeded.poll, by="sektor").questions[0]
    assert result.total.suppressed and result.total.options == []


def test_a_clear_difference_is_significant_and_the_rest_within_the_margin_of_error(db):
    seeded = seeded_poll(
        cells={("Kommun", "Nord"): 60, ("Region", "Nord"): 60, ("Stat", "Nord"): 60},
        register_cells={("Kommun", "Nord"): 600, ("Region", "Nord"): 600, ("Stat", "Nord"): 600},
    )
    question = seeded.questions["enig"]
    yes, no = question.options.get(code="ja"), question.options.get(code="nej")
    Answer.objects.filter(question=question).delete()
    for i, response in enumerate(Response.objects.filter(poll=seeded.poll).order_by("pk")):
        sektor = response.attributes["sektor"]
        # Kommun: all yes; Region and Stat: alike, half and half
        choose_yes = sektor == "Kommun" or i % 2 == 0
        Answer.objects.create(
            response=response, question=question, option=yes if choose_yes else no
        )
    result = poll_results(poll=seeded.poll, by="sektor").questions[0]
    flags = {
        g.group: next(o for o in g.table.options if o.code == "ja").difference.significant
        for g in result.groups
    }
    assert flags["Kommun"] is True
    # Region and Stat are each compared with the rest, Kommun included: both differ too.
    within = poll_results(poll=seeded.poll, by="region").questions[0]
    assert len(within.groups) == 1 and within.groups[0].table.options[0].difference is None


def test_groups_that_do_not_differ_are_within_the_margin_of_error(db):
    seeded = seeded_poll(
        cells={("Kommun", "Nord"): 50, ("Kommun", "Syd"): 50},
        register_cells={("Kommun", "Nord"): 500, ("Kommun", "Syd"): 500},
    )
    question = seeded.questions["enig"]
    yes, no = question.options.get(code="ja"), question.options.get(code="nej")
    Answer.objects.filter(question=question).delete()
    # Half yes, half no within each region (response keys are random: alternate per group).
    seen: dict[str, int] = {}
    for response in Response.objects.filter(poll=seeded.poll).order_by("pk"):
        i = seen[response.attributes["region"]] = seen.get(response.attributes["region"], 0) + 1
        Answer.objects.create(response=response, question=question, option=yes if i % 2 else no)
    result = poll_results(poll=seeded.poll, by="region").questions[0]
    for group in result.groups:
        difference = group.table.options[0].difference
        assert difference is not None and difference.significant is False


def test_an_open_link_poll_has_no_margin_of_error(db):
    seeded = seeded_poll(register_cells=None)
    results = poll_results(poll=seeded.poll)
    assert results.random_sample is False
    assert results.no_sample_reason == "no_register"
    assert results.moe_range is None
    assert results.population is None
    with pytest.raises(ResultsError, match="register"):
        poll_results(poll=seeded.poll, weights="rake", weight_by=["sektor"])


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"by": "lan"}, "lan"),
        ({"weights": "rake", "weight_by": ["lan"]}, "lan"),
        ({"weights": "rake", "weight_by": []}, "weight_by"),
        ({"weights": "magic"}, "magic"),
        ({"ci": "exact"}, "exact"),
        ({"level": 1.5}, "0.5"),
    ],
)
def test_bad_parameters_are_results_errors(db, params, match):
    seeded = seeded_poll(cells={("Kommun", "Nord"): 5})
    with pytest.raises(ResultsError, match=match):
        poll_results(poll=seeded.poll, **params)


def test_a_register_cell_without_respondents_cannot_be_weighted(db):
    seeded = seeded_poll(cells={k: v for k, v in SAMPLE_CELLS.items() if k != ("Stat", "Syd")})
    with pytest.raises(ResultsError, match="Stat") as error:
        poll_results(poll=seeded.poll, weights="poststrat", weight_by=["sektor", "region"])
    assert "Syd" in str(error.value)


def test_a_cell_with_a_single_respondent_cannot_be_poststratified(db):
    cells = dict(SAMPLE_CELLS)
    cells[("Stat", "Syd")] = 1
    seeded = seeded_poll(cells=cells)
    with translation.override("en"), pytest.raises(ResultsError, match="single respondent"):
        poll_results(poll=seeded.poll, weights="poststrat", weight_by=["sektor", "region"])


def test_raking_that_cannot_converge_is_a_results_error(db):
    # Every Kommun respondent is in Nord, every Region one in Syd: no weights can give Kommun
    # half of the register and Nord 90 % of it.
    register = {("Kommun", "Nord"): 450, ("Kommun", "Syd"): 50, ("Region", "Nord"): 450}
    register[("Region", "Syd")] = 50
    seeded = seeded_poll(
        cells={("Kommun", "Nord"): 20, ("Region", "Syd"): 20}, register_cells=register
    )
    with pytest.raises(ResultsError, match="did not converge"):
        poll_results(poll=seeded.poll, weights="rake", weight_by=["sektor", "region"])


def test_a_poll_without_responses_has_empty_tables(db):
    seeded = seeded_poll(cells={})
    results = poll_results(poll=seeded.poll, by="sektor")
    assert results.n_responses == 0 and results.moe_range is None
    assert all(q.n == 0 for q in results.questions)


def test_the_answers_are_counted_in_one_query(db, django_assert_num_queries):
    seeded = seeded_poll()
    questions = poll_questions(seeded.poll)
    with django_assert_num_queries(1):
        data = load_poll_data(seeded.poll, questions, profiles=True)
    assert data.n == seeded.n
    assert len(data.profiles) == len(SAMPLE_CELLS)


# --------------------------------------------------------------------------- pairs, t intervals


def check_pairs(design, total_options, y_columns, domain, groups, codes, level, threshold):
    """Every pair of shown groups per option, against compare_breakdown(versus="pairwise")."""
    present = sorted({g for g, inside in zip(groups, domain, strict=True) if inside})
    hidden = suppress({g: int(((groups == g) & domain).sum()) for g in present}, threshold)
    for j, code in enumerate(codes):
        expected = {
            (c.group, c.versus): c
            for c in compare_breakdown(
                design,
                y_columns[:, j],
                groups,
                domain=domain,
                hidden=hidden,
                level=level,
                versus="pairwise",
            )
        }
        pairs = {(p.group, p.versus): p for p in total_options[j].pairs}
        assert pairs.keys() == expected.keys(), code
        for key, pair in pairs.items():
            want = expected[key]
            assert same(pair.difference, want.comparison.difference), (code, key)
            assert same(pair.se, want.comparison.se), (code, key)
            assert pair.p_value == pytest.approx(want.comparison.p_value, rel=1e-7)
            assert pair.p_adjusted == pytest.approx(want.p_adjusted, rel=1e-7)
            assert pair.significant == want.significant
            assert same(pair.share - pair.versus_share, pair.difference)


@pytest.mark.parametrize(("weights", "weight_by"), WEIGHTINGS)
def test_every_pair_of_groups_matches_the_survey_comparisons(db, weights, weight_by):
    seeded = seeded_poll()
    ResultSettings.objects.create(poll=seeded.poll, dont_know="exclude")
    results = poll_results(poll=seeded.poll, by="region", weights=weights, weight_by=weight_by)
    by_sector = poll_results(poll=seeded.poll, by="sektor", weights=weights, weight_by=weight_by)
    design = oracle_design(seeded, weights, weight_by)
    threshold = seeded.poll.min_cell_size
    for result, name in ((results, "region"), (by_sector, "sektor")):
        by_code = {q.question.code: q for q in result.questions}
        groups = seeded.labels(name)
        answers = [p["enig"] for p in seeded.people]
        domain = np.array([a in ("ja", "nej") for a in answers])
        y = indicators(answers, ["ja", "nej"])
        check_pairs(
            design, by_code["enig"].options, y, domain, groups, ["ja", "nej"], 0.95, threshold
        )
        codes = ["tid", "resurser", "admin"]
        ticked = [p["atgarder"] or [] for p in seeded.people]
        domain = np.array([bool(t) and "vet_ej" not in t for t in ticked])
        y = np.array([[c in t for c in codes] for t in ticked], dtype=float)
        check_pairs(design, by_code["atgarder"].options, y, domain, groups, codes, 0.95, threshold)
    # three sectors: three pairs per option; the means of a number question have theirs too
    by_code = {q.question.code: q for q in by_sector.questions}
    assert len(by_code["enig"].options[0].pairs) == 3
    answers = [p["arenden"] for p in seeded.people]
    valued = np.array([a is not None for a in answers])
    values = np.array([a or 0 for a in answers], dtype=float)
    expected = {
        (c.group, c.versus): c
        for c in compare_breakdown(
            design, values, seeded.labels("sektor"), domain=valued, versus="pairwise"
        )
    }
    mean_pairs = {(p.group, p.versus): p for p in by_code["arenden"].total.mean_pairs}
    assert mean_pairs.keys() == expected.keys()
    for key, pair in mean_pairs.items():
        assert same(pair.se, expected[key].comparison.se)
        assert pair.p_adjusted == pytest.approx(expected[key].p_adjusted, rel=1e-7)
    # Kommun (60 % ja) and Stat (20 %) differ clearly; the test is not idle
    ja = {(p.group, p.versus): p for p in by_code["enig"].options[0].pairs}
    assert ja[("Kommun", "Stat")].significant


@pytest.mark.parametrize(("weights", "weight_by"), WEIGHTINGS)
def test_t_based_intervals_reach_every_group(db, weights, weight_by):
    seeded = seeded_poll()
    ResultSettings.objects.create(poll=seeded.poll, ci_df="t")
    design = oracle_design(seeded, weights, weight_by)
    sektor = seeded.labels("sektor")
    for ci in ("wilson", "wald", "logit"):
        results = poll_results(
            poll=seeded.poll, by="sektor", weights=weights, weight_by=weight_by, ci=ci
        )
        assert results.params.ci_df == "t"
        enig = results.questions[0]
        answers = [p["enig"] for p in seeded.people]
        domain = np.array([a is not None for a in answers])
        y = indicators(answers, ["ja", "nej", "vet_ej"])
        expected = share_estimates(design, y, domain, method=ci, ci_df="t")
        assert_shares(enig.options, expected)
        assert enig.options[0].estimate.df == design.degrees_of_freedom(domain)
        for group in enig.groups:
            inside = domain & (sektor == group.group)
            expected = share_estimates(design, y, inside, method=ci, ci_df="t")
            assert_shares(group.table.options, expected)
            assert group.table.options[0].estimate.df == design.degrees_of_freedom(inside)
    arenden = next(q for q in results.questions if q.question.code == "arenden")
    answers = [p["arenden"] for p in seeded.people]
    valued = np.array([a is not None for a in answers])
    values = np.array([a or 0 for a in answers], dtype=float)
    assert_mean(arenden.total.mean, mean_estimate(design, values, valued, ci_df="t"))
    stat = next(g.table for g in arenden.groups if g.group == "Stat")
    normal = poll_results(
        poll=seeded.poll, by="sektor", weights=weights, weight_by=weight_by, ci_df="normal"
    )
    arenden_normal = next(q for q in normal.questions if q.question.code == "arenden")
    stat_normal = next(g.table for g in arenden_normal.groups if g.group == "Stat")
    # the smallest group's interval is wider with t, around the same mean
    assert stat.mean.mean == pytest.approx(stat_normal.mean.mean)
    assert stat.mean.ci_high - stat.mean.ci_low > stat_normal.mean.ci_high - stat_normal.mean.ci_low
