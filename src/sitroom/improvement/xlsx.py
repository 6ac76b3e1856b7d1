"""Corrective actions as an .xlsx workbook: the form agencies exchange.

``export_actions`` writes one sheet, ``Corrective Actions``, with the columns of ``COLUMNS``.
``plan_import`` reads a workbook back into commands: rows are matched by Action ID (changed
fields become edit and status commands, in row order); rows without an ID become new actions.
Every problem names the sheet, row and column and what is accepted, and the commands are
checked against the rules on a copy of the state, so nothing is applied when any row is bad.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from sitroom.conduct.principal import Principal
from sitroom.conduct.run import CAPABILITY_ELEMENTS, Rejected
from sitroom.improvement import commands as cmd
from sitroom.improvement import events as ev
from sitroom.improvement.rules import decide
from sitroom.improvement.state import STATUSES, Recorded, SeriesState, Status, apply

SHEET = "Corrective Actions"
COLUMNS = (
    "Action ID",
    "Series",
    "Edition",
    "Core Capability",
    "Issue/Area for Improvement",
    "Corrective Action",
    "Capability Element",
    "Primary Responsible Organization",
    "Organization POC",
    "Start Date",
    "Due Date",
    "Status",
    "Last Updated",
    "Source Run",
)
SYNONYMS = {
    "id": "Action ID",
    "action id": "Action ID",
    "corrective action id": "Action ID",
    "capability": "Core Capability",
    "issue": "Issue/Area for Improvement",
    "area for improvement": "Issue/Area for Improvement",
    "issue / area for improvement": "Issue/Area for Improvement",
    "action": "Corrective Action",
    "element": "Capability Element",
    "organization": "Primary Responsible Organization",
    "organisation": "Primary Responsible Organization",
    "primary responsible organisation": "Primary Responsible Organization",
    "responsible organization": "Primary Responsible Organization",
    "owner": "Primary Responsible Organization",
    "poc": "Organization POC",
    "organisation poc": "Organization POC",
    "point of contact": "Organization POC",
    "start": "Start Date",
    "due": "Due Date",
    "completion date": "Due Date",
    "due date": "Due Date",
}
FIELDS = {
    "Corrective Action": "action",
    "Issue/Area for Improvement": "issue",
    "Capability Element": "element",
    "Primary Responsible Organization": "organisation",
    "Organization POC": "poc",
    "Start Date": "start",
    "Due Date": "due",
}
"""Columns an import may change, and the action field each one sets."""
DATES = ("Start Date", "Due Date")
PATH_TO = {
    (Status.OPEN, Status.DONE): (Status.IN_PROGRESS, Status.DONE),
    (Status.OPEN, Status.VERIFIED): (Status.IN_PROGRESS, Status.DONE, Status.VERIFIED),
    (Status.IN_PROGRESS, Status.VERIFIED): (Status.DONE, Status.VERIFIED),
}
"""A sheet says where an action is now; these are the steps that get it there."""
MAX_ROWS = 5_000


def _as_cell(value: str) -> str:
    """Text as a cell may hold it: the control characters XML 1.0 forbids are dropped."""
    cleaned: str = ILLEGAL_CHARACTERS_RE.sub("", value or "")
    return cleaned


def export_actions(state: SeriesState) -> bytes:
    """The series' actions as an .xlsx workbook (bytes)."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for number, a in enumerate(state.actions.values(), start=2):
        values = (
            _as_cell(a.id),
            _as_cell(a.series),
            _as_cell(a.edition),
            _as_cell(a.capability_name or a.capability),
            _as_cell(a.issue),
            _as_cell(a.action),
            _as_cell(a.element),
            _as_cell(a.organisation),
            _as_cell(a.poc),
            date.fromisoformat(a.start) if a.start else None,
            date.fromisoformat(a.due) if a.due else None,
            a.status.value,
            a.updated_at.replace(tzinfo=None),
            _as_cell(a.source_run),
        )
        for index, value in enumerate(values, start=1):
            cell = sheet.cell(row=number, column=index, value=value)
            if isinstance(value, str):
                # Typed text is text: "=HYPERLINK(…)" must not become a formula in Excel.
                cell.data_type = "s"
    last = max(sheet.max_row, 2)
    for column, fmt in (("J", "yyyy-mm-dd"), ("K", "yyyy-mm-dd"), ("M", "yyyy-mm-dd hh:mm")):
        for row in range(2, last + 1):
            sheet[f"{column}{row}"].number_format = fmt
    statuses = DataValidation(type="list", formula1='"' + ",".join(STATUSES) + '"')
    statuses.error = "Status is one of " + ", ".join(STATUSES)
    elements = DataValidation(type="list", formula1='"' + ",".join(CAPABILITY_ELEMENTS) + '"')
    elements.error = "Capability Element is one of " + ", ".join(CAPABILITY_ELEMENTS)
    sheet.add_data_validation(statuses)
    sheet.add_data_validation(elements)
    statuses.add(f"L2:L{last + 500}")
    elements.add(f"G2:G{last + 500}")
    for column, width in zip(
        "ABCDEFGHIJKLMN", (14, 16, 9, 28, 40, 40, 14, 30, 22, 12, 12, 12, 17, 24), strict=True
    ):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@dataclass
