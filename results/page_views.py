"""Result pages: the public page (anonymous, from a frozen version, cached) and the editor."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from polls.models import Poll
from staff.access import editor_required, reach
from staff.models import AuditEntry

from .forms import ResultBlockForm, ResultPageForm
from .models import ResultBlock, ResultPage
from .page_claims import headline_suggestions, page_claims
from .page_editor_views import claims_stop, poll_and_page, quote_picker
from .publishing import page_publish, page_snapshot, page_unpublish
from .scheduling import claims_as_data


def _language() -> str:
    return "en" if (translation.get_language() or "sv").startswith("en") else "sv"


def article_context(snapshot: dict[str, Any], language: str) -> dict[str, Any]:
    """The template's context for a snapshot: its language's blocks, each chart with an id."""
    data = copy.deepcopy(snapshot["languages"][language])
    for b, block in enumerate(data["blocks"], start=1):
        for p, part in enumerate(block.get("parts", []), start=1):
            part["figure_id"] = f"figure-{b}-{p}"
        if block.get("kind") in ("coded", "trend"):
            block["figure_id"] = f"figure-{b}-1"
    return {"page": snapshot, "data": data}


# --------------------------------------------------------------------------- the editor


def _renumber(page: ResultPage) -> None:
    for i, block in enumerate(page.blocks.order_by("order", "id")):
        if block.order != i:
            ResultBlock.objects.filter(pk=block.pk).update(order=i)


@editor_required
def result_pages(request, slug: str):
    """Permission: Editor. The poll's result pages; POST creates one (a draft)."""
    poll = reach(request.user, Poll, slug=slug)
    form = ResultPageForm(request.POST or None, prefix="new")
    if request.method == "POST" and form.is_valid():
        page = form.save(commit=False)
        page.poll = poll
        page.save()
        messages.success(request, _("The page is created as a draft."))
        return redirect("result-page-edit", poll.slug, page.pk)
    pages = poll.result_pages.annotate(n_versions=Count("versions")).order_by("-created_at")
    return render(
        request, "results/pages/page_list.html", {"poll": poll, "pages": pages, "form": form}
    )


@editor_required
def result_page_edit(request, slug: str, pk: int):
    """Permission: Editor. Compose a page: its texts, its blocks, the claims that the numbers
    do not support (with the right figure) and headline suggestions; publish from here."""
    poll, page = poll_and_page(request.user, slug, pk)
    form = ResultPageForm(request.POST or None, instance=page)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return redirect("result-page-edit", poll.slug, page.pk)
    snapshot = page_snapshot(page)
    claims = page_claims(page, snapshot)
    context = {
        "poll": poll,
        "page": page,
        "form": form,
        "block_form": ResultBlockForm(poll=poll, prefix="block"),
        "blocks": list(page.blocks.select_related("question").order_by("order", "id")),
        "claims": claims,
        "blocking": [c for c in claims if c.blocking],
        "headlines": headline_suggestions(snapshot),
        "versions": page.versions.select_related("published_by").order_by("-number"),
        "history": AuditEntry.objects.filter(
            action__startswith="page.", details__page_id=page.pk
        ).order_by("-at", "-id")[:20],
        **quote_picker(poll, request.GET),
    }
    return render(request, "results/pages/page_edit.html", context)


@editor_required
@require_POST
def result_page_block_add(request, slug: str, pk: int):
    """Permission: Editor. Add a block at the end of the page."""
    poll, page = poll_and_page(request.user, slug, pk)
    form = ResultBlockForm(request.POST, poll=poll, prefix="block")
    if form.is_valid():
        block = form.save(commit=False)
        block.page = page
        block.order = page.blocks.count()
        block.save()
        messages.success(request, _("The block is added."))
    else:
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, _("The block was not added: %(errors)s") % {"errors": errors})
    return redirect("result-page-edit", poll.slug, page.pk)


@editor_required
@require_POST
def result_page_block_move(request, slug: str, pk: int, block_id: int):
    """Permission: Editor. Move a block one step up or down."""
    poll, page = poll_and_page(request.user, slug, pk)
    _renumber(page)
    blocks = list(page.blocks.order_by("order", "id"))
    index = next((i for i, b in enumerate(blocks) if b.pk == block_id), None)
    if index is None:
        raise Http404
    other = index - 1 if request.POST.get("direction") == "up" else index + 1
    if 0 <= other < len(blocks):
        with transaction.atomic():
            ResultBlock.objects.filter(pk=blocks[index].pk).update(order=other)
            ResultBlock.objects.filter(pk=blocks[other].pk).update(order=index)
    return redirect("result-page-edit", poll.slug, page.pk)


@editor_required
@require_POST
def result_page_block_delete(request, slug: str, pk: int, block_id: int):
    """Permission: Editor. Remove a block."""
    poll, page = poll_and_page(request.user, slug, pk)
    get_object_or_404(ResultBlock, page=page, pk=block_id).delete()
    _renumber(page)
    messages.success(request, _("The block is removed."))
    return redirect("result-page-edit", poll.slug, page.pk)


@editor_required
def result_page_preview(request, slug: str, pk: int):
    """Permission: Editor. The page exactly as the public will see it, with today's numbers
    (the same template as the public page; nothing is stored)."""
    _poll, page = poll_and_page(request.user, slug, pk)
    context = article_context(page_snapshot(page), _language())
    response = render(request, "results/pages/public_page.html", context)
    response["X-Robots-Tag"] = "noindex"
    patch_cache_control(response, private=True, no_store=True)
    return response


@editor_required
@require_POST
def result_page_publish(request, slug: str, pk: int):
    """Permission: Editor. Freeze today's numbers as a new version and publish it. With a
    flagged claim it needs "publicera ändå" (`anyway`), which is logged with the claims."""
    poll, page = poll_and_page(request.user, slug, pk)
    snapshot = page_snapshot(page)
    flagged = page_claims(page, snapshot)
    if claims_stop(
        request,
        flagged,
        personal_data=_("Not published: a quote holds personal data. Edit or remove it first."),
        unsupported=_(
            "Not published: %(n)s claims are not supported by the numbers. Correct them, "
            "or tick “publish anyway”."
        ),
    ):
        return redirect("result-page-edit", poll.slug, page.pk)
    version = page_publish(
        page=page, by=request.user, snapshot=snapshot, overridden_claims=claims_as_data(flagged)
    )
    messages.success(
        request,
        _("Version %(number)s is published at %(url)s.")
        % {"number": version.number, "url": reverse("result-page-public", args=[page.slug])},
    )
    return redirect("result-page-edit", poll.slug, page.pk)


@editor_required
@require_POST
def result_page_unpublish(request, slug: str, pk: int):
    """Permission: Editor. Take the page and its versions off the public site."""
    poll, page = poll_and_page(request.user, slug, pk)
    page_unpublish(page=page, by=request.user)
    messages.success(request, _("The page is no longer public."))
    return redirect("result-page-edit", poll.slug, page.pk)
