"""Rehearsal: play a whole exercise with every player team as a simulated cell, then say what
the design leaves untouched.

An in-process engine on an in-memory log, a simulated clock, the real scheduler and the real
cell followers: a stand-in facilitator opens each module, lets the scheduler release the
standard injects as their offsets come due (the clock jumps from one to the next; a seeded
few minutes of discussion pass after each round of answers), opens and closes the polls, and
ends the run. Held cell actions are released as control would, except those the escalation
guard stopped, which the stand-in discards (each one is a guard hit). The result lists the
injects nobody answered, the objectives and guideline clauses never touched, the decisions
that never reached concurrence and the time per module, with the verified chain and the
draft AAR.
"""

from __future__ import annotations

import math
import random
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.state import DecisionStatus, InjectStatus, RunState
from sitroom.package.model import InjectType, Package
from sitroom.reports.html import render_html
from sitroom.services.cells.follower import cells_of
from sitroom.services.cells.mind import Mind
from sitroom.services.followers import Follower, FollowerLoop
from sitroom.services.runs import Engine
from sitroom.services.scheduler import Scheduler
from sitroom.storage.cursors import MemoryCursorStore
from sitroom.storage.memory import MemoryRecorder
from sitroom.storage.recorder import verify_chain

DIRECTOR = Principal("system:rehearsal", Role.FACILITATOR, "rehearsal control")
START = datetime(2030, 1, 1, 8, 0, tzinfo=UTC)
MAX_ROUNDS = 20
"""Rounds of cell answers after one release (answers to answers settle well before)."""


class SimulatedClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Rehearsal:
    """What one rehearsal found."""

    seed: int
    chain_problems: list[str]
    ended: bool
    unanswered_injects: list[str]
    untouched_objectives: list[str]
    untouched_clauses: list[str]
    unconcurred: list[str]
    module_minutes: dict[str, float]
    decisions: int
    joint: int
    concurred: int
    concurrence_minutes: list[float]
    guard_hits: int
    no_actions: int
    events: int
    seconds: float
    aar_html: str = field(repr=False, default="")

    @property
    def concurrence_rate(self) -> float:
        return self.concurred / self.joint if self.joint else 0.0


def rehearse(
    package: Package,
    *,
    seed: int = 0,
    mind: Mind | None = None,
    compression: float = 1.0,
    lang: str = "en",
    aar: bool = True,
) -> Rehearsal:
    """Play ``package`` once with every player team as a cell; see the module docstring."""
    started = time.perf_counter()
    clock = SimulatedClock()
    engine = Engine(MemoryRecorder(clock=clock), clock=clock)
    run_id = engine.create_run(package, run_id=f"rehearsal-{seed}").id
    rng = random.Random(seed)
    loop = FollowerLoop(engine, MemoryCursorStore())
    cells = cells_of(package, engine.package, mind, seed=seed, every_team=True)
    scheduler = Scheduler()
    module_minutes: dict[str, float] = {}
    guard_hits = 0

    def settle() -> None:
        nonlocal guard_hits
        for _ in range(MAX_ROUNDS):
            acted = 0
            for cell in cells:
                if loop.round(cell, run_id):
                    acted += 1
                    clock.now += timedelta(minutes=rng.randint(1, 6))  # the room talks it over
            guard_hits += _oversee(engine, run_id)
            if not acted:
                return

    engine.handle(run_id, cmd.StartRun(compression), DIRECTOR)
    for cell in cells:  # control lets every cell act; the escalation guard still holds
        engine.handle(run_id, cmd.SetCellMode(cell.team, "autonomous"), DIRECTOR)
    for module in package.modules:
        opened = clock.now
        engine.handle(run_id, cmd.OpenModule(module.id), DIRECTOR)
        settle()
        planned = sorted(
            (i for i in module.injects if i.type != InjectType.CONTINGENCY),
            key=lambda i: (i.offset is None, i.offset or timedelta()),
        )
        for inject in planned:
            if inject.offset is not None:
                clock.now = max(clock.now, opened + inject.offset / compression)
                _run(loop, scheduler, run_id)
            if engine.state(run_id).injects[inject.number].status == InjectStatus.PLANNED:
                engine.handle(run_id, cmd.ReleaseInject(inject.number), DIRECTOR)
            settle()
        for poll in module.polls:
            engine.handle(run_id, cmd.OpenPoll(poll.id), DIRECTOR)
            settle()
            engine.handle(run_id, cmd.ClosePoll(poll.id), DIRECTOR)
        module_minutes[module.id] = (clock.now - opened).total_seconds() / 60
    engine.handle(run_id, cmd.EndRun(), DIRECTOR)
    state = engine.state(run_id)
    record = engine.recorder.get_run(run_id)
    problems = verify_chain(engine.recorder.read(run_id), record.package_hash if record else None)
    found = _findings(state)
    return Rehearsal(
        seed=seed,
        chain_problems=problems,
        ended=state.ended_at is not None,
        module_minutes=module_minutes,
        guard_hits=guard_hits,
        no_actions=sum(
            1
            for e in engine.read(run_id)
            if e.type == "cell-acted" and e.payload.get("action") == "none"
        ),
        events=state.seq,
        seconds=time.perf_counter() - started,
        aar_html=render_html(engine.report(run_id), lang) if aar else "",
        **found,
    )


