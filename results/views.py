import dataclasses

from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import translation

from polls.models import Invitation, Poll, Question
from staff.access import reach, staff_required

from . import charts
from .caching import cached_poll_results, cached_representativeness, generation
from .coding import coded_question_results
from .estimation import ResultsError, Table
from .forms import ResultControlsForm
from .stats.proportions import format_moe_range_en, format_moe_range_sv

REFRESH_SECONDS = 5


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


def _group_chart(total: Table, groups, *, random_sample: bool, language: str) -> dict | None:
    shown = [
        (g.group, [o.estimate for o in g.table.options])
        for g in groups
        if not g.table.suppressed and all(o.estimate is not None for o in g.table.options)
    ]
    if not shown or not total.options:
        return None
    if not random_sample:
        shown = [
            (name, [dataclasses.replace(e, ci_low=e.share, ci_high=e.share) for e in ests])
            for name, ests in shown
        ]
    return charts.group_bar_figure([o.label for o in total.options], shown, language=language)


def _question_parts(q, results, language, counter):
    """(title, total table, groups, figure, figure id) for a question or each grid statement."""
    parts = [("", q.total, q.groups)] if q.total is not None else []
    parts += [(r.row.text, r.total, r.groups) for r in q.rows]
    out = []
    for title, table, groups in parts:
        if groups:
            figure = _group_chart(
                table, groups, random_sample=results.random_sample, language=language
            )
        else:
            figure = _chart(table, random_sample=results.random_sample, language=language)
        out.append(
            {
                "title": title,
                "table": table,
                "groups": groups,
                "figure": figure,
                "figure_id": f"figure-{next(counter)}",
            }
        )
    return out


def _coded(question: Question, language: str, counter) -> dict | None:
    """An open question whose answers have codes reports like a multiple choice."""
    if question.kind != Question.Kind.TEXT or not question.answer_codes.exists():
        return None
    report = coded_question_results(question)
    if not report.codes:
        return None
    figure = charts.share_bar_figure(
        [r.code.label for r in report.codes],
        [r.estimate for r in report.codes],
        language=language,
    )
    return {"report": report, "figure": figure, "figure_id": f"figure-{next(counter)}"}


def dashboard_context(poll: Poll, params: dict, language: str) -> dict:
    error = None
    try:
        results = cached_poll_results(poll=poll, **params)
    except ResultsError as exc:
        results, error = None, exc.message
    counter = iter(range(10_000))
    questions = [
        {
            "result": q,
            "tables": _question_parts(q, results, language, counter),
            "coded": _coded(q.question, language, counter),
        }
        for q in (results.questions if results else [])
    ]
    moe_text = None
    if results and results.moe_range:
        fmt = format_moe_range_en if language == "en" else format_moe_range_sv
        moe_text = fmt(results.moe_range)
    representativeness = None
    if results and results.random_sample:
        representativeness = cached_representativeness(poll=poll, params=results.params)
    invited = poll.invitations.exclude(
        status__in=[Invitation.Status.QUEUED, Invitation.Status.FAILED]
    ).count()
    n_responses = results.n_responses if results else poll.responses.count()
    return {
        "poll": poll,
        "results": results,
        "error": error,
        "n_responses": n_responses,
        "questions": questions,
        "moe_text": moe_text,
        "representativeness": representativeness,
        "invited": invited,
        "response_rate": n_responses / invited if invited else None,
        "level_percent": round((results.params.level if results else 0.95) * 100),
        "has_text_questions": poll.questions.filter(kind=Question.Kind.TEXT).exists(),
    }


@staff_required
def poll_results_page(request, slug: str):
    """Permission: staff. The live dashboard: one chart per question (per statement of a grid)
    with intervals, n and the margin of error, by group and weighting as chosen, refreshed
    while responses arrive. An htmx refresh gets 204 when no response has come since."""
    poll = reach(request.user, Poll, slug=slug)
    language = translation.get_language() or "sv"
    current = generation(poll.pk)
    if request.htmx and request.GET.get("since") == current:
        return HttpResponse(status=204)
    query = request.GET.copy()
    query.pop("since", None)
    form = ResultControlsForm(query or None, variables=list(poll.reporting_variables))
    params = form.params() if form.is_bound and form.is_valid() else {}
    context = dashboard_context(poll, params, language)
    query["since"] = current
    context.update(
        form=form,
        refresh_url=f"{request.path}?{query.urlencode()}",
        refresh_seconds=REFRESH_SECONDS,
    )
    if not request.htmx:
        return render(request, "results/poll_results.html", context)
    response = render(request, "results/_dashboard.html", context)
    if "since" not in request.GET:  # a changed selector, not a refresh: keep it in the address
        response["HX-Push-Url"] = request.get_full_path()
    return response
