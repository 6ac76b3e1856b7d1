"""The MSEL workbook sitroom writes: an HSEEP-style "MSEL" sheet and an "Exercise" sheet.

The MSEL sheet has one row per inject under a marking banner and a title; texts in the
exercise's other languages get their own columns ("Description/Script (ko)"). The Exercise
sheet lists the exercise, its parties, teams and modules, so that importing the workbook
again restores team names, module titles and languages exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sitroom.package.conditions import format_condition
from sitroom.package.marking import (
    banner,
    exercise_banner,
    highest,
    label_json,
    package_label,
    party_codes,
    render_banner,
)
from sitroom.package.model import (
    ID_PATTERN,
    TLP,
    Inject,
    Marking,
    Milestone,
    Module,
    Organisation,
    Package,
    Party,
    Team,
    TeamKind,
    text_in,
)
from sitroom.package.msel.choices import format_choice
from sitroom.package.timeforms import format_duration

EXERCISE_SHEET = "Exercise"
MSEL_SHEET = "MSEL"
EXERCISE_MARK = "sitroom exercise"
ALL_PLAYERS = "All players"

# fmt: off
COLUMNS: tuple[tuple[str, int], ...] = (
    ("MSEL #", 9), ("Module", 18), ("Scenario Time", 17), ("Offset", 9), ("From (Simulated)", 22),
    ("To", 24), ("Delivery Method", 13), ("Inject Type", 12), ("Subject", 30),
    ("Description/Script", 60), ("Expected Player Action", 42), ("Objectives", 14),
    ("Core Capabilities/Tasks", 20), ("Guideline Clauses", 16), ("Attachments", 18),
    ("Contingency For", 11), ("Trigger", 10), ("Condition", 36), ("Choice", 30),
    ("From Organisation", 16), ("Controller", 16),
    ("Marking", 20), ("Notes", 36),
)
# fmt: on
"""The MSEL sheet's columns and their widths."""

SECTIONS = ("Parties", "Teams", "Modules", "Milestones", "Organisations")
"""The sections of the Exercise sheet, each a title row, a header row and its rows."""
MILESTONE_COLUMNS = ("Milestone ID", "Trigger", "Condition", "Objectives", "Tasks")
ORGANISATION_COLUMNS = ("Organisation ID", "Kind", "Played By")

TRANSLATED = frozenset(
    {
        "Subject",
        "From (Simulated)",
        "Description/Script",
        "Expected Player Action",
        "Choice",
        "Notes",
    }
)
"""Columns repeated for each further language of the exercise."""


@dataclass
class ExerciseInfo:
    """What an Exercise sheet says: the exercise, its parties, teams and modules."""

    id: str | None = None
    title: dict[str, str] = field(default_factory=dict)
    languages: tuple[str, ...] = ()
    parties: list[Party] = field(default_factory=list)
    teams: list[Team] = field(default_factory=list)
    modules: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    milestones: list[Milestone] = field(default_factory=list)
    organisations: list[Organisation] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


# -- writing ---------------------------------------------------------------------------------


