"""Spreadsheet files as grids of cell values: .xlsx workbooks and .csv text.

Whatever arrives — a workbook, a CSV in any common encoding and delimiter, an old .xls, a
password-protected file, random bytes — the result is either a :class:`Book` to read sheets
from, or problems that say what the file is and what to do. Nothing here raises.

Workbooks are opened read-only (fast, and memory stays flat on large sheets); read-only mode
does not report merged cells, so those are read from the sheet's XML directly.
"""

from __future__ import annotations

import re
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from sitroom.package.msel.csvfile import decode_text, parse_csv, trim_row
from sitroom.package.problems import Problem, Severity

MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
MAX_ROWS = 100_000
MAX_COLUMNS = 500
HEAD_ROWS = 30

XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xltx", ".xltm"})
TEXT_SUFFIXES = frozenset({".csv", ".txt", ".tsv", ".tab"})
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARK = "EncryptionInfo".encode("utf-16-le")
_MERGE = re.compile(
    rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Za-z]{1,3}\d{1,7}(?::[A-Za-z]{1,3}\d{1,7})?)\""
)
EXCEL_EPOCH = datetime(1899, 12, 30)

Progress = Callable[[int, int], None]


@dataclass
class Sheet:
    """The cells of one sheet: rows of values (0-based here, 1-based when reported)."""

    name: str
    rows: list[list[Any]]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    """Merged ranges as 0-based (first row, first column, last row, last column)."""


@dataclass
class Book:
    """An opened spreadsheet: its sheet names and a way to read each one."""

    kind: str
    path: Path
    names: list[str]
    hidden: set[str] = field(default_factory=set)
    damaged: dict[str, str] = field(default_factory=dict)
    """Sheets whose part could not be read, with the reason."""
    epoch: datetime = EXCEL_EPOCH
    sizes: dict[str, int] = field(default_factory=dict)
    """Rows per sheet as the workbook declares them (0 when it does not say)."""
    _workbook: Any = None
    _handle: BinaryIO | None = None
    _csv_rows: list[list[Any]] | None = None

    def head(self, name: str, count: int = HEAD_ROWS) -> list[list[Any]]:
        """The first ``count`` rows of a sheet, to look for its header (none if unreadable)."""
        if self._csv_rows is not None:
            return self._csv_rows[:count]
        worksheet = self._workbook[name]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                worksheet.reset_dimensions()
                return [
                    trim_row(row) for row in worksheet.iter_rows(max_row=count, values_only=True)
                ]
        except Exception as exc:  # openpyxl parses a sheet's part only when it is read
            self.damaged[name] = str(exc) or type(exc).__name__
            return []

    def read(self, name: str, progress: Progress | None = None) -> tuple[Sheet, list[Problem]]:
        """Every row of a sheet, with its merged ranges; too many rows is an error."""
        if self._csv_rows is not None:
            return Sheet(name, self._csv_rows), []
        try:
            rows, wide = self._rows(name, progress)
        except _TooManyRows:
            return Sheet(name, []), [_too_many_rows(self.path, name)]
        except Exception as exc:  # openpyxl parses sheet parts only now, and may fail on them
            return Sheet(name, []), [
                Problem(
                    "corrupt-workbook",
                    f"the sheet cannot be read: {exc}",
                    file=str(self.path),
                    sheet=name,
                    hint="open it in Excel and save it again as an Excel workbook (.xlsx)",
                )
            ]
        problems: list[Problem] = []
        if wide:
            problems.append(
                Problem(
                    "too-wide",
                    f"values beyond column {MAX_COLUMNS} were left out",
                    file=str(self.path),
                    sheet=name,
                    severity=Severity.WARNING,
                    hint="an MSEL needs a few dozen columns at most; delete the stray cells",
                )
            )
        return Sheet(name, rows, self._merges(self._workbook[name])), problems

    def _rows(self, name: str, progress: Progress | None) -> tuple[list[list[Any]], bool]:
        worksheet = self._workbook[name]
        rows: list[list[Any]] = []
        wide = False
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            estimate = worksheet.max_row or 0
            worksheet.reset_dimensions()
            for values in worksheet.iter_rows(values_only=True):
                row = trim_row(values)
                if len(row) > MAX_COLUMNS:
                    row, wide = row[:MAX_COLUMNS], True
                rows.append(row)
                if len(rows) > MAX_ROWS:
                    raise _TooManyRows
                if progress and len(rows) % 200 == 0:
                    progress(len(rows), max(estimate, len(rows)))
        while rows and not rows[-1]:
            rows.pop()
        return rows, wide

    def _merges(self, worksheet: Any) -> list[tuple[int, int, int, int]]:
        # Read-only worksheets keep the path of their XML part; without it, no merges.
        member = getattr(worksheet, "_worksheet_path", None)
        if not member:
            return []
        from openpyxl.utils.cell import range_boundaries

        try:
            with zipfile.ZipFile(self.path) as archive:
                data = archive.read(member.lstrip("/"))
        except (KeyError, OSError, zipfile.BadZipFile):
            return []
        merges = []
        for match in _MERGE.finditer(data):
            ref = match[1].decode("ascii")
            min_col, min_row, max_col, max_row = range_boundaries(
                ref if ":" in ref else f"{ref}:{ref}"
            )
            merges.append((min_row - 1, min_col - 1, max_row - 1, max_col - 1))
        return merges

    def close(self) -> None:
        """Release the workbook file."""
        if self._workbook is not None:
            self._workbook.close()
            self._workbook = None
        if self._handle is not None:
            self._handle.close()
            self._handle = None


