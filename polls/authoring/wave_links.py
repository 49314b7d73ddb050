"""Waves linked for trends: a poll's previous wave, each question's question in that wave, and
each answer's answer there (also when the wording or the codes changed).

"Next wave" in the studio (`waves.poll_duplicate`) links all of it by itself; the studio's page
"Link to the previous wave" (`views_waves`) lets an editor link by hand a poll that was made
otherwise, or correct a link. Linking is a poll's own metadata: it is allowed also after the
first response, since it changes no answer and no question.

Answers: `option_predecessors(question)` is the one rule of which previous answer an answer
continues. An `OptionLink` row (saved from the page) says it; an option without a row continues
the previous question's option of the same code, else one of the same order that no other
option continues. One to one: two old answers merged into one new are not compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from staff.audit import record

from ..models import Option, OptionLink, Poll, Question
from .studio import Refused
from .waves import series_name

__all__ = [
    "LinkedQuestion",
    "descendants",
    "option_predecessors",
    "poll_wave_links",
    "previous_wave_choices",
    "wave_links_save",
]


def option_predecessors(question: Question) -> dict[int, Option | None]:
    """Each option of `question` (by id, in order) -> the option of the previous wave's
    question it continues, or None (a new answer, or no previous question)."""
    options = list(question.options.order_by("order", "id"))
    if question.predecessor_id is None:
        return {o.pk: None for o in options}
    old = list(Option.objects.filter(question_id=question.predecessor_id).order_by("order", "id"))
    by_id = {o.pk: o for o in old}
    # Only rows that point into the current previous question count (a stale one is ignored).
    links = {
        link.option_id: link.predecessor_id
        for link in OptionLink.objects.filter(option__question=question)
        if link.predecessor_id is None or link.predecessor_id in by_id
    }
    found: dict[int, Option | None] = {}
    used: set[int] = {pk for pk in links.values() if pk is not None}
    for option in options:
        if option.pk in links:
            pk = links[option.pk]
            found[option.pk] = by_id[pk] if pk is not None else None
    for option in options:  # the same code
        if option.pk in found:
            continue
        match = next((o for o in old if o.code == option.code and o.pk not in used), None)
        if match is not None:
            found[option.pk] = match
            used.add(match.pk)
    for option in options:  # else the same place
        if option.pk in found:
            continue
        match = next((o for o in old if o.order == option.order and o.pk not in used), None)
        if match is not None:
            used.add(match.pk)
        found[option.pk] = match
    return {o.pk: found[o.pk] for o in options}


def descendants(poll: Poll) -> set[int]:
    """The ids of the later waves of `poll` (its successors, theirs, ...)."""
    found: set[int] = set()
    frontier = {poll.pk}
    while frontier:
        frontier = (
            set(Poll.objects.filter(predecessor_id__in=frontier).values_list("pk", flat=True))
            - found
        )
        found |= frontier
    return found


def previous_wave_choices(poll: Poll) -> QuerySet[Poll]:
    """The polls `poll` may follow: any but itself and its own later waves (no circle)."""
    return Poll.objects.exclude(pk__in={poll.pk, *descendants(poll)}).order_by("-created_at")


@dataclass
class LinkedQuestion:
    """A question of the poll with the question it continues and each option's option."""

    question: Question
    predecessor: Question | None
    candidates: list[Question]  # the previous wave's questions of the same kind
    options: list[tuple[Option, Option | None]]  # (option, the option it continues)
    old_options: list[Option]  # the predecessor's options
    suggested: Question | None  # preselected: the link, or (a new previous wave) the same code


def poll_wave_links(poll: Poll, previous: Poll | None) -> list[LinkedQuestion]:
    """What the linking page shows: each question with its link into `previous`."""
    old_questions = (
        list(previous.questions.prefetch_related("options").order_by("order", "id"))
        if previous is not None
        else []
    )
    rows = []
    choosing = previous is not None and poll.predecessor_id != previous.pk
    for question in poll.questions.select_related("predecessor").order_by("order", "id"):
        predecessor = question.predecessor
        if previous is None or (predecessor is not None and predecessor.poll_id != previous.pk):
            predecessor = None
        candidates = [q for q in old_questions if q.kind == question.kind]
        mapping = option_predecessors(question) if predecessor is not None else {}
        options = list(question.options.order_by("order", "id"))
        rows.append(
            LinkedQuestion(
                question=question,
                predecessor=predecessor,
                candidates=candidates,
                options=[(o, mapping.get(o.pk)) for o in options],
                old_options=list(predecessor.options.order_by("order", "id"))
                if predecessor is not None
                else [],
                suggested=predecessor
                if predecessor is not None or not choosing
                else next((q for q in candidates if q.code == question.code), None),
            )
        )
    return rows


