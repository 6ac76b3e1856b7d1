"""When a trigger's condition first became true in a run: ``became(condition, state, now)``.

Every fact of a condition is monotone (``sitroom.package.conditions``), so the answer is one
moment that later events never move: the event that made it true (its time and sequence
number) or, for a fact made true by time ("not answered within 30 minutes"), the moment the
deadline passed, in exercise time (pauses stop the clock, as they stop the scheduler). What
happens exactly at a deadline is late: the deadline has passed at that moment, so nothing
recorded then can make a "not within" untrue again. Pure:
the run's state and the time in, a ``Moment`` or None out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sitroom.conduct.state import DecisionState, InjectStatus, RunState
from sitroom.package.conditions import Condition
from sitroom.package.timeforms import parse_duration, parse_scenario_time


@dataclass(frozen=True, slots=True, order=True)
class Moment:
    """When a condition became true; ``seq`` is None when time, not an event, made it true."""

    at: datetime
    seq: int = -1

    @property
    def event_seq(self) -> int | None:
        return None if self.seq < 0 else self.seq


def holds(condition: Condition, state: RunState, now: datetime) -> bool:
    """True when ``condition`` is true in ``state`` at ``now``."""
    return became(condition, state, now) is not None


def became(condition: Condition, state: RunState, now: datetime) -> Moment | None:
    """The moment ``condition`` first became true, or None while it is not (yet) true."""
    if condition.op in ("all", "any"):
        moments = [became(part, state, now) for part in condition.parts]
        if condition.op == "all":
            return None if any(m is None for m in moments) else max(m for m in moments if m)
        found = [m for m in moments if m is not None]
        return min(found) if found else None
    return _FACTS[condition.op](condition, state, now)


def deadline(state: RunState, start: datetime, within: timedelta) -> datetime | None:
    """The wall time when ``within`` of exercise time has passed since ``start`` (pauses do
    not count), or None while that time cannot be known yet (paused, or after ENDEX)."""
    remaining, t = within, start
    for paused, resumed in sorted(state.pauses, key=lambda p: p[0]):
        if resumed is not None and resumed <= t:
            continue
        if paused > t:
            if remaining <= paused - t:
                break
            remaining -= paused - t
        if resumed is None:
            return None
        t = resumed
    end = t + remaining
    if state.ended_at is not None and end > state.ended_at:
        return None
    return end


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def scenario_deadline(state: RunState, when: datetime) -> datetime | None:
    """The wall time when the scenario clock reached ``when``, or None while it has not (yet).

    The scenario clock runs from each module's ``start`` while that module is open (times the
    run's compression, pauses excluded), and jumps to the next module's start when it opens;
    a jump past ``when`` reaches it at the opening. Each module counts from its first opening,
    so going back to a module never moves a deadline already passed.
    """
    target = _aware(when)
    starts = {m.id: m.start for m in state.package.modules}
    opened = sorted(
        (at, key.removeprefix("module:"))
        for key, (_, at) in state.branches.firsts.items()
        if key.startswith("module:")
    )
    for i, (at, module) in enumerate(opened):
        start = starts.get(module)
        if start is None:
            continue
        until = opened[i + 1][0] if i + 1 < len(opened) else None
        if _aware(start) >= target:
            return at
        end = deadline(state, at, (target - _aware(start)) / state.compression)
        if end is not None and (until is None or end <= until):
            return end
    return None


def _due(state: RunState, start: Moment | None, within: str | None, now: datetime) -> Moment | None:
    """The deadline ``within`` after ``start``, once it has passed at ``now``."""
    if start is None or within is None:
        return None
    end = deadline(state, start.at, parse_duration(within))
    return Moment(end) if end is not None and end <= now else None


def _released(c: Condition, state: RunState, now: datetime) -> Moment | None:
    inject = state.injects.get(c.subject or "")
    if inject is None or inject.status == InjectStatus.PLANNED or inject.released_at is None:
        return None
    return Moment(inject.released_at, inject.released_seq or 0)


def _acknowledged(c: Condition, state: RunState, now: datetime) -> Moment | None:
    first = state.branches.firsts.get(f"ack:{c.subject}:{c.arg('by') or '*'}")
    return Moment(first[1], first[0]) if first else None


def _answered(c: Condition, state: RunState, now: datetime) -> Moment | None:
    by = c.arg("by")
    for entry in state.responses:  # in log order: the first is the earliest
        if entry.target == "inject" and entry.ref == c.subject and (by is None or entry.team == by):
            return Moment(entry.at, entry.seq)
    return None


def _due_before(state: RunState, c: Condition, now: datetime) -> Moment | None:
    """The scenario-time deadline ``before=`` once it has passed at ``now``."""
    before = c.arg("before")
    if before is None:
        return None
    end = scenario_deadline(state, parse_scenario_time(before))
    return Moment(end) if end is not None and end <= now else None


def _not_within(done: Moment | None, c: Condition, state: RunState, now: datetime) -> Moment | None:
    released = _released(c, state, now)
    if c.arg("before") is None:
        due = _due(state, released, c.arg("within"), now)
    elif released is None:
        due = None
    else:
        # Released after the scenario deadline: nobody could answer in time, so it is due
        # at once (at the release).
        due = _due_before(state, c, now)
        if due is not None and due.at < released.at:
            due = Moment(released.at)
    if due is None or (done is not None and done.at < due.at):
        return None  # done in time: before the deadline (at the deadline is too late)
    return due


def _not_acknowledged(c: Condition, state: RunState, now: datetime) -> Moment | None:
    return _not_within(_acknowledged(c, state, now), c, state, now)


def _not_answered(c: Condition, state: RunState, now: datetime) -> Moment | None:
    return _not_within(_answered(c, state, now), c, state, now)


def _decisions(c: Condition, state: RunState) -> list[DecisionState]:
    by, with_ = c.arg("by"), c.arg("with")
    return [
        d
        for d in state.decisions.values()
        if (by is None or by in (d.party, d.team)) and (with_ is None or with_ in d.joint_with)
    ]


def _proposed(c: Condition, state: RunState, now: datetime) -> Moment | None:
    found = [Moment(d.at, d.seq) for d in _decisions(c, state)]
    return min(found) if found else None


def _concurrence(d: DecisionState, party: str | None) -> Moment | None:
    """When ``party`` (or, for None, the last of the parties asked) concurred on ``d``."""
    asked = [party] if party else list(d.joint_with)
    answers = [d.answers.get(p) for p in asked]
    if not asked or any(a is None or not a.concur for a in answers):
        return None
    return max(Moment(a.at, a.seq) for a in answers if a)


def _anchor(c: Condition, state: RunState, now: datetime) -> Moment | None:
    kind, _, ref = (c.arg("after") or "").partition(":")
    if kind == "inject":
        return _released(Condition("released", ref), state, now)
    if kind == "module":
        return _first(state, f"module:{ref}")
    return _milestone(Condition("milestone", ref), state, now)


def _concurred(c: Condition, state: RunState, now: datetime) -> Moment | None:
    found = [m for d in _decisions(c, state) if (m := _concurrence(d, c.arg("with")))]
    if c.arg("within") is not None or c.arg("before") is not None:
        due = _deadline_of(c, state)
        # An exercise-time deadline not known yet (its anchor not reached) admits nothing; a
        # scenario time not reached yet is still ahead, so a concurrence now is in time.
        ahead = due is None and c.arg("before") is not None
        found = [m for m in found if ahead or (due is not None and m.at < due)]
    return min(found) if found else None


def _deadline_of(c: Condition, state: RunState) -> datetime | None:
    """When the deadline of ``c`` passes, or None while it has not (or cannot be known)."""
    before = c.arg("before")
    if before is not None:
        return scenario_deadline(state, parse_scenario_time(before))
    start = _anchor(c, state, datetime.max)
    within = c.arg("within")
    if start is None or within is None:
        return None
    return deadline(state, start.at, parse_duration(within))


def _not_concurred(c: Condition, state: RunState, now: datetime) -> Moment | None:
    with_ = c.arg("with")
    found = [
        Moment(a.at, a.seq)
        for d in _decisions(c, state)
        for party, a in d.answers.items()
        if not a.concur and (with_ is None or party == with_)
    ]
    if c.arg("within") is not None or c.arg("before") is not None:
        if c.arg("before") is not None:
            due = _due_before(state, c, now)
        else:
            due = _due(state, _anchor(c, state, now), c.arg("within"), now)
        if due is not None:
            made = [m for d in _decisions(c, state) if (m := _concurrence(d, with_))]
            if not any(m.at < due.at for m in made):
                found.append(due)
    return min(found) if found else None


def _first(state: RunState, key: str) -> Moment | None:
    first = state.branches.firsts.get(key)
    return Moment(first[1], first[0]) if first else None


def _poll(c: Condition, state: RunState, now: datetime) -> Moment | None:
    closed = _first(state, f"poll:{c.subject}")
    if closed is None:
        return None
    results, confidence = state.branches.closed_polls[c.subject or ""]
    wins, below = c.arg("wins"), c.arg("confidence-below")
    if wins is not None:
        top = results.get(wins, 0)
        if top == 0 or any(n >= top for o, n in results.items() if o != wins):
            return None
        return closed
    if below is not None and confidence is not None and confidence < float(below):
        return closed
    return None


def _milestone(c: Condition, state: RunState, now: datetime) -> Moment | None:
    reached = state.branches.milestones.get(c.subject or "")
    return Moment(reached.at, reached.seq) if reached else None


def _module(c: Condition, state: RunState, now: datetime) -> Moment | None:
    return _first(state, f"module:{c.subject}")


def _choice(c: Condition, state: RunState, now: datetime) -> Moment | None:
    record = state.branches.choices.get(c.subject or "")
    if record is None or record.settled != c.arg("is") or record.settled_at is None:
        return None
    return Moment(record.settled_at, record.settled_seq or 0)


_FACTS = {
    "released": _released,
    "acknowledged": _acknowledged,
    "answered": _answered,
    "not-acknowledged": _not_acknowledged,
    "not-answered": _not_answered,
    "proposed": _proposed,
    "concurred": _concurred,
    "not-concurred": _not_concurred,
    "poll": _poll,
    "milestone": _milestone,
    "module": _module,
    "choice": _choice,
}
