"""Draining: the process is stopping, so its long waits end now and its streams say goodbye.

A server stopping gracefully waits for its open responses to finish, and an event stream never
finishes by itself: without draining, one connected browser keeps a stopping worker alive
until the grace period runs out. When the stop signal arrives, ``Drain.begin`` ends every
wait made through ``Drain.interruptible``; each stream then sends a reconnect hint and closes,
and the browser reconnects (behind a proxy, to another worker) and resumes from the log with
its ``Last-Event-ID``. Nothing is lost: the log, not the connection, holds the events.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from sitroom.realtime.watermark import wake_every_waiter

log = logging.getLogger("sitroom.realtime")

T = TypeVar("T")


class Drain:
    """A once-only switch, set when the process begins to stop. Use it on one event loop.

    No task is made per wait: each wait runs under an ``asyncio.timeout`` scope of its own,
    and ``begin`` moves every such deadline to now, so thousands of waiting streams cost
    nothing until the process stops.
    """

    def __init__(self) -> None:
        self._draining = False
        self._scopes: set[asyncio.Timeout] = set()
        self._callbacks: list[Callable[[], object]] = []

    @property
    def draining(self) -> bool:
        """Whether the process has begun to stop."""
        return self._draining

    def on_begin(self, callback: Callable[[], object]) -> None:
        """Call ``callback`` (on the loop) when draining begins; at once if it has."""
        if self._draining:
            callback()
        else:
            self._callbacks.append(callback)

    def begin(self) -> None:
        """Begin draining: end every interruptible wait and run the callbacks. Idempotent."""
        if self._draining:
            return
        self._draining = True
        log.info("draining: %d waiting streams end with a reconnect hint", len(self._scopes))
        now = asyncio.get_running_loop().time()
        for scope in list(self._scopes):
            scope.reschedule(now)
        # The streams wait on watermarks with no scope of their own (one per wait would cost
        # a room's thousand streams that much at every release): wake them all.
        wake_every_waiter()
        for callback in self._callbacks:
            try:
                callback()
            except Exception:  # one failing callback must not keep the others from running
                log.exception("a draining callback failed")
        self._callbacks.clear()

    async def interruptible(self, wait: Coroutine[Any, Any, T], default: T) -> T:
        """Await ``wait``, or return ``default`` as soon as draining begins (or has begun)."""
        if self._draining:
            wait.close()
            return default
        try:
            async with asyncio.timeout(None) as scope:
                self._scopes.add(scope)
                try:
                    return await wait
                finally:
                    self._scopes.discard(scope)
        except TimeoutError:
            if not self._draining:
                raise
            return default
