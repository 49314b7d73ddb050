"""What the dashboard, the API and the pages say of the analysis choices: every pair of groups
of a breakdown (`shown_pairs`), the base of a question's shares with its "don't know" choice
(`base_text`) and the variance each weighting uses (`variance_text`). Used by
`results.presenting`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .estimation import PairDifference

__all__ = ["ShownPair", "base_text", "shown_pairs", "variance_text"]


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


@dataclass(frozen=True)
class ShownPair:
    """Two groups of a breakdown (z test, Holm over every pair of groups)."""

    group: str
    versus: str
    share: float | None
    versus_share: float | None
    difference: float | None
    se: float | None
    p_value: float | None
    p_adjusted: float | None
    significant: bool
    note: str  # "statistically significant" or "within the margin of error"


def shown_pairs(pairs: Sequence[PairDifference], sampled: bool) -> list[ShownPair]:
    if not sampled:
        return []
    return [
        ShownPair(
            group=p.group,
            versus=p.versus,
            share=_finite(p.share),
            versus_share=_finite(p.versus_share),
            difference=_finite(p.difference),
            se=_finite(p.se),
            p_value=_finite(p.p_value),
            p_adjusted=_finite(p.p_adjusted),
            significant=p.significant,
            note=_("The difference is statistically significant")
            if p.significant
            else _("The difference is within the margin of error"),
        )
        for p in pairs
    ]


def variance_text(method: str) -> str:
    """Which variance a weighting uses, as a sentence."""
    if method == "poststrat":
        return _(
            "The margins of error of the post-stratified estimates treat the weighting cells "
            "as strata, each with its register count as finite population correction."
        )
    if method == "rake":
        return _(
            "The margins of error of the raked estimates are those of calibration from a "
            "simple random sample of the register (linearised, with finite population "
            "correction)."
        )
    return _(
        "The margins of error are those of a simple random sample from the register, with "
        "finite population correction."
    )


def base_text(dont_know: str | None, n_text: str, dont_know_n: int, *, language: str) -> str:
    """The base of a question's shares, stated beside them: its respondents (`n_text`) and
    what happened to "don't know" (`dont_know`: include, exclude or None)."""
    text = _("Base: %(n)s respondents.") % {"n": n_text}
    if dont_know == "exclude":
        text += " " + ngettext(
            "“Don't know” (%(n)s answer) is reported separately and left out of the base.",
            "“Don't know” (%(n)s answers) are reported separately and left out of the base.",
            dont_know_n,
        ) % {"n": dont_know_n}
    elif dont_know == "include":
        text += " " + _("“Don't know” is counted in the base.")
    return text
