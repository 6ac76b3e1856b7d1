"""The run engine over the in-memory recorder: the rules of a run and of keys, no database."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.run import Rejected
from sitroom.conduct.state import DecisionStatus, InjectStatus, RunStatus
from sitroom.services.followers import FollowerLoop
from sitroom.services.idempotency import command_hash
from sitroom.services.runs import SCHEDULER, Engine
from sitroom.services.scheduler import Scheduler
from sitroom.storage import MemoryRecorder, verify_chain
from sitroom.storage.cursors import MemoryCursorStore
from tests.support.packages import SECRET_MARKERS, two_parties

FACILITATOR = Principal("account:fac", Role.FACILITATOR, "Fac")
ALD = Principal("invite:ald1", Role.PLAYER, "Ald player", team="ald-nsc", party="ald")
ALD_TWO = Principal("invite:ald2", Role.PLAYER, "Second Ald player", team="ald-nsc", party="ald")
BRN = Principal("invite:brn1", Role.PLAYER, "Brn player", team="brn-nsc", party="brn")
DISPLAY = Principal("invite:display", Role.DISPLAY, "Display")


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2027, 3, 4, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def published() -> list[tuple[str, int]]:
    return []


@pytest.fixture
def engine(clock: FakeClock, published: list[tuple[str, int]]) -> Engine:
    recorder = MemoryRecorder(clock=clock)
    return Engine(recorder, publish=lambda run, seq: published.append((run, seq)), clock=clock)


def started(engine: Engine, run_id: str = "duo") -> str:
    engine.create_run(two_parties(), run_id=run_id)
    engine.handle(run_id, cmd.StartRun(), FACILITATOR)
    return run_id


def test_a_short_exercise_in_memory(
    engine: Engine, clock: FakeClock, published: list[tuple[str, int]]
) -> None:
    began = time.perf_counter()
    run_id = started(engine)
    assert engine.state(run_id).status == RunStatus.RUNNING
    engine.handle(run_id, cmd.ReleaseInject("2"), FACILITATOR)
    with pytest.raises(Rejected) as refused:
        engine.handle(run_id, cmd.SubmitResponse("inject", "2", "we see it"), BRN)
    assert refused.value.status == 404
    engine.handle(run_id, cmd.SubmitResponse("inject", "2", "Noted, consulting"), ALD, key="r-1")
    clock.now += timedelta(minutes=3)
    proposal = engine.handle(
        run_id,
        cmd.ProposeDecision("Joint statement", "Issue it", ("brn",), ("guide/1.1",)),
        ALD,
        key="d-1",
    )
    decision = proposal.events[0].payload["id"]
    assert engine.state(run_id).decisions[decision].status == DecisionStatus.AWAITING_CONCURRENCE
    engine.handle(run_id, cmd.AnswerDecision(decision, True, "agreed"), BRN, key="a-1")
    engine.handle(run_id, cmd.EndRun(), FACILITATOR)

    state = engine.state(run_id)
    assert state.status == RunStatus.ENDED
    assert state.injects["2"].status == InjectStatus.RELEASED
    assert [r.text for r in state.responses] == ["Noted, consulting"]
    assert state.decisions[decision].status == DecisionStatus.CONCURRED
    assert published[-1] == (run_id, state.seq)
    record = engine.record(run_id)
    assert verify_chain(engine.read(run_id), record.package_hash) == []

    stored = engine.read(run_id)

    def seen(principal: Principal) -> str:
        return repr([engine.view(principal, run_id, event) for event in stored])

    brn, ald, control = seen(BRN), seen(ALD), seen(FACILITATOR)
    assert "ZZALD-ONLY-TEXT" not in brn and "Noted, consulting" not in brn
    assert "ZZALD-ONLY-TEXT" in ald and "Noted, consulting" in ald
    assert "Joint statement" in brn and "Joint statement" in ald
    for marker in SECRET_MARKERS[:4]:
        assert marker not in ald and marker not in brn
    assert "ZZALD-ONLY-TEXT" in control
    assert "ZZALD-ONLY-TEXT" not in seen(DISPLAY)
    assert time.perf_counter() - began < 1.0


def test_a_retry_returns_the_first_outcome_and_records_once(engine: Engine) -> None:
    run_id = started(engine)
    note = cmd.AddTeamNote("Call the embassy")
    first = engine.handle(run_id, note, ALD, key="note-1")
    again = engine.handle(run_id, note, ALD, key="note-1")
    assert again.duplicate and again.events == first.events
    assert [n.text for n in engine.state(run_id).notes] == ["Call the embassy"]
    assert first.events[0].command_hash == command_hash(note)


def test_the_same_key_for_another_command_is_refused(engine: Engine) -> None:
    run_id = started(engine)
    engine.handle(run_id, cmd.AddTeamNote("Call the embassy"), ALD, key="note-1")
    for other in (cmd.AddTeamNote("Call the ministry"), cmd.ReleaseInject("1")):
        with pytest.raises(Rejected) as refused:
            engine.handle(run_id, other, ALD, key="note-1")
        assert refused.value.status == 422 and refused.value.field == "key"
        assert "different submission" in refused.value.message
    assert [n.text for n in engine.state(run_id).notes] == ["Call the embassy"]


def test_two_players_may_use_the_same_key(engine: Engine) -> None:
    run_id = started(engine)
    mine = engine.handle(run_id, cmd.AddTeamNote("Mine"), ALD, key="note-1")
    theirs = engine.handle(run_id, cmd.AddTeamNote("Theirs"), ALD_TWO, key="note-1")
    assert not theirs.duplicate
    assert theirs.events[0].seq == mine.events[0].seq + 1
    assert [n.text for n in engine.state(run_id).notes] == ["Mine", "Theirs"]


def test_the_same_key_of_two_players_creates_two_decisions(engine: Engine) -> None:
    run_id = started(engine)
    mine = engine.handle(run_id, cmd.ProposeDecision("Ours", "Act"), ALD, key="d-1")
    theirs = engine.handle(run_id, cmd.ProposeDecision("Theirs", "Wait"), BRN, key="d-1")
    ids = {mine.events[0].payload["id"], theirs.events[0].payload["id"]}
    assert len(ids) == 2
    assert sorted(d.title for d in engine.state(run_id).decisions.values()) == ["Ours", "Theirs"]


@pytest.mark.parametrize("key", ["scheduled:1", "follower:mailer:12", "system:anything"])
def test_a_client_may_not_use_a_server_key(engine: Engine, key: str) -> None:
    run_id = started(engine)
    before = engine.state(run_id).seq
    with pytest.raises(Rejected) as refused:
        engine.handle(run_id, cmd.AddTeamNote("Sneaky"), ALD, key=key)
    assert refused.value.status == 422 and refused.value.field == "key"
    assert engine.state(run_id).seq == before


def test_a_player_key_never_blocks_the_scheduled_release(engine: Engine, clock: FakeClock) -> None:
    run_id = started(engine)
    with pytest.raises(Rejected):
        engine.handle(run_id, cmd.AddTeamNote("Sneaky"), ALD, key="scheduled:1")
    clock.now += timedelta(minutes=10, seconds=1)
    loop = FollowerLoop(engine, MemoryCursorStore())
    assert loop.round(Scheduler(), run_id) == 1
    assert loop.round(Scheduler(), run_id) == 0
    assert engine.state(run_id).injects["1"].how == "scheduled"


def test_server_code_acts_only_under_server_keys(engine: Engine) -> None:
    run_id = started(engine)
    with pytest.raises(ValueError):
        engine.act(run_id, cmd.ReleaseInject("1"), SCHEDULER, key="release-1")
    first = engine.act(run_id, cmd.ReleaseInject("1"), SCHEDULER, key="follower:cell:7")
    again = engine.act(run_id, cmd.ReleaseInject("1"), SCHEDULER, key="follower:cell:7")
    assert again.duplicate and again.events == first.events


def test_anonymous_forms_keep_their_keys_apart(engine: Engine) -> None:
    run_id = started(engine)
    engine.handle(run_id, cmd.EndRun(), FACILITATOR)
    form = cmd.SubmitFeedback(anonymous=True, strengths=("Clear injects",))
    mine = engine.handle(run_id, form, ALD, key="feedback")
    theirs = engine.handle(run_id, form, BRN, key="feedback")
    assert not theirs.duplicate
    assert mine.events[0].actor != theirs.events[0].actor
    assert engine.handle(run_id, form, ALD, key="feedback").events == mine.events


def test_command_hashes_tell_every_field_apart() -> None:
    assert command_hash(cmd.AddTeamNote("a")) == command_hash(cmd.AddTeamNote("a"))
    assert command_hash(cmd.AddTeamNote("a")) != command_hash(cmd.AddTeamNote("b"))
    assert command_hash(cmd.ReleaseInject("1")) != command_hash(cmd.RetractInject("1"))
    assert command_hash(cmd.StartRun(1.0)) != command_hash(cmd.StartRun(2.0))
    assert command_hash(cmd.CastVote("p1", ("yes",), 4)) != command_hash(
        cmd.CastVote("p1", ("yes",), 5)
    )


def test_the_tail_in_memory_answers_as_the_log_does(engine: Engine) -> None:
    run = engine.create_run(two_parties()).id
    engine.handle(run, cmd.StartRun(), FACILITATOR)
    for n in range(30):
        engine.handle(run, cmd.AddTeamNote(f"note {n}"), ALD)
    last = engine.state(run).seq
    for after in range(last + 2):
        for limit in (1, 7, 2000):
            found = engine.recent(run, after, last, limit)
            assert found is not None
            assert [e.seq for e in found] == [e.seq for e in engine.read(run, after, limit)]
    assert engine.recent(run, 0, last + 1, 10) is None, "not folded that far: ask the log"
