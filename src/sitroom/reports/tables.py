"""The AAR's tables of what happened: timeline, response and concurrence times, participation,
coverage of objectives and clauses, polls, rating counts, feedback and participants.

They are counts and timings over the folded (already releasable) record, with no judgement in
them; the builder in ``build.py`` keeps the findings, ratings and marking, and takes these
tables from here, so each module stays one concern.
"""

from __future__ import annotations

import bisect
from collections import Counter
from datetime import datetime, timedelta

from sitroom.conduct import events as ev
from sitroom.conduct.feedback import STATEMENTS
from sitroom.conduct.handlers.cells import is_cell
from sitroom.conduct.run import RATINGS
from sitroom.conduct.state import Recorded, RunState
from sitroom.evaluation import analytics
from sitroom.package.model import Package
from sitroom.reports.model import (
    ConcurrenceRow,
    CoverageCell,
    CoverageRow,
    FeedbackSummary,
    LatencyRow,
    ParticipationRow,
    PartyRow,
    PollRow,
    StatementRow,
    TeamRow,
    Text,
    TimelineItem,
)


class RecordTables:
    """The tables of one AAR, from its package, folded state and releasable log."""

    def __init__(self, package: Package, state: RunState, scoped: list[Recorded]) -> None:
        self.package = package
        self.state = state
        self.scoped = scoped

    def clock(self, at: datetime) -> float:
        start = self.state.started_at
        if start is None:
            return 0.0
        return analytics.active_time(self.state, start, at).total_seconds()

    def timeline(self) -> tuple[TimelineItem, ...]:
        package, items = self.package, []
        kinds: dict[type[ev.Event], str] = {
            ev.RunStarted: "startex",
            ev.RunPaused: "pause",
            ev.RunResumed: "resume",
            ev.RunEnded: "endex",
        }
        for r in self.scoped:
            event, label, ref, text, team, party = r.event, None, None, "", None, None
            cell = is_cell(getattr(event, "author", None))
            kind = kinds.get(type(event))
            match event:
                case ev.ModuleOpened(module=module):
                    found = next((m for m in package.modules if m.id == module), None)
                    kind, ref, label = "module", module, dict(found.title) if found else None
                case ev.InjectReleased(number=number):
                    inject = package.inject(number)
                    kind, ref, label = "inject", number, dict(inject.title) if inject else None
                case ev.DecisionProposed():
                    kind, ref, text, team, party = (
                        "decision",
                        event.id,
                        event.title,
                        event.team,
                        event.party,
                    )
                case ev.DecisionConcurred() | ev.DecisionNonConcurred():
                    concurred = isinstance(event, ev.DecisionConcurred)
                    kind = "concurred" if concurred else "non-concurred"
                    decision = self.state.decisions.get(event.decision)
                    ref, team, party = event.decision, event.team, event.party
                    text = decision.title if decision else ""
                case ev.MilestoneReached(milestone=milestone_id):
                    milestone = package.milestone(milestone_id)
                    kind, ref = "milestone", milestone_id
                    label = dict(milestone.name) if milestone else None
                case (
                    ev.TriggerMet(trigger=trigger, mode="fires")
                    | ev.TriggerAccepted(trigger=trigger)
                ) if trigger.startswith("inject:"):
                    inject = package.inject(trigger.partition(":")[2])
                    kind, ref = "branch", trigger.partition(":")[2]
                    label = dict(inject.title) if inject else None
                    condition = package.triggers().get(trigger)
                    text = str(condition.when) if condition else ""
                case ev.PollOpened(poll=poll_id):
                    poll = next(
                        (p for m in package.modules for p in m.polls if p.id == poll_id), None
                    )
                    kind, ref, label = "poll", poll_id, dict(poll.question) if poll else None
            if kind is None:
                continue
            items.append(
                TimelineItem(
                    seq=r.seq,
                    at=r.at.isoformat(),
                    clock=self.clock(r.at),
                    kind=kind,
                    ref=ref,
                    label=label,
                    text=text,
                    team=team,
                    party=party,
                    cell=cell,
                )
            )
        return tuple(items)

    def latencies(self) -> tuple[LatencyRow, ...]:
        rows = []
        for timing in analytics.inject_timings(self.state):
            inject = self.package.inject(timing.inject)
            team = self.package.team(timing.team)
            rows.append(
                LatencyRow(
                    inject=timing.inject,
                    inject_title=dict(inject.title) if inject else {},
                    team=timing.team,
                    team_name=dict(team.name) if team else {"en": timing.team},
                    party=team.party if team else None,
                    response_seconds=_seconds(timing.first_response.active),
                    decision_seconds=_seconds(timing.first_decision.active),
                )
            )
        return tuple(rows)

    def concurrence(self) -> tuple[ConcurrenceRow, ...]:
        rows = []
        for item in analytics.concurrence_times(self.state):
            decision = self.state.decisions.get(item.decision)
            rows.append(
                ConcurrenceRow(
                    decision=item.decision,
                    title=decision.title if decision else item.decision,
                    team=item.team,
                    parties=tuple(p for p in (item.party, *item.joint_with) if p),
                    status=str(item.status),
                    seconds=_seconds(item.latency.active),
                    cell=bool(decision and is_cell(decision.author)),
                )
            )
        return tuple(rows)

    def participation(self) -> tuple[ParticipationRow, ...]:
        balance = analytics.participation(self.state)
        rows = []
        for item in (*balance.teams, *balance.parties):
            if item.team is not None:
                team = self.package.team(item.team)
                name: Text = dict(team.name) if team else {"en": item.team}
            else:
                party = self.package.party(item.party or "")
                name = dict(party.name) if party else {"en": item.party or ""}
            rows.append(
                ParticipationRow(
                    party=item.party,
                    team=item.team,
                    name=name,
                    responses=item.responses,
                    decisions=item.decisions,
                    answers=item.answers,
                    notes=item.notes,
                    votes=item.votes,
                    total=item.total,
                    share=balance.share(item),
                )
            )
        return tuple(rows)

    def coverage(
        self,
    ) -> tuple[tuple[CoverageRow, ...], tuple[CoverageRow, ...], tuple[CoverageCell, ...]]:
        package = self.package
        found = analytics.coverage(self.state)
        objectives = {o.id: o for o in package.objectives}
        objective_rows = tuple(
            CoverageRow(
                kind="objective",
                id=c.id,
                label=dict(objectives[c.id].text),
                title=None,
                evidence=tuple(e.seq for e in c.evidence),
                discussed=None,
            )
            for c in found.objectives
        )
        clause_rows = []
        for c in found.clauses:
            clause = package.clause(c.id)
            clause_rows.append(
                CoverageRow(
                    kind="clause",
                    id=c.id,
                    label=dict(clause.text) if clause else {"en": c.id},
                    title=dict(clause.title) if clause and clause.title else None,
                    evidence=tuple(dict.fromkeys(e.seq for e in c.evidence)),
                    discussed=c.discussed,
                )
            )
        opened = sorted((seq, module) for module, seq in self.state.modules_opened.items())
        seqs = [seq for seq, _ in opened]
        cells: Counter[tuple[str, str]] = Counter()
        for row in found.objectives:
            for evidence in row.evidence:
                module = None
                if evidence.source == "inject":
                    found_module = package.module_of(evidence.ref)
                    module = found_module.id if found_module else None
                if module is None:
                    at = bisect.bisect_right(seqs, evidence.seq) - 1
                    module = opened[at][1] if at >= 0 else None
                if module is not None:
                    cells[(row.id, module)] += 1
        heat = tuple(
            CoverageCell(o.id, m.id, cells.get((o.id, m.id), 0))
            for o in package.objectives
            for m in package.modules
        )
        return objective_rows, tuple(clause_rows), heat

    def polls(self) -> tuple[PollRow, ...]:
        texts = {p.id: p for m in self.package.modules for p in m.polls}
        rows = []
        for item in analytics.poll_alignment(self.state):
            poll = texts[item.poll]
            options = {o.id: dict(o.text) for o in poll.options}
            rows.append(
                PollRow(
                    poll=item.poll,
                    question=dict(poll.question),
                    voters=item.voters,
                    counts=tuple((o, options.get(o, {}), n) for o, n in item.counts.items()),
                    top_option=item.top_option,
                    alignment=item.alignment,
                    mean_confidence=item.mean_confidence,
                )
            )
        return tuple(rows)

    def rating_counts(self) -> dict[str, dict[str, int]]:
        distribution = analytics.rating_distribution(self.state)
        observed = dict.fromkeys(RATINGS, 0)
        for observation in self.state.observations:
            rating = observation.tags.get("rating")
            if rating in observed:
                observed[rating] += 1
        return {
            "targets": dict(distribution.targets),
            "capabilities": dict(distribution.capabilities),
            "observations": observed,
        }

    def feedback(self) -> FeedbackSummary:
        forms = sorted(self.state.feedback.values(), key=lambda f: f.seq)
        statements = []
        for statement in STATEMENTS:
            scores = [f.ratings[statement.id] for f in forms if statement.id in f.ratings]
            statements.append(
                StatementRow(
                    statement.id,
                    dict(statement.text),
                    round(sum(scores) / len(scores), 2) if scores else None,
                    len(scores),
                )
            )
        return FeedbackSummary(
            forms=len(forms),
            anonymous=sum(1 for f in forms if f.anonymous),
            statements=tuple(statements),
            strengths=tuple(s for f in forms for s in f.strengths),
            improvements=tuple(s for f in forms for s in f.improvements),
            missed=tuple(f.missed for f in forms if f.missed),
            suggested_actions=tuple(dict(a) for f in forms for a in f.corrective_actions),
        )

    def participants(self) -> tuple[PartyRow, ...]:
        people: dict[str, set[str]] = {}
        state = self.state
        for entry in (*state.responses, *state.notes):
            if entry.team:
                people.setdefault(entry.team, set()).add(entry.author)
        for decision in state.decisions.values():
            people.setdefault(decision.team, set()).add(decision.author)
            for answer in decision.answers.values():
                people.setdefault(answer.team, set()).add(answer.author)
        for poll in state.polls.values():
            for vote in poll.votes.values():
                if vote.team:
                    people.setdefault(vote.team, set()).add(vote.voter)

        def team_rows(party: str | None) -> tuple[TeamRow, ...]:
            return tuple(
                TeamRow(t.id, dict(t.name), str(t.kind), len(people.get(t.id, ())))
                for t in self.package.teams
                if t.party == party
            )

        rows = [PartyRow(p.id, dict(p.name), p.code, team_rows(p.id)) for p in self.package.parties]
        others = team_rows(None)
        if others:
            rows.append(PartyRow("", {}, "", others))
        return tuple(rows)


def _seconds(value: object) -> float | None:

    return value.total_seconds() if isinstance(value, timedelta) else None
