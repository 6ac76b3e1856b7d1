"""An EventSource of our own for tests: it parses the stream as a browser does, and reconnects
like one (after the server's ``retry:`` delay, with ``Last-Event-ID``), to the next of several
workers when one refuses, as a reverse proxy would send it there."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import httpx


@dataclass(frozen=True)
class Message:
    """One dispatched SSE message."""

    id: str | None
    event: str
    data: str


@dataclass
class StreamState:
    """What the parser carries from one message to the next (as EventSource does)."""

    last_event_id: str | None = None
    retry_ms: int | None = None


async def messages(response: httpx.Response, state: StreamState) -> AsyncIterator[Message]:
    """The messages of an open ``text/event-stream`` response, parsed as the standard says."""
    event, data, seen_id = "", [], False
    async for line in response.aiter_lines():
        if not line:
            if data or event:
                yield Message(
                    state.last_event_id if seen_id else None, event or "message", "\n".join(data)
                )
            event, data, seen_id = "", [], False
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
        elif name == "id":
            state.last_event_id, seen_id = value, True
        elif name == "retry" and value.isdigit():
            state.retry_ms = int(value)


@dataclass
class ResumingClient:
    """Follows one stream across reconnects and workers; records what it was sent."""

    bases: Sequence[str]
    path: str
    cookies: dict[str, str]
    first: int = 0
    """Index in ``bases`` of the worker to connect to first."""
    after: int = 0
    received: list[Message] = field(default_factory=list)
    hints: int = 0
    """``draining`` messages: a stopping worker asked this client to reconnect."""
    connections: int = 0
    resumed_with: list[str] = field(default_factory=list)
    """The ``Last-Event-ID`` sent on each reconnect."""
    connected: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, http: httpx.AsyncClient) -> None:
        """Follow until cancelled."""
        state = StreamState(last_event_id=str(self.after) if self.after else None)
        index = self.first
        while True:
            base = self.bases[index % len(self.bases)]
            headers = {"Accept": "text/event-stream"}
            if state.last_event_id is not None:
                headers["Last-Event-ID"] = state.last_event_id
                if self.connections:
                    self.resumed_with.append(state.last_event_id)
            try:
                async with http.stream(
                    "GET", base + self.path, headers=headers, cookies=self.cookies
                ) as response:
                    if response.status_code != 200:
                        raise httpx.HTTPStatusError(
                            f"{response.status_code}", request=response.request, response=response
                        )
                    self.connections += 1
                    self.connected.set()
                    async for message in messages(response, state):
                        if message.event == "draining":
                            self.hints += 1
                        else:
                            self.received.append(message)
            except (httpx.TransportError, httpx.HTTPStatusError):
                index += 1  # this worker refused: the proxy tries the next one at once
                await asyncio.sleep(0.05)
                continue
            # The stream ended cleanly: wait as the server asked, then reconnect through the
            # "proxy", which now sends the request to the next worker.
            await asyncio.sleep((state.retry_ms or 2000) / 1000)
            index += 1


@contextlib.asynccontextmanager
async def following(
    clients: Sequence[ResumingClient], http: httpx.AsyncClient
) -> AsyncIterator[None]:
    """Run ``clients`` in the background while the block runs; stop them after."""
    tasks = [asyncio.create_task(client.run(http)) for client in clients]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
