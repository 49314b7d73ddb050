"""Pages that hold under a Content-Security-Policy without 'unsafe-inline': no inline styles or
scripts in any template, htmx's injected indicator style switched off, and nothing test-only
among the static files that production serves."""

import json
import re
import tomllib
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

BASE_DIR = Path(settings.BASE_DIR)
TEMPLATES = sorted((BASE_DIR / "templates").rglob("*.html"))
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)


def test_the_templates_are_there():
    assert len(TEMPLATES) > 30


def test_no_template_has_a_style_attribute_or_a_style_element():
    problems = [
        str(path.relative_to(BASE_DIR))
        for path in TEMPLATES
        if re.search(r"\bstyle\s*=\s*[\"']|<style\b", path.read_text(), re.IGNORECASE)
    ]
    assert problems == []


def test_no_template_has_an_inline_script():
    problems = [
        f"{path.relative_to(BASE_DIR)}: <script{attributes}>"
        for path in TEMPLATES
        for attributes in SCRIPT_TAG.findall(path.read_text())
        if not re.search(r"\bsrc\s*=", attributes)
    ]
    assert problems == []


def test_the_checks_see_what_they_look_for():
    assert SCRIPT_TAG.findall('<script>alert(1)</script><script src="/x.js">') == [
        "",
        ' src="/x.js"',
    ]


def test_htmx_injects_no_style_and_its_indicator_is_in_app_css():
    base = (BASE_DIR / "templates" / "base.html").read_text()
    config = re.search(r"""<meta name="htmx-config" content='([^']*)'>""", base)
    assert config, "base.html sets no htmx-config"
    # No injected style, and no eval (hx-on, js: values): the CSP forbids both.
    assert json.loads(config.group(1)) == {"includeIndicatorStyles": False, "allowEval": False}
    assert ".htmx-request .htmx-indicator" in (BASE_DIR / "static/css/app.css").read_text()


def test_the_500_page_takes_its_style_from_a_static_file():
    html = render_to_string("500.html")
    assert "/static/css/error.css" in html
    assert finders.find("css/error.css")


def test_axe_is_not_among_the_production_static_files():
    assert finders.find("vendor/axe.min.js") is None
    assert (BASE_DIR / "tests" / "e2e" / "vendor" / "axe.min.js").exists()


def test_the_python_plotly_package_is_no_dependency():
    # The vendored plotly.js comes from npm (static/vendor/README.md); nothing imports plotly.
    project = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["project"]
    assert not [d for d in project["dependencies"] if re.match(r"plotly\b", d)]
