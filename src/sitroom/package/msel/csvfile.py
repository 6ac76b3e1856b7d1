"""CSV text: its encoding (UTF-8 with or without BOM, UTF-16, else Windows-1252) and its
delimiter (, ; tab |), found from the text itself."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from sitroom.package.problems import Problem, Severity

_DELIMITERS = (",", ";", "\t", "|")


def decode_text(raw: bytes, display: str) -> tuple[str | None, list[Problem]]:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252 with a warning."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            return None, [
                Problem(
                    "unreadable-text",
                    "the file starts like UTF-16 text but is not",
                    file=display,
                    hint="save the MSEL as CSV UTF-8",
                )
            ]
    else:
        try:
            text = raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
            return _check_text(
                text,
                display,
                [
                    Problem(
                        "not-utf8",
                        "the file is not UTF-8; it was read as Windows-1252 (Western European)",
                        file=display,
                        severity=Severity.WARNING,
                        hint="check accented letters; in Excel, save as 'CSV UTF-8' to be sure",
                    )
                ],
            )
    return _check_text(text, display, [])


def _check_text(
    text: str, display: str, problems: list[Problem]
) -> tuple[str | None, list[Problem]]:
    if "\x00" in text:
        return None, [
            Problem(
                "not-text",
                "the file holds binary data, not CSV text",
                file=display,
                hint="give an .xlsx workbook or a .csv file",
            )
        ]
    return text, problems


def trim_row(values: tuple[Any, ...] | list[Any]) -> list[Any]:
    """A row without trailing empty cells; blank text counts as empty."""
    row = [None if isinstance(v, str) and not v.strip() else v for v in values]
    while row and row[-1] is None:
        row.pop()
    return row


def parse_csv(
    text: str, display: str, max_rows: int
) -> tuple[list[list[Any]] | None, list[Problem]]:
    """Rows of a CSV text; the delimiter (, ; tab |) is found from the first lines."""
    lines = text.splitlines()
    delimiter = None
    if lines and re.fullmatch(r"sep=(.)", lines[0].strip()):  # Excel's delimiter hint line
        delimiter = lines[0].strip()[4]
        text = text.split("\n", 1)[1] if "\n" in text else ""
    delimiter = delimiter or sniff_delimiter(text)
    rows: list[list[Any]] = []
    try:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            rows.append(trim_row([cell.replace("\r\n", "\n") for cell in record]))
            if len(rows) > max_rows:
                return None, [
                    Problem(
                        "too-large",
                        f"the file has more than {max_rows:,} rows",
                        file=display,
                        hint="an MSEL this long is likely a data export; split it",
                    )
                ]
    except csv.Error as exc:
        return None, [
            Problem(
                "unreadable-csv",
                f"the CSV cannot be read: {exc}",
                file=display,
                row=len(rows) + 1,
                hint="check the quotes around this row",
            )
        ]
    while rows and not rows[-1]:
        rows.pop()
    return rows, []


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most rows of equal width."""
    sample = text[:65536]
    if len(text) > len(sample) and "\n" in sample:
        sample = sample[: sample.rfind("\n")]
    best, best_score = ",", 0
    for delimiter in _DELIMITERS:
        try:
            widths = [len(r) for r in _records(sample, delimiter) if any(c.strip() for c in r)]
        except csv.Error:
            continue
        if not widths:
            continue
        width, count = Counter(widths).most_common(1)[0]
        score = count * (width - 1)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _records(sample: str, delimiter: str) -> Iterator[list[str]]:
    for index, record in enumerate(
        csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    ):
        if index >= 60:
            return
        yield record
