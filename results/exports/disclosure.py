"""Small-cell protection of microdata: reporting variables coarsened or blanked so that no
published combination of them describes fewer respondents than the poll's threshold
(`Poll.min_cell_size`). Pure Python; docs/exports.md says the rule in words.

1. Each variable on its own: its values held by fewer than the threshold are merged into one
   value, OTHER; while that merged value itself is held by fewer, the next smallest value joins
   it. A variable whose values would all be merged is blanked (written as missing) for all.
2. The combinations of all reporting variables: a combination held by fewer than the threshold
   has one more of its variables blanked (the one with the most distinct published values:
   it says the most), until every combination that still shows a value is held by at least
   the threshold. A respondent whose every variable is blanked shows nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

__all__ = ["BLANK", "coarsen_profiles", "published_counts"]

BLANK = ""  # a blanked (or missing) value: written as missing
# Replaced by the caller's (translated) label; a value no register has, so nothing collides.
OTHER_PLACEHOLDER = "\x00other"


def _merge_small(counts: Mapping[str, int], threshold: int) -> dict[str, str] | None:
    """value -> published value for one variable (None: every value merged, so blank it)."""
    small = sorted((n, v) for v, n in counts.items() if n < threshold)
    if not small:
        return {v: v for v in counts}
    large = sorted((n, v) for v, n in counts.items() if n >= threshold)
    merged = [v for _n, v in small]
    total = sum(n for n, _v in small)
    while total < threshold and large:
        n, v = large.pop(0)
        merged.append(v)
        total += n
    if total < threshold or not large:
        # Everything merged into one group: the variable says nothing, and a group under the
        # threshold would still show. Blank it.
        return None
    return {v: (OTHER_PLACEHOLDER if v in merged else v) for v in counts}


def coarsen_profiles(
    profiles: Mapping[tuple[str, ...], int],
    threshold: int,
    *,
    other: str,
) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Each profile (the values of the reporting variables, in order) -> what is published of
    it, given the respondents per profile. `other` is the label of merged values."""
    if not profiles:
        return {}
    width = len(next(iter(profiles)))
    maps: list[dict[str, str] | None] = []
    for j in range(width):
        counts: Counter[str] = Counter()
        for profile, n in profiles.items():
            counts[profile[j]] += n
        maps.append(_merge_small(counts, threshold))

    def first_step(profile: tuple[str, ...]) -> tuple[str, ...]:
        values = []
        for j, value in enumerate(profile):
            mapping = maps[j]
            shown = BLANK if mapping is None else mapping[value]
            values.append(other if shown == OTHER_PLACEHOLDER else shown)
        return tuple(values)

    published = {p: first_step(p) for p in profiles}
    while True:
        cells: Counter[tuple[str, ...]] = Counter()
        for profile, n in profiles.items():
            cells[published[profile]] += n
        small = [c for c, n in cells.items() if n < threshold and any(v != BLANK for v in c)]
        if not small:
            return published
        distinct = [len({c[j] for c in cells if c[j] != BLANK}) for j in range(width)]
        replacement: dict[tuple[str, ...], tuple[str, ...]] = {}
        for cell in small:
            shown = [j for j in range(width) if cell[j] != BLANK]
            j = max(shown, key=lambda i: (distinct[i], -i))
            replacement[cell] = tuple(BLANK if i == j else v for i, v in enumerate(cell))
        published = {p: replacement.get(c, c) for p, c in published.items()}


def published_counts(
    profiles: Mapping[tuple[str, ...], int], published: Mapping[tuple[str, ...], Sequence[str]]
) -> Counter[tuple[str, ...]]:
    """Respondents per published combination (for tests and the codebook)."""
    cells: Counter[tuple[str, ...]] = Counter()
    for profile, n in profiles.items():
        cells[tuple(published[profile])] += n
    return cells
