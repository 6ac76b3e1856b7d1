"""Importing MSELs shaped like the ones agencies keep (see tests/fixtures/msel/make_fixtures.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sitroom.package.model import DeliveryMethod, Inject, Package
from sitroom.package.msel.importer import ImportReport, import_msel

FIXTURES = Path(__file__).parents[1] / "fixtures" / "msel"


def _import(name: str, **options: object) -> ImportReport:
    report = import_msel(FIXTURES / name, **options)  # type: ignore[arg-type]
    assert report.package is not None, report.summary()
    return report


def _inject(package: Package | None, number: str) -> Inject:
    assert package is not None
    found = package.inject(number)
    assert found is not None, f"no inject {number}"
    return found


def _codes(report: ImportReport) -> list[tuple[str, int | None]]:
    return [(p.code, p.row) for p in report.problems]


class TestCountyHurricane:
    """Title block, header on row 5, STARTEX/ENDEX, a 'Day 2' banner, Excel date-times."""

    @pytest.fixture(scope="class")
    @classmethod
    def report(cls) -> ImportReport:
        return _import("hurricane-county-eoc.xlsx")

    def test_finds_the_header_under_the_title_block(self, report: ImportReport) -> None:
        assert report.sheet == "MSEL"
        assert report.header_row == 5
        assert report.columns["SEND FROM (Simulated)"] == "from"
        assert report.columns["DESCRIPTION/SCRIPT"] == "content"
        assert report.columns["EXPECTED ACTION"] == "expected"
        assert report.columns["STATUS"] == "status"

    def test_counts_imported_and_skipped_rows(self, report: ImportReport) -> None:
        assert report.imported == 9
        assert report.skipped == [
            (6, "exercise marker 'STARTEX'"),
            (12, "blank row"),
            (13, "section title 'Day 2' (merged across the row)"),
            (18, "exercise marker 'ENDEX'"),
        ]
        assert report.ok, report.summary()
        assert report.problems == []

    def test_day_2_banner_starts_a_module(self, report: ImportReport) -> None:
        assert report.package is not None
        modules = [
            (m.id, m.title["en"], [i.number for i in m.injects]) for m in report.package.modules
        ]
        assert modules == [
            ("day-1", "Day 1", ["1", "2", "3", "4", "5"]),
            ("day-2", "Day 2", ["6", "7", "8", "9"]),
        ]

    def test_excel_datetimes_become_scenario_times(self, report: ImportReport) -> None:
        first = _inject(report.package, "1")
        assert first.scenario_time == datetime(2027, 9, 14, 8, 15)
        assert first.offset is None
        assert _inject(report.package, "9").scenario_time == datetime(2027, 9, 15, 14, 0)

    def test_recipients_become_teams(self, report: ImportReport) -> None:
        assert report.package is not None
        assert [t.id for t in report.package.teams] == [
            "county-eoc",
            "public-information-officer",
            "emergency-management-director",
            "public-works",
            "utilities",
        ]
        assert report.package.teams[0].name == {"en": "County EOC"}
        assert _inject(report.package, "1").to == ("county-eoc", "public-information-officer")
        assert _inject(report.package, "2").to == ()  # "All players"
        assert _inject(report.package, "4").to == ("public-works", "utilities")

    def test_fields_and_notes(self, report: ImportReport) -> None:
        first = _inject(report.package, "1")
        assert first.title == {"en": "Hurricane watch issued"}
        assert first.from_ == {"en": "National Weather Service"}
        assert first.delivery == DeliveryMethod.EMAIL
        assert first.controller == "J. Okafor"
        assert first.expected_actions == (
            {"en": "EOC moves to partial activation"},
            {"en": "PIO drafts a public advisory"},
        )
        assert first.notes == {"en": "Watch text is in the player handout\nSTATUS: Delivered"}
        assert _inject(report.package, "2").delivery == DeliveryMethod.PHONE
        assert _inject(report.package, "9").delivery == DeliveryMethod.DOCUMENT

    def test_unknown_delivery_is_other_with_the_text_kept(self, report: ImportReport) -> None:
        fourth = _inject(report.package, "4")
        assert fourth.delivery == DeliveryMethod.OTHER
        assert fourth.notes == {"en": "Simulated by the white cell\nINJECT MODE: Carrier pigeon"}

    def test_title_comes_from_the_title_block_not_the_marking(self, report: ImportReport) -> None:
        assert report.package is not None
        assert report.package.exercise.title == {
            "en": "Harbor County Hurricane Tabletop Exercise 2027"
        }
        assert report.package.exercise.id == "hurricane-county-eoc"

    def test_summary_names_sheet_header_columns_and_skipped_rows(
        self, report: ImportReport
    ) -> None:
        text = report.summary()
        assert "sheet 'MSEL'; header on row 5" in text
        assert "Imported 9 injects in 2 modules; 5 teams." in text
        assert "row 13: section title 'Day 2' (merged across the row)" in text


class TestCompanyRansomwareCsv:
    """';'-separated Windows-1252 CSV, clock times in several forms, a Phase column."""

    @pytest.fixture(scope="class")
    @classmethod
    def report(cls) -> ImportReport:
        return _import("ransomware-company.csv")

    def test_reads_delimiter_and_encoding(self, report: ImportReport) -> None:
        assert report.sheet is None
        assert report.header_row == 2
        assert _codes(report) == [("not-utf8", None)]
        assert report.imported == 6
        assert report.skipped == []
        assert _inject(report.package, "3").content["en"].startswith("The CISO asks Zoë Müller")
        assert report.package is not None
        assert report.package.teams[2].name == {"en": "Direction générale"}
        assert report.package.teams[2].id == "direction-generale"

    def test_phase_column_groups_modules_and_blank_phase_continues(
        self, report: ImportReport
    ) -> None:
        assert report.package is not None
        modules = [(m.id, [i.number for i in m.injects]) for m in report.package.modules]
        assert modules == [
            ("detection", ["1", "2", "3"]),
            ("containment", ["4", "5"]),
            ("recovery", ["6"]),
        ]

    def test_clock_times_become_offsets_from_the_module_start(self, report: ImportReport) -> None:
        offsets = {n: _inject(report.package, n).offset for n in ("1", "2", "3", "4", "5", "6")}
        assert offsets == {
            "1": timedelta(hours=1),  # 0700, the module starts at 0600
            "2": timedelta(0),  # "600"
            "3": timedelta(hours=3, minutes=10),  # "09:10"
            "4": timedelta(0),  # "9:40 AM"
            "5": timedelta(minutes=35),  # "1015"
            "6": timedelta(0),
        }
        assert _inject(report.package, "1").scenario_time is None

    def test_raw_times_and_unknown_methods_are_kept_in_notes(self, report: ImportReport) -> None:
        assert _inject(report.package, "2").notes == {"en": "Time is before STARTEX\nTime: 600"}
        sixth = _inject(report.package, "6")
        assert sixth.delivery == DeliveryMethod.VIDEO
        assert sixth.notes == {"en": "Teams = video call\nTime: 11:30"}
        assert _inject(report.package, "3").delivery == DeliveryMethod.IN_PERSON


class TestCoalitionWorkbook:
    """Several sheets, DTG times, merged Phase cells, several recipients per cell."""

    @pytest.fixture(scope="class")
    @classmethod
    def report(cls) -> ImportReport:
        return _import("coalition-amber-tide.xlsx")

    def test_picks_the_msel_sheet_over_instructions_and_deleted(self, report: ImportReport) -> None:
        assert report.sheet == "MSEL"
        assert report.header_row == 3
        assert report.columns["Sent To:"] == "to"
        assert "Objective                 → objective  (kept as 'header: value' in notes)" in (
            report.summary()
        )
        assert report.passed == [
            ("Instructions", "named like instructions"),
            ("Deleted Injects", "named like deleted injects"),
            ("Lookups", "named like a lookup or list"),
        ]
        assert "Sheets passed over:\n  'Instructions': named like instructions\n" in (
            report.summary()
        )

    def test_dtgs(self, report: ImportReport) -> None:
        assert _inject(report.package, "1").scenario_time == datetime(2027, 8, 21, 9, 0)
        assert _inject(report.package, "3").scenario_time == datetime(
            2027, 8, 21, 14, 0, tzinfo=UTC
        )
        assert _inject(report.package, "4").scenario_time == datetime(2027, 3, 4, 13, 0, tzinfo=UTC)

    def test_merged_phase_cells_apply_to_every_row(self, report: ImportReport) -> None:
        assert report.package is not None
        modules = [
            (m.id, m.title["en"], [i.number for i in m.injects]) for m in report.package.modules
        ]
        assert modules == [
            ("phase-i-crisis-onset", "Phase I — Crisis onset", ["1", "2", "3"]),
            ("phase-ii-escalation", "Phase II — Escalation", ["4", "5"]),
        ]

    def test_several_recipients(self, report: ImportReport) -> None:
        assert _inject(report.package, "1").to == ("aldoria-mfa", "brevonia-mod")
        assert _inject(report.package, "2").to == ("combined-staff", "aldoria-mfa")
        assert _inject(report.package, "3").to == ()  # "All participants"
        assert _inject(report.package, "5").to == ("aldoria-mfa", "brevonia-mod")

    def test_objectives_text_is_kept_in_notes(self, report: ImportReport) -> None:
        second = _inject(report.package, "2")
        assert second.objectives == ()
        assert second.notes == {"en": "Objective: 1, 2"}
        assert second.expected_actions == ({"en": "Consultation held within 24 hours"},)
        assert second.delivery == DeliveryMethod.VIDEO

    def test_named_sheet_is_read_even_when_it_looks_archived(self) -> None:
        report = _import("coalition-amber-tide.xlsx", sheet="Deleted Injects")
        assert report.sheet == "Deleted Injects"
        assert report.imported == 1
        assert _inject(report.package, "D1").title == {"en": "Dropped inject"}

    def test_unknown_sheet_names_the_sheets(self) -> None:
        report = import_msel(FIXTURES / "coalition-amber-tide.xlsx", sheet="Injects")
        assert report.package is None
        assert _codes(report) == [("unknown-sheet", None)]
        assert "'Instructions', 'MSEL', 'Deleted Injects', 'Lookups'" in report.problems[0].hint


class TestDayColumns:
    """'Day' ('Day 1', 'Day 2', '4- Mar') and 'Time' columns, blank and KEY EVENT rows."""

    @pytest.fixture(scope="class")
    @classmethod
    def report(cls) -> ImportReport:
        return _import("regional-flood-days.xlsx")

    def test_counts(self, report: ImportReport) -> None:
        assert report.sheet == "Injects"
        assert report.header_row == 2
        assert report.imported == 6
        assert report.skipped == [
            (3, "section title 'KEY EVENT: River gauge passes flood stage'"),
            (6, "blank row"),
            (8, "blank row"),
            (9, "blank row"),
            (10, "section title 'KEY EVENT: Spillway opens'"),
        ]
        assert "rows 8-9: blank row" in report.summary()

    def test_day_column_groups_modules(self, report: ImportReport) -> None:
        assert report.package is not None
        modules = [
            (m.id, m.title["en"], [i.number for i in m.injects]) for m in report.package.modules
        ]
        assert modules == [
            ("day-1", "Day 1", ["1", "2", "3"]),
            ("day-2", "Day 2", ["4", "5"]),
            ("4-mar", "4- Mar", ["6"]),
        ]

    def test_times_within_a_day_are_offsets(self, report: ImportReport) -> None:
        assert _inject(report.package, "1").offset == timedelta(0)
        assert _inject(report.package, "2").offset == timedelta(minutes=30)  # 9:30 AM
        assert _inject(report.package, "3").offset == timedelta(hours=2, minutes=15)  # a time cell
        assert _inject(report.package, "5").offset == timedelta(hours=2)
        assert _inject(report.package, "2").notes == {"en": "Time: 9:30 AM"}

    def test_a_date_without_a_year_takes_the_title_year(self, report: ImportReport) -> None:
        sixth = _inject(report.package, "6")
        assert sixth.scenario_time == datetime(2027, 3, 4, 14, 0)
        assert sixth.notes == {"en": "Time: 1400"}
        assert report.year == (
            "Dates without a year (rows 13) were read in 2027, the year in the title on row 1."
        )

    def test_a_given_year_wins(self) -> None:
        report = _import("regional-flood-days.xlsx", year=2029)
        assert _inject(report.package, "6").scenario_time == datetime(2029, 3, 4, 14, 0)

    def test_all_means_every_team_and_and_splits(self, report: ImportReport) -> None:
        assert _inject(report.package, "4").to == ()
        assert _inject(report.package, "2").to == ("valley-water-board", "millbrook-town-council")


class TestBrokenMsel:
    """Rows without text, duplicate and missing numbers, unreadable times."""

    @pytest.fixture(scope="class")
    @classmethod
    def report(cls) -> ImportReport:
        return _import("broken-msel.xlsx")

    def test_rows_without_text_are_errors_and_listed(self, report: ImportReport) -> None:
        assert report.imported == 6
        assert report.skipped == [(3, "no title or description"), (8, "no title or description")]
        assert [p.row for p in report.errors] == [3, 8]
        assert all(p.code == "no-text" for p in report.errors)
        assert not report.ok

    def test_every_problem_is_located(self, report: ImportReport) -> None:
        assert _codes(report) == [
            ("no-text", 3),
            ("bad-time", 4),
            ("duplicate-number", 5),
            ("no-number", 6),
            ("bad-time", 7),
            ("number-changed", 7),
            ("no-text", 8),
        ]
        bad = report.problems[1]
        assert (bad.sheet, bad.row, bad.field) == ("MSEL", 4, "Inject Time")
        assert "'sometime after lunch'" in bad.message
        assert "'0700'" in bad.hint and "DTG" in bad.hint
        assert str(bad).startswith(f"{FIXTURES / 'broken-msel.xlsx'} [MSEL] row 4 column")

    def test_duplicates_missing_and_odd_numbers(self, report: ImportReport) -> None:
        assert report.package is not None
        assert [i.number for i in report.package.injects()] == ["1", "3", "3b", "9", "A-7", "8"]
        assert "rows 4 and 5" in report.problems[2].message

    def test_title_without_content_uses_the_title(self, report: ImportReport) -> None:
        third = _inject(report.package, "3")
        assert third.content == {"en": "Supply shortfall"}
        assert third.offset is None
        assert third.notes == {"en": "Inject Time: sometime after lunch"}


class TestUnmappedColumns:
    def test_unknown_columns_are_kept_as_notes(self) -> None:
        report = _import("unmapped-columns.xlsx")
        assert report.columns["Evaluator POC"] == "notes"
        assert report.columns["Location"] == "notes"
        assert report.unmapped == ["Evaluator POC", "Location"]
        assert "kept as 'header: value' in notes" in report.summary()
        assert _inject(report.package, "1").notes == {
            "en": "Evaluator POC: R. Haddad\nLocation: Room B"
        }
        assert _inject(report.package, "3").notes == {"en": "Location: Room C"}
        assert _inject(report.package, "2").scenario_time == datetime(2027, 5, 10, 9, 45)
        assert report.problems == []


class TestMappingFile:
    def test_mapping_file_names_the_columns(self) -> None:
        report = _import("german-headers.xlsx", mapping=FIXTURES / "german-headers.mapping.yaml")
        assert report.columns == {
            "Lfd. Nr.": "number",
            "Uhrzeit": "time",
            "Empfänger": "to",
            "Kanal": "delivery",
            "Betreff": "title",
            "Beschreibung": "content",
            "Bemerkung": "notes",
        }
        assert report.imported == 2
        second = _inject(report.package, "2")
        assert second.to == ("krisenstab", "pressestelle")
        assert second.delivery == DeliveryMethod.PHONE
        assert second.offset == timedelta(minutes=30)

    def test_without_mapping_no_header_is_found(self) -> None:
        report = import_msel(FIXTURES / "german-headers.xlsx")
        assert report.package is None
        assert _codes(report) == [("no-header", None)]

    def test_mapping_as_a_dict_and_a_language_column(self) -> None:
        mapping = {
            "Lfd Nr": "number",
            "uhrzeit": "time",
            "Betreff": "title",
            "Beschreibung": "content (de)",
            "Bemerkung": "ignore",
        }
        report = _import("german-headers.xlsx", mapping=mapping)
        first = _inject(report.package, "1")
        assert first.content == {"de": "Der Pegel steigt weiter."}
        assert report.package is not None
        assert report.package.exercise.languages == ("en", "de")
        assert report.columns["Bemerkung"] == "ignore"
        assert report.columns["Kanal"] == "notes"

    def test_unknown_target_field_is_an_error_naming_the_fields(self, tmp_path: Path) -> None:
        bad = tmp_path / "mapping.yaml"
        bad.write_text("Betreff: title\nKanal: channel\n", encoding="utf-8")
        report = import_msel(FIXTURES / "german-headers.xlsx", mapping=bad)
        assert report.package is None
        (problem,) = report.problems
        assert (problem.code, problem.line, problem.column) == ("unknown-field", 2, 8)
        assert "'channel'" in problem.message
        assert "number, time, date" in problem.hint

    def test_mapping_for_a_missing_header_is_a_warning(self) -> None:
        mapping = {
            "Lfd. Nr.": "number",
            "Betreff": "title",
            "Uhrzeit": "time",
            "Priorität": "status",
        }
        report = _import("german-headers.xlsx", mapping=mapping)
        assert [(p.code, p.severity.value) for p in report.problems] == [
            ("unused-mapping", "warning")
        ]
        assert "'Priorität'" in report.problems[0].message
