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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from sitroom.package.model import ID_PATTERN, Exercise, Module, Package
from sitroom.package.msel.grid import Book, Sheet, open_book
from sitroom.package.msel.headers import FIELDS, Column, Mapping, find_header, map_columns
from sitroom.package.msel.mapping import read_mapping, unused_mapping
from sitroom.package.msel.rows import Context, Conversion, convert
from sitroom.package.msel.sheets import choose_sheets, exercise_info, sheet_year, title_block
from sitroom.package.msel.teams import Recipients, slugify
from sitroom.package.msel.workbook import ExerciseInfo, write_msel
from sitroom.package.problems import Problem, Severity

__all__ = ["FIELDS", "ImportReport", "export_msel", "import_msel"]

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SheetRead:
    """One sheet read: its name, its header row (1-based) and the injects it gave."""

    name: str
    header_row: int
    imported: int


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
    """Other things worth knowing about the reading: the sheets read and passed over, ..."""
    sheets: list[SheetRead] = field(default_factory=list)
    """Every sheet read, in the order read (one for a CSV file, named '')."""
    passed: list[tuple[str, str]] = field(default_factory=list)
    """The sheets not read, each with the reason."""
    choice: str = ""
    """Why these sheets were read, when the workbook offered a choice."""

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
        if len(self.sheets) > 1:
            lines.append(f"Read {len(self.sheets)} sheets:")
            lines.extend(
                f"  '{s.name}': header on row {s.header_row}; {_count(s.imported, 'inject')}"
                for s in self.sheets
            )
        elif self.header_row is not None:
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
    """Consecutive rows left out for the same reason, as 'rows 20-25' (in the order given:
    row by row, sheet by sheet)."""
    merged: list[tuple[int, int, str]] = []
    for row, reason in skipped:
        if merged and merged[-1][2] == reason and merged[-1][1] == row - 1:
            merged[-1] = (merged[-1][0], row, reason)
        else:
            merged.append((row, row, reason))
    return [(f"row {a}" if a == b else f"rows {a}-{b}", reason) for a, b, reason in merged]


def import_msel(
    path: Path,
    *,
    sheet: str | Sequence[str] | None = None,
    mapping: Path | dict[str, str] | None = None,
    exercise_id: str | None = None,
    title: str | None = None,
    progress: Progress | None = None,
    year: int | None = None,
) -> ImportReport:
    """Read a spreadsheet MSEL (.xlsx or .csv) into a package; never raises.

    ``sheet`` names the sheet, or several sheets to read in that order, each as modules (else
    the MSEL sheets are found: see ``sheets.choose_sheets``); ``mapping`` maps
    header texts to fields, over the built-in synonyms; ``year`` is the year for dates
    written without one, like '4-Mar' (else the year of the sheet's first full date, else
    of its title block, else the current year, with a warning).
    ``progress(done, total)`` is called every 200 rows, first while the sheet is read and
    then while its rows are converted; ``total`` counts both passes.
    """
    path = Path(path)
    wanted = [sheet] if isinstance(sheet, str) else list(sheet or ())
    try:
        return _Import(path, wanted, exercise_id, title, progress, year).run(mapping)
    except Exception as exc:  # the last guard: a report, never a traceback
        problem = Problem(
            "unexpected-error",
            f"the MSEL could not be read: {type(exc).__name__}: {exc}",
            file=str(path),
            hint="please report this, with the file if you can share it",
        )
        return ImportReport(None, wanted[0] if wanted else None, None, problems=[problem])


def export_msel(package: Package, path: Path) -> Path:
    """Write the package's MSEL as an HSEEP-style .xlsx workbook; return the path written.

    One "MSEL" sheet (a row per inject, a column per other language for the texts) and an
    "Exercise" sheet (exercise, parties, teams, modules) so that importing it restores them.
    """
    return write_msel(package, Path(path))


@dataclass
class _Parsed:
    """A sheet read, with its header row (0-based) and what each column holds."""

    sheet: Sheet
    header: int
    columns: list[Column]


