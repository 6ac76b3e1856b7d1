"""When a player page's stream should read the log again, and what it reads: only the events
the page shows.

After a release every screen posts a delivery receipt; each receipt is an event, and the
broker wakes every stream of the run for it. A thousand screens are then a million wake-ups,
each reading the log's tail to find nothing for its page (and a stream that did not wake
would find the thousand receipts at its next read instead). ``PageWakeups`` stands between
the broker and the player pages' streams: one task per run follows the broker, reads each new
event once, keeps the events a page shows or fetches a panel for (``after``), and raises a
watermark of its own only for them. The streams wait on that watermark (it has the broker's
``latest`` and ``wait_beyond``), read those events when it rises, and still wake at every
heartbeat. Before it raises the watermark, the task has the event's HTML made for every
audience with a page open (``prepare``).

Nothing is lost: what is kept comes from the log, every event of the followed part is
looked at, and a stream asking for more than was followed (a reconnect from far back, or
before this process followed the run) reads the log as any stream does. If the task lags, a
stream reads at its next heartbeat, as after a lost broker message.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool

from sitroom.realtime.sse import Announcements
from sitroom.realtime.watermark import Watermarks
from sitroom.services.runs import Engine, StoredEvent
from sitroom.web.pages.play_feed import PUSHED
from sitroom.web.pages.play_panels import LISTENED

log = logging.getLogger(__name__)

WOKEN_BY = PUSHED | LISTENED
"""The event types a player page's stream wakes for."""


@dataclass
class _Shown:
    """The events of one run a page shows, from ``start`` (exclusive) to ``checked``."""

    start: int
    checked: int
    seqs: list[int] = field(default_factory=list)
    events: list[StoredEvent] = field(default_factory=list)


class PageWakeups:
    """A broker's ``latest`` and ``wait_beyond``, raised only by events player pages show,
    and those events."""

    def __init__(
        self,
        broker: Announcements,
        engine: Engine,
        heartbeat: float,
        page: int = 5000,
        keep: int = 10_000,
        prepare: Callable[[str, StoredEvent], Awaitable[object]] | None = None,
    ) -> None:
        self.broker, self.engine, self.heartbeat = broker, engine, heartbeat
        self.page, self.keep, self.prepare = page, keep, prepare
        self._marks = Watermarks()
        self._followers: dict[str, asyncio.Task[None]] = {}
        self._shown: dict[str, _Shown] = {}

    def after(self, run_id: str, seq: int) -> list[StoredEvent] | None:
        """The events of ``run_id`` a page shows after ``seq``, as far as followed; None when
        ``seq`` lies before what this process followed (read the log then)."""
        shown = self._shown.get(run_id)
        if shown is None or seq < shown.start:
            return None
        return shown.events[bisect.bisect_right(shown.seqs, seq) :]

    def latest(self, run_id: str) -> int:
        """The last event of ``run_id`` that a player page shows, as far as heard (0: none)."""
        return self._marks.latest(run_id)

    async def wait_beyond(self, run_id: str, after: int, timeout: float) -> int:
        """Wait until an event a page shows lies beyond ``after``, or ``timeout`` seconds."""
        if run_id not in self._followers:
            self._followers[run_id] = asyncio.create_task(
                self._follow(run_id), name=f"player pages of {run_id}"
            )
        return await self._marks.wait_beyond(run_id, after, timeout)

    async def close(self) -> None:
        """Stop following the runs (at shutdown)."""
        for task in self._followers.values():
            task.cancel()
        for task in self._followers.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._followers.clear()

    async def _follow(self, run_id: str) -> None:
        broker, engine, heartbeat = self.broker, self.engine, self.heartbeat
        checked = heard = broker.latest(run_id)
        shown = self._shown[run_id] = _Shown(start=checked, checked=checked)
        # What was announced before this task followed anything may hold an event a page
        # shows: let every stream waiting below it read (the log) once.
        self._marks.raise_to(run_id, checked)
        progressed = True
        while True:
            try:
                # As a stream does: after a read that found nothing, wait beyond what was
                # heard too, so a log lagging its announcements cannot make a spin.
                waited_from = checked if progressed else max(checked, heard)
                heard = max(heard, await broker.wait_beyond(run_id, waited_from, heartbeat))
                found = engine.recent(run_id, checked, heard, self.page)
                if found is None:
                    found = await run_in_threadpool(
                        engine.read_after, run_id, checked, heard, self.page
                    )
                before, last = checked, 0
                for stored in found:
                    if stored.seq > checked:
                        checked = stored.seq
                        if stored.type in WOKEN_BY:
                            # Have the event's HTML made for every audience before any of
                            # its streams wakes: then all of them send at once, before the
                            # first screen's receipt comes in to compete with the rest.
                            if self.prepare is not None:
                                await self.prepare(run_id, stored)
                            shown.seqs.append(stored.seq)
                            shown.events.append(stored)
                            last = stored.seq
                shown.checked = checked
                if len(shown.events) > self.keep:  # the oldest go; asking for them reads the log
                    shown.start = shown.seqs[-self.keep - 1]
                    del shown.seqs[: -self.keep], shown.events[: -self.keep]
                if last:
                    self._marks.raise_to(run_id, last)
                progressed = checked > before
            except asyncio.CancelledError:
                raise
            except Exception:  # the streams still read at every heartbeat meanwhile
                log.exception("following run %s for the player pages", run_id)
                await asyncio.sleep(heartbeat)