class _TooManyRows(Exception):
    pass


def _too_many_rows(path: Path, sheet: str | None) -> Problem:
    return Problem(
        "too-large",
        f"the sheet has more than {MAX_ROWS:,} rows",
        file=str(path),
        sheet=sheet,
        hint="an MSEL this long is likely a data export; split it or delete the empty rows",
    )


def open_book(path: Path) -> tuple[Book | None, list[Problem]]:
    """Open an .xlsx workbook or a .csv file, or say why it cannot be read."""
    display = str(path)

    def fail(code: str, message: str, hint: str = "") -> tuple[None, list[Problem]]:
        return None, [Problem(code, message, file=display, hint=hint)]

    try:
        if not path.is_file():
            return fail("not-found", f"no such file: {path}", "give an .xlsx or .csv MSEL file")
        size = path.stat().st_size
        with path.open("rb") as handle:
            start = handle.read(4096)
    except OSError as exc:
        return fail("unreadable", f"cannot read {path}: {exc.strerror or exc}")
    if size == 0:
        return fail("empty", "the file is empty", "export the MSEL again from the spreadsheet")
    if size > MAX_FILE_BYTES:
        return fail(
            "too-large",
            f"the file is {size / 1e6:.0f} MB; at most {MAX_FILE_BYTES // 1_000_000} MB is read",
            "delete images and unused sheets",
        )
    suffix = path.suffix.lower()
    if start.startswith(_OLE_MAGIC):
        return None, [_ole_problem(path, display)]
    kind = "xlsx" if start.startswith(_ZIP_MAGIC) else "csv"
    if suffix not in XLSX_SUFFIXES | TEXT_SUFFIXES | {".xls"}:
        return fail(
            "unsupported-file",
            f"'{suffix or path.name}' files are not read",
            "save the MSEL as an Excel workbook (.xlsx) or as CSV (.csv)",
        )
    problems: list[Problem] = []
    if (
        kind == "csv"
        and suffix == ".xls"
        and start.lstrip()[:6].lower() in (b"<html>", b"<!doct", b"<table")
    ):
        return fail(
            "unsupported-file",
            "the file is a web page (HTML) named .xls",
            "open it in Excel and save it as an Excel workbook (.xlsx)",
        )
    expected = "xlsx" if suffix in XLSX_SUFFIXES | {".xls"} else "csv"
    if kind != expected:
        what = "an Excel workbook" if kind == "xlsx" else "text (CSV)"
        problems.append(
            Problem(
                "wrong-extension",
                f"the file is named {suffix} but holds {what}; read it as such",
                file=display,
                severity=Severity.WARNING,
                hint=f"rename it to .{'xlsx' if kind == 'xlsx' else 'csv'}",
            )
        )
    book, more = _open_xlsx(path) if kind == "xlsx" else _open_csv(path)
    return book, problems + more


