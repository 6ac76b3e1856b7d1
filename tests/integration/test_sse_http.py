"""The SSE stream over real HTTP: a tiny Starlette app served by uvicorn, read by httpx."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from sitroom.realtime import Frame, InvalidCursor, MemoryBroker, event_stream, parse_last_event_id


@dataclass(frozen=True)
class LoggedEvent:
    seq: int
    type: str


class SharedLog:
    """A run's log appended by the test thread and read by the server's loop."""

    def __init__(self) -> None:
        self.events: list[LoggedEvent] = []
        self._lock = threading.Lock()

    def append(self, type_: str) -> int:
        with self._lock:
            event = LoggedEvent(len(self.events) + 1, type_)
            self.events.append(event)
            return event.seq

    async def read_after(self, after: int) -> list[LoggedEvent]:
        with self._lock:
            return [event for event in self.events if event.seq > after]


def render(event: LoggedEvent) -> Frame:
    return Frame(id=event.seq, event=event.type, data=json.dumps({"seq": event.seq}))


def make_app(log: SharedLog, broker: MemoryBroker) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await broker.start()
        yield
        await broker.close()

    async def events(request: Request) -> Response:
        try:
            after = parse_last_event_id(
                request.headers.get("last-event-id"), request.query_params.get("after")
            )
        except InvalidCursor as error:
            return PlainTextResponse(str(error), status_code=400)
        stream = event_stream(
            run_id=request.path_params["run_id"],
            after=after,
            broker=broker,
            read_after=log.read_after,
            render=render,
            heartbeat=0.2,
            is_disconnected=request.is_disconnected,
        )
        return StreamingResponse(
            stream,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return Starlette(routes=[Route("/runs/{run_id}/events", events)], lifespan=lifespan)


@dataclass
class Served:
    url: str
    log: SharedLog
    broker: MemoryBroker

    def append(self, type_: str) -> int:
        """Append from this (non-loop) thread and announce it, as the recorder's thread does."""
        seq = self.log.append(type_)
        self.broker.publish_threadsafe("run-1", seq)
        return seq


@pytest.fixture
def served() -> Iterator[Served]:
    log, broker = SharedLog(), MemoryBroker()
    config = uvicorn.Config(
        make_app(log, broker),
        log_level="warning",
        http="h11",
        ws="none",
        loop="asyncio",
        lifespan="on",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started or not thread.is_alive():
                break
            threading.Event().wait(0.01)
        assert server.started, "uvicorn did not start"
        yield Served(f"http://127.0.0.1:{port}/runs/run-1/events", log, broker)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()


def read_messages(
    lines: Iterator[str], count: int, *, events_only: bool = True
) -> list[dict[str, str]]:
    """Read ``count`` messages (by default skipping heartbeats and the retry line)."""
    messages: list[dict[str, str]] = []
    fields: dict[str, str] = {}
    for line in lines:
        if line:
            name, _, value = line.partition(":")
            fields[name] = fields.get(name, "") + value.removeprefix(" ")
            continue
        if fields and (not events_only or "data" in fields):
            messages.append(fields)
            if len(messages) == count:
                return messages
        fields = {}
    raise AssertionError(f"the stream ended after {messages}")


def test_frames_arrive_in_order_and_live(served: Served) -> None:
    for type_ in ("run-started", "inject-released"):
        served.append(type_)
    with httpx.Client(timeout=5.0) as client, client.stream("GET", served.url) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        first = read_messages(lines, 1, events_only=False)[0]
        assert first == {"retry": "2000"}
        backlog = read_messages(lines, 2)
        assert [(m["id"], m["event"]) for m in backlog] == [
            ("1", "run-started"),
            ("2", "inject-released"),
        ]
        for expected in (3, 4, 5):
            served.append("decision-recorded")
            (message,) = read_messages(lines, 1)
            assert message["id"] == str(expected)
            assert json.loads(message["data"]) == {"seq": expected}


def test_heartbeats_reach_the_client(served: Served) -> None:
    with httpx.Client(timeout=5.0) as client, client.stream("GET", served.url) as response:
        lines = response.iter_lines()
        messages = read_messages(lines, 3, events_only=False)
        assert messages[0] == {"retry": "2000"}
        assert messages[1:] == [{"": "ping"}, {"": "ping"}]


def test_a_reconnecting_client_resumes_from_last_event_id(served: Served) -> None:
    for _ in range(2):
        served.append("inject-released")
    with httpx.Client(timeout=5.0) as client:
        with client.stream("GET", served.url) as response:
            seen = read_messages(response.iter_lines(), 2)
        last_id = seen[-1]["id"]
        assert last_id == "2"
        for _ in range(3):  # while the client is away
            served.append("decision-recorded")
        headers = {"Last-Event-ID": last_id}
        with client.stream("GET", served.url, headers=headers) as response:
            lines = response.iter_lines()
            missed = read_messages(lines, 3)
            assert [m["id"] for m in missed] == ["3", "4", "5"]
            served.append("hot-wash-opened")
            assert read_messages(lines, 1)[0]["id"] == "6"


def test_the_after_query_resumes_when_there_is_no_header(served: Served) -> None:
    for _ in range(4):
        served.append("inject-released")
    with (
        httpx.Client(timeout=5.0) as client,
        client.stream("GET", served.url, params={"after": "3"}) as response,
    ):
        assert read_messages(response.iter_lines(), 1)[0]["id"] == "4"


def test_a_garbled_last_event_id_is_a_400_naming_the_field(served: Served) -> None:
    response = httpx.get(served.url, headers={"Last-Event-ID": "yesterday"}, timeout=5.0)
    assert response.status_code == 400
    assert "Last-Event-ID" in response.text
