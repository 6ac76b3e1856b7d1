"""What the After-Action Report page shows: the AAR chosen, its findings and their forms.

The page is a projection of a ``Report`` (built by ``sitroom.reports``); this module only
arranges it for the template and turns the posted finding form into a ``SaveFinding``. A form
that was refused comes back with what was typed, the reason beside the field it is about.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.datastructures import FormData

from sitroom.conduct import commands as cmd
from sitroom.conduct.run import CAPABILITY_ELEMENTS, Rejected
from sitroom.package.model import Package
from sitroom.reports.model import CapabilityResult, FindingItem, Report, ReportModel
from sitroom.web.forms import choices, new_key, text, wall_datetime, zone
from sitroom.web.render import N_

ROW_FIELDS = ("action", "element", "organisation", "poc", "start", "completion", "id")
"""The fields of one corrective-action row, as the form names them (``ca-<n>-<field>``)."""
MAX_ROWS = 20
KINDS = {"strength": N_("Strength"), "improvement": N_("Area for improvement")}
ELEMENTS = {
    "Planning": N_("Planning"),
    "Organization": N_("Organization"),
    "Equipment": N_("Equipment"),
    "Training": N_("Training"),
    "Exercise": N_("Exercise"),
}
assert tuple(ELEMENTS) == CAPABILITY_ELEMENTS
EVIDENCE_KINDS = {
    "inject": N_("inject"),
    "response": N_("response"),
    "note": N_("team note"),
    "decision": N_("decision"),
    "answer": N_("concurrence answer"),
    "vote": N_("poll vote"),
    "observation": N_("observation"),
    "rating": N_("rating"),
    "clause-record": N_("clause record"),
    "hot-wash": N_("hot wash"),
    "feedback": N_("feedback form"),
    "broadcast": N_("update"),
    "module": N_("module"),
    "poll": N_("poll"),
    "other": N_("event"),
}
"""What a cited log event is, in words (``EvidenceItem.kind``)."""
NOTICES = {
    "saved": N_("Finding saved."),
    "removed": N_("Finding removed."),
    "finalised": N_("This AAR is now final."),
}
_ACTION_FIELD = re.compile(r"^corrective_actions\[(\d+)\](?:\.(\w+))?$")


def parse_scope(value: str) -> tuple[str, ...]:
    """The parties of an AAR chosen as ``""`` (complete), ``ald`` or ``ald,brn`` (joint)."""
    return tuple(sorted({p.strip() for p in value[:400].split(",") if p.strip()}))


def scope_value(parties: Sequence[str]) -> str:
    """The inverse of ``parse_scope``."""
    return ",".join(sorted(parties))


def parse_evidence(value: str) -> tuple[int, ...]:
    """Log sequence numbers typed as ``12, 15`` (none is fine)."""
    tokens = value.replace(",", " ").split()
    if not all(t.isascii() and t.isdigit() and len(t) < 10 for t in tokens):
        raise Rejected(
            N_("Evidence is log sequence numbers separated by commas, such as 12, 15."),
            field="evidence",
        )
    return tuple(int(t) for t in tokens)


@dataclass
class FindingForm:
    """One finding's edit form (or the new-finding form): values, rows, and any error."""

    slug: str  # prefix of the form's element ids, unique on the page
    id: str  # the finding id ("" for a new one)
    values: dict[str, Any]
    rows: list[dict[str, str]]
    error: str | None = None
    error_field: str | None = None
    key: str = field(default_factory=new_key)
    translate: bool = False
    expanded: bool = False  # shown again on purpose (a row was added)

    def get(self, name: str) -> Any:
        """The value of ``name`` in the form."""
        return self.values.get(name, "")

    def error_for(self, name: str) -> str | None:
        """The error to show beside the control ``name`` (e.g. ``title``, ``ca-0-start``)."""
        if self.error and self.error_field == name:
            return self.error
        return None

    @property
    def misplaced(self) -> bool:
        """An error about no control of the form: it is shown at the top only."""
        if not self.error:
            return False
        names = {"kind", "title", "analysis", "capability", "objective", "evidence", "rel_to"}
        names |= {f"ca-{n}-{f}" for n in range(len(self.rows)) for f in ROW_FIELDS}
        return self.error_field not in names

    @property
    def open(self) -> bool:
        """Open the form's disclosure: it holds an error to fix, or a row was just added."""
        return self.error is not None or self.expanded


