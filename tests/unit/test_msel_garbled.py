"""Whatever the spreadsheet holds, importing it gives a report and never raises."""

from __future__ import annotations

import tempfile
from datetime import datetime, time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from sitroom.package.msel.importer import ImportReport, import_msel

_WORDS = st.sampled_from(
    [
        "MSEL #",
        "Time",
        "DTG",
        "Send To",
        "From",
        "Method",
        "Subject",
        "Description",
        "Phase",
        "Day",
        "Notes",
        "STARTEX",
        "ENDEX",
        "KEY EVENT",
        "Day 2",
        "Module 3",
        "Phase II",
        "All players",
        "0700",
        "600",
        "9:10 AM",
        "210900AUG2027",
        "041300ZMAR27",
        "4- Mar",
        "D+1",
        "H+2",
        "Email",
        "contingency",
        "",
        " ",
        "=SUM(A1)",
        "#N/A",
        "1.1",
        "A-3",
        "County EOC; PIO",
        "Description (ko)",
    ]
)
_TEXT = st.text(max_size=40).map(lambda t: ILLEGAL_CHARACTERS_RE.sub("", t))
_CELL = st.one_of(
    st.none(),
    _WORDS,
    _TEXT,
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
    st.booleans(),
    st.datetimes(datetime(1900, 3, 1), datetime(2100, 1, 1)),
    st.times().map(lambda t: t.replace(microsecond=0)),
)
_ROWS = st.lists(st.lists(_CELL, max_size=12), max_size=35)
_SHEET_NAME = (
    st.text("abcdefghijklmnopqrstuvwxyz MSELDeletdInjcs0123456789", min_size=1, max_size=20)
    .map(str.strip)
    .filter(bool)
)
_MERGE = st.tuples(st.integers(1, 35), st.integers(1, 12), st.integers(0, 4), st.integers(0, 4))


def _check(report: ImportReport) -> None:
    assert isinstance(report, ImportReport)
    assert [p for p in report.problems if p.code == "unexpected-error"] == []
    report.summary()
    if report.package is None:
        assert report.problems


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sheets=st.dictionaries(_SHEET_NAME, _ROWS, min_size=1, max_size=3),
    merges=st.lists(_MERGE, max_size=4),
    wanted=st.none() | _SHEET_NAME,
)
def test_garbled_workbooks(
    sheets: dict[str, list[list[Any]]], merges: list[tuple[int, int, int, int]], wanted: str | None
) -> None:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    first = book.worksheets[0]
    done: set[tuple[int, int]] = set()
    for row, column, down, across in merges:
        cells = {
            (r, c) for r in range(row, row + down + 1) for c in range(column, column + across + 1)
        }
        if (down or across) and not cells & done:
            first.merge_cells(
                start_row=row, start_column=column, end_row=row + down, end_column=column + across
            )
            done |= cells
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "garbled.xlsx"
        book.save(path)
        _check(import_msel(path, sheet=wanted))


@settings(max_examples=60, deadline=None)
@given(
    rows=_ROWS,
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
)
def test_garbled_csv(rows: list[list[Any]], delimiter: str, encoding: str) -> None:
    text = "\n".join(delimiter.join("" if v is None else str(v) for v in row) for row in rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "garbled.csv"
        path.write_bytes(text.encode(encoding, errors="replace"))
        _check(import_msel(path))


@settings(max_examples=80, deadline=None)
@given(
    data=st.binary(max_size=2000),
    suffix=st.sampled_from([".xlsx", ".csv", ".xls", ".txt", ""]),
    prefix=st.sampled_from(
        [b"", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\xef\xbb\xbf"]
    ),
)
def test_random_bytes(data: bytes, suffix: str, prefix: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"random{suffix}"
        path.write_bytes(prefix + data)
        _check(import_msel(path))


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["MSEL #", "Time", "Subject", "Description", "To"]),
            st.lists(_CELL, min_size=1, max_size=6),
        ),
        min_size=2,
        max_size=5,
        unique_by=lambda column: column[0],
    )
)
def test_recognised_headers_over_random_columns(columns: list[tuple[str, list[Any]]]) -> None:
    book = Workbook()
    sheet = book.active
    for index, (header, values) in enumerate(columns, start=1):
        sheet.cell(row=1, column=index, value=header)
        for offset, value in enumerate(values, start=2):
            sheet.cell(row=offset, column=index, value=value)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "columns.xlsx"
        book.save(path)
        report = import_msel(path)
        _check(report)
        assert report.header_row == 1
        total = max(len(v) for _, v in columns)
        assert report.imported + len(report.skipped) >= 0
        assert report.imported <= total


def test_time_cells_of_every_kind() -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["#", "Time", "Subject"])
    for index, value in enumerate([time(0, 0), 0.0, 0.999999, 2359, 2400, -5, 10**9, True], 1):
        sheet.append([str(index), value, f"Inject {index}"])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "times.xlsx"
        book.save(path)
        report = import_msel(path)
    _check(report)
    assert report.imported == 8
    assert sorted(p.row for p in report.problems if p.code == "bad-time") == [6, 7, 8, 9]
