"""The public side of result pages: the article, its embeds, its chart images and its JSON.

Every view here is public (anonymous visitors; staff see exactly the same) and renders a frozen
`ResultPageVersion` only, never live data, from the cache (`results.public_cache`: no database
query on a hit). Addresses:

- /r/<slug>/ and /r/<slug>/v<n>/: the article (the newest version, or version n);
- /r/<slug>/embed/<block>/ and /r/<slug>/v<n>/embed/<block>/: one chart block, its table, n and
  margin of error, for an iframe on the union's own site: the only views that may be framed;
- /r/<slug>/v<n>/chart-<block>-<part>.<language>.png: a chart drawn on the server (the page's
  Open Graph / Twitter image and its PNG download);
- /r/<slug>/data.json and /r/<slug>/v<n>/data.json: the version's texts and numbers (in the
  OpenAPI schema), with an ETag and a 304 on If-None-Match.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from csp.decorators import csp_replace
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from . import public_cache
from .chart_images import chart_png
from .page_views import article_context
from .presenting import moe_range_text
from .public_schema import PublicPageSerializer

PUBLIC_SECONDS = 300  # the newest version's address: a new version shows within 5 minutes
VERSION_SECONDS = 3600  # a version's own address never changes (until it is unpublished)
LANGUAGES = ("sv", "en")


def _language() -> str:
    return "en" if (translation.get_language() or "sv").startswith("en") else "sv"


def _version(page_slug: str, number: int | None) -> tuple[int, int, int, dict[str, Any]]:
    """(page id, version number, newest number, snapshot), or 404."""
    found = public_cache.published(page_slug)
    if found is None:
        raise Http404
    page_id, latest = found
    wanted = latest if number is None else number
    snapshot = public_cache.snapshot(page_id, wanted)
    if snapshot is None:
        raise Http404
    return page_id, wanted, latest, snapshot


def _block_moe(block: dict[str, Any], language: str) -> str:
    """The block's margin of error as the method box words it: "... 2,5–4 percentage points."."""
    if not block.get("random_sample"):
        return _("Not a random sample: no margin of error can be given.")
    rows = [o for part in block.get("parts", []) for o in part.get("options", [])]
    rows += [
        o for part in block.get("parts", []) for g in part.get("groups", []) for o in g["options"]
    ]
    rows += block.get("codes", [])
    widths = [
        100 * max(r["ci_high"] - r["share"], r["share"] - r["ci_low"])
        for r in rows
        if r.get("ci_low") is not None and r.get("ci_high") is not None
    ]
    if not widths:
        return ""
    return _("Statistical margin of error %(moe_text)s percentage points.") % {
        "moe_text": moe_range_text((min(widths), max(widths)), language)
    }


def _embed_height(block: dict[str, Any]) -> int:
    """About the embed's height in pixels: its charts, its table rows and the texts."""
    height = 190
    for part in block.get("parts", []) or [block]:
        figure = part.get("figure") or {}
        height += int(figure.get("layout", {}).get("height", 0)) + 60
        height += 44 * (len(part.get("options", [])) + len(part.get("groups", [])))
        height += 44 * len(part.get("codes", []))
    return min(height, 2400)


def public_context(
    snapshot: dict[str, Any], language: str, *, slug: str, number: int, origin: str
) -> dict[str, Any]:
    """`article_context` with each chart's PNG address and SVG file name and each chart
    block's embed address and iframe snippet; `og_image` is the first chart's image."""
    context = article_context(snapshot, language)
    base = f"/r/{slug}/v{number}/"
    images: list[str] = []
    for b, block in enumerate(context["data"]["blocks"], start=1):
        if block.get("kind") == "chart":
            for p, part in enumerate(block.get("parts", []), start=1):
                if part.get("figure"):
                    part["png_url"] = f"{base}chart-{b}-{p}.{language}.png"
                    part["file_name"] = f"{slug}-{b}-{p}"
                    images.append(part["png_url"])
        elif block.get("kind") == "coded" and block.get("figure") and not block["suppressed"]:
            block["png_url"] = f"{base}chart-{b}-1.{language}.png"
            block["file_name"] = f"{slug}-{b}"
            images.append(block["png_url"])
        else:
            continue
        block["embed_url"] = f"{origin}{base}embed/{b}/"
        block["embed_snippet"] = (
            f'<iframe src="{block["embed_url"]}" title="{escape(block.get("question_text", ""))}"'
            f' width="100%" height="{_embed_height(block)}" loading="lazy"></iframe>'
        )
    context.update(
        LANGUAGE_CODE=language,
        version_number=number,
        page_url=f"{origin}/r/{slug}/",
        og_image=f"{origin}{images[0]}" if images else "",
    )
    return context