def _blank_row() -> dict[str, str]:
    return dict.fromkeys(ROW_FIELDS, "")


def form_of(item: FindingItem, slug: str) -> FindingForm:
    """The edit form of a finding as the report shows it."""
    rows = [
        {
            "action": a.action,
            "element": a.element,
            "organisation": a.organisation,
            "poc": a.poc,
            "start": a.start,
            "completion": a.completion,
            "id": a.id,
        }
        for a in item.corrective_actions
    ]
    values = {
        "kind": item.kind,
        "title": item.title,
        "analysis": item.analysis,
        "capability": item.capability or "",
        "objective": item.objective or "",
        "evidence": ", ".join(str(e.seq) for e in item.evidence),
        "rel_to": set(item.rel_to),
    }
    return FindingForm(slug, item.id, values, [*rows, _blank_row()])


def new_form() -> FindingForm:
    """An empty new-finding form."""
    values = {"kind": "improvement", "rel_to": set()}
    return FindingForm("new", "", values, [_blank_row()])


def posted_form(form: FormData, slug: str, add_row: bool = False) -> FindingForm:
    """The finding form as it was posted (to show again with an error, or with one more row)."""
    values: dict[str, Any] = {
        name: text(form, name, 20_000 if name == "analysis" else 2000)
        for name in ("kind", "title", "analysis", "capability", "objective", "evidence")
    }
    values["rel_to"] = set(choices(form, "rel_to"))
    try:
        count = min(int(text(form, "rows", 4) or "0"), MAX_ROWS)
    except ValueError:
        count = 0
    rows = [{f: text(form, f"ca-{n}-{f}", 2000) for f in ROW_FIELDS} for n in range(count)]
    if add_row and len(rows) < MAX_ROWS:
        rows.append(_blank_row())
    if not rows:
        rows.append(_blank_row())
    return FindingForm(slug, text(form, "id", 100), values, rows, expanded=add_row)


def finding_command(posted: FindingForm) -> tuple[cmd.SaveFinding, list[int]]:
    """The ``SaveFinding`` of a posted form, and for each action the form row it came from.

    Rows left blank are skipped. Raises ``Rejected`` for evidence that is not numbers.
    """
    used = [n for n, row in enumerate(posted.rows) if any(row[f].strip() for f in ROW_FIELDS[:6])]
    actions = tuple(
        cmd.CorrectiveAction(
            action=posted.rows[n]["action"],
            element=posted.rows[n]["element"],
            organisation=posted.rows[n]["organisation"],
            poc=posted.rows[n]["poc"],
            start=posted.rows[n]["start"].strip(),
            completion=posted.rows[n]["completion"].strip(),
            id=posted.rows[n]["id"],
        )
        for n in used
    )
    command = cmd.SaveFinding(
        kind=posted.get("kind"),
        title=posted.get("title"),
        analysis=posted.get("analysis"),
        capability=posted.get("capability") or None,
        objective=posted.get("objective") or None,
        evidence=parse_evidence(posted.get("evidence")),
        rel_to=tuple(sorted(posted.values["rel_to"])),
        corrective_actions=actions,
        id=posted.id,
    )
    return command, used


def form_field(error_field: str | None, used: Sequence[int]) -> str | None:
    """The form control a refusal is about: ``corrective_actions[1].start`` → ``ca-3-start``."""
    if error_field is None:
        return None
    found = _ACTION_FIELD.match(error_field)
    if found is None:
        return error_field
    index, name = int(found.group(1)), found.group(2) or "action"
    row = used[index] if index < len(used) else index
    return f"ca-{row}-{name}"


def _findings(model: ReportModel) -> Iterator[FindingItem]:
    for result in model.capabilities:
        yield from result.strengths
        yield from result.improvements
    yield from model.general


