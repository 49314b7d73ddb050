"""The authoring studio: editors build, preview, test, duplicate, import and export polls.

Permission: every view here is for the Editor and Admin roles (`editor_required`). Everything
works without JavaScript; htmx only saves a page load when moving questions and pages.
"""

from __future__ import annotations

from typing import Any

from csp.constants import SELF
from csp.decorators import csp_replace
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST

from staff.access import editor_required

from ..answering.flow import answer_pages
from ..answering.responses import AnswerRow, poll_pages, poll_questions
from ..answering.sheet import AnswerSheet, question_numbers
from ..conditions import validate_conditions
from ..fieldwork.closing import poll_close
from ..fieldwork.opening import (
    TransitionRefused,
    poll_is_scheduled,
    poll_may_close,
    poll_open,
)
from ..kinds import KINDS
from ..models import Draft, Invitation, Poll, Question, Section
from . import studio
from .forms import (
    ConditionForm,
    DuplicateForm,
    ImportForm,
    OpenForm,
    OptionForm,
    PollForm,
    QuestionForm,
    QuestionNewForm,
    RowForm,
    SectionForm,
    initial_of,
    item_formset,
    item_initial,
)
from .questionnaire_json import QuestionnaireError, poll_export_json, poll_import
from .studio import (
    Refused,
    lock_message,
    poll_create,
    poll_for_editor,
    poll_is_locked,
    poll_outline,
    poll_update,
    question_condition_set,
    question_create,
    question_options_save,
    question_rows_save,
    question_update,
    section_create,
    section_update,
    suggest_question_code,
)
from .test_mode import TestProgress, answers_readable
from .waves import next_wave_slug, next_wave_titles, poll_duplicate


def _refused(request: HttpRequest, problem: Refused) -> None:
    for message in problem.messages:
        messages.error(request, message)


def _poll_url(poll: Poll) -> str:
    return reverse("studio-poll", args=[poll.slug])


# --- polls --------------------------------------------------------------------------------------


@editor_required
def poll_list(request: HttpRequest) -> HttpResponse:
    """Permission: Editor, Admin. Every poll, newest first."""
    polls = Poll.objects.annotate(
        n_questions=Count("questions", distinct=True),
        n_responses=Count("responses", distinct=True),
    ).order_by("-created_at")
    return render(request, "polls/studio/poll_list.html", {"polls": polls})


@editor_required
@require_http_methods(["GET", "POST"])
def poll_new(request: HttpRequest) -> HttpResponse:
    """Permission: Editor, Admin. A new draft poll."""
    form = PollForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        poll = poll_create(by=request.user, **form.cleaned_data)
        if poll.register and poll.register.variables and not poll.reporting_variables:
            # The register's variables are offered only once it is chosen: choose them now.
            messages.success(
                request, _("The poll was created. Now choose its reporting variables.")
            )
            return redirect("studio-poll-edit", slug=poll.slug)
        messages.success(request, _("The poll was created. Add its pages and questions."))
        return redirect(_poll_url(poll))
    return render(
        request,
        "polls/studio/poll_form.html",
        {"form": form, "poll": None},
        status=400 if form.is_bound else 200,
    )


@editor_required
def poll_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Permission: Editor, Admin. The poll's outline, its condition check and text edit log."""
    poll = poll_for_editor(request.user, slug)
    return render(request, "polls/studio/poll_detail.html", _outline_context(poll))


def _outline_context(poll: Poll) -> dict[str, Any]:
    pages = poll_outline(poll)
    questions = [q for page in pages for q in page.questions]
    numbers = question_numbers(questions)
    # What the outline template shows beside each question and page.
    for i, question in enumerate(questions):
        setattr(question, "number", numbers[question.pk])  # noqa: B010
        setattr(question, "can_up", i > 0)  # noqa: B010
        setattr(question, "can_down", i < len(questions) - 1)  # noqa: B010
    sections = [page for page in pages if page.section is not None]
    for i, page in enumerate(sections):
        title = page.section.title if page.section is not None else ""
        setattr(page, "can_up", i > 0)  # noqa: B010
        setattr(page, "can_down", i < len(sections) - 1)  # noqa: B010
        setattr(page, "label", title or _("page %(n)s") % {"n": pages.index(page) + 1})  # noqa: B010
    return {
        "poll": poll,
        "scheduled": poll_is_scheduled(poll),
        "pages": pages,
        "n_questions": len(questions),
        "n_responses": poll.responses.count(),
        "locked": poll_is_locked(poll),
        "lock_message": lock_message(),
        "problems": validate_conditions(poll),
        "text_edits": poll.text_edits.select_related("by")[:100],
        "section_form": SectionForm(prefix="section"),
    }


