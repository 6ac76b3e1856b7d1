"""The Server-Sent Events stream of one run for one viewer, resumed from the log.

The SSE ``id:`` of every frame is the event's sequence number in the run's log, so a client
that reconnects with ``Last-Event-ID`` is served what it missed from the log itself. The
broker only says when to look again; a lost announcement delays a frame by one heartbeat.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import random
import re
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Protocol, TypeAlias, TypeVar

from sitroom.realtime.drain import Drain

RETRY_MS = 2000
"""How long a browser waits before reconnecting after the stream drops."""

DRAIN_RETRY_MS = (250, 1500)
"""The reconnect delay a stopping server asks for, drawn at random from this range so that the
clients of a stopping worker do not all reconnect in the same instant."""

PING = b": ping\n\n"
"""The heartbeat: an SSE comment, ignored by clients, that keeps proxies from closing idle
connections."""

MAX_SEQ = 2**63 - 1
"""The largest sequence number a resume cursor may name (a signed 64-bit column)."""

# Only CR LF, CR and LF end a line in an event stream; str.splitlines would also split on
# U+2028 and friends, which JSON text may hold raw, and corrupt the data.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_DIGITS = re.compile(r"[0-9]+")
# Timers may fire a hair before their deadline; without slack, a heartbeat would cost an
# extra wake-up and log read.
_SLACK = 0.002


class Announcements(Protocol):
    """What a stream asks of a broker: how far a run's log has grown, and to wait for more.
    A ``Broker`` is one; so is anything that wakes a stream for fewer events (the player
    page's, which waits only for what the page shows)."""

    def latest(self, run_id: str) -> int:
        """The highest sequence number heard for ``run_id`` (0 if none)."""
        ...

    async def wait_beyond(self, run_id: str, after: int, timeout: float) -> int:
        """Wait until ``latest(run_id) > after`` or ``timeout`` seconds pass; return ``latest``."""
        ...


class Sequenced(Protocol):
    """Anything read from a run's log: it has a sequence number."""

    @property
    def seq(self) -> int:
        """The event's position in its run's log (1, 2, 3, …)."""
        ...


E = TypeVar("E", bound=Sequenced)


@dataclass(frozen=True)
class Frame:
    """One SSE message."""

    id: int | None
    """The event's sequence number; ``None`` for messages that are not log events."""
    event: str | None
    """The SSE event type (``None``: the default ``message``)."""
    data: str
    """JSON text, or HTML for a page to swap in."""

    @cached_property
    def wire(self) -> bytes:
        """The frame as sent (``format_frame``), made once: one frame may go to a thousand
        streams."""
        return format_frame(self)


Rendered: TypeAlias = Frame | Sequence[Frame] | None
"""What one event becomes for one viewer: a frame, several (e.g. HTML fragments for the page
and then the event itself), or nothing."""


class InvalidCursor(ValueError):
    """A resume position that is not a non-negative integer; ``field`` names where it came from."""

    def __init__(self, field: str, value: str) -> None:
        super().__init__(f"{field} must be a non-negative integer (an event id), got {value!r}")
        self.field = field
        self.value = value


def format_frame(frame: Frame) -> bytes:
    """Serialise ``frame`` as an SSE message; multi-line data becomes several ``data:`` lines."""
    if frame.event is not None and _LINE_BREAK.search(frame.event):
        raise ValueError(f"an SSE event type cannot hold a line break: {frame.event!r}")
    lines: list[str] = []
    if frame.id is not None:
        lines.append(f"id: {frame.id}")
    if frame.event is not None:
        lines.append(f"event: {frame.event}")
    lines.extend(f"data: {line}" for line in _LINE_BREAK.split(frame.data))
    return ("\n".join(lines) + "\n\n").encode()


def revoked_frame() -> Frame:
    """The last frame of a stream whose viewer may no longer follow the run."""
    return Frame(id=None, event="revoked", data=json.dumps({"reason": "access-revoked"}))


def draining_frame() -> bytes:
    """The last message of a stream whose server is stopping: a short ``retry:`` and a
    ``draining`` event.

    The message carries no ``id:``, so the browser's last event id stays the last event it
    got; it reconnects after the delay (behind a proxy, to another worker) and resumes there.
    """
    retry = random.randint(*DRAIN_RETRY_MS)
    data = json.dumps({"reason": "server-stopping", "retry_ms": retry})
    return f"retry: {retry}\n".encode() + format_frame(Frame(id=None, event="draining", data=data))


def parse_last_event_id(header: str | None, query: str | None) -> int:
    """The position to resume after: the ``Last-Event-ID`` header, else ``?after=``, else 0.

    An empty value counts as absent. Anything else that is not a non-negative integer raises
    ``InvalidCursor`` (a ``ValueError``) naming the field, for a 400 response.
    """
    for field, value in (("Last-Event-ID", header), ("after", query)):
        if value is None or not value.strip():
            continue
        text = value.strip()
        if not _DIGITS.fullmatch(text) or int(text) > MAX_SEQ:
            raise InvalidCursor(field, value)
        return int(text)
    return 0


async def event_stream(
    *,
    run_id: str,
    after: int,
    broker: Announcements,
    read_after: Callable[[int], Awaitable[Sequence[E]]],
    render: Callable[[E], Rendered | Awaitable[Rendered]],
    heartbeat: float = 15.0,
    is_disconnected: Callable[[], Awaitable[bool]] | None = None,
    still_allowed: Callable[[], Awaitable[bool]] | None = None,
    drain: Drain | None = None,
    tick: Callable[[], Awaitable[Sequence[Frame]]] | None = None,
    first_check: float | None = None,
) -> AsyncGenerator[bytes, None]:
    """Stream a run's events with ``seq > after`` to one viewer, then follow the log.

    ``read_after(n)`` reads the events with ``seq > n`` in order (it may return only the first
    page of them: the next page is read at once); ``render`` is the viewer's
    visibility gate and serialiser (``None`` or no frames: not for this viewer, skipped, but
    the cursor moves past it; it may be a coroutine function). An event's last frame carries
    its ``seq`` as the ``id``; the frames before it carry none, so a client that lost the
    connection between them resumes before the event and is sent all of them again.

    The stream sends ``retry:``, then the log after ``after``, then waits on the broker and
    re-reads the log whenever it wakes or ``heartbeat`` seconds pass; it sends a ``PING``
    comment when nothing else was sent for ``heartbeat`` seconds. Every ``heartbeat`` seconds
    it asks ``still_allowed`` (the first time after ``first_check`` seconds, default
    ``heartbeat``: spread, the streams of a room that connected together do not all ask at
    the same moment); a no ends the stream with a ``revoked`` frame; then it sends the
    frames ``tick`` gives, which are no log events and carry no ``id`` (a clock that moves
    with time, where every viewer would otherwise ask for it). It ends when
    ``is_disconnected`` says so, asked at every heartbeat (or when the server cancels it,
    or at its next write after the client left). Errors of ``read_after``
    propagate: the client reconnects and resumes from its ``Last-Event-ID``. When ``drain``
    begins (the server is stopping), the stream sends ``draining_frame`` and ends at once (a
    broker's waits on a ``Watermarks`` are woken by draining, as every broker's here are; a
    broker of another kind ends the wait at its time, then the stream ends).
    """
    if heartbeat <= 0:
        raise ValueError(f"heartbeat must be positive, got {heartbeat}")
    loop = asyncio.get_running_loop()
    yield f"retry: {RETRY_MS}\n\n".encode()

    # Note the broker's position before reading the snapshot. Anything committed after the
    # read is announced after it, so it raises the watermark past the cursor and the first
    # wait returns at once: nothing falls between the snapshot and the wait.
    heard = broker.latest(run_id)
    cursor = after

    async def read_rendered() -> bytes:
        nonlocal cursor
        chunks: list[bytes] = []
        for event in await read_after(cursor):
            if event.seq <= cursor:
                continue
            cursor = event.seq
            rendered = render(event)
            if rendered is None:
                continue
            if type(rendered) is Frame:  # the common case, paid by every stream of a room
                if rendered.id == event.seq:
                    chunks.append(rendered.wire)
                    continue
            elif inspect.isawaitable(rendered):
                rendered = await rendered
                if rendered is None:
                    continue
            frames = [rendered] if isinstance(rendered, Frame) else list(rendered)
            for n, frame in enumerate(frames, start=1 - len(frames)):
                wanted = event.seq if n == 0 else None
                if frame.id != wanted:
                    frame = replace(frame, id=wanted)
                chunks.append(frame.wire)
        return b"".join(chunks)

    chunk = await read_rendered()
    if chunk:
        yield chunk
    last_sent = next_check = loop.time()
    next_check += heartbeat if first_check is None else first_check
    progressed = cursor > after
    while True:
        if drain is not None and drain.draining:
            yield draining_frame()
            return
        timeout = min(last_sent + heartbeat, next_check) - loop.time()
        # After a read that moved the cursor, wait beyond the cursor: if ``read_after`` pages,
        # the next page is read at once. After a read that found nothing, wait beyond what
        # was heard too, so a log that lags its announcements (a replica) cannot make a spin.
        waited_from = cursor if progressed else max(cursor, heard)
        # Draining wakes every wait on a watermark at once (`Drain.begin`).
        heard = max(heard, await broker.wait_beyond(run_id, waited_from, timeout))
        if drain is not None and drain.draining:
            # No last read: the client resumes after its Last-Event-ID on another worker,
            # and a stopping worker should not read the log once for every stream.
            yield draining_frame()
            return
        before = cursor
        chunk = await read_rendered()
        progressed = cursor > before
        if chunk:
            yield chunk
            last_sent = loop.time()
        now = loop.time() + _SLACK
        if now >= next_check:
            next_check = now + heartbeat
            # Asked at the heartbeat, not at every wake-up: asking costs a thousand streams
            # woken by one release more than the rest of their work (a closed connection
            # also ends the stream at its next write).
            if is_disconnected is not None and await is_disconnected():
                return
            if still_allowed is not None and not await still_allowed():
                yield format_frame(revoked_frame())
                return
            if tick is not None:
                ticked = [f if f.id is None else replace(f, id=None) for f in await tick()]
                if ticked:
                    yield b"".join(f.wire for f in ticked)
                    last_sent = loop.time()
        if now - last_sent >= heartbeat:
            yield PING
            last_sent = loop.time()
