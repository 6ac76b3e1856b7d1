"""Workbooks with several sheets, as agencies keep them: a sheet per day beside a summary of key
events, the real MSEL beside examples and old copies; and rows whose only text is in a
storyline or remarks column (see tests/fixtures/msel/make_fixtures.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from sitroom.package.model import Inject, Package
from sitroom.package.msel.importer import ImportReport, import_msel
from sitroom.package.msel.names import is_day_or_phase, is_main, is_summary, set_aside

FIXTURES = Path(__file__).parents[1] / "fixtures" / "msel"
HEADER = ["MSEL #", "Time", "To", "Subject", "Description", "Expected Action"]


def _rows(count: int, subject: str) -> list[list[Any]]:
    return [
        [
            str(n),
            f"{9 + n // 4:02d}{(n % 4) * 15:02d}",
            "Aldoria MFA",
            f"{subject} {n}",
            "Text",
            "Act",
        ]
        for n in range(1, count + 1)
    ]


def _book(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def _inject(package: Package | None, number: str) -> Inject:
    assert package is not None
    found = package.inject(number)
    assert found is not None, f"no inject {number}"
    return found


class TestSheetPerDay:
    """Three day sheets numbered from 1 each, a 'Key Events' summary and a 'Lists' sheet."""

    @pytest.fixture(scope="class")
    @classmethod
    def report(cls) -> ImportReport:
        report = import_msel(FIXTURES / "allied-days-per-sheet.xlsx")
        assert report.package is not None, report.summary()
        return report

    def test_every_day_sheet_is_a_module_in_sheet_order(self, report: ImportReport) -> None:
        assert report.package is not None
        modules = [
            (m.id, m.title["en"], [i.number for i in m.injects]) for m in report.package.modules
        ]
        assert modules == [
            ("day-1-14-sep", "Day 1 (14 Sep)", ["1.1", "1.2", "1.3", "1.4"]),
            ("day-2-15-sep", "Day 2 (15 Sep)", ["2.1", "2.2", "2.3"]),
            ("16-sep", "16 Sep", ["3.1", "3.2"]),
        ]
        assert [(s.name, s.header_row, s.imported) for s in report.sheets] == [
            ("Day 1 (14 Sep)", 3, 4),
            ("Day 2 (15 Sep)", 3, 3),
            ("16 Sep", 3, 2),
        ]
        assert report.imported == 9

    def test_summary_and_list_sheets_are_passed_over_with_the_reason(
        self, report: ImportReport
    ) -> None:
        assert report.passed == [
            ("Key Events", "named like a summary of key events"),
            ("Lists", "named like a helper sheet (list, legend, template)"),
        ]
        text = report.summary()
        assert "Read 3 sheets:\n  'Day 1 (14 Sep)': header on row 3; 4 injects\n" in text
        assert "3 sheets are named by day, date or phase: each was read as a module" in text
        assert "  'Key Events': named like a summary of key events\n" in text

    def test_repeated_numbers_are_prefixed_by_sheet_with_a_warning(
        self, report: ImportReport
    ) -> None:
        (warning,) = [p for p in report.problems if p.code == "numbers-prefixed"]
        assert not warning.is_error
        assert "'1' is on sheets 'Day 1 (14 Sep)' and 'Day 2 (15 Sep)'" in warning.message
        assert _inject(report.package, "2.3").title == {"en": "False report of a rift"}

    def test_teams_are_shared_by_the_sheets(self, report: ImportReport) -> None:
        assert report.package is not None
        assert [t.id for t in report.package.teams] == ["aldoria-mfa", "brenland-nss"]
        assert _inject(report.package, "3.1").to == ("aldoria-mfa", "brenland-nss")

    def test_storyline_only_row_is_imported_with_a_warning(self, report: ImportReport) -> None:
        storyline = _inject(report.package, "1.3")
        text = (
            "Consultation: the allies agree whether to request an Alliance Consultative "
            "Committee session"
        )
        assert storyline.title == {"en": text[:79] + "…"}  # a title is one line, 80 at most
        assert storyline.content == {"en": text}
        assert storyline.notes == {"en": f"Time: 1030\nStoryline: {text}\nStatus: Pending"}
        problem = next(p for p in report.problems if p.row == 7)
        assert (problem.code, problem.sheet, problem.field) == (
            "title-from-other-column",
            "Day 1 (14 Sep)",
            "Storyline",
        )
        assert "players see" in problem.hint

    def test_remarks_only_row_is_imported(self, report: ImportReport) -> None:
        remarks = _inject(report.package, "1.4")
        text = "Facilitator reads out the draft press line agreed by both capitals"
        assert remarks.title == {"en": text}
        assert remarks.to == ("brenland-nss",)
        assert not report.errors
        assert report.skipped == [(4, "exercise marker 'STARTEX' (sheet 'Day 1 (14 Sep)')")]

    def test_sheets_named_several_times_are_read_in_the_order_given(self) -> None:
        report = import_msel(
            FIXTURES / "allied-days-per-sheet.xlsx", sheet=["16 Sep", "Day 1 (14 Sep)"]
        )
        assert report.package is not None
        assert [m.title["en"] for m in report.package.modules] == ["16 Sep", "Day 1 (14 Sep)"]
        assert report.sheet == "16 Sep"
        assert [i.number for i in report.package.injects()][:2] == ["1.1", "1.2"]

    def test_one_named_sheet_keeps_its_numbers(self) -> None:
        report = import_msel(FIXTURES / "allied-days-per-sheet.xlsx", sheet="Day 2 (15 Sep)")
        assert report.package is not None
        assert [i.number for i in report.package.injects()] == ["1", "2", "3"]
        assert [m.id for m in report.package.modules] == ["msel"]

    def test_an_unknown_sheet_among_several_names_the_sheets(self) -> None:
        report = import_msel(FIXTURES / "allied-days-per-sheet.xlsx", sheet=["16 Sep", "Day 4"])
        assert report.package is None
        assert [p.code for p in report.problems] == ["unknown-sheet"]
        assert "'Key Events', 'Day 1 (14 Sep)'" in report.problems[0].hint


class TestMainAmongArchives:
    """The real MSEL (3 rows) beside 40 example injects, an old copy and a print layout."""

    @pytest.fixture(scope="class")
    @classmethod
    def report(cls) -> ImportReport:
        report = import_msel(FIXTURES / "brenland-main-among-archives.xlsx")
        assert report.package is not None, report.summary()
        return report

    def test_the_small_msel_wins_over_the_large_examples(self, report: ImportReport) -> None:
        assert report.sheet == "MSEL"
        assert report.imported == 3
        assert _inject(report.package, "1").title == {"en": "Port access restricted"}

    def test_the_summary_says_why_each_other_sheet_was_passed_over(
        self, report: ImportReport
    ) -> None:
        assert report.passed == [
            ("Example Injects", "named like examples"),
            ("Old MSEL (v1)", "named like an old copy"),
            ("Print Layout", "named like a print copy"),
        ]
        assert "  'Example Injects': named like examples\n" in report.summary()


class TestChoosingOneSheet:
    """Name cues first, then how well the header fits, then size."""

    def test_header_fit_beats_size(self, tmp_path: Path) -> None:
        poor = [["Time", "Topic", "Owner"], *[["0900", f"Topic {n}", "Desk"] for n in range(50)]]
        path = _book(tmp_path / "m.xlsx", {"Sheet1": poor, "Sheet2": [HEADER, *_rows(3, "I")]})
        report = import_msel(path)
        assert report.sheet == "Sheet2"
        assert report.passed == [
            (
                "Sheet1",
                "its header fits the MSEL columns less well than 'Sheet2' "
                "(2 columns recognised against 6)",
            )
        ]
        assert "Sheet 'Sheet2': its header names 6 MSEL columns; 4 rows — chosen over 1" in (
            report.summary()
        )

    def test_size_decides_between_equal_sheets(self, tmp_path: Path) -> None:
        sheets = {"Sheet1": [HEADER, *_rows(2, "A")], "Sheet2": [HEADER, *_rows(9, "B")]}
        report = import_msel(_book(tmp_path / "m.xlsx", sheets))
        assert report.sheet == "Sheet2"
        assert report.passed == [("Sheet1", "smaller than 'Sheet2' (3 rows against 10)")]

    def test_a_sheet_named_as_the_msel_beats_a_larger_one(self, tmp_path: Path) -> None:
        sheets = {"Planning": [HEADER, *_rows(30, "A")], "Master": [HEADER, *_rows(4, "B")]}
        report = import_msel(_book(tmp_path / "m.xlsx", sheets))
        assert report.sheet == "Master"
        assert report.passed == [("Planning", "not named as the MSEL, unlike 'Master'")]

    def test_a_main_msel_beside_day_sheets_is_read_alone(self, tmp_path: Path) -> None:
        sheets = {
            "MSEL": [HEADER, *_rows(6, "All")],
            "Day 1": [HEADER, *_rows(3, "One")],
            "Day 2": [HEADER, *_rows(3, "Two")],
        }
        report = import_msel(_book(tmp_path / "m.xlsx", sheets))
        assert [s.name for s in report.sheets] == ["MSEL"]
        assert report.passed == [
            ("Day 1", "a day sheet beside the main MSEL 'MSEL'"),
            ("Day 2", "a day sheet beside the main MSEL 'MSEL'"),
        ]

    def test_a_sheet_of_contingency_injects_beside_day_sheets_is_read_too(
        self, tmp_path: Path
    ) -> None:
        sheets = {
            "Phase I": [HEADER, *_rows(2, "One")],
            "Phase II": [HEADER, *_rows(2, "Two")],
            "Contingency": [HEADER, *_rows(1, "Spare")],
            "Contacts sheet": [["Name", "Phone"], ["A. Varga", "555"]],
        }
        report = import_msel(_book(tmp_path / "m.xlsx", sheets))
        assert [s.name for s in report.sheets] == ["Phase I", "Phase II", "Contingency"]
        assert report.package is not None
        assert [m.title["en"] for m in report.package.modules] == [
            "Phase I",
            "Phase II",
            "Contingency",
        ]

    def test_a_summary_alone_is_still_read(self, tmp_path: Path) -> None:
        path = _book(tmp_path / "m.xlsx", {"Summary": [HEADER, *_rows(2, "A")]})
        report = import_msel(path)
        assert report.sheet == "Summary"
        assert report.imported == 2


class TestTextInOtherColumns:
    def test_a_numbered_row_with_notes_only_is_kept(self, tmp_path: Path) -> None:
        header = ["#", "Time", "Status", "Subject", "Description", "Notes"]
        rows = [header, ["1", "0900", "Pending", None, None, "Hold the press line until 1000"]]
        report = import_msel(_book(tmp_path / "m.xlsx", {"MSEL": rows}))
        assert report.imported == 1
        assert _inject(report.package, "1").title == {"en": "Hold the press line until 1000"}
        assert [(p.code, p.row, p.field) for p in report.problems] == [
            ("title-from-other-column", 2, "Notes")
        ]

    def test_status_alone_is_not_text_for_a_title(self, tmp_path: Path) -> None:
        header = ["#", "Time", "Status", "Subject", "Description"]
        rows = [header, ["1", "0900", "Pending", None, None]]
        report = import_msel(_book(tmp_path / "m.xlsx", {"MSEL": rows}))
        assert report.imported == 0
        assert [p.code for p in report.errors] == ["no-text"]


def test_sheet_names() -> None:
    assert set_aside("Example Injects") == "named like examples"
    assert set_aside("Sample MSEL") == "named like examples"
    assert set_aside("MSEL backup") == "named like an old copy"
    assert set_aside("Bold moves") is None
    assert set_aside("Day 1") is None
    assert is_summary("Key Events") and is_summary("Summary") and not is_summary("MSEL")
    assert is_main("MSEL v2") and is_main("Master") and not is_main("Sheet1")
    for name in ("Day 1", "D+2", "14 Sep", "Sep 14", "2027-09-14", "Phase II", "Module 3"):
        assert is_day_or_phase(name), name
    for name in ("MSEL", "Sheet1", "Injects", "Lists", "Septic"):
        assert not is_day_or_phase(name), name
