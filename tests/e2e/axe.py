"""An automated accessibility check with the vendored axe-core: `assert_accessible(page)`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# Test-only: kept out of the production static files (static/), so collectstatic never ships it.
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")


def axe_violations(page: Any) -> list[dict]:
    """axe-core's violations on the page as it is now (WCAG 2.x A and AA rules and best
    practices), injected from the vendored file: no network."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, not a <script> tag: the page's Content
        # Security Policy (rightly) refuses inline scripts.
        page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate("async () => (await axe.run(document)).violations")


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['impact']}: {violation['id']}: {violation['help']}")
        lines.extend(
            f"    {node['target']}: {node['failureSummary']}" for node in violation["nodes"]
        )
    return "\n".join(lines)


def assert_accessible(page: Any) -> None:
    """Fails on any violation of impact "serious" or "critical"."""
    violations = [v for v in axe_violations(page) if v["impact"] in FAILING_IMPACTS]
    assert not violations, f"axe-core on {page.url}:\n{describe(violations)}"


def assert_no_violations(page: Any) -> None:
    """Fails on any violation at all, whatever its impact (the staff result pages)."""
    violations = axe_violations(page)
    assert not violations, f"axe-core on {page.url}:\n{describe(violations)}"
