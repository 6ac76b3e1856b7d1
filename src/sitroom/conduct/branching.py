"""What the log says of a run's branches: triggers met, milestones reached, choices made.

``Branches`` is immutable: ``advance`` returns a new one for an event that changes it (and
the same one for any other), so a ``RunState.snapshot`` that shares it stays as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from sitroom.conduct import events as ev
from sitroom.package.model import Package


class TriggerStatus(StrEnum):
    FIRED = "fired"  # acted by itself
    PROPOSED = "proposed"  # waits for control
    ACCEPTED = "accepted"  # control released it
    DISMISSED = "dismissed"  # control said no


@dataclass(frozen=True, slots=True)
class TriggerRecord:
    trigger: str
    condition: str
    status: TriggerStatus
    since_at: str
    since_seq: int | None
    seq: int
    at: datetime
    answered_by: str | None = None
    answered_seq: int | None = None


@dataclass(frozen=True, slots=True)
class MilestoneRecord:
    milestone: str
    seq: int
    at: datetime
    author: str
    trigger: str | None


@dataclass(frozen=True, slots=True)
class Pick:
    option: str
    team: str
    party: str | None
    author: str
    seq: int
    at: datetime


@dataclass(frozen=True, slots=True)
class ChoiceRecord:
    """The picks of one inject's choice (the latest per party for a joint one) and the result."""

    inject: str
    picks: dict[str, Pick] = field(default_factory=dict)  # party (joint) or team -> pick
    settled: str | None = None
    settled_seq: int | None = None
    settled_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Branches:
    triggers: dict[str, TriggerRecord] = field(default_factory=dict)
    milestones: dict[str, MilestoneRecord] = field(default_factory=dict)
    choices: dict[str, ChoiceRecord] = field(default_factory=dict)
    firsts: dict[str, tuple[int, datetime]] = field(default_factory=dict)
    """When something first happened: ``ack:<number>:<team>`` (and ``ack:<number>:*``),
    ``module:<id>``, ``poll:<id>`` (closed), for conditions that need the time and the seq."""
    closed_polls: dict[str, tuple[dict[str, int], float | None]] = field(default_factory=dict)

    def proposals(self) -> list[TriggerRecord]:
        """Triggers met that wait for control's answer, oldest first."""
        return [t for t in self.triggers.values() if t.status == TriggerStatus.PROPOSED]


def choice_parties(package: Package, number: str) -> list[str]:
    """The parties whose teams an inject went to: each must pick for a joint choice."""
    inject = package.inject(number)
    if inject is None:
        return []
    return sorted({t.party for t in package.recipients(inject) if t.party})


def advance(
    branches: Branches, package: Package, event: ev.Event, seq: int, at: datetime
) -> Branches:
    """``branches`` after ``event`` (the same object when the event does not concern them)."""
    match event:
        case ev.InjectAcknowledged(number=number, team=team):
            return _first(branches, (f"ack:{number}:{team}", f"ack:{number}:*"), seq, at)
        case ev.ModuleOpened(module=module):
            return _first(branches, (f"module:{module}",), seq, at)
        case ev.PollClosed(poll=poll):
            if f"poll:{poll}" in branches.firsts:
                return branches
            closed = {**branches.closed_polls, poll: (dict(event.results), event.mean_confidence)}
            return replace(_first(branches, (f"poll:{poll}",), seq, at), closed_polls=closed)
        case ev.TriggerMet():
            status = TriggerStatus.FIRED if event.mode == "fires" else TriggerStatus.PROPOSED
            record = TriggerRecord(
                event.trigger, event.condition, status, event.since_at, event.since_seq, seq, at
            )
            return replace(branches, triggers={**branches.triggers, event.trigger: record})
        case ev.TriggerAccepted() | ev.TriggerDismissed():
            earlier = branches.triggers.get(event.trigger)
            if earlier is None:
                return branches
            accepted = isinstance(event, ev.TriggerAccepted)
            answered = replace(
                earlier,
                status=TriggerStatus.ACCEPTED if accepted else TriggerStatus.DISMISSED,
                answered_by=event.author,
                answered_seq=seq,
            )
            return replace(branches, triggers={**branches.triggers, event.trigger: answered})
        case ev.MilestoneReached():
            if event.milestone in branches.milestones:
                return branches
            reached = MilestoneRecord(event.milestone, seq, at, event.author, event.trigger)
            return replace(branches, milestones={**branches.milestones, event.milestone: reached})
        case ev.ChoiceMade():
            return replace(
                branches,
                choices={
                    **branches.choices,
                    event.inject: _pick(
                        branches.choices.get(event.inject), package, event, seq, at
                    ),
                },
            )
    return branches


def _first(branches: Branches, keys: tuple[str, ...], seq: int, at: datetime) -> Branches:
    new = [key for key in keys if key not in branches.firsts]
    if not new:
        return branches
    return replace(branches, firsts={**branches.firsts, **{key: (seq, at) for key in new}})


def _pick(
    earlier: ChoiceRecord | None, package: Package, event: ev.ChoiceMade, seq: int, at: datetime
) -> ChoiceRecord:
    record = earlier or ChoiceRecord(event.inject)
    if record.settled is not None:
        return record
    inject = package.inject(event.inject)
    joint = bool(inject and inject.choice and inject.choice.joint)
    who = (event.party or event.team) if joint else event.team
    pick = Pick(event.option, event.team, event.party, event.author, seq, at)
    picks = {**record.picks, who: pick}
    settled: str | None = None
    if not joint:
        settled = event.option
    else:
        parties = choice_parties(package, event.inject)
        options = {picks[p].option for p in parties if p in picks}
        if parties and all(p in picks for p in parties) and len(options) == 1:
            settled = event.option
    if settled is None:
        return replace(record, picks=picks)
    return replace(record, picks=picks, settled=settled, settled_seq=seq, settled_at=at)
