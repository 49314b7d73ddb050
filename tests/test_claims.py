"""An editor's words checked against the poll's numbers (results/stats/claims.py), a test a rule.

The figures are built as the page shows them; the claim checker needs no database.
"""

import pytest

from results.stats.claims import ShownDifference, ShownShare, check_claims, suggest_headlines
from results.stats.proportions import share_estimate


def shown(label, count, n, *, question="Anser du att arbetsbelastningen är för hög?", **kw):
    estimate = share_estimate(count, n, population=20_000)
    return ShownShare(
        question=question,
        label=label,
        share=estimate.share,
        ci_low=estimate.ci_low,
        ci_high=estimate.ci_high,
        n=n,
        **kw,
    )


YES = shown("Ja", 342, 600)  # 57 %, interval about 53-61 %
NO = shown("Nej", 258, 600)  # 43 %
NINE_IN_TEN = shown("Ja", 558, 600, question="Har du hög arbetsbelastning?")  # 93 %
BARELY_NINE = shown("Ja", 53, 60, question="Har du gått ner i tid?")  # 88 %, n = 60


def verdicts(text, shares, differences=()):
    return [(c.text, c.supported, c.reason) for c in check_claims(text, shares, differences)]


def test_a_percentage_must_be_a_share_shown_on_the_page():
    assert verdicts("57 procent av socionomerna anser att ...", [YES, NO]) == [
        ("57 procent", True, "shown")
    ]
    [claim] = check_claims("Hela 58 % svarar ja.", [YES, NO])
    assert not claim.supported and claim.reason == "not_shown"
    assert claim.share == YES  # the nearest share: what the editor may have meant


def test_a_percentage_is_checked_to_the_rounding_the_text_uses():
    assert verdicts("57,0 procent", [YES]) == [("57,0 procent", True, "shown")]
    assert verdicts("56,9 %", [YES]) == [("56,9 %", False, "not_shown")]


def test_percentage_points_and_the_margin_of_error_are_not_shares():
    text = "Statistisk felmarginal 2,5–4 procentenheter. Skillnaden är 6 procentenheter."
    assert check_claims(text, [YES, NO]) == []


def test_nine_in_ten_needs_the_whole_interval_at_or_above_85_percent():
    assert verdicts("Nio av tio har hög arbetsbelastning", [NINE_IN_TEN]) == [
        ("Nio av tio", True, "shown")
    ]
    # 88 % of 60: the estimate rounds to 9 of 10 but its interval reaches below 85 %.
    assert BARELY_NINE.ci_low < 0.85 < BARELY_NINE.share
    assert verdicts("9 av 10 har gått ner i tid", [BARELY_NINE]) == [
        ("9 av 10", False, "interval_reaches_below")
    ]


def test_a_fraction_that_understates_the_share_is_flagged():
    [claim] = check_claims("Åtta av tio har hög arbetsbelastning", [NINE_IN_TEN])
    assert (claim.supported, claim.reason) == (False, "overstated")


def test_every_other_and_every_third():
    half = shown("Ja", 300, 600)
    assert verdicts("Varannan socionom svarar ja", [half]) == [("Varannan", True, "shown")]
    assert verdicts("var tredje svarar ja", [half])[0][1] is False


def test_more_than_half_needs_the_interval_above_50_percent():
    assert verdicts("Fler än hälften anser att ...", [YES, NO]) == [
        ("Fler än hälften", True, "shown")
    ]
    close = shown("Ja", 310, 600)  # 51.7 %, interval reaches below 50 %
    assert verdicts("En majoritet anser att ...", [close, shown("Nej", 290, 600)]) == [
        ("En majoritet", False, "not_above_half")
    ]
    assert verdicts("Less than half say no", [YES, NO]) == [("Less than half", True, "shown")]


