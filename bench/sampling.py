"""Drawing from a million members: frame order and a stratified draw, in memory, no database.

    PYTHONPATH=. uv run python bench/sampling.py

A synthetic register of 1,000,000 unique membership numbers (7 to 9 digits, 1 % with a letter
prefix) and two variables: 21 regions (Swedish counties) and 4 sectors, unevenly sized. Times
(median of 5 runs):

- frame_order on the 1,000,000 numbers, and the plain-Python definition it replaces;
- allocate + stratified_random_sample of 5,000 over the 84 strata, proportional allocation,
  given the stratum labels in frame order (what the service passes after reading the frame).
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable

import numpy as np

from respondents import sampling

MEMBERS = 1_000_000
SAMPLE = 5_000
RUNS = 5
REGIONS = [
    "Stockholm", "Uppsala", "Södermanland", "Östergötland", "Jönköping", "Kronoberg", "Kalmar",
    "Gotland", "Blekinge", "Skåne", "Halland", "Västra Götaland", "Värmland", "Örebro",
    "Västmanland", "Dalarna", "Gävleborg", "Västernorrland", "Jämtland", "Västerbotten",
    "Norrbotten",
]  # fmt: skip
SECTORS = ["Kommun", "Region", "Stat", "Privat"]


def synthetic_register(seed: int = 2026) -> tuple[list[str], list[str], list[str]]:
    rng = np.random.default_rng(seed)
    # Unique numbers from random gaps, then shuffled: the order of an export is arbitrary.
    values = 1_000_000 + np.cumsum(rng.integers(1, 998, size=MEMBERS))
    rng.shuffle(values)
    numbers = [str(v) for v in values.tolist()]
    for i in range(0, MEMBERS, 100):  # a few numbers that sort as text, after the digits
        numbers[i] = f"T{numbers[i]}"
    region_weights = rng.dirichlet(np.full(len(REGIONS), 2.0))
    sector_weights = np.array([0.45, 0.25, 0.15, 0.15])
    regions = rng.choice(len(REGIONS), size=MEMBERS, p=region_weights)
    sectors = rng.choice(len(SECTORS), size=MEMBERS, p=sector_weights)
    return (
        numbers,
        [REGIONS[i] for i in regions.tolist()],
        [SECTORS[i] for i in sectors.tolist()],
    )


def median_seconds(run: Callable[[], object], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    start = time.perf_counter()
    numbers, regions, sectors = synthetic_register()
    print(f"synthetic register of {MEMBERS:,} members built in {time.perf_counter() - start:.2f} s")

    order = sampling.frame_order(numbers)
    assert order == sampling._frame_order_python(numbers), "vectorised order differs"
    fast = median_seconds(lambda: sampling.frame_order(numbers))
    plain = median_seconds(lambda: sampling._frame_order_python(numbers), runs=3)
    print(f"frame_order, {MEMBERS:,} numbers:            {fast:.3f} s (median of {RUNS})")
    print(f"  plain-Python definition (sorted, key):  {plain:.3f} s (median of 3)")

    labels = [
        f"{regions[i]}{sampling.STRATUM_SEPARATOR}{sectors[i]}" for i in order
    ]  # in frame order, as the service builds them
    population = Counter(labels)

    def draw() -> list[sampling.Drawn]:
        allocation = sampling.allocate(population, SAMPLE, "proportional")
        return sampling.stratified_random_sample(labels, allocation, seed=20260901)

    drawn = draw()
    assert len(drawn) == SAMPLE
    assert draw() == drawn, "not reproducible"
    stratified = median_seconds(draw)
    print(
        f"stratified draw, {SAMPLE:,} of {MEMBERS:,} in {len(population)} strata "
        f"(proportional): {stratified:.3f} s (median of {RUNS})"
    )
    simple = median_seconds(lambda: sampling.simple_random_sample(MEMBERS, SAMPLE, 20260901))
    print(f"simple draw, {SAMPLE:,} of {MEMBERS:,}:          {simple:.3f} s (median of {RUNS})")

    print(
        f"machine: {platform.platform()}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {sys.version.split()[0]}, NumPy {np.__version__}"
    )


if __name__ == "__main__":
    main()