@editor_required
@require_http_methods(["GET", "POST"])
def poll_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Permission: Editor, Admin. Title, introduction, union, contact and field period; once the
    poll has responses, text changes are logged."""
    poll = poll_for_editor(request.user, slug)
    locked = poll_is_locked(poll)
    form = PollForm(
        request.POST or None,
        poll=poll,
        locked=locked,
        initial=initial_of(poll, PollForm.field_names),
    )
    if request.method == "POST" and form.is_valid():
        register_before = poll.register_id
        try:
            poll_update(poll=poll, changes=form.cleaned_data, by=request.user)
        except Refused as problem:
            _refused(request, problem)
        else:
            if poll.register_id != register_before and poll.register and poll.register.variables:
                # The new register's variables are offered only now: stay to choose them.
                messages.info(request, _("Saved. Now choose the reporting variables."))
                return redirect("studio-poll-edit", slug=poll.slug)
            messages.success(request, _("Saved."))
            return redirect(_poll_url(poll))
    return render(
        request,
        "polls/studio/poll_form.html",
        {"form": form, "poll": poll, "locked": locked},
        status=400 if form.is_bound else 200,
    )


# --- opening and closing ------------------------------------------------------------------------


@editor_required
@require_http_methods(["GET", "POST"])
def poll_open_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Permission: Editor, Admin. GET says what opening does and asks for the field dates;
    POST opens the draft (or schedules it, when it opens later)."""
    poll = poll_for_editor(request.user, slug)
    form = OpenForm(request.POST or None, initial=initial_of(poll, OpenForm.field_names))
    problem = ""
    if request.method == "POST" and form.is_valid():
        try:
            outcome = poll_open(
                poll=poll,
                opens_at=form.cleaned_data["opens_at"],
                closes_at=form.cleaned_data["closes_at"],
            )
        except TransitionRefused as refused:
            problem = str(refused)
        else:
            if outcome == "scheduled":
                messages.success(request, _("The poll is scheduled: it opens at its start time."))
            else:
                messages.success(request, _("The poll is open: its links work now."))
            return redirect(_poll_url(poll))
    elif poll.state != Poll.State.DRAFT:
        problem = (
            _("The poll is already open.")
            if poll.state == Poll.State.OPEN
            else _("Only a draft poll can be opened; this poll is %(state)s.")
            % {"state": poll.get_state_display()}
        )
    return render(
        request,
        "polls/studio/confirm_open.html",
        {"poll": poll, "form": form, "problem": problem, "n_questions": poll.questions.count()},
        status=400 if request.method == "POST" else 200,
    )