def _origin(request: Any) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def public_page(request, page_slug: str, number: int | None = None):
    """Permission: public (anonymous). A published page: its newest version, or version
    `number`. The same HTML for everyone (staff too: no staff data or links), from the cache."""
    page_id, wanted, latest, snapshot = _version(page_slug, number)
    language = _language()
    origin = _origin(request)

    def make() -> str:
        from django.utils.dateparse import parse_datetime

        context = public_context(snapshot, language, slug=page_slug, number=wanted, origin=origin)
        context.update(
            published_at=parse_datetime(snapshot.get("published_at", "")),
            older_link=f"/r/{page_slug}/" if wanted != latest else "",
        )
        return render_to_string("results/pages/public_page.html", context)

    html = public_cache.rendered(f"{page_id}:v{wanted}:of{latest}:{language}:{origin}:page", make)
    response = HttpResponse(html)
    patch_cache_control(
        response, public=True, max_age=PUBLIC_SECONDS if number is None else VERSION_SECONDS
    )
    return response


@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})  # type: ignore[arg-type]
def public_embed(request, page_slug: str, block: int, number: int | None = None):
    """Permission: public (anonymous). One chart block of a published page for an iframe on
    another site (the only pages that may be framed): the chart, its table, n, the margin of
    error and a link to the whole article."""
    page_id, wanted, _latest, snapshot = _version(page_slug, number)
    language = _language()
    origin = _origin(request)

    def make() -> str | None:
        context = public_context(snapshot, language, slug=page_slug, number=wanted, origin=origin)
        blocks = context["data"]["blocks"]
        if not 1 <= block <= len(blocks) or "embed_url" not in blocks[block - 1]:
            return ""
        shown = blocks[block - 1]
        context.update(
            data={"blocks": [shown], "about": []},
            embed=True,
            block_moe=_block_moe(shown, language),
        )
        return render_to_string("results/pages/embed.html", context)

    html = public_cache.rendered(f"{page_id}:v{wanted}:{language}:{origin}:embed-{block}", make)
    if not html:
        raise Http404
    response = HttpResponse(html)
    patch_cache_control(
        response, public=True, max_age=PUBLIC_SECONDS if number is None else VERSION_SECONDS
    )
    return response


def chart_image(request, page_slug: str, number: int, block: int, part: int, language: str):
    """Permission: public (anonymous). A chart of a published version as a 1200×630 PNG,
    drawn on the server from the snapshot (the Open Graph image and the PNG download)."""
    if language not in LANGUAGES:
        raise Http404
    page_id, wanted, _latest, snapshot = _version(page_slug, number)

    def make() -> bytes:
        blocks = snapshot["languages"][language]["blocks"]
        if not 1 <= block <= len(blocks):
            return b""
        shown = blocks[block - 1]
        if shown.get("kind") == "chart":
            parts = shown.get("parts", [])
            if not 1 <= part <= len(parts) or not parts[part - 1].get("figure"):
                return b""
        elif shown.get("kind") != "coded" or part != 1 or not shown.get("figure"):
            return b""
        return chart_png(
            shown, part - 1, organisation=snapshot.get("organisation", ""), language=language
        )

    png = public_cache.rendered(f"{page_id}:v{wanted}:{language}:png-{block}-{part}", make)
    if not png:
        raise Http404
    response = HttpResponse(png, content_type="image/png")
    patch_cache_control(response, public=True, max_age=VERSION_SECONDS)
    return response


class PublicPageJson(APIView):
    """Permission: public (anonymous). A published version's texts and numbers as JSON."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(
        operation_id="public_result_page",
        summary="A published result page and its numbers (the newest version)",
        description=(
            "The frozen snapshot of a published result page: its texts, per language every "
            "block as the page shows it and the box “About the survey”, and in `results` the "
            "same numbers in the shape of the results API (`poll_results`), one payload per "
            "breakdown and weighting the page uses, with only the page's questions. Small "
            "groups are suppressed as in the results API. No authentication. The ETag names "
            "the version: If-None-Match gives 304 Not Modified until a new version is published."
        ),
        responses={
            200: PublicPageSerializer,
            304: OpenApiResponse(description="Not modified (If-None-Match had the ETag)."),
            404: OpenApiResponse(description="No such published page or version."),
        },
    )
    def get(self, request: Request, page_slug: str, number: int | None = None) -> HttpResponse:
        page_id, wanted, _latest, snapshot = _version(page_slug, number)
        tag = f'"result-page-{page_id}-v{wanted}"'
        sent = [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]
        if tag in sent or "*" in sent:
            response = HttpResponse(status=304)
        else:
            body = public_cache.rendered(
                f"{page_id}:v{wanted}:json",
                lambda: json.dumps(
                    PublicPageSerializer(copy.deepcopy(snapshot)).data, ensure_ascii=False
                ),
            )
            response = HttpResponse(body, content_type="application/json")
        response["ETag"] = tag
        patch_cache_control(
            response, public=True, max_age=PUBLIC_SECONDS if number is None else VERSION_SECONDS
        )
        return response


class PublicPageVersionJson(PublicPageJson):
    """Permission: public (anonymous). Version n of a published page, as `PublicPageJson`."""

    @extend_schema(
        operation_id="public_result_page_version",
        summary="Version n of a published result page and its numbers",
        description="As `public_result_page`, for one published version, which never changes.",
        responses={
            200: PublicPageSerializer,
            304: OpenApiResponse(description="Not modified (If-None-Match had the ETag)."),
            404: OpenApiResponse(description="No such published page or version."),
        },
    )
    def get(self, request: Request, page_slug: str, number: int | None = None) -> HttpResponse:
        return super().get(request, page_slug, number)
