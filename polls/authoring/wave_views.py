"""The studio's page "Link to the previous wave" (see `wave_links`). Permission: Editor, Admin.

Works without JavaScript: choosing another previous wave and pressing "Show its questions"
reloads the page (GET ?previous=<id>) without saving; "Save the links" saves everything.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from staff.access import editor_required

from ..models import Poll
from .studio import Refused, poll_for_editor
from .wave_links import poll_wave_links, previous_wave_choices, wave_links_save


def _int_or_none(value: str | None) -> int | None:
    """A posted id; "" (no link) and anything not a number are None."""
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _previous(poll: Poll, raw: str | None, choices) -> tuple[Poll | None, bool]:
    """The previous wave named by `raw` (an id among `choices`); (None, False) when `raw` names
    none of them."""
    if raw is None:
        return poll.predecessor, True
    if raw == "":
        return None, True
    pk = _int_or_none(raw)
    found = choices.filter(pk=pk).first() if pk is not None else None
    return found, found is not None


@editor_required
@require_http_methods(["GET", "POST"])
def wave_links(request: HttpRequest, slug: str) -> HttpResponse:
    """Permission: Editor, Admin. The poll's previous wave, and for each question the question
    (and for each answer the answer) of that wave it continues, for trends."""
    poll = poll_for_editor(request.user, slug)
    choices = previous_wave_choices(poll)
    data = request.POST if request.method == "POST" else request.GET
    previous, known = _previous(poll, data.get("previous"), choices)
    status = 200
    if not known:
        messages.error(request, _("Choose the previous wave among the polls listed."))
        previous, status = poll.predecessor, 400
    elif request.method == "POST":
        questions = {
            int(key[2:]): _int_or_none(request.POST.get(key))
            for key in request.POST
            if key.startswith("q-") and key[2:].isdigit()
        }
        options = {
            int(key[2:]): _int_or_none(request.POST.get(key))
            for key in request.POST
            if key.startswith("o-") and key[2:].isdigit()
        }
        try:
            linked = wave_links_save(
                poll=poll, previous=previous, questions=questions, options=options, by=request.user
            )
        except Refused as problem:
            for message in problem.messages:
                messages.error(request, message)
            status = 400
        else:
            messages.success(
                request,
                ngettext(
                    "The links are saved: %(n)s question continues the previous wave.",
                    "The links are saved: %(n)s questions continue the previous wave.",
                    linked,
                )
                % {"n": linked},
            )
            return redirect("studio-wave-links", slug=poll.slug)
    return render(
        request,
        "polls/studio/wave_links.html",
        {
            "poll": poll,
            "previous": previous,
            "choices": choices,
            "rows": poll_wave_links(poll, previous),
            "saved_previous": poll.predecessor,
        },
        status=status,
    )
