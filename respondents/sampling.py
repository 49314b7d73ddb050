"""Random sample selection as pure functions: frame keys and a seed in, chosen positions out.

Reproducibility rests on two things that do not depend on the database or the machine:
the frame is ordered by membership number, and each member's random key is the raw output of
the PCG64 generator seeded with the draw's seed (a fixed, documented algorithm, unlike the
distribution transforms that NumPy may change between releases). The sample is the members
with the smallest keys, which is a simple random sample without replacement. Equal keys (some
3 chances in 10^8 for a million members) go to the earlier position, so the rule has no gaps.

A stratified sample uses the same single stream of keys over the whole frame and takes the
smallest keys within each stratum. A member's key depends only on its position in the frame, so
the result does not depend on the order in which strata are listed or numbered, and a design with
one stratum gives exactly the simple random sample.

No Django here: the service in `draws.py` reads the frame from the database and records the draw.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal, NamedTuple

import numpy as np

Allocation = Literal["proportional", "equal", "fixed", "optimal"]
ALLOCATIONS: tuple[str, ...] = ("proportional", "equal", "optimal", "fixed")

MISSING = "(saknas)"
"""Stratum value for a member whose attribute is absent or empty."""
STRATUM_SEPARATOR = " / "


@dataclass(frozen=True)
class Selection:
    positions: list[int]
    """Positions in the sorted frame of the members drawn, in frame order."""
    inclusion_probability: float


class Drawn(NamedTuple):
    position: int
    """Position in the sorted frame."""
    stratum: str
    inclusion_probability: float
    """n_h / N_h of the member's stratum."""


def random_keys(frame_size: int, seed: int) -> np.ndarray:
    """One uint64 key per frame position, fixed by the seed alone."""
    if seed < 0:
        raise ValueError("The seed must be zero or positive.")
    return np.random.PCG64(seed).random_raw(frame_size)


def smallest(keys: np.ndarray, n: int) -> np.ndarray:
    """Indices of the `n` smallest keys, equal keys going to the lower index, in index order.

    The same set as the first `n` of a sort by (key, index), in linear time.
    """
    size = len(keys)
    if n <= 0:
        return np.empty(0, dtype=np.intp)
    if n >= size:
        return np.arange(size)
    kth = np.partition(keys, n - 1)[n - 1]
    below = np.flatnonzero(keys < kth)
    at = np.flatnonzero(keys == kth)[: n - below.size]
    return np.sort(np.concatenate([below, at]))


def simple_random_sample(frame_size: int, size: int, seed: int) -> Selection:
    """Draw `size` positions out of `frame_size` without replacement, all equally likely."""
    if size <= 0:
        raise ValueError("The sample size must be positive.")
    if size > frame_size:
        raise ValueError(f"Cannot draw {size} from a frame of {frame_size}.")
    keys = random_keys(frame_size, seed)
    return Selection(
        positions=smallest(keys, size).tolist(), inclusion_probability=size / frame_size
    )


# --- the frame ----------------------------------------------------------------------------------


def frame_order(numbers: Sequence[str]) -> list[int]:
    """Indices that put membership numbers in the frame's canonical order.

    Numbers that are all digits sort numerically, the rest as text after them, so that "10"
    comes after "9" and any database's collation is irrelevant. Numbers equal in value ("007",
    "7") are ordered as text, equal strings by their index.

    The order is that of `sorted(range(len(numbers)), key=...)` with the key in
    `_frame_order_python`, which remains the definition; for ASCII numbers (every real register)
    NumPy computes the same order about five times faster.
    """
    if len(numbers) == 0:
        return []
    joined = "".join(numbers)
    # Beyond ASCII, str.isdigit() accepts characters such as "²" that int() refuses, and NumPy's
    # fixed-width strings drop trailing NULs: the plain definition handles those rare frames.
    if not joined.isascii() or "\x00" in joined:
        return _frame_order_python(numbers)
    text = np.asarray(numbers, dtype=np.str_)
    is_digits = np.strings.isdigit(text)
    digit_index = np.flatnonzero(is_digits)
    other_index = np.flatnonzero(~is_digits)

    digits = text[digit_index]
    lengths = np.strings.str_len(digits)
    leading_zero = (lengths > 1) & np.strings.startswith(digits, "0")
    if digits.size and (lengths.max() > 18 or leading_zero.any()):
        # Without leading zeros a longer number is larger, and numbers of one length compare as
        # text; then the text itself orders "007" before "07" before "7".
        stripped = np.strings.lstrip(digits, "0")
        digit_order = np.lexsort((digits, stripped, np.strings.str_len(stripped)))
    else:
        # Up to 18 digits fit in int64, and without leading zeros equal values are equal strings.
        digit_order = np.argsort(_values(digits), kind="stable")
    other_order = np.argsort(text[other_index], kind="stable")
    order: list[int] = np.concatenate([digit_index[digit_order], other_index[other_order]]).tolist()
    return order