@editor_required
@require_http_methods(["GET", "POST"])
def poll_close_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Permission: Editor, Admin. GET says what closing does (drafts deleted, links show the
    closed page); POST closes the open poll."""
    poll = poll_for_editor(request.user, slug)
    problem = ""
    try:
        poll_may_close(poll)
    except TransitionRefused as refused:
        problem = str(refused)
    if request.method == "POST" and not problem:
        poll_close(poll=poll)
        messages.success(request, _("The poll is closed: it takes no more answers."))
        return redirect(_poll_url(poll))
    return render(
        request,
        "polls/studio/confirm_close.html",
        {
            "poll": poll,
            "problem": problem,
            "n_drafts": Draft.objects.filter(invitation__poll=poll).count(),
            "n_invitations": Invitation.objects.filter(poll=poll).count(),
            "n_responses": poll.responses.count(),
        },
        status=400 if request.method == "POST" else 200,
    )


# --- sections -----------------------------------------------------------------------------------


def _section(poll: Poll, pk: int) -> Section:
    return get_object_or_404(Section, poll=poll, pk=pk)


@editor_required
@require_http_methods(["GET", "POST"])
def section_new(request: HttpRequest, slug: str) -> HttpResponse:
    """Permission: Editor, Admin. A new page at the end of the poll."""
    poll = poll_for_editor(request.user, slug)
    form = SectionForm(request.POST or None, prefix="section")
    if request.method == "POST" and form.is_valid():
        try:
            section_create(poll=poll, **form.cleaned_data)
        except Refused as problem:
            _refused(request, problem)
        else:
            messages.success(request, _("The page was added."))
        return redirect(_poll_url(poll))
    return render(
        request,
        "polls/studio/section_form.html",
        {"form": form, "poll": poll, "section": None},
        status=400 if form.is_bound else 200,
    )


@editor_required
@require_http_methods(["GET", "POST"])
def section_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Permission: Editor, Admin. A page's title; logged once the poll has responses."""
    poll = poll_for_editor(request.user, slug)
    section = _section(poll, pk)
    form = SectionForm(
        request.POST or None,
        prefix="section",
        initial=initial_of(section, SectionForm.field_names),
    )
    if request.method == "POST" and form.is_valid():
        section_update(section=section, changes=form.cleaned_data, by=request.user)
        messages.success(request, _("Saved."))
        return redirect(_poll_url(poll))
    return render(
        request,
        "polls/studio/section_form.html",
        {"form": form, "poll": poll, "section": section},
        status=400 if form.is_bound else 200,
    )


def _after_move(request: HttpRequest, poll: Poll) -> HttpResponse:
    if getattr(request, "htmx", False):  # django-htmx's middleware sets it
        return render(request, "polls/studio/_outline.html", _outline_context(poll))
    return redirect(_poll_url(poll))


