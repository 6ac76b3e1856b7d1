"""The live state of a run, folded from its events. ``apply`` folds one recorded event into the
state; for speed on long runs it updates the state in place and returns it; ``fold`` starts
from a fresh state, so folding the whole log always equals the live projection (a property test).

``apply`` never changes a record in the state: it puts a changed copy in its place, so a
``RunState.snapshot`` copies pointers, not records, and stays as it was while the state folds on.
"""

from __future__ import annotations

import copy
from collections.abc import Collection
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from enum import StrEnum

from sitroom.conduct import events as ev
from sitroom.conduct.branching import Branches, advance
from sitroom.conduct.cellbook import fold_cells
from sitroom.conduct.game import GameState, advance_game
from sitroom.conduct.mailstate import MailRecord, apply_mail
from sitroom.conduct.proposals import fold_proposals
from sitroom.conduct.records import ClauseRecord as ClauseRecord
from sitroom.conduct.records import Feedback as Feedback
from sitroom.conduct.records import Finalised as Finalised
from sitroom.conduct.records import Finding as Finding
from sitroom.conduct.records import HotWashItem as HotWashItem
from sitroom.conduct.records import Rating as Rating
from sitroom.conduct.threads import Inbox, advance_inbox
from sitroom.package.model import Module, Package


