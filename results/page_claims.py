"""What a result page's texts claim, checked against its frozen figures: each unsupported claim
with its reason and the right figure, worded in the active language (the rules are in
`results.stats.claims`); headline sentences from the strongest findings; e-mail addresses and
phone numbers in quotes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from polls.models import Option

from .models import ResultBlock, ResultPage
from .presenting import decimal_text, percent_text
from .stats import claims as claim_rules


def _claim_figures(
    blocks: list[dict[str, Any]],
) -> tuple[list[claim_rules.ShownShare], list[claim_rules.ShownDifference]]:
    """Every share the page shows, and every tested group difference (the engine's: a group
    against the rest, Holm-corrected; with two groups that is one group against the other)."""
    shares: list[claim_rules.ShownShare] = []
    differences: list[claim_rules.ShownDifference] = []
    for b in blocks:
        rows: list[tuple[str, dict[str, Any], str | None]] = []
        if b["kind"] == "chart":
            for part in b["parts"]:
                rows += [(b["question_text"], o, None) for o in part["options"]]
                shown_groups = [g for g in part["groups"] if not g["suppressed"]]
                for g in shown_groups:
                    rows += [(b["question_text"], o, g["group"]) for o in g["options"]]
                differences += _differences(b, part, shown_groups)
        elif b["kind"] == "coded":
            rows += [(b["question_text"], c, None) for c in b["codes"]]
        for question, o, group in rows:
            if o.get("share") is None:
                continue
            shares.append(
                claim_rules.ShownShare(
                    question=question,
                    label=o["label"],
                    share=o["share"],
                    ci_low=o["ci_low"],
                    ci_high=o["ci_high"],
                    n=o["n"] or 0,
                    group=group,
                )
            )
    return shares, differences


def _differences(
    block: dict[str, Any], part: dict[str, Any], groups: list[dict[str, Any]]
) -> list[claim_rules.ShownDifference]:
    found = []
    for g in groups:
        others = [other for other in groups if other is not g]
        rest = others[0]["group"] if len(others) == 1 else _("the others")
        for i, o in enumerate(g["options"]):
            if o.get("is_dont_know") or o.get("share") is None or o.get("versus_share") is None:
                continue
            found.append(
                claim_rules.ShownDifference(
                    question=block["question_text"],
                    label=part["all_labels"][i] if i < len(part["all_labels"]) else o["label"],
                    group_a=g["group"],
                    group_b=rest,
                    share_a=o["share"],
                    share_b=o["versus_share"],
                    p_adjusted=o["p_adjusted"],
                    significant=o["significant"],
                )
            )
    return found


@dataclass(frozen=True)
class FlaggedClaim:
    text: str
    field: str
    reason: str  # worded in the active language
    # Personal data in a quote: it must be edited out, "publish anyway" does not pass it.
    blocking: bool = False


def _reason_text(claim: claim_rules.Claim) -> str:
    share = claim.share
    figure = ""
    if share is not None:
        where = f" ({share.group})" if share.group else ""
        interval = ""
        if share.ci_low is not None and share.ci_high is not None:
            interval = _(", interval %(low)s–%(high)s") % {
                "low": decimal_text(100.0 * share.ci_low, 0),
                "high": percent_text(share.ci_high),
            }
        figure = _("%(label)s%(where)s: %(share)s%(interval)s") % {
            "label": share.label,
            "where": where,
            "share": percent_text(share.share),
            "interval": interval,
        }
    d = claim.difference
    difference = ""
    if d is not None:
        difference = _("%(label)s: %(a)s among %(group_a)s, %(b)s among %(group_b)s") % {
            "label": d.label,
            "a": percent_text(d.share_a),
            "group_a": d.group_a,
            "b": percent_text(d.share_b),
            "group_b": d.group_b,
        }
    threshold = percent_text(claim.threshold) if claim.threshold is not None else ""
    reasons = {
        "not_shown": _("No share on the page rounds to this figure. Nearest: %(figure)s."),
        "interval_reaches_below": _(
            "The interval reaches below %(threshold)s, so the data do not support it: %(figure)s."
        ),
        "overstated": _("The share is larger than the text says: %(figure)s."),
        "no_interval": _(
            "The poll is not a random sample, so no interval supports a claim of this kind."
        ),
        "not_above_half": _("No share's interval lies wholly above 50 %%. Largest: %(figure)s."),
        "not_below_half": _("No share's interval lies wholly below 50 %%. Smallest: %(figure)s."),
        "not_significant": _(
            "The difference is within the margin of error (Holm-corrected test): %(difference)s."
        ),
        "opposite": _("The difference goes the other way: %(difference)s."),
        "groups_not_shown": _("The page shows no tested difference between these groups."),
    }
    template = reasons.get(claim.reason, _("The data do not support this claim."))
    return template % {"figure": figure, "threshold": threshold, "difference": difference}


def _page_texts(page: ResultPage) -> list[tuple[str, str]]:
    texts = [(_("title"), page.title), (_("lead"), page.lead), (_("body"), page.body)]
    texts += [
        (_("block %(n)s") % {"n": b.order + 1}, b.text)
        for b in page.blocks.all()
        if b.kind in (ResultBlock.Kind.TEXT, ResultBlock.Kind.KEY_FIGURE, ResultBlock.Kind.CHART)
    ]
    return texts


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\d)(?:\+46|0)[\d\s-]{6,14}\d(?!\d)")
# A capitalised word (or a run of them: "Anna Berg", "Malmö stad"): in Swedish and English a
# proper noun, that is a name, a workplace or a place, unless it starts a sentence.
_CAPITALISED = re.compile(r"\b[A-ZÅÄÖÉÜ][a-zåäöéü]+(?:[ -][A-ZÅÄÖÉÜ][a-zåäöéü]+)*\b")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|[\"”“'(\[]\s*|\n\s*)$")
_BRACKETED = re.compile(r"\[[^\]]*\]")
# Common first names, caught also where they start a sentence ("Anna sa att ...").
FIRST_NAMES = frozenset(
    [
        "Anna",
        "Eva",
        "Maria",
        "Karin",
        "Kristina",
        "Lena",
        "Sara",
        "Emma",
        "Elin",
        "Ida",
        "Malin",
        "Johanna",
        "Sofia",
        "Linda",
        "Marie",
        "Helena",
        "Ingrid",
        "Camilla",
        "Jenny",
        "Hanna",
        "Susanne",
        "Ulla",
        "Annika",
        "Carina",
        "Monica",
        "Åsa",
        "Lisa",
        "Petra",
        "Erik",
        "Lars",
        "Karl",
        "Anders",
        "Johan",
        "Per",
        "Nils",
        "Mikael",
        "Jan",
        "Hans",
        "Peter",
        "Olof",
        "Gustav",
        "Fredrik",
        "Daniel",
        "Magnus",
        "Andreas",
        "Stefan",
        "Mattias",
        "Jonas",
        "Martin",
        "Henrik",
        "Mats",
        "Björn",
        "Ulf",
        "Bengt",
        "Oskar",
        "Ali",
        "Mohammed",
        "Ahmed",
        "Fatima",
    ]
)
# Capitalised words that name nobody: the country, national bodies, the week's days.
NOT_PERSONAL = frozenset(
    [
        "Sverige",
        "Sveriges",
        "Norden",
        "Europa",
        "EU",
        "Socialstyrelsen",
        "Regeringen",
        "Riksdagen",
        "Covid",
        "Corona",
        "Sweden",
        "Swedish",
        "I",
        "I'm",
        "I've",
        "Ok",
        "OK",
        "Jag",
        "Vi",
        "Man",
        "Det",
        "Den",
        "De",
        "Men",
        "Och",
        "Att",
        "Som",
        "Om",
    ]
)


def _vocabulary(page: ResultPage) -> set[str]:
    """The words of the poll's own texts (questions, answers, organisation): naming those is
    not naming a member."""
    poll = page.poll
    texts = [poll.organisation or "", poll.title_sv or "", poll.title_en or ""]
    for q in poll.questions.all():
        texts += [q.text_sv or "", q.text_en or ""]
    for o in Option.objects.filter(question__poll=poll):
        texts += [o.label_sv or "", o.label_en or ""]
    return {w for t in texts for w in re.findall(r"\w+", t)}


def _names(text: str, known: set[str]) -> list[str]:
    found = []
    clean = _BRACKETED.sub(lambda m: " " * len(m.group(0)), text)
    for match in _CAPITALISED.finditer(clean):
        words = [w for w in re.split(r"[ -]", match.group(0)) if w]
        if all(w in known or w in NOT_PERSONAL for w in words):
            continue
        at_start = bool(_SENTENCE_START.search(clean[: match.start()]))
        if at_start and len(words) == 1 and words[0] not in FIRST_NAMES:
            continue  # a sentence's first word
        if at_start and len(words) > 1 and words[0] not in FIRST_NAMES:
            rest = match.group(0)[len(words[0]) :].lstrip(" -")
            if rest and not all(w in known or w in NOT_PERSONAL for w in words[1:]):
                found.append(rest)
            continue
        found.append(match.group(0))
    return found


def personal_data_flags(page: ResultPage) -> list[FlaggedClaim]:
    """Names, workplaces (and other places), e-mail addresses and phone numbers in the quotes:
    they must be removed (or replaced, say by [namn]) before the page can be published."""
    flagged = []
    quotes = list(page.blocks.filter(kind=ResultBlock.Kind.QUOTE).order_by("order", "id"))
    known = _vocabulary(page) if quotes else set()
    for b in quotes:
        where = _("block %(n)s") % {"n": b.order + 1}
        text = b.text
        for pattern, reason in (
            (_EMAIL, _("An e-mail address in a quote: remove it before publishing.")),
            (_PHONE, _("A phone number in a quote: remove it before publishing.")),
        ):
            for match in pattern.finditer(text):
                flagged.append(FlaggedClaim(match.group(0), where, reason, blocking=True))
            text = pattern.sub(" ", text)
        for name in _names(text, known):
            reason = _(
                "A name or a workplace in a quote? Remove it or replace it, say by [name], "
                "before publishing."
            )
            flagged.append(FlaggedClaim(name, where, reason, blocking=True))
    return flagged


def page_claims(page: ResultPage, snapshot: dict[str, Any]) -> list[FlaggedClaim]:
    """The unsupported claims of the page's texts, each with its reason and the right figure,
    checked against the figures of `snapshot` (in the active language)."""
    language = "en" if (translation.get_language() or "sv").startswith("en") else "sv"
    data = snapshot["languages"][language]
    shares, differences = _claim_figures(data["blocks"])
    flagged = []
    for field_name, text in _page_texts(page):
        for claim in claim_rules.check_claims(text or "", shares, differences):
            if not claim.supported:
                flagged.append(FlaggedClaim(claim.text, field_name, _reason_text(claim)))
    return flagged + personal_data_flags(page)


def headline_suggestions(snapshot: dict[str, Any]) -> list[str]:
    """Sentences from the strongest findings the figures support."""
    language = "en" if (translation.get_language() or "sv").startswith("en") else "sv"
    shares, differences = _claim_figures(snapshot["languages"][language]["blocks"])
    sentences = []
    for h in claim_rules.suggest_headlines(shares, differences):
        if h.kind == "fraction" and h.share is not None:
            sentences.append(
                _("%(n)s of %(m)s answer “%(label)s” to “%(question)s” (%(share)s).")
                % {
                    "n": h.n,
                    "m": h.m,
                    "label": h.share.label,
                    "question": h.share.question,
                    "share": percent_text(h.share.share),
                }
            )
        elif h.kind == "half" and h.share is not None:
            sentences.append(
                _("More than half answer “%(label)s” to “%(question)s” (%(share)s).")
                % {
                    "label": h.share.label,
                    "question": h.share.question,
                    "share": percent_text(h.share.share),
                }
            )
        elif h.kind == "comparison" and h.difference is not None:
            d = h.difference
            high, low = (d.group_a, d.group_b) if d.share_a > d.share_b else (d.group_b, d.group_a)
            sentences.append(
                _("“%(label)s” is more common among %(high)s than among %(low)s.")
                % {"label": d.label, "high": high, "low": low}
            )
    return sentences
