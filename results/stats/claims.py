"""Claims that stay true: the numbers and comparisons an editor writes, checked against results.

Pure Python; no Django. The result page's editor passes the text it is writing and what the page
shows (:class:`ShownShare` for every share with its interval, :class:`ShownDifference` for every
tested difference between two groups); :func:`check_claims` finds each claim in the text and
says whether the figures support it. The reasons are codes with the figures that matter, so the
page can word them in the reader's language.

The rules (Swedish and English wordings):

* **A percentage** ("57 procent", "57 %", "57,5 %") must be a share shown on the page, to the
  rounding the text uses (whole percent, or one decimal when the text has one). Percentage
  points ("procentenheter") are differences or margins, not shares, and are left alone.
* **"N av M"** ("9 av 10", "nio av tio", "tre av fyra", "varannan", "var tredje") needs a share
  whose interval lies wholly at or above ``(N - 0.5) / M`` (9 av 10: at least 85 %), and whose
  estimate is below ``(N + 0.5) / M`` (else the text understates it).
* **"Fler än hälften"**, "mer än hälften", "över hälften", "en majoritet", "majoriteten", "more
  than half", "a majority" need a share whose interval lies wholly above 50 %; "färre än
  hälften", "mindre än hälften", "under hälften", "less than half", "a minority" one wholly below.
* **"X är vanligare bland A än bland B"** (also "fler", "större", "högre", "oftare"; "more
  common among A than among B") needs a shown difference between groups A and B, in that
  direction, that is statistically significant after Holm's correction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "Claim",
    "Headline",
    "ShownDifference",
    "ShownShare",
    "check_claims",
    "suggest_headlines",
]


@dataclass(frozen=True)
class ShownShare:
    """A share as the page shows it (0-1), with its interval when the poll has one."""

    question: str
    label: str
    share: float
    ci_low: float | None
    ci_high: float | None
    n: int
    group: str | None = None


@dataclass(frozen=True)
class ShownDifference:
    """A tested difference of one answer's share between two groups (``a`` minus ``b``)."""

    question: str
    label: str
    group_a: str
    group_b: str
    share_a: float
    share_b: float
    p_adjusted: float
    significant: bool


ClaimKind = Literal["percent", "fraction", "half", "comparison"]


@dataclass(frozen=True)
class Claim:
    """One claim found in the text: where it stands, whether it holds, and why."""

    kind: ClaimKind
    text: str
    start: int
    end: int
    supported: bool
    # A code the page words: "shown", "not_shown", "interval_reaches_below", "overstated",
    # "no_interval", "not_above_half", "not_below_half", "not_significant", "opposite",
    # "groups_not_shown".
    reason: str
    # The figure that supports it, or the nearest one (what the editor may write instead).
    share: ShownShare | None = None
    difference: ShownDifference | None = None
    threshold: float | None = None
    details: dict[str, float] = field(default_factory=dict)


_NUMBER_WORDS = {
    "en": 1,
    "ett": 1,
    "one": 1,
    "två": 2,
    "two": 2,
    "tre": 3,
    "three": 3,
    "fyra": 4,
    "four": 4,
    "fem": 5,
    "five": 5,
    "sex": 6,
    "six": 6,
    "sju": 7,
    "seven": 7,
    "åtta": 8,
    "eight": 8,
    "nio": 9,
    "nine": 9,
    "tio": 10,
    "ten": 10,
}
_ORDINALS = {
    "tredje": 3,
    "fjärde": 4,
    "femte": 5,
    "sjätte": 6,
    "sjunde": 7,
    "åttonde": 8,
    "nionde": 9,
    "tionde": 10,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
}
_WORD = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_ORDINAL = "|".join(sorted(_ORDINALS, key=len, reverse=True))

# Letters of Swedish and English words, so that "5 %" inside "15 %" or "ena" is not a match.
_B = r"(?<![\wåäöÅÄÖ])"
_E = r"(?![\wåäöÅÄÖ])"

