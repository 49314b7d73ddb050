"""The apps are layers: every import points down (see DESIGN.md).

    results      reads polls and respondents; nobody imports results (but config/urls.py)
    polls        imports respondents
    respondents  imports neither of the others
    results/stats/  plain Python + numpy/scipy: no Django, no project apps

Imports are read with ast from the source (also those inside functions and under
TYPE_CHECKING); relative imports are resolved. Model relations given as strings
("results.ResultPage") count too. Migrations are left out.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
PROJECT_PACKAGES = ("config", "respondents", "polls", "results")
RELATION_FIELDS = {"ForeignKey", "OneToOneField", "ManyToManyField"}


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    module: str  # dotted, absolute


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def python_files(root: Path, package: str) -> list[Path]:
    return sorted(
        path
        for path in (root / package).rglob("*.py")
        if "migrations" not in path.relative_to(root).parts
    )


def imports_of(path: Path, root: Path) -> Iterator[Import]:
    """Every module a file imports (absolute dotted names), with line numbers."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    this = module_name(path, root)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(path, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".") if package else []
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts)
                module = f"{base}.{node.module}" if node.module and base else (node.module or base)
            else:
                module = node.module or ""
            yield Import(path, node.lineno, module)
            for alias in node.names:  # `from polls import models` imports polls.models too
                if alias.name != "*":
                    yield Import(
                        path, node.lineno, f"{module}.{alias.name}" if module else alias.name
                    )
        elif isinstance(node, ast.Call):
            # importlib.import_module("results.x") and model relations "results.Model"
            name = (
                node.func.attr
                if isinstance(node.func, ast.Attribute)
                else getattr(node.func, "id", "")
            )
            target = None
            if name == "import_module" and node.args:
                target = node.args[0]
            elif name in RELATION_FIELDS:
                target = (
                    node.args[0]
                    if node.args
                    else next((kw.value for kw in node.keywords if kw.arg == "to"), None)
                )
            if isinstance(target, ast.Constant) and isinstance(target.value, str):
                yield Import(path, node.lineno, target.value)


def top(module: str) -> str:
    return module.split(".", 1)[0]


def offending(
    root: Path, packages: Iterable[str], forbidden: set[str], allow: Iterable[str] = ()
) -> list[str]:
    allowed = set(allow)
    problems = []
    for package in packages:
        for path in python_files(root, package):
            if str(path.relative_to(root)) in allowed:
                continue
            for imp in imports_of(path, root):
                if top(imp.module) in forbidden:
                    problems.append(f"{path.relative_to(root)}:{imp.line} imports {imp.module}")
    return sorted(set(problems))


def _require_app(package: str) -> None:
    assert python_files(BASE_DIR, package), f"{package}/ has no Python files: test is stale"


def test_respondents_imports_neither_polls_nor_results():
    _require_app("respondents")
    assert offending(BASE_DIR, ["respondents"], {"polls", "results"}) == []


def test_polls_does_not_import_results():
    _require_app("polls")
    assert offending(BASE_DIR, ["polls"], {"results"}) == []


def test_nothing_outside_results_imports_results_except_url_wiring():
    # config/settings.py names "results" in INSTALLED_APPS as a string: that is no import.
    problems = offending(
        BASE_DIR, ["config", "polls", "respondents"], {"results"}, allow=["config/urls.py"]
    )
    assert problems == []


def test_results_stats_imports_neither_django_nor_the_project():
    stats = BASE_DIR / "results" / "stats"
    assert list(stats.glob("*.py")), "results/stats/ is missing: test is stale"
    forbidden = {"django", "rest_framework", "drf_spectacular", "celery", "environ"}
    forbidden |= set(PROJECT_PACKAGES)
    problems = []
    for path in sorted(stats.rglob("*.py")):
        for imp in imports_of(path, BASE_DIR):
            if imp.module == "results.stats" or imp.module.startswith("results.stats."):
                continue
            if top(imp.module) in forbidden:
                problems.append(f"{path.relative_to(BASE_DIR)}:{imp.line} imports {imp.module}")
    assert problems == []


# --- the walker itself, so the tests above cannot pass by seeing nothing --------------------------


@pytest.fixture
def fake_project(tmp_path: Path) -> Path:
    files = {
        "respondents/__init__.py": "",
        "respondents/models.py": "from django.db import models\n",
        "respondents/bad_abs.py": "import polls.models\n",
        "respondents/bad_rel.py": "from ..results import estimation\n",
        "respondents/bad_lazy.py": "def f():\n    from results.views import x\n",
        "respondents/bad_fk.py": (
            "from django.db import models\nm = models.ForeignKey('polls.Poll')\n"
        ),
        "respondents/migrations/0001_initial.py": "import polls\n",
        "results/__init__.py": "",
        "results/stats/__init__.py": "from .proportions import shares\n",
        "results/stats/proportions.py": "from .. import models\nimport numpy\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_walker_finds_absolute_relative_lazy_and_string_imports(fake_project: Path):
    problems = offending(fake_project, ["respondents"], {"polls", "results"})
    assert problems == [
        "respondents/bad_abs.py:1 imports polls.models",
        "respondents/bad_fk.py:2 imports polls.Poll",
        "respondents/bad_lazy.py:2 imports results.views",
        "respondents/bad_lazy.py:2 imports results.views.x",
        "respondents/bad_rel.py:1 imports results",
        "respondents/bad_rel.py:1 imports results.estimation",
    ]


def test_walker_resolves_relative_imports_inside_a_package(fake_project: Path):
    path = fake_project / "results" / "stats" / "proportions.py"
    modules = {imp.module for imp in imports_of(path, fake_project)}
    assert modules == {"results", "results.models", "numpy"}
    init = fake_project / "results" / "stats" / "__init__.py"
    modules = {imp.module for imp in imports_of(init, fake_project)}
    assert modules == {"results.stats.proportions", "results.stats.proportions.shares"}