def _clean(text: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return str(ILLEGAL_CHARACTERS_RE.sub("", text))


def _lines(actions: Sequence[dict[str, str]], lang: str) -> str:
    return "\n".join(action.get(lang, "") for action in actions)


def _module_labels(package: Package) -> dict[str, str]:
    """What the Module column says for each module: its title, or its id when the title could
    be taken for another module's (the same text as another title or id, in any language)."""
    lang = package.exercise.languages[0]
    texts = [" ".join(t.split()) for m in package.modules for t in m.title.values()]
    ids = {m.id for m in package.modules}
    labels = {}
    for module in package.modules:
        label = " ".join(text_in(module.title, lang).split())
        unique = label and texts.count(label) == 1 and label not in ids
        labels[module.id] = label if unique and "\n" not in label else module.id
    return labels


def _scenario_cell(value: datetime | None) -> datetime | str | None:
    if value is None:
        return None
    if value.tzinfo is None and value.microsecond == 0:
        return value  # a real Excel date-time, so the sheet sorts and filters by it
    return value.isoformat()


def msel_header(languages: Sequence[str]) -> list[str]:
    """The MSEL sheet's header cells for an exercise in ``languages``."""
    header: list[str] = []
    for name, _ in COLUMNS:
        header.append(name)
        if name in TRANSLATED:
            header.extend(f"{name} ({lang})" for lang in languages[1:])
    return header


def _inject_row(package: Package, module_label: str, inject: Inject) -> list[Any]:
    languages = package.exercise.languages
    names = {t.id: text_in(t.name, languages[0]) for t in package.teams}
    codes = party_codes(package)
    values: dict[str, Any] = {
        "MSEL #": inject.number,
        "Module": module_label,
        "Scenario Time": _scenario_cell(inject.scenario_time),
        "Offset": format_duration(inject.offset) if inject.offset is not None else None,
        "To": "; ".join(names.get(t, t) for t in inject.to) if inject.to else ALL_PLAYERS,
        "Delivery Method": inject.delivery.value,
        "Inject Type": inject.type.value,
        "Objectives": "; ".join(inject.objectives) or None,
        "Core Capabilities/Tasks": "; ".join(inject.tasks) or None,
        "Guideline Clauses": "; ".join(inject.clauses) or None,
        "Attachments": "; ".join(a.path for a in inject.attachments) or None,
        "Contingency For": inject.contingency_for,
        "Trigger": inject.trigger.mode.value if inject.trigger else None,
        "Condition": format_condition(inject.trigger.when) if inject.trigger else None,
        "From Organisation": inject.from_organisation,
        "Controller": inject.controller,
        "Marking": banner(inject.marking, codes) if inject.marking else None,
    }
    texts: dict[str, Callable[[str], str | None]] = {
        "Subject": inject.title.get,
        "From (Simulated)": (inject.from_ or {}).get,
        "Description/Script": inject.content.get,
        "Expected Player Action": lambda lang: _lines(inject.expected_actions, lang),
        "Notes": (inject.notes or {}).get,
        "Choice": lambda lang: format_choice(inject.choice, lang) if inject.choice else None,
    }
    row: list[Any] = []
    for name, _ in COLUMNS:
        if name in texts:
            for lang in languages:
                text = texts[name](lang)
                row.append(_clean(text) if text and text.strip() else None)
        else:
            value = values[name]
            row.append(_clean(value) if isinstance(value, str) else value)
    return row


def write_msel(package: Package, path: Path) -> Path:
    """Write the package's MSEL workbook to ``path`` (an .xlsx file)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    languages = package.exercise.languages
    lang = languages[0]
    workbook = Workbook()
    _label_workbook(workbook, package)
    sheet = workbook.active
    sheet.title = MSEL_SHEET
    header = msel_header(languages)
    mark = exercise_banner(package.exercise.default_marking, package) + " · CONTROL STAFF ONLY"
    title = text_in(package.exercise.title, lang)
    sheet.append([_clean(mark)])
    sheet.append([_clean(f"{title} — Master Scenario Events List (MSEL)")])
    sheet.append(header)
    sheet["A1"].font = Font(bold=True, color="9C0006")
    sheet["A2"].font = Font(bold=True, size=14)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="D9E1F2")
    wrap = Alignment(wrap_text=True, vertical="top")
    widths = dict(COLUMNS)
    for index, name in enumerate(header, start=1):
        cell = sheet.cell(row=3, column=index)
        cell.font, cell.fill, cell.alignment = bold, fill, wrap
        base = name.rsplit(" (", 1)[0] if name not in widths else name
        sheet.column_dimensions[get_column_letter(index)].width = widths.get(base, 20)
    labels = _module_labels(package)
    time_column = header.index("Scenario Time") + 1
    row_number = 3
    for module in package.modules:
        for inject in module.injects:
            row_number += 1
            for index, value in enumerate(_inject_row(package, labels[module.id], inject), 1):
                if value is None:
                    continue
                cell = sheet.cell(row=row_number, column=index, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # text starting with '=' stays text, not a formula
                    if index != 1:
                        cell.alignment = wrap
                elif index == time_column:
                    cell.number_format = "yyyy-mm-dd hh:mm" + (":ss" if value.second else "")
    sheet.freeze_panes = "C4"
    sheet.auto_filter.ref = f"A3:{get_column_letter(len(header))}{max(row_number, 3)}"
    sheet.print_title_rows = "3:3"
    sheet.oddHeader.center.text = _clean(mark).replace("&", "&&")
    sheet.oddFooter.center.text = _clean(mark).replace("&", "&&")
    _write_exercise_sheet(workbook.create_sheet(EXERCISE_SHEET), package)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def organisation_rows(package: Package, others: list[str]) -> list[list[Any]]:
    """The Organisations section of the Exercise sheet (none when the package has none)."""
    if not package.organisations:
        return []
    languages = package.exercise.languages
    names = [f"Name {o}" for o in others]
    descriptions = [f"Description {o}" for o in others]
    rows: list[list[Any]] = [
        [],
        ["Organisations"],
        [*ORGANISATION_COLUMNS, "Name", *names, "Description", *descriptions],
    ]
    rows.extend(
        [
            o.id,
            o.kind.value,
            "; ".join(o.played_by) or None,
            *(o.name.get(lang) for lang in languages),
            *((o.description or {}).get(lang) for lang in languages),
        ]
        for o in package.organisations
    )
    return rows


def read_organisation(record: dict[str, str], languages: Sequence[str]) -> Organisation:
    """An organisation from its row of the Exercise sheet's Organisations section."""
    played = record.get("Played By", "")
    return Organisation(
        id=record.get("Organisation ID", ""),
        name=_names(record, "Name", languages),
        kind=record.get("Kind") or "other",
        description=_names(record, "Description", languages) or None,
        played_by=tuple(p.strip() for p in played.split(";") if p.strip()),
    )


def _write_exercise_sheet(sheet: Any, package: Package) -> None:
    from openpyxl.styles import Font

    exercise = package.exercise
    languages = exercise.languages
    others = [f"({lang})" for lang in languages[1:]]
    rows: list[list[Any]] = [[EXERCISE_MARK, "format 1"], ["Exercise ID", exercise.id]]
    rows.append(["Title", exercise.title.get(languages[0])])
    rows.extend([f"Title ({lang})", exercise.title.get(lang)] for lang in languages[1:])
    rows.append(["Languages", ", ".join(languages)])
    rows += [[], ["Parties"], ["Party ID", "Code", "Name", *(f"Name {o}" for o in others)]]
    rows.extend([p.id, p.code, *(p.name.get(lang) for lang in languages)] for p in package.parties)
    rows += [[], ["Teams"], ["Team ID", "Kind", "Party", "Name", *(f"Name {o}" for o in others)]]
    rows.extend(
        [t.id, t.kind.value, t.party, *(t.name.get(lang) for lang in languages)]
        for t in package.teams
    )
    rows += [[], ["Modules"], ["Module ID", "Title", *(f"Title {o}" for o in others)]]
    rows.extend([m.id, *(m.title.get(lang) for lang in languages)] for m in package.modules)
    if package.milestones:
        names = [f"Name {o}" for o in others]
        rows += [[], ["Milestones"], [*MILESTONE_COLUMNS, "Name", *names]]
        rows.extend(
            [
                m.id,
                m.trigger.mode.value if m.trigger else None,
                format_condition(m.trigger.when) if m.trigger else None,
                "; ".join(m.objectives) or None,
                "; ".join(m.tasks) or None,
                *(m.name.get(lang) for lang in languages),
            ]
            for m in package.milestones
        )
    rows += organisation_rows(package, others)
    for row in rows:
        sheet.append([_clean(v) if isinstance(v, str) else v for v in row])
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
            if cell.value in SECTIONS and cell.column == 1:
                cell.font = Font(bold=True)
    sheet["A1"].font = Font(italic=True, color="808080")
    for letter, width in zip("ABCDEF", (22, 28, 28, 28, 28, 28), strict=False):
        sheet.column_dimensions[letter].width = width


# -- reading ---------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def is_exercise_sheet(rows: Sequence[Sequence[Any]]) -> bool:
    """True when the rows are an Exercise sheet written by :func:`write_msel`."""
    return bool(rows and rows[0] and _text(rows[0][0]).lower() == EXERCISE_MARK)


def read_exercise_sheet(rows: Sequence[Sequence[Any]]) -> ExerciseInfo:
    """What an Exercise sheet says; entries that do not fit the model are reported, not used."""
    info = ExerciseInfo()
    section: str | None = None
    header: list[str] = []
    for number, raw in enumerate(rows, start=1):
        cells = [_text(v) for v in raw]
        first = cells[0] if cells else ""
        if not any(cells):
            section, header = None, []
            continue
        if first in SECTIONS and not any(cells[1:]):
            section, header = first, []
            continue
        if section and not header:
            header = cells
            continue
        if section is None:
            _read_setting(info, first, cells[1] if len(cells) > 1 else "")
            continue
        record = dict(zip(header, cells, strict=False))
        try:
            _read_entry(info, section, record)
        except (ValidationError, ValueError) as exc:
            info.problems.append(f"row {number}: {section.lower()[:-1]} not read: {exc}")
    if not info.languages:
        info.languages = ("en",)
    if "" in info.title:
        info.title[info.languages[0]] = info.title.pop("")
    return info


def _names(record: dict[str, str], key: str, languages: Sequence[str]) -> dict[str, str]:
    names = {languages[0]: record.get(key, "")}
    names.update({lang: record.get(f"{key} ({lang})", "") for lang in languages[1:]})
    return {lang: text for lang, text in names.items() if text}


def _read_setting(info: ExerciseInfo, key: str, value: str) -> None:
    if key == "Exercise ID" and re.fullmatch(ID_PATTERN, value):
        info.id = value
    elif key == "Languages":
        codes = tuple(c.strip() for c in value.split(",") if c.strip())
        if codes and all(re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*", c) for c in codes):
            info.languages = tuple(dict.fromkeys(codes))
    elif key.startswith("Title") and value:
        match = re.fullmatch(r"Title(?: \((.+)\))?", key)
        if match:
            info.title[match[1] or ""] = value


def _read_entry(info: ExerciseInfo, section: str, record: dict[str, str]) -> None:
    languages = info.languages or ("en",)
    if section == "Parties":
        info.parties.append(
            Party(
                id=record.get("Party ID", ""),
                code=record.get("Code", ""),
                name=_names(record, "Name", languages),
            )
        )
    elif section == "Teams":
        info.teams.append(
            Team(
                id=record.get("Team ID", ""),
                kind=TeamKind(record.get("Kind") or "players"),
                party=record.get("Party") or None,
                name=_names(record, "Name", languages),
            )
        )
    elif section == "Organisations":
        info.organisations.append(read_organisation(record, languages))
    elif section == "Milestones":
        condition = record.get("Condition", "")
        mode = record.get("Trigger") or "proposes"
        info.milestones.append(
            Milestone(
                id=record.get("Milestone ID", ""),
                name=_names(record, "Name", languages),
                objectives=tuple(
                    i.strip() for i in record.get("Objectives", "").split(";") if i.strip()
                ),
                tasks=tuple(i.strip() for i in record.get("Tasks", "").split(";") if i.strip()),
                trigger={"when": condition, "mode": mode} if condition else None,
            )
        )
    else:
        module_id = record.get("Module ID", "")
        title = _names(record, "Title", languages) or {languages[0]: module_id}
        Module(id=module_id, title=title)  # checks the id
        info.modules.append((module_id, title))


def parse_marking(text: str, parties: Sequence[Party]) -> Marking | None:
    """Read back a marking banner such as 'SECRET//REL TO ALD, BRV · TLP:AMBER'."""
    by_code = {p.code: p.id for p in parties}
    classification = caveat = None
    tlp: TLP | None = None
    releasable: list[str] = []
    for part in (p.strip() for p in text.split("·")):
        if part.upper().startswith("TLP:"):
            try:
                tlp = TLP(part[4:].strip().upper())
            except ValueError:
                return None
            continue
        pieces = [p.strip() for p in part.split("//")]
        caveats = []
        for index, piece in enumerate(pieces):
            if piece.upper().startswith("REL TO"):
                codes = [c.strip() for c in piece[6:].split(",") if c.strip()]
                if not all(c in by_code for c in codes):
                    return None
                releasable.extend(by_code[c] for c in codes)
            elif index == 0:
                classification = piece or None
            else:
                caveats.append(piece)
        caveat = "//".join(caveats) or None
    if classification == "UNMARKED":
        classification = None
    try:
        return Marking(
            classification=classification, tlp=tlp, caveat=caveat, releasable_to=tuple(releasable)
        )
    except ValidationError:
        return None


MSEL_LABEL_PROPERTY = "sitroom-label"
"""The workbook's custom document property holding its confidentiality label (JSON)."""


def _label_workbook(workbook: Any, package: Package) -> None:
    """Give the workbook the label of its most protected row (``package.marking``), as a
    custom document property a machine reads without opening a sheet."""
    from openpyxl.packaging.custom import StringProperty

    markings = [package.exercise.default_marking]
    markings += [package.marking_of(i) for m in package.modules for i in m.injects]
    top = highest(markings, package.exercise.marking_scheme)
    found = package_label(top, package)
    workbook.custom_doc_props.append(
        StringProperty(name=MSEL_LABEL_PROPERTY, value=label_json(found))
    )
    workbook.custom_doc_props.append(
        StringProperty(name="sitroom-banner", value=render_banner(found))
    )
