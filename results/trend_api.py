"""GET /api/v1/series/<series>/trends/: the trends of a series' linked questions.

Permission: Editor or Admin (as the results API). Per question: its waves (label, poll slug,
respondents, weighting), and per answer each wave's share with its interval and each change
from the previous wave: difference, SE (sqrt(se1² + se2²): two independent samples, each
with its own design effect), z, raw and Holm-adjusted p (Holm over the answers of the question
between the same two waves) and `significant` (larger than the margin of error). An unknown
series is 404 with the reason."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from polls.models import Poll
from staff.access import IsEditorOrAdmin, may_reach

from .api import ErrorSerializer, FiniteFloatField
from .trends import QuestionTrend, series_trends, trend_method_text


class TrendPointSerializer(serializers.Serializer):
    share = FiniteFloatField()
    se = FiniteFloatField(help_text="Null without a random sample.")
    ci_low = FiniteFloatField()
    ci_high = FiniteFloatField()
    n = serializers.IntegerField(allow_null=True)


class TrendChangeSerializer(serializers.Serializer):
    wave_from = serializers.CharField()
    wave_to = serializers.CharField()
    difference = serializers.FloatField(help_text="Later minus earlier share.")
    se = serializers.FloatField(help_text="sqrt(se_earlier² + se_later²).")
    z = FiniteFloatField()
    p_value = serializers.FloatField()
    p_adjusted = serializers.FloatField(help_text="Holm, over the question's answers.")
    significant = serializers.BooleanField(help_text="Larger than the margin of error.")
    flag_text = serializers.CharField()


class TrendOptionSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    is_dont_know = serializers.BooleanField()
    points = serializers.ListField(
        child=TrendPointSerializer(allow_null=True), help_text="One per wave; null: no estimate."
    )
    changes = serializers.ListField(
        child=TrendChangeSerializer(allow_null=True),
        help_text="One per wave; null for the first and where a wave has no interval.",
    )


class TrendWaveSerializer(serializers.Serializer):
    label = serializers.CharField()
    poll = serializers.CharField(source="poll.slug")
    n = serializers.IntegerField()
    random_sample = serializers.BooleanField()
    weighting = serializers.CharField()


class QuestionTrendSerializer(serializers.Serializer):
    code = serializers.CharField(source="question.code")
    text = serializers.CharField()
    waves = TrendWaveSerializer(many=True)
    options = TrendOptionSerializer(many=True)
    notes = serializers.ListField(child=serializers.CharField())


class SeriesTrendsSerializer(serializers.Serializer):
    series = serializers.CharField()
    method = serializers.CharField()
    questions = QuestionTrendSerializer(many=True)


def trends_payload(series: str, trends: list[QuestionTrend]) -> dict[str, Any]:
    data = {"series": series, "method": trend_method_text(), "questions": trends}
    return dict(SeriesTrendsSerializer(data).data)


class SeriesTrendsView(APIView):
    """Permission: Editor or Admin. The trends of a series of repeated polls."""

    permission_classes = [IsEditorOrAdmin]

    @extend_schema(
        operation_id="series_trends",
        summary="Trends of a series' linked questions, with each change tested",
        responses={200: SeriesTrendsSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
    )
    def get(self, request: Request, series: str) -> Response:
        if not may_reach(request.user, "polls.Poll"):
            return Response({"detail": _("You may not see polls.")}, status=403)
        if not Poll.objects.filter(series=series).exists():
            return Response(
                {"detail": _("No poll belongs to the series “%(series)s”.") % {"series": series}},
                status=404,
            )
        return Response(trends_payload(series, series_trends(series=series)))