_PERCENT = re.compile(
    _B + r"(?P<number>\d{1,3}(?:[,.]\d)?)\s?(?:%|procent" + _E + r"|percent" + _E + r"|per cent)",
    re.IGNORECASE,
)
_FRACTION = re.compile(
    _B + rf"(?P<n>\d{{1,2}}|{_WORD})\s+(?:av|out of|in)\s+(?P<m>\d{{1,3}}|{_WORD})" + _E,
    re.IGNORECASE,
)
_EVERY = re.compile(
    _B + rf"(?:(?P<half>varannan|vartannat)|var(?:t)?\s+(?P<ord>{_ORDINAL})|every\s+(?P<en_ord>"
    rf"{_ORDINAL}|second))" + _E,
    re.IGNORECASE,
)
_ABOVE_HALF = re.compile(
    _B + r"(?:(?:fler|mer|över)\s+än\s+hälften|över\s+hälften|(?:en\s+)?majoritet(?:en)?"
    r"|more\s+than\s+half|over\s+half|a\s+majority|the\s+majority)" + _E,
    re.IGNORECASE,
)
_BELOW_HALF = re.compile(
    _B + r"(?:(?:färre|mindre)\s+än\s+hälften|under\s+hälften|en\s+minoritet"
    r"|(?:fewer|less)\s+than\s+half|under\s+half|a\s+minority)" + _E,
    re.IGNORECASE,
)
_COMPARISON = re.compile(
    _B + r"(?:vanligare|fler|större|högre|oftare|more\s+common|more\s+often|higher)"
    r"\s+(?:bland|hos|inom|i|among|in)\s+(?P<a>[^.;:!?]+?)\s+(?:än|than)\s+"
    r"(?:bland|hos|inom|i|among|in)?\s*(?P<b>[^.;:!?,]+)",
    re.IGNORECASE,
)


def _number(text: str) -> int:
    return int(text) if text.isdigit() else _NUMBER_WORDS[text.lower()]


def _percent(value: float, decimals: int) -> float:
    # Round half away from zero, as the page's "41 %" does (not Python's banker's rounding).
    scaled = value * 100 * 10**decimals
    return float(int(scaled + 0.5) / 10**decimals)


def _with_interval(shares: Iterable[ShownShare]) -> list[ShownShare]:
    return [s for s in shares if s.ci_low is not None and s.ci_high is not None]


def _low(share: ShownShare) -> float:
    return share.ci_low if share.ci_low is not None else 0.0


def _high(share: ShownShare) -> float:
    return share.ci_high if share.ci_high is not None else 1.0


def _percent_claims(text: str, shares: Sequence[ShownShare]) -> Iterable[Claim]:
    for match in _PERCENT.finditer(text):
        # "procent" must end the word: "procentenheter" (points) is a difference, not a share.
        raw = match.group("number").replace(",", ".")
        decimals = 1 if "." in raw else 0
        value = float(raw)
        matching = [s for s in shares if _percent(s.share, decimals) == value]
        nearest = min(shares, key=lambda s: abs(s.share * 100 - value), default=None)
        yield Claim(
            kind="percent",
            text=match.group(0),
            start=match.start(),
            end=match.end(),
            supported=bool(matching),
            reason="shown" if matching else "not_shown",
            share=matching[0] if matching else nearest,
            details={"value": value},
        )


def _fraction_claim(
    text: str, start: int, end: int, n: int, m: int, shares: Sequence[ShownShare]
) -> Claim:
    low_bound, high_bound = (n - 0.5) / m, (n + 0.5) / m
    candidates = _with_interval(shares)
    if not candidates:
        return Claim("fraction", text, start, end, False, "no_interval", threshold=low_bound)
    holding = [s for s in candidates if _low(s) >= low_bound - 1e-12 and s.share < high_bound]
    if holding:
        best = max(holding, key=_low)
        return Claim("fraction", text, start, end, True, "shown", share=best, threshold=low_bound)
    # The nearest share to the claim: the one the editor probably meant.
    nearest = min(candidates, key=lambda s: abs(s.share - n / m))
    reason = "overstated" if nearest.share >= high_bound else "interval_reaches_below"
    return Claim("fraction", text, start, end, False, reason, share=nearest, threshold=low_bound)


