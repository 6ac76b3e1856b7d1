"""Analytics of a run: timings, participation, coverage, poll alignment, ratings.

Every function is a pure projection of a folded ``RunState`` (which carries its package).
Durations come twice: ``elapsed`` on the wall clock and ``active`` with paused time left out,
which is what the room actually spent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sitroom.conduct.run import RATINGS
from sitroom.conduct.state import DecisionStatus, RunState

# --- time -------------------------------------------------------------------------------------


def active_time(state: RunState, start: datetime, end: datetime) -> timedelta:
    """Time from ``start`` to ``end`` with the run's pauses left out."""
    if end <= start:
        return timedelta()
    paused = timedelta()
    for began, ended in state.pauses:
        stop = ended or end
        overlap = min(stop, end) - max(began, start)
        if overlap > timedelta():
            paused += overlap
    return end - start - paused


@dataclass(frozen=True, slots=True)
class Latency:
    """From an event (at ``from_seq``) to a later one (``to_seq``), if it happened."""

    from_seq: int
    to_seq: int | None
    elapsed: timedelta | None
    active: timedelta | None


def _latency(
    state: RunState, from_seq: int, start: datetime, to: tuple[int, datetime] | None
) -> Latency:
    if to is None:
        return Latency(from_seq, None, None, None)
    return Latency(from_seq, to[0], to[1] - start, active_time(state, start, to[1]))


@dataclass(frozen=True, slots=True)
class InjectTiming:
    """How fast one team answered one released inject."""

    inject: str
    team: str
    released_seq: int
    first_response: Latency
    first_decision: Latency


def inject_timings(state: RunState) -> tuple[InjectTiming, ...]:
    """For each released inject and each team it went to: time to the team's first response
    to it, and to the team's first decision proposed after the release."""
    package = state.package
    timings: list[InjectTiming] = []
    for number, inject_state in state.injects.items():
        if inject_state.released_seq is None or inject_state.released_at is None:
            continue
        inject = package.inject(number)
        if inject is None:
            continue
        released_seq, released_at = inject_state.released_seq, inject_state.released_at
        for team in package.recipients(inject):
            response = next(
                (
                    (r.seq, r.at)
                    for r in state.responses
                    if r.team == team.id and r.target == "inject" and r.ref == number
                ),
                None,
            )
            decision = min(
                (
                    (d.seq, d.at)
                    for d in state.decisions.values()
                    if d.team == team.id and d.seq > released_seq
                ),
                default=None,
            )
            timings.append(
                InjectTiming(
                    number,
                    team.id,
                    released_seq,
                    _latency(state, released_seq, released_at, response),
                    _latency(state, released_seq, released_at, decision),
                )
            )
    return tuple(timings)


@dataclass(frozen=True, slots=True)
class Concurrence:
    """A joint decision: from its proposal to the last concurrence, if all concurred."""

    decision: str
    team: str
    party: str | None
    joint_with: tuple[str, ...]
    status: DecisionStatus
    answered: tuple[str, ...]  # the parties that have answered, in answer order
    latency: Latency


def concurrence_times(state: RunState) -> tuple[Concurrence, ...]:
    """Time to allied concurrence for every joint decision (None until every party concurred)."""
    result: list[Concurrence] = []
    for decision in sorted(state.decisions.values(), key=lambda d: d.seq):
        if not decision.joint_with:
            continue
        answers = sorted(decision.answers.values(), key=lambda a: a.seq)
        last = answers[-1] if answers else None
        done = decision.status == DecisionStatus.CONCURRED and last is not None
        result.append(
            Concurrence(
                decision.id,
                decision.team,
                decision.party,
                decision.joint_with,
                decision.status,
                tuple(a.party for a in answers),
                _latency(
                    state,
                    decision.seq,
                    decision.at,
                    (last.seq, last.at) if done and last is not None else None,
                ),
            )
        )
    return tuple(result)


# --- participation ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Participation:
    """What one team (or, with ``team`` None, one whole party) contributed."""

    party: str | None
    team: str | None
    responses: int = 0
    decisions: int = 0
    answers: int = 0  # concurrence answers to allied decisions
    notes: int = 0
    votes: int = 0

    @property
    def total(self) -> int:
        return self.responses + self.decisions + self.answers + self.notes + self.votes


