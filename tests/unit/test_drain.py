"""Draining: when the process begins to stop, waiting streams end at once with a reconnect
hint (the next worker sends the rest, from the log); callbacks (the followers' stop) run once."""

from __future__ import annotations

import asyncio
import json

import pytest

from sitroom.realtime import DRAIN_RETRY_MS, Drain, MemoryBroker
from tests.unit.test_sse import FakeLog, append, open_stream


def _is_goodbye(message: object) -> bool:
    retry = getattr(message, "retry", None)
    return (
        getattr(message, "event", None) == "draining"
        and getattr(message, "id", "x") is None
        and retry is not None
        and DRAIN_RETRY_MS[0] <= int(retry) <= DRAIN_RETRY_MS[1]
        and json.loads(getattr(message, "data", ""))
        == {"reason": "server-stopping", "retry_ms": int(retry)}
    )


@pytest.mark.asyncio
async def test_draining_ends_a_waiting_stream_at_once_with_a_retry_hint() -> None:
    log, broker, drain = FakeLog(), MemoryBroker(), Drain()
    await append(log, broker, "run-started")
    reader = open_stream(log, broker, heartbeat=60.0, drain=drain)
    assert (await reader.next()).retry == "2000"
    assert (await reader.next()).id == "1"
    pending = asyncio.ensure_future(reader.next(timeout=60.0))
    await asyncio.sleep(0.05)  # the stream waits on the broker, for a minute
    assert not pending.done()
    drain.begin()
    goodbye = await asyncio.wait_for(pending, 1.0)
    assert _is_goodbye(goodbye)
    assert await reader.rest(timeout=1.0) == []  # and the stream has ended


@pytest.mark.asyncio
async def test_a_draining_stream_says_goodbye_without_reading_the_log_again() -> None:
    log, broker, drain = FakeLog(), MemoryBroker(), Drain()
    reader = open_stream(log, broker, heartbeat=60.0, drain=drain)
    await reader.next()  # retry
    pending = asyncio.ensure_future(reader.next(timeout=60.0))
    await asyncio.sleep(0.05)  # the stream has read the (empty) log and waits on the broker
    reads = log.reads
    await append(log, broker, "inject-released")
    drain.begin()  # in the same instant as the announcement
    assert _is_goodbye(await asyncio.wait_for(pending, 1.0))
    assert await reader.rest(timeout=1.0) == []
    # Event 1 is left for the worker the client reconnects to (it resumes after id 0).
    assert log.reads == reads


@pytest.mark.asyncio
async def test_a_stream_opened_while_draining_sends_its_backlog_then_says_goodbye() -> None:
    log, broker, drain = FakeLog(), MemoryBroker(), Drain()
    for type_ in ("run-started", "inject-released"):
        await append(log, broker, type_)
    drain.begin()
    messages = await open_stream(log, broker, after=1, drain=drain).rest(timeout=1.0)
    assert messages[0].retry == "2000"
    assert [m.id for m in messages[1:-1]] == ["2"]
    assert _is_goodbye(messages[-1])


@pytest.mark.asyncio
async def test_a_thousand_waiting_streams_all_end_when_draining_begins() -> None:
    log, broker, drain = FakeLog(), MemoryBroker(), Drain()
    readers = [open_stream(log, broker, heartbeat=60.0, drain=drain) for _ in range(1000)]
    for reader in readers:
        await reader.next()  # retry; each now waits on the broker
    await asyncio.sleep(0.05)
    drain.begin()
    ends = await asyncio.gather(*(reader.rest(timeout=5.0) for reader in readers))
    assert all(len(end) == 1 and _is_goodbye(end[0]) for end in ends)


@pytest.mark.asyncio
async def test_callbacks_run_once_and_late_ones_at_once() -> None:
    drain, calls = Drain(), []
    drain.on_begin(lambda: calls.append("followers"))
    drain.on_begin(lambda: 1 / 0)  # a failing callback does not stop the others
    drain.on_begin(lambda: calls.append("other"))
    drain.begin()
    drain.begin()
    assert calls == ["followers", "other"]
    drain.on_begin(lambda: calls.append("late"))
    assert calls == ["followers", "other", "late"] and drain.draining


@pytest.mark.asyncio
async def test_an_interruptible_wait_returns_its_value_unless_draining() -> None:
    drain = Drain()

    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    assert await drain.interruptible(answer(), 0) == 42
    drain.begin()
    # Not awaited, but closed: no "coroutine was never awaited" warning (warnings are errors).
    assert await drain.interruptible(answer(), 0) == 0
