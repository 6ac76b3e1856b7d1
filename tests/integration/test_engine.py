"""The run engine on a real SQLite log: commands, idempotency, scheduling, the gate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.run import Rejected
from sitroom.conduct.state import DecisionStatus, InjectStatus, RunStatus
from sitroom.services.followers import FollowerLoop
from sitroom.services.runs import Engine
from sitroom.services.scheduler import Scheduler
from sitroom.storage.cursors import MemoryCursorStore
from sitroom.storage.factory import open_recorder
from tests.support.packages import SECRET_MARKERS, two_parties

FACILITATOR = Principal("account:fac", Role.FACILITATOR, "Fac")
ALD = Principal("invite:ald1", Role.PLAYER, "Ald player", team="ald-nsc", party="ald")
BRN = Principal("invite:brn1", Role.PLAYER, "Brn player", team="brn-nsc", party="brn")
EVALUATOR = Principal("invite:eval", Role.EVALUATOR, "Eval")
DISPLAY = Principal("invite:display", Role.DISPLAY, "Display")


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2027, 3, 4, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    recorder = open_recorder(f"sqlite:///{tmp_path / 'runs.db'}")
    published: list[tuple[str, int]] = []
    eng = Engine(recorder, publish=lambda r, s: published.append((r, s)))
    eng.published = published  # type: ignore[attr-defined]
    yield eng  # type: ignore[misc]
    recorder.close()


def test_a_short_exercise(engine: Engine) -> None:
    run = engine.create_run(two_parties(), run_id="duo-1")
    with pytest.raises(Rejected) as refused:
        engine.handle(run.id, cmd.StartRun(), ALD)
    assert refused.value.status == 403
    engine.handle(run.id, cmd.StartRun(), FACILITATOR)
    state = engine.state(run.id)
    assert state.status == RunStatus.RUNNING and state.module == "m1"
    engine.handle(run.id, cmd.ReleaseInject("2"), FACILITATOR)
    with pytest.raises(Rejected):
        engine.handle(run.id, cmd.SubmitResponse("inject", "2", "we see it"), BRN)
    engine.handle(run.id, cmd.SubmitResponse("inject", "2", "noted"), ALD, key="k-1")
    again = engine.handle(run.id, cmd.SubmitResponse("inject", "2", "noted"), ALD, key="k-1")
    assert again.duplicate
    assert len(engine.state(run.id).responses) == 1
    proposal = engine.handle(
        run.id,
        cmd.ProposeDecision(
            "Joint statement", "Issue it", joint_with=("brn",), clauses=("guide/1.1",)
        ),
        ALD,
        key="d-1",
    )
    decision_id = proposal.events[0].payload["id"]
    assert engine.state(run.id).decisions[decision_id].status == (
        DecisionStatus.AWAITING_CONCURRENCE
    )
    with pytest.raises(Rejected):
        engine.handle(run.id, cmd.AnswerDecision(decision_id, True), ALD)
    engine.handle(run.id, cmd.AnswerDecision(decision_id, True, "agreed"), BRN)
    assert engine.state(run.id).decisions[decision_id].status == DecisionStatus.CONCURRED
    engine.handle(run.id, cmd.OpenPoll("p1"), FACILITATOR)
    engine.handle(run.id, cmd.CastVote("p1", ("yes",), 4), ALD)
    engine.handle(run.id, cmd.CastVote("p1", ("no",), 2), BRN)
    closed = engine.handle(run.id, cmd.ClosePoll("p1"), FACILITATOR)
    assert closed.events[0].payload["results"] == {"yes": 1, "no": 1}
    engine.handle(
        run.id, cmd.RecordObservation("Good consultation", objective="o1", rating="S"), EVALUATOR
    )
    engine.handle(run.id, cmd.EndRun(), FACILITATOR)
    assert engine.state(run.id).status == RunStatus.ENDED
    assert engine.published[-1] == (run.id, engine.state(run.id).seq)  # type: ignore[attr-defined]


def test_players_never_see_controller_material(engine: Engine) -> None:
    run = engine.create_run(two_parties(), run_id="duo-2")
    engine.handle(run.id, cmd.StartRun(), FACILITATOR)
    for number in ("1", "2", "3"):
        engine.handle(run.id, cmd.ReleaseInject(number), FACILITATOR)
    engine.handle(run.id, cmd.RecordObservation("ZZOBSERVATION"), EVALUATOR)
    engine.handle(run.id, cmd.AddTeamNote("ZZALD-NOTE"), ALD)
    stored = engine.read(run.id)

    def seen(principal: Principal) -> str:
        return repr([engine.view(principal, run.id, s) for s in stored])

    brn = seen(BRN)
    for marker in (*SECRET_MARKERS[:4], "ZZALD-ONLY-TEXT", "ZZOBSERVATION", "ZZALD-NOTE"):
        assert marker not in brn, marker
    ald = seen(ALD)
    assert "ZZALD-ONLY-TEXT" in ald and "ZZALD-NOTE" in ald
    for marker in (*SECRET_MARKERS[:4], "ZZOBSERVATION"):
        assert marker not in ald, marker
    control = seen(FACILITATOR)
    for marker in (*SECRET_MARKERS, "ZZOBSERVATION", "ZZALD-NOTE"):
        assert marker in control, marker
    display = seen(DISPLAY)
    assert "ZZALD-ONLY-TEXT" not in display and "ZZEXPECTED-ACTION" not in display


def test_scheduled_injects_fire_with_paused_time_excluded(tmp_path: Path) -> None:
    clock = FakeClock()
    recorder = open_recorder(f"sqlite:///{tmp_path / 'runs.db'}", clock=clock)
    engine = Engine(recorder, clock=clock)
    run = engine.create_run(two_parties(), run_id="duo-3")
    scheduler = FollowerLoop(engine, MemoryCursorStore())

    def tick(run_id: str) -> list[str]:
        """One round of the scheduler follower: the numbers of the injects it released."""
        before = engine.state(run_id).seq
        scheduler.round(Scheduler(), run_id)
        released = engine.read(run_id, after=before)
        return [e.payload["number"] for e in released if e.type == "inject-released"]

    engine.handle(run.id, cmd.StartRun(), FACILITATOR)
    clock.now += timedelta(minutes=4)
    engine.handle(run.id, cmd.PauseRun(), FACILITATOR)
    clock.now += timedelta(minutes=30)
    assert tick(run.id) == []
    engine.handle(run.id, cmd.ResumeRun(), FACILITATOR)
    clock.now += timedelta(minutes=5)
    assert tick(run.id) == []  # 9 minutes of exercise time
    clock.now += timedelta(minutes=1, seconds=1)
    assert tick(run.id) == ["1"]
    assert tick(run.id) == []
    state = engine.state(run.id)
    assert state.injects["1"].status == InjectStatus.RELEASED
    assert state.injects["1"].how == "scheduled"
    release = [e for e in engine.read(run.id) if e.type == "inject-released"]
    assert [(e.actor, e.idempotency_key) for e in release] == [
        ("system:scheduler", "follower:scheduler:inject:1")
    ]
    assert state.injects["3"].status == InjectStatus.PLANNED  # contingency: never by schedule
    recorder.close()
