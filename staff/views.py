"""The audit trail for admins: browse and filter it (/staff/audit/), download what the filters
pick as CSV. Permission: the Admin role (and superusers); editors get 403."""

from __future__ import annotations

import csv
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django_htmx.middleware import HtmxDetails

from . import audit
from .access import audit_required
from .audit_labels import AUDIT_DOWNLOAD, action_label
from .audit_trail import (
    PER_PAGE,
    CappedPaginator,
    audit_csv_rows,
    audit_entries,
    details_shown,
    local_time,
    who_shown,
)
from .forms import AuditFilterForm


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails  # set by django_htmx's middleware


FILTERS = ("action", "who", "target", "since", "until")
TEXTS = ("action", "who", "target")


def _filters(form: AuditFilterForm) -> dict[str, Any]:
    """The arguments of `audit_entries`: texts ("" when not given) and dates (or None)."""
    return {
        name: form.cleaned_data.get(name) or ("" if name in TEXTS else None) for name in FILTERS
    }


def _query(request: HttpRequest) -> str:
    """The filters of the query string, without the page: for the pager and the CSV link."""
    query = request.GET.copy()
    query.pop("page", None)
    for name in list(query):
        if name not in FILTERS or not query.get(name):
            query.pop(name)
    return query.urlencode()


@audit_required
def audit_trail(request: HtmxHttpRequest) -> HttpResponse:
    """Permission: Admin. The entries newest first, 50 a page. htmx (the filters, the pager)
    asks for the table only; without JavaScript the form and the links load the whole page.
    Filters that cannot be read are listed and nothing is shown (400 for a whole page)."""
    form = AuditFilterForm(request.GET or None)
    context: dict[str, Any] = {"form": form, "query": _query(request), "page": None}
    valid = not form.is_bound or form.is_valid()
    if valid:
        entries = audit_entries(**_filters(form)) if form.is_bound else audit_entries()
        page = CappedPaginator(entries, PER_PAGE).get_page(request.GET.get("page"))
        context["page"] = page
        context["rows"] = [
            {
                "entry": entry,
                "at": local_time(entry.at),
                "who": who_shown(entry),
                "action": action_label(entry.action),
                "details": details_shown(entry.details),
            }
            for entry in page.object_list
        ]
    partial = bool(request.htmx) and not request.htmx.history_restore_request
    if partial:
        # htmx swaps 200 responses only: the table's error notice must reach the page.
        response = render(request, "staff/_audit_results.html", context)
    else:
        response = render(request, "staff/audit_trail.html", context, status=200 if valid else 400)
    patch_vary_headers(response, ["HX-Request"])
    return response


class _Echo:
    def write(self, value: str) -> str:
        return value


@audit_required
def audit_trail_csv(request: HttpRequest) -> HttpResponseBase:
    """Permission: Admin. The entries the filters pick, as CSV (semicolons, UTF-8 with BOM for
    Excel). The download is itself an entry of the trail, written before the file is sent."""
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return render(
            request,
            "staff/audit_trail.html",
            {"form": form, "query": _query(request), "page": None, "download_refused": True},
            status=400,
        )
    filters = _filters(form)
    entries = audit_entries(**filters)
    audit.record(
        request.user, AUDIT_DOWNLOAD, "", filters={k: str(v) for k, v in filters.items() if v}
    )
    writer = csv.writer(_Echo(), delimiter=";")

    def lines():
        rows = audit_csv_rows(entries)
        yield "\ufeff" + writer.writerow(next(rows))
        for row in rows:
            yield writer.writerow(row)

    stamp = f"{local_time(timezone.now()):%Y%m%d-%H%M}"
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="granskningslogg-{stamp}.csv"'
    return response