def _ole_problem(path: Path, display: str) -> Problem:
    try:
        encrypted = _ENCRYPTED_MARK in path.read_bytes()
    except OSError:
        encrypted = False
    if encrypted:
        return Problem(
            "password-protected",
            "the workbook is protected with a password",
            file=display,
            hint="open it in Excel, remove the password "
            "(File › Info › Protect Workbook) and save a copy as .xlsx",
        )
    return Problem(
        "old-excel-format",
        "the file is an old Excel 97-2003 workbook (.xls)",
        file=display,
        hint="open it in Excel or LibreOffice and save it as an Excel workbook (.xlsx)",
    )


def _open_xlsx(path: Path) -> tuple[Book | None, list[Problem]]:
    display = str(path)
    hint = "open it in Excel and save it again as an Excel workbook (.xlsx)"
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            unpacked = sum(info.file_size for info in infos)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        return None, [
            Problem("corrupt-workbook", f"the workbook is damaged: {exc}", file=display, hint=hint)
        ]
    if "mimetype" in names and not any(n.startswith("xl/") for n in names):
        return None, [
            Problem(
                "unsupported-file",
                "the file is not an Excel workbook (an OpenDocument or other zip file?)",
                file=display,
                hint="save the MSEL as an Excel workbook (.xlsx)",
            )
        ]
    if not any(n.startswith("xl/") for n in names):
        return None, [
            Problem(
                "corrupt-workbook",
                "the file is a zip archive but not an Excel workbook (a Word document?)",
                file=display,
                hint=hint,
            )
        ]
    if unpacked > MAX_UNPACKED_BYTES:
        return None, [
            Problem(
                "too-large",
                f"the workbook unpacks to {unpacked / 1e9:.1f} GB",
                file=display,
                hint="delete images and unused sheets",
            )
        ]
    from openpyxl import load_workbook

    # openpyxl refuses a path whose suffix is not .xlsx; an open file is read whatever its name.
    try:
        handle = path.open("rb")
    except OSError as exc:
        return None, [Problem("unreadable", f"cannot read {path}: {exc}", file=display)]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = load_workbook(handle, read_only=True, data_only=True)
            worksheets = {ws.title: ws for ws in workbook.worksheets}
            # Chart sheets have no cells; only worksheets are offered.
            sheetnames = [n for n in workbook.sheetnames if n in worksheets]
            hidden = {n for n, ws in worksheets.items() if ws.sheet_state != "visible"}
            sizes = {n: _declared_rows(ws) for n, ws in worksheets.items()}
    except Exception as exc:  # openpyxl raises many kinds on malformed parts
        handle.close()
        return None, [
            Problem(
                "corrupt-workbook", f"the workbook cannot be read: {exc}", file=display, hint=hint
            )
        ]
    epoch = getattr(workbook, "epoch", EXCEL_EPOCH)
    book = Book(
        "xlsx",
        path,
        sheetnames,
        hidden,
        epoch=epoch,
        sizes=sizes,
        _workbook=workbook,
        _handle=handle,
    )
    return book, []


def _declared_rows(worksheet: Any) -> int:
    """The rows a sheet's dimension says it has (a damaged or missing one says nothing)."""
    try:
        return int(worksheet.max_row or 0)
    except Exception:  # openpyxl reads the dimension lazily, from a part that may be damaged
        return 0


def _open_csv(path: Path) -> tuple[Book | None, list[Problem]]:
    display = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Problem("unreadable", f"cannot read {path}: {exc}", file=display)]
    text, problems = decode_text(raw, display)
    if text is None:
        return None, problems
    rows, more = parse_csv(text, display, MAX_ROWS)
    if rows is None:
        return None, problems + more
    return Book("csv", path, [""], sizes={"": len(rows)}, _csv_rows=rows), problems + more
