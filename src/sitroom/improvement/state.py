"""The state of a series, folded from its events.

``apply`` folds one recorded event in place; ``fold`` starts from a fresh state, so a fold of
the whole stream is the state (series streams are small: the service folds on every read).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sitroom.improvement import events as ev


class Status(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in-progress"
    DONE = "done"
    VERIFIED = "verified"
    CANCELLED = "cancelled"


STATUSES = tuple(s.value for s in Status)
CARRIED = frozenset({Status.OPEN, Status.IN_PROGRESS, Status.DONE})
"""Statuses of actions still to be re-tested in the next edition."""
RUN_EVIDENCE = "application/vnd.sitroom.run"
"""Media type of the evidence a verifying exercise leaves: its AAR (sha256 = report hash)."""
CLOSED = frozenset({Status.DONE, Status.VERIFIED})
"""Statuses that count as closed for time to close."""


@dataclass(frozen=True, slots=True)
class Recorded:
    """A series event as the log holds it: sequence number, time, actor."""

    seq: int
    at: datetime
    event: ev.Event
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class Rating:
    objective: str
    capability: str
    rating: str | None


@dataclass
class Edition:
    """One imported edition: its run, when it was imported and its capability ratings."""

    edition: str
    run: str
    report_hash: str
    imported_at: datetime
    imported_seq: int
    ratings: tuple[Rating, ...]


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    seq: int
    at: datetime
    actor: str | None
    what: str


@dataclass(frozen=True, slots=True)
class Evidence:
    name: str
    media_type: str
    size: int
    sha256: str
    note: str
    at: datetime
    actor: str | None


@dataclass(frozen=True, slots=True)
class Retest:
    edition: str
    run: str
    objective: str
    outcome: str
    rating: str | None


@dataclass
class ActionState:
    """A tracked corrective action."""

    id: str
    series: str
    edition: str
    source_run: str
    source_id: str
    finding: str
    capability: str
    capability_name: str
    issue: str
    action: str
    element: str
    organisation: str
    poc: str
    start: str
    due: str
    status: Status
    created_at: datetime
    created_by: str | None
    updated_at: datetime
    updated_by: str | None
    recurring_of: tuple[str, ...] = ()
    history: list[HistoryEntry] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    retests: list[Retest] = field(default_factory=list)
    done_at: datetime | None = None  # the latest move into done
    closed_at: datetime | None = None  # when it was closed (done, or verified without done)


@dataclass
class SeriesState:
    id: str
    title: str = ""
    created: bool = False
    seq: int = 0
    created_at: datetime | None = None
    editions: dict[str, Edition] = field(default_factory=dict)
    actions: dict[str, ActionState] = field(default_factory=dict)
    capability_names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def initial(cls, series_id: str) -> SeriesState:
        """The state of a series before its first event."""
        return cls(id=series_id)

    def runs(self) -> set[str]:
        """Runs whose AAR has been imported."""
        return {e.run for e in self.editions.values()}


def _touch(action: ActionState, rec: Recorded, what: str) -> None:
    action.updated_at = rec.at
    action.updated_by = rec.actor
    action.history.append(HistoryEntry(rec.seq, rec.at, rec.actor, what))


def apply(state: SeriesState, rec: Recorded) -> SeriesState:
    """Fold one recorded event into ``state`` (in place) and return it."""
    state.seq = rec.seq
    match rec.event:
        case ev.SeriesCreated(title=title):
            state.title = title
            state.created = True
            state.created_at = rec.at
        case ev.ReportImported() as e:
            state.editions[e.edition] = Edition(
                e.edition,
                e.run,
                e.report_hash,
                rec.at,
                rec.seq,
                tuple(Rating(o, c, r) for o, c, r in e.ratings),
            )
            state.capability_names.update(e.capability_names)
        case ev.ActionOpened() as e:
            action = ActionState(
                id=e.id,
                series=state.id,
                edition=e.edition,
                source_run=e.source_run,
                source_id=e.source_id,
                finding=e.finding,
                capability=e.capability,
                capability_name=e.capability_name,
                issue=e.issue,
                action=e.action,
                element=e.element,
                organisation=e.organisation,
                poc=e.poc,
                start=e.start,
                due=e.due,
                status=Status.OPEN,
                created_at=rec.at,
                created_by=rec.actor,
                updated_at=rec.at,
                updated_by=rec.actor,
                recurring_of=e.recurring_of,
            )
            origin = f"from the AAR of run {e.source_run}" if e.source_run else "by hand"
            action.history.append(HistoryEntry(rec.seq, rec.at, rec.actor, f"opened {origin}"))
            state.actions[e.id] = action
            if e.capability and e.capability_name:
                state.capability_names.setdefault(e.capability, e.capability_name)
        case ev.ActionEdited(id=action_id, changes=changes):
            action = state.actions[action_id]
            parts = []
            for name, value in sorted(changes.items()):
                parts.append(f"{name}: {getattr(action, name)!r} → {value!r}")
                setattr(action, name, value)
            _touch(action, rec, "; ".join(parts))
        case ev.ActionStatusChanged(id=action_id, status=status, previous=previous, note=note):
            action = state.actions[action_id]
            action.status = Status(status)
            if action.status == Status.DONE:
                action.done_at = rec.at
            # Time to close counts to when the work was done, not to when it was verified.
            if action.status == Status.VERIFIED and previous == Status.DONE:
                action.closed_at = action.done_at or rec.at
            else:
                action.closed_at = rec.at if action.status in CLOSED else None
            _touch(action, rec, f"status: {previous} → {status}" + (f" ({note})" if note else ""))
        case ev.EvidenceAttached() as e:
            action = state.actions[e.id]
            action.evidence.append(
                Evidence(e.name, e.media_type, e.size, e.sha256, e.note, rec.at, rec.actor)
            )
            _touch(action, rec, f"evidence attached: {e.name}")
        case ev.ActionRetested() as e:
            action = state.actions[e.id]
            action.retests.append(Retest(e.edition, e.run, e.objective, e.outcome, e.rating))
            edition = state.editions.get(e.edition)
            if e.outcome == "verified" and edition is not None:
                # The exercise that verified the fix is its evidence: the finalised AAR.
                action.evidence.append(
                    Evidence(
                        f"AAR of run {e.run}",
                        RUN_EVIDENCE,
                        0,
                        edition.report_hash.removeprefix("sha256:"),
                        f"objective {e.objective} rated {e.rating or '-'}",
                        rec.at,
                        rec.actor,
                    )
                )
            _touch(action, rec, f"re-tested in {e.edition} ({e.objective}): {e.outcome}")
    return state


def fold(series_id: str, records: Iterable[Recorded]) -> SeriesState:
    """The state of a series from its whole stream."""
    state = SeriesState.initial(series_id)
    for rec in records:
        apply(state, rec)
    return state
