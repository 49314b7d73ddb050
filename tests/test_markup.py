"""What an editor writes in Markdown reaches the public page as text and formatting, never as
script: every known way to smuggle JavaScript into a page is removed."""

import pytest

from results.markup import markdown_to_html

ATTACKS = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "[klicka](javascript:alert(1))",
    "[klicka](JaVaScRiPt:alert(1))",
    '<a href="javascript:alert(1)">klicka</a>',
    "[bild](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<iframe src="https://example.org"></iframe>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<svg onload="alert(1)"></svg>',
    "<p onclick=alert(1)>text</p>",
    '<a href="https://example.org" onmouseover="alert(1)">länk</a>',
    "<style>body{display:none}</style>",
    '<form action="https://example.org"><input name="token"></form>',
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_no_script_survives(attack):
    html = markdown_to_html(f"Inledning\n\n{attack}\n\nSlut").lower()
    for dangerous in ("<script", "javascript:", "onerror", "onload", "onclick", "onmouseover"):
        assert dangerous not in html
    for tag in ("<iframe", "<style", "<svg", "<form", "<input", "style=", "data:text"):
        assert tag not in html
    assert "inledning" in html and "slut" in html


def test_a_news_text_keeps_its_formatting():
    html = markdown_to_html(
        "# Rubrik\n\n57 procent anser att **arbetsbelastningen** är för hög.\n\n"
        "- ett\n- två\n\n> Citat\n\n[Läs rapporten](https://akademssr.se/rapport)"
    )
    assert "<h2>Rubrik</h2>" in html  # the page's title is its only h1
    assert "<strong>arbetsbelastningen</strong>" in html
    assert "<li>ett</li>" in html and "<blockquote>" in html
    assert 'href="https://akademssr.se/rapport"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_angle_brackets_in_text_are_shown_not_run():
    html = markdown_to_html("Svaret var 3 < 5 och <b>fetstil</b>")
    assert "&lt;" in html
    assert "<b>" not in html
