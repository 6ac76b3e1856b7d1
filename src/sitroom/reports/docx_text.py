"""Plain text for a Word document: characters XML can carry, Markdown flattened to
paragraphs and bullets, and times and durations written the same in every language.

Word styles do the formatting, so what reaches the template is text only; these helpers are
kept apart from the context builder because each is a rule about text, not about the report.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from markdown_it import MarkdownIt

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


# -- Markdown, flattened -----------------------------------------------------------------------


@cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark")


def flatten_markdown(text: str) -> list[dict[str, Any]]:
    """Markdown as paragraphs and bullets of plain text: ``[{"text": …, "bullet": bool}]``.

    Word styles do the formatting, so inline emphasis is dropped and links keep their text.
    """
    blocks: list[dict[str, Any]] = []
    depth = 0
    for token in _markdown().parse(text):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif token.type == "inline":
            parts: list[str] = []
            for child in token.children or ():
                if child.type in ("text", "code_inline"):
                    parts.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    parts.append(" ")
                elif child.type == "image":
                    parts.append(child.content)
            line = "".join(parts).strip()
            if line:
                blocks.append({"text": line, "bullet": depth > 0})
        elif token.type in ("fence", "code_block"):
            blocks.extend(
                {"text": line, "bullet": False} for line in token.content.splitlines() if line
            )
    return blocks
