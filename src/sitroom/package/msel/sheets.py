"""Which sheet of a workbook is the MSEL, where its header is, and what its title block says.

Without a sheet name, every sheet is scored by its best header-like row in the first 30
rows; sheets named like deleted injects, archives, lookups, lists or instructions, hidden
sheets and sitroom's own Exercise sheet are passed over.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sitroom.package.msel.cells import cell_text
from sitroom.package.msel.grid import Book
from sitroom.package.msel.headers import Column, Mapping, excluded_sheet, find_header
from sitroom.package.msel.times import year_in, year_in_text
from sitroom.package.msel.workbook import (
    EXERCISE_SHEET,
    ExerciseInfo,
    is_exercise_sheet,
    read_exercise_sheet,
)

HEADER_HINT = (
    "the header row names the columns, e.g. 'MSEL #', 'Time', 'To', 'Subject', 'Description'; "
    "give a mapping file for other names"
)
_MSEL_NAME = re.compile(r"msel|\bmel\b|\bmil\b|inject|event", re.IGNORECASE)
_MARKING_TEXT = re.compile(
    r"^(exercise\s+exercise|unclassified|classified|confidential|secret|restricted|official|"
    r"fouo|for official use|cui\b|controlled unclassified|sensitive|tlp\s*:|draft\b|u//)",
    re.IGNORECASE,
)


@dataclass
class Choice:
    """The sheet to read and its header row (0-based), or why there is none."""

    name: str | None = None
    header: int = 0
    error: tuple[str, str, str] | None = None
    """(code, message, hint) when no sheet can be read."""
    notes: list[str] = field(default_factory=list)


def choose_sheet(
    book: Book, wanted: str | None, mapping: Mapping, info: ExerciseInfo | None
) -> Choice:
    """The named sheet, or the one whose header matches the known column names best."""
    if book.kind == "csv":
        found = find_header(book.head(""), mapping)
        if found is None:
            return Choice(
                error=("no-header", "no row in the first 30 looks like an MSEL header", HEADER_HINT)
            )
        return Choice("", found[0])
    if wanted is not None:
        name = pick_name(wanted, book.names)
        if name is None:
            listed = ", ".join(f"'{n}'" for n in book.names)
            return Choice(
                error=(
                    "unknown-sheet",
                    f"the workbook has no sheet '{wanted}'",
                    f"its sheets are {listed}",
                )
            )
        found = find_header(book.head(name), mapping)
        if name in book.damaged:
            return Choice(name, error=_damaged(name, book.damaged[name]))
        if found is None:
            return Choice(
                name,
                error=(
                    "no-header",
                    f"no row in the first 30 of sheet '{name}' looks like an MSEL header",
                    HEADER_HINT,
                ),
            )
        return Choice(name, found[0])
    best: tuple[float, str, int] | None = None
    passed = []
    for name in book.names:
        if info and name == EXERCISE_SHEET:
            continue
        if excluded_sheet(name) or name in book.hidden:
            passed.append(name)
            continue
        found = find_header(book.head(name), mapping)
        if found is not None:
            score = found[1] + (0.25 if _MSEL_NAME.search(name) else 0.0)
            if best is None or score > best[0]:
                best = (score, name, found[0])
    if best is None and book.damaged:
        name, reason = next(iter(book.damaged.items()))
        return Choice(name, error=_damaged(name, reason))
    if best is None:
        left = f" (left out: {', '.join(repr(n) for n in passed)})" if passed else ""
        return Choice(
            error=(
                "no-header",
                "no sheet has a row that looks like an MSEL header" + left,
                HEADER_HINT + ", or name the sheet to read",
            )
        )
    return Choice(best[1], best[2], notes=passed)


def _damaged(name: str, reason: str) -> tuple[str, str, str]:
    return (
        "corrupt-workbook",
        f"sheet '{name}' cannot be read: {reason}",
        "open the workbook in Excel and save it again as an Excel workbook (.xlsx)",
    )


def pick_name(wanted: str, names: Sequence[str]) -> str | None:
    """The sheet called ``wanted``, compared without case or outer spaces if need be."""
    if wanted in names:
        return wanted
    close = [n for n in names if n.strip().casefold() == wanted.strip().casefold()]
    return close[0] if len(close) == 1 else None


def exercise_info(book: Book) -> ExerciseInfo | None:
    """What sitroom's Exercise sheet says, when the workbook has one."""
    if book.kind != "xlsx" or EXERCISE_SHEET not in book.names:
        return None
    rows = book.head(EXERCISE_SHEET, 5000)
    return read_exercise_sheet(rows) if is_exercise_sheet(rows) else None


def title_block(rows: Sequence[Sequence[Any]]) -> str:
    """The exercise name from the rows above the header, passing over marking banners."""
    for row in rows:
        for value in row:
            text = cell_text(value) if isinstance(value, str) else ""
            if text and not _MARKING_TEXT.match(text):
                return " ".join(text.split())[:200]
    return ""


def sheet_year(
    rows: Sequence[Sequence[Any]], header: int, columns: list[Column]
) -> tuple[int, str]:
    """The year for dates written without one, and where it was found."""
    timed = [c.index for c in columns if c.field in ("time", "date", "day")]
    for number, row in enumerate(rows[header + 1 :], start=header + 2):
        for index in timed:
            found = year_in(row[index] if index < len(row) else None)
            if found:
                return found, f"the year of the date on row {number}"
    for number, row in enumerate(rows[:header], start=1):
        for value in row:
            found = year_in_text(value) if isinstance(value, str) else None
            if found:
                return found, f"the year in the title on row {number}"
    return date.today().year, "the current year"
