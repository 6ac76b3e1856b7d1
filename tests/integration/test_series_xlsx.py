"""Corrective actions in and out of .xlsx: the round trip, edits, bad rows and damaged files."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.run import Rejected
from sitroom.improvement import commands as ic
from sitroom.improvement.state import Status
from sitroom.improvement.xlsx import COLUMNS, SHEET, UnreadableWorkbook
from sitroom.services.series import SeriesService
from sitroom.storage.factory import open_recorder
from tests.support.playthrough import StepClock

ADMIN = Principal("account:admin", Role.ADMIN, "Admin")
FACILITATOR = Principal("account:fac", Role.FACILITATOR, "Facilitator")


@pytest.fixture
def service(tmp_path: Path) -> Iterator[SeriesService]:
    clock = StepClock(datetime(2025, 4, 1, 9, tzinfo=UTC))
    recorder = open_recorder(f"sqlite:///{tmp_path / 'x.db'}", clock=clock)
    service = SeriesService(recorder, evidence_dir=tmp_path / "evidence", clock=clock)
    service.create_series("allied", "Allied annual", ADMIN)
    for issue, action, element, org, due in (
        ("Notification was late", "Write a checklist", "Planning", "Northland MoD", "2025-06-30"),
        ("Press lines not agreed", "Agree a template", "Training", "Northland MFA", "2025-07-31"),
        ("No shared glossary", "Publish a glossary", "", "Combined Staff", ""),
    ):
        service.handle(
            "allied",
            ic.AddAction(
                issue,
                action,
                "planning",
                "Planning",
                element,
                org,
                "Kim Arin",
                "",
                due,
                edition="2025",
            ),
            ADMIN,
        )
    service.handle("allied", ic.ChangeStatus("CA-2025-002", "in-progress"), ADMIN)
    try:
        yield service
    finally:
        recorder.close()


def sheet_of(data: bytes) -> list[list[object]]:
    book = load_workbook(io.BytesIO(data))
    return [list(row) for row in book[SHEET].iter_rows(values_only=True)]


def edited(
    data: bytes, changes: dict[tuple[int, str], object], append: list[object] | None = None
) -> bytes:
    book = load_workbook(io.BytesIO(data))
    sheet = book[SHEET]
    for (row, column), value in changes.items():
        sheet.cell(row=row, column=COLUMNS.index(column) + 1, value=value)
    if append is not None:
        sheet.append(append)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_export_has_the_columns_real_dates_and_validation(service: SeriesService) -> None:
    data = service.export_xlsx("allied", ADMIN)
    book = load_workbook(io.BytesIO(data))
    sheet = book[SHEET]
    rows = sheet_of(data)
    assert tuple(rows[0]) == COLUMNS
    assert all(cell.font.bold for cell in sheet[1])
    assert rows[1][:3] == ["CA-2025-001", "allied", "2025"]
    assert rows[1][9] is None
    assert rows[1][10] == datetime(2025, 6, 30)  # an Excel date, not text
    assert sheet["K2"].is_date
    assert rows[2][11] == "in-progress"
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation}
    assert lists["L2"] == '"open,in-progress,done,verified,cancelled"'
    assert lists["G2"] == '"Planning,Organization,Equipment,Training,Exercise"'


def test_export_then_import_changes_nothing(service: SeriesService) -> None:
    before = service.state("allied", ADMIN)
    result = service.import_xlsx("allied", service.export_xlsx("allied", ADMIN), FACILITATOR)
    assert result.problems == ()
    assert result.events == 0
    assert service.state("allied", ADMIN).seq == before.seq


def test_edits_in_the_sheet_are_applied_in_row_order(service: SeriesService) -> None:
    data = edited(
        service.export_xlsx("allied", ADMIN),
        {
            (2, "Primary Responsible Organization"): "Northland Crisis Cell",
            (2, "Due Date"): "2025-08-15",  # text dates are fine too
            (2, "Status"): "Done",  # open -> in-progress -> done
            (3, "Organization POC"): "Lee Doun",
            (4, "Capability Element"): "exercise",
        },
        append=[
            None,
            None,
            "2025",
            "Planning",
            "Liaison roster out of date",
            "Refresh the roster",
            "Organization",
            "Southland JCS",
            "Choi Min",
            date(2025, 5, 1),
            date(2025, 9, 1),
            "in-progress",
        ],
    )
    result = service.import_xlsx("allied", data, FACILITATOR)
    assert result.problems == ()
    assert result.rows == 4
    state = service.state("allied", ADMIN)
    a1 = state.actions["CA-2025-001"]
    assert (a1.organisation, a1.due, a1.status) == (
        "Northland Crisis Cell",
        "2025-08-15",
        Status.DONE,
    )
    assert state.actions["CA-2025-002"].poc == "Lee Doun"
    assert state.actions["CA-2025-003"].element == "Exercise"
    new = state.actions["CA-2025-004"]
    assert (new.issue, new.capability, new.start, new.due, new.status) == (
        "Liaison roster out of date",
        "planning",
        "2025-05-01",
        "2025-09-01",
        Status.IN_PROGRESS,
    )
    again = service.import_xlsx("allied", service.export_xlsx("allied", ADMIN), ADMIN)
    assert again.events == 0, "the round trip holds after edits too"


def test_bad_rows_are_reported_with_row_and_column_and_nothing_is_applied(
    service: SeriesService,
) -> None:
    before = service.state("allied", ADMIN).seq
    data = edited(
        service.export_xlsx("allied", ADMIN),
        {
            (2, "Primary Responsible Organization"): "Fine change",
            (3, "Status"): "finished",
            (4, "Due Date"): "next week",
            (4, "Capability Element"): "Logistics",
        },
        append=["CA-9999", None, None, None, "x", "y"],
    )
    result = service.import_xlsx("allied", data, ADMIN)
    assert list(result.problems) == [
        "sheet 'Corrective Actions', row 3, Status: 'finished' is not one of open, in-progress,"
        " done, verified, cancelled",
        "sheet 'Corrective Actions', row 4, Due Date: 'next week' is not a date; use an Excel date"
        " or YYYY-MM-DD",
        "sheet 'Corrective Actions', row 4, Capability Element: 'Logistics' is not one of"
        " Planning, Organization, Equipment, Training, Exercise",
        "sheet 'Corrective Actions', row 5, Action ID: series allied has no action 'CA-9999';"
        " leave the ID empty to add a new action",
    ]
    assert service.state("allied", ADMIN).seq == before


def test_rule_errors_carry_the_row_too(service: SeriesService) -> None:
    data = edited(
        service.export_xlsx("allied", ADMIN),
        {(2, "Status"): "cancelled", (3, "Status"): "open"},
        append=[None, None, None, None, "Issue", ""],
    )
    result = service.import_xlsx("allied", data, FACILITATOR)
    assert list(result.problems) == [
        "sheet 'Corrective Actions', row 2, Status: only an admin may mark an action cancelled",
        "sheet 'Corrective Actions', row 3, Status: action CA-2025-002 is in-progress; it can"
        " move to cancelled, done",
        "sheet 'Corrective Actions', row 5, Corrective Action: action is empty",
    ]


def test_headers_may_use_synonyms_and_any_case(service: SeriesService) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Actions from the ministry"
    sheet.append(["action id", "ISSUE", "corrective action", "Owner", "POC", "due", "status"])
    sheet.append(
        [
            "CA-2025-003",
            "No shared glossary",
            "Publish a glossary",
            "Combined Staff",
            "Kim Arin",
            "2025-10-31",
            "open",
        ]
    )
    out = io.BytesIO()
    book.save(out)
    result = service.import_xlsx("allied", out.getvalue(), ADMIN)
    assert result.problems == ()
    assert service.state("allied", ADMIN).actions["CA-2025-003"].due == "2025-10-31"


def test_a_sheet_without_the_needed_columns_is_refused(service: SeriesService) -> None:
    book = Workbook()
    book.active.append(["Name", "Colour"])
    out = io.BytesIO()
    book.save(out)
    result = service.import_xlsx("allied", out.getvalue(), ADMIN)
    assert len(result.problems) == 1
    assert result.problems[0].startswith("sheet 'Sheet', row 1: no column Action ID, Corrective")


@pytest.mark.parametrize(
    "data", [b"", b"Action ID,Status\nCA-1,open\n", b"PK\x03\x04 truncated zip"]
)
def test_a_file_that_is_not_xlsx_is_refused_clearly(service: SeriesService, data: bytes) -> None:
    with pytest.raises(UnreadableWorkbook, match=r"not an \.xlsx workbook"):
        service.import_xlsx("allied", data, ADMIN)


def test_players_may_neither_export_nor_import(service: SeriesService) -> None:
    player = Principal("invite:p", Role.PLAYER, "P", "team", "party")
    data = service.export_xlsx("allied", ADMIN)
    for attempt in (
        lambda: service.export_xlsx("allied", player),
        lambda: service.import_xlsx("allied", data, player),
    ):
        with pytest.raises(Rejected) as refused:
            attempt()
        assert refused.value.status == 403


def test_typed_text_stays_text_in_the_workbook(service: SeriesService) -> None:
    formula = '=HYPERLINK("http://example.invalid","click")'
    service.handle("allied", ic.AddAction("Bell\x07 in the issue", formula), ADMIN)
    (added,) = [a for a in service.state("allied", ADMIN).actions.values() if a.action == formula]
    assert added.issue == "Bell in the issue"  # control characters are dropped on the way in
    data = service.export_xlsx("allied", ADMIN)
    book = load_workbook(io.BytesIO(data))
    row = next(r for r in book.active.iter_rows(min_row=2) if r[5].value == formula)
    assert row[5].data_type == "s"  # a string cell, not a formula Excel would run
    assert row[4].value == "Bell in the issue"
    # And it comes back unchanged.
    assert service.import_xlsx("allied", data, ADMIN).events == 0
