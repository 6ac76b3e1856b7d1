"""Play a whole exercise through the engine by commands, as the room would: STARTEX, every
module, every inject released and answered by the teams that may see it, questions, joint
decisions with concurrence, polls, notes, observations, EEG ratings, clause records, the hot
wash, ENDEX and feedback forms.

What a team types carries a marker naming its party (``PRIVATE-<party>-<n>``), so a test can
prove that one party's material never reaches another party's AAR. ``rounds`` repeats the
play of each module (for large benchmark runs).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.run import Rejected
from sitroom.conduct.visibility import can_see_inject, can_see_poll, can_see_question
from sitroom.package.examples import example_path
from sitroom.package.load import load_package
from sitroom.package.model import InjectType, Package
from sitroom.services.runs import Engine
from sitroom.storage.factory import open_recorder

RATING_CYCLE = ("P", "S", "M", "U", "S", "P")


class StepClock:
    """A clock that moves only when told: every command happens a known time later."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2027, 3, 4, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)


@dataclass
class Played:
    """What a play-through did: the run, its people and the markers each party typed."""

    run_id: str
    facilitator: Principal
    evaluator: Principal
    players: list[Principal]
    markers: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    commands: int = 0


def example_package(name: str) -> Package:
    result = load_package(example_path(name) / "exercise.yaml")
    assert result.package is not None, [str(p) for p in result.problems]
    return result.package


