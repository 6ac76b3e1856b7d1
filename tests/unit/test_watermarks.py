"""Watermarks: waiters wake when their run's watermark passes them, when their time runs out
(at the next tick, never before), or all at once when the process drains."""

from __future__ import annotations

import asyncio
import time

import pytest

from sitroom.realtime.watermark import TICK, Watermarks, wake_every_waiter


@pytest.mark.asyncio
async def test_a_rise_past_the_cursor_wakes_every_waiter_of_that_run_only() -> None:
    marks = Watermarks()
    waiting = [asyncio.create_task(marks.wait_beyond("r1", 0, 10.0)) for _ in range(500)]
    other = asyncio.create_task(marks.wait_beyond("r2", 0, 10.0))
    await asyncio.sleep(0.01)
    assert marks.raise_to("r1", 3)
    assert await asyncio.gather(*waiting) == [3] * 500
    assert not other.done()
    assert not marks.raise_to("r1", 2)  # a late announcement changes nothing
    other.cancel()


@pytest.mark.asyncio
async def test_a_rise_that_stays_below_the_cursor_keeps_waiting() -> None:
    marks = Watermarks()
    waiter = asyncio.create_task(marks.wait_beyond("r", 5, 10.0))
    await asyncio.sleep(0.01)
    marks.raise_to("r", 4)  # the stream has read further than the announcements so far
    await asyncio.sleep(0.01)
    assert not waiter.done()
    marks.raise_to("r", 6)
    assert await waiter == 6


@pytest.mark.asyncio
async def test_the_time_runs_out_at_the_next_tick_and_never_before() -> None:
    marks = Watermarks()
    for timeout in (0.05, 0.13, 0.2):
        started = time.monotonic()
        assert await marks.wait_beyond("r", 0, timeout) == 0
        waited = time.monotonic() - started
        assert timeout - 0.002 <= waited < timeout + TICK + 1.0, (timeout, waited)
    assert await marks.wait_beyond("r", 0, 0) == 0  # no time: at once


@pytest.mark.asyncio
async def test_waiters_with_many_deadlines_each_end_on_time_and_a_cancelled_one_is_gone() -> None:
    marks = Watermarks()
    timeouts = [0.02 * (n % 10 + 1) for n in range(200)]
    started = time.monotonic()

    async def timed(timeout: float) -> float:
        await marks.wait_beyond("r", 0, timeout)
        return time.monotonic() - started

    cancelled = asyncio.create_task(marks.wait_beyond("r", 0, 5.0))
    ended = await asyncio.gather(*(timed(t) for t in timeouts))
    for timeout, at in zip(timeouts, ended, strict=True):
        assert timeout - 0.002 <= at < timeout + TICK + 1.0  # a loaded machine is late
    cancelled.cancel()
    await asyncio.sleep(0)
    assert cancelled.cancelled()
    marks.raise_to("r", 1)  # nobody left to wake; nothing raised


@pytest.mark.asyncio
async def test_draining_wakes_every_waiter_of_every_watermark() -> None:
    first, second = Watermarks(), Watermarks()
    waiting = [asyncio.create_task(m.wait_beyond("r", 0, 60.0)) for m in (first, second)]
    await asyncio.sleep(0.01)
    wake_every_waiter()
    assert await asyncio.wait_for(asyncio.gather(*waiting), 1.0) == [0, 0]
