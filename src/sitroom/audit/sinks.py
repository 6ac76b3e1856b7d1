"""Where audit lines go: a file and stderr at once; syslog and HTTP through a bounded queue.

A forwarder never makes the request that records an event wait: `emit` puts the event in a
queue of fixed size and returns; a thread of the forwarder's own sends it, retrying with
backoff. When the queue is full, or a delivery fails after its retries, the events are
dropped and counted, and the next delivery starts with an ``audit-dropped`` event saying how
many, so the receiving end learns of the gap too (and the sequence numbers show where).
"""

from __future__ import annotations

import logging
import os
import queue
import sys
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

log = logging.getLogger("sitroom.audit")

_STOP = object()


class FileSink:
    """Appends each line to a file made readable by its owner only (0600)."""

    name = "file"
    dropped = 0

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)

    def emit(self, event: Mapping[str, Any], line: str) -> None:
        # Opened for each line, appending: workers share the file, and a rotated file is
        # followed at once. One write() per line keeps lines of several processes whole.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (line + "\n").encode("utf-8"))
        finally:
            os.close(fd)

    def close(self, timeout: float) -> None:
        return None


class StreamSink:
    """Writes each line to a text stream (stderr), for containers that collect it."""

    name = "stderr"
    dropped = 0

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def emit(self, event: Mapping[str, Any], line: str) -> None:
        stream = self.stream or sys.stderr
        stream.write(line + "\n")
        stream.flush()

    def close(self, timeout: float) -> None:
        return None


class Forwarder:
    """A bounded queue and a thread that delivers its events in batches, with retries."""

    name = "forwarder"
    batch_size = 100

    def __init__(self, *, capacity: int = 10_000, retries: int = 4, backoff: float = 0.5) -> None:
        self._queue: queue.Queue[Any] = queue.Queue(capacity)
        self.retries = retries
        self.backoff = backoff
        self.sent = 0
        self._dropped = 0
        self._reported = 0
        self._count_lock = threading.Lock()
        self._stopping = threading.Event()
        self._failing = False  # logged once per outage, not once per batch
        self._thread = threading.Thread(target=self._run, name=f"audit-{self.name}", daemon=True)
        self._thread.start()

    @property
    def dropped(self) -> int:
        return self._dropped

    def emit(self, event: Mapping[str, Any], line: str) -> None:
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self._drop(1)

    def deliver(self, events: list[Mapping[str, Any]]) -> None:
        """Send ``events``; raise to have them retried."""
        raise NotImplementedError

    def close(self, timeout: float) -> None:
        """Deliver what is queued (for up to ``timeout`` seconds), then stop the thread."""
        try:
            self._queue.put(_STOP, timeout=timeout)
        except queue.Full:
            pass
        self._thread.join(timeout)
        self._stopping.set()
        self._thread.join(1.0)
        self.shutdown()

    def shutdown(self) -> None:
        """Release connections; called once the thread has stopped."""

    def _drop(self, count: int) -> None:
        with self._count_lock:
            first = self._dropped == 0
            self._dropped += count
        if first:  # afterwards: the metric and the audit-dropped events say how many
            log.warning("audit %s: events dropped (queue full or receiver down)", self.name)

    def _dropped_event(self) -> dict[str, Any] | None:
        with self._count_lock:
            missing = self._dropped - self._reported
            if not missing:
                return None
            self._reported = self._dropped
        return {
            "time": datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "type": "audit-dropped",
            "outcome": "failure",
            "details": {"dropped": missing, "dropped_total": self._dropped, "sink": self.name},
        }

    def _run(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is _STOP:
                break
            batch = [first]
            while len(batch) < self.batch_size:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)
            notice = self._dropped_event()
            self._send(([notice] if notice else []) + batch, len(batch))

    def _send(self, batch: list[Mapping[str, Any]], events: int) -> None:
        for attempt in range(self.retries + 1):
            try:
                self.deliver(batch)
            except Exception as exc:
                if not self._failing:
                    log.warning("audit %s: delivery failed (%s); retrying", self.name, exc)
                    self._failing = True
                if self._stopping.wait(self.backoff * 2**attempt):
                    break
                continue
            if self._failing:
                log.warning("audit %s: delivering again", self.name)
                self._failing = False
            self.sent += events
            return
        self._drop(events)
