"""Live event streams: how many may be open, and the short way their chunks go out.

How many may be open: per browser session (or API principal) and in all.

An event stream holds a connection, a task and a place in the broker for as long as a page
stays open, so they are counted apart from the requests in flight (`web.limits`): a person
with a few tabs open is well within ``SITROOM_MAX_STREAMS_PER_SESSION``, a script opening
streams in a loop is not (429), and a process never holds more than ``SITROOM_MAX_STREAMS``
(503). A stream's place is given back when its response ends, however it ends.

The short way out: a stream's start (status and headers) and its end pass through every
middleware — the security headers, the request metrics, the error handlers and the access log
act on them — but its chunks go straight to the server's ``send``, which the application puts
in the scope (`SERVER_SEND`). None of the middlewares does anything with a chunk of a response
that has started; at 3,000 open streams a release is 3,000 chunks, each of which went through
seven ``send`` wrappers before.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable
from typing import Protocol

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from sitroom.services.identity import Viewer

RETRY_SECONDS = 5
SERVER_SEND = "sitroom.server_send"
"""The scope's key for the server's own ``send``, set by the application for every request."""


class Gauge(Protocol):
    """What counts the open streams (a Prometheus gauge)."""

    def inc(self) -> None: ...

    def dec(self) -> None: ...


class StreamsFull(Exception):
    """No place for another stream: ``status`` 429 (this session's) or 503 (the process's)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def stream_key(who: Viewer) -> str:
    """What a stream is counted against: the browser session, else the API token's principal."""
    if who.session is not None:
        return f"session:{who.session}"
    return f"principal:{who.principal.id}"


class StreamSlots:
    """Open streams per key and in all, within ``per_session`` and ``total``."""

    def __init__(self, per_session: int, total: int) -> None:
        self.per_session = per_session
        self.total = total
        self.open = 0
        self._by_key: dict[str, int] = {}

    def take(self, key: str) -> Callable[[], None]:
        """A place for one more stream of ``key``, or `StreamsFull`; call the result once
        the stream has ended (calling it again does nothing)."""
        held = self._by_key.get(key, 0)
        if held >= self.per_session:
            raise StreamsFull(
                429,
                f"this session has {held} live streams open already, the most it may;"
                " close a tab or an old stream first",
            )
        if self.open >= self.total:
            raise StreamsFull(
                503, "the server holds as many live streams as it may; try again shortly"
            )
        self._by_key[key] = held + 1
        self.open += 1
        given_back = False

        def give_back() -> None:
            nonlocal given_back
            if given_back:
                return
            given_back = True
            self.open -= 1
            left = self._by_key[key] - 1
            if left:
                self._by_key[key] = left
            else:
                del self._by_key[key]

        return give_back


class CountedStream(StreamingResponse):
    """A streaming response that gives its place back when it ends, however it ends; counted
    in ``open_streams`` while it is open; its chunks sent the short way (see the module)."""

    def __init__(
        self,
        content: AsyncIterable[bytes],
        *,
        release: Callable[[], None],
        media_type: str,
        headers: dict[str, str],
        open_streams: Gauge | None = None,
    ) -> None:
        super().__init__(content, media_type=media_type, headers=headers)
        self._release = release
        self._open_streams = open_streams
        self._chunk_send: Send | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._chunk_send = scope.get(SERVER_SEND)
        if self._open_streams is not None:
            self._open_streams.inc()
        try:
            await super().__call__(scope, receive, send)
        finally:
            if self._open_streams is not None:
                self._open_streams.dec()
            self._release()

    async def stream_response(self, send: Send) -> None:
        """The start and the end through ``send`` (every middleware), each chunk between
        them straight to the server."""
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        chunk_send = self._chunk_send or send
        async for chunk in self.body_iterator:
            body = chunk if isinstance(chunk, bytes | memoryview) else chunk.encode(self.charset)
            await chunk_send({"type": "http.response.body", "body": body, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