class RunStatus(StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    PAUSED = "paused"
    ENDED = "ended"


class InjectStatus(StrEnum):
    PLANNED = "planned"
    RELEASED = "released"
    CORRECTED = "corrected"
    RETRACTED = "retracted"


class DecisionStatus(StrEnum):
    PROPOSED = "proposed"
    AWAITING_CONCURRENCE = "awaiting-concurrence"
    CONCURRED = "concurred"
    NON_CONCURRED = "non-concurred"


@dataclass(frozen=True, slots=True)
class Recorded:
    """An event as the log holds it: sequence number, time, actor."""

    seq: int
    at: datetime
    event: ev.Event
    actor: str | None = None


@dataclass
class InjectState:
    number: str
    status: InjectStatus = InjectStatus.PLANNED
    released_seq: int | None = None
    released_at: datetime | None = None
    how: str | None = None
    content: dict[str, str] | None = None  # the latest correction, if any
    corrections: int = 0
    receipts: dict[str, datetime] = field(default_factory=dict)  # principal -> first receipt
    acknowledged: dict[str, datetime] = field(default_factory=dict)


@dataclass
class Answer:
    party: str
    team: str
    author: str
    concur: bool
    reasons: str
    clauses: tuple[str, ...]
    seq: int
    at: datetime


@dataclass
class DecisionState:
    id: str
    team: str
    party: str | None
    author: str
    title: str
    text: str
    joint_with: tuple[str, ...]
    clauses: tuple[str, ...]
    seq: int
    at: datetime
    answers: dict[str, Answer] = field(default_factory=dict)  # party -> answer

    @property
    def status(self) -> DecisionStatus:
        if not self.joint_with:
            return DecisionStatus.PROPOSED
        if any(not a.concur for a in self.answers.values()):
            return DecisionStatus.NON_CONCURRED
        if all(p in self.answers for p in self.joint_with):
            return DecisionStatus.CONCURRED
        return DecisionStatus.AWAITING_CONCURRENCE

    def parties(self) -> set[str]:
        """Every party the decision concerns: the proposer's and those asked to concur."""
        return {p for p in (self.party, *self.joint_with) if p}


@dataclass
class Vote:
    voter: str
    team: str | None
    party: str | None
    options: tuple[str, ...]
    confidence: int | None
    seq: int


@dataclass
class PollState:
    id: str
    open: bool = False
    opened_seq: int | None = None
    closed_seq: int | None = None
    votes: dict[str, Vote] = field(default_factory=dict)  # voter -> latest vote

    def results(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for vote in self.votes.values():
            for option in vote.options:
                counts[option] = counts.get(option, 0) + 1
        return counts

    def mean_confidence(self) -> float | None:
        values = [v.confidence for v in self.votes.values() if v.confidence is not None]
        return round(sum(values) / len(values), 2) if values else None


@dataclass
class Entry:
    """A participant's text: a response, a team note, an observation."""

    id: str
    seq: int
    at: datetime
    author: str
    text: str
    team: str | None = None
    party: str | None = None
    target: str | None = None
    ref: str | None = None
    tags: dict[str, str | None] = field(default_factory=dict)


@dataclass
class Broadcast:
    """A control update to everyone, or to named teams or parties."""

    id: str
    seq: int
    at: datetime
    author: str
    text: dict[str, str]
    teams: tuple[str, ...]
    parties: tuple[str, ...]


@dataclass
class RunState:
    """Everything a run's log says so far."""

    run_id: str
    package: Package
    seq: int = 0
    status: RunStatus = RunStatus.PLANNED
    compression: float = 1.0
    started_at: datetime | None = None
    paused_at: datetime | None = None
    paused_total: timedelta = timedelta()
    ended_at: datetime | None = None
    module: str | None = None
    module_opened_clock: timedelta = timedelta()  # run clock when the module was opened
    injects: dict[str, InjectState] = field(default_factory=dict)
    decisions: dict[str, DecisionState] = field(default_factory=dict)
    polls: dict[str, PollState] = field(default_factory=dict)
    responses: list[Entry] = field(default_factory=list)
    notes: list[Entry] = field(default_factory=list)
    observations: list[Entry] = field(default_factory=list)
    broadcasts: list[Broadcast] = field(default_factory=list)
    pauses: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    modules_opened: dict[str, int] = field(default_factory=dict)  # module -> first opened seq
    target_ratings: list[Rating] = field(default_factory=list)  # every rating, in log order
    capability_ratings: list[Rating] = field(default_factory=list)
    clause_records: list[ClauseRecord] = field(default_factory=list)
    hot_wash: list[HotWashItem] = field(default_factory=list)
    feedback: dict[str, Feedback] = field(default_factory=dict)  # submitter -> latest form
    findings: dict[str, Finding] = field(default_factory=dict)  # finding id -> latest save
    removed_findings: dict[str, int] = field(default_factory=dict)  # finding id -> seq
    finalised: dict[tuple[str, ...], Finalised] = field(default_factory=dict)  # sorted parties
    last_of: dict[str, int] = field(default_factory=dict)  # event type -> seq of its latest
    mail: dict[str, MailRecord] = field(default_factory=dict)  # inject e-mail, by mail_key
    cell_modes: dict[str, str] = field(default_factory=dict)  # team -> control's last word
    cell_held: dict[str, ev.CellActionHeld] = field(default_factory=dict)  # held cell actions
    proposals: dict[str, ev.AssistProposed] = field(default_factory=dict)  # assistants'
    proposal_answers: dict[str, str] = field(default_factory=dict)  # proposal/item -> outcome
    branches: Branches = field(default_factory=Branches)  # immutable: triggers, milestones
    inbox: Inbox = field(default_factory=Inbox)  # immutable: SimCell threads, teams' reading
    game: GameState = field(default_factory=GameState)  # immutable: a matrix game's turns

    @classmethod
    def initial(cls, run_id: str, package: Package) -> RunState:
        """A planned run with every inject and poll of the package in its initial state."""
        state = cls(run_id=run_id, package=package)
        for inject in package.injects():
            state.injects[inject.number] = InjectState(inject.number)
        for module in package.modules:
            for poll in module.polls:
                state.polls[poll.id] = PollState(poll.id)
        return state

    def snapshot(self) -> RunState:
        """A copy later events leave alone: lists and dicts copied (pointers), records shared."""
        clone = copy.copy(self)
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, list):
                setattr(clone, f.name, list(value))
            elif isinstance(value, dict):
                setattr(clone, f.name, dict(value))
        return clone

    def seq_without(self, types: Collection[str]) -> int:
        """The seq of the latest event not of ``types`` (what shows none of them is the same
        at every later seq until such an event)."""
        return max((seq for kind, seq in self.last_of.items() if kind not in types), default=0)

    # -- the exercise clock -------------------------------------------------------------------

    def run_clock(self, now: datetime) -> timedelta:
        """Exercise time elapsed since STARTEX, paused time excluded."""
        if self.started_at is None:
            return timedelta()
        end = self.ended_at or self.paused_at or now
        return max(timedelta(), end - self.started_at - self.paused_total)

    def module_clock(self, now: datetime) -> timedelta:
        """Time since the current module was opened, paused time excluded."""
        return max(timedelta(), self.run_clock(now) - self.module_opened_clock)

    def scenario_time(self, now: datetime) -> datetime | None:
        """Scenario time: the module's start plus its elapsed time, times the compression."""
        module = self.current_module()
        if module is None or module.start is None:
            return None
        return module.start + self.module_clock(now) * self.compression

    def current_module(self) -> Module | None:
        """The module the facilitator has opened, if any."""
        return next((m for m in self.package.modules if m.id == self.module), None)

    def is_live(self) -> bool:
        return self.status in (RunStatus.RUNNING, RunStatus.PAUSED)

    def latest_target_ratings(self) -> dict[tuple[str, str], Rating]:
        """The rating that counts for each (target, evaluator): the latest."""
        return {(r.subject, r.author): r for r in self.target_ratings}

    def latest_capability_ratings(self) -> dict[tuple[str, str, str], Rating]:
        """The rating that counts for each (objective, capability, evaluator): the latest."""
        return {(r.objective, r.subject, r.author): r for r in self.capability_ratings}

    def latest_clause_records(self) -> dict[tuple[str, str], ClauseRecord]:
        """The record that counts for each (clause, evaluator): the latest."""
        return {(r.clause, r.author): r for r in self.clause_records}


def apply(state: RunState, recorded: Recorded) -> RunState:
    """Fold one recorded event into ``state`` (in place) and return it."""
    event, at, seq = recorded.event, recorded.at, recorded.seq
    state.seq = seq
    state.last_of[event.TYPE] = seq
    match event:
        case ev.RunStarted(compression=compression):
            state.status = RunStatus.RUNNING
            state.started_at = at
            state.compression = compression
        case ev.RunPaused():
            state.status = RunStatus.PAUSED
            state.paused_at = at
            state.pauses.append((at, None))
        case ev.RunResumed():
            if state.paused_at is not None:
                state.paused_total += at - state.paused_at
                state.pauses[-1] = (state.paused_at, at)
            state.paused_at = None
            state.status = RunStatus.RUNNING
        case ev.RunEnded():
            if state.paused_at is not None:
                state.paused_total += at - state.paused_at
                state.pauses[-1] = (state.paused_at, at)
                state.paused_at = None
            state.status = RunStatus.ENDED
            state.ended_at = at
        case ev.ModuleOpened(module=module):
            state.module = module
            state.module_opened_clock = state.run_clock(at)
            state.modules_opened.setdefault(module, seq)
        case ev.InjectReleased(number=number, how=how):
            state.injects[number] = replace(
                state.injects[number],
                status=InjectStatus.RELEASED,
                released_seq=seq,
                released_at=at,
                how=how,
            )
        case ev.InjectCorrected(number=number, content=content):
            inject = state.injects[number]
            state.injects[number] = replace(
                inject,
                status=InjectStatus.CORRECTED,
                content=dict(content),
                corrections=inject.corrections + 1,
            )
        case ev.InjectRetracted(number=number):
            state.injects[number] = replace(state.injects[number], status=InjectStatus.RETRACTED)
        case ev.UpdateBroadcast():
            state.broadcasts.append(
                Broadcast(
                    event.id,
                    seq,
                    at,
                    recorded.actor or "",
                    dict(event.text),
                    tuple(event.teams),
                    tuple(event.parties),
                )
            )
        case ev.InjectReceived(number=number, principal=principal):
            inject = state.injects[number]
            if principal not in inject.receipts:
                receipts = {**inject.receipts, principal: at}
                state.injects[number] = replace(inject, receipts=receipts)
        case ev.InjectAcknowledged(number=number, principal=principal):
            inject = state.injects[number]
            if principal not in inject.acknowledged:
                acknowledged = {**inject.acknowledged, principal: at}
                state.injects[number] = replace(inject, acknowledged=acknowledged)
        case ev.InjectMailed() | ev.MailFailed():
            apply_mail(state.mail, event, at)
        case ev.ResponseSubmitted():
            state.responses.append(
                Entry(
                    event.id,
                    seq,
                    at,
                    event.author,
                    event.text,
                    event.team,
                    event.party,
                    event.target,
                    event.ref,
                )
            )
        case ev.DecisionProposed():
            state.decisions[event.id] = DecisionState(
                event.id,
                event.team,
                event.party,
                event.author,
                event.title,
                event.text,
                tuple(event.joint_with),
                tuple(event.clauses),
                seq,
                at,
            )
        case ev.DecisionConcurred() | ev.DecisionNonConcurred():
            concur = isinstance(event, ev.DecisionConcurred)
            decision = state.decisions[event.decision]
            answer = Answer(
                event.party,
                event.team,
                event.author,
                concur,
                event.reasons,
                tuple(event.clauses),
                seq,
                at,
            )
            state.decisions[event.decision] = replace(
                decision, answers={**decision.answers, event.party: answer}
            )
        case ev.PollOpened(poll=poll):
            state.polls[poll] = replace(state.polls[poll], open=True, opened_seq=seq)
        case ev.PollClosed(poll=poll):
            state.polls[poll] = replace(state.polls[poll], open=False, closed_seq=seq)
        case ev.PollVoteCast():
            vote = Vote(
                event.voter, event.team, event.party, tuple(event.options), event.confidence, seq
            )
            votes = {**state.polls[event.poll].votes, event.voter: vote}
            state.polls[event.poll] = replace(state.polls[event.poll], votes=votes)
        case ev.TeamNoteAdded():
            state.notes.append(Entry(event.id, seq, at, event.author, event.text, event.team))
        case ev.ObservationRecorded():
            state.observations.append(
                Entry(
                    event.id,
                    seq,
                    at,
                    event.author,
                    event.text,
                    event.team,
                    tags={
                        "objective": event.objective,
                        "task": event.task,
                        "inject": event.inject,
                        "rating": event.rating,
                    },
                )
            )
        case ev.TargetRated() | ev.CapabilityRated():
            rating = Rating(
                event.id,
                seq,
                at,
                event.author,
                event.objective,
                event.target if isinstance(event, ev.TargetRated) else event.capability,
                event.rating,
                event.notes,
                tuple(event.evidence),
            )
            if isinstance(event, ev.TargetRated):
                state.target_ratings.append(rating)
            else:
                state.capability_ratings.append(rating)
        case ev.ClauseRecorded():
            state.clause_records.append(
                ClauseRecord(
                    event.id,
                    seq,
                    at,
                    event.author,
                    event.clause,
                    event.discussed,
                    event.notes,
                    tuple(event.evidence),
                )
            )
        case ev.HotWashItemAdded():
            state.hot_wash.append(
                HotWashItem(
                    event.id, seq, at, event.author, event.kind, event.text, event.team, event.party
                )
            )
        case ev.FeedbackSubmitted():
            submitter = recorded.actor or event.id
            earlier = state.feedback.get(submitter)
            state.feedback[submitter] = Feedback(
                event.id,
                seq,
                at,
                event.respondent,
                event.anonymous,
                event.name,
                event.organisation,
                event.role,
                tuple(event.strengths),
                tuple(event.improvements),
                event.missed,
                tuple(dict(a) for a in event.corrective_actions),
                dict(event.ratings),
                earlier.replaced + 1 if earlier else 0,
                event.party,
            )
        case ev.FindingSaved():
            earlier_finding = state.findings.get(event.id)
            state.findings[event.id] = Finding(
                event.id,
                seq,
                at,
                event.author,
                event.kind,
                event.title,
                event.analysis,
                event.capability,
                event.objective,
                tuple(event.evidence),
                tuple(event.rel_to),
                tuple(dict(a) for a in event.corrective_actions),
                earlier_finding.edits + 1 if earlier_finding else 1,
            )
            state.removed_findings.pop(event.id, None)
        case ev.FindingRemoved(id=finding_id):
            state.findings.pop(finding_id, None)
            state.removed_findings[finding_id] = seq
        case ev.ReportFinalised():
            scope = tuple(sorted(event.parties))
            state.finalised[scope] = Finalised(
                event.id, seq, at, event.author, scope, event.upto, event.hash
            )
        case _:
            fold_cells(state.cell_modes, state.cell_held, event)
            fold_proposals(state.proposals, state.proposal_answers, event)
    state.branches = advance(state.branches, state.package, event, seq, at)
    state.inbox = advance_inbox(state.inbox, event, seq, at)
    state.game = advance_game(state.game, event, seq, at)
    return state


def fold(run_id: str, package: Package, log: list[Recorded]) -> RunState:
    """A fresh state with every event of ``log`` applied in order."""
    state = RunState.initial(run_id, package)
    for recorded in log:
        apply(state, recorded)
    return state
