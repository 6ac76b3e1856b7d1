"""Markdown turned into safe HTML: planners' texts (narratives, injects, notes) and what
participants type (decisions, answers, responses, notes, findings).

Two locks, so that neither alone has to be perfect: markdown-it-py parses CommonMark (plus
tables) with raw HTML switched off, so ``<script>`` typed into a narrative comes out as text;
then nh3 keeps only an allow-list of tags and attributes, drops ``javascript:`` and other
unknown URL schemes and adds ``rel="noopener noreferrer"`` to links.

A rendered text never makes the browser fetch anything: an image is shown as its alt text,
never as ``<img>`` (a relative source such as ``../../join/…`` is a request made with the
reader's cookies, and an outside one tells a third party who read what). Pictures of a
package travel as inject attachments, served by the run's attachment route. A link keeps its
target only when it is absolute (``https:``, ``http:``, ``mailto:``, ``tel:``) and does not
lead to a sign-in or joining route; anything else is shown as its text.
"""

from __future__ import annotations

from functools import cache
from urllib.parse import unquote, urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

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
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
LINK_REL = "noopener noreferrer"


JOIN_SEGMENT = "join"
"""The path segment of the joining routes (``/join/{token}``): no rendered link leads there,
on this site or any other, since a text cannot know which host it is read on."""


def safe_link(url: str) -> bool:
    """True for a link a rendered text may keep: absolute, a known scheme, not to joining.

    Relative links are refused because they resolve against the reader's page, inside this
    site, where the reader is signed in; a planner who wants to point at a document attaches
    it to the inject instead.
    """
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in URL_SCHEMES:
        return False
    if parts.scheme.lower() in ("http", "https") and not parts.netloc:
        return False
    segments = unquote(parts.path).replace("\\", "/").lower().split("/")
    return JOIN_SEGMENT not in (segment.strip() for segment in segments)


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "a" and attribute == "href":
        return value if safe_link(value) else None
    return value


def _plain(tokens: list[Token]) -> str:
    """The text of inline tokens (an image's alt text), without their formatting."""
    parts: list[str] = []
    for token in tokens:
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif token.children:
            parts.append(_plain(token.children))
    return "".join(parts)


def _unlink(tokens: list[Token]) -> None:
    """Images become their alt text; links the page may not keep become their text."""
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        children: list[Token] = []
        dropped_links: list[bool] = []
        for child in token.children:
            if child.type == "image":
                alt = Token("text", "", 0)
                alt.content = _plain(child.children or [])
                children.append(alt)
            elif child.type == "link_open":
                keep = safe_link(str(child.attrGet("href") or ""))
                dropped_links.append(not keep)
                if keep:
                    children.append(child)
            elif child.type == "link_close":
                if not (dropped_links and dropped_links.pop()):
                    children.append(child)
            else:
                children.append(child)
        token.children = children


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
    _unlink(tokens)
    if heading_offset:
        for token in tokens:
            if token.type in ("heading_open", "heading_close"):
                level = min(6, max(1, int(token.tag[1:]) + heading_offset))
                token.tag = f"h{level}"
    html = parser.renderer.render(tokens, parser.options, {})
    return str(_cleaner().clean(html))
