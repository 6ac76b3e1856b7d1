"""``sitroom series …`` on a real SQLite database: output and exit codes."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from sitroom.cli.main import app
from sitroom.conduct import commands as cmd
from sitroom.package.examples import example_path
from sitroom.package.model import Series
from sitroom.services.runs import Engine
from sitroom.storage.factory import open_recorder
from tests.support.playthrough import StepClock, example_package, play

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A database holding run ``allied-2025`` of series ``allied-annual``, its AAR finalised."""
    monkeypatch.setenv("SITROOM_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("COLUMNS", "240")  # Rich fits tables to the width; keep cells whole
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SITROOM_DATABASE_URL", url)
    recorder = open_recorder(url)
    try:
        engine = Engine(recorder)
        base = example_package("allied-consultation")
        exercise = base.exercise.model_copy(
            update={"series": Series(id="allied-annual", edition="2025")}
        )
        package = base.model_copy(update={"exercise": exercise})
        played = play(engine, package, StepClock(), run_id="allied-2025", end=False)
        engine.handle("allied-2025", cmd.EndRun(), played.facilitator)
        engine.handle(
            "allied-2025",
            cmd.SaveFinding(
                "improvement",
                "Notification to the ally was late",
                capability="operational-coordination",
                corrective_actions=(
                    cmd.CorrectiveAction(
                        "Write a notification checklist",
                        "Planning",
                        "Northland MoD",
                        "Kim Arin",
                        "2025-04-01",
                        "2025-06-30",
                    ),
                    cmd.CorrectiveAction(
                        "Drill the hotline fallback",
                        "Training",
                        "Southland JCS",
                        "Lee Doun",
                        "2025-04-01",
                        "2025-12-31",
                    ),
                ),
            ),
            played.evaluator,
        )
        report = engine.report("allied-2025")
        engine.handle(
            "allied-2025",
            cmd.FinaliseReport((), engine.state("allied-2025").seq, report.hash),
            played.evaluator,
        )
    finally:
        recorder.close()
    return url


def ok(*args: str) -> str:
    result = runner.invoke(app, ["series", *args])
    assert result.exit_code == 0, result.output
    return result.output


def fails(code: int, *args: str) -> str:
    result = runner.invoke(app, ["series", *args])
    assert result.exit_code == code, result.output
    return result.output


def test_the_loop_from_the_command_line(database: str, tmp_path: Path) -> None:
    assert "series allied-annual created" in ok("create", "allied-annual", "--title", "Allied")
    assert "exists already" in fails(1, "create", "allied-annual", "--title", "Again")
    listed = ok("list")
    assert "allied-annual" in listed and "Allied" in listed

    imported = ok("import-aar", "allied-annual", "allied-2025")
    assert "2 action(s) opened (CA-2025-001, CA-2025-002)" in imported
    assert "imported already" in fails(1, "import-aar", "allied-annual", "allied-2025")
    assert "no run 'nope'" in fails(2, "import-aar", "allied-annual", "nope")

    shown = ok("show", "allied-annual", "--today", "2025-07-01")
    assert "CA-2025-001" in shown and "Northland MoD" in shown and "2025-06-30" in shown
    assert "overdue on 2025-07-01: CA-2025-001" in shown
    assert "due in the next 30 days: none" in shown

    updated = ok(
        "update",
        "allied-annual",
        "CA-2025-001",
        "--status",
        "in-progress",
        "--due",
        "2025-08-31",
        "--poc",
        "Choi Min",
        "--note",
        "owner changed",
    )
    assert "CA-2025-001: in-progress, due 2025-08-31, Northland MoD (2 change(s)" in updated
    assert "it can move to" in fails(
        1, "update", "allied-annual", "CA-2025-001", "--status", "verified"
    )
    assert "not a date" in fails(1, "update", "allied-annual", "CA-2025-001", "--due", "soon")
    assert "no action 'CA-404'" in fails(2, "update", "allied-annual", "CA-404", "--poc", "x")
    assert "nothing to change" in fails(1, "update", "allied-annual", "CA-2025-001")

    listed = ok("actions", "allied-annual", "--status", "in-progress")
    assert "CA-2025-001" in listed and "CA-2025-002" not in listed
    late = ok("actions", "allied-annual", "--overdue", "--today", "2026-01-01")
    assert "CA-2025-001" in late and "CA-2025-002" in late
    assert "not one of" in fails(1, "actions", "allied-annual", "--status", "finished")

    minutes = tmp_path / "minutes.txt"
    minutes.write_text("Checklist approved.", encoding="utf-8")
    assert "minutes.txt attached to CA-2025-001" in ok(
        "attach", "allied-annual", "CA-2025-001", str(minutes), "--note", "approved"
    )
    assert len(list((tmp_path / "var" / "evidence").iterdir())) == 1
    fails(2, "attach", "allied-annual", "CA-2025-001", str(tmp_path / "missing.pdf"))

    workbook = tmp_path / "actions.xlsx"
    ok("export", "allied-annual", "-o", str(workbook))
    sheet = load_workbook(io.BytesIO(workbook.read_bytes())).active
    assert [c.value for c in sheet["A"]] == ["Action ID", "CA-2025-001", "CA-2025-002"]
    assert "0 change(s) recorded" in ok("import", "allied-annual", str(workbook))
    sheet["L3"] = "finished"
    sheet.parent.save(workbook)
    bad = fails(1, "import", "allied-annual", str(workbook))
    assert "row 3, Status: 'finished' is not one of" in bad and "nothing was applied" in bad
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(b"not a workbook")
    assert "not an .xlsx workbook" in fails(2, "import", "allied-annual", str(garbage))

    folder = tmp_path / "allied-2026"
    shutil.copytree(example_path("allied-consultation"), folder)
    offered = tmp_path / "allied-2026" / "exercise-2026.yaml"
    retest = ok(
        "retest",
        "allied-annual",
        str(folder / "exercise.yaml"),
        "-o",
        str(offered),
        "--edition",
        "2026",
    )
    assert "retest-ca-2025-001: re-tests CA-2025-001" in retest
    assert "2 re-test objective(s) added" in retest
    text = offered.read_text(encoding="utf-8")
    assert "retests:\n  - CA-2025-002" in text and "edition: '2026'" in text

    trends = ok("trends", "allied-annual")
    assert (
        "Capability ratings" in trends and "2025" in trends and "Operational Coordination" in trends
    )
    assert "median days to close, all editions: -" in trends

    assert "no series 'nope'" in fails(2, "show", "nope")
    assert "no series 'nope'" in fails(2, "trends", "nope")
    ok("export", "allied-annual", "-o", str(tmp_path / "again.xlsx"))

    runs = runner.invoke(app, ["run", "list"])
    assert runs.exit_code == 0 and "series:" not in runs.output
    verified = runner.invoke(app, ["verify", "series:allied-annual"])
    assert verified.exit_code == 0 and "chain whole" in verified.output
