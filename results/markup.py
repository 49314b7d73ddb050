"""Editors' Markdown as safe HTML: the body of a result page, quotes, block texts.

Markdown (the `markdown` package) makes the HTML; nh3 (the Rust `ammonia` sanitiser) keeps only
the tags and attributes a news text needs, so no script, event attribute, style, frame or
`javascript:`/`data:` link survives, whatever the editor (or a stolen editor account) types.
Plain Python; no Django."""

from __future__ import annotations

import markdown
import nh3

TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "a",
    "ul",
    "ol",
    "li",
    "h2",
    "h3",
    "h4",
    "blockquote",
    "code",
    "pre",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


def markdown_to_html(text: str) -> str:
    """Sanitised HTML for `text` (Markdown). Headings start at h2: the page's title is the h1."""
    html = markdown.markdown(text, extensions=["tables", "sane_lists"], output_format="html")
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
