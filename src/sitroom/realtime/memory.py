"""The in-process broker: one process, no network (the embedded default)."""

from __future__ import annotations

import asyncio

from sitroom.realtime.watermark import Watermarks, call_on_loop


class MemoryBroker:
    """Announcements between the recorder and the streams of a single process."""

    def __init__(self) -> None:
        self._marks = Watermarks()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        """Remember the running loop, so worker threads can publish onto it."""
        self._loop = asyncio.get_running_loop()

    async def close(self) -> None:
        """Nothing to release: waiters time out as usual."""

    async def publish(self, run_id: str, seq: int) -> None:
        """Raise the run's watermark and wake its waiters."""
        self._bind()
        self._marks.raise_to(run_id, seq)

    def publish_threadsafe(self, run_id: str, seq: int) -> None:
        """Schedule ``publish`` on the broker's loop from any thread."""
        call_on_loop(self._loop, self._marks.raise_to, run_id, seq)

    def latest(self, run_id: str) -> int:
        """The highest sequence number published for ``run_id`` (0 if none)."""
        return self._marks.latest(run_id)

    async def wait_beyond(self, run_id: str, after: int, timeout: float) -> int:
        """Return as soon as ``latest(run_id) > after``, else ``latest`` after ``timeout`` s."""
        self._bind()
        return await self._marks.wait_beyond(run_id, after, timeout)

    def _bind(self) -> None:
        # A broker used without ``start`` (a script, a test) still serves worker threads.
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
