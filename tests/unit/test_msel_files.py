"""Files that are not a tidy MSEL: damaged, mislabelled, encoded oddly, huge; and sheet shapes."""

from __future__ import annotations

import zipfile
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from sitroom.package.msel import grid as mselgrid
from sitroom.package.msel.importer import ImportReport, import_msel

HEADER = ["MSEL #", "Time", "To", "Subject", "Description"]
ROWS = [
    ["1", "0900", "Operations Cell", "Opening brief", "The director opens the session."],
    ["2", "0930", "Logistics Cell", "Fuel request", "A district asks for fuel."],
]


def _xlsx(
    path: Path,
    rows: list[list[Any]],
    *,
    merges: tuple[str, ...] = (),
    sheets: dict[str, list[list[Any]]] | None = None,
    hidden: tuple[str, ...] = (),
) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "MSEL"
    for row in rows:
        sheet.append(row)
    for ref in merges:
        sheet.merge_cells(ref)
    for name, extra in (sheets or {}).items():
        other = book.create_sheet(name)
        for row in extra:
            other.append(row)
        if name in hidden:
            other.sheet_state = "hidden"
    book.save(path)
    return path


def _codes(report: ImportReport) -> list[str]:
    return [p.code for p in report.problems]


def _csv(rows: list[list[str]], delimiter: str = ",") -> str:
    return "\n".join(delimiter.join(row) for row in rows) + "\n"


