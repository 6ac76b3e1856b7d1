"""Which sheets of a workbook are the MSEL, where their headers are, and what the title says.

Without sheet names, every sheet is scored by its best header-like row in the first 30 rows.
Sheets named like deleted injects, archives, examples, lookups or print copies, hidden sheets
and sitroom's own Exercise sheet are passed over, and a summary of key events is passed over
when there is an MSEL beside it. Two or more sheets named by day, date or phase ("Day 1",
"14 Sep", "Phase II") are one MSEL kept a sheet per day: all are read, in sheet order, as
modules. Otherwise one sheet is read: the one named as the MSEL ("MSEL", "Master"), then the
one whose header names the most MSEL columns, then the largest. Every sheet not read is
listed with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sitroom.package.msel.cells import cell_text
from sitroom.package.msel.grid import Book
from sitroom.package.msel.headers import Column, Mapping, find_header, header_fields
from sitroom.package.msel.names import is_day_or_phase, is_main, is_summary, set_aside
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
SERIES_FIT = 0.75
"""Beside day sheets, another sheet is read too when its header fits at least this share as
well as theirs (a sheet of contingency injects); a worse fit is passed over."""
_MARKING_TEXT = re.compile(
    r"^(exercise\s+exercise|unclassified|classified|confidential|secret|restricted|official|"
    r"fouo|for official use|cui\b|controlled unclassified|sensitive|tlp\s*:|draft\b|u//)",
    re.IGNORECASE,
)


@dataclass
class Choice:
    """The sheets to read with their header rows (0-based), why they were chosen and why the
    others were passed over; or why no sheet can be read."""

    sheets: list[tuple[str, int]] = field(default_factory=list)
    passed: list[tuple[str, str]] = field(default_factory=list)
    """(sheet, why it was not read), in sheet order."""
    why: str = ""
    """Why these sheets, when there was a choice to make."""
    error: tuple[str, str, str] | None = None
    """(code, message, hint) when no sheet can be read."""
    error_sheet: str | None = None

    @property
    def name(self) -> str | None:
        """The first sheet read ('' for a CSV file), or the sheet an error is about."""
        return self.sheets[0][0] if self.sheets else self.error_sheet


@dataclass
class _Candidate:
    name: str
    header: int
    score: float
    fields: int
    rows: int


def choose_sheets(
    book: Book, wanted: Sequence[str], mapping: Mapping, info: ExerciseInfo | None
) -> Choice:
    """The named sheets, in the order given; else the MSEL sheets of the workbook."""
    if book.kind == "csv":
        found = find_header(book.head(""), mapping)
        if found is None:
            return Choice(
                error=("no-header", "no row in the first 30 looks like an MSEL header", HEADER_HINT)
            )
        return Choice([("", found[0])])
    if wanted:
        return _named(book, wanted, mapping)
    candidates: list[_Candidate] = []
    passed: list[tuple[str, str]] = []
    for name in book.names:
        if info and name == EXERCISE_SHEET:
            continue
        reason = "hidden" if name in book.hidden else set_aside(name)
        if reason:
            passed.append((name, reason))
            continue
        head = book.head(name)
        found = find_header(head, mapping)
        if found is None:
            if name not in book.damaged:
                passed.append((name, "no row in its first 30 looks like an MSEL header"))
            continue
        fields = len(header_fields(head[found[0]], mapping))
        candidates.append(_Candidate(name, found[0], found[1], fields, book.sizes.get(name, 0)))
    if not candidates and book.damaged:
        name, reason = next(iter(book.damaged.items()))
        return Choice(error=_damaged(name, reason), error_sheet=name)
    if not candidates:
        left = [n for n, why in passed if not why.startswith("no row")]
        listed = f" (left out: {', '.join(repr(n) for n in left)})" if left else ""
        return Choice(
            passed=passed,
            error=(
                "no-header",
                "no sheet has a row that looks like an MSEL header" + listed,
                HEADER_HINT + ", or name the sheet to read",
            ),
        )
    summaries = [c for c in candidates if is_summary(c.name)]
    if summaries and len(summaries) < len(candidates):
        passed.extend((c.name, "named like a summary of key events") for c in summaries)
        candidates = [c for c in candidates if c not in summaries]
    chosen, why, more = _pick(candidates)
    order = {name: index for index, name in enumerate(book.names)}
    passed = sorted([*passed, *more], key=lambda item: order[item[0]])
    return Choice([(c.name, c.header) for c in chosen], passed, why)


def _pick(
    candidates: list[_Candidate],
) -> tuple[list[_Candidate], str, list[tuple[str, str]]]:
    """The sheets to read among those with an MSEL header, why, and why not the others."""
    days = [c for c in candidates if is_day_or_phase(c.name)]
    series = len(days) >= 2
    mains = [c for c in candidates if is_main(c.name) and not (series and c in days)]
    if series and not mains:
        fit = max(c.score for c in days)
        chosen = [c for c in candidates if c in days or c.score >= SERIES_FIT * fit]
        why = (
            f"{len(days)} sheets are named by day, date or phase: each was read as a module, "
            "in sheet order"
        )
        names = ", ".join(repr(c.name) for c in days[:3]) + (" …" if len(days) > 3 else "")
        more = [
            (c.name, f"its header fits the MSEL columns less well than the day sheets ({names})")
            for c in candidates
            if c not in chosen
        ]
        return chosen, why, more
    pool = mains or candidates
    best = max(pool, key=lambda c: (c.score, c.rows, -candidates.index(c)))
    more = [(c.name, _why_not(c, best, days)) for c in candidates if c is not best]
    reasons = []
    if is_main(best.name):
        reasons.append("named as the MSEL")
    reasons.append(f"its header names {best.fields} MSEL columns")
    if best.rows:
        reasons.append(f"{best.rows} rows")
    why = f"{'; '.join(reasons)} — chosen over {_count(len(more), 'other sheet')}" if more else ""
    return [best], why, more


def _why_not(sheet: _Candidate, best: _Candidate, days: list[_Candidate]) -> str:
    if sheet in days and len(days) >= 2:
        return f"a day sheet beside the main MSEL '{best.name}'"
    if is_main(best.name) and not is_main(sheet.name):
        return f"not named as the MSEL, unlike '{best.name}'"
    if sheet.score < best.score:
        return (
            f"its header fits the MSEL columns less well than '{best.name}' "
            f"({sheet.fields} columns recognised against {best.fields})"
        )
    if sheet.rows < best.rows:
        return f"smaller than '{best.name}' ({sheet.rows} rows against {best.rows})"
    return f"'{best.name}' fits as well and comes first"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _named(book: Book, wanted: Sequence[str], mapping: Mapping) -> Choice:
    """The sheets named by the caller, each checked; the first that cannot be read is the error."""
    chosen: list[tuple[str, int]] = []
    for asked in dict.fromkeys(wanted):
        name = pick_name(asked, book.names)
        if name is None:
            listed = ", ".join(f"'{n}'" for n in book.names)
            return Choice(
                error=(
                    "unknown-sheet",
                    f"the workbook has no sheet '{asked}'",
                    f"its sheets are {listed}",
                )
            )
        found = find_header(book.head(name), mapping)
        if name in book.damaged:
            return Choice(error=_damaged(name, book.damaged[name]), error_sheet=name)
        if found is None:
            return Choice(
                error=(
                    "no-header",
                    f"no row in the first 30 of sheet '{name}' looks like an MSEL header",
                    HEADER_HINT,
                ),
                error_sheet=name,
            )
        if all(name != done for done, _ in chosen):
            chosen.append((name, found[0]))
    return Choice(chosen)


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