@dataclass(frozen=True)
class Section:
    """A group of findings on the page: one objective × capability, or the general ones."""

    anchor: str
    result: CapabilityResult | None
    findings: tuple[FindingItem, ...]


@dataclass(frozen=True)
class Scope:
    """One AAR that can be chosen: complete, one party's, or the joint one."""

    value: str
    kind: str  # complete | party | joint
    names: tuple[Mapping[str, str], ...]


class ReportView:
    """The report page's data: the AAR, its sections and one form per finding."""

    def __init__(
        self,
        report: Report,
        package: Package,
        forms: Mapping[str, FindingForm] | None = None,
        complete: ReportModel | None = None,
    ) -> None:
        """``complete``: the whole record's model, whose findings fill the edit forms of a
        party's AAR (its cut hides evidence; saving from it must not drop what it hides)."""
        self.report = report
        self.model = report.model
        self.package = package
        self.parties = self.model.parties
        self.scope = scope_value(self.parties)
        forms = forms or {}
        sections = [
            Section(f"cap-{n}", result, (*result.strengths, *result.improvements))
            for n, result in enumerate(self.model.capabilities, start=1)
        ]
        if self.model.general:
            sections.append(Section("general", None, self.model.general))
        self.sections = tuple(sections)
        self.forms: dict[str, FindingForm] = {}
        whole = {f.id: f for f in _findings(complete)} if complete is not None else {}
        for n, finding in enumerate(self.findings(), start=1):
            posted = forms.get(finding.id)
            if posted is not None:
                posted.slug = f"f{n}"
            self.forms[finding.id] = posted or form_of(whole.get(finding.id, finding), f"f{n}")
        self.new = forms.get("") or new_form()
        self.extra = [f for key, f in forms.items() if key and key not in self.forms]

    def findings(self) -> Iterator[FindingItem]:
        """Every finding of the AAR, in page order."""
        for section in self.sections:
            yield from section.findings

    @property
    def count(self) -> int:
        """How many findings the AAR has."""
        return sum(len(s.findings) for s in self.sections)

    def scopes(self) -> list[Scope]:
        """The AARs to choose from: complete, each party's, and the joint one of all parties."""
        parties = self.package.parties
        found = [Scope("", "complete", ())]
        found += [Scope(p.id, "party", (p.name,)) for p in parties]
        if len(parties) > 1:
            joint = scope_value([p.id for p in parties])
            found.append(Scope(joint, "joint", tuple(p.name for p in parties)))
        if self.scope and all(s.value != self.scope for s in found):
            names = tuple(p.name for p in parties if p.id in self.parties)
            found.append(Scope(self.scope, "joint", names))
        return found

    def party_choices(self) -> list[tuple[str, Mapping[str, str], str]]:
        """Each party: id, name and code (for REL TO)."""
        return [(p.id, p.name, p.code) for p in self.package.parties]

    def capability_choices(self) -> list[tuple[str, Any]]:
        """The capabilities a finding may be about: id and name (as package text)."""
        seen: dict[str, Any] = {}
        for result in self.model.capabilities:
            seen.setdefault(result.capability, result.name)
        for capability in self.package.capabilities:
            seen.setdefault(capability.id, capability.name)
        return list(seen.items())

    def objective_choices(self) -> list[tuple[str, int, Any]]:
        """The objectives: id, number and text."""
        return [(o.id, n, o.text) for n, o in enumerate(self.package.objectives, start=1)]

    @property
    def finalised_at(self) -> str:
        """When the AAR was finalised, in the exercise's time zone (empty for a draft)."""
        if not self.report.finalised_at:
            return ""
        tz = zone(self.package.exercise.time_zone)
        at = datetime.fromisoformat(self.report.finalised_at)
        return f"{wall_datetime(at, tz)} ({tz.key})"

    def codes(self, parties: Sequence[str]) -> str:
        """Party codes for a REL TO line, e.g. ``ALD, BRN``."""
        code = {p.id: p.code for p in self.package.parties}
        return ", ".join(code.get(p, p) for p in parties)

    def form(self, finding: FindingItem) -> FindingForm:
        """The edit form of ``finding``."""
        return self.forms[finding.id]
