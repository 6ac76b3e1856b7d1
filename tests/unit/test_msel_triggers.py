"""Triggers, conditions, choices and milestones survive the MSEL workbook and its CSV; a condition a
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
        assert back.choice == inject.choice, inject.number
    assert any(i.choice and i.choice.joint for i in again.injects())
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


def test_an_agency_choice_column_is_read_in_two_languages(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["MSEL #", "Subject", "Description", "Choice", "Choice (ko)"])
    sheet.append(["1", "Call", "The ministry calls."])
    sheet.append([
        "2", "Statement", "How will you speak?",
        "Choice (joint): One voice?\n- joint: One joint statement\n- own: Each its own",
        "Choice (joint): 한목소리?\n- joint: 공동 성명\n- own: 각자 성명",
    ])  # fmt: skip
    sheet.append(["3", "Vote", "Pick.", "- only: One option"])
    sheet.append(["4", "Vote", "Pick.", "- a: A\n- b: B", "- c: 다"])
    path = tmp_path / "choices.xlsx"
    workbook.save(path)
    report = import_msel(path)
    assert report.package is not None
    choice = report.package.inject("2").choice  # type: ignore[union-attr]
    assert choice is not None and choice.joint
    assert choice.prompt == {"en": "One voice?", "ko": "한목소리?"}
    assert [(o.id, o.text) for o in choice.options] == [
        ("joint", {"en": "One joint statement", "ko": "공동 성명"}),
        ("own", {"en": "Each its own", "ko": "각자 성명"}),
    ]
    for number, says in (("3", "at least two options"), ("4", "'c' is not one of")):
        inject = report.package.inject(number)
        assert inject is not None and inject.choice is None
        assert "Choice (en):" in (inject.notes or {}).get("en", "")
        found = [p for p in report.problems if p.code == "choice-not-read"]
        assert any(says in p.message and p.row == int(number) + 1 for p in found), found
