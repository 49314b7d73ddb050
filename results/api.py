"""The results API: a poll's estimates as JSON, for the live dashboard and the unions' own tools.

`GET /api/v1/polls/<slug>/results/?by=&weights=&weight_by=&ci=&level=`

Permission: staff with the Editor or Admin role (superusers too). Results are not published yet,
so every poll's results are for staff only; once result pages can be published, their polls'
results may open up here. The OpenAPI schema (`/api/v1/schema/`) is for the same staff.

The payload is built as plain dicts (`results_payload`); the serializers below describe it for
the schema (tests/test_results_api.py holds the two together). Numbers that JSON cannot carry
(an infinite effective sample size of a census, an undefined design effect) are null. A poll
without a register (an open link) is no random sample: its shares come without standard errors,
intervals or margins of error, and `random_sample` is false with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from polls.models import Poll
from staff.access import IsEditorOrAdmin, reach

from .caching import cached_poll_results, cached_representativeness
from .coding import coded_question_results
from .estimation import (
    WEIGHTINGS,
    GroupDifference,
    OptionResult,
    PollResults,
    QuestionResult,
    ResultParams,
    ResultsError,
    Table,
    resolve_params,
)
from .representativeness import Representativeness
from .stats.design import MeanEstimate
from .stats.proportions import METHODS

__all__ = ["IsEditorOrAdmin", "PollResultsView", "results_payload"]

PARAMETERS = ("by", "weights", "weight_by", "ci", "level")
ALLOWED_PARAMETERS = {*PARAMETERS, "format"}


# --------------------------------------------------------------------------- payload


def _number(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def _difference(difference: GroupDifference | None, random_sample: bool) -> dict | None:
    if difference is None or not random_sample:
        return None
    return {
        "versus_share": _number(difference.versus_share),
        "difference": _number(difference.difference),
        "se": _number(difference.se),
        "p_value": _number(difference.p_value),
        "p_adjusted": _number(difference.p_adjusted),
        "significant": difference.significant,
        "note": None
        if difference.significant
        else _("The difference is within the margin of error"),
    }


def _mean(mean: MeanEstimate | None, random_sample: bool) -> dict | None:
    if mean is None:
        return None
    sampled = random_sample
    return {
        "mean": _number(mean.mean),
        "se": _number(mean.se) if sampled else None,
        "ci_low": _number(mean.ci_low) if sampled else None,
        "ci_high": _number(mean.ci_high) if sampled else None,
        "moe": _number(mean.moe) if sampled else None,
        "n": mean.n,
        "deff": _number(mean.deff) if sampled else None,
    }


def _option(option: OptionResult, random_sample: bool) -> dict[str, Any]:
    e = option.estimate
    sampled = random_sample and e is not None
    return {
        "code": option.code,
        "label": option.label,
        "is_dont_know": option.is_dont_know,
        "point": option.point,
        "count": _number(e.count) if e else None,
        "respondents": e.respondents if e else None,
        "share": _number(e.share) if e else None,
        "se": _number(e.se) if sampled and e else None,
        "ci_low": _number(e.ci_low) if sampled and e else None,
        "ci_high": _number(e.ci_high) if sampled and e else None,
        "moe_pp": _number(e.moe_pp) if sampled and e else None,
        "n": e.n if e else None,
        "n_effective": _number(e.n_effective) if sampled and e else None,
        "deff": _number(e.deff) if sampled and e else None,
        "difference": _difference(option.difference, random_sample),
        "mean_rank": _mean(option.mean_rank, random_sample),
        "mean_rank_difference": _difference(option.mean_rank_difference, random_sample),
    }


def _table(table: Table, random_sample: bool) -> dict[str, Any]:
    return {
        "n": None if table.suppressed else table.n,
        "n_effective": _number(table.n_effective),
        "deff": _number(table.deff),
        "suppressed": table.suppressed,
        "options": [_option(o, random_sample) for o in table.options],
        "mean": _mean(table.mean, random_sample),
        "mean_difference": _difference(table.mean_difference, random_sample),
    }


def _coded(question, random_sample: bool) -> dict[str, Any] | None:
    """An open question whose answers have codes: each code's share of those who answered."""
    if question.kind != "text" or not question.answer_codes.exists():
        return None
    report = coded_question_results(question)
    suppressed = report.n_answered < question.poll.min_cell_size
    codes = []
    for r in [] if suppressed else report.codes:
        e = r.estimate
        codes.append(
            {
                "label": r.code.label,
                "count": e.count,
                "share": e.share,
                "se": e.se if random_sample else None,
                "ci_low": e.ci_low if random_sample else None,
                "ci_high": e.ci_high if random_sample else None,
                "moe_pp": e.moe_pp if random_sample else None,
            }
        )
    return {
        "n_answered": report.n_answered,
        "n_coded": report.n_coded,
        "suppressed": suppressed,
        "codes": codes,
    }


