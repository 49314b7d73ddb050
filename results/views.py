from django.db.models import Count, Q
from django.shortcuts import render
from django.utils import translation

from polls.models import Invitation, Poll

from . import charts
from .access import poll_for_staff, staff_required
from .estimation import poll_results
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


@staff_required
def poll_results_page(request, slug: str):
    """Permission: staff. One chart per question with intervals and the margin of error."""
    poll = poll_for_staff(request.user, slug)
    results = poll_results(poll=poll)
    language = translation.get_language() or "sv"
    questions = []
    for i, q in enumerate(results.questions):
        figure = None
        if q.options:
            figure = charts.share_bar_figure(
                [o.option.label for o in q.options],
                [o.estimate for o in q.options],
                language=language,
            )
        questions.append({"result": q, "figure": figure, "figure_id": f"figure-{i}"})
    moe_text = None
    if results.moe_range:
        fmt = format_moe_range_en if language == "en" else format_moe_range_sv
        moe_text = fmt(results.moe_range)
    invited = poll.invitations.exclude(
        status__in=[Invitation.Status.QUEUED, Invitation.Status.FAILED]
    ).count()
    return render(
        request,
        "results/poll_results.html",
        {
            "poll": poll,
            "results": results,
            "questions": questions,
            "moe_text": moe_text,
            "invited": invited,
            "response_rate": results.n_responses / invited if invited else None,
        },
    )
