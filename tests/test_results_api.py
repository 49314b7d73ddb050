"""GET /api/v1/polls/<slug>/results/: shape, values, parameters, permissions, schema, cache."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from polls.models import Answer, Response
from results.api import PollResultsSerializer
from results.estimation import poll_results
from tests.factories import PollFactory, UserFactory, staff_user
from tests.test_weighted_results import REGISTER_CELLS, seeded_poll

OPTION_FIELDS = {"count", "share", "se", "ci_low", "ci_high", "moe_pp"}
TABLE_FIELDS = {"n", "n_effective", "deff", "suppressed"}


@pytest.fixture
def seeded(db):
    return seeded_poll()


@pytest.fixture
def editor_client(client, db):
    client.force_login(staff_user("Editor"))
    return client


def url(poll) -> str:
    return reverse("api-poll-results", args=[poll.slug])


def get(client, poll, **params):
    return client.get(url(poll), params)


def test_it_returns_every_question_with_the_engines_numbers(editor_client, seeded):
    response = get(editor_client, seeded.poll)
    assert response.status_code == 200
    body = response.json()
    results = poll_results(poll=seeded.poll)
    assert body["n_responses"] == seeded.n
    assert body["population"] == sum(REGISTER_CELLS.values())
    assert body["random_sample"] is True
    assert body["no_margin_reason"] is None
    assert body["moe_range_pp"] == pytest.approx(list(results.moe_range))
    assert body["weights"]["method"] == "none"
    assert body["weights"]["deff"] == pytest.approx(1.0)
    assert (body["level"], body["ci"], body["by"]) == (0.95, "wilson", None)
    questions = {q["code"]: q for q in body["questions"]}
    assert list(questions) == [q.question.code for q in results.questions]
    single = questions["enig"]
    assert single["kind"] == "single"
    assert set(single["total"]) >= TABLE_FIELDS
    for option, expected in zip(
        single["total"]["options"], results.questions[0].options, strict=True
    ):
        assert set(option) >= OPTION_FIELDS
        assert option["code"] == expected.code
        for name in OPTION_FIELDS:
            assert option[name] == pytest.approx(getattr(expected.estimate, name))
    assert questions["nojd"]["total"]["mean"]["mean"] == pytest.approx(
        results.questions[2].total.mean.mean
    )
    assert [r["code"] for r in questions["pastaenden"]["rows"]] == ["r0", "r1"]
    assert questions["pastaenden"]["total"] is None
    assert questions["prioritet"]["total"]["options"][0]["mean_rank"]["n"] > 0
    assert questions["kommentar"]["total"] is None and questions["kommentar"]["n"] > 0
    levels = {v["variable"]: v["levels"] for v in body["representativeness"]["variables"]}
    assert set(levels) == {"sektor", "region"}


def keys_of(serializer: serializers.Serializer) -> dict:
    """The nested field names a serializer declares (for many=True: of its child)."""
    shape = {}
    for name, declared in serializer.fields.items():
        if isinstance(declared, serializers.ListSerializer):
            declared = declared.child
        shape[name] = keys_of(declared) if isinstance(declared, serializers.Serializer) else None
    return shape


def assert_shape(value, shape, where="") -> None:
    if isinstance(value, list):
        for item in value:
            assert_shape(item, shape, where)
        return
    if value is None or shape is None:
        return
    assert set(value) == set(shape), where
    for name, inner in shape.items():
        assert_shape(value[name], inner, f"{where}.{name}")


def test_the_payload_has_the_shape_the_schema_states(editor_client, seeded):
    body = get(editor_client, seeded.poll, by="sektor", weights="rake", weight_by="sektor,region")
    assert body.status_code == 200
    assert_shape(body.json(), keys_of(PollResultsSerializer()))


def test_a_breakdown_gives_each_group_with_n_deff_and_differences(editor_client, seeded):
    body = get(editor_client, seeded.poll, by="sektor").json()
    assert body["by"] == "sektor"
    assert [g["group"] for g in body["groups"]] == ["Kommun", "Region", "Stat"]
    single = body["questions"][0]
    expected = poll_results(poll=seeded.poll, by="sektor").questions[0]
    for group, table in zip(single["groups"], expected.groups, strict=True):
        assert group["group"] == table.group
        assert set(group) >= TABLE_FIELDS
        assert group["n"] == table.table.n
        assert group["deff"] == pytest.approx(1.0)
        for option, estimate in zip(group["options"], table.table.options, strict=True):
            assert option["share"] == pytest.approx(estimate.estimate.share)
            assert option["difference"]["significant"] == estimate.difference.significant
            assert option["difference"]["p_adjusted"] == pytest.approx(
                estimate.difference.p_adjusted
            )
            note = option["difference"]["note"]
            assert (note is None) == estimate.difference.significant


def test_weighting_reaches_the_numbers(editor_client, seeded):
    body = get(editor_client, seeded.poll, weights="poststrat", weight_by="sektor").json()
    expected = poll_results(poll=seeded.poll, weights="poststrat", weight_by=["sektor"])
    assert body["weights"]["method"] == "poststrat"
    assert body["weights"]["variables"] == ["sektor"]
    assert body["weights"]["deff"] == pytest.approx(expected.weights.deff)
    assert body["weights"]["deff"] > 1
    share = body["questions"][0]["total"]["options"][0]["share"]
    assert share == pytest.approx(expected.questions[0].options[0].estimate.share)
    levels = {v["variable"]: v["levels"] for v in body["representativeness"]["variables"]}
    for level in levels["sektor"]:  # weighted to the register's sectors
        assert level["weighted_share"] == pytest.approx(level["register_share"])


def test_small_groups_are_suppressed_in_the_json(editor_client, db):
    cells = {("Kommun", "Nord"): 40, ("Region", "Nord"): 12, ("Stat", "Nord"): 3}
    register = {("Kommun", "Nord"): 400, ("Region", "Nord"): 120, ("Stat", "Nord"): 30}
    seeded = seeded_poll(cells=cells, register_cells=register)
    body = get(editor_client, seeded.poll, by="sektor").json()
    groups = {g["group"]: g for g in body["questions"][0]["groups"]}
    assert groups["Stat"] == {
        "group": "Stat",
        "n": None,
        "n_effective": None,
        "deff": None,
        "suppressed": True,
        "options": [],
        "mean": None,
        "mean_difference": None,
        "mean_pairs": [],
    }
    assert groups["Region"]["suppressed"] and groups["Region"]["options"] == []
    assert not groups["Kommun"]["suppressed"] and groups["Kommun"]["n"] > 0
    assert {g["group"]: g["suppressed"] for g in body["groups"]} == {
        "Kommun": False,
        "Region": True,
        "Stat": True,
    }


def test_an_open_link_poll_has_no_margins_of_error(editor_client, db):
    seeded = seeded_poll(register_cells=None)
    body = get(editor_client, seeded.poll, by="sektor").json()
    assert body["random_sample"] is False
    assert body["no_margin_reason"]
    assert body["moe_range_pp"] is None and body["population"] is None
    option = body["questions"][0]["total"]["options"][0]
    assert option["share"] is not None
    assert (option["se"], option["ci_low"], option["ci_high"], option["moe_pp"]) == (None,) * 4
    assert body["questions"][0]["groups"][0]["options"][0]["difference"] is None
    mean = body["questions"][2]["total"]["mean"]
    assert mean["mean"] is not None and mean["moe"] is None
    assert body["representativeness"]["register"] is None


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"by": "lan"}, "by"),
        ({"weights": "magic"}, "weights"),
        ({"weights": "rake"}, "weight_by"),
        ({"weights": "rake", "weight_by": "sektor,lan"}, "weight_by"),
        ({"weight_by": "sektor"}, "weight_by"),
        ({"ci": "exact"}, "ci"),
        ({"level": "abc"}, "level"),
        ({"level": "1.5"}, "level"),
        ({"level": "nan"}, "level"),
        ({"level": "0.2"}, "level"),
        ({"wieghts": "rake"}, "wieghts"),
    ],
)
def test_each_bad_parameter_is_a_400_with_a_reason(editor_client, seeded, params, param):
    response = get(editor_client, seeded.poll, **params)
    assert response.status_code == 400
    body = response.json()
    assert body["param"] == param
    assert len(body["detail"]) > 20


def test_weights_that_cannot_be_made_are_a_400_with_a_reason(editor_client, db):
    seeded = seeded_poll(
        cells={k: v for k, v in {("Kommun", "Nord"): 20, ("Region", "Syd"): 20}.items()},
        register_cells={
            ("Kommun", "Nord"): 450,
            ("Kommun", "Syd"): 50,
            ("Region", "Nord"): 450,
            ("Region", "Syd"): 50,
        },
    )
    empty_cell = get(editor_client, seeded.poll, weights="poststrat", weight_by="sektor,region")
    assert empty_cell.status_code == 400 and "Kommun" in empty_cell.json()["detail"]
    no_convergence = get(editor_client, seeded.poll, weights="rake", weight_by="sektor,region")
    assert no_convergence.status_code == 400
    assert "converge" in no_convergence.json()["detail"]


def test_an_unknown_poll_is_a_404(editor_client, db):
    assert editor_client.get("/api/v1/polls/finns-inte/results/").status_code == 404


def test_only_editors_and_admins_may_read_results(client, seeded):
    assert get(client, seeded.poll).status_code == 403
    client.force_login(UserFactory(is_staff=False))
    assert get(client, seeded.poll).status_code == 403
    client.force_login(UserFactory(is_staff=True))  # staff without a role
    assert get(client, seeded.poll).status_code == 403
    client.force_login(staff_user("Admin"))
    assert get(client, seeded.poll).status_code == 200
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert get(client, seeded.poll).status_code == 200


def test_an_unknown_poll_is_403_before_404_for_outsiders(client, db):
    assert client.get("/api/v1/polls/finns-inte/results/").status_code == 403


def test_the_schema_describes_the_endpoint_for_staff_only(client, db):
    assert client.get(reverse("api-schema")).status_code == 403
    client.force_login(staff_user("Editor"))
    response = client.get(reverse("api-schema"))
    assert response.status_code == 200
    schema = response.content.decode()
    assert "/api/v1/polls/{slug}/results/" in schema
    for name in ("moe_pp", "n_effective", "suppressed", "representativeness", "weight_by"):
        assert name in schema


def test_a_new_response_shows_at_once(client, transactional_db):
    """Real commits: the generation moves after the commit of a response saved or deleted."""
    seeded = seeded_poll(cells={("Kommun", "Nord"): 20, ("Stat", "Syd"): 10})
    client.force_login(staff_user("Editor"))
    assert get(client, seeded.poll).json()["n_responses"] == 30
    # served from the cache: a response written behind the signals' back is not seen...
    Response.objects.bulk_create(
        [Response(poll=seeded.poll, submitted_on=timezone.localdate(), attributes={})]
    )
    assert get(client, seeded.poll).json()["n_responses"] == 30
    # ...but one saved the ordinary way starts a new generation once it is committed
    with transaction.atomic():
        response = Response.objects.create(
            poll=seeded.poll,
            submitted_on=timezone.localdate(),
            attributes={"sektor": "Stat", "region": "Syd"},
        )
        question = seeded.questions["enig"]
        Answer.objects.create(
            response=response, question=question, option=question.options.get(code="ja")
        )
        assert get(client, seeded.poll).json()["n_responses"] == 30  # not committed yet
    assert get(client, seeded.poll).json()["n_responses"] == 32
    response.delete()
    assert get(client, seeded.poll).json()["n_responses"] == 31


def test_deleting_many_responses_queues_one_new_generation(db):
    from django.db import connection

    seeded = seeded_poll(cells={("Kommun", "Nord"): 20})
    Answer.objects.filter(response__poll=seeded.poll).delete()
    Response.objects.filter(poll=seeded.poll).delete()
    queued = [
        entry
        for entry in connection.run_on_commit
        if getattr(entry[1], "results_poll_id", None) == seeded.poll.pk
    ]
    assert len(queued) == 1


def test_result_settings_are_the_defaults_of_the_api(editor_client, seeded):
    from results.models import ResultSettings

    ResultSettings.objects.create(
        poll=seeded.poll, weighting="rake", weight_by=["sektor", "region"], ci_method="logit"
    )
    body = get(editor_client, seeded.poll).json()
    assert body["weights"]["method"] == "rake" and body["ci"] == "logit"
    body = get(editor_client, seeded.poll, weights="none").json()
    assert body["weights"]["method"] == "none"


def test_a_poll_without_responses(editor_client, db):
    poll = PollFactory()
    body = get(editor_client, poll).json()
    assert body["n_responses"] == 0 and body["moe_range_pp"] is None