class TestUnreadableFiles:
    def test_missing_file(self, tmp_path: Path) -> None:
        report = import_msel(tmp_path / "none.xlsx")
        assert (report.package, _codes(report)) == (None, ["not-found"])

    def test_folder(self, tmp_path: Path) -> None:
        assert _codes(import_msel(tmp_path)) == ["not-found"]

    def test_empty_file(self, tmp_path: Path) -> None:
        (tmp_path / "msel.xlsx").write_bytes(b"")
        report = import_msel(tmp_path / "msel.xlsx")
        assert _codes(report) == ["empty"]
        assert "empty" in report.summary()

    def test_old_xls(self, tmp_path: Path) -> None:
        path = tmp_path / "msel.xls"
        path.write_bytes(
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600 + "Workbook".encode("utf-16-le")
        )
        report = import_msel(path)
        assert _codes(report) == ["old-excel-format"]
        assert ".xlsx" in report.problems[0].hint

    def test_password_protected(self, tmp_path: Path) -> None:
        path = tmp_path / "msel.xlsx"
        path.write_bytes(
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
            + b"\0" * 600
            + "EncryptionInfo".encode("utf-16-le")
            + b"\0" * 100
        )
        report = import_msel(path)
        assert _codes(report) == ["password-protected"]
        assert "password" in report.problems[0].hint

    def test_damaged_zip(self, tmp_path: Path) -> None:
        good = _xlsx(tmp_path / "good.xlsx", [HEADER, *ROWS])
        damaged = tmp_path / "damaged.xlsx"
        damaged.write_bytes(good.read_bytes()[:700])
        assert _codes(import_msel(damaged)) == ["corrupt-workbook"]

    def test_workbook_with_a_damaged_part(self, tmp_path: Path) -> None:
        good = _xlsx(tmp_path / "good.xlsx", [HEADER, *ROWS])
        damaged = tmp_path / "damaged.xlsx"
        with zipfile.ZipFile(good) as source, zipfile.ZipFile(damaged, "w") as target:
            for item in source.infolist():
                data = source.read(item)
                if item.filename == "xl/workbook.xml":
                    data = data[: len(data) // 2]
                target.writestr(item, data)
        report = import_msel(damaged)
        assert report.package is None
        assert _codes(report) == ["corrupt-workbook"]

    def test_word_document_named_xlsx(self, tmp_path: Path) -> None:
        path = tmp_path / "msel.xlsx"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("word/document.xml", "<w:document/>")
        report = import_msel(path)
        assert _codes(report) == ["corrupt-workbook"]
        assert "Word" in report.problems[0].message

    def test_opendocument(self, tmp_path: Path) -> None:
        path = tmp_path / "msel.ods"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        assert _codes(import_msel(path)) == ["unsupported-file"]

    def test_other_file_types(self, tmp_path: Path) -> None:
        path = tmp_path / "msel.pdf"
        path.write_bytes(b"%PDF-1.7\n")
        report = import_msel(path)
        assert _codes(report) == ["unsupported-file"]
        assert ".xlsx" in report.problems[0].hint

    def test_web_page_named_xls(self, tmp_path: Path) -> None:
        path = tmp_path / "msel.xls"
        path.write_text("<html><table><tr><td>MSEL #</td></tr></table></html>", encoding="utf-8")
        assert _codes(import_msel(path)) == ["unsupported-file"]

    def test_binary_named_csv(self, tmp_path: Path) -> None:
        path = tmp_path / "msel.csv"
        path.write_bytes(bytes(range(256)) * 4)
        report = import_msel(path)
        assert report.package is None
        assert "not-text" in _codes(report)


class TestMislabelledFiles:
    def test_csv_text_named_xlsx_is_read_as_csv(self, tmp_path: Path) -> None:
        path = tmp_path / "msel.xlsx"
        path.write_text(_csv([HEADER, *ROWS]), encoding="utf-8")
        report = import_msel(path)
        assert _codes(report) == ["wrong-extension"]
        assert report.imported == 2

    def test_workbook_named_csv_is_read_as_workbook(self, tmp_path: Path) -> None:
        path = _xlsx(tmp_path / "msel.xlsx", [HEADER, *ROWS]).rename(tmp_path / "msel.csv")
        report = import_msel(path)
        assert _codes(report) == ["wrong-extension"]
        assert report.imported == 2
        assert report.sheet == "MSEL"


class TestCsvText:
    def test_utf8_with_bom_and_commas(self, tmp_path: Path) -> None:
        path = tmp_path / "msel.csv"
        rows = [HEADER, ["1", "0900", "Équipe santé", "Réunion", "Le préfet convoque."]]
        path.write_bytes(b"\xef\xbb\xbf" + _csv(rows).encode("utf-8"))
        report = import_msel(path)
        assert report.problems == []
        assert report.columns["MSEL #"] == "number"
        assert report.package is not None
        assert report.package.teams[0].name == {"en": "Équipe santé"}
        assert report.package.teams[0].id == "equipe-sante"

    def test_utf16_tabs(self, tmp_path: Path) -> None:
        path = tmp_path / "msel.txt"
        path.write_bytes(_csv([HEADER, *ROWS], "\t").encode("utf-16"))
        report = import_msel(path)
        assert (report.problems, report.imported) == ([], 2)

    def test_excel_separator_line(self, tmp_path: Path) -> None:
        path = tmp_path / "msel.csv"
        path.write_text("sep=|\n" + _csv([HEADER, *ROWS], "|"), encoding="utf-8")
        report = import_msel(path)
        assert (report.header_row, report.imported) == (1, 2)

    def test_semicolons_with_commas_in_text(self, tmp_path: Path) -> None:
        rows = [HEADER, ["1", "0900", "Ops", "Brief, short", "One, two, three"], ROWS[1]]
        path = tmp_path / "msel.csv"
        path.write_text(_csv(rows, ";"), encoding="utf-8")
        report = import_msel(path)
        assert report.package is not None
        assert report.package.injects()[0].content == {"en": "One, two, three"}

    def test_quoted_line_breaks_and_record_numbers(self, tmp_path: Path) -> None:
        text = ",".join(HEADER) + '\n1,0900,Ops,Brief,"Line one\nline two"\n\n2,0930,Ops,,\n'
        path = tmp_path / "msel.csv"
        path.write_text(text, encoding="utf-8")
        report = import_msel(path)
        assert report.package is not None
        assert report.package.injects()[0].content == {"en": "Line one\nline two"}
        assert report.skipped == [(3, "blank row"), (4, "no title or description")]

    def test_a_sheet_name_for_a_csv_is_a_warning(self, tmp_path: Path) -> None:
        path = tmp_path / "msel.csv"
        path.write_text(_csv([HEADER, *ROWS]), encoding="utf-8")
        assert _codes(import_msel(path, sheet="MSEL")) == ["no-sheets"]

    def test_text_without_a_header(self, tmp_path: Path) -> None:
        path = tmp_path / "notes.csv"
        path.write_text("just some notes\nabout the exercise\n", encoding="utf-8")
        report = import_msel(path)
        assert (report.package, _codes(report)) == (None, ["no-header"])


class TestLimits:
    def test_too_many_rows_in_a_workbook(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(mselgrid, "MAX_ROWS", 20)
        path = _xlsx(
            tmp_path / "big.xlsx", [HEADER, *[[str(i), "0900", "Ops", "T", "C"] for i in range(30)]]
        )
        report = import_msel(path)
        assert report.package is None
        assert _codes(report) == ["too-large"]
        assert "more than 20 rows" in report.problems[0].message

    def test_too_many_rows_in_a_csv(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(mselgrid, "MAX_ROWS", 20)
        path = tmp_path / "big.csv"
        path.write_text(_csv([HEADER, *[[str(i), "0900", "Ops", "T", "C"] for i in range(30)]]))
        assert _codes(import_msel(path)) == ["too-large"]

    def test_progress_is_reported(self, tmp_path: Path) -> None:
        rows = [[str(i), "0900", "Ops", f"Inject {i}", "Text"] for i in range(1, 1001)]
        path = _xlsx(tmp_path / "long.xlsx", [HEADER, *rows])
        calls: list[tuple[int, int]] = []
        report = import_msel(path, progress=lambda done, total: calls.append((done, total)))
        assert report.imported == 1000
        assert len(calls) >= 8
        assert calls[-1] == (2000, 2000)
        assert all(0 <= done <= total for done, total in calls)
        assert [d for d, _ in calls] == sorted(d for d, _ in calls)


class TestSheetShapes:
    def test_module_titles_in_section_rows(self, tmp_path: Path) -> None:
        rows = [
            HEADER,
            ["Module 1: Warning"],
            ROWS[0],
            ["Module 2: Response"],
            ROWS[1],
            ["3", "1000", "Ops", "Late", "Late inject"],
        ]
        report = import_msel(_xlsx(tmp_path / "m.xlsx", rows))
        assert report.package is not None
        modules = [
            (m.id, m.title["en"], [i.number for i in m.injects]) for m in report.package.modules
        ]
        assert modules == [
            ("module-1", "Module 1: Warning", ["1"]),
            ("module-2", "Module 2: Response", ["2", "3"]),
        ]
        assert report.skipped == [
            (2, "section title 'Module 1: Warning'"),
            (4, "section title 'Module 2: Response'"),
        ]

    def test_without_sections_one_module(self, tmp_path: Path) -> None:
        report = import_msel(_xlsx(tmp_path / "m.xlsx", [HEADER, *ROWS]))
        assert report.package is not None
        assert [(m.id, m.title) for m in report.package.modules] == [("msel", {"en": "MSEL"})]

    def test_merged_to_cells_apply_to_each_row(self, tmp_path: Path) -> None:
        rows = [
            HEADER,
            ROWS[0],
            ["2", "0930", None, "Fuel", "Fuel text"],
            ["3", "1000", None, "Road", "Road text"],
        ]
        report = import_msel(_xlsx(tmp_path / "m.xlsx", rows, merges=("C2:C4",)))
        assert report.package is not None
        assert [i.to for i in report.package.injects()] == [("operations-cell",)] * 3

    def test_hidden_and_lookup_sheets_are_passed_over(self, tmp_path: Path) -> None:
        rows = [["Notes about the exercise"]]
        extra = {"Old MSEL": [HEADER, *ROWS, *ROWS], "Draft": [HEADER, *ROWS, *ROWS]}
        report = import_msel(_xlsx(tmp_path / "m.xlsx", rows, sheets=extra, hidden=("Draft",)))
        assert report.package is None
        assert _codes(report) == ["no-header"]
        assert "'Old MSEL', 'Draft'" in report.problems[0].message

    def test_best_sheet_wins(self, tmp_path: Path) -> None:
        summary = [["Time", "Subject"], ["0900", "Opening"]]
        report = import_msel(
            _xlsx(tmp_path / "m.xlsx", summary, sheets={"Injects": [HEADER, *ROWS]})
        )
        assert report.sheet == "Injects"

    def test_sheet_name_is_matched_without_case(self, tmp_path: Path) -> None:
        report = import_msel(_xlsx(tmp_path / "m.xlsx", [HEADER, *ROWS]), sheet=" msel ")
        assert report.sheet == "MSEL"

    def test_header_without_rows(self, tmp_path: Path) -> None:
        report = import_msel(_xlsx(tmp_path / "m.xlsx", [HEADER]))
        assert report.package is not None
        assert report.package.modules == ()
        assert _codes(report) == ["no-injects"]

    def test_excel_numbers_as_times(self, tmp_path: Path) -> None:
        rows = [
            HEADER,
            ["1", 46085.375, "Ops", "Serial", "Serial date"],
            ["2", 0.5, "Ops", "Fraction", "Fraction of a day"],
            ["3", 700, "Ops", "Number", "Military"],
            ["4", time(13, 45), "Ops", "Time", "A time cell"],
        ]
        report = import_msel(_xlsx(tmp_path / "m.xlsx", rows))
        assert report.package is not None
        injects = report.package.injects()
        assert injects[0].scenario_time == datetime(2026, 3, 4, 9, 0)
        assert [i.offset for i in injects[1:]] == [
            timedelta(hours=5),
            timedelta(0),
            timedelta(hours=6, minutes=45),
        ]

    def test_date_and_time_columns_combine(self, tmp_path: Path) -> None:
        rows = [
            ["No.", "Date", "Time", "Subject", "Message"],
            ["1", datetime(2027, 6, 2), "14:30", "Combined", "Date cell and a time text"],
            ["2", "3 June 2027", time(8, 5), "Combined", "Date text and a time cell"],
        ]
        report = import_msel(_xlsx(tmp_path / "m.xlsx", rows))
        assert report.package is not None
        times = [i.scenario_time for i in report.package.injects()]
        assert times == [datetime(2027, 6, 2, 14, 30), datetime(2027, 6, 3, 8, 5)]
        assert all(i.notes is None for i in report.package.injects())

    def test_exercise_id_and_title_given(self, tmp_path: Path) -> None:
        path = _xlsx(tmp_path / "My MSEL (v3).xlsx", [HEADER, *ROWS])
        report = import_msel(path, exercise_id="Harbor TTX", title="Harbor TTX 2027")
        assert report.package is not None
        assert report.package.exercise.id == "harbor-ttx"
        assert report.package.exercise.title == {"en": "Harbor TTX 2027"}
        assert _codes(report) == ["invalid-id"]
        plain = import_msel(path)
        assert plain.package is not None
        assert plain.package.exercise.id == "my-msel-v3"

    def test_current_year_is_assumed_with_a_warning(self, tmp_path: Path) -> None:
        rows = [["#", "Day", "Time", "Subject"], ["1", "4-Mar", "0900", "Yearless"]]
        report = import_msel(_xlsx(tmp_path / "m.xlsx", rows))
        assert _codes(report) == ["year-assumed"]
        assert report.package is not None
        assert report.package.injects()[0].scenario_time == datetime(
            datetime.now().year, 3, 4, 9, 0
        )

    def test_repeated_header_rows_and_phase_sections(self, tmp_path: Path) -> None:
        rows = [
            HEADER,
            ["Phase I"],
            ROWS[0],
            [],
            ["PHASE II"],
            [h.upper() for h in HEADER],
            ROWS[1],
        ]
        report = import_msel(_xlsx(tmp_path / "m.xlsx", rows))
        assert report.package is not None
        assert [(m.id, m.title["en"]) for m in report.package.modules] == [
            ("phase-i", "Phase I"),
            ("phase-ii", "PHASE II"),
        ]
        assert report.skipped == [
            (2, "section title 'Phase I'"),
            (4, "blank row"),
            (5, "section title 'PHASE II'"),
            (6, "the header row again"),
        ]

    def test_bare_numbers_in_a_phase_column(self, tmp_path: Path) -> None:
        rows = [["Module #", *HEADER], [1, *ROWS[0]], [2, *ROWS[1]]]
        report = import_msel(_xlsx(tmp_path / "m.xlsx", rows))
        assert report.package is not None
        assert [(m.id, m.title["en"]) for m in report.package.modules] == [
            ("module-1", "Module 1"),
            ("module-2", "Module 2"),
        ]

    def test_missing_mapping_file(self, tmp_path: Path) -> None:
        path = _xlsx(tmp_path / "m.xlsx", [HEADER, *ROWS])
        report = import_msel(path, mapping=tmp_path / "none.yaml")
        assert (report.package, _codes(report)) == (None, ["not-found"])

    def test_mapping_that_is_not_a_mapping(self, tmp_path: Path) -> None:
        path = _xlsx(tmp_path / "m.xlsx", [HEADER, *ROWS])
        (tmp_path / "list.yaml").write_text("- number\n- time\n", encoding="utf-8")
        assert _codes(import_msel(path, mapping=tmp_path / "list.yaml")) == ["invalid-mapping"]
        (tmp_path / "bad.yaml").write_text("a: [b\n", encoding="utf-8")
        assert _codes(import_msel(path, mapping=tmp_path / "bad.yaml")) == ["yaml-syntax"]


def test_damaged_sheet_part(tmp_path: Path) -> None:
    good = _xlsx(tmp_path / "good.xlsx", [HEADER, *ROWS])
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) - 200]
            target.writestr(item, data)
    report = import_msel(damaged, sheet="MSEL")
    assert report.package is None
    assert _codes(report) == ["corrupt-workbook"]
    assert report.problems[0].sheet == "MSEL"
