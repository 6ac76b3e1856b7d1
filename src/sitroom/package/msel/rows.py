"""Rows of an MSEL sheet turned into injects, teams and modules.

Each row under the header is a blank row, a section title (see ``mselsections``) or an
inject. Injects are grouped into modules by the phase / module / day column when there is
one, else by "Day 2"-style section titles, else into one module. Every row not imported is
listed with its reason, and every cell that maps to no field is kept in the inject's notes
as "Header: value".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from sitroom.package.conditions import ConditionSyntaxError, parse_condition
from sitroom.package.model import Inject, Module, Team
from sitroom.package.msel.cells import (
    action_lines,
    actions,
    at,
    cell_text,
    clean_number,
    delivery_method,
    first_line,
    id_list,
    inject_type,
    next_free_number,
    ref_list,
)
from sitroom.package.msel.choices import FORM as CHOICE_FORM
from sitroom.package.msel.choices import ChoiceCellError, parse_choice
from sitroom.package.msel.headers import Column, normalize_header
from sitroom.package.msel.sections import (
    Merge,
    apply_merges,
    first_label,
    heading,
    repeats_header,
    row_kind,
)
from sitroom.package.msel.teams import Recipients, slugify, unique_id
from sitroom.package.msel.times import TIME_CELL_FORMS, RowTime, TimeParts, combine, read_time_cell
from sitroom.package.msel.workbook import ExerciseInfo, parse_marking
from sitroom.package.problems import Problem, Severity
from sitroom.package.timeforms import parse_duration

_TIME_ROLES = (("time", "time"), ("date", "date"), ("day", "day"))
_SKIPPED_FIELDS = frozenset(
    {"title", "content", "number", "ignore", "phase", "notes", "condition", "trigger", "choice"}
)


@dataclass
class Context:
    """What the rows are read with: where they are, languages, year, workbook facts."""

    file: str
    sheet: str | None
    languages: tuple[str, ...]
    year: int
    epoch: datetime
    info: ExerciseInfo | None = None
    progress: Callable[[int], None] | None = None
    module_label: str = "MSEL"
    """The title of the module for rows no phase column or section title places (the sheet's
    name when a workbook keeps its MSEL a sheet per day)."""
    recipients: Recipients | None = None
    """Teams met so far (shared by the sheets of one workbook, so a name is one team)."""
    taken: set[str] = field(default_factory=set)
    """Module ids used so far (shared by the sheets of one workbook)."""


@dataclass
class Conversion:
    """The injects (in modules), teams, skipped rows and problems made from the rows."""

    modules: list[Module] = field(default_factory=list)
    teams: list[Team] = field(default_factory=list)
    imported: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    yearless_rows: list[int] = field(default_factory=list)


@dataclass
class _Draft:
    """An inject read from a row, before its number, module and offset are settled."""

    row: int
    group: str
    number: str
    number_column: Column | None
    data: dict[str, Any]
    time: RowTime


class _Converter:
    def __init__(self, rows: list[list[Any]], header: int, columns: list[Column], ctx: Context):
        self.rows, self.header, self.columns, self.ctx = rows, header, columns, ctx
        self.lang = ctx.languages[0]
        self.out = Conversion()
        self.by_field: dict[str, list[Column]] = {}
        for column in columns:
            self.by_field.setdefault(column.field, []).append(column)
        self.group_field = next((f for f in ("phase", "day") if f in self.by_field), None)
        self.recipients = ctx.recipients or Recipients(
            ctx.info.teams if ctx.info else [], self.lang
        )
        # The first notes column of each language holds the notes as written; further ones
        # add "Header: value" lines like unmapped columns do.
        self.main_notes: dict[str, int] = {}
        for column in self.by_field.get("notes", []):
            if column.how not in ("unmapped", "duplicate"):
                self.main_notes.setdefault(column.lang or self.lang, column.index)

    def problem(
        self,
        row: int,
        code: str,
        message: str,
        column: Column | None = None,
        hint: str = "",
        *,
        error: bool = False,
    ) -> None:
        self.out.problems.append(
            Problem(
                code,
                message,
                file=self.ctx.file,
                sheet=self.ctx.sheet,
                row=row,
                field=column.header if column else None,
                hint=hint,
                severity=Severity.ERROR if error else Severity.WARNING,
            )
        )

    def run(self, merges: Sequence[Merge]) -> Conversion:
        banners = apply_merges(self.rows, self.header, len(self.columns), merges)
        header = [normalize_header(cell_text(v)) for v in self.rows[self.header]]
        keys = {c.index for name in ("number", "title") for c in self.by_field.get(name, [])}
        drafts: list[_Draft] = []
        section, last_group = "", ""
        headings: list[str] = []
        for index in range(self.header + 1, len(self.rows)):
            done = index - self.header
            if self.ctx.progress and done % 200 == 0:
                self.ctx.progress(done)
            row, number = self.rows[index], index + 1
            reason = row_kind(row, banners.get(index), keys, len(self.columns))
            if reason is None and repeats_header(row, header):
                reason = "the header row again"
            if reason:
                self.out.skipped.append((number, reason))
                found = heading(row) if reason.startswith("section title") else None
                if found and banners.get(index) != "":
                    headings.append(found[0])
                    section = found[1]
                continue
            draft = self.read_row(number, row, section if not self.group_field else last_group)
            if draft is not None:
                last_group = draft.group
                drafts.append(draft)
        self.settle_numbers(drafts)
        self.out.modules = self.modules(drafts, headings)
        self.out.teams = self.recipients.teams()
        self.out.problems.sort(key=lambda p: p.row or 0)
        return self.out

    # -- one row -------------------------------------------------------------------------
    def values(self, row: list[Any], name: str) -> list[tuple[Column, Any]]:
        return [(c, at(row, c.index)) for c in self.by_field.get(name, [])]

    def text(self, row: list[Any], name: str) -> tuple[str, Column | None]:
        """The first non-translated column of a field: its text and the column."""
        for column, value in self.values(row, name):
            if column.lang is None or column.lang == self.lang:
                return cell_text(value), column
        return "", None

    def texts(self, row: list[Any], name: str) -> dict[str, str]:
        """A text field in every language it is written in (first matching column wins)."""
        result: dict[str, str] = {}
        for column, value in self.values(row, name):
            text = cell_text(value)
            lang = column.lang or self.lang
            if name == "notes" and self.main_notes.get(lang) != column.index:
                continue
            if text:
                result.setdefault(lang, text)
        return result

    def read_row(self, number: int, row: list[Any], group: str) -> _Draft | None:
        title, content = self.texts(row, "title"), self.texts(row, "content")
        if not title and not content:
            found = self.other_text(row)
            if found is None:
                self.problem(
                    number,
                    "no-text",
                    f"row {number} has neither a title nor a description; it was not imported",
                    hint="give the inject a subject or a description, or clear the row",
                    error=True,
                )
                self.out.skipped.append((number, "no title or description"))
                return None
            column, text = found
            title, content = {self.lang: first_line(text)}, {self.lang: text}
            self.problem(
                number,
                "title-from-other-column",
                f"row {number} has neither a title nor a description; the text of column "
                f"'{column.header}' was used as both",
                column,
                "players see an inject's title and description when it is released: check "
                "this text, or write a subject and a description",
            )
        if self.group_field:
            group = self.text(row, self.group_field)[0] or group
        data: dict[str, Any] = {
            "title": title or {lang: first_line(text) for lang, text in content.items()},
            "content": content or dict(title),
        }
        row_time, time_notes = self.read_time(number, row)
        if row_time.yearless:
            self.out.yearless_rows.append(number)
        if row_time.scenario_time is not None:
            data["scenario_time"] = row_time.scenario_time
        if row_time.offset is not None:
            data["offset"] = row_time.offset
        lines = self.fill(row, data, time_notes)
        self.read_trigger(number, row, data, lines)
        self.read_choice(number, row, data, lines)
        notes = self.texts(row, "notes")
        main = "\n".join(part for part in (notes.get(self.lang, ""), *lines) if part)
        notes = {**notes, self.lang: main}
        data["notes"] = {lang: text for lang, text in notes.items() if text} or None
        raw_number, number_column = self.text(row, "number")
        return _Draft(number, group, raw_number, number_column, data, row_time)

    def read_trigger(
        self, number: int, row: list[Any], data: dict[str, Any], lines: list[str]
    ) -> None:
        """The Condition and Trigger columns; a condition that does not parse goes to the notes
        (with a warning naming the row and what is wrong), never away."""
        condition, condition_column = self.text(row, "condition")
        mode, mode_column = self.text(row, "trigger")
        if mode and mode.strip().lower() not in ("fires", "proposes"):
            lines.append(f"{mode_column.header if mode_column else 'Trigger'}: {mode}")
            self.problem(
                number, "trigger-not-read", f"row {number}: trigger '{mode}' is neither "
                "'fires' nor 'proposes'; kept in the notes", mode_column,
                "write 'fires' (release by itself) or 'proposes' (ask control first)",
            )  # fmt: skip
            mode = ""
        if not condition:
            return
        try:
            parse_condition(condition)
        except ConditionSyntaxError as error:
            lines.append(
                f"{condition_column.header if condition_column else 'Condition'}: {condition}"
            )
            self.problem(
                number, "condition-not-read", f"row {number}: condition '{condition}' was kept in "
                f"the notes: {error}", condition_column,
                "write it in sitroom's condition syntax, e.g. not-answered(2.3, within=30m)",
            )  # fmt: skip
            return
        data["trigger"] = {"when": condition.strip(), "mode": (mode or "proposes").strip().lower()}

    def read_choice(
        self, number: int, row: list[Any], data: dict[str, Any], lines: list[str]
    ) -> None:
        """The Choice columns; a choice that does not read goes to the notes (with a warning
        naming the row, the language and the line), never away."""
        texts = self.texts(row, "choice")
        if not texts:
            return
        try:
            data["choice"] = parse_choice(
                texts, self.lang if self.lang in texts else next(iter(texts))
            )
        except ChoiceCellError as error:
            column = next((c for c, v in self.values(row, "choice") if cell_text(v)), None)
            lines.extend(f"Choice ({lang}): {text}" for lang, text in texts.items())
            self.problem(
                number, "choice-not-read", f"row {number}: the choice was kept in the notes: "
                f"{error}", column, f"write {CHOICE_FORM}",
            )  # fmt: skip

    def other_text(self, row: list[Any]) -> tuple[Column, str] | None:
        """For an inject row (numbered or timed) without a title or description: the first text
        in a storyline, notes or unrecognised column, else in the expected actions."""
        numbered = bool(self.text(row, "number")[0])
        timed = any(
            value is not None
            for name in ("time", "date", "day", "offset")
            for _, value in self.values(row, name)
        )
        if not numbered and not timed:
            return None
        order = {"storyline": 0, "notes": 1, "expected": 2}
        columns = sorted(
            (c for c in self.columns if c.field in order and c.lang in (None, self.lang)),
            key=lambda c: (order[c.field], c.index),
        )
        for column in columns:
            text = cell_text(at(row, column.index))
            if text:
                return column, text
        return None

    def read_time(self, number: int, row: list[Any]) -> tuple[RowTime, set[int]]:
        """The row's time, and the columns whose text goes to the notes (not kept exactly)."""
        parts: list[TimeParts] = []
        written: set[int] = set()
        exact = True
        for name, role in _TIME_ROLES:
            for column, value in self.values(row, name):
                if value is None:
                    continue
                written.add(column.index)
                read = read_time_cell(value, role=role, year=self.ctx.year, epoch=self.ctx.epoch)
                if read is None:
                    exact = False
                    self.problem(
                        number,
                        "bad-time",
                        f"cannot read the time '{cell_text(value)}'; the text is kept in the notes",
                        column,
                        f"write {TIME_CELL_FORMS}",
                    )
                else:
                    parts.append(read)
        row_time = combine(parts)
        for column, value in self.values(row, "offset"):
            if value is None:
                continue
            try:
                offset = value if isinstance(value, timedelta) else parse_duration(cell_text(value))
            except ValueError:
                written.add(column.index)
                exact = False
                self.problem(
                    number,
                    "bad-offset",
                    f"cannot read the offset '{cell_text(value)}'",
                    column,
                    "write '30m', '1h15m' or '01:30'",
                )
                continue
            row_time = RowTime(
                row_time.scenario_time, row_time.relative, offset, row_time.exact, row_time.yearless
            )
        if exact and row_time.exact:
            return row_time, set()
        if self.group_field == "day":  # the day is the module's title already
            written -= {c.index for c in self.by_field["day"]}
        return row_time, written

    def fill(self, row: list[Any], data: dict[str, Any], time_notes: set[int]) -> list[str]:
        """Set the inject's other fields from the row; return its note lines, in column order."""
        lines: list[str] = []
        expected: dict[str, list[str]] = {}
        info = self.ctx.info
        for column in self.columns:
            value = at(row, column.index)
            text = cell_text(value)
            name = column.field
            if not text:
                continue
            if column.index in time_notes or (
                name == "notes" and column.index not in self.main_notes.values()
            ):
                lines.append(f"{column.header}: {text}")
            elif name in _SKIPPED_FIELDS:
                continue
            elif name == "expected":
                expected.setdefault(column.lang or self.lang, action_lines(value))
            elif name == "to":
                data["to"] = self.recipients.resolve(text)
            elif name == "from":  # the sender, in each language it is written in
                data.setdefault("from", {}).setdefault(column.lang or self.lang, text)
            elif name == "controller":
                data[name] = text
            elif name in ("delivery", "type"):
                reader = delivery_method if name == "delivery" else inject_type
                data[name], exact = reader(text)
                if not exact:
                    lines.append(f"{column.header}: {text}")
            elif name in ("objective", "capability") and info and id_list(text):
                data["objectives" if name == "objective" else "tasks"] = id_list(text)
            elif name == "marking" and info and (marking := parse_marking(text, info.parties)):
                data["marking"] = marking
            elif name == "clauses" and info and (refs := ref_list(text)):
                data["clauses"] = refs
            elif name == "attachments" and info and (paths := ref_list(text)):
                data["attachments"] = tuple({"path": path} for path in paths)
            elif name == "contingency_for" and info and id_list(text)[:1] == (text.strip(),):
                data["contingency_for"] = text.strip()
            elif name == "from_organisation" and info and id_list(text)[:1] == (text.strip(),):
                data["from_organisation"] = text.strip()
            elif name not in ("time", "date", "day", "offset"):
                lines.append(f"{column.header}: {text}")
        if expected:
            data["expected_actions"] = actions(expected)
        return lines

    # -- numbers, modules, injects ---------------------------------------------------------
    def settle_numbers(self, drafts: list[_Draft]) -> None:
        """Keep numbers as written; rename duplicates; number the rows that have none."""
        used: dict[str, int] = {}
        missing: list[_Draft] = []
        for draft in drafts:
            raw, clean = draft.number, clean_number(draft.number)
            if raw and clean != raw:
                self.problem(
                    draft.row,
                    "number-changed",
                    f"MSEL number '{raw}' was written as '{clean}'"
                    if clean
                    else f"MSEL number '{raw}' cannot be used",
                    draft.number_column,
                    "numbers use letters, digits, '.', '-' and '_'",
                )
            if not clean:
                missing.append(draft)
                continue
            if clean in used:
                renamed = next_free_number(clean, used)
                self.problem(
                    draft.row,
                    "duplicate-number",
                    f"MSEL number '{clean}' is used on "
                    f"rows {used[clean]} and {draft.row}; the inject on row {draft.row} "
                    f"was numbered '{renamed}'",
                    draft.number_column,
                    "give every inject its own number",
                )
                clean = renamed
            used[clean] = draft.row
            draft.number = clean
        following = max((int(n) for n in used if n.isdigit()), default=0) + 1
        for draft in missing:
            while str(following) in used:
                following += 1
            draft.number = str(following)
            used[draft.number] = draft.row
            self.problem(
                draft.row,
                "no-number",
                f"row {draft.row} has no MSEL number; it was numbered {draft.number}",
                draft.number_column,
            )

    def modules(self, drafts: list[_Draft], headings: list[str]) -> list[Module]:
        known = dict(self.ctx.info.modules) if self.ctx.info else {}
        groups: dict[str, tuple[dict[str, str], list[_Draft]]] = {
            m_id: (title, []) for m_id, title in known.items()
        }
        taken = self.ctx.taken
        taken.update(groups)
        module_of: dict[str, str] = {}
        for draft in drafts:
            key = " ".join(draft.group.split())
            key = key if known else key.casefold()  # sitroom's own workbook: exact names
            if key not in module_of:
                m_id, title = self.module_for(draft.group, known, taken, headings)
                module_of[key] = m_id
                groups.setdefault(m_id, (title, []))
            groups[module_of[key]][1].append(draft)
        result = []
        for m_id, (title, members) in groups.items():
            injects = self.injects(members)
            self.out.imported += len(injects)
            if injects or m_id in known:
                result.append(Module(id=m_id, title=title, injects=tuple(injects)))
        return result

    def module_for(
        self, group: str, known: dict[str, dict[str, str]], taken: set[str], headings: list[str]
    ) -> tuple[str, dict[str, str]]:
        """The module id and title for a group value (a phase, a day, a section title)."""
        if group in known:
            return group, known[group]
        for m_id, title in known.items():
            if group in title.values():
                return m_id, title
        if not group:
            label = (not self.group_field and first_label(headings)) or self.ctx.module_label
            return unique_id(slugify(label, "msel"), taken), {self.lang: label}
        found = heading([group]) if not self.group_field else None
        label = group
        if self.group_field and re.fullmatch(r"\d{1,3}|[IVXLC]{1,6}", group):
            # A bare "2" under a "Phase" column is "Phase 2".
            word = re.sub(r"[^\w\s]", "", self.by_field[self.group_field][0].header).strip()
            label = f"{word} {group}" if word else group
        base = slugify(found[0] if found else label, "module")
        return unique_id(base, taken), {self.lang: label}

    def injects(self, drafts: list[_Draft]) -> list[Inject]:
        """The module's injects; clock times become offsets from the module's earliest."""
        relatives = [d.time.relative for d in drafts if d.time.relative is not None]
        start = min(relatives, default=timedelta())
        result = []
        for draft in drafts:
            data = dict(draft.data, number=draft.number)
            if draft.time.relative is not None and "offset" not in data:
                data["offset"] = draft.time.relative - start
            try:
                result.append(Inject.model_validate(data, context={"default_language": self.lang}))
            except ValidationError as exc:
                detail = "; ".join(
                    f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
                )
                self.problem(
                    draft.row,
                    "invalid-inject",
                    f"row {draft.row} cannot be an inject: {detail}",
                    error=True,
                )
                self.out.skipped.append((draft.row, "invalid values"))
        return result


def convert(
    rows: list[list[Any]], header: int, columns: list[Column], merges: Sequence[Merge], ctx: Context
) -> Conversion:
    """Turn the rows under ``header`` (0-based) into modules of injects and player teams."""
    return _Converter(rows, header, columns, ctx).run(merges)
