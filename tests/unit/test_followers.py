"""Log followers on an in-memory log: cursors, replays after a crash, the gate, leadership."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest

from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Principal, Role
from sitroom.config import load_settings
from sitroom.realtime.memory import MemoryBroker
from sitroom.services.followers import (
    Act,
    BaseFollower,
    FollowedRun,
    FollowerLoop,
    FollowerRegistry,
    FollowerRunner,
    Seen,
    UnknownFollower,
)
from sitroom.services.leader import MemoryLeases
from sitroom.services.runs import Engine
from sitroom.services.scheduler import Scheduler
from sitroom.storage.cursors import MemoryCursorStore
from sitroom.storage.memory import MemoryRecorder
from tests.support.followers import RECORDER, Recording, reactions
from tests.support.packages import two_parties

FACILITATOR = Principal("account:fac", Role.FACILITATOR, "Fac")
BRN = Principal("invite:brn1", Role.PLAYER, "Brn player", team="brn-nsc", party="brn")


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2027, 3, 4, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class Crash(Exception):
    """Stands for the process dying at this point."""


class CrashingCursors(MemoryCursorStore):
    """Dies on the ``at``-th cursor write, before it is stored (after the command was)."""

    def __init__(self, store: MemoryCursorStore, at: int) -> None:
        super().__init__()
        self.store, self.at, self.count = store, at, 0

    def get(self, follower: str, run_id: str) -> int:
        return self.store.get(follower, run_id)

    def put(self, follower: str, run_id: str, seq: int) -> None:
        self.count += 1
        if self.count == self.at:
            raise Crash
        self.store.put(follower, run_id, seq)


class Watching(BaseFollower):
    """Remembers what it was shown and asks for nothing."""

    name = "watcher"

    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.seen: list[Seen] = []

    def on_event(self, run: FollowedRun, seen: Seen) -> Iterable[Act]:
        self.seen.append(seen)
        return ()


def _engine(clock: FakeClock | None = None) -> Engine:
    return Engine(MemoryRecorder(clock=clock) if clock else MemoryRecorder(), clock=clock)


def _started(engine: Engine, updates: int = 0) -> str:
    run_id = engine.create_run(two_parties(), run_id="duo").id
    engine.handle(run_id, cmd.StartRun(), FACILITATOR)
    for i in range(updates):
        engine.handle(run_id, cmd.BroadcastUpdate({"en": f"update {i}"}), FACILITATOR)
    return run_id


def test_a_follower_answers_each_event_once_and_never_its_own() -> None:
    engine = _engine()
    run_id = _started(engine, updates=5)
    loop = FollowerLoop(engine, MemoryCursorStore())
    assert loop.round(Recording(), run_id) == 7  # started, module opened, five updates
    assert loop.round(Recording(), run_id) == 0  # its own observations are not answered
    engine.handle(run_id, cmd.BroadcastUpdate({"en": "one more"}), FACILITATOR)
    assert loop.round(Recording(), run_id) == 1
    answered = reactions(engine.read(run_id))
    sources = [e.seq for e in engine.read(run_id) if e.actor != RECORDER.id]
    assert sorted(answered) == sources and set(answered.values()) == {1}
    keys = [e.idempotency_key for e in engine.read(run_id) if e.actor == RECORDER.id]
    assert keys == [f"follower:recorder:{seq}" for seq in sources]


@pytest.mark.parametrize("crash_at", [1, 2, 4, 6])
def test_a_crash_between_acting_and_storing_the_cursor_does_not_act_twice(crash_at: int) -> None:
    engine = _engine()
    run_id = _started(engine, updates=5)
    store = MemoryCursorStore()
    with pytest.raises(Crash):
        FollowerLoop(engine, CrashingCursors(store, crash_at)).round(Recording(), run_id)
    # The answer to the event whose cursor was not stored is in the log already.
    assert len(reactions(engine.read(run_id))) == crash_at
    assert store.get("recorder", run_id) == crash_at - 1
    restarted = FollowerLoop(engine, store)  # a new process: nothing in memory
    assert restarted.round(Recording(), run_id) == 7 - crash_at  # the replay is a duplicate
    answered = reactions(engine.read(run_id))
    assert sorted(answered) == list(range(1, 8)) and set(answered.values()) == {1}
    assert store.get("recorder", run_id) == engine.state(run_id).seq  # past its own, too


def test_a_follower_sees_only_what_its_principal_may_see() -> None:
    engine = _engine()
    run_id = _started(engine)
    engine.handle(run_id, cmd.ReleaseInject("2"), FACILITATOR)  # Aldoria only
    engine.handle(run_id, cmd.ReleaseInject("1"), FACILITATOR)
    engine.handle(run_id, cmd.RecordObservation("ZZOBSERVATION"), FACILITATOR)
    player = Watching(BRN)
    FollowerLoop(engine, MemoryCursorStore()).round(player, run_id)
    shown = repr([s.data for s in player.seen])
    assert [s.type for s in player.seen] == ["run-started", "module-opened", "inject-released"]
    for marker in ("ZZALD-ONLY-TEXT", "ZZOBSERVATION", "ZZEXPECTED-ACTION", "ZZINJECT-NOTES"):
        assert marker not in shown, marker
    with pytest.raises(PermissionError):
        FollowedRun(engine, run_id, BRN).state()
    control = Watching(Principal("system:control", Role.FACILITATOR, "control"))
    FollowerLoop(engine, MemoryCursorStore()).round(control, run_id)
    assert "ZZALD-ONLY-TEXT" in repr([s.data for s in control.seen])


def test_events_that_ask_for_nothing_share_one_cursor_write() -> None:
    engine = _engine()
    run_id = _started(engine, updates=40)
    store = MemoryCursorStore()
    FollowerLoop(engine, store).round(Watching(FACILITATOR), run_id)
    assert store.get("watcher", run_id) == engine.state(run_id).seq
    assert store.writes == 1


def test_the_scheduler_releases_a_due_inject_once_under_its_own_key() -> None:
    clock = FakeClock()
    engine = _engine(clock)
    run_id = _started(engine)
    loop = FollowerLoop(engine, MemoryCursorStore())
    assert loop.round(Scheduler(), run_id) == 0
    clock.now += timedelta(minutes=10, seconds=1)
    assert loop.round(Scheduler(), run_id) == 1
    assert FollowerLoop(engine, MemoryCursorStore()).round(Scheduler(), run_id) == 0
    released = [e for e in engine.read(run_id) if e.type == "inject-released"]
    assert [(e.payload["number"], e.payload["how"]) for e in released] == [("1", "scheduled")]
    assert released[0].idempotency_key == "follower:scheduler:inject:1"


def test_the_registry_loads_followers_by_module_and_attribute() -> None:
    registry = FollowerRegistry()
    registry.register("scheduler", Scheduler)
    assert registry.load("tests.support.followers:Recording") == "recorder"
    assert registry.names() == ["recorder", "scheduler"]
    assert isinstance(registry.make("recorder"), Recording)
    with pytest.raises(UnknownFollower, match="registered: recorder, scheduler"):
        registry.make("mailer")
    with pytest.raises(ValueError, match="already"):
        registry.load("tests.support.followers:Recording")
    for spec, reason in [
        ("tests.support.followers", "package.module:attr"),
        ("tests.support.nowhere:Thing", "cannot import"),
        ("tests.support.followers:Nothing", "no callable 'Nothing'"),
        ("tests.support.followers:reactions", "did not return a follower"),
    ]:
        with pytest.raises((ValueError, TypeError), match=reason):
            registry.load(spec)


def test_follower_settings(tmp_path: object) -> None:
    base = {"SITROOM_DATA_DIR": str(tmp_path), "SITROOM_SECRET_KEY": "k"}
    settings = load_settings(base)
    assert settings.followers == ("scheduler", "triggers") and settings.follower_seconds == 1.0
    settings = load_settings(
        {
            **base,
            "SITROOM_FOLLOWERS": "none",
            "SITROOM_FOLLOWER_TICK": "0.25",
            "SITROOM_FOLLOWER_IMPORTS": "a.b:C, d:E",
        }
    )
    assert settings.followers == () and settings.follower_seconds == 0.25
    assert settings.follower_imports == ("a.b:C", "d:E")
    for bad in ("0", "-1", "soon", "inf"):
        with pytest.raises(ValueError, match="SITROOM_FOLLOWER_TICK"):
            load_settings({**base, "SITROOM_FOLLOWER_TICK": bad})


def test_one_of_two_workers_leads_and_the_other_takes_over() -> None:
    clock = FakeClock()
    log = MemoryRecorder(clock=clock)
    first, second = Engine(log, clock=clock), Engine(log, clock=clock)
    run_id = _started(first)
    cursors, table = MemoryCursorStore(), dict[tuple[str, str], object]()

    def runner(engine: Engine) -> FollowerRunner:
        broker = MemoryBroker()
        engine.publish = broker.publish_threadsafe
        return FollowerRunner(
            engine, broker, cursors, MemoryLeases(table), [Scheduler()], tick=0.02
        )

    async def scenario() -> None:
        a, b = runner(first), runner(second)
        tasks = [asyncio.create_task(a.run()), asyncio.create_task(b.run())]
        await _until(lambda: ("scheduler", run_id) in table)
        leader, other = (0, 1) if a.leases.holds("scheduler", run_id) else (1, 0)
        assert not [a, b][other].leases.holds("scheduler", run_id)
        clock.now += timedelta(minutes=10, seconds=1)
        await _until(lambda: _released(log, run_id) == ["1"])
        tasks[leader].cancel()  # the leader stops: its lease goes with it
        await asyncio.gather(tasks[leader], return_exceptions=True)
        await _until(lambda: [a, b][other].leases.holds("scheduler", run_id))
        first.handle(run_id, cmd.OpenModule("m2"), FACILITATOR)
        clock.now += timedelta(hours=30)  # nothing in m2 is scheduled
        await asyncio.sleep(0.1)
        tasks[other].cancel()
        await asyncio.gather(tasks[other], return_exceptions=True)
        assert table == {}

    asyncio.run(scenario())
    assert _released(log, run_id) == ["1"]


def _released(log: MemoryRecorder, run_id: str) -> list[str]:
    return [e.payload["number"] for e in log.read(run_id) if e.type == "inject-released"]


async def _until(condition: object, timeout: float = 5.0) -> None:
    assert callable(condition)
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


def test_the_follower_in_the_architecture_document_works() -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "architecture.md").read_text(encoding="utf-8")
    code = doc.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, object] = {}
    exec(compile(code, "architecture.md", "exec"), namespace)
    follower = namespace["BrenlandCell"]()  # type: ignore[operator]
    engine = _engine()
    run_id = _started(engine)
    for number in ("2", "1"):  # 2 is for Aldoria only: the cell never sees it
        engine.handle(run_id, cmd.ReleaseInject(number), FACILITATOR)
    loop = FollowerLoop(engine, MemoryCursorStore())
    assert loop.round(follower, run_id) == 1
    acknowledged = [e for e in engine.read(run_id) if e.type == "inject-acknowledged"]
    assert [(e.payload["number"], e.actor) for e in acknowledged] == [("1", "system:brn-cell")]


class Stuck(BaseFollower):
    """Fails on every update it is shown, so it stays at the first one (and tries again)."""

    name = "stuck"
    principal = Principal("system:stuck", Role.FACILITATOR, "stuck")

    def on_event(self, run: FollowedRun, seen: Seen) -> Iterable[Act]:
        if seen.type == "update-broadcast":
            raise RuntimeError("cannot handle updates")
        return ()


def test_the_runner_reports_how_far_behind_each_follower_it_leads_is() -> None:
    engine = _engine()
    run_id = _started(engine)
    broker = MemoryBroker()
    engine.publish = broker.publish_threadsafe
    runner = FollowerRunner(
        engine,
        broker,
        MemoryCursorStore(),
        MemoryLeases(),
        # The watcher first: today a follower that fails also ends the round of the followers
        # listed after it on that run; this test is about the lag each one reports.
        [Watching(FACILITATOR), Stuck()],
        tick=0.02,
    )

    async def scenario() -> None:
        task = asyncio.create_task(runner.run())
        await _until(lambda: runner.lag() == {"stuck": (1, 0), "watcher": (1, 0)})
        for i in range(3):
            engine.handle(run_id, cmd.BroadcastUpdate({"en": f"update {i}"}), FACILITATOR)
        await _until(lambda: runner.lag() == {"stuck": (1, 3), "watcher": (1, 0)})
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(scenario())
