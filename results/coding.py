"""Coding open answers: editors' categories for a free-text question, and the coded question
reported like a multiple choice (a ranked list of codes with shares and intervals)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from polls.models import Answer, Question

from .estimation import poll_population
from .models import AnswerCode, CodedAnswer
from .stats.design import Design, share_estimates
from .stats.proportions import ShareEstimate


class CodingError(Exception):
    pass


def text_answers(question: Question) -> QuerySet[Answer]:
    """The question's non-empty open answers, oldest first."""
    return (
        Answer.objects.filter(question=question, text__isnull=False).exclude(text="").order_by("id")
    )


def code_create(*, question: Question, label_sv: str, label_en: str = "", by=None) -> AnswerCode:
    if question.kind != Question.Kind.TEXT:
        raise CodingError(_("Only open (free-text) questions are coded."))
    label_sv = label_sv.strip()
    if not label_sv:
        raise CodingError(_("A code needs a Swedish label."))
    order = question.answer_codes.count() + 1
    try:
        with transaction.atomic():
            return AnswerCode.objects.create(
                question=question,
                label_sv=label_sv,
                label_en=label_en.strip(),
                order=order,
                created_by=by,
            )
    except IntegrityError:
        raise CodingError(
            _("There is already a code “%(label)s” for this question.") % {"label": label_sv}
        ) from None


def codes_assign(*, code: AnswerCode, answer_ids: list[int]) -> int:
    """Give `code` to each of the answers (of the code's question); returns how many got it."""
    answers = list(
        text_answers(code.question).filter(pk__in=answer_ids).values_list("pk", flat=True)
    )
    if len(answers) != len(set(answer_ids)):
        raise CodingError(_("Some answers do not belong to this question."))
    before = CodedAnswer.objects.filter(code=code, answer_id__in=answers).count()
    CodedAnswer.objects.bulk_create(
        [CodedAnswer(code=code, answer_id=pk) for pk in answers], ignore_conflicts=True
    )
    return len(answers) - before


def codes_unassign(*, code: AnswerCode, answer_ids: list[int]) -> int:
    deleted, _detail = CodedAnswer.objects.filter(code=code, answer_id__in=answer_ids).delete()
    return deleted


def answers_for_coding(
    question: Question, *, search: str = "", only: str = "all"
) -> QuerySet[Answer]:
    """The answers to show: `only` is "all", "uncoded" or a code id as text."""
    answers = text_answers(question).prefetch_related("codings__code")
    if search:
        answers = answers.filter(text__icontains=search)
    if only == "uncoded":
        answers = answers.annotate(n_codes=Count("codings")).filter(n_codes=0)
    elif only.isdigit():
        answers = answers.filter(codings__code_id=int(only))
    return answers


@dataclass(frozen=True)
class CodeResult:
    code: AnswerCode
    estimate: ShareEstimate


@dataclass(frozen=True)
class CodedQuestionResult:
    question: Question
    n_answered: int
    n_coded: int
    codes: list[CodeResult]  # largest share first


def coded_question_results(
    question: Question, *, level: float = 0.95, method: str = "wilson"
) -> CodedQuestionResult:
    """Each code's share of the members who answered the open question, with its interval.

    The answering members are a domain of the whole poll's simple random sample (as svyby), so
    the finite population correction is the poll's; a member may have several codes, so the
    shares, like a multiple choice's, need not add up to 100 %."""
    poll = question.poll
    codes = list(question.answer_codes.order_by("order", "id"))
    response_ids = list(poll.responses.values_list("id", flat=True))
    answered = dict(text_answers(question).values_list("response_id", "id"))
    n_answered = len(answered)
    coded = CodedAnswer.objects.filter(code__question=question).values_list("answer_id", "code_id")
    n_coded = len({answer_id for answer_id, _code in coded})
    if not codes or n_answered == 0:
        return CodedQuestionResult(question, n_answered, n_coded, [])

    index = {rid: i for i, rid in enumerate(response_ids)}
    answer_row = {aid: index[rid] for rid, aid in answered.items() if rid in index}
    column = {code.pk: j for j, code in enumerate(codes)}
    y = np.zeros((len(response_ids), len(codes)), dtype=float)
    for answer_id, code_id in coded:
        if answer_id in answer_row:
            y[answer_row[answer_id], column[code_id]] = 1.0
    domain = np.zeros(len(response_ids), dtype=bool)
    domain[list(answer_row.values())] = True

    design = Design.srs(len(response_ids), poll_population(poll))
    estimates = share_estimates(design, y, domain, level=level, method=method)
    ranked = sorted(
        (CodeResult(code, est) for code, est in zip(codes, estimates, strict=True)),
        key=lambda r: (-r.estimate.share, r.code.order, r.code.pk),
    )
    return CodedQuestionResult(question, n_answered, n_coded, ranked)


def codes_summary(question: Question) -> QuerySet[AnswerCode]:
    return question.answer_codes.annotate(n=Count("codings", filter=Q(codings__isnull=False)))
