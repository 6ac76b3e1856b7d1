"""A stream that says "what you are looking at has changed", for pages over several logs.

A series page shows the series' own log and the runs of the series. It needs no events, only
to know when to fetch itself again, so this stream sends one ``changed`` frame whenever the
logs have grown past what the page was rendered from. Its ``id:`` is the logs' *version* (a
number that only grows: the sum of their last sequence numbers), so a browser that
reconnects with ``Last-Event-ID`` is told at once about anything it missed. Like the run's
stream, it waits on the broker and re-reads the logs at every heartbeat: a lost announcement
costs latency, never a change.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence

from sitroom.realtime.broker import Broker
from sitroom.realtime.drain import Drain
from sitroom.realtime.sse import PING, RETRY_MS, Frame, draining_frame, format_frame

CHANGED = "changed"
"""The SSE event type the page listens for (``sse:changed``)."""


async def _any_beyond(broker: Broker, heard: dict[str, int], timeout: float) -> dict[str, int]:
    """Wait until any stream is announced beyond what was heard, or ``timeout`` passes."""
    if not heard:
        await asyncio.sleep(timeout)
        return heard
    waits = {
        stream: asyncio.ensure_future(broker.wait_beyond(stream, seq, timeout))
        for stream, seq in heard.items()
    }
    try:
        await asyncio.wait(waits.values(), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in waits.values():
            task.cancel()
    return {stream: max(heard[stream], broker.latest(stream)) for stream in heard}


async def change_stream(
    *,
    after: int,
    broker: Broker,
    streams: Callable[[], Awaitable[Sequence[str]]],
    version: Callable[[Sequence[str]], Awaitable[int]],
    heartbeat: float = 15.0,
    is_disconnected: Callable[[], Awaitable[bool]] | None = None,
    still_allowed: Callable[[], Awaitable[bool]] | None = None,
    drain: Drain | None = None,
) -> AsyncGenerator[bytes, None]:
    """Send a ``changed`` frame each time the version of ``streams()`` passes ``after``.

    ``streams()`` is asked again at every heartbeat (a new run of the series joins the
    watch); ``version(streams)`` reads the logs themselves. Ends on a disconnect, when
    ``still_allowed`` says no, or with a reconnect hint when the server drains.
    """
    if heartbeat <= 0:
        raise ValueError(f"heartbeat must be positive, got {heartbeat}")
    loop = asyncio.get_running_loop()
    yield f"retry: {RETRY_MS}\n\n".encode()
    watched = list(await streams())
    # Note what the broker has said before reading the logs: a commit after the read is
    # announced after it, so the first wait returns at once and nothing falls in between.
    heard = {stream: broker.latest(stream) for stream in watched}
    last_sent = next_check = loop.time()
    next_check += heartbeat
    while True:
        current = await version(watched)
        if current > after:
            after = current
            yield format_frame(Frame(id=current, event=CHANGED, data=json.dumps({"at": current})))
            last_sent = loop.time()
        if drain is not None and drain.draining:
            yield draining_frame()
            return
        if is_disconnected is not None and await is_disconnected():
            return
        timeout = max(0.0, min(last_sent + heartbeat, next_check) - loop.time())
        waiting = _any_beyond(broker, heard, timeout)
        heard = await (waiting if drain is None else drain.interruptible(waiting, heard))
        if drain is not None and drain.draining:
            yield draining_frame()
            return
        now = loop.time()
        if now >= next_check:
            next_check = now + heartbeat
            if still_allowed is not None and not await still_allowed():
                return
            watched = list(await streams())
            heard = {stream: heard.get(stream, broker.latest(stream)) for stream in watched}
        if now - last_sent >= heartbeat:
            yield PING
            last_sent = loop.time()
