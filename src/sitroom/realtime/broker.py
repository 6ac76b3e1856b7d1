"""The broker interface: "run R has events up to N", and nothing else.

A broker never carries event content. Losing one of its messages delays a client by at most
one heartbeat, because every stream re-reads the log when its wait times out.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Broker(Protocol):
    """Tells the streams of this process that a run's log has grown.

    ``start`` and ``close`` belong to the application's lifespan: nothing connects before
    ``start``. Everything except ``publish_threadsafe`` is called on the event loop the
    broker was started on.
    """

    async def start(self) -> None:
        """Connect and start listening; remember the running loop for ``publish_threadsafe``."""
        ...

    async def close(self) -> None:
        """Stop listening and release connections. Waiters still time out normally."""
        ...

    async def publish(self, run_id: str, seq: int) -> None:
        """Announce that ``run_id`` has committed events up to ``seq``.

        Call it only after the append has committed. It never raises on a transport
        failure: it logs a warning, and the streams find the events on their next re-read.
        """
        ...

    def publish_threadsafe(self, run_id: str, seq: int) -> None:
        """Like ``publish``, from any thread: schedules the announcement on the broker's loop."""
        ...

    def latest(self, run_id: str) -> int:
        """The highest sequence number this process has heard for ``run_id`` (0 if none)."""
        ...

    async def wait_beyond(self, run_id: str, after: int, timeout: float) -> int:
        """Wait until ``latest(run_id) > after`` or ``timeout`` seconds pass; return ``latest``."""
        ...
