"""How long a large programme's corrective actions take to read and exchange: a series with
2,000 actions and a history of edits and status changes, on SQLite.

Baseline, measured in the same run: reading the series' log from the database (the least any
view of the series must do). Printed: folding the series, the dashboard lists (overdue, due
soon), trends, the xlsx export, and importing the export back unchanged and with every row
edited.

    python benchmarks/bench_series.py [--actions 2000]
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

from openpyxl import load_workbook

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import summary

from sitroom.conduct.principal import Principal, Role
from sitroom.improvement import commands as ic
from sitroom.improvement.trends import due_soon, overdue, trends
from sitroom.improvement.xlsx import COLUMNS, SHEET
from sitroom.services.series import SeriesService, stream_id
from sitroom.storage.factory import open_recorder

T = TypeVar("T")
ADMIN = Principal("account:admin", Role.ADMIN, "Programme manager")
ELEMENTS = ("Planning", "Organization", "Equipment", "Training", "Exercise")


def timed(work: Callable[[], T], repeat: int = 3) -> tuple[T, float]:
    """The result and the best wall time of ``repeat`` runs."""
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    assert result is not None
    return result, best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=2_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        recorder = open_recorder(f"sqlite:///{folder}/series.db")
        service = SeriesService(recorder, evidence_dir=Path(folder) / "evidence")
        service.create_series("programme", "Annual programme", ADMIN)
        start = date(2026, 1, 1)
        batch = 200
        for first in range(0, args.actions, batch):
            service.handle_many(
                "programme",
                [
                    ic.AddAction(
                        f"Issue {n}: notification to the partner agency was late",
                        f"Corrective action {n}: write and drill a notification checklist",
                        element=ELEMENTS[n % len(ELEMENTS)],
                        organisation=f"Agency {n % 40}",
                        poc=f"Officer {n % 90}",
                        start=start.isoformat(),
                        due=(start + timedelta(days=30 + n % 400)).isoformat(),
                        edition=str(2025 + n % 3),
                    )
                    for n in range(first, min(first + batch, args.actions))
                ],
                ADMIN,
            )
        state = service.state("programme", ADMIN)
        ids = list(state.actions)
        moves = [ic.ChangeStatus(a, "in-progress", "started") for a in ids[::2]]
        moves += [ic.ChangeStatus(a, "done", "finished") for a in ids[::4]]
        for first in range(0, len(moves), batch):
            service.handle_many("programme", moves[first : first + batch], ADMIN)
        events = recorder.last_seq(stream_id("programme"))
        print(f"{len(ids):,} actions, {events:,} events in the series log\n")

        _, floor = timed(lambda: recorder.read(stream_id("programme")))
        state, fold = timed(lambda: service.state("programme", ADMIN))
        today = date(2026, 9, 1)
        _, lists = timed(lambda: (overdue(state, today), due_soon(state, today)))
        _, trend = timed(lambda: trends(state))
        data, export = timed(lambda: service.export_xlsx("programme", ADMIN))

        def edit_every_row() -> bytes:
            book = load_workbook(io.BytesIO(data))
            sheet = book[SHEET]
            column = COLUMNS.index("Organization POC") + 1
            for row in range(2, sheet.max_row + 1):
                sheet.cell(row=row, column=column, value=f"New officer {row}")
            out = io.BytesIO()
            book.save(out)
            return out.getvalue()

        edited = edit_every_row()
        unchanged, same = timed(lambda: service.import_xlsx("programme", data, ADMIN), 1)
        assert unchanged.events == 0 and not unchanged.problems
        applied, changed = timed(lambda: service.import_xlsx("programme", edited, ADMIN), 1)
        assert applied.events == len(ids) and not applied.problems

        rows = [
            ("read the series log (baseline)", floor),
            ("read + fold the series", fold),
            ("overdue and due-soon lists", lists),
            ("trends", trend),
            ("export the actions as .xlsx (read + fold + write)", export),
            ("import the export unchanged (0 events)", same),
            (f"import with every row edited ({applied.events:,} events)", changed),
        ]
        print(f"| {'stage':<52} | {'seconds':>8} | {'× baseline':>10} |")
        print(f"|{'-' * 54}|{'-' * 10}|{'-' * 12}|")
        for name, seconds in rows:
            print(f"| {name:<52} | {seconds:8.3f} | {seconds / floor:10.1f} |")
        print(f"\nworkbook: {len(data) / 1024:,.0f} KiB")
        summary.record(
            f"series of {len(ids):,} actions: export .xlsx",
            f"{export:.2f} s",
            f"read the log {floor:.3f} s",
        )
        summary.record(
            f"series of {len(ids):,} actions: import, every row edited",
            f"{changed:.2f} s",
            f"read the log {floor:.3f} s",
        )
        recorder.close()


if __name__ == "__main__":
    main()
