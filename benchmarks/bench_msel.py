"""MSEL import and export speed on a long spreadsheet.

Writes an agency-style MSEL workbook (a title block, a dozen columns, Excel date-times, a
merged phase cell and a section row every 250 rows) with ``--rows`` injects into a temporary
folder, then times ``import_msel`` on it and ``export_msel`` of the imported package.
Prints one row per operation: rows, median seconds over ``--repeats`` runs, rows per second.

    python benchmarks/bench_msel.py                  # 5,000 rows, 3 repeats
    python benchmarks/bench_msel.py --rows 20000 --repeats 1
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from openpyxl import Workbook

import summary
from sitroom.package.msel import export_msel, import_msel

HEADER = [
    "MSEL #",
    "Phase",
    "EVENT TIME",
    "SEND TO",
    "SEND FROM (Simulated)",
    "INJECT MODE",
    "SUBJECT",
    "DESCRIPTION/SCRIPT",
    "EXPECTED ACTION",
    "CONTROLLER",
    "STATUS",
    "Notes",
    "Evaluator POC",
]
TEAMS = [
    "County EOC",
    "Public Information Officer",
    "Public Works",
    "Health Department",
    "Fire/EMS",
    "All players",
]
METHODS = ["Email", "Phone call", "Radio", "Briefing", "Handout", "Video"]


def write_msel(path: Path, rows: int) -> Path:
    """An MSEL workbook with ``rows`` injects."""
    book = Workbook()
    sheet = book.active
    sheet.title = "MSEL"
    sheet.append(["UNCLASSIFIED // FOR OFFICIAL USE ONLY"])
    sheet.append(["Harbor County Full-Year Exercise Series — Master Scenario Events List"])
    sheet.append([])
    sheet.append(HEADER)
    start = datetime(2027, 9, 14, 8, 0)
    row_number = 4
    for index in range(1, rows + 1):
        if index % 250 == 1:
            sheet.append([f"KEY EVENT: block {index // 250 + 1}"])
            row_number += 1
        sheet.append(
            [
                str(index),
                f"Phase {index // 1000 + 1}" if index % 1000 == 1 else None,
                start + timedelta(minutes=7 * index),
                "; ".join(TEAMS[index % 5 : index % 5 + 2]),
                "National Weather Service",
                METHODS[index % len(METHODS)],
                f"Inject {index}",
                f"Scenario update {index}: the situation develops and players receive new "
                "information that calls for a decision from the group.",
                "- Players discuss the update\n- The EOC decides on next steps",
                "J. Okafor",
                "Pending",
                "Check the handout" if index % 3 == 0 else None,
                "R. Haddad",
            ]
        )
        row_number += 1
        if index % 1000 == 1:
            first = row_number
        if index % 1000 == 0 or index == rows:
            sheet.merge_cells(start_row=first, start_column=2, end_row=row_number, end_column=2)
    book.save(path)
    return path


def timed(action: Callable[[], object], repeats: int) -> float:
    """The median seconds ``action`` takes."""
    seconds = []
    for _ in range(repeats):
        began = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - began)
    return statistics.median(seconds)


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        source = write_msel(Path(folder) / "msel.xlsx", args.rows)
        report = import_msel(source)
        assert report.package is not None and report.imported == args.rows, report.summary()
        package = report.package
        results = [
            ("import_msel", timed(lambda: import_msel(source), args.repeats)),
            (
                "export_msel",
                timed(lambda: export_msel(package, Path(folder) / "out.xlsx"), args.repeats),
            ),
        ]
    print(f"{'operation':<12} {'rows':>7} {'seconds (median)':>17} {'rows/s':>9}")
    for name, seconds in results:
        print(f"{name:<12} {args.rows:>7} {seconds:>17.3f} {args.rows / seconds:>9.0f}")
        summary.record(
            f"MSEL {name.split('_')[0]}, {args.rows:,} rows",
            f"{seconds:.2f} s",
            "",
            "< 2 s",
            seconds < 2,
        )


if __name__ == "__main__":
    main()
