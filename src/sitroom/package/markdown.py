"""Markdown written by planners (narratives, inject texts, notes) turned into safe HTML.

Two locks, so that neither alone has to be perfect: markdown-it-py parses CommonMark (plus
tables) with raw HTML switched off, so ``<script>`` typed into a narrative comes out as text;
then nh3 keeps only an allow-list of tags and attributes, drops ``javascript:`` and other
unknown URL schemes, adds ``rel="noopener noreferrer"`` to links and keeps images only when
their source is a relative path (a document shipped with the package), so a rendered page
never fetches anything from outside.
"""

from __future__ import annotations

from functools import cache
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        "a",
        "blockquote",
        "br",
        "code",
        "del",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "img",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "strong",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
LINK_REL = "noopener noreferrer"


def _is_relative_path(url: str) -> bool:
    """True for a path inside the package (``maps/area.png``), not a URL to another host."""
    text = url.strip()
    if not text or text.startswith(("/", "\\")):
        return False
    parts = urlsplit(text)
    return not parts.scheme and not parts.netloc


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if _is_relative_path(value) else None
    return value


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table")


@cache
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_filter_attribute,
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        filter_style_properties={"text-align"},
        set_tag_attribute_values={"th": {"scope": "col"}},
    )


def render_markdown(text: str, *, heading_offset: int = 0) -> str:
    """Markdown → HTML that is safe to place in a page.

    ``heading_offset`` moves headings down (``# Title`` with offset 3 becomes ``<h4>``), so
    Markdown placed under a document's own headings keeps the heading order; h6 is the floor.
    """
    if not text or not text.strip():
        return ""
    parser = _parser()
    tokens = parser.parse(text)
    if heading_offset:
        for token in tokens:
            if token.type in ("heading_open", "heading_close"):
                level = min(6, max(1, int(token.tag[1:]) + heading_offset))
                token.tag = f"h{level}"
    html = parser.renderer.render(tokens, parser.options, {})
    return str(_cleaner().clean(html))