def _question(q: QuestionResult, random_sample: bool) -> dict[str, Any]:
    return {
        "coded": _coded(q.question, random_sample),
        "code": q.question.code,
        "kind": q.question.kind,
        "text": q.question.text,
        "n": q.n,
        "dont_know_excluded": q.dont_know_excluded,
        "dont_know_n": q.dont_know_n,
        "total": _table(q.total, random_sample) if q.total is not None else None,
        "groups": [{"group": g.group, **_table(g.table, random_sample)} for g in q.groups],
        "rows": [
            {
                "code": r.row.code,
                "text": r.row.text,
                "total": _table(r.total, random_sample),
                "groups": [{"group": g.group, **_table(g.table, random_sample)} for g in r.groups],
            }
            for r in q.rows
        ],
    }


def _representativeness(rep: Representativeness | None) -> dict[str, Any] | None:
    if rep is None:
        return None
    return {
        "weights": rep.weights,
        "weight_by": list(rep.weight_by),
        "register": rep.register,
        "sample": rep.sample,
        "respondents": rep.respondents,
        "variables": [
            {
                "variable": v.variable,
                "levels": [
                    {
                        "value": level.value,
                        "register": level.register,
                        "register_share": _number(level.register_share),
                        "sample": level.sample,
                        "sample_share": _number(level.sample_share),
                        "respondents": level.respondents,
                        "respondent_share": _number(level.respondent_share),
                        "weighted_share": _number(level.weighted_share),
                        "response_rate": _number(level.response_rate),
                    }
                    for level in v.levels
                ],
            }
            for v in rep.variables
        ],
    }


def results_payload(
    results: PollResults, representativeness: Representativeness | None = None
) -> dict[str, Any]:
    """The API's JSON for `results` (in the active language)."""
    params = results.params
    sampled = results.random_sample
    weights = results.weights
    return {
        "poll": {"slug": results.poll.slug, "title": results.poll.title},
        "n_responses": results.n_responses,
        "population": results.population,
        "random_sample": sampled,
        "no_margin_reason": None
        if sampled
        else _(
            "The poll has no register: its respondents are not a random sample (an open "
            "link), so no margin of error can be given."
        ),
        "moe_range_pp": list(results.moe_range) if results.moe_range and sampled else None,
        "level": params.level,
        "ci": params.ci,
        "by": params.by,
        "dont_know": params.dont_know,
        "weights": {
            "method": weights.method,
            "variables": list(weights.variables),
            "n_effective": _number(weights.n_effective),
            "deff": _number(weights.deff),
            "smallest": _number(weights.smallest),
            "largest": _number(weights.largest),
        },
        "groups": [
            {"group": g.group, "n": g.n, "suppressed": g.suppressed} for g in results.groups
        ],
        "questions": [_question(q, sampled) for q in results.questions],
        "representativeness": _representativeness(representativeness),
    }


# --------------------------------------------------------------------------- parameters


