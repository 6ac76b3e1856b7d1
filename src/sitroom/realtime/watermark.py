"""Watermarks: the highest sequence number heard per run, and the waiters for the next one.

Each run has at most one ``asyncio.Event``, made when the first waiter arrives and dropped
when the watermark rises. Raising the watermark sets that event, which resumes every waiter
of the run in the same loop iteration; no waiter polls and no task is made per waiter, so
thousands of waiters on one run stay cheap.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)


class _RunMark:
    """One run's watermark and, while someone waits below it, the event that wakes them."""

    __slots__ = ("changed", "latest")

    def __init__(self) -> None:
        self.latest = 0
        self.changed: asyncio.Event | None = None


class Watermarks:
    """Per-run watermarks. Not thread-safe: use it from one event loop."""

    def __init__(self) -> None:
        self._runs: dict[str, _RunMark] = {}

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
        if mark.changed is not None:
            mark.changed.set()
            mark.changed = None
        return True

    async def wait_beyond(self, run_id: str, after: int, timeout: float) -> int:
        """Wait until the watermark of ``run_id`` passes ``after``, at most ``timeout`` seconds.

        Returns the watermark, whether it passed ``after`` or the time ran out.
        """
        mark = self._runs.get(run_id)
        if mark is None:
            mark = self._runs[run_id] = _RunMark()
        if mark.latest > after or timeout <= 0:
            return mark.latest
        try:
            async with asyncio.timeout(timeout):
                while mark.latest <= after:
                    if mark.changed is None:
                        mark.changed = asyncio.Event()
                    await mark.changed.wait()
        except TimeoutError:
            pass
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
