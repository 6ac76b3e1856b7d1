"""The server's heap: the start-up heap out of the collector's way, and full collections at
quiet moments.

A server holds a large, long-lived heap from its first second (the packages' models, the
templates, the routes), then one more for every open stream (its connection, request,
session and coroutine: at 3,000 streams a full collection took 0.4 s, at 10,000 over a
second), and makes many short-lived objects per request and per streamed frame. CPython
starts a full collection when enough objects have outlived the young generations, which
happens most while a release goes out to every stream: so one release in ten at 3,000
streams (``benchmarks/bench_sse.py``) waited for a full collection and took three to five
times the others.

`settle` runs once the application is up: one collection, then everything alive is moved out
of the collector's sight (`gc.freeze`), and the collector no longer starts full collections
by itself (the young generations are collected as before). `collect_when_quiet` runs them
instead, when as many young collections have passed as would have started one and the server
is quiet: no event has woken the streams (`watermark.quiet_for`: a release, a receipt, a
vote) for half a second, or for twice as long as the last full collection took if that is
longer (a room whose releases come faster than a collection takes is left alone), and the
process used less than half a core since the last look (fifty people loading pages at once
keep it busy; a room's trickle of reconnections and polls does not). After ten times as many
young collections it runs one anyway, so that under endless load the heap is still swept.
(Collecting the young generation less often as well cut the CPU a little more but let the
heap grow by a megabyte a release in the 30-minute soak: not done.)

When the application stops, all of this is undone (the process may go on: a test process
starts and stops many applications, and a frozen heap is never collected).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sitroom.realtime import watermark

logger = logging.getLogger(__name__)

NEVER = 1 << 30
"""The oldest generation's threshold while settled: the collector never reaches it."""

DUE = 10
"""Young (generation 1) collections after which a full collection is due: CPython's own
default threshold for the oldest generation."""

OVERDUE = 10 * DUE
"""Young collections after which a full collection runs whether the server is quiet or not."""

QUIET = 0.5
"""Seconds without an event waking the streams after which the server counts as quiet (or
twice the last full collection's time, if longer)."""

CHECK = 0.25
"""Seconds between two looks at whether a full collection is due."""

BUSY = 0.5
"""The share of a core the process may have used since the last look and still count as
quiet (its CPU time over the wall time between the two looks)."""


@dataclass
class Sweeps:
    """The full collections run in this process since start, for the metrics."""

    quiet: int = 0
    overdue: int = 0
    seconds: float = 0.0
    last: float = 0.0
    """Seconds the last one took."""


SWEEPS = Sweeps()

_settled: list[tuple[int, int, int]] = []
"""One entry per application settled in this process now: the thresholds before the first."""


def settle() -> Callable[[], None]:
    """Collect once, freeze what survives and leave full collections to
    `collect_when_quiet`; returns what undoes it (call it when the application stops)."""
    gc.collect()
    gc.freeze()
    threshold = _settled[0] if _settled else gc.get_threshold()
    _settled.append(threshold)
    gc.set_threshold(threshold[0], threshold[1], NEVER)

    def undo() -> None:
        _settled.pop()
        if not _settled:  # another application in this process may still run settled
            gc.set_threshold(*threshold)
        gc.unfreeze()

    return undo


def sweep_due(young: int, quiet_for: float, busy: float, last: float = 0.0) -> str | None:
    """Whether a full collection is due after ``young`` young collections, ``quiet_for``
    seconds since the streams were last woken, with the process using the share ``busy`` of a
    core since the last look, when the last full collection took ``last`` seconds: "quiet",
    "overdue" or None (not now)."""
    if young >= OVERDUE:
        return "overdue"
    if young >= DUE and quiet_for >= max(QUIET, 2 * last) and busy < BUSY:
        return "quiet"
    return None


def sweep(why: str) -> None:
    """Run a full collection now and count it under ``why``."""
    started = time.perf_counter()
    gc.collect()
    took = time.perf_counter() - started
    SWEEPS.seconds += took
    SWEEPS.last = took
    if why == "quiet":
        SWEEPS.quiet += 1
    else:
        SWEEPS.overdue += 1
        logger.info("full garbage collection overdue under load: %.0f ms", took * 1000)


async def collect_when_quiet(check: float = CHECK) -> None:
    """Run full collections when they are due (see the module); runs until cancelled."""
    wall, cpu = time.monotonic(), time.process_time()
    while True:
        await asyncio.sleep(check)
        now, used = time.monotonic(), time.process_time()
        busy = (used - cpu) / max(now - wall, 1e-3)
        why = sweep_due(gc.get_count()[2], watermark.quiet_for(), busy, SWEEPS.last)
        if why is not None:
            sweep(why)
        wall, cpu = time.monotonic(), time.process_time()