def request_params(poll: Poll, query: Mapping[str, str]) -> ResultParams:
    """The query's parameters, checked; raises `ResultsError` naming the bad one."""
    unknown = sorted(set(query) - ALLOWED_PARAMETERS)
    if unknown:
        raise ResultsError(
            _("Unknown parameter(s) %(names)s: use %(allowed)s.")
            % {"names": ", ".join(unknown), "allowed": ", ".join(PARAMETERS)},
            param=unknown[0],
        )
    level = None
    if query.get("level", "") != "":
        try:
            level = float(query["level"].replace(",", "."))
        except ValueError:
            raise ResultsError(
                _("The confidence level must be a number from 0.5 to 0.999, e.g. 0.95."),
                param="level",
            ) from None
        if not math.isfinite(level):
            raise ResultsError(
                _("The confidence level must be a number from 0.5 to 0.999, e.g. 0.95."),
                param="level",
            )
    weight_by = None
    if "weight_by" in query:
        weight_by = [name.strip() for name in query["weight_by"].split(",") if name.strip()]
        if query.get("weights", "") in ("", "none") and weight_by:
            raise ResultsError(
                _("weight_by needs a weighting: add weights=poststrat or weights=rake."),
                param="weight_by",
            )
    return resolve_params(
        poll,
        by=query.get("by") or None,
        weights=query.get("weights") or None,
        weight_by=weight_by,
        ci=query.get("ci") or None,
        level=level,
    )


# --------------------------------------------------------------------------- schema


def _nullable_float() -> serializers.FloatField:
    return serializers.FloatField(allow_null=True)


class DifferenceSerializer(serializers.Serializer):
    """A group against the rest of the respondents: z test, Holm-adjusted over the groups."""

    versus_share = _nullable_float()
    difference = _nullable_float()
    se = _nullable_float()
    p_value = _nullable_float()
    p_adjusted = _nullable_float()
    significant = serializers.BooleanField()
    note = serializers.CharField(
        allow_null=True,
        help_text="“The difference is within the margin of error” when not significant.",
    )


class MeanSerializer(serializers.Serializer):
    mean = _nullable_float()
    se = _nullable_float()
    ci_low = _nullable_float()
    ci_high = _nullable_float()
    moe = _nullable_float()
    n = serializers.IntegerField()
    deff = _nullable_float()


class OptionSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    is_dont_know = serializers.BooleanField()
    point = serializers.IntegerField(allow_null=True, help_text="The scale point, for scales.")
    count = serializers.FloatField(allow_null=True, help_text="Weighted count, scaled to n.")
    respondents = serializers.IntegerField(allow_null=True)
    share = _nullable_float()
    se = _nullable_float()
    ci_low = _nullable_float()
    ci_high = _nullable_float()
    moe_pp = serializers.FloatField(allow_null=True, help_text="Margin of error, in points.")
    n = serializers.IntegerField(allow_null=True)
    n_effective = _nullable_float()
    deff = _nullable_float()
    difference = DifferenceSerializer(allow_null=True)
    mean_rank = MeanSerializer(allow_null=True, help_text="Ranking: the mean place.")
    mean_rank_difference = DifferenceSerializer(allow_null=True)


class TableSerializer(serializers.Serializer):
    n = serializers.IntegerField(allow_null=True, help_text="Null when suppressed.")
    n_effective = _nullable_float()
    deff = serializers.FloatField(allow_null=True, help_text="Kish's, of the weights.")
    suppressed = serializers.BooleanField()
    options = OptionSerializer(many=True)
    mean = MeanSerializer(allow_null=True)
    mean_difference = DifferenceSerializer(allow_null=True)


class GroupTableSerializer(TableSerializer):
    group = serializers.CharField()


class RowSerializer(serializers.Serializer):
    code = serializers.CharField()
    text = serializers.CharField()
    total = TableSerializer()
    groups = GroupTableSerializer(many=True)


class CodeShareSerializer(serializers.Serializer):
    label = serializers.CharField()
    count = serializers.FloatField()
    share = serializers.FloatField(help_text="Of the members who answered the open question.")
    se = _nullable_float()
    ci_low = _nullable_float()
    ci_high = _nullable_float()
    moe_pp = _nullable_float()


class CodedSerializer(serializers.Serializer):
    n_answered = serializers.IntegerField()
    n_coded = serializers.IntegerField()
    suppressed = serializers.BooleanField()
    codes = CodeShareSerializer(many=True, help_text="Largest share first.")


