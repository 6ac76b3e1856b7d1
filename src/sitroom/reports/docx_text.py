"""Text for a Word document: characters XML can carry, Markdown as Word paragraphs with bold
and italic runs, and times and durations written the same in every language.

Package texts and findings are Markdown, often written in YAML with a line break every 80
characters. In Word a single line break is folded into the paragraph (as a Markdown reader
does), a blank line starts a new paragraph, ``**bold**`` and ``*italic*`` become formatted
runs, list items become list paragraphs and links keep their text. Word styles do the rest,
so the template decides how a paragraph or a list looks. These helpers are kept apart from
the context builder because each is a rule about text, not about the report.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from docxtpl import RichText
from markdown_it import MarkdownIt
from markdown_it.token import Token

# XML 1.0 allows tab, newline and carriage return below 0x20 and nothing else; lone
# surrogates cannot be encoded as UTF-8 at all.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def clean(value: str) -> str:
    """``value`` without the characters XML 1.0 cannot carry (they would corrupt the .docx)."""
    return _FORBIDDEN.sub("", value)


def clean_all(value: Any) -> Any:
    """Every string of the context, cleaned; images and numbers pass through."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {key: clean_all(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clean_all(item) for item in value]
    return value


def duration(seconds: float | None) -> str:
    """``3 min 06 s`` style as ``0:03:06``; language-neutral, and sorts as it reads."""
    if seconds is None:
        return "—"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def minute_of(iso: str | None) -> str:
    """An ISO time as ``2027-03-04 09:10`` (UTC offset dropped: the record is in UTC)."""
    if not iso:
        return ""
    return iso[:16].replace("T", " ")


# -- Markdown as Word paragraphs --------------------------------------------------------------


@cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark")


def _runs(children: list[Token] | None, *, bold: bool = False) -> tuple[RichText, str]:
    """Inline Markdown as Word runs (bold, italic) and as plain text; a hard line break stays
    a line break, a soft one (a line break in the source) is a space."""
    pieces: list[tuple[str, bool, bool]] = []
    strong = emphasis = 0
    for child in children or ():
        kind = child.type
        if kind == "strong_open":
            strong += 1
        elif kind == "strong_close":
            strong = max(strong - 1, 0)
        elif kind == "em_open":
            emphasis += 1
        elif kind == "em_close":
            emphasis = max(emphasis - 1, 0)
        elif kind in ("text", "code_inline", "html_inline", "image"):
            pieces.append((child.content, bold or strong > 0, emphasis > 0))
        elif kind == "softbreak":
            pieces.append((" ", bold or strong > 0, emphasis > 0))
        elif kind == "hardbreak":
            pieces.append(("\n", False, False))
    texts = [clean(text) for text, _, _ in pieces]
    while texts and not texts[0].strip():
        texts.pop(0)
        pieces.pop(0)
    while texts and not texts[-1].strip():
        texts.pop()
        pieces.pop()
    if texts:
        texts[0], texts[-1] = texts[0].lstrip(), texts[-1].rstrip()
    runs: list[tuple[str, bool, bool]] = []  # one run per stretch of the same formatting
    for text, (_, is_bold, is_italic) in zip(texts, pieces, strict=True):
        if runs and runs[-1][1:] == (is_bold, is_italic):
            runs[-1] = (runs[-1][0] + text, is_bold, is_italic)
        elif text:
            runs.append((text, is_bold, is_italic))
    rich = RichText()
    for text, is_bold, is_italic in runs:
        rich.add(text, bold=is_bold, italic=is_italic)
    return rich, re.sub(r" *\n *", "\n", re.sub(r" {2,}", " ", "".join(texts)))


def _block(
    rich: RichText, text: str, *, bullet: bool = False, number: str = "", level: int = 0
) -> dict[str, Any]:
    return {"text": text, "rich": rich, "bullet": bullet, "number": number, "level": level}


def inline_block(text: str) -> dict[str, Any]:
    """One line of text that may hold inline Markdown (``**bold**``) as one paragraph block;
    nothing in it starts a list or a heading ("1. Within 2 hours" stays as written)."""
    tokens = _markdown().parseInline(text.strip()) if text.strip() else []
    rich, plain = _runs(tokens[0].children if tokens else None)
    return _block(rich, plain)


def plain(text: str) -> str:
    """One line of text with its inline Markdown taken out: ``**Guidelines**`` → Guidelines."""
    return str(inline_block(text)["text"])


def markdown_blocks(text: str) -> list[dict[str, Any]]:
    """Markdown as Word paragraphs: ``[{"text", "rich", "bullet", "number", "level"}]``.

    ``text`` is the paragraph as plain text (a numbered item starts with its number), ``rich``
    the same as formatted runs (print it with ``{{r block.rich }}``), ``bullet`` true for a
    bulleted list item, ``number`` the item's number ("2.") in a numbered list, ``level`` how
    deep in lists it is (0: not in a list). Headings are bold paragraphs.
    """
    blocks: list[dict[str, Any]] = []
    lists: list[list[Any]] = []  # [ordered, next number] per open list
    marker: str | None = None  # the marker of a list item whose first paragraph is to come
    heading = False
    for token in _markdown().parse(text or ""):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            start = token.attrGet("start")
            lists.append([kind == "ordered_list_open", int(start) if start else 1])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open" and lists:
            ordered, number = lists[-1]
            marker = f"{number}." if ordered else ""
            lists[-1][1] = number + 1
        elif kind in ("heading_open", "heading_close"):
            heading = kind == "heading_open"
        elif kind == "inline":
            rich, line = _runs(token.children, bold=heading)
            if not line:
                continue
            if marker:  # the first paragraph of a numbered item carries the number
                prefixed = RichText(f"{marker} ")
                prefixed.add(rich)
                rich, line = prefixed, f"{marker} {line}"
            blocks.append(
                _block(
                    rich,
                    line,
                    bullet=marker == "",
                    number=marker or "",
                    level=len(lists),
                )
            )
            marker = None
        elif kind in ("fence", "code_block"):
            for line in token.content.splitlines():
                if line.strip():
                    blocks.append(_block(RichText(clean(line)), clean(line), level=len(lists)))
    return blocks


def flatten_markdown(text: str) -> list[dict[str, Any]]:
    """Markdown as paragraphs and bullets of plain text: ``[{"text": …, "bullet": bool}]``
    (what ``markdown_blocks`` gives, without the formatting)."""
    return [{"text": b["text"], "bullet": b["bullet"]} for b in markdown_blocks(text)]