@dataclass(frozen=True, slots=True)
class Balance:
    """Participation by team and by party, and each one's share of the whole."""

    teams: tuple[Participation, ...]
    parties: tuple[Participation, ...]

    def share(self, item: Participation) -> float:
        """``item``'s share of all contributions (0 when nobody contributed)."""
        whole = sum(t.total for t in self.teams)
        return round(item.total / whole, 3) if whole else 0.0


_KINDS = ("responses", "decisions", "answers", "notes", "votes")


def participation(state: RunState) -> Balance:
    """Responses, decisions, concurrence answers, notes and poll votes per team and party."""
    package = state.package
    counts: dict[str, dict[str, int]] = {
        t.id: dict.fromkeys(_KINDS, 0) for t in package.player_teams()
    }

    def add(team: str | None, kind: str) -> None:
        if team is not None:
            counts.setdefault(team, dict.fromkeys(_KINDS, 0))[kind] += 1

    for response in state.responses:
        add(response.team, "responses")
    for decision in state.decisions.values():
        add(decision.team, "decisions")
        for answer in decision.answers.values():
            add(answer.team, "answers")
    for note in state.notes:
        add(note.team, "notes")
    for poll in state.polls.values():
        for vote in poll.votes.values():
            add(vote.team, "votes")

    def party_of(team: str) -> str | None:
        found = package.team(team)
        return found.party if found else None

    teams = tuple(
        Participation(party_of(team), team, **numbers) for team, numbers in counts.items()
    )
    parties: list[Participation] = []
    for party in [p.id for p in package.parties]:
        mine = [t for t in teams if t.party == party]
        parties.append(
            Participation(
                party,
                None,
                responses=sum(t.responses for t in mine),
                decisions=sum(t.decisions for t in mine),
                answers=sum(t.answers for t in mine),
                notes=sum(t.notes for t in mine),
                votes=sum(t.votes for t in mine),
            )
        )
    return Balance(teams, tuple(parties))


# --- coverage ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Evidence:
    """A log event that exercised an objective or a clause, and how."""

    seq: int
    source: str  # inject | question | poll | observation | clause-record | decision | answer
    ref: str  # the inject number, question id, poll id, entry id or decision id


@dataclass(frozen=True, slots=True)
class Covered:
    """One objective or clause: the events that exercised it (empty: never touched)."""

    id: str
    evidence: tuple[Evidence, ...]
    discussed: bool | None = None  # clauses: the latest clause record, if any

    @property
    def exercised(self) -> bool:
        return bool(self.evidence)


@dataclass(frozen=True, slots=True)
class Coverage:
    """Which objectives and guideline clauses the run exercised, and which it never touched."""

    objectives: tuple[Covered, ...]
    clauses: tuple[Covered, ...]

    @property
    def untouched_objectives(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.objectives if not c.exercised)

    @property
    def untouched_clauses(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.clauses if not c.exercised)


