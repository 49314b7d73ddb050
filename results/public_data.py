"""The numbers of a published result page in the results API's own shape.

`page_results(page)` is frozen into a page's snapshot when it is published (see
`results.publishing.page_snapshot`): per language, one results-API payload
(`results.api.PollResultsSerializer`) for each breakdown and weighting the page's blocks use,
holding only the questions the page shows. Small groups are suppressed in it exactly as in the
results API (it is the same payload); the poll's representativeness table, a staff tool, is left
out. The public JSON (`results.public_views.PublicPageJson`) serves it beside the page's texts.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation

from .api import results_payload
from .caching import cached_poll_results
from .estimation import ResultsError
from .models import ResultBlock, ResultPage

LANGUAGES = ("sv", "en")
NUMBER_KINDS = (ResultBlock.Kind.CHART, ResultBlock.Kind.CODED, ResultBlock.Kind.KEY_FIGURE)


def page_results(page: ResultPage) -> dict[str, list[dict[str, Any]]]:
    """Per language, the results-API payloads of the page's blocks (one per breakdown and
    weighting used, in the order first used), each with `weighted` and only the page's
    questions."""
    blocks = list(
        page.blocks.filter(kind__in=NUMBER_KINDS, question__isnull=False)
        .select_related("question")
        .order_by("order", "id")
    )
    uses: dict[tuple[str, bool], set[str]] = {}
    for block in blocks:
        assert block.question is not None
        uses.setdefault((block.by, block.weighted), set()).add(block.question.code)
    found: dict[str, list[dict[str, Any]]] = {}
    for language in LANGUAGES:
        with translation.override(language):
            payloads = []
            for (by, weighted), codes in uses.items():
                try:
                    results = cached_poll_results(
                        poll=page.poll, by=by or None, weights=None if weighted else "none"
                    )
                except ResultsError:
                    continue  # the block shows the error; there are no numbers to give
                payload = results_payload(results)
                payload["representativeness"] = None
                payload["questions"] = [q for q in payload["questions"] if q["code"] in codes]
                payload["weighted"] = weighted
                payloads.append(payload)
            found[language] = payloads
    return found
