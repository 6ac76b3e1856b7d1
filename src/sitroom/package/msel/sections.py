"""Rows that are not injects: blank rows, exercise markers and section titles.

MSELs break their rows up with STARTEX / ENDEX markers, "KEY EVENT" lines, day or module
titles, and banners merged across the row. These are recognised here; a "Day 2", "Module 2"
or "Phase II" title also starts a new module when the sheet has no module column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sitroom.package.msel.cells import at, cell_text, clean_number, is_number
from sitroom.package.msel.headers import normalize_header

Merge = tuple[int, int, int, int]
"""A merged range: 0-based first row, first column, last row, last column."""

_MARKER = re.compile(
    r"^(startex|endex|stopex|start\s*ex\b|end\s*ex\b|end of (day|exercise|module|phase|play)"
    r"|key events?|lunch|break\b|hot\s*wash|(exercise\s+)?(pause|resume|restart)\b)",
    re.IGNORECASE,
)
_MARKER_WORD = re.compile(r"^\W*(startex|endex|stopex)\W*$", re.IGNORECASE)
_HEADING = re.compile(
    r"^(day|module|phase|segment|part|move|session|stage|block|period|turn|vignette)"
    r"\s*[-#:.]?\s*(\d{1,3}|[ivxlc]{1,6}\b|[a-z]\b)",
    re.IGNORECASE,
)
_FIRST_OF = {"2": "1", "ii": "I", "b": "A"}


def apply_merges(
    rows: list[list[Any]], header: int, width: int, merges: Sequence[Merge]
) -> dict[int, str]:
    """Fill merged data cells down the rows they cover; return the rows that are banners.

    A range merged across most of the row is a banner (a section title); the result maps
    each row it covers to its text. A range down a column (a merged 'Phase' or 'To' cell)
    gives its value to every row it covers.
    """
    banners: dict[int, str] = {}
    for first_row, first_col, last_row, last_col in merges:
        if first_row <= header or first_row >= len(rows):
            continue
        value = at(rows[first_row], first_col)
        last = min(last_row, len(rows) - 1)
        if last_col - first_col + 1 >= max(3, width // 2):
            for index in range(first_row, last + 1):
                others = [
                    v
                    for i, v in enumerate(rows[index])
                    if v is not None and not (index == first_row and i == first_col)
                ]
                if not others:
                    banners[index] = cell_text(value) if index == first_row else ""
            continue
        for index in range(first_row + 1, last + 1):
            row = rows[index]
            if at(row, first_col) is None:
                row.extend([None] * (first_col + 1 - len(row)))
                row[first_col] = value
    return banners


def row_kind(row: list[Any], banner: str | None, key_columns: set[int], width: int) -> str | None:
    """Why a row is not an inject ('blank row', "section title 'Day 2'"), or None.

    ``key_columns`` are the number and title columns: a STARTEX or ENDEX there (or in the
    row's first text cell) marks the row as a marker, however many other cells it fills.
    """
    filled = [(i, v) for i, v in enumerate(row) if v is not None]
    if not filled:
        return "blank row"
    if banner is not None:
        return f"section title '{banner}' (merged across the row)" if banner else "blank row"
    texts = [cell_text(v) for _, v in filled]
    first_text = next((i for i, v in filled if isinstance(v, str)), None)
    for position, (index, _) in enumerate(filled):
        if (index == first_text or index in key_columns) and _MARKER_WORD.match(texts[position]):
            return f"exercise marker '{texts[position]}'"
    summary = " — ".join(texts)[:80]
    first = texts[0]
    if (len(filled) <= 3 and _MARKER.match(first)) or (len(filled) <= 2 and _HEADING.match(first)):
        return f"section title '{summary}'"
    if len(filled) == 1:
        index, value = filled[0]
        lone_number = index in key_columns and is_number(clean_number(first))
        if isinstance(value, str) and not lone_number:
            return f"section title '{summary}'"
    elif (
        width >= 4
        and all(i < 2 for i, _ in filled)
        and isinstance(filled[0][1], str)
        and not is_number(first)
    ):
        return f"section title '{summary}'"
    return None


def repeats_header(row: list[Any], header: list[str]) -> bool:
    """True for a copy of the header row (MSELs printed per day repeat it above each day)."""
    same = filled = 0
    for index, value in enumerate(row):
        if value is None:
            continue
        filled += 1
        if isinstance(value, str) and index < len(header) and header[index]:
            same += normalize_header(value) == header[index]
    return same >= 2 and same * 2 >= filled


def heading(row: list[Any]) -> tuple[str, str] | None:
    """For a section row that starts a module ('Day 2 — Landfall'): (its id words, its title)."""
    title = " — ".join(cell_text(v) for v in row if v is not None)
    match = _HEADING.match(title)
    return (match[0], title) if match else None


def first_label(headings: list[str]) -> str | None:
    """The name of the untitled part before a 'Day 2' title: 'Day 1' (or 'Phase I', ...)."""
    match = _HEADING.match(headings[0]) if headings else None
    if match and match[2].lower() in _FIRST_OF:
        return f"{match[1]} {_FIRST_OF[match[2].lower()]}"
    return None
