"""Random sample selection as pure functions: frame keys and a seed in, chosen positions out.

Reproducibility rests on two things that do not depend on the database or the machine:
the frame is ordered by membership number, and each member's random key is the raw output of
the PCG64 generator seeded with the draw's seed (a fixed, documented algorithm, unlike the
distribution transforms that NumPy may change between releases). The sample is the members
with the smallest keys, which is a simple random sample without replacement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Selection:
    positions: list[int]
    """Positions in the sorted frame of the members drawn, in frame order."""
    inclusion_probability: float


def random_keys(frame_size: int, seed: int) -> np.ndarray:
    """One uint64 key per frame position, fixed by the seed alone."""
    if seed < 0:
        raise ValueError("The seed must be zero or positive.")
    return np.random.PCG64(seed).random_raw(frame_size)


def simple_random_sample(frame_size: int, size: int, seed: int) -> Selection:
    """Draw `size` positions out of `frame_size` without replacement, all equally likely."""
    if size <= 0:
        raise ValueError("The sample size must be positive.")
    if size > frame_size:
        raise ValueError(f"Cannot draw {size} from a frame of {frame_size}.")
    keys = random_keys(frame_size, seed)
    chosen = np.argpartition(keys, size - 1)[:size] if size < frame_size else np.arange(size)
    return Selection(
        positions=sorted(int(i) for i in chosen), inclusion_probability=size / frame_size
    )


def frame_order(numbers: Sequence[str]) -> list[int]:
    """Indices that put membership numbers in the frame's canonical order.

    Numbers that are all digits sort numerically, the rest as text after them, so that "10"
    comes after "9" and any database's collation is irrelevant.
    """

    def key(i: int) -> tuple[int, int, str]:
        n = numbers[i]
        return (0, int(n), n) if n.isdigit() else (1, 0, n)

    return sorted(range(len(numbers)), key=key)