class _Import:
    """One import: the steps from a file to a report."""

    def __init__(
        self,
        path: Path,
        wanted: list[str],
        exercise_id: str | None,
        title: str | None,
        progress: Progress | None,
        year: int | None,
    ) -> None:
        self.path, self.wanted, self.exercise_id = path, wanted, exercise_id
        self.title, self.progress, self.year = title, progress, year
        self.file = str(path)
        self.report = ImportReport(None, None, None)
        self.done, self.total = 0, 0
        self.year_source = ""

    def problem(
        self,
        code: str,
        message: str,
        hint: str = "",
        *,
        warning: bool = False,
        sheet: str | None = None,
    ) -> None:
        severity = Severity.WARNING if warning else Severity.ERROR
        self.report.problems.append(
            Problem(
                code,
                message,
                file=self.file,
                hint=hint,
                sheet=sheet or self.report.sheet,
                severity=severity,
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
        choice = choose_sheets(book, [] if book.kind == "csv" else self.wanted, mapping, info)
        self.report.sheet = choice.name or None
        self.report.passed, self.report.choice = choice.passed, choice.why
        self.note_choice(len(choice.sheets))
        if choice.error or not choice.sheets:
            self.problem(*(choice.error or ("no-header", "no sheet to read", "")))
            return self.report
        estimates = [max(book.sizes.get(name, 0), 1) for name, _ in choice.sheets]
        parsed: list[_Parsed] = []
        for index, (name, guess) in enumerate(choice.sheets):
            # Still to come after this sheet: the others to read, then every row to convert.
            rest = sum(estimates[index + 1 :]) + sum(estimates)
            sheet, problems = book.read(name, self.reading(rest))
            self.report.problems.extend(problems)
            if any(p.is_error for p in problems):
                return self.report
            found = find_header(sheet.rows, mapping)
            header = found[0] if found else guess
            width = max((len(r) for r in sheet.rows[header:]), default=0)
            parsed.append(_Parsed(sheet, header, map_columns(sheet.rows[header], width, mapping)))
            self.done += max(len(sheet.rows) - header - 1, 0)
        self.describe_columns(parsed, info)
        every = [c for item in parsed for c in item.columns]
        self.report.problems.extend(unused_mapping(mapping, every, self.file, choice.name))
        return self.convert(parsed, info, book)

    def note_choice(self, read: int) -> None:
        """Say which sheets were read and why, and which were passed over and why."""
        if self.report.choice and read == 1:
            self.report.notes.append(f"Sheet '{self.report.sheet}': {self.report.choice}.")
        elif self.report.choice:
            self.report.notes.append(f"{self.report.choice[0].upper()}{self.report.choice[1:]}.")
        if self.report.passed:
            self.report.notes.append("Sheets passed over:")
            self.report.notes.extend(f"  '{name}': {why}" for name, why in self.report.passed)

    def describe_columns(self, parsed: list[_Parsed], info: ExerciseInfo | None) -> None:
        noted = (
            {"status", "storyline"}
            if info
            else {"status", "storyline", "objective", "capability", "marking"}
        )
        self.report.header_row = parsed[0].header + 1
        for item in parsed:
            for column in item.columns:
                if column.key in self.report.columns:
                    continue
                self.report.columns[column.key] = column.label
                if column.how in ("unmapped", "duplicate"):
                    self.report.unmapped.append(column.key)
                elif column.field in noted:
                    self.report.kept.append(column.key)

    def reading(self, rest: int) -> Callable[[int, int], None]:
        """Progress while a sheet is read, as progress over the whole import: the sheets read
        before count their rows, ``rest`` estimates the rows still to come after this one."""
        base = self.done

        def report(done: int, total: int) -> None:
            if self.progress:
                self.progress(base + done, base + max(total, done) + rest)

        return report

    def convert(self, parsed: list[_Parsed], info: ExerciseInfo | None, book: Book) -> ImportReport:
        every = [c for item in parsed for c in item.columns]
        languages = info.languages if info else _languages(every)
        recipients = Recipients(info.teams if info else [], languages[0])
        taken: set[str] = set()
        several = len(parsed) > 1
        conversions: list[tuple[str, Conversion]] = []
        # Every row is counted twice: once read, once converted.
        self.total = 2 * self.done
        for item in parsed:
            name = item.sheet.name
            base = self.done

            def converting(done: int, base: int = base) -> None:
                if self.progress:
                    self.progress(base + done, self.total)

            ctx = Context(
                self.file,
                name or None,
                languages,
                self.sheet_year(item),
                book.epoch,
                info,
                converting,
                module_label=name if several else "MSEL",
                recipients=recipients,
                taken=taken,
            )
            conversion = convert(item.sheet.rows, item.header, item.columns, item.sheet.merges, ctx)
            self.done += max(len(item.sheet.rows) - item.header - 1, 0)
            self.report.problems.extend(conversion.problems)
            skipped = sorted(conversion.skipped)
            if several:
                skipped = [(row, f"{why} (sheet '{name}')") for row, why in skipped]
            self.report.skipped.extend(skipped)
            self.report.imported += conversion.imported
            self.report.sheets.append(SheetRead(name, item.header + 1, conversion.imported))
            self.note_year(name if several else None, conversion, ctx.year)
            conversions.append((name, conversion))
        if self.progress:
            self.progress(self.total, self.total)
        if several:
            self.prefix_numbers(conversions)
        if not self.report.imported:
            self.problem(
                "no-injects",
                "no row of the sheet could be read as an inject",
                "check that the rows under the header hold a subject or description",
                warning=True,
            )
        first = parsed[0]
        modules = [m for _, c in conversions for m in c.modules]
        self.report.package = self.package(
            title_block(first.sheet.rows[: first.header]), languages, info, modules, recipients
        )
        return self.report

    def sheet_year(self, item: _Parsed) -> int:
        if self.year is not None:
            self.year_source = "as given"
            return self.year
        year, self.year_source = sheet_year(item.sheet.rows, item.header, item.columns)
        return year

    def note_year(self, sheet: str | None, conversion: Conversion, year: int) -> None:
        if not conversion.yearless_rows:
            return
        rows = ", ".join(map(str, conversion.yearless_rows[:10]))
        rows += " …" if len(conversion.yearless_rows) > 10 else ""
        where = f" of sheet '{sheet}'" if sheet else ""
        line = f"Dates without a year (rows {rows}{where}) were read in {year}, {self.year_source}."
        self.report.year = f"{self.report.year} {line}".strip()
        if self.year_source == "the current year":
            self.problem(
                "year-assumed",
                f"dates without a year (rows {rows}) were read in {year}, the current year",
                "give the exercise year",
                warning=True,
                sheet=sheet,
            )

    def prefix_numbers(self, conversions: list[tuple[str, Conversion]]) -> None:
        """When sheets number their injects alike (each day from 1), prefix each sheet's
        numbers with its place: '2.1' is inject 1 of the second sheet read."""
        owner: dict[str, str] = {}
        clash: tuple[str, str, str] | None = None
        for name, conversion in conversions:
            for inject in (i for m in conversion.modules for i in m.injects):
                first = owner.setdefault(inject.number, name)
                if first != name and clash is None:
                    clash = (inject.number, first, name)
        if clash is None:
            return
        for place, (_, conversion) in enumerate(conversions, start=1):
            conversion.modules = [_prefixed(module, f"{place}.") for module in conversion.modules]
        number, first, second = clash
        self.problem(
            "numbers-prefixed",
            f"inject numbers repeat across sheets ('{number}' is on sheets '{first}' and "
            f"'{second}'); each sheet's numbers were prefixed with its place: "
            f"'2.{number}' is inject {number} of the second sheet",
            "give every inject of the workbook its own number to keep the numbers as written",
            warning=True,
            sheet=second,
        )

    def package(
        self,
        title_text: str,
        languages: tuple[str, ...],
        info: ExerciseInfo | None,
        modules: list[Module],
        recipients: Recipients,
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
        title = title or {languages[0]: title_text or self.path.stem}
        try:
            return Package(
                exercise=Exercise(id=exercise_id, title=title, languages=languages),
                parties=tuple(info.parties) if info else (),
                teams=tuple(recipients.teams()),
                modules=tuple(modules),
                milestones=tuple(info.milestones) if info else (),
                organisations=tuple(info.organisations) if info else (),
            )
        except ValidationError as exc:
            self.problem("invalid-package", f"no package can be made: {exc.errors()[0]['msg']}")
            return None


def _prefixed(module: Module, prefix: str) -> Module:
    injects = tuple(
        inject.model_copy(
            update={
                "number": prefix + inject.number,
                "contingency_for": prefix + inject.contingency_for
                if inject.contingency_for
                else None,
            }
        )
        for inject in module.injects
    )
    return module.model_copy(update={"injects": injects})


def _languages(columns: list[Column]) -> tuple[str, ...]:
    """The first language (English unless said) and those of the translated columns."""
    return tuple(dict.fromkeys(["en", *(c.lang for c in columns if c.lang)]))
