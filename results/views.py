from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from polls.models import Invitation, Poll, Question
from staff.access import editor_required, reach, staff_required
from staff.audit import record

from . import charts
from .caching import cached_poll_results, cached_representativeness, generation
from .estimation import ResultsError, poll_questions
from .forms import AnalysisSettingsForm, ResultControlsForm
from .models import ResultSettings
from .presenting import ShownGroupTable, ShownQuestion, ShownTable, present

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


def _chart(table: ShownTable, *, language: str) -> dict | None:
    options = table.estimated
    if not options:
        return None
    return charts.share_bar_figure([o.label for o in options], options, language=language)


def _group_chart(total: ShownTable, groups: list[ShownGroupTable], *, language: str) -> dict | None:
    shown = [
        (g.group, g.options)
        for g in groups
        if not g.suppressed and all(o.has_estimate for o in g.options)
    ]
    if not shown or not total.options:
        return None
    return charts.group_bar_figure([o.label for o in total.options], shown, language=language)


def _question_parts(q: ShownQuestion, language: str, counter) -> list[dict]:
    """(title, total table, groups, figure, figure id) for a question or each grid statement."""
    parts = [("", q.total, q.groups)] if q.total is not None else []
    parts += [(r.text, r.total, r.groups) for r in q.rows]
    out = []
    for title, table, groups in parts:
        if groups:
            figure = _group_chart(table, groups, language=language)
        else:
            figure = _chart(table, language=language)
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


def _coded(question: ShownQuestion, language: str, counter) -> dict | None:
    """An open question whose answers have codes reports like a multiple choice (unless too few
    members answered it: then the codes are suppressed, as in the API)."""
    coded = question.coded
    if coded is None or (not coded.codes and not coded.suppressed):
        return None
    figure = None
    if coded.codes:
        figure = charts.share_bar_figure(
            [c.label for c in coded.codes], coded.codes, language=language
        )
    return {"report": coded, "figure": figure, "figure_id": f"figure-{next(counter)}"}


def dashboard_context(poll: Poll, params: dict, language: str) -> dict:
    error = None
    shown = None
    try:
        results = cached_poll_results(poll=poll, **params)
    except ResultsError as exc:
        results, error = None, exc.message
    representativeness = None
    if results is not None:
        if results.random_sample:
            representativeness = cached_representativeness(poll=poll, params=results.params)
        shown = present(results, representativeness, language=language)
    counter = iter(range(10_000))
    questions = [
        {
            "result": q,
            "tables": _question_parts(q, language, counter),
            "coded": _coded(q, language, counter),
        }
        for q in (shown.questions if shown else [])
    ]
    invited = poll.invitations.exclude(
        status__in=[Invitation.Status.QUEUED, Invitation.Status.FAILED]
    ).count()
    n_responses = shown.n_responses if shown else poll.responses.count()
    return {
        "poll": poll,
        "results": shown,
        "error": error,
        "n_responses": n_responses,
        "questions": questions,
        "moe_text": shown.moe_text if shown else "",
        "representativeness": representativeness,
        "invited": invited,
        "response_rate": n_responses / invited if invited else None,
        "level_percent": shown.level_percent if shown else 95,
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
        settings_form=AnalysisSettingsForm(
            settings=ResultSettings.for_poll(poll), questions=poll_questions(poll)
        ),
        refresh_url=f"{request.path}?{query.urlencode()}",
        refresh_seconds=REFRESH_SECONDS,
    )
    if not request.htmx:
        return render(request, "results/poll_results.html", context)
    response = render(request, "results/_dashboard.html", context)
    if "since" not in request.GET:  # a changed selector, not a refresh: keep it in the address
        response["HX-Push-Url"] = request.get_full_path()
    return response


@require_POST
@editor_required
def poll_analysis_settings(request, slug: str):
    """Permission: Editor. Saves the poll's analysis choices ("don't know" per question, the
    interval's quantile) in its result settings, which the dashboard, the API and the result
    pages use; back to the dashboard (bad input: the dashboard with the form's errors)."""
    poll = reach(request.user, Poll, slug=slug)
    settings = ResultSettings.for_poll(poll)
    form = AnalysisSettingsForm(request.POST, settings=settings, questions=poll_questions(poll))
    if not form.is_valid():
        language = translation.get_language() or "sv"
        context = dashboard_context(poll, {}, language)
        context.update(
            form=ResultControlsForm(None, variables=list(poll.reporting_variables)),
            settings_form=form,
            refresh_url=f"{request.path}",
            refresh_seconds=REFRESH_SECONDS,
        )
        return render(request, "results/poll_results.html", context, status=400)
    form.save(settings)
    record(
        request.user,
        "results.analysis_settings",
        target=poll.slug,
        dont_know=settings.dont_know,
        dont_know_by_question=settings.dont_know_by_question,
        ci_df=settings.ci_df,
    )
    messages.success(request, _("The analysis choices are saved."))
    return redirect("poll-results", slug=poll.slug)