class Plan:
    """What an import would do: commands in row order, or the problems that stop it."""

    commands: list[tuple[int, cmd.Command]] = field(default_factory=list)
    events: list[ev.Event] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class UnreadableWorkbook(ValueError):
    """The file is not an .xlsx workbook sitroom can read."""


def _header(value: object) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split()).strip()
    for column in COLUMNS:
        if column.lower() == text.lower():
            return column
    return SYNONYMS.get(text.lower())


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _cell_date(value: object) -> str:
    """A date cell as YYYY-MM-DD; raises ValueError with what is accepted."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError(f"'{text}' is not a date; use an Excel date or YYYY-MM-DD") from None


def plan_import(state: SeriesState, data: bytes, principal: Principal, now: datetime) -> Plan:
    """Read a workbook into commands for ``state`` and check them; see the module docstring.

    Each row is checked on ``state`` with the rows before it applied, in place: hand it a
    state of its own (a fresh fold of the series), not one that is used afterwards.
    """
    try:
        book = load_workbook(io.BytesIO(data), data_only=True, read_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise UnreadableWorkbook(
            f"not an .xlsx workbook (save it from Excel as .xlsx): {error}"
        ) from None
    try:
        sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
        rows = list(sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 1))
        name = sheet.title
    finally:
        book.close()
    plan = Plan()
    if not rows:
        plan.problems.append(f"sheet {name!r}: empty; the first row must name the columns")
        return plan
    columns: dict[str, int] = {}
    for index, value in enumerate(rows[0]):
        column = _header(value)
        if column is not None and column not in columns:
            columns[column] = index
    missing = [c for c in ("Action ID", "Corrective Action", "Status") if c not in columns]
    if missing:
        plan.problems.append(
            f"sheet {name!r}, row 1: no column {', '.join(missing)}; the columns are "
            + ", ".join(COLUMNS)
        )
        return plan
    if len(rows) > MAX_ROWS:
        plan.problems.append(f"sheet {name!r}: more than {MAX_ROWS:,} rows")
        return plan
    work = state
    for number, row in enumerate(rows[1:], start=2):
        cells = {c: row[i] if i < len(row) else None for c, i in columns.items()}
        if all(_cell_text(v) == "" for v in cells.values()):
            continue
        where = f"sheet {name!r}, row {number}"
        new_id = ""
        for command, column in _row(work, cells, where, plan.problems):
            if isinstance(command, cmd.ChangeStatus) and not command.id:
                command = dataclasses.replace(command, id=new_id)  # the action this row added
            try:
                events = decide(work, command, principal, now)
            except Rejected as error:
                plan.problems.append(f"{where}, {column}: {error.message}")
                break
            for event in events:
                apply(work, Recorded(work.seq + 1, now, event, principal.id))
                if isinstance(event, ev.ActionOpened):
                    new_id = event.id
            plan.commands.append((number, command))
            plan.events.extend(events)
    if plan.problems:
        plan.commands.clear()
        plan.events.clear()
    return plan


def _row(
    work: SeriesState, cells: dict[str, object], where: str, problems: list[str]
) -> list[tuple[cmd.Command, str]]:
    values: dict[str, str] = {}
    bad = False
    for column in FIELDS:
        if column not in cells:
            continue
        if column in DATES:
            try:
                values[column] = _cell_date(cells[column])
            except ValueError as error:
                problems.append(f"{where}, {column}: {error}")
                bad = True
        else:
            values[column] = _cell_text(cells[column])
    element = values.get("Capability Element", "")
    if element and element.lower() not in (e.lower() for e in CAPABILITY_ELEMENTS):
        problems.append(
            f"{where}, Capability Element: '{element}' is not one of "
            + ", ".join(CAPABILITY_ELEMENTS)
        )
        bad = True
    status = _cell_text(cells.get("Status")).lower()
    if status and status not in STATUSES:
        problems.append(
            f"{where}, Status: '{_cell_text(cells.get('Status'))}' is not one of "
            + ", ".join(STATUSES)
        )
        bad = True
    series = _cell_text(cells.get("Series"))
    if series and series != work.id:
        problems.append(f"{where}, Series: '{series}' is not this series ({work.id})")
        bad = True
    action_id = _cell_text(cells.get("Action ID"))
    existing = work.actions.get(action_id) if action_id else None
    if action_id and existing is None:
        problems.append(
            f"{where}, Action ID: series {work.id} has no action '{action_id}';"
            " leave the ID empty to add a new action"
        )
        bad = True
    if bad:
        return []
    out: list[tuple[cmd.Command, str]] = []
    if existing is None:
        capability = _cell_text(cells.get("Core Capability"))
        known = {v.lower(): k for k, v in work.capability_names.items()}
        capability_id = (
            capability if capability in work.capability_names else known.get(capability.lower(), "")
        )
        out.append(
            (
                cmd.AddAction(
                    issue=values.get("Issue/Area for Improvement", ""),
                    action=values.get("Corrective Action", ""),
                    capability=capability_id,
                    capability_name="" if capability_id else capability,
                    element=element,
                    organisation=values.get("Primary Responsible Organization", ""),
                    poc=values.get("Organization POC", ""),
                    start=values.get("Start Date", ""),
                    due=values.get("Due Date", ""),
                    edition=_cell_text(cells.get("Edition")),
                ),
                "Corrective Action",
            )
        )
        if status and status != Status.OPEN:
            # The id is given once the action is added (an empty id stands for it).
            for step in PATH_TO.get((Status.OPEN, Status(status)), (Status(status),)):
                out.append((cmd.ChangeStatus("", step.value, "spreadsheet import"), "Status"))
        return out
    changes = {
        FIELDS[c]: v
        for c, v in values.items()
        if getattr(existing, FIELDS[c])
        != (_canonical_element(v) if c == "Capability Element" else v)
    }
    if changes:
        out.append((cmd.EditAction(existing.id, **changes), _column_of(changes)))
    if status and status != existing.status:
        for step in PATH_TO.get((existing.status, Status(status)), (Status(status),)):
            out.append((cmd.ChangeStatus(existing.id, step.value, "spreadsheet import"), "Status"))
    return out


def _canonical_element(value: str) -> str:
    return next((e for e in CAPABILITY_ELEMENTS if e.lower() == value.lower()), value)


def _column_of(changes: dict[str, str]) -> str:
    by_field = {v: k for k, v in FIELDS.items()}
    return ", ".join(by_field[f] for f in changes)
