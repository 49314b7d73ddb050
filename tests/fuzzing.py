"""Hypothesis settings for the fuzz tests (tests/test_fuzz_*.py).

Bounded and reproducible by default, so that CI runs them in well under two minutes:
`FUZZ_EXAMPLES` examples per test (default 15) from a fixed seed (derandomized). For a long run
that explores new inputs each time:

    FUZZ_EXAMPLES=2000 FUZZ_RANDOM=1 make test PYTEST_ARGS='tests/test_fuzz_api.py \
        tests/test_fuzz_member_forms.py tests/test_fuzz_imports.py -x'

A failure prints the smallest input that broke it; make that a plain regression test beside
the fix.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from hypothesis import HealthCheck, settings

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
RANDOM = os.environ.get("FUZZ_RANDOM", "") not in ("", "0")


def fuzz_settings(scale: float = 1.0) -> settings:
    """`scale` x FUZZ_EXAMPLES examples (at least 3), no deadline (a request may hit the
    database), derandomized unless FUZZ_RANDOM=1; function-scoped fixtures (the database) are
    shared by the examples of a test on purpose."""
    return settings(
        max_examples=max(3, int(EXAMPLES * scale)),
        deadline=None,
        derandomize=not RANDOM,
        database=None,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
            HealthCheck.filter_too_much,
        ],
    )


@contextmanager
def rolled_back() -> Iterator[None]:
    """One example's writes, undone at its end (a savepoint in the test's transaction), so that
    the examples are independent of each other and a failure replays alone."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
