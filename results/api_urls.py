"""The API's URLs, mounted at /api/v1/ (config/urls.py). Each view states its permission."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from .api import IsEditorOrAdmin, PollResultsView
from .trend_api import SeriesTrendsView

urlpatterns = [
    path("polls/<slug:slug>/results/", PollResultsView.as_view(), name="api-poll-results"),
    path("series/<slug:series>/trends/", SeriesTrendsView.as_view(), name="api-series-trends"),
    # Permission: Editor or Admin, as the API itself.
    path(
        "schema/",
        SpectacularAPIView.as_view(permission_classes=[IsEditorOrAdmin]),
        name="api-schema",
    ),
]
