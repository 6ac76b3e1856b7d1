"""Import a spreadsheet MSEL (Master Scenario Events List) into a package, and export one.

``import_msel`` reads the MSELs agencies actually keep: any sheet of a workbook, a title
block above the header, their own column names, section rows, merged cells, times in a dozen
forms, CSV in any common encoding. It never raises: the :class:`ImportReport` holds the
package (when one could be made), what was read and how, every row left out and why, and
every problem located by sheet, row and column.

``export_msel`` writes an HSEEP-style workbook that imports back to the same injects.

The pieces: ``mselgrid`` (files → cells), ``mselsheets`` (which sheet, which header row),
``mselheaders`` and ``mselmapping`` (which column is which field), ``mselsections`` (rows
that are not injects), ``mselrows`` (rows → injects, modules, teams), ``mseltime`` and
``mselcells`` (single cells), ``mselworkbook`` (the workbook sitroom writes).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from sitroom.package.model import ID_PATTERN, Exercise, Package
from sitroom.package.msel.grid import Book, Sheet, open_book
from sitroom.package.msel.headers import FIELDS, Column, Mapping, find_header, map_columns
from sitroom.package.msel.mapping import read_mapping, unused_mapping
from sitroom.package.msel.rows import Context, Conversion, convert
from sitroom.package.msel.sheets import choose_sheet, exercise_info, sheet_year, title_block
from sitroom.package.msel.teams import slugify
from sitroom.package.msel.workbook import ExerciseInfo, write_msel
from sitroom.package.problems import Problem, Severity

__all__ = ["FIELDS", "ImportReport", "export_msel", "import_msel"]

Progress = Callable[[int, int], None]


@dataclass
class ImportReport:
    """The outcome of reading a spreadsheet MSEL: the package and an account of the reading."""

    package: Package | None
    sheet: str | None
    header_row: int | None
    columns: dict[str, str] = field(default_factory=dict)
    """Header text as written → the field its column maps to ('notes' for kept columns)."""
    imported: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    """Headers of the columns no field took; their cells are kept in the notes."""
    kept: list[str] = field(default_factory=list)
    """Headers of mapped columns that the inject has no field for (status, objectives...):
    their cells are kept in the notes too."""
    year: str = ""
    """For dates written without a year: which year was used, and why."""
    notes: list[str] = field(default_factory=list)
    """Other things worth knowing about the reading (sheets passed over, ...)."""

    @property
    def errors(self) -> list[Problem]:
        """The problems that are errors."""
        return [p for p in self.problems if p.is_error]

    @property
    def ok(self) -> bool:
        """True when a package was made and no error was found."""
        return self.package is not None and not self.errors

    def summary(self) -> str:
        """What was read and how, for a person: sheet, header, columns, injects, rows left out."""
        lines: list[str] = []
        if self.header_row is not None:
            where = f"sheet '{self.sheet}'" if self.sheet else "the CSV file"
            lines.append(f"Read {where}; header on row {self.header_row}.")
        if self.columns:
            lines.append("Columns:")
            width = max(len(h) for h in self.columns)
            for header, target in self.columns.items():
                line = f"  {header.ljust(width)}  → {target}"
                if header in self.unmapped:
                    line += "  (no field: kept as 'header: value' in notes)"
                elif header in self.kept:
                    line += "  (kept as 'header: value' in notes)"
                lines.append(line)
        if self.package is not None:
            modules, teams = len(self.package.modules), len(self.package.teams)
            lines.append(
                f"Imported {_count(self.imported, 'inject')} in "
                f"{_count(modules, 'module')}; {_count(teams, 'team')}."
            )
        lines.extend(self.notes)
        if self.year:
            lines.append(self.year)
        if self.skipped:
            lines.append(f"Rows not imported: {len(self.skipped)}")
            lines.extend(f"  {rows}: {reason}" for rows, reason in _ranges(self.skipped))
        if self.problems:
            errors = len(self.errors)
            lines.append(
                f"Problems: {_count(errors, 'error')}, "
                f"{_count(len(self.problems) - errors, 'warning')}"
            )
            lines.extend(f"  {p}" for p in self.problems)
        return "\n".join(lines)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _ranges(skipped: list[tuple[int, str]]) -> list[tuple[str, str]]:
    """Consecutive rows left out for the same reason, as 'rows 20-25'."""
    merged: list[tuple[int, int, str]] = []
    for row, reason in sorted(skipped):
        if merged and merged[-1][2] == reason and merged[-1][1] == row - 1:
            merged[-1] = (merged[-1][0], row, reason)
        else:
            merged.append((row, row, reason))
    return [(f"row {a}" if a == b else f"rows {a}-{b}", reason) for a, b, reason in merged]


def import_msel(
    path: Path,
    *,
    sheet: str | None = None,
    mapping: Path | dict[str, str] | None = None,
    exercise_id: str | None = None,
    title: str | None = None,
    progress: Progress | None = None,
    year: int | None = None,
) -> ImportReport:
    """Read a spreadsheet MSEL (.xlsx or .csv) into a package; never raises.

    ``sheet`` picks the sheet (else the one whose header matches best); ``mapping`` maps
    header texts to fields, over the built-in synonyms; ``year`` is the year for dates
    written without one, like '4-Mar' (else the year of the sheet's first full date, else
    of its title block, else the current year, with a warning).
    ``progress(done, total)`` is called every 200 rows, first while the sheet is read and
    then while its rows are converted; ``total`` counts both passes.
    """
    path = Path(path)
    try:
        return _Import(path, sheet, exercise_id, title, progress, year).run(mapping)
    except Exception as exc:  # the last guard: a report, never a traceback
        problem = Problem(
            "unexpected-error",
            f"the MSEL could not be read: {type(exc).__name__}: {exc}",
            file=str(path),
            hint="please report this, with the file if you can share it",
        )
        return ImportReport(None, sheet, None, problems=[problem])


def export_msel(package: Package, path: Path) -> Path:
    """Write the package's MSEL as an HSEEP-style .xlsx workbook; return the path written.

    One "MSEL" sheet (a row per inject, a column per other language for the texts) and an
    "Exercise" sheet (exercise, parties, teams, modules) so that importing it restores them.
    """
    return write_msel(package, Path(path))


class _Import:
    """One import: the steps from a file to a report."""

    def __init__(
        self,
        path: Path,
        sheet: str | None,
        exercise_id: str | None,
        title: str | None,
        progress: Progress | None,
        year: int | None,
    ) -> None:
        self.path, self.wanted, self.exercise_id = path, sheet, exercise_id
        self.title, self.progress, self.year = title, progress, year
        self.file = str(path)
        self.report = ImportReport(None, None, None)

    def problem(self, code: str, message: str, hint: str = "", *, warning: bool = False) -> None:
        severity = Severity.WARNING if warning else Severity.ERROR
        self.report.problems.append(
            Problem(
                code, message, file=self.file, hint=hint, sheet=self.report.sheet, severity=severity
            )
        )

    def run(self, mapping_source: Path | dict[str, str] | None) -> ImportReport:
        mapping, problems = read_mapping(mapping_source)
        self.report.problems.extend(problems)
        if any(p.is_error for p in problems):
            return self.report
        book, problems = open_book(self.path)
        self.report.problems.extend(problems)
        if book is None:
            return self.report
        try:
            return self.read(book, mapping)
        finally:
            book.close()

    def read(self, book: Book, mapping: Mapping) -> ImportReport:
        if book.kind == "csv" and self.wanted:
            self.problem(
                "no-sheets", "a CSV file has no sheets; the sheet name was not used", warning=True
            )
        info = exercise_info(book)
        for message in info.problems if info else []:
            self.problem("exercise-sheet", message, warning=True)
        if info:
            self.report.notes.append(
                "Exercise, languages, parties, teams and modules were read from the "
                "'Exercise' sheet."
            )
        choice = choose_sheet(book, self.wanted, mapping, info)
        self.report.sheet = choice.name or None
        if choice.notes:
            passed = ", ".join(f"'{n}'" for n in choice.notes)
            self.report.notes.append(
                f"Sheets passed over (archives, lookups, instructions, hidden): {passed}."
            )
        if choice.error or choice.name is None:
            self.problem(*(choice.error or ("no-header", "no sheet to read", "")))
            return self.report
        sheet, problems = book.read(choice.name, self._reading)
        self.report.problems.extend(problems)
        if any(p.is_error for p in problems):
            return self.report
        found = find_header(sheet.rows, mapping)
        header = found[0] if found else choice.header
        self.report.header_row = header + 1
        width = max((len(r) for r in sheet.rows[header:]), default=0)
        columns = map_columns(sheet.rows[header], width, mapping)
        self.report.columns = {c.key: c.label for c in columns}
        self.report.unmapped = [c.key for c in columns if c.how in ("unmapped", "duplicate")]
        noted = {"status"} if info else {"status", "objective", "capability", "marking"}
        self.report.kept = [c.key for c in columns if c.field in noted]
        self.report.problems.extend(unused_mapping(mapping, columns, self.file, choice.name))
        return self.convert(sheet, header, columns, info, book)

    def _reading(self, done: int, total: int) -> None:
        if self.progress:
            self.progress(done, 2 * total)

    def convert(
        self,
        sheet: Sheet,
        header: int,
        columns: list[Column],
        info: ExerciseInfo | None,
        book: Book,
    ) -> ImportReport:
        languages = info.languages if info else _languages(columns)
        total = max(len(sheet.rows) - header - 1, 0)
        if self.year is not None:
            year, source = self.year, "as given"
        else:
            year, source = sheet_year(sheet.rows, header, columns)

        def converting(done: int) -> None:
            if self.progress:
                self.progress(total + done, 2 * total)

        ctx = Context(self.file, self.report.sheet, languages, year, book.epoch, info, converting)
        conversion = convert(sheet.rows, header, columns, sheet.merges, ctx)
        if self.progress:
            self.progress(2 * total, 2 * total)
        self.report.problems.extend(conversion.problems)
        self.report.skipped = conversion.skipped
        self.report.imported = conversion.imported
        if conversion.yearless_rows:
            rows = ", ".join(map(str, conversion.yearless_rows[:10]))
            rows += " …" if len(conversion.yearless_rows) > 10 else ""
            self.report.year = f"Dates without a year (rows {rows}) were read in {year}, {source}."
            if source == "the current year":
                self.problem(
                    "year-assumed",
                    f"dates without a year (rows {rows}) were read in {year}, the current year",
                    "give the exercise year",
                    warning=True,
                )
        if not conversion.imported:
            self.problem(
                "no-injects",
                "no row of the sheet could be read as an inject",
                "check that the rows under the header hold a subject or description",
                warning=True,
            )
        self.report.package = self.package(sheet, header, languages, info, conversion)
        return self.report

    def package(
        self,
        sheet: Sheet,
        header: int,
        languages: tuple[str, ...],
        info: ExerciseInfo | None,
        conversion: Conversion,
    ) -> Package | None:
        exercise_id = self.exercise_id
        if exercise_id and not re.fullmatch(ID_PATTERN, exercise_id):
            exercise_id = slugify(exercise_id, "msel")
            self.problem(
                "invalid-id",
                f"'{self.exercise_id}' is not an id; '{exercise_id}' was used",
                "ids use letters, digits, '-', '_' and '.'",
                warning=True,
            )
        exercise_id = exercise_id or (info.id if info else None) or slugify(self.path.stem, "msel")
        title = {languages[0]: self.title} if self.title else (dict(info.title) if info else {})
        title = title or {languages[0]: title_block(sheet.rows[:header]) or self.path.stem}
        try:
            return Package(
                exercise=Exercise(id=exercise_id, title=title, languages=languages),
                parties=tuple(info.parties) if info else (),
                teams=tuple(conversion.teams),
                modules=tuple(conversion.modules),
            )
        except ValidationError as exc:
            self.problem("invalid-package", f"no package can be made: {exc.errors()[0]['msg']}")
            return None


def _languages(columns: list[Column]) -> tuple[str, ...]:
    """The first language (English unless said) and those of the translated columns."""
    return tuple(dict.fromkeys(["en", *(c.lang for c in columns if c.lang)]))
