"""Watermarks: the highest sequence number heard per run, and the waiters for the next one.

Each waiter is one future of its own in its run's set; raising the watermark resolves them
all, which resumes every waiter of the run in the next loop iteration. Time limits are kept
in slots of ``TICK`` seconds, one loop timer per slot however many waiters end in it: a wait
ends at the first tick at or after its time (at most ``TICK`` late). No waiter polls and no
task or timer is made per waiter, so thousands of waiters on one run stay cheap: at a release
every stream of a room wakes through here and waits again, so what a wait costs is paid ten
thousand times (a timer per wait was a quarter of a 10,000-stream server's time, and an
``asyncio.Event`` with an ``asyncio.timeout`` scope cost about three times as much again).

Draining (the process is stopping) wakes every waiter of every watermark in the process at
once (`wake_every_waiter`); a stream then sees that the process is draining.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import weakref
from collections.abc import Callable

logger = logging.getLogger(__name__)

_EVERY: weakref.WeakSet[Watermarks] = weakref.WeakSet()

_last_wake = [0.0]
"""When (``time.monotonic``) waiters were last woken in this process."""


def note_wake() -> None:
    """Note that waiters are being woken now (an event goes out to the streams)."""
    _last_wake[0] = time.monotonic()


def quiet_for() -> float:
    """Seconds since waiters were last woken in this process: how long no event has woken
    any stream (part of the garbage collector's quiet moment, see ``sitroom.web.heap``)."""
    return time.monotonic() - _last_wake[0]


def wake_every_waiter() -> None:
    """Resolve every waiter of every watermark in this process that waits on the running
    loop, now: each returns the watermark as it stands. For draining: the waiters look again
    at once."""
    for marks in list(_EVERY):
        marks.wake_all()


TICK = 0.05
"""Seconds between the moments at which waits may time out (see the module)."""

_ROSE, _TIMED_OUT, _WOKEN = None, "timed out", "woken"
"""What a waiter's future is resolved with: the watermark rose, its time ran out, or
`wake_all` (draining)."""


def _resolve(waiter: asyncio.Future[str | None], why: str | None) -> None:
    if not waiter.done():
        waiter.set_result(why)


class _RunMark:
    """One run's watermark and the waiters below it."""

    __slots__ = ("latest", "waiters")

    def __init__(self) -> None:
        self.latest = 0
        self.waiters: set[asyncio.Future[str | None]] = set()


class Watermarks:
    """Per-run watermarks. Not thread-safe: use it from one event loop."""

    def __init__(self) -> None:
        self._runs: dict[str, _RunMark] = {}
        self._slots: dict[int, set[asyncio.Future[str | None]]] = {}
        """Tick number → the waiters whose time runs out then (one loop timer each)."""
        _EVERY.add(self)

    def latest(self, run_id: str) -> int:
        """The highest sequence number heard for ``run_id`` (0 if none)."""
        mark = self._runs.get(run_id)
        return 0 if mark is None else mark.latest

    def raise_to(self, run_id: str, seq: int) -> bool:
        """Raise the watermark of ``run_id`` to ``seq`` and wake its waiters.

        A lower or equal ``seq`` (a late or repeated message) changes nothing. Returns whether
        the watermark rose.
        """
        mark = self._runs.get(run_id)
        if mark is None:
            mark = self._runs[run_id] = _RunMark()
        if seq <= mark.latest:
            return False
        mark.latest = seq
        if mark.waiters:
            note_wake()
            waiters, mark.waiters = mark.waiters, set()
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(_ROSE)
        return True

    def _time_out(self, slot: int) -> None:
        for waiter in self._slots.pop(slot, ()):
            _resolve(waiter, _TIMED_OUT)

    def wake_all(self) -> None:
        """Resolve every waiter of every run on the running loop now: each returns the
        watermark as it stands. (Waiters of another loop, as a second application in a test
        process has, are left to their own loop's draining.)"""
        loop = asyncio.get_running_loop()
        for mark in self._runs.values():
            for waiter in [w for w in mark.waiters if w.get_loop() is loop]:
                mark.waiters.discard(waiter)
                _resolve(waiter, _WOKEN)

    async def wait_beyond(self, run_id: str, after: int, timeout: float) -> int:
        """Wait until the watermark of ``run_id`` passes ``after``, at most ``timeout`` seconds
        (or until `wake_all`).

        Returns the watermark, whether it passed ``after`` or the time ran out.
        """
        mark = self._runs.get(run_id)
        if mark is None:
            mark = self._runs[run_id] = _RunMark()
        if mark.latest > after or timeout <= 0:
            return mark.latest
        loop = asyncio.get_running_loop()
        slot = math.ceil((loop.time() + timeout) / TICK)
        while True:
            waiter: asyncio.Future[str | None] = loop.create_future()
            mark.waiters.add(waiter)
            due = self._slots.get(slot)
            if due is None:
                due = self._slots[slot] = set()
                loop.call_at(slot * TICK, self._time_out, slot)
            due.add(waiter)
            try:
                why = await waiter
            finally:
                # Woken by a rise, the run's set it was in is gone already; by the time or a
                # cancellation, it leaves that set here.
                mark.waiters.discard(waiter)
                due.discard(waiter)
            # A rise that stays at or below ``after`` (a log ahead of its announcements)
            # waits on; the time running out or `wake_all` ends the wait.
            if why is not _ROSE or mark.latest > after:
                break
        return mark.latest


def call_on_loop(
    loop: asyncio.AbstractEventLoop | None,
    callback: Callable[[str, int], object],
    run_id: str,
    seq: int,
) -> None:
    """Run ``callback(run_id, seq)`` on ``loop`` from any thread, or drop it if that cannot be.

    On the loop's own thread the callback runs at once. With no loop (the broker was never
    started, so nobody in this process can be waiting) or a closed one (shutting down), the
    call is dropped: the events are in the log, and streams elsewhere re-read it.
    """
    if loop is None:
        logger.debug("broker not started: announcement of %s up to %d not delivered", run_id, seq)
        return
    try:
        running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        callback(run_id, seq)
        return
    try:
        loop.call_soon_threadsafe(callback, run_id, seq)
    except RuntimeError:
        logger.warning(
            "broker loop is closed: announcement of %s up to %d not delivered", run_id, seq
        )
