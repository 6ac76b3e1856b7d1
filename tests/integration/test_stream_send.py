"""An event stream's chunks go straight to the server; its start passes every middleware.

Over real HTTP, with a middleware of the test's own inside the application's: it sees the
stream's ``http.response.start`` (so the security headers, the request metrics and the access
log act on it, as on any response) and none of its chunks, while the client receives them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.support.packages import TWO_PARTIES
from tests.support.server import create_admin, join, running_server, sign_in

PASSWORD = "stream-send-password"
STREAM = "/api/runs/duo/events"


class Seen:
    """What passed through the test's middleware for the stream's path, by message kind."""

    def __init__(self) -> None:
        self.messages: Counter[str] = Counter()

    def middleware(self, app: ASGIApp) -> ASGIApp:
        async def watching(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http" or scope["path"] != STREAM:
                await app(scope, receive, send)
                return

            async def noting(message: Message) -> None:
                kind = message["type"]
                if kind == "http.response.body":
                    kind += " more" if message.get("more_body") else " last"
                self.messages[kind] += 1
                await send(message)

            await app(scope, receive, noting)

        return watching


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Seen]]:
    seen = Seen()

    def prepare(app: FastAPI) -> None:
        app.add_middleware(seen.middleware)

    data_dir = tmp_path / "var"
    create_admin(data_dir, PASSWORD)
    with running_server(data_dir, prepare=prepare) as base:
        yield base, seen


def test_a_streams_chunks_skip_the_middlewares_and_its_start_does_not(
    site: tuple[str, Seen],
) -> None:
    base, seen = site
    admin = sign_in(base, "admin", PASSWORD)
    created = admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": "duo"})
    assert created.status_code == 201, created.text
    invited = admin.post(
        "/api/runs/duo/invitations", json={"name": "Pat", "role": "player", "team": "brn-nsc"}
    )
    assert invited.status_code == 201, invited.text
    player = join(base, invited.json()["code"])
    pings = 0
    with player.stream("GET", STREAM, timeout=httpx.Timeout(30.0)) as reply:
        assert reply.status_code == 200
        # The start went through the application's middlewares: the security headers.
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert "default-src 'self'" in reply.headers["content-security-policy"]
        assert reply.headers["content-type"].startswith("text/event-stream")
        for line in reply.iter_lines():
            pings += line == ": ping"
            if pings == 3:  # heartbeats every 0.5 s in the test server
                break
    assert seen.messages["http.response.start"] == 1
    assert seen.messages["http.response.body more"] == 0, seen.messages
    # ... and the request metrics counted it under its route.
    metrics = httpx.get(f"{base}/metrics").text
    counted = re.search(
        r'^sitroom_http_requests_total\{method="GET",route="/api/runs/\{run_id\}/events",'
        r'status="200"\} (\S+)$',
        metrics,
        re.MULTILINE,
    )
    assert counted is not None and float(counted.group(1)) >= 1, metrics[:2000]
    player.close()
    admin.close()
