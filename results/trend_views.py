"""The trends dashboard: /staff/polls/<slug>/trends/ (linked from the poll's results)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation

from polls.models import Poll
from staff.access import reach, staff_required

from .trends import poll_trends, trend_method_text


@staff_required
def poll_trends_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Permission: staff (Editor, Admin). A trend chart and table per linked question: each
    wave's share with its interval, and whether each change from the previous wave is larger
    than the margin of error."""
    poll = reach(request.user, Poll, slug=slug)
    language = translation.get_language() or "sv"
    trends = poll_trends(poll=poll, language=language)
    items = [{"trend": t, "figure_id": f"trend-{i}"} for i, t in enumerate(trends, start=1)]
    return render(
        request,
        "results/trends/poll_trends.html",
        {"poll": poll, "items": items, "method_text": trend_method_text()},
    )