def _run(loop: FollowerLoop, follower: Follower, run_id: str) -> None:
    loop.round(follower, run_id)


def _oversee(engine: Engine, run_id: str) -> int:
    """Release what waits for approval; discard what the escalation guard stopped."""
    hits = 0
    for held in list(engine.state(run_id).cell_held.values()):
        if held.reason == "escalation":
            hits += 1
            engine.handle(run_id, cmd.DiscardCellAction(held.id, held.note), DIRECTOR)
        else:
            engine.handle(run_id, cmd.ReleaseCellAction(held.id), DIRECTOR)
    return hits


def _findings(state: RunState) -> dict[str, Any]:
    package = state.package
    answered = {e.ref for e in state.responses if e.target == "inject"}
    answered_questions = {e.ref for e in state.responses if e.target == "question"}
    released = [n for n, i in state.injects.items() if i.status != InjectStatus.PLANNED]
    voted = {p for p, s in state.polls.items() if s.votes}
    touched: set[str] = set()
    clauses: set[str] = set()
    for inject in package.injects():
        if inject.number in answered:
            touched |= set(inject.objectives)
            clauses |= set(inject.clauses)
    for module in package.modules:
        touched |= {o for q in module.questions if q.id in answered_questions for o in q.objectives}
        touched |= {o for p in module.polls if p.id in voted for o in p.objectives}
    for decision in state.decisions.values():
        clauses |= set(decision.clauses)
        for answer in decision.answers.values():
            clauses |= set(answer.clauses)
    joint = [d for d in state.decisions.values() if d.joint_with]
    concurred = [d for d in joint if d.status == DecisionStatus.CONCURRED]
    times = [(max(a.at for a in d.answers.values()) - d.at).total_seconds() / 60 for d in concurred]
    return {
        "unanswered_injects": [n for n in released if n not in answered],
        "untouched_objectives": [o.id for o in package.objectives if o.id not in touched],
        "untouched_clauses": [
            f"{r.id}/{c.id}"
            for r in package.references
            for c in r.clauses
            if f"{r.id}/{c.id}" not in clauses
        ],
        "unconcurred": [d.id for d in joint if d.status != DecisionStatus.CONCURRED],
        "decisions": len(state.decisions),
        "joint": len(joint),
        "concurred": len(concurred),
        "concurrence_minutes": times,
    }


# --- over several runs ---------------------------------------------------------------------

T_95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
        9: 2.262, 10: 2.228, 12: 2.179, 15: 2.131, 20: 2.086, 25: 2.060, 30: 2.042}  # fmt: skip
"""Student's t for a two-sided 95 % interval, by degrees of freedom."""


@dataclass(frozen=True, slots=True)
class Spread:
    """A mean over runs and its 95 % confidence interval (Student's t)."""

    n: int
    mean: float
    low: float
    high: float


def spread(values: list[float]) -> Spread:
    """Mean and 95 % interval of ``values`` (the interval is the mean itself for one value)."""
    n = len(values)
    if n == 0:
        return Spread(0, math.nan, math.nan, math.nan)
    mean = statistics.fmean(values)
    if n == 1:
        return Spread(1, mean, mean, mean)
    df = n - 1
    t = T_95[max(k for k in T_95 if k <= df)] if df <= 30 else 1.96
    half = t * statistics.stdev(values) / math.sqrt(n)
    return Spread(n, mean, mean - half, mean + half)


def distributions(runs: list[Rehearsal]) -> dict[str, Spread]:
    """Per measure, its spread over ``runs``."""
    times = [statistics.fmean(r.concurrence_minutes) for r in runs if r.concurrence_minutes]
    return {
        "decisions taken": spread([float(r.decisions) for r in runs]),
        "concurrence rate": spread([r.concurrence_rate for r in runs]),
        "minutes to concurrence": spread(times),
        "escalation-guard hits": spread([float(r.guard_hits) for r in runs]),
        "no actions": spread([float(r.no_actions) for r in runs]),
    }
