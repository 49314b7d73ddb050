"""The apps are layers: every import points down (see DESIGN.md).

    config       settings, URLs, the Celery app: the top; no app imports config
    results      reads polls and respondents; nobody imports results (but config/urls.py)
    polls        imports respondents
    respondents  imports neither of the others
    staff        the bottom: roles and access rules; imports no project app
    results/stats/  plain Python + numpy/scipy: no Django, no project apps

And no module of the project imports itself through others: the graph of imports between the
project's modules has no circle. A circle is a circle even when one of its imports is hidden in
a function (that is how the circles between domain modules and their tasks used to hide) or
under TYPE_CHECKING (a type-only circle still means two modules that each need the other; none
is needed today, so they count too; leave them out in `import_graph` if one ever must stay).

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
PROJECT_PACKAGES = ("config", "staff", "respondents", "polls", "results")
APPS = ("staff", "respondents", "polls", "results")
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


def import_graph(root: Path, packages: Iterable[str]) -> dict[str, set[str]]:
    """Module -> the project modules it imports. An import names the longest module that
    exists (`from polls.models import Poll` is polls.models; "polls.Poll" is the polls
    package); imports of modules outside `packages` are left out."""
    files = {
        module_name(path, root): path
        for package in packages
        for path in python_files(root, package)
    }
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        for imp in imports_of(path, root):
            parts = imp.module.split(".")
            while parts and ".".join(parts) not in files:
                parts.pop()
            target = ".".join(parts)
            if target and target != name:
                graph[name].add(target)
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each circle of imports, as the sorted modules of one strongly connected component
    (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def test_staff_is_the_bottom_layer():
    _require_app("staff")
    assert offending(BASE_DIR, ["staff"], set(PROJECT_PACKAGES) - {"staff"}) == []


def test_no_app_imports_config():
    # config is the top (its urls import every app); settings are read through django.conf.
    for app in APPS:
        _require_app(app)
    assert offending(BASE_DIR, APPS, {"config"}) == []


def test_no_import_circles_between_project_modules():
    graph = import_graph(BASE_DIR, PROJECT_PACKAGES)
    assert len(graph) > 50, "the import graph is missing modules: test is stale"
    assert import_cycles(graph) == []


# Models that views reach only through staff.access.reach (its RULES), never fetched directly.
GUARDED_MODELS = {"Poll", "Register", "ImportJob", "SampleDraw"}
FETCHES = {"get_object_or_404", "get_list_or_404"}


def _root_name(node: ast.AST) -> str:
    while isinstance(node, (ast.Attribute, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else ""


def direct_fetches(root: Path, packages: Iterable[str]) -> list[str]:
    """Views (views.py, *_views.py, api.py) that fetch a guarded model themselves:
    get_object_or_404(Poll, ...), get_object_or_404(Poll.objects..., ...) or Poll.objects.get()."""
    problems = []
    for package in packages:
        for path in python_files(root, package):
            if not (path.name in ("views.py", "api.py") or path.name.endswith("_views.py")):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in FETCHES and node.args:
                    model = _root_name(node.args[0])
                elif name == "get" and isinstance(func, ast.Attribute):
                    model = _root_name(func.value)
                else:
                    continue
                if model in GUARDED_MODELS:
                    problems.append(f"{path.relative_to(root)}:{node.lineno} fetches {model}")
    return sorted(problems)


def test_views_reach_polls_registers_imports_and_samples_only_through_staff_access():
    assert direct_fetches(BASE_DIR, APPS) == []


def test_the_fetch_check_sees_direct_fetches(tmp_path: Path):
    (tmp_path / "polls").mkdir()
    (tmp_path / "polls" / "views.py").write_text(
        "a = get_object_or_404(Poll, slug=s)\n"
        "b = get_object_or_404(Register.objects.defer('x'), pk=1)\n"
        "c = Poll.objects.get(slug=s)\n"
        "d = get_object_or_404(Section, poll=a)\n"
        "e = reach(user, Poll, slug=s)\n"
    )
    (tmp_path / "polls" / "sending.py").write_text("c = Poll.objects.get(slug=s)\n")
    assert direct_fetches(tmp_path, ["polls"]) == [
        "polls/views.py:1 fetches Poll",
        "polls/views.py:2 fetches Register",
        "polls/views.py:3 fetches Poll",
    ]


def test_respondents_imports_neither_polls_nor_results():
    _require_app("respondents")
    assert offending(BASE_DIR, ["respondents"], {"polls", "results"}) == []


def test_polls_does_not_import_results():
    _require_app("polls")
    assert offending(BASE_DIR, ["polls"], {"results"}) == []


def test_nothing_outside_results_imports_results_except_url_wiring():
    # config/settings.py names "results" in INSTALLED_APPS as a string: that is no import.
    problems = offending(
        BASE_DIR, ["config", "staff", "polls", "respondents"], {"results"}, allow=["config/urls.py"]
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


# --- the layer and circle checks themselves -----------------------------------------------------


@pytest.fixture
def fake_circles(tmp_path: Path) -> Path:
    files = {
        "config/__init__.py": "",
        "config/settings.py": "",
        "staff/__init__.py": "",
        "staff/access.py": "from polls.models import Poll\n",
        "polls/__init__.py": "",
        "polls/models.py": "from django.db import models\n",
        "polls/sending.py": "from .models import Poll\ndef q():\n    from .tasks import send\n",
        "polls/tasks.py": "from .sending import q\n",
        "polls/views.py": "from config.settings import X\nfrom . import sending\n",
        "polls/typed.py": (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .hinted import H\n"
        ),
        "polls/hinted.py": "from polls import typed\n",
        "polls/migrations/0001_initial.py": "import polls.tasks\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_circle_check_finds_lazy_and_type_checking_circles(fake_circles: Path):
    graph = import_graph(fake_circles, ["config", "staff", "polls"])
    assert "polls.migrations.0001_initial" not in graph
    assert graph["polls.views"] == {"config.settings", "polls", "polls.sending"}
    assert import_cycles(graph) == [
        ["polls.hinted", "polls.typed"],
        ["polls.sending", "polls.tasks"],
    ]


def test_circle_check_finds_a_long_circle_and_nothing_in_a_tree():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"d", "a"}}
    assert import_cycles(graph) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_layer_checks_find_imports_of_config_and_from_the_bottom(fake_circles: Path):
    assert offending(fake_circles, ["polls", "staff"], {"config"}) == [
        "polls/views.py:1 imports config.settings",
        "polls/views.py:1 imports config.settings.X",
    ]
    assert offending(fake_circles, ["staff"], {"config", "polls"}) == [
        "staff/access.py:1 imports polls.models",
        "staff/access.py:1 imports polls.models.Poll",
    ]


def test_the_middlewares_that_pass_by_member_pages_have_no_hooks_that_would_run_anyway():
    """config/member_paths.py wraps only __call__: a process_view, process_exception or
    process_template_response hook of a wrapped middleware would still run on member pages."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    wrapped = [p for p in settings.MIDDLEWARE if p.startswith("config.member_paths.")]
    assert len(wrapped) >= 8
    for dotted in wrapped:
        middleware = import_string(dotted)
        for hook in ("process_view", "process_exception", "process_template_response"):
            assert not hasattr(middleware, hook), (dotted, hook)