def _values(digits: np.ndarray) -> np.ndarray:
    """int64 values of fixed-width strings of at most 18 ASCII digits, without NULs.

    Horner's rule over the UCS-4 code columns; the padding after a shorter string is code 0.
    Twice as fast as `digits.astype(np.int64)`, which parses string by string.
    """
    width = digits.dtype.itemsize // 4
    codes = digits.view(np.uint32).reshape(len(digits), width).astype(np.int64)
    values = np.zeros(len(digits), dtype=np.int64)
    for column in codes.T:
        values = np.where(column != 0, values * 10 + (column - 48), values)
    return values


def _frame_order_python(numbers: Sequence[str]) -> list[int]:
    def key(i: int) -> tuple[int, int, str]:
        n = numbers[i]
        return (0, int(n), n) if n.isdigit() else (1, 0, n)

    return sorted(range(len(numbers)), key=key)


def stratum_label(attributes: Mapping[str, object], variables: Sequence[str]) -> str:
    """The stratum of a member: its values of the variables joined by " / "."""
    values = []
    for variable in variables:
        value = attributes.get(variable)
        text = "" if value is None else str(value).strip()
        values.append(text or MISSING)
    return STRATUM_SEPARATOR.join(values)


# --- allocation ---------------------------------------------------------------------------------


def allocate(
    population: Mapping[str, int],
    size: int,
    method: Allocation | str,
    fixed: Mapping[str, int] | None = None,
    p: float | Mapping[str, float] = 0.5,
) -> dict[str, int]:
    """Numbers to draw per stratum, adding up to exactly `size`.

    - proportional: n_h ∝ N_h.
    - equal: the same number from every stratum that has members.
    - optimal: Neyman allocation n_h ∝ N_h·S_h with S_h = sqrt(p_h(1 − p_h)·N_h/(N_h − 1)), the
      population standard deviation of a 0/1 answer with expected share p_h (one `p` for all
      strata or one per stratum). With a common p the factor sqrt(p(1 − p)) cancels and Neyman
      is proportional allocation up to sqrt(N_h/(N_h − 1)), which only matters for tiny strata; it
      pays off when the expected shares differ between strata. A stratum of one member has no
      spread (S_h = 0).
    - fixed: the numbers given in `fixed`, checked against the size and the populations.

    Shares are rounded by largest remainder (Hamilton): everyone gets the whole part of their
    quota and the seats left go to the largest fractions, equal fractions by stratum name. No
    stratum gets more than its population: a stratum whose quota reaches its population is taken
    whole and the rest is shared among the others again. Strata whose weight is zero (a stratum of
    one under `optimal`) are used only when the others cannot take the whole sample; then the
    rest is shared in proportion to the room left in them. The arithmetic is exact (fractions),
    so the result does not depend on floating-point rounding.
    """
    for stratum, count in population.items():
        if count < 0:
            raise ValueError(f"Stratum {stratum!r} has a negative population ({count}).")
    total = sum(population.values())
    if size <= 0:
        raise ValueError("The sample size must be positive.")
    if size > total:
        raise ValueError(f"Cannot draw {size} from a population of {total}.")

    if method == "fixed":
        return _check_fixed(population, size, fixed)
    if fixed is not None:
        raise ValueError("Numbers per stratum are only for a fixed allocation.")
    if method == "proportional":
        weights = {h: Fraction(n) for h, n in population.items()}
    elif method == "equal":
        weights = {h: Fraction(1 if n > 0 else 0) for h, n in population.items()}
    elif method == "optimal":
        weights = {h: Fraction(n * _neyman_sd(n, p, h)) for h, n in population.items()}
    else:
        raise ValueError(f"Unknown allocation method {method!r}.")

    result = dict.fromkeys(population, 0)
    remaining = _capped_largest_remainder(weights, size, population, result)
    if remaining:
        fallback = {h: Fraction(n - result[h]) for h, n in population.items()}
        _capped_largest_remainder(fallback, remaining, population, result)
    return result


