"""Staff pages for coding open answers. Permission: the Editor role (and Admins)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from polls.models import Poll, Question
from staff.access import editor_required, reach

from . import charts
from .coding import (
    CodingError,
    answers_for_coding,
    code_create,
    coded_question_results,
    codes_assign,
    codes_unassign,
)
from .models import AnswerCode

PAGE_SIZE = 100


def _with_codes(answers):
    for answer in answers:
        answer.codes_list = [coding.code for coding in answer.codings.all()]
    return answers


def _question(user, slug: str, question_id: int) -> Question:
    return reach(
        user,
        Question.objects.select_related("poll"),
        pk=question_id,
        poll__slug=slug,
        kind=Question.Kind.TEXT,
    )


@editor_required
def coding_polls(request):
    """Permission: Editor. The polls that have open questions to code (the menu's "Coding")."""
    polls = (
        Poll.objects.annotate(
            n_open=Count("questions", filter=Q(questions__kind=Question.Kind.TEXT), distinct=True)
        )
        .filter(n_open__gt=0)
        .order_by("-created_at")
    )
    return render(request, "staff/coding_polls.html", {"polls": polls})


@editor_required
def coding_home(request, slug: str):
    """Permission: Editor. The poll's open questions and how far their coding has come."""
    poll = reach(request.user, Poll, slug=slug)
    questions = (
        poll.questions.filter(kind=Question.Kind.TEXT)
        .annotate(
            n_answered=Count("answers", filter=Q(answers__text__gt=""), distinct=True),
            n_coded=Count(
                "answers",
                filter=Q(answers__text__gt="", answers__codings__isnull=False),
                distinct=True,
            ),
            n_codes=Count("answer_codes", distinct=True),
        )
        .order_by("order", "id")
    )
    return render(request, "results/coding_home.html", {"poll": poll, "questions": questions})


@editor_required
def coding_question(request, slug: str, question_id: int):
    """Permission: Editor. Codes, the answers to code, and the coded question's ranked shares."""
    question = _question(request.user, slug, question_id)
    search = request.GET.get("q", "").strip()
    only = request.GET.get("only", "all")
    answers = answers_for_coding(question, search=search, only=only)
    page = Paginator(answers, PAGE_SIZE).get_page(request.GET.get("page"))
    _with_codes(page.object_list)
    codes = list(question.answer_codes.order_by("order", "id"))
    report = coded_question_results(question)
    figure = None
    if report.codes:
        figure = charts.share_bar_figure(
            [r.code.label for r in report.codes],
            [r.estimate for r in report.codes],
            language=translation.get_language() or "sv",
        )
    return render(
        request,
        "results/coding_question.html",
        {
            "poll": question.poll,
            "question": question,
            "codes": codes,
            "page": page,
            "search": search,
            "only": only,
            "report": report,
            "figure": figure,
        },
    )


@require_POST
@editor_required
def coding_add_code(request, slug: str, question_id: int):
    """Permission: Editor. A new code for the question."""
    question = _question(request.user, slug, question_id)
    try:
        code_create(
            question=question,
            label_sv=request.POST.get("label_sv", ""),
            label_en=request.POST.get("label_en", ""),
            by=request.user,
        )
    except CodingError as exc:
        messages.error(request, str(exc))
    return redirect(_back(request, slug, question))


def _back(request, slug: str, question: Question) -> str:
    """The coding page the form came from, with its search and filter ("answers without a
    code" stays chosen), or the question's page."""
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("coding-question", args=[slug, question.pk])
    return back


@require_POST
@editor_required
def coding_assign(request, slug: str, question_id: int):
    """Permission: Editor. Give (or take away) one code to one or many answers at once."""
    question = _question(request.user, slug, question_id)
    code = get_object_or_404(AnswerCode, pk=request.POST.get("code") or 0, question=question)
    try:
        answer_ids = [int(a) for a in request.POST.getlist("answers")]
    except ValueError:
        answer_ids = []
    remove = request.POST.get("action") == "remove"
    if not answer_ids:
        messages.error(request, translation.gettext("Choose at least one answer."))
    else:
        try:
            if remove:
                codes_unassign(code=code, answer_ids=answer_ids)
            else:
                codes_assign(code=code, answer_ids=answer_ids)
        except CodingError as exc:
            messages.error(request, str(exc))
    if request.htmx and len(answer_ids) == 1:
        (answer,) = _with_codes([answers_for_coding(question).get(pk=answer_ids[0])])
        codes = list(question.answer_codes.order_by("order", "id"))
        return render(
            request,
            "results/_coded_answer.html",
            {"answer": answer, "codes": codes, "question": question, "poll": question.poll},
        )
    return redirect(_back(request, slug, question))
