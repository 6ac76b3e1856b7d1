"""Events of a series: what happened to its editions and corrective actions, past tense.

Each has a stable kebab-case wire name. An imported AAR is recorded as one ``report-imported``
event followed by what it caused (actions opened, re-test outcomes, status changes), all in one
append, so the log reads as the story of the import.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class Event:
    """Base of all series events; ``TYPE`` is the wire name stored in the log."""

    TYPE: ClassVar[str] = ""

    def payload(self) -> dict[str, Any]:
        """The event's fields as JSON-ready data."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


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


class UnknownEvent(ValueError):
    """A wire name no series event has."""


def from_wire(type_: str, payload: dict[str, Any]) -> Event:
    """Rebuild an event from its wire name and payload (tuples restored from lists)."""
    cls = EVENT_TYPES.get(type_)
    if cls is None:
        raise UnknownEvent(type_)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in payload:
            continue
        value = payload[f.name]
        if isinstance(value, list):
            value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
        kwargs[f.name] = value
    return cls(**kwargs)
