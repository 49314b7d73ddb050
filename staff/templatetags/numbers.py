"""`{{ n|thousands }}`: a count of members or answers with the language's thousands separator
("5 000" in Swedish, with a non-breaking space; "5,000" in English).

A filter rather than USE_THOUSAND_SEPARATOR: that setting groups every number a template
prints, also ids and values in addresses, form values and data attributes ("?page=1 000",
`data-pk="1 234"`), so counts are grouped where they are shown, on purpose.
"""

from __future__ import annotations

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def thousands(value, decimals=None):
    """Grouped by thousands in the active language; not a number: returned as it is."""
    if value is None or value == "":
        return value
    try:
        return number_format(value, decimal_pos=decimals, force_grouping=True)
    except (TypeError, ValueError):
        return value
