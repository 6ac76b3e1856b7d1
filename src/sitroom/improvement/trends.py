"""Trends across the editions of a series, and the due list. Pure functions of the state.

- capability ratings by edition: per core capability, the worst consensus rating it got under
  any objective of that edition's AAR (P < S < M < U), or None when it was not rated;
- recurring areas for improvement: actions flagged ``recurring_of`` earlier ones;
- time to close: whole days from when an action was opened to when it was done (or verified
  without being marked done first), the median per edition and overall;
- overdue (due before ``today`` and still open or in progress) and due soon (due within
  ``window`` days from ``today``).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date

from sitroom.improvement.state import ActionState, SeriesState, Status

SEVERITY = {"P": 0, "S": 1, "M": 2, "U": 3}
DUE_WINDOW = 30
"""Days ahead that count as "due soon"."""
PENDING = frozenset({Status.OPEN, Status.IN_PROGRESS})


@dataclass(frozen=True, slots=True)
class CapabilityTrend:
    capability: str
    name: str
    ratings: tuple[tuple[str, str | None], ...]  # (edition, worst rating), in edition order


@dataclass(frozen=True, slots=True)
class Recurrence:
    action: str
    edition: str
    capability: str
    issue: str
    earlier: tuple[tuple[str, str, str], ...]  # (action id, edition, issue) it repeats


@dataclass(frozen=True, slots=True)
class CloseTime:
    edition: str  # "" for actions of no edition
    opened: int
    closed: int
    days: tuple[int, ...]
    median_days: float | None


@dataclass(frozen=True, slots=True)
class Trends:
    editions: tuple[str, ...]
    capabilities: tuple[CapabilityTrend, ...]
    recurring: tuple[Recurrence, ...]
    close_times: tuple[CloseTime, ...]
    median_days: float | None  # over every closed action


def editions(state: SeriesState) -> tuple[str, ...]:
    """Editions in the order they were imported."""
    return tuple(e.edition for e in sorted(state.editions.values(), key=lambda e: e.imported_seq))


def capability_trends(state: SeriesState) -> tuple[CapabilityTrend, ...]:
    """Per capability, its worst rating in each edition (None: not rated that edition)."""
    order = editions(state)
    worst: dict[str, dict[str, str]] = {}
    seen: list[str] = []
    for name in order:
        for rating in state.editions[name].ratings:
            if rating.capability not in seen:
                seen.append(rating.capability)
            if rating.rating is None:
                continue
            by_edition = worst.setdefault(rating.capability, {})
            current = by_edition.get(name)
            if current is None or SEVERITY.get(rating.rating, 0) > SEVERITY.get(current, 0):
                by_edition[name] = rating.rating
    return tuple(
        CapabilityTrend(
            capability,
            state.capability_names.get(capability, capability),
            tuple((name, worst.get(capability, {}).get(name)) for name in order),
        )
        for capability in seen
    )


def recurring(state: SeriesState) -> tuple[Recurrence, ...]:
    """Actions whose area for improvement was found again after an earlier edition."""
    rows: list[Recurrence] = []
    for action in state.actions.values():
        if not action.recurring_of:
            continue
        earlier = tuple(
            (e.id, e.edition, e.issue)
            for e in (state.actions.get(i) for i in action.recurring_of)
            if e is not None
        )
        rows.append(Recurrence(action.id, action.edition, action.capability, action.issue, earlier))
    return tuple(rows)


def days_to_close(action: ActionState) -> int | None:
    """Whole days from opening to closing, or None while it is not closed."""
    if action.closed_at is None:
        return None
    return (action.closed_at - action.created_at).days


def _median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def close_times(state: SeriesState) -> tuple[tuple[CloseTime, ...], float | None]:
    """Time to close per edition (editions in import order, hand-added ones last) and overall."""
    order = [*editions(state)]
    for action in state.actions.values():
        if action.edition not in order:
            order.append(action.edition)
    rows: list[CloseTime] = []
    every: list[int] = []
    for name in order:
        actions = [a for a in state.actions.values() if a.edition == name]
        days = [d for d in (days_to_close(a) for a in actions) if d is not None]
        every.extend(days)
        rows.append(CloseTime(name, len(actions), len(days), tuple(days), _median(days)))
    return tuple(rows), _median(every)


def trends(state: SeriesState) -> Trends:
    """Every trend of the series at once."""
    rows, overall = close_times(state)
    return Trends(editions(state), capability_trends(state), recurring(state), rows, overall)


def _due(action: ActionState) -> date | None:
    return date.fromisoformat(action.due) if action.due else None


def overdue(state: SeriesState, today: date) -> list[ActionState]:
    """Open or in-progress actions whose due date has passed, the most overdue first."""
    found = [
        a
        for a in state.actions.values()
        if a.status in PENDING and (due := _due(a)) is not None and due < today
    ]
    return sorted(found, key=lambda a: (a.due, a.id))


def due_soon(state: SeriesState, today: date, window: int = DUE_WINDOW) -> list[ActionState]:
    """Open or in-progress actions due from ``today`` to ``window`` days on, soonest first."""
    found = [
        a
        for a in state.actions.values()
        if a.status in PENDING
        and (due := _due(a)) is not None
        and 0 <= (due - today).days <= window
    ]
    return sorted(found, key=lambda a: (a.due, a.id))
