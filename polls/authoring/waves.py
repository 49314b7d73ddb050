"""Repeated polls: a poll duplicated as its next wave, in the same series, each question linked
to the one it was copied from (for trends)."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils import timezone

from ..models import GridRow, Option, Poll, Question, Section

YEAR_RE = re.compile(r"(?<!\d)(20\d\d)(?!\d)")


def _next_year(text: str) -> str:
    return YEAR_RE.sub(lambda m: str(int(m.group(1)) + 1), text)


def next_wave_slug(poll: Poll) -> str:
    """verklighetsforankring-2026 -> verklighetsforankring-2027; a slug without a year gets
    the next calendar year; a taken slug gets -2, -3, ..."""
    if YEAR_RE.search(poll.slug):
        base = _next_year(poll.slug)
    else:
        base = f"{poll.slug}-{timezone.localdate().year + 1}"
    slug, n = base[:100], 2
    while Poll.objects.filter(slug=slug).exists():
        slug = f"{base[:95]}-{n}"
        n += 1
    return slug


def next_wave_titles(poll: Poll) -> tuple[str, str]:
    return _next_year(poll.title_sv), _next_year(poll.title_en)


def series_name(poll: Poll) -> str:
    """The series a poll's waves share: its own, or its slug without the year."""
    if poll.series:
        return poll.series
    return YEAR_RE.sub("", poll.slug).strip("-").replace("--", "-")[:100] or poll.slug[:100]


@transaction.atomic
def poll_duplicate(
    *, poll: Poll, slug: str, title_sv: str | None = None, title_en: str | None = None, by=None
) -> Poll:
    """A copy of `poll` as its next wave: a draft with the same pages, questions, options,
    statements and conditions, no field period, the same series, and links from the new poll
    and each new question to the ones they were copied from (for trends)."""
    series = series_name(poll)
    if not poll.series:
        poll.series = series
        poll.save(update_fields=["series"])
    copy = Poll.objects.create(
        slug=slug,
        title_sv=title_sv if title_sv is not None else poll.title_sv,
        title_en=title_en if title_en is not None else poll.title_en,
        intro_sv=poll.intro_sv,
        intro_en=poll.intro_en,
        organisation=poll.organisation,
        contact_email=poll.contact_email,
        state=Poll.State.DRAFT,
        register=poll.register,
        reporting_variables=list(poll.reporting_variables),
        min_cell_size=poll.min_cell_size,
        series=series,
        predecessor=poll,
    )
    sections = {
        section.pk: Section.objects.create(
            poll=copy, order=section.order, title_sv=section.title_sv, title_en=section.title_en
        )
        for section in poll.sections.all()
    }
    questions: dict[int, Question] = {}
    options: dict[int, Option] = {}
    originals = list(poll.questions.prefetch_related("options", "rows", "condition_options"))
    copied_fields = [
        f.name
        for f in Question._meta.concrete_fields
        if f.name not in ("id", "poll", "section", "condition_question", "predecessor")
    ]
    for original in originals:
        new = Question(
            poll=copy,
            section=sections.get(original.section_id) if original.section_id else None,
            predecessor=original,
            **{name: getattr(original, name) for name in copied_fields},
        )
        new.save()
        questions[original.pk] = new
        for option in original.options.all():
            options[option.pk] = Option.objects.create(
                question=new,
                order=option.order,
                code=option.code,
                label_sv=option.label_sv,
                label_en=option.label_en,
                is_dont_know=option.is_dont_know,
                exclusive=option.exclusive,
                anchored=option.anchored,
            )
        GridRow.objects.bulk_create(
            GridRow(
                question=new,
                order=row.order,
                code=row.code,
                text_sv=row.text_sv,
                text_en=row.text_en,
            )
            for row in original.rows.all()
        )
    for original in originals:
        if original.condition_question_id in questions:
            new = questions[original.pk]
            new.condition_question = questions[original.condition_question_id]
            new.save(update_fields=["condition_question"])
            new.condition_options.set(
                options[o.pk] for o in original.condition_options.all() if o.pk in options
            )
    return copy