def coverage(state: RunState) -> Coverage:
    """Objectives and clauses exercised: by released injects that link them, questions and
    polls of opened modules, tagged observations, decisions citing clauses and clause records
    marked discussed."""
    package = state.package
    objectives: dict[str, list[Evidence]] = {o.id: [] for o in package.objectives}
    clauses: dict[str, list[Evidence]] = {
        f"{r.id}/{c.id}": [] for r in package.references for c in r.clauses
    }
    task_objective = {
        task.id: objective.id
        for objective in package.objectives
        for target in objective.targets
        for task in target.tasks
    }
    task_source = {task.id: task.source for task in package.tasks()}

    def to_objective(objective: str | None, evidence: Evidence) -> None:
        if objective is not None and objective in objectives:
            objectives[objective].append(evidence)

    def to_clause(clause: str | None, evidence: Evidence) -> None:
        if clause is not None and clause in clauses:
            clauses[clause].append(evidence)

    for number, inject_state in state.injects.items():
        inject = package.inject(number)
        if inject is None or inject_state.released_seq is None:
            continue
        evidence = Evidence(inject_state.released_seq, "inject", number)
        for objective in inject.objectives:
            to_objective(objective, evidence)
        for task in inject.tasks:
            to_objective(task_objective.get(task), evidence)
            to_clause(task_source.get(task), evidence)
        for clause in inject.clauses:
            to_clause(clause, evidence)
    for module in package.modules:
        opened = state.modules_opened.get(module.id)
        if opened is None:
            continue
        for question in module.questions:
            for objective in question.objectives:
                to_objective(objective, Evidence(opened, "question", question.id))
    for poll in (p for m in package.modules for p in m.polls):
        poll_state = state.polls.get(poll.id)
        if poll_state is not None and poll_state.opened_seq is not None:
            for objective in poll.objectives:
                to_objective(objective, Evidence(poll_state.opened_seq, "poll", poll.id))
    for observation in state.observations:
        evidence = Evidence(observation.seq, "observation", observation.id)
        to_objective(observation.tags.get("objective"), evidence)
        tagged_task = observation.tags.get("task")
        if tagged_task is not None:
            to_objective(task_objective.get(tagged_task), evidence)
            to_clause(task_source.get(tagged_task), evidence)
    for decision in state.decisions.values():
        for clause in decision.clauses:
            to_clause(clause, Evidence(decision.seq, "decision", decision.id))
        for answer in decision.answers.values():
            for clause in answer.clauses:
                to_clause(clause, Evidence(answer.seq, "answer", decision.id))
    latest: dict[str, bool] = {}
    for record in state.clause_records:
        latest[record.clause] = record.discussed
        if record.discussed:
            to_clause(record.clause, Evidence(record.seq, "clause-record", record.id))
            for seq in record.evidence:
                to_clause(record.clause, Evidence(seq, "clause-record", record.id))

    def covered(
        items: dict[str, list[Evidence]], discussed: Mapping[str, bool]
    ) -> tuple[Covered, ...]:
        return tuple(
            Covered(
                key,
                tuple(sorted(set(found), key=lambda e: (e.seq, e.source, e.ref))),
                discussed.get(key),
            )
            for key, found in items.items()
        )

    return Coverage(covered(objectives, {}), covered(clauses, latest))


# --- polls and ratings --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PollAlignment:
    """How far the voters of one poll agreed."""

    poll: str
    voters: int
    counts: Mapping[str, int]
    top_option: str | None  # the most chosen (ties: the first in the poll's order)
    alignment: float | None  # share of voters who chose the top option
    mean_confidence: float | None


def poll_alignment(state: RunState) -> tuple[PollAlignment, ...]:
    """Per poll of the package: votes, the most-chosen option and the share agreeing with it."""
    result: list[PollAlignment] = []
    for poll in (p for m in state.package.modules for p in m.polls):
        poll_state = state.polls.get(poll.id)
        if poll_state is None:
            continue
        counts = poll_state.results()
        voters = len(poll_state.votes)
        order = [o.id for o in poll.options]
        top = max(order, key=lambda o: (counts.get(o, 0), -order.index(o))) if counts else None
        result.append(
            PollAlignment(
                poll.id,
                voters,
                {o: counts.get(o, 0) for o in order},
                top,
                round(counts.get(top, 0) / voters, 3) if top is not None and voters else None,
                poll_state.mean_confidence(),
            )
        )
    return tuple(result)


@dataclass(frozen=True, slots=True)
class RatingDistribution:
    """P/S/M/U counts over the ratings that count (the latest per evaluator and subject)."""

    targets: Mapping[str, int]
    capabilities: Mapping[str, int]

    @property
    def total(self) -> Mapping[str, int]:
        return {r: self.targets[r] + self.capabilities[r] for r in RATINGS}


def rating_distribution(state: RunState) -> RatingDistribution:
    """How many targets and capabilities were rated P, S, M and U."""
    targets = dict.fromkeys(RATINGS, 0)
    for rating in state.latest_target_ratings().values():
        targets[rating.rating] += 1
    capabilities = dict.fromkeys(RATINGS, 0)
    for rating in state.latest_capability_ratings().values():
        capabilities[rating.rating] += 1
    return RatingDistribution(targets, capabilities)
