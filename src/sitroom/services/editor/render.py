"""Write new values as YAML in the house style of the bundled packages: two spaces per level,
list dashes indented under their key, short lists of words in brackets, texts of several
lines as ``|`` blocks, and quotes only where a value would otherwise read as something else.
"""

from __future__ import annotations

import json
import re
import textwrap
from typing import Any

from sitroom.package import load

_INDICATORS = set("-?:,[]{}#&*!|>'\"%@`")
_FLOW_WIDTH = 80
"""A list of plain words is written in brackets while its line stays this short."""
FOLD_WIDTH = 96


def _resolves_to_text(value: str) -> bool:
    resolvers = load._FastLoader.yaml_implicit_resolvers.get(value[:1], ())
    return not any(regexp.match(value) for _, regexp in resolvers)


def plain_ok(value: str, *, in_flow: bool = False) -> bool:
    """Whether ``value`` can be written without quotes and read back as the same text."""
    if not value or value != value.strip() or "\n" in value or "\t" in value:
        return False
    if value[0] in _INDICATORS or ": " in value or " #" in value or value.endswith(":"):
        return False
    if in_flow and any(c in value for c in ",[]{}"):
        return False
    if any(ord(c) < 32 or c in "\ufeff\x85\u2028\u2029" for c in value):
        return False
    return _resolves_to_text(value)


_LINE_BREAKS = {"\x85": "\\N", "\u2028": "\\L", "\u2029": "\\P", "\ufeff": "\\ufeff"}


def quoted(value: str) -> str:
    """A double-quoted scalar (JSON's escapes are YAML's; YAML's own line breaks escaped)."""
    text = json.dumps(value, ensure_ascii=False)
    for char, escape in _LINE_BREAKS.items():
        text = text.replace(char, escape)
    return text


def single_quoted(value: str) -> str | None:
    if "\n" in value or any(ord(c) < 32 for c in value):
        return None
    return "'" + value.replace("'", "''") + "'"


def inline(
    value: Any, *, style: str = "", key: str | int | None = None, in_flow: bool = False
) -> str | None:
    """``value`` on one line, keeping a quoted ``style`` where it was quoted; None if it needs
    several lines (text with line breaks, a mapping, a list that is not short words)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        text = repr(value)
        # Identifiers (inject numbers, ids) are text: a number typed there keeps its quotes.
        return quoted(text) if key in load._TEXT_KEYS else text
    if isinstance(value, str):
        if "\n" in value:
            return None
        if style == "'":
            found = single_quoted(value)
            if found is not None:
                return found
        if style == '"':
            return quoted(value)
        if key == "number" or (key in load._TEXT_KEYS and not _resolves_to_text(value)):
            return quoted(value)  # MSEL numbers are always quoted, so 1.10 stays 1.10
        return value if plain_ok(value, in_flow=in_flow) else quoted(value)
    if isinstance(value, list):
        if not value:
            return "[]"
        parts = []
        for item in value:
            if isinstance(item, dict | list) or (isinstance(item, str) and "\n" in item):
                return None
            parts.append(inline(item, in_flow=True))
        text = "[" + ", ".join(p or "" for p in parts) + "]"
        return text if len(text) <= _FLOW_WIDTH else None
    if isinstance(value, dict):
        return "{}" if not value else None
    raise TypeError(f"cannot write a {type(value).__name__} in a package")


def block_text(value: str, indent: int, *, folded: bool = False) -> str:
    """A ``|`` (or ``>``) block holding ``value`` exactly; content lines at ``indent``.

    Returns the header and the lines, without a final line break.
    """
    body = value.rstrip("\n")
    trailing = len(value) - len(body)
    chomp = "-" if trailing == 0 else ("" if trailing == 1 else "+")
    lines = body.split("\n")
    pad = " " * indent
    indicator = ""
    if lines and lines[0].startswith(" "):
        indicator = "2"  # an explicit indentation, since the first line starts with spaces
    if folded and _foldable(body):
        wrapped = textwrap.wrap(
            body, FOLD_WIDTH - indent, break_long_words=False, break_on_hyphens=False
        )
        if " ".join(wrapped) == body:
            return ">" + chomp + "\n" + "\n".join(pad + line for line in wrapped)
    out = "|" + indicator + chomp + "\n"
    out += "\n".join((pad + line) if line else "" for line in lines)
    if trailing > 1:
        out += "\n" * (trailing - 1)
    return out


def _foldable(body: str) -> bool:
    return "\n" not in body and "  " not in body and not body.startswith(" ") and "\t" not in body


def scalar(value: Any, indent: int, *, style: str = "", key: str | int | None = None) -> str:
    """A scalar written after ``key: `` or ``- ``; block texts have content at ``indent``.

    A text that was a ``|`` or ``>`` block stays one (so its first line does not change).
    """
    if isinstance(value, str):
        if style == ">" and _foldable(value.rstrip("\n")):
            return block_text(value, indent, folded=True)
        if style in ("|", ">") or "\n" in value:
            return block_text(value, indent)
    found = inline(value, style=style, key=key)
    if found is None:
        raise TypeError("a mapping or a list is not a scalar")
    return found


def key_text(key: str | int) -> str:
    text = str(key)
    return text if plain_ok(text) else quoted(text)


def block(value: Any, indent: int, *, key: str | int | None = None) -> list[str]:
    """Lines (each with its line break) writing ``value`` as a block at column ``indent``.

    A mapping gives ``key: value`` lines; a list gives ``- item`` lines with the dash at
    ``indent``. A scalar gives one line (or a ``|`` block after an empty first line).
    """
    pad = " " * indent
    if isinstance(value, dict):
        lines: list[str] = []
        for k, v in value.items():
            lines.extend(pair(k, v, indent))
        return lines or [pad + "{}\n"]
    if isinstance(value, list):
        lines = []
        for item in value:
            lines.extend(item_lines(item, indent))
        return lines or [pad + "[]\n"]
    return [pad + scalar(value, indent + 2, key=key) + "\n"]


def pair(key: str | int, value: Any, indent: int) -> list[str]:
    """``key: value`` at column ``indent``, nested values below it."""
    pad = " " * indent
    head = pad + key_text(key) + ":"
    one = inline(value, key=key)
    if one is not None:
        return [head + " " + one + "\n"]
    if isinstance(value, str):
        return [head + " " + block_text(value, indent + 2) + "\n"]
    nested = indent + 2
    return [head + "\n", *block(value, nested, key=key)]


def item_lines(value: Any, dash: int) -> list[str]:
    """One list item with its dash at column ``dash``."""
    pad = " " * dash
    one = inline(value)
    if one is not None and not isinstance(value, list):
        return [pad + "- " + one + "\n"]
    if isinstance(value, str):
        return [pad + "- " + block_text(value, dash + 2) + "\n"]
    if isinstance(value, dict):
        lines = block(value, dash + 2)
        lines[0] = pad + "- " + lines[0][dash + 2 :]
        return lines
    if one is not None:  # a short list inside a list
        return [pad + "- " + one + "\n"]
    return [pad + "-\n", *block(value, dash + 2)]


def readback(fragment: str) -> Any:
    """Read a written fragment with the package loader's rules (for self-checks)."""
    data, _, problems = load.parse_yaml(fragment, "<fragment>")
    if problems:
        raise ValueError("; ".join(str(p) for p in problems))
    return data


def is_language(part: str | int) -> bool:
    """Whether a path part names a language (``en``, ``ko``, ``fr-CA``)."""
    return (
        isinstance(part, str) and re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*", part) is not None
    )
