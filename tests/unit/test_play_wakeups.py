"""A player page's stream wakes for, and reads, what the page shows, not every event of the
run (the receipts a room of screens sends after each release)."""

from __future__ import annotations

import asyncio

import pytest

from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Principal, Role
from sitroom.realtime import MemoryBroker
from sitroom.services.runs import Engine
from sitroom.storage import MemoryRecorder
from sitroom.web.pages.play_wakeups import PageWakeups
from tests.support.packages import two_parties

CONTROL = Principal("account:fac", Role.FACILITATOR, "Fac")
PLAYERS = [
    Principal(f"invite:ald{n}", Role.PLAYER, f"Ald {n}", team="ald-nsc", party="ald")
    for n in range(3)
]


@pytest.mark.asyncio
async def test_receipts_neither_wake_nor_reach_a_page_stream_and_a_release_does() -> None:
    broker = MemoryBroker()
    await broker.start()
    engine = Engine(MemoryRecorder(), publish=broker.publish_threadsafe)
    wakeups = PageWakeups(broker, engine, heartbeat=5.0)
    run = engine.create_run(two_parties()).id
    engine.handle(run, cmd.StartRun(), CONTROL)
    engine.handle(run, cmd.ReleaseInject("1"), CONTROL)
    await asyncio.sleep(0.01)
    seen = broker.latest(run)
    waiting = asyncio.create_task(wakeups.wait_beyond(run, seen, 5.0))
    await asyncio.sleep(0.05)
    for player in PLAYERS:
        engine.handle(run, cmd.RecordReceipt("1"), player)
    await asyncio.sleep(0.1)
    assert broker.latest(run) == seen + len(PLAYERS)
    assert not waiting.done(), "a receipt woke the page's stream"
    released = engine.handle(run, cmd.ReleaseInject("2"), CONTROL).last_seq
    assert await asyncio.wait_for(waiting, 1.0) == released
    assert wakeups.latest(run) == released
    # What the stream then reads: the release, not the receipts before it.
    assert [e.type for e in wakeups.after(run, seen) or []] == ["inject-released"]
    assert wakeups.after(run, released) == []
    assert wakeups.after(run, 1) is None, "from before it followed the run: read the log"
    await wakeups.close()
    await broker.close()


@pytest.mark.asyncio
async def test_what_was_announced_before_it_followed_wakes_the_streams_below_it() -> None:
    broker = MemoryBroker()
    await broker.start()
    engine = Engine(MemoryRecorder(), publish=broker.publish_threadsafe)
    wakeups = PageWakeups(broker, engine, heartbeat=5.0)
    run = engine.create_run(two_parties()).id
    engine.handle(run, cmd.StartRun(), CONTROL)
    engine.handle(run, cmd.ReleaseInject("1"), CONTROL)
    await asyncio.sleep(0.01)
    # A stream that read the log before the release waits below it: it must read again.
    assert await asyncio.wait_for(wakeups.wait_beyond(run, 1, 5.0), 1.0) == broker.latest(run)
    await wakeups.close()
    await broker.close()


@pytest.mark.asyncio
async def test_only_the_latest_shown_events_are_kept_and_older_ones_come_from_the_log() -> None:
    broker = MemoryBroker()
    await broker.start()
    engine = Engine(MemoryRecorder(), publish=broker.publish_threadsafe)
    wakeups = PageWakeups(broker, engine, heartbeat=5.0, keep=2)
    run = engine.create_run(two_parties()).id
    engine.handle(run, cmd.StartRun(), CONTROL)
    await asyncio.sleep(0.01)
    start = broker.latest(run)
    waiting = asyncio.create_task(wakeups.wait_beyond(run, start, 5.0))
    await asyncio.sleep(0.05)
    seqs = [engine.handle(run, cmd.ReleaseInject(n), CONTROL).last_seq for n in ("1", "2", "4")]
    await asyncio.wait_for(waiting, 1.0)
    while wakeups.latest(run) < seqs[-1]:
        await asyncio.sleep(0.01)
    assert [e.seq for e in wakeups.after(run, seqs[0]) or []] == seqs[1:]
    assert wakeups.after(run, start) is None, "no longer kept: read the log"
    await wakeups.close()
    await broker.close()