class QuestionSerializer(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.CharField()
    text = serializers.CharField()
    n = serializers.IntegerField()
    dont_know_excluded = serializers.BooleanField()
    dont_know_n = serializers.IntegerField()
    total = TableSerializer(allow_null=True, help_text="Null for texts and grids.")
    groups = GroupTableSerializer(many=True)
    rows = RowSerializer(many=True, help_text="Grid statements.")
    coded = CodedSerializer(
        allow_null=True, help_text="Open questions with codes: a ranked list of codes."
    )


class WeightsSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=WEIGHTINGS)
    variables = serializers.ListField(child=serializers.CharField())
    n_effective = _nullable_float()
    deff = _nullable_float()
    smallest = _nullable_float()
    largest = _nullable_float()


class GroupInfoSerializer(serializers.Serializer):
    group = serializers.CharField()
    n = serializers.IntegerField(allow_null=True)
    suppressed = serializers.BooleanField()


class LevelSerializer(serializers.Serializer):
    value = serializers.CharField()
    register = serializers.IntegerField(allow_null=True)
    register_share = _nullable_float()
    sample = serializers.IntegerField(allow_null=True)
    sample_share = _nullable_float()
    respondents = serializers.IntegerField()
    respondent_share = _nullable_float()
    weighted_share = _nullable_float()
    response_rate = _nullable_float()


class VariableSerializer(serializers.Serializer):
    variable = serializers.CharField()
    levels = LevelSerializer(many=True)


class RepresentativenessSerializer(serializers.Serializer):
    weights = serializers.CharField()
    weight_by = serializers.ListField(child=serializers.CharField())
    register = serializers.IntegerField(allow_null=True)
    sample = serializers.IntegerField(allow_null=True)
    respondents = serializers.IntegerField()
    variables = VariableSerializer(many=True)


class PollResultsSerializer(serializers.Serializer):
    poll = inline_serializer(
        "PollRef", {"slug": serializers.CharField(), "title": serializers.CharField()}
    )
    n_responses = serializers.IntegerField()
    population = serializers.IntegerField(allow_null=True)
    random_sample = serializers.BooleanField()
    no_margin_reason = serializers.CharField(allow_null=True)
    moe_range_pp = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    level = serializers.FloatField()
    ci = serializers.ChoiceField(choices=METHODS)
    by = serializers.CharField(allow_null=True)
    dont_know = serializers.CharField()
    weights = WeightsSerializer()
    groups = GroupInfoSerializer(many=True)
    questions = QuestionSerializer(many=True)
    representativeness = RepresentativenessSerializer(allow_null=True)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    param = serializers.CharField(allow_null=True, required=False)


# --------------------------------------------------------------------------- view


class PollResultsView(APIView):
    """Permission: Editor or Admin. A poll's estimates, its breakdown and representativeness."""

    permission_classes = [IsEditorOrAdmin]

    @extend_schema(
        operation_id="poll_results",
        summary="A poll's estimates with their margins of error",
        parameters=[
            OpenApiParameter(
                "by", OpenApiTypes.STR, description="A reporting variable to break down by."
            ),
            OpenApiParameter("weights", OpenApiTypes.STR, enum=list(WEIGHTINGS)),
            OpenApiParameter(
                "weight_by",
                OpenApiTypes.STR,
                description="Comma-separated reporting variables to weight to the register.",
            ),
            OpenApiParameter("ci", OpenApiTypes.STR, enum=list(METHODS)),
            OpenApiParameter(
                "level", OpenApiTypes.FLOAT, description="Confidence level, 0.5 to 0.999."
            ),
        ],
        responses={
            200: PollResultsSerializer,
            400: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
        },
    )
    def get(self, request: Request, slug: str) -> Response:
        poll = reach(request.user, Poll.objects.select_related("register"), slug=slug)
        try:
            params = request_params(poll, request.query_params)
            results = cached_poll_results(poll=poll, params=params)
            representativeness = cached_representativeness(poll=poll, params=params)
        except ResultsError as error:
            return Response({"detail": error.message, "param": error.param}, status=400)
        return Response(results_payload(results, representativeness))
