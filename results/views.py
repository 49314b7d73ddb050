import dataclasses

from django.db.models import Count, Q
from django.shortcuts import render
from django.utils import translation

from polls.models import Invitation, Poll

from . import charts
from .access import poll_for_staff, staff_required
from .caching import cached_poll_results
from .estimation import ResultsError, Table
from .stats.proportions import format_moe_range_en, format_moe_range_sv


@staff_required
def staff_home(request):
    """Permission: staff. Every poll with its field work at a glance."""
    polls = Poll.objects.annotate(
        n_invited=Count(
            "invitations",
            filter=~Q(invitations__status__in=[Invitation.Status.QUEUED, Invitation.Status.FAILED]),
            distinct=True,
        ),
        n_responses=Count("responses", distinct=True),
    ).order_by("-created_at")
    return render(request, "results/staff_home.html", {"polls": polls})


def _chart(table: Table, *, random_sample: bool, language: str) -> dict | None:
    options = [o for o in table.options if o.estimate is not None]
    if not options:
        return None
    estimates = [o.estimate for o in options]
    if not random_sample:  # no interval to draw: the page says why
        estimates = [dataclasses.replace(e, ci_low=e.share, ci_high=e.share) for e in estimates]
    return charts.share_bar_figure([o.label for o in options], estimates, language=language)


@staff_required
def poll_results_page(request, slug: str):
    """Permission: staff. One chart per question (per statement of a grid) with intervals, n,
    and the margin of error; the poll's result settings decide weighting and intervals."""
    poll = poll_for_staff(request.user, slug)
    language = translation.get_language() or "sv"
    error = None
    try:
        results = cached_poll_results(poll=poll)
    except ResultsError as exc:
        results, error = None, exc.message
    questions = []
    charts_made = 0
    for q in results.questions if results else []:
        parts = [("", q.total)] if q.total is not None else []
        parts += [(r.row.text, r.total) for r in q.rows]
        tables = []
        for title, table in parts:
            figure = _chart(table, random_sample=results.random_sample, language=language)
            tables.append(
                {
                    "title": title,
                    "table": table,
                    "figure": figure,
                    "figure_id": f"figure-{charts_made}",
                }
            )
            charts_made += figure is not None
        questions.append({"result": q, "tables": tables})
    moe_text = None
    if results and results.moe_range:
        fmt = format_moe_range_en if language == "en" else format_moe_range_sv
        moe_text = fmt(results.moe_range)
    invited = poll.invitations.exclude(
        status__in=[Invitation.Status.QUEUED, Invitation.Status.FAILED]
    ).count()
    n_responses = results.n_responses if results else poll.responses.count()
    return render(
        request,
        "results/poll_results.html",
        {
            "poll": poll,
            "results": results,
            "error": error,
            "n_responses": n_responses,
            "questions": questions,
            "moe_text": moe_text,
            "invited": invited,
            "response_rate": n_responses / invited if invited else None,
        },
    )