@editor_required
@require_POST
def section_move(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Permission: Editor, Admin. One step up or down (POST direction=up|down)."""
    poll = poll_for_editor(request.user, slug)
    try:
        studio.section_move(section=_section(poll, pk), up=request.POST.get("direction") == "up")
    except Refused as problem:
        _refused(request, problem)
    return _after_move(request, poll)


@editor_required
@require_http_methods(["GET", "POST"])
def section_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Permission: Editor, Admin. GET asks, POST deletes an empty page."""
    poll = poll_for_editor(request.user, slug)
    section = _section(poll, pk)
    if request.method == "POST":
        try:
            studio.section_delete(section=section)
        except Refused as problem:
            _refused(request, problem)
        else:
            messages.success(request, _("The page was deleted."))
        return redirect(_poll_url(poll))
    return render(
        request,
        "polls/studio/confirm_delete.html",
        {"poll": poll, "what": section.title or _("Page %(n)s") % {"n": section.order}},
    )


# --- questions ----------------------------------------------------------------------------------


def _question(poll: Poll, pk: int) -> Question:
    return get_object_or_404(Question.objects.select_related("poll", "section"), poll=poll, pk=pk)


@editor_required
@require_http_methods(["GET", "POST"])
def question_new(request: HttpRequest, slug: str) -> HttpResponse:
    """Permission: Editor, Admin. A new question (then its options on the question's page)."""
    poll = poll_for_editor(request.user, slug)
    initial: dict[str, Any] = {"code": suggest_question_code(poll), "kind": Question.Kind.SINGLE}
    section_id = request.GET.get("section", "")
    if section_id.isdigit() and poll.sections.filter(pk=section_id).exists():
        initial["section"] = int(section_id)
    form = QuestionNewForm(request.POST or None, poll=poll, initial=initial)
    locked = poll_is_locked(poll)
    if request.method == "POST" and form.is_valid():
        try:
            question = question_create(poll=poll, by=request.user, **form.cleaned_data)
        except Refused as problem:
            _refused(request, problem)
        else:
            messages.success(request, _("The question was added. Now give it its settings."))
            return redirect("studio-question", slug=poll.slug, pk=question.pk)
    return render(
        request,
        "polls/studio/question_new.html",
        {"form": form, "poll": poll, "locked": locked, "lock_message": lock_message()},
        status=400 if request.method == "POST" else 200,
    )


@editor_required
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Permission: Editor, Admin. A question's texts, settings, options and statements (POST
    action=save) or its display condition (POST action=condition)."""
    poll = poll_for_editor(request.user, slug)
    question = _question(poll, pk)
    locked = poll_is_locked(poll)
    action = request.POST.get("action", "save") if request.method == "POST" else ""
    # The page is one form: either button sends the question and its condition, and both are
    # saved (nothing typed is lost). A POST with only one part (older pages, scripts) saves
    # that part.
    post = request.POST if action else None
    save_question = action == "save" or (bool(action) and "text_sv" in request.POST)
    save_condition = not locked and (
        action == "condition" or (bool(action) and "condition-on" in request.POST)
    )
    features = KINDS[question.kind].features
    Options, Rows = item_formset(OptionForm, locked=locked), item_formset(RowForm, locked=locked)
    form = QuestionForm(post if save_question else None, question=question, locked=locked)
    options = Options(
        post if save_question else None,
        prefix="options",
        initial=item_initial(question.options.all(), OptionForm.field_names),
        locked=locked,
    )
    rows = Rows(
        post if save_question else None,
        prefix="rows",
        initial=item_initial(question.rows.all(), RowForm.field_names),
        locked=locked,
    )
    condition = ConditionForm(
        post if save_condition else None,
        prefix="condition",
        question=question,
        locked=locked,
    )
    status = 200
    if action:
        valid = True
        if save_question:
            valid &= form.is_valid()
            valid &= "options" not in features or options.is_valid()
            valid &= "rows" not in features or rows.is_valid()
        if save_condition:
            valid &= condition.is_valid()
        if valid:
            try:
                with transaction.atomic():
                    if save_question:
                        _question_save(request, question, form, options, rows, features)
                    if save_condition:
                        _condition_save(question, condition)
            except Refused as problem:
                _refused(request, problem)
                status = 400
            except _ConditionRefused as problem:
                for message in problem.messages:
                    condition.add_error(None, message)
                status = 400
            else:
                if action == "condition":
                    messages.success(request, _("The condition was saved."))
                    return redirect(
                        reverse("studio-question", args=[poll.slug, question.pk]) + "#condition"
                    )
                messages.success(request, _("Saved."))
                return redirect("studio-question", slug=poll.slug, pk=question.pk)
        else:
            status = 400
    numbers = question_numbers(poll_questions(poll))
    return render(
        request,
        "polls/studio/question_edit.html",
        {
            "poll": poll,
            "question": question,
            "number": numbers.get(question.pk, ""),
            "form": form,
            "options": options,
            "rows": rows,
            "condition": condition,
            "features": features,
            "locked": locked,
            "lock_message": lock_message(),
        },
        status=status,
    )


class _ConditionRefused(Exception):
    def __init__(self, messages: list[str]):
        self.messages = messages


def _condition_save(question: Question, condition: ConditionForm) -> None:
    try:
        question_condition_set(
            question=question,
            on=condition.cleaned_data["on"],
            options=condition.cleaned_data["options"],
        )
    except Refused as problem:
        # Shown beside the condition, not at the top of the page.
        raise _ConditionRefused(problem.messages) from problem


def _question_save(request, question, form, options, rows, features) -> None:
    with transaction.atomic():
        question_update(question=question, changes=form.cleaned_data, by=request.user)
        if "options" in features:
            question_options_save(question=question, specs=options.specs(), by=request.user)
        if "rows" in features:
            question_rows_save(question=question, specs=rows.specs(), by=request.user)


@editor_required
@require_POST
def question_move(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Permission: Editor, Admin. One step up or down in the flow (POST direction=up|down)."""
    poll = poll_for_editor(request.user, slug)
    try:
        studio.question_move(question=_question(poll, pk), up=request.POST.get("direction") == "up")
    except Refused as problem:
        _refused(request, problem)
    return _after_move(request, poll)


