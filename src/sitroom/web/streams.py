"""How many live event streams may be open: per browser session (or API principal) and in all.

An event stream holds a connection, a task and a place in the broker for as long as a page
stays open, so they are counted apart from the requests in flight (`web.limits`): a person
with a few tabs open is well within ``SITROOM_MAX_STREAMS_PER_SESSION``, a script opening
streams in a loop is not (429), and a process never holds more than ``SITROOM_MAX_STREAMS``
(503). A stream's place is given back when its response ends, however it ends.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from sitroom.services.identity import Viewer

RETRY_SECONDS = 5


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
    """A streaming response that gives its place back when it ends, however it ends."""

    def __init__(
        self,
        content: AsyncIterable[bytes],
        *,
        release: Callable[[], None],
        media_type: str,
        headers: dict[str, str],
    ) -> None:
        super().__init__(content, media_type=media_type, headers=headers)
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()