def _fraction_claims(text: str, shares: Sequence[ShownShare]) -> Iterable[Claim]:
    for match in _FRACTION.finditer(text):
        n, m = _number(match.group("n")), _number(match.group("m"))
        if not 0 < n <= m:
            continue
        yield _fraction_claim(
            match.group(0),
            match.start(),
            match.end(),
            n,
            m,
            _about(shares, _sentence(text, match.start(), match.end())),
        )
    for match in _EVERY.finditer(text):
        if match.group("half"):
            m = 2
        else:
            word = (match.group("ord") or match.group("en_ord")).lower()
            m = 2 if word == "second" else _ORDINALS[word]
        yield _fraction_claim(
            match.group(0),
            match.start(),
            match.end(),
            1,
            m,
            _about(shares, _sentence(text, match.start(), match.end())),
        )


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence around text[start:end]."""
    ends = ".!?\n"
    first = max(text.rfind(c, 0, start) for c in ends) + 1
    last = min((i for i in (text.find(c, end) for c in ends) if i != -1), default=len(text))
    return text[first:last]


def _about(shares: Sequence[ShownShare], sentence: str) -> list[ShownShare]:
    """The shares whose answer the sentence names ("Fler än hälften svarar ja": those of "Ja"),
    or all of them when it names none: a claim is checked against the answer it is about."""
    named = [
        s
        for s in shares
        if s.label
        and re.search(rf"(?<!\w){re.escape(s.label.casefold())}(?!\w)", sentence.casefold())
    ]
    return named or list(shares)


def _half_claims(text: str, shares: Sequence[ShownShare]) -> Iterable[Claim]:
    for pattern, above in ((_ABOVE_HALF, True), (_BELOW_HALF, False)):
        for match in pattern.finditer(text):
            candidates = _about(_with_interval(shares), _sentence(text, match.start(), match.end()))
            if not candidates:
                yield Claim(
                    "half", match.group(0), match.start(), match.end(), False, "no_interval"
                )
                continue
            if above:
                holding = [s for s in candidates if _low(s) > 0.5]
                nearest = max(candidates, key=_low)
            else:
                holding = [s for s in candidates if _high(s) < 0.5]
                nearest = min(candidates, key=_high)
            yield Claim(
                "half",
                match.group(0),
                match.start(),
                match.end(),
                bool(holding),
                "shown" if holding else ("not_above_half" if above else "not_below_half"),
                share=holding[0] if holding else nearest,
                threshold=0.5,
            )


def _names_in(phrase: str, names: Iterable[str]) -> list[str]:
    phrase = phrase.casefold()
    return [name for name in names if name.casefold() in phrase]


def _comparison_claims(text: str, differences: Sequence[ShownDifference]) -> Iterable[Claim]:
    groups = {d.group_a for d in differences} | {d.group_b for d in differences}
    for match in _COMPARISON.finditer(text):
        in_a = _names_in(match.group("a"), groups)
        in_b = _names_in(match.group("b"), groups)
        found = None
        for d in differences:
            if d.group_a in in_a and d.group_b in in_b:
                found, forward = d, True
            elif d.group_b in in_a and d.group_a in in_b:
                found, forward = d, False
            else:
                continue
            if found.significant and (found.share_a > found.share_b) == forward:
                break
        args: tuple[ClaimKind, str, int, int] = (
            "comparison",
            match.group(0),
            match.start(),
            match.end(),
        )
        if found is None:
            yield Claim(*args, False, "groups_not_shown")
            continue
        bigger_is_a = (found.share_a > found.share_b) == forward
        if not found.significant:
            reason, supported = "not_significant", False
        elif not bigger_is_a:
            reason, supported = "opposite", False
        else:
            reason, supported = "shown", True
        yield Claim(
            *args,
            supported,
            reason,
            difference=found,
            details={"p_adjusted": found.p_adjusted},
        )


def check_claims(
    text: str,
    shares: Sequence[ShownShare],
    differences: Sequence[ShownDifference] = (),
) -> list[Claim]:
    """Every claim in `text`, in the order they stand, each with its verdict."""
    claims = [
        *_percent_claims(text, shares),
        *_fraction_claims(text, shares),
        *_half_claims(text, shares),
        *_comparison_claims(text, differences),
    ]
    # Where two rules match overlapping words, the claim that starts first (the longer one
    # at the same start) is kept.
    claims.sort(key=lambda c: (c.start, -c.end))
    kept: list[Claim] = []
    for claim in claims:
        if kept and claim.start < kept[-1].end:
            continue
        kept.append(claim)
    return kept


@dataclass(frozen=True)
class Headline:
    """A sentence the editor can start from, with the figure behind it."""

    kind: Literal["fraction", "half", "percent", "comparison"]
    share: ShownShare | None = None
    difference: ShownDifference | None = None
    n: int = 0
    m: int = 0
    strength: float = 0.0


def suggest_headlines(
    shares: Sequence[ShownShare],
    differences: Sequence[ShownDifference] = (),
    *,
    limit: int = 3,
) -> list[Headline]:
    """The strongest findings that the figures support, strongest first: a share whose interval
    lies above a round fraction ("9 av 10"), above half, or a significant difference. Whole-poll
    shares only (group shares speak through the differences). The page words them."""
    found: list[Headline] = []
    for s in _with_interval(shares):
        if s.group is not None:
            continue
        fraction = next(
            ((n, 10) for n in (9, 8, 7) if _low(s) >= (n - 0.5) / 10 and s.share < (n + 0.5) / 10),
            None,
        )
        if fraction:
            found.append(Headline("fraction", share=s, n=fraction[0], m=10, strength=_low(s)))
        elif _low(s) > 0.5:
            found.append(Headline("half", share=s, strength=_low(s)))
    for d in differences:
        if d.significant:
            found.append(Headline("comparison", difference=d, strength=abs(d.share_a - d.share_b)))
    found.sort(key=lambda h: h.strength, reverse=True)
    return found[:limit]