def play(
    engine: Engine,
    package: Package,
    clock: StepClock,
    *,
    run_id: str = "played",
    rounds: int = 1,
    observation_rate: float = 1.0,
    pace: float = 1.0,
    end: bool = True,
) -> Played:
    """Play ``package`` from STARTEX to ENDEX (and feedback) in a new run ``run_id``."""
    engine.create_run(package, run_id=run_id)
    fac = Principal("account:facilitator", Role.FACILITATOR, "Facilitator")
    evaluator = Principal("invite:lead-evaluator", Role.EVALUATOR, "Lead evaluator")
    players = [
        Principal(f"invite:{team.id}-{n}", Role.PLAYER, f"{team.id} {n}", team.id, team.party)
        for team in package.player_teams()
        for n in (1, 2)
    ]
    played = Played(run_id, fac, evaluator, players)
    counter = itertools.count(1)
    ratings = itertools.cycle(RATING_CYCLE)

    owed = [0.0]  # observations owed at ``observation_rate`` per answered inject

    def do(command: cmd.Command, who: Principal, minutes: float = 0.5) -> list[int]:
        clock.advance(minutes * pace)
        played.commands += 1
        return [e.seq for e in engine.handle(run_id, command, who).events]

    def private(who: Principal, what: str) -> str:
        marker = f"PRIVATE-{who.party or 'none'}-{next(counter)}"
        played.markers[who.party or "none"].append(marker)
        return f"{what} ({who.team}) {marker}"

    leads = {p.team: p for p in players if p.name.endswith(" 1")}
    evidence: list[int] = []
    do(cmd.StartRun(), fac, 0)
    for index, module in enumerate(package.modules):
        for again in range(rounds):
            if index or again:
                do(cmd.OpenModule(module.id), fac, 2)
            polls = module.polls if not again else ()
            for poll in polls:
                do(cmd.OpenPoll(poll.id), fac)
            for inject in module.injects:
                if inject.type == InjectType.CONTINGENCY:
                    continue
                if not again:
                    evidence.extend(do(cmd.ReleaseInject(inject.number), fac, 3))
                seeing = [p for p in players if can_see_inject(p, package, inject)]
                for player in seeing:
                    do(cmd.AcknowledgeInject(inject.number), player, 0.2)
                for player in (p for p in seeing if p in leads.values()):
                    seqs = do(
                        cmd.SubmitResponse(
                            "inject", inject.number, private(player, f"Response to {inject.number}")
                        ),
                        player,
                        1.5,
                    )
                    evidence.extend(seqs)
                    owed[0] += observation_rate
                    while owed[0] >= 1:
                        owed[0] -= 1
                        do(
                            cmd.RecordObservation(
                                private(player, f"Observed the answer to {inject.number}"),
                                task=inject.tasks[0] if inject.tasks else None,
                                objective=None
                                if inject.tasks
                                else next(iter(inject.objectives), None),
                                inject=inject.number,
                                team=player.team,
                                rating=next(ratings),
                            ),
                            evaluator,
                            0.2,
                        )
            for question in module.questions:
                for player in leads.values():
                    if can_see_question(player, package, question):
                        do(
                            cmd.SubmitResponse(
                                "question", question.id, private(player, f"On {question.id}")
                            ),
                            player,
                        )
            parties = [p.id for p in package.parties]
            if len(parties) > 1:
                proposer = next(p for p in leads.values() if p.party == parties[0])
                clauses = tuple(f"{r.id}/{c.id}" for r in package.references for c in r.clauses)[
                    index % 3 : index % 3 + 1
                ]
                (proposed,) = do(
                    cmd.ProposeDecision(
                        f"Joint line for {module.id}",
                        "We propose a joint public statement and a consultation call.",
                        tuple(parties[1:]),
                        clauses,
                    ),
                    proposer,
                    4,
                )
                decision = engine.read(run_id, after=proposed - 1)[0].payload["id"]
                for party in parties[1:]:
                    answerer = next(p for p in leads.values() if p.party == party)
                    do(
                        cmd.AnswerDecision(
                            decision,
                            concur=index % 4 != 3,
                            reasons="Consistent with the guidelines.",
                            clauses=clauses,
                        ),
                        answerer,
                        6,
                    )
            for player in leads.values():
                do(cmd.AddTeamNote(private(player, f"Note in {module.id}")), player)
                for poll in polls:
                    if can_see_poll(player, package, poll):
                        do(
                            cmd.CastVote(poll.id, (poll.options[0].id,), 4),
                            player,
                            0.3,
                        )
            for poll in polls:
                do(cmd.ClosePoll(poll.id), fac)
    for objective in package.objectives:
        for target in objective.targets:
            do(
                cmd.RateTarget(
                    target.id,
                    next(ratings),
                    f"Target {target.id}: the teams met it with some delay.",
                    tuple(evidence[:3]),
                ),
                evaluator,
            )
        for capability in dict.fromkeys(
            (*objective.capabilities, *(t.capability for t in objective.targets))
        ):
            do(
                cmd.RateCapability(objective.id, capability, next(ratings), "Overall.", ()),
                evaluator,
            )
    for n, reference in enumerate(package.references):
        for m, clause in enumerate(reference.clauses):
            do(
                cmd.RecordClause(
                    f"{reference.id}/{clause.id}",
                    (n + m) % 3 != 2,
                    "Discussed during the joint session.",
                    (),
                ),
                evaluator,
            )
    for party in package.parties:
        do(
            cmd.AddHotWashItem(
                "strength", f"{party.id}: early notification worked", party=party.id
            ),
            evaluator,
        )
        do(
            cmd.AddHotWashItem(
                "improvement", f"{party.id}: the release process was slow", party=party.id
            ),
            evaluator,
        )
    do(cmd.AddHotWashItem("improvement", "Both sides need a shared glossary."), evaluator)
    if not end:
        return played
    do(cmd.EndRun(), fac, 5)
    for n, lead in enumerate(leads.values()):
        try:
            do(
                cmd.SubmitFeedback(
                    anonymous=n % 2 == 1,
                    name="" if n % 2 == 1 else lead.name,
                    organisation=lead.team or "",
                    strengths=(private(lead, "Strength"),),
                    improvements=(private(lead, "Improvement"),),
                    corrective_actions=(
                        cmd.SuggestedAction(private(lead, "Write a checklist"), "High", "J3"),
                    ),
                    ratings={"briefings": 4, "scenario-plausible": 5 - n % 2},
                ),
                lead,
            )
        except Rejected:
            raise
    return played


@dataclass
class Example:
    """A bundled example played whole in its own SQLite database."""

    engine: Engine
    package: Package
    played: Played
    clock: StepClock


@contextmanager
def played_example(
    folder: Path, run_id: str, name: str = "allied-consultation", **options: Any
) -> Iterator[Example]:
    """Play the bundled example ``name`` as run ``run_id`` (``play`` options pass through);
    the database is closed afterwards."""
    clock = StepClock()
    recorder = open_recorder(f"sqlite:///{folder / 'runs.db'}", clock=clock)
    try:
        engine = Engine(recorder, clock=clock)
        package = example_package(name)
        played = play(engine, package, clock, run_id=run_id, **options)
        yield Example(engine, package, played, clock)
    finally:
        recorder.close()