def _check_fixed(
    population: Mapping[str, int], size: int, fixed: Mapping[str, int] | None
) -> dict[str, int]:
    if fixed is None:
        raise ValueError("A fixed allocation needs the number to draw from each stratum.")
    for stratum, n in fixed.items():
        if n < 0:
            raise ValueError(f"Cannot draw {n} from stratum {stratum!r}.")
        if n > population.get(stratum, 0):
            raise ValueError(
                f"Cannot draw {n} from stratum {stratum!r} of {population.get(stratum, 0)}."
            )
    if sum(fixed.values()) != size:
        raise ValueError(f"The fixed allocation adds up to {sum(fixed.values())}, not {size}.")
    return {h: fixed.get(h, 0) for h in population}


def _share(p: float | Mapping[str, float], stratum: str) -> float:
    if isinstance(p, Mapping) and stratum not in p:
        raise ValueError(f"No expected share given for stratum {stratum!r}.")
    share = p[stratum] if isinstance(p, Mapping) else p
    if not 0.0 < share < 1.0:
        raise ValueError(f"The expected share must be between 0 and 1, got {share!r}.")
    return share


def _neyman_sd(population: int, p: float | Mapping[str, float], stratum: str) -> float:
    """S_h of a 0/1 variable with share p_h in a stratum of `population` (divisor N_h − 1)."""
    if population <= 1:
        return 0.0
    share = _share(p, stratum)
    return math.sqrt(share * (1.0 - share) * population / (population - 1))


def _capped_largest_remainder(
    weights: Mapping[str, Fraction],
    size: int,
    population: Mapping[str, int],
    result: dict[str, int],
) -> int:
    """Add `size` to `result` in proportion to `weights` without passing `population`.

    Returns what could not be placed (only when every stratum with weight is full).
    """
    active = {h for h, w in weights.items() if w > 0 and population[h] > result[h]}
    while size and active:
        total = sum(weights[h] for h in active)
        quotas = {h: size * weights[h] / total for h in active}
        full = {h for h in active if quotas[h] >= population[h] - result[h]}
        if full:
            # Quotas that reach the cap are granted whole; the others are recomputed without them.
            for h in full:
                size -= population[h] - result[h]
                result[h] = population[h]
            active -= full
            continue
        # Every quota is now below its room, so whole part + 1 never passes the population.
        floors = {h: math.floor(q) for h, q in quotas.items()}
        left = size - sum(floors.values())
        by_remainder = sorted(active, key=lambda h: (-(quotas[h] - floors[h]), h))
        for h in active:
            result[h] += floors[h]
        for h in by_remainder[:left]:
            result[h] += 1
        return 0
    return size


# --- stratified selection -----------------------------------------------------------------------


def stratified_random_sample(
    strata: Sequence[str], allocation: Mapping[str, int], seed: int
) -> list[Drawn]:
    """Draw allocation[h] members from each stratum h: those with the smallest keys in it.

    `strata` gives the stratum of each position of the frame, already in canonical order.
    Strata missing from `allocation` are not drawn from. Returns the members drawn in frame order.
    """
    codes_of: dict[str, int] = {}
    codes = np.fromiter(
        (codes_of.setdefault(label, len(codes_of)) for label in strata),
        dtype=np.intp,
        count=len(strata),
    )
    sizes = np.bincount(codes, minlength=len(codes_of))
    for stratum, n in allocation.items():
        available = int(sizes[codes_of[stratum]]) if stratum in codes_of else 0
        if n < 0 or n > available:
            raise ValueError(f"Cannot draw {n} from stratum {stratum!r} of {available}.")
    if sum(allocation.values()) <= 0:
        raise ValueError("The sample size must be positive.")

    keys = random_keys(len(strata), seed)
    # Positions grouped by stratum, ascending within each group (a stable sort of small ints).
    by_stratum = np.argsort(codes, kind="stable")
    starts = np.concatenate([[0], np.cumsum(sizes)])
    chosen: list[np.ndarray] = []
    probabilities: dict[str, float] = {}
    for stratum, code in codes_of.items():
        n = allocation.get(stratum, 0)
        if n == 0:
            continue
        positions = by_stratum[starts[code] : starts[code + 1]]
        chosen.append(positions[smallest(keys[positions], n)])
        probabilities[stratum] = n / int(sizes[code])
    drawn = np.sort(np.concatenate(chosen))
    return [Drawn(int(pos), strata[pos], probabilities[strata[pos]]) for pos in drawn.tolist()]
