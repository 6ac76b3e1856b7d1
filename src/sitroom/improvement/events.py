"""Events of a series: what happened to its editions and corrective actions, past tense.

Each has a stable kebab-case wire name. An imported AAR is recorded as one ``report-imported``
event followed by what it caused (actions opened, re-test outcomes, status changes), all in one
append, so the log reads as the story of the import.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from sitroom.conduct.events import Event as WireEvent
from sitroom.conduct.events import UnknownEvent, rebuild


@dataclass(frozen=True, slots=True)
class Event(WireEvent):
    """Base of all series events; ``TYPE`` is the wire name stored in the log."""


@dataclass(frozen=True, slots=True)
class SeriesCreated(Event):
    TYPE: ClassVar[str] = "series-created"
    series: str
    title: str


@dataclass(frozen=True, slots=True)
class ReportImported(Event):
    """A finalised AAR/IP of one edition; ``ratings`` are (objective, capability, rating)."""

    TYPE: ClassVar[str] = "report-imported"
    edition: str
    run: str
    report_hash: str
    ratings: tuple[tuple[str, str, str | None], ...] = ()
    capability_names: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ActionOpened(Event):
    """A corrective action is tracked: from an imported IP row (``source_run``) or by hand."""

    TYPE: ClassVar[str] = "action-opened"
    id: str
    issue: str
    action: str
    edition: str = ""
    source_run: str = ""
    source_id: str = ""
    finding: str = ""
    capability: str = ""
    capability_name: str = ""
    element: str = ""
    organisation: str = ""
    poc: str = ""
    start: str = ""
    due: str = ""
    recurring_of: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ActionEdited(Event):
    """Fields of an action changed: field name -> new value."""

    TYPE: ClassVar[str] = "action-edited"
    id: str
    changes: dict[str, str]


@dataclass(frozen=True, slots=True)
class ActionStatusChanged(Event):
    TYPE: ClassVar[str] = "action-status-changed"
    id: str
    status: str
    previous: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class EvidenceAttached(Event):
    """A file attached to an action (the file itself lives in the evidence store by hash)."""

    TYPE: ClassVar[str] = "evidence-attached"
    id: str
    name: str
    media_type: str
    size: int
    sha256: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class ActionRetested(Event):
    """An edition re-tested a carried action: verified | not-verified | not-exercised."""

    TYPE: ClassVar[str] = "action-retested"
    id: str
    edition: str
    run: str
    objective: str
    outcome: str
    rating: str | None = None


EVENT_TYPES: dict[str, type[Event]] = {
    cls.TYPE: cls
    for cls in (
        SeriesCreated,
        ReportImported,
        ActionOpened,
        ActionEdited,
        ActionStatusChanged,
        EvidenceAttached,
        ActionRetested,
    )
}


def from_wire(type_: str, payload: dict[str, Any]) -> Event:
    """Rebuild an event from its wire name and payload (tuples restored from lists)."""
    cls = EVENT_TYPES.get(type_)
    if cls is None:
        raise UnknownEvent(type_)
    return rebuild(cls, payload)
