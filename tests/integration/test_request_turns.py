"""Requests in flight and live streams are bounded per process, over real HTTP.

Past ``SITROOM_MAX_REQUESTS`` a request is answered 503 with ``Retry-After`` at once, while
event streams (counted apart) still open; past ``SITROOM_MAX_STREAMS_PER_SESSION`` a session's
next stream gets 429 and past ``SITROOM_MAX_STREAMS`` anyone's gets 503. A place is given back
when its request or stream ends.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.support.packages import TWO_PARTIES
from tests.support.server import create_admin, invite_and_join, running_server, sign_in

PASSWORD = "turns-password"


def eventually(check: Callable[[], bool], what: str, within: float = 15.0) -> None:
    """Wait until ``check()`` holds (a place is given back when the server notices a close)."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.05)


def serve(data_dir: Path, **env: str) -> Iterator[tuple[str, httpx.Client]]:
    create_admin(data_dir, PASSWORD)
    with running_server(data_dir, **env) as base:
        admin = sign_in(base, "admin", PASSWORD)
        created = admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": "duo"})
        assert created.status_code == 201, created.text
        yield base, admin
        admin.close()


def hold_a_request(port: int) -> socket.socket:
    """A request whose body never finishes arriving: it stays in flight until closed."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(
        b"POST /api/runs/duo/start HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n{"
    )
    return sock


@pytest.fixture
def busy_site(tmp_path: Path) -> Iterator[tuple[str, httpx.Client]]:
    yield from serve(tmp_path / "var", SITROOM_MAX_REQUESTS="2")


def test_past_the_requests_in_flight_a_request_gets_503_and_streams_still_open(
    busy_site: tuple[str, httpx.Client],
) -> None:
    base, admin = busy_site
    port = int(base.rsplit(":", 1)[1])
    with ExitStack() as stack:
        held = [stack.enter_context(hold_a_request(port)) for _ in range(2)]
        eventually(
            lambda: httpx.get(f"{base}/api/health").status_code == 503, "the third request 503"
        )
        busy = httpx.get(f"{base}/api/health")
        assert busy.headers["retry-after"] == "1"
        assert "try again" in busy.json()["errors"][0]["message"]
        page = httpx.get(f"{base}/signin")
        assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
        with admin.stream("GET", "/api/runs/duo/events") as stream:
            assert stream.status_code == 200
        held[0].close()
        eventually(lambda: httpx.get(f"{base}/api/health").status_code == 200, "a place given back")


@pytest.fixture
def streams_site(tmp_path: Path) -> Iterator[tuple[str, httpx.Client]]:
    yield from serve(tmp_path / "var", SITROOM_MAX_STREAMS_PER_SESSION="2", SITROOM_MAX_STREAMS="3")


def refused(client: httpx.Client, url: str) -> httpx.Response:
    """The answer to a stream request that should be refused; an accepted stream fails the
    test at once instead of being read for ever."""
    with client.stream("GET", url) as reply:
        if reply.status_code == 200:
            raise AssertionError(f"{url} opened a stream; expected a refusal")
        reply.read()
        return reply


def test_streams_are_capped_per_session_and_in_all(
    streams_site: tuple[str, httpx.Client],
) -> None:
    base, admin = streams_site
    people = [
        invite_and_join(admin, base, "duo", name=name, role="player", team="ald-nsc")
        for name in ("Ada", "Bo", "Cy")
    ]
    ada, bo, cy = people
    url = "/api/runs/duo/events"
    with ExitStack() as stack:
        first = stack.enter_context(ada.stream("GET", url))
        second = stack.enter_context(ada.stream("GET", url))
        assert (first.status_code, second.status_code) == (200, 200)
        third = refused(ada, url)
        assert third.status_code == 429, third.text
        assert third.headers["retry-after"]
        assert "close a tab" in third.json()["errors"][0]["message"]
        other = stack.enter_context(bo.stream("GET", url))
        assert other.status_code == 200  # another session: its own two places
        full = refused(cy, url)
        assert full.status_code == 503, full.text
        assert full.headers["retry-after"]
        first.close()

        def ada_again() -> bool:
            with ada.stream("GET", url) as again:
                return again.status_code == 200

        eventually(ada_again, "Ada's place given back when her stream closed")
    for person in people:
        person.close()
