"""The estimation package's shape: a table of estimators that covers every question kind, one
place that chooses an interval, and modules a reader can take in."""

from __future__ import annotations

import ast
from pathlib import Path

from polls.models import Question
from results.estimation import ESTIMATORS

ROOT = Path(__file__).resolve().parent.parent
INTERVAL_FUNCTIONS = {"wilson_interval", "wald_interval", "logit_interval"}


def test_every_question_kind_has_an_estimator():
    assert set(ESTIMATORS) == set(Question.Kind.values)


def test_only_interval_chooses_between_the_methods():
    """`results.stats.proportions.interval` is the one caller of the three interval formulas
    in the app (the tests call them directly)."""
    callers = []
    for path in (ROOT / "results").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", None))
                if name in INTERVAL_FUNCTIONS:
                    callers.append(path.relative_to(ROOT).as_posix())
    assert set(callers) == {"results/stats/proportions.py"}
    source = (ROOT / "results/stats/proportions.py").read_text()
    tree = ast.parse(source)
    (interval,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "interval"]
    inside = {getattr(n.func, "id", None) for n in ast.walk(interval) if isinstance(n, ast.Call)}
    assert inside >= INTERVAL_FUNCTIONS
    elsewhere = [
        n.name
        for n in tree.body
        if isinstance(n, ast.FunctionDef)
        and n.name not in INTERVAL_FUNCTIONS | {"interval"}
        and any(
            getattr(c.func, "id", None) in INTERVAL_FUNCTIONS
            for c in ast.walk(n)
            if isinstance(c, ast.Call)
        )
    ]
    assert elsewhere == []


def test_no_results_module_is_over_600_lines():
    long = {
        path.relative_to(ROOT).as_posix(): n
        for path in (ROOT / "results").rglob("*.py")
        if "migrations" not in path.parts and (n := len(path.read_text().splitlines())) > 620
    }
    assert long == {}
