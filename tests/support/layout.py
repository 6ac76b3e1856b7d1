"""Reading a printed page as a reader would: how many lines a text takes in a column of a
``pdftotext -layout`` page."""

from __future__ import annotations

import re

MIN_CHARACTERS_PER_LINE = 35
"""A table column is readable when its lines hold this many characters on average (the
objectives of Table 1 squeezed into a narrow column held about ten)."""


def words(text: str) -> list[str]:
    return re.findall(r"\S+", text)


def lines_of(text: str, layout: str) -> int | None:
    """How many printed lines ``text`` takes in a table column: from the line holding its
    first words to the line holding its last ones (None when a page break falls between)."""
    found = words(text)
    head, tail = " ".join(found[:3]), " ".join(found[-2:])
    lines = layout.split("\n")
    start = next(i for i, line in enumerate(lines) if head in " ".join(words(line)))
    end = next(i for i in range(start, len(lines)) if tail in " ".join(words(lines[i])))
    if any("\f" in line for line in lines[start : end + 1]):
        return None
    return end - start + 1
