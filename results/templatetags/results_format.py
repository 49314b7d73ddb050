"""Numbers and dates as the result pages write them: `{% load results_format %}`."""

from __future__ import annotations

import datetime

from django import template
from django.utils import formats, timezone, translation

from results.presenting import decimal_text
from results.presenting import thousands as _thousands

register = template.Library()

# Swedish abbreviates months with a full stop, except the short ones written out (språkrådet):
# "25 nov. 2026", "3 maj 2026".
SWEDISH_MONTHS = (
    "jan.", "feb.", "mars", "apr.", "maj", "juni", "juli", "aug.", "sep.", "okt.", "nov.", "dec.",
)  # fmt: skip


@register.filter
def thousands(value):
    """5000 -> "5 000" (no-break space) in Swedish, "5,000" in English; "–" for nothing."""
    if value is None or value == "":
        return "–"
    try:
        return _thousands(float(value))
    except (TypeError, ValueError):
        return value


@register.filter
def short_date(value):
    """A date as "25 nov. 2026" in Swedish, "25 Nov 2026" in English."""
    if not isinstance(value, datetime.date):
        return value
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    if (translation.get_language() or "sv").startswith("en"):
        return formats.date_format(value, "j M Y")
    return f"{value.day} {SWEDISH_MONTHS[value.month - 1]} {value.year}"


@register.filter
def points(value):
    """A difference of shares in percentage points: 0.123 -> "+12,3" (Swedish decimal comma)."""
    if value is None:
        return "–"
    text = decimal_text(100.0 * float(value), 1)
    return text if text.startswith("-") else f"+{text}"


@register.filter
def pvalue(value):
    """A p-value with three decimals ("0,012"), "<0,001" below that; "–" for nothing."""
    if value is None:
        return "–"
    if float(value) < 0.001:
        return f"<{decimal_text(0.001, 3)}"
    return decimal_text(float(value), 3)
