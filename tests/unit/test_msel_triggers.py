"""Triggers, conditions and milestones survive the MSEL workbook and its CSV; a condition a
spreadsheet writes in words is kept in the notes with a warning, never dropped."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from sitroom.package.msel import export_msel, import_msel
from tests.support.packages import branching


def test_triggers_and_milestones_round_trip_through_the_workbook(tmp_path: Path) -> None:
    package = branching()
    report = import_msel(export_msel(package, tmp_path / "msel.xlsx"))
    assert report.package is not None and not report.errors, report.problems
    again = report.package
    for inject in package.injects():
        back = again.inject(inject.number)
        assert back is not None
        assert back.trigger == inject.trigger, inject.number
    assert again.milestones == package.milestones
    assert again.triggers() == package.triggers()


def _sheet(tmp_path: Path, rows: list[list[str]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["MSEL #", "Subject", "Description", "Release If", "Trigger"])
    for row in rows:
        sheet.append(row)
    path = tmp_path / "agency.xlsx"
    workbook.save(path)
    return path


def test_an_agency_condition_column_is_read(tmp_path: Path) -> None:
    path = _sheet(
        tmp_path,
        [
            ["1", "Call", "The ministry calls."],
            ["2", "Nudge", "A reminder.", "not-answered(1, within=30m)", "Fires"],
        ],
    )
    report = import_msel(path)
    assert report.package is not None
    trigger = report.package.inject("2").trigger  # type: ignore[union-attr]
    assert trigger is not None and str(trigger.when) == "not-answered(1, within=30m)"
    assert trigger.mode == "fires"


def test_a_condition_in_words_goes_to_the_notes_with_a_warning(tmp_path: Path) -> None:
    path = _sheet(
        tmp_path,
        [
            ["1", "Call", "The ministry calls."],
            ["2", "Nudge", "A reminder.", "if no reply by +1h", "sometimes"],
        ],
    )
    report = import_msel(path)
    assert report.package is not None
    inject = report.package.inject("2")
    assert inject is not None and inject.trigger is None
    notes = (inject.notes or {}).get("en", "")
    assert "Release If: if no reply by +1h" in notes and "Trigger: sometimes" in notes
    codes = {(p.code, p.row, p.field) for p in report.problems}
    assert ("condition-not-read", 3, "Release If") in codes
    assert ("trigger-not-read", 3, "Trigger") in codes
