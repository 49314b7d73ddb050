"""The public JSON of a published result page (`results.public_views.PublicPageJson`): its
serializer, which is also its OpenAPI schema. The numbers in `results` are the results API's
own payload (`results.api.PollResultsSerializer`)."""

from __future__ import annotations

from rest_framework import serializers

from .api import PollResultsSerializer


class PublishedResultsSerializer(PollResultsSerializer):
    """The results API's payload for one breakdown and weighting the page uses, with only the
    page's questions (and no representativeness table, a staff tool)."""

    weighted = serializers.BooleanField(help_text="Whether the page's blocks use the weighting.")


class PageLanguageSerializer(serializers.Serializer):
    about = serializers.ListField(
        child=serializers.CharField(),
        help_text="The box “About the survey”, sentence by sentence, generated from the data.",
    )
    blocks = serializers.ListField(
        child=serializers.DictField(),
        help_text=(
            "The page's blocks in order, as the page shows them, each with a `kind`: chart "
            "(question_text, base_text, n_text, parts with options or groups and their shares, "
            "intervals and ± in words), coded (a ranked top list), key_figure, text, quote, trend."
        ),
    )


class PublicPageSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    lead = serializers.CharField(allow_blank=True)
    body_html = serializers.CharField(allow_blank=True, help_text="Sanitised HTML.")
    poll = serializers.CharField(help_text="The poll's slug.")
    organisation = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField()
    published_at = serializers.DateTimeField()
    languages = serializers.DictField(
        child=PageLanguageSerializer(), help_text="Keyed by language: sv and en."
    )
    results = serializers.DictField(
        child=PublishedResultsSerializer(many=True),
        required=False,
        help_text="Keyed by language: the results API's payloads (versions published before "
        "this field existed have none).",
    )