@transaction.atomic
def wave_links_save(
    *,
    poll: Poll,
    previous: Poll | None,
    questions: Mapping[int, int | None],
    options: Mapping[int, int | None],
    by: object = None,
) -> int:
    """Link `poll` to `previous` (None: unlink), each question to `questions[question id]`
    (a question id of `previous` of the same kind, or None) and, for a question whose link is
    kept, each option to `options[option id]` (an option of the linked question, or None: a
    new answer). Raises `Refused`, changing nothing, on a link that cannot be. Returns the
    number of linked questions."""
    problems: list[str] = []
    if previous is not None and previous.pk in {poll.pk, *descendants(poll)}:
        raise Refused(_("A poll cannot follow itself or one of its own later waves."))
    old_questions = {q.pk: q for q in previous.questions.all()} if previous is not None else {}
    own = list(poll.questions.order_by("order", "id"))
    targets: dict[int, Question | None] = {}
    for question in own:
        wanted = questions.get(question.pk)
        target = old_questions.get(wanted) if wanted is not None else None
        if wanted is not None and target is None:
            problems.append(
                _("Question %(code)s: choose a question of the previous wave.")
                % {"code": question.code}
            )
        elif target is not None and target.kind != question.kind:
            problems.append(
                _("Question %(code)s: the previous wave's question is of another kind.")
                % {"code": question.code}
            )
        targets[question.pk] = target
    used = [pk for pk in targets.values() if pk is not None]
    if len({t.pk for t in used}) != len(used):
        problems.append(_("Each question of the previous wave can be linked to one question only."))
    links: dict[int, list[tuple[int, int | None]]] = {}
    for question in own:
        target = targets[question.pk]
        if target is None or target.pk != question.predecessor_id:
            continue  # a new link starts from the default answers
        old = set(target.options.values_list("pk", flat=True))
        chosen: list[tuple[int, int | None]] = []
        for option in question.options.order_by("order", "id"):
            if option.pk not in options:
                continue
            value = options[option.pk]
            if value is not None and value not in old:
                problems.append(
                    _("Question %(code)s: choose an answer of the linked question.")
                    % {"code": question.code}
                )
            chosen.append((option.pk, value))
        values = [v for _o, v in chosen if v is not None]
        if len(set(values)) != len(values):
            problems.append(
                _(
                    "Question %(code)s: two answers continue the same answer of the previous "
                    "wave; each old answer can continue in one new answer only."
                )
                % {"code": question.code}
            )
        links[question.pk] = chosen
    if problems:
        raise Refused(*problems)

    if previous is not None:
        series = series_name(previous)
        if not previous.series:
            previous.series = series
            previous.save(update_fields=["series"])
        poll.series = series
    poll.predecessor = previous
    poll.save(update_fields=["predecessor", "series"])
    for question in own:
        target = targets[question.pk]
        if (target.pk if target else None) != question.predecessor_id:
            question.predecessor = target
            question.save(update_fields=["predecessor"])
            OptionLink.objects.filter(option__question=question).delete()
    for chosen in links.values():
        for option_id, _value in chosen:
            OptionLink.objects.update_or_create(
                option_id=option_id, defaults={"predecessor_id": None}
            )
        # Two steps, so that swapping two answers never meets the one-to-one constraint.
        for option_id, value in chosen:
            OptionLink.objects.filter(option_id=option_id).update(predecessor_id=value)
    linked = sum(1 for t in targets.values() if t is not None)
    record(
        by,
        "poll.waves_linked",
        poll.slug,
        previous=previous.slug if previous is not None else None,
        questions=linked,
    )
    return linked