def test_a_claim_true_before_weighting_can_be_false_after():
    text = "Fler än hälften anser att arbetsbelastningen är för hög."
    unweighted = [YES, NO]
    weighted = [
        ShownShare(YES.question, "Ja", 0.52, 0.47, 0.57, 600),
        ShownShare(YES.question, "Nej", 0.48, 0.43, 0.53, 600),
    ]
    assert check_claims(text, unweighted)[0].supported
    assert not check_claims(text, weighted)[0].supported


def difference(a, b, share_a, share_b, p, significant):
    return ShownDifference(YES.question, "Ja", a, b, share_a, share_b, p, significant)


def test_a_comparison_between_groups_needs_a_significant_difference():
    text = (
        "Hög arbetsbelastning är vanligare bland socionomer inom socialtjänsten "
        "än bland dem i regionerna."
    )
    diffs = [difference("Socialtjänsten", "Regionerna", 0.61, 0.49, 0.004, True)]
    assert verdicts(text, [YES], diffs) == [
        (
            "vanligare bland socionomer inom socialtjänsten än bland dem i regionerna",
            True,
            "shown",
        )
    ]
    within = [difference("Socialtjänsten", "Regionerna", 0.61, 0.55, 0.21, False)]
    [claim] = check_claims(text, [YES], within)
    assert (claim.supported, claim.reason) == (False, "not_significant")
    assert claim.details["p_adjusted"] == pytest.approx(0.21)


def test_a_comparison_the_wrong_way_round_is_flagged():
    text = "Det är vanligare bland regionerna än bland socialtjänsten."
    diffs = [difference("Socialtjänsten", "Regionerna", 0.61, 0.49, 0.004, True)]
    assert verdicts(text, [YES], diffs)[0][1:] == (False, "opposite")


def test_a_comparison_of_groups_the_page_does_not_show_is_flagged():
    text = "Det är vanligare bland män än bland kvinnor."
    diffs = [difference("Socialtjänsten", "Regionerna", 0.61, 0.49, 0.004, True)]
    assert verdicts(text, [YES], diffs)[0][1:] == (False, "groups_not_shown")


def test_an_open_link_poll_supports_no_claim_that_needs_an_interval():
    no_interval = ShownShare(YES.question, "Ja", 0.93, None, None, 600)
    assert verdicts("9 av 10 svarar ja", [no_interval]) == [("9 av 10", False, "no_interval")]


def test_suggested_headlines_start_from_the_strongest_findings():
    diffs = [difference("Socialtjänsten", "Regionerna", 0.61, 0.49, 0.004, True)]
    headlines = suggest_headlines([YES, NO, NINE_IN_TEN], diffs)
    assert [h.kind for h in headlines] == ["fraction", "half", "comparison"]
    assert (headlines[0].n, headlines[0].m, headlines[0].share) == (9, 10, NINE_IN_TEN)
    assert headlines[1].share == YES


def test_a_majority_claim_is_checked_against_the_answer_it_names():
    """ "Fler än hälften svarar ja" is about the share of "Ja": that the "Nej" share is above
    half does not carry it."""
    yes = shown("Ja", 240, 600)
    no = shown("Nej", 360, 600)

    (claim,) = check_claims("Fler än hälften svarar ja.", [yes, no])
    assert not claim.supported
    assert claim.reason == "not_above_half"
    assert claim.share.label == "Ja"

    (claim,) = check_claims("Fler än hälften svarar nej.", [yes, no])
    assert claim.supported and claim.share.label == "Nej"
    # Naming no answer, any share shown wholly above half carries it, as before.
    (claim,) = check_claims("Fler än hälften av socionomerna håller med.", [yes, no])
    assert claim.supported


def test_a_fraction_claim_is_checked_against_the_answer_it_names():
    yes = shown("Ja", 560, 600)
    no = shown("Nej", 40, 600)
    (claim,) = check_claims("9 av 10 svarar nej.", [yes, no])
    assert not claim.supported
    (claim,) = check_claims("9 av 10 svarar ja.", [yes, no])
    assert claim.supported