@editor_required
@require_http_methods(["GET", "POST"])
def question_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Permission: Editor, Admin. GET asks, POST deletes."""
    poll = poll_for_editor(request.user, slug)
    question = _question(poll, pk)
    if request.method == "POST":
        try:
            studio.question_delete(question=question)
        except Refused as problem:
            _refused(request, problem)
        else:
            messages.success(request, _("The question was deleted."))
        return redirect(_poll_url(poll))
    return render(
        request,
        "polls/studio/confirm_delete.html",
        {"poll": poll, "what": f"{question.code}: {question.text_sv}"},
    )


# --- preview and test mode ----------------------------------------------------------------------


@editor_required
def preview(request: HttpRequest, slug: str) -> HttpResponse:
    """Permission: Editor, Admin. The poll as members see it, in a phone-wide or desktop-wide
    frame that runs the test mode."""
    poll = poll_for_editor(request.user, slug)
    width = "desktop" if request.GET.get("width") == "desktop" else "phone"
    pages = poll_pages(poll)
    return render(
        request,
        "polls/studio/preview.html",
        {"poll": poll, "width": width, "pages": pages},
    )


@editor_required
@xframe_options_sameorigin
# The preview frames it; no other site may. (django-csp types its decorators for views that
# take only a request.)
@csp_replace({"frame-ancestors": [SELF]})  # type: ignore[arg-type]
@require_http_methods(["GET", "POST"])
def test_run(request: HttpRequest, slug: str) -> HttpResponse:
    """Permission: Editor, Admin. The member's flow without an invitation: pages, Next and Back,
    validation and submit, with the answers in progress kept in the editor's session. Nothing
    is written to Invitation, Draft, Response or Answer; the end shows the would-be answers.

    GET ?restart=1 starts over (with a new random option order); GET ?page=N goes to page N."""
    poll = poll_for_editor(request.user, slug)
    questions = poll_questions(poll)
    if not questions:
        return render(request, "polls/studio/test_empty.html", {"poll": poll})

    def would_be_answers(sheet: AnswerSheet, answers: list[AnswerRow]) -> HttpResponse:
        numbers = {pk: item.number for pk, item in sheet.inputs.items()}
        return render(
            request,
            "polls/studio/test_done.html",
            {
                "poll": poll,
                "answers": answers_readable(sheet.questions, numbers, answers),
                "user": AnonymousUser(),
            },
        )

    return answer_pages(
        request,
        TestProgress(request, poll),
        questions,
        done=lambda: redirect(request.path),  # never: the test mode is always answerable
        thanks=would_be_answers,
    )


# --- duplicate, export, import ------------------------------------------------------------------


@editor_required
@require_http_methods(["GET", "POST"])
def duplicate(request: HttpRequest, slug: str) -> HttpResponse:
    """Permission: Editor, Admin. The poll copied as its next wave (a draft)."""
    poll = poll_for_editor(request.user, slug)
    title_sv, title_en = next_wave_titles(poll)
    form = DuplicateForm(
        request.POST or None,
        initial={"slug": next_wave_slug(poll), "title_sv": title_sv, "title_en": title_en},
    )
    if request.method == "POST" and form.is_valid():
        copy = poll_duplicate(poll=poll, by=request.user, **form.cleaned_data)
        messages.success(
            request,
            _("The next wave was created as a draft with the same questions."),
        )
        return redirect(_poll_url(copy))
    return render(
        request,
        "polls/studio/duplicate.html",
        {"poll": poll, "form": form},
        status=400 if form.is_bound else 200,
    )


@editor_required
def export(request: HttpRequest, slug: str) -> HttpResponse:
    """Permission: Editor, Admin. The questionnaire as a JSON file."""
    poll = poll_for_editor(request.user, slug)
    response = HttpResponse(poll_export_json(poll), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{poll.slug}.json"'
    return response


@editor_required
@require_http_methods(["GET", "POST"])
def import_poll(request: HttpRequest) -> HttpResponse:
    """Permission: Editor, Admin. A new draft poll from a questionnaire file."""
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            poll = poll_import(
                form.cleaned_data["file"].read(),
                slug=form.cleaned_data["slug"] or None,
                by=request.user,
            )
        except QuestionnaireError as error:
            return render(
                request,
                "polls/studio/import.html",
                {"form": form, "problems": error.problems},
                status=400,
            )
        messages.success(request, _("The questionnaire was imported as a draft."))
        return redirect(_poll_url(poll))
    return render(
        request,
        "polls/studio/import.html",
        {"form": form, "problems": []},
        status=400 if form.is_bound else 200,
    )
