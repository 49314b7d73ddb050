"""The results API: a poll's estimates as JSON, for the live dashboard and the unions' own tools.

`GET /api/v1/polls/<slug>/results/?by=&weights=&weight_by=&ci=&level=`
(and `&ci_df=&dont_know=&dont_know_q=`)

`dont_know` (include or exclude) is the poll-wide "don't know" choice; `dont_know_q` sets it per
question as comma-separated `<question code>:<include|exclude>` pairs (`q3:exclude,q5:include`),
laid over the poll's result settings. `ci_df=t` takes Student's t quantile with the domain's
degrees of freedom (respondents in the domain minus strata) instead of the normal's.

Permission: staff with the Editor or Admin role (superusers too). Results are not published yet,
so every poll's results are for staff only; once result pages can be published, their polls'
results may open up here. The OpenAPI schema (`/api/v1/schema/`) is for the same staff.

The payload is what `results.presenting.present` shows, serialized by the output serializers
below (which are also the schema). Numbers that JSON cannot carry (an infinite effective sample
size of a census, an undefined design effect) are null. A poll without a register (an open
link) is no random sample: its shares come without standard errors, intervals or margins of
error, and `random_sample` is false with the reason. What to print as "±" is `plus_minus_pp`
(from the interval); `moe_pp` is 100 z SE, which is 0 at a share of 0 or 100 %.
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
from .estimation import WEIGHTINGS, PollResults, ResultParams, ResultsError, resolve_params
from .presenting import present
from .representativeness import Representativeness
from .stats.proportions import CI_DF, METHODS

__all__ = ["IsEditorOrAdmin", "PollResultsView", "results_payload"]

PARAMETERS = ("by", "weights", "weight_by", "ci", "level", "ci_df", "dont_know", "dont_know_q")

VARIANCE_TEXT = (
    "Variance by weighting: none: a simple random sample from the register (linearised, with "
    "the finite population correction 1 - n/N); poststrat: the weighting cells as strata with "
    "each cell's register count as its finite population correction (svydesign(strata = ~cell, "
    "fpc = ~N_cell)); rake: calibration (raking) from a simple random sample base with the "
    "overall finite population correction, the linearised variance of the calibration "
    "residuals (calibrate(..., calfun = 'raking')). Subgroups are domains of the whole design."
)
ALLOWED_PARAMETERS = {*PARAMETERS, "format"}


# --------------------------------------------------------------------------- payload


def results_payload(
    results: PollResults, representativeness: Representativeness | None = None
) -> dict[str, Any]:
    """The API's JSON for `results` (in the active language): what `results.presenting`
    shows, through the output serializers below."""
    return dict(PollResultsSerializer(present(results, representativeness)).data)


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
        ci_df=query.get("ci_df") or None,
        dont_know=query.get("dont_know") or None,
        dont_know_by_question=_dont_know_by_question(query.get("dont_know_q", "")),
    )


def _dont_know_by_question(text: str) -> dict[str, str] | None:
    """`q3:exclude,q5:include` as {code: choice}; a malformed item is a `ResultsError`."""
    choices: dict[str, str] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        code, sep, choice = item.partition(":")
        if not sep or not code.strip() or not choice.strip():
            raise ResultsError(
                _(
                    "dont_know_q takes comma-separated <question code>:<include or exclude>, "
                    "e.g. q3:exclude."
                ),
                param="dont_know_q",
            )
        choices[code.strip()] = choice.strip()
    return choices or None


# --------------------------------------------------------------------------- output


class FiniteFloatField(serializers.FloatField):
    """A float that JSON can carry: None (null) for a missing, infinite or undefined one."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> float | None:
        if value is None or not math.isfinite(value):
            return None
        return float(value)


def _nullable_float(**kwargs: Any) -> serializers.FloatField:
    return FiniteFloatField(**kwargs)


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


class PairSerializer(serializers.Serializer):
    """Two groups of the breakdown: design-based SE of the difference (covariance of the domain
    estimates included, as svyby(covmat = TRUE)), z test, Holm over every pair of groups."""

    group = serializers.CharField()
    versus = serializers.CharField()
    share = _nullable_float(help_text="The group's share (or mean).")
    versus_share = _nullable_float()
    difference = _nullable_float(help_text="share - versus_share")
    se = _nullable_float()
    p_value = _nullable_float(help_text="Raw two-sided p.")
    p_adjusted = _nullable_float(help_text="Holm-adjusted over the pairs of the breakdown.")
    significant = serializers.BooleanField(help_text="After Holm, at 1 - level.")
    note = serializers.CharField(
        help_text="“The difference is statistically significant” or “… within the margin of error”."
    )


class MeanSerializer(serializers.Serializer):
    mean = _nullable_float()
    se = _nullable_float()
    ci_low = _nullable_float(help_text="Null without a random sample or with one answer.")
    ci_high = _nullable_float()
    moe = _nullable_float(help_text="z × SE, in the variable's unit.")
    plus_minus = _nullable_float(
        help_text="What to print as ±: the larger distance from the mean to an interval end."
    )
    n = serializers.IntegerField()
    deff = _nullable_float()
    df = _nullable_float(help_text="Degrees of freedom of a t-based interval; null: normal.")
    too_few = serializers.BooleanField(help_text="One answer: no interval (not a zero-wide one).")


class OptionSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    is_dont_know = serializers.BooleanField()
    point = serializers.IntegerField(allow_null=True, help_text="The scale point, for scales.")
    count = _nullable_float(help_text="Weighted count, scaled to n.")
    respondents = serializers.IntegerField(allow_null=True)
    share = _nullable_float()
    se = _nullable_float()
    ci_low = _nullable_float()
    ci_high = _nullable_float()
    moe_pp = _nullable_float(
        help_text="100 × z × SE, in points (0 at a share of 0 or 100 %): print plus_minus_pp."
    )
    plus_minus_pp = _nullable_float(
        help_text="The margin of error to print as ±, in points: the larger distance from the "
        "share to an end of its interval (never 0 when the interval has width)."
    )
    n = serializers.IntegerField(allow_null=True)
    n_effective = _nullable_float()
    deff = _nullable_float()
    df = _nullable_float(help_text="Degrees of freedom of a t-based interval; null: normal.")
    difference = DifferenceSerializer(allow_null=True)
    pairs = PairSerializer(
        many=True, help_text="In a breakdown's total: every pair of shown groups, this option."
    )
    mean_rank = MeanSerializer(allow_null=True, help_text="Ranking: the mean place.")
    mean_rank_difference = DifferenceSerializer(allow_null=True)


class TableSerializer(serializers.Serializer):
    n = serializers.IntegerField(allow_null=True, help_text="Null when suppressed.")
    n_effective = _nullable_float()
    deff = _nullable_float(help_text="Kish's, of the weights.")
    suppressed = serializers.BooleanField()
    options = OptionSerializer(many=True)
    mean = MeanSerializer(allow_null=True)
    mean_difference = DifferenceSerializer(allow_null=True)
    mean_pairs = PairSerializer(many=True, help_text="Every pair of shown groups, the mean.")


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
    plus_minus_pp = _nullable_float(help_text="The margin of error to print as ±, in points.")


class CodedSerializer(serializers.Serializer):
    n_answered = serializers.IntegerField()
    n_coded = serializers.IntegerField()
    suppressed = serializers.BooleanField(
        help_text="Fewer members answered than the poll's smallest cell: no codes."
    )
    codes = CodeShareSerializer(many=True, help_text="Largest share first.")


class QuestionSerializer(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.CharField()
    text = serializers.CharField()
    n = serializers.IntegerField()
    dont_know = serializers.CharField(
        allow_null=True,
        help_text="include or exclude: this question's “don't know” choice (null without a "
        "“don't know” option).",
    )
    dont_know_excluded = serializers.BooleanField()
    dont_know_n = serializers.IntegerField()
    base_text = serializers.CharField(
        help_text="The base of the shares, stated: n and what happened to “don't know”."
    )
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
    """A poll's results as `results.presenting.present` shows them."""

    poll = inline_serializer(
        "PollRef", {"slug": serializers.CharField(), "title": serializers.CharField()}
    )
    n_responses = serializers.IntegerField()
    population = serializers.IntegerField(allow_null=True)
    random_sample = serializers.BooleanField()
    no_margin_reason = serializers.CharField(allow_null=True)
    moe_range_pp = serializers.ListField(
        child=serializers.FloatField(),
        allow_null=True,
        help_text="The smallest and largest ± (plus_minus_pp) of the shares, in points.",
    )
    moe_range_groups_pp = serializers.ListField(
        child=serializers.FloatField(),
        allow_null=True,
        help_text="In a breakdown: the smallest and largest ± of the groups' shares shown.",
    )
    level = serializers.FloatField()
    ci = serializers.ChoiceField(choices=METHODS)
    ci_df = serializers.ChoiceField(
        choices=CI_DF, help_text="normal (z) or t (Student's t, the domain's degrees of freedom)."
    )
    variance = serializers.CharField(help_text=VARIANCE_TEXT)
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
            OpenApiParameter(
                "weights", OpenApiTypes.STR, enum=list(WEIGHTINGS), description=VARIANCE_TEXT
            ),
            OpenApiParameter(
                "weight_by",
                OpenApiTypes.STR,
                description="Comma-separated reporting variables to weight to the register.",
            ),
            OpenApiParameter("ci", OpenApiTypes.STR, enum=list(METHODS)),
            OpenApiParameter(
                "level", OpenApiTypes.FLOAT, description="Confidence level, 0.5 to 0.999."
            ),
            OpenApiParameter(
                "ci_df",
                OpenApiTypes.STR,
                enum=list(CI_DF),
                description="t: Student's t quantile with survey's default degrees of freedom "
                "(respondents in the domain minus strata), for small subgroups.",
            ),
            OpenApiParameter(
                "dont_know",
                OpenApiTypes.STR,
                enum=["include", "exclude"],
                description="“Don't know” counted in the base, or reported separately and left "
                "out of it (poll-wide).",
            ),
            OpenApiParameter(
                "dont_know_q",
                OpenApiTypes.STR,
                description="Per question: comma-separated <question code>:<include|exclude>, "
                "e.g. q3:exclude,q5:include.",
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
