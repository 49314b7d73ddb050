"""Result pages: the public page (anonymous, from a frozen version, cached) and the editor."""

from __future__ import annotations

import copy
from typing import Any

from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import patch_cache_control

from .models import ResultPage, ResultPageVersion

PUBLIC_SECONDS = 300


def _language() -> str:
    return "en" if (translation.get_language() or "sv").startswith("en") else "sv"


def article_context(snapshot: dict[str, Any], language: str) -> dict[str, Any]:
    """The template's context for a snapshot: its language's blocks, each chart with an id."""
    data = copy.deepcopy(snapshot["languages"][language])
    for b, block in enumerate(data["blocks"], start=1):
        for p, part in enumerate(block.get("parts", []), start=1):
            part["figure_id"] = f"figure-{b}-{p}"
        if block.get("kind") == "coded":
            block["figure_id"] = f"figure-{b}-1"
    return {"page": snapshot, "data": data}


def _public_key(page: ResultPage, number: int, latest: int, language: str) -> str:
    # A version never changes: its rendering is cached for good (a newer version changes
    # only its link to the latest, hence `latest` in the key).
    return f"result-page:{page.pk}:v{number}:of{latest}:{language}"


def public_page(request, page_slug: str, number: int | None = None):
    """Permission: public (anonymous). A published page: its newest version, or version
    `number` at /r/<slug>/v<n>/. Rendered from the frozen snapshot only, never from live data;
    no staff data or links; the same HTML for everyone, so it is cached."""
    page = ResultPage.objects.filter(slug=page_slug, state=ResultPage.State.PUBLISHED).first()
    if page is None:
        raise Http404
    versions = ResultPageVersion.objects.filter(page=page)
    latest = versions.order_by("-number").values_list("number", flat=True).first()
    if latest is None:
        raise Http404
    wanted = latest if number is None else number
    language = _language()
    key = _public_key(page, wanted, latest, language)
    html = cache.get(key)
    if html is None:
        version = versions.filter(number=wanted).first()
        if version is None:
            raise Http404
        context = article_context(version.snapshot, language)
        context.update(
            version_number=version.number,
            published_at=version.published_at,
            older_link=f"/r/{page.slug}/" if wanted != latest else "",
            LANGUAGE_CODE=language,
        )
        html = render_to_string("results/pages/public_page.html", context)
        cache.set(key, html, None)
    response = HttpResponse(html)
    patch_cache_control(response, public=True, max_age=PUBLIC_SECONDS)
    return response
