"""Swedish formats (FORMAT_MODULE_PATH): Django's, with month names written out in dates
("25 november 2026", never "25 Nov 2026"), and a non-breaking space between thousands."""

from django.conf.locale.sv.formats import *  # noqa: F403

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y H:i"
MONTH_DAY_FORMAT = "j F"
THOUSAND_SEPARATOR = "\xa0"
NUMBER_GROUPING = 3
DECIMAL_SEPARATOR = ","
