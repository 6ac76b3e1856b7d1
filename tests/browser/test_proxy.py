"""The shipped nginx configuration in front of two workers on PostgreSQL + Redis, with a browser.

The admin signs in and a player joins through the proxy (https, HTTP/2, Secure cookies). An
inject released on the worker that does not hold the player's live stream reaches the
player's page through nginx at once: Redis carries the announcement, and nginx does not
buffer the stream. Then that worker is stopped: the browser reconnects through nginx to the
other one and misses nothing.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests.support.nginx import running_nginx
from tests.support.packages import TWO_PARTIES
from tests.support.postgres import fresh_database
from tests.support.server import create_admin, free_port, start_process, wait_until_up

PASSWORD = "proxy-test-password"
REDIS_URL = "redis://127.0.0.1:6379/0"
RUN = "duo"


@dataclass
class Proxied:
    """Two workers behind nginx."""

    base: str
    """nginx's https address: what the browser uses."""
    workers: list[subprocess.Popen[bytes]]
    direct: list[str]
    """Each worker's own address (for the test's API calls and metrics)."""
    data_dir: Path

    def streams_open(self, index: int) -> float:
        text = httpx.get(f"{self.direct[index]}/metrics").text
        found = re.search(r"^sitroom_sse_streams_open (\S+)$", text, re.MULTILINE)
        assert found, text
        return float(found.group(1))


def direct_admin(base: str) -> httpx.Client:
    """The admin, signed in at one worker's own (plain http) address.

    The session cookie is Secure (the site is https), so a client would not send it back over
    http by itself: it goes in the header.
    """
    client = httpx.Client(base_url=base, timeout=30)
    reply = client.post("/api/session", json={"username": "admin", "password": PASSWORD})
    reply.raise_for_status()
    client.headers["Cookie"] = f"sitroom_session={reply.cookies['sitroom_session']}"
    client.headers["X-CSRF-Token"] = reply.json()["csrf_token"]
    client.cookies.clear()
    return client


def _redis_or_fail() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("SITROOM_SKIP_REDIS") == "1":
            pytest.skip("Redis unreachable and SITROOM_SKIP_REDIS=1")
        pytest.fail(f"Redis at {REDIS_URL} is unreachable ({exc})")


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxied]:
    _redis_or_fail()
    data_dir = tmp_path_factory.mktemp("proxied")
    https_port, http_port = free_port(), free_port()
    ports = [free_port(), free_port()]
    with fresh_database() as url:
        create_admin(data_dir, PASSWORD, database_url=url)
        package = data_dir / "duo.yaml"
        package.write_text(TWO_PARTIES, encoding="utf-8")
        subprocess.run(
            [sys.executable, "-m", "sitroom", "run", "create", "--id", RUN, str(package)],
            check=True,
            capture_output=True,
            env={**os.environ, "SITROOM_DATA_DIR": str(data_dir), "SITROOM_DATABASE_URL": url},
        )
        env = {
            "SITROOM_DATABASE_URL": url,
            "SITROOM_REDIS_URL": REDIS_URL,
            "SITROOM_REDIS_PREFIX": f"t{secrets.token_hex(4)}:",
            "SITROOM_BASE_URL": f"https://127.0.0.1:{https_port}",
            "SITROOM_SECURE_COOKIES": "1",
            "SITROOM_TRUSTED_PROXIES": "127.0.0.1",
            # Heartbeats far apart: a frame that arrives fast came through Redis and nginx.
            "SITROOM_HEARTBEAT": "30",
        }
        workers = [start_process(data_dir, port, **env) for port in ports]
        direct = [f"http://127.0.0.1:{port}" for port in ports]
        try:
            for base in direct:
                wait_until_up(base, timeout=60)
            with running_nginx(data_dir / "nginx", ports, http_port, https_port) as base:
                yield Proxied(base, workers, direct, data_dir)
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.terminate()
                    worker.wait(timeout=15)


def test_inject_released_on_one_worker_reaches_a_player_on_the_other_through_nginx(
    proxied: Proxied, browser: Any
) -> None:
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 1280, "height": 900})
    try:
        # The admin signs in through the proxy (https: the session cookie is Secure).
        admin_page = context.new_page()
        admin_page.goto(f"{proxied.base}/signin")
        admin_page.get_by_label("Username").fill("admin")
        admin_page.get_by_label("Password").fill(PASSWORD)
        admin_page.keyboard.press("Enter")
        admin_page.wait_for_url(f"{proxied.base}/")
        assert admin_page.get_by_role("heading", name="Runs").is_visible()
        cookie = next(c for c in context.cookies() if c["name"] == "sitroom_session")
        assert cookie["secure"]

        with closing(direct_admin(proxied.direct[0])) as admin:
            code = admin.post(
                f"/api/runs/{RUN}/invitations",
                json={"name": "Bo Brenner", "role": "player", "team": "brn-nsc"},
            ).json()["code"]
            admin.post(f"/api/runs/{RUN}/start", json={}).raise_for_status()

        # The player joins with the code, through the proxy, in a browser of their own.
        player_context = browser.new_context(ignore_https_errors=True)
        player = player_context.new_page()
        player.goto(f"{proxied.base}/signin")
        player.get_by_label("Join code").fill(code)
        player.get_by_role("button", name="Join").click()
        player.wait_for_url(f"**/runs/{RUN}/**")
        player.goto(f"{proxied.base}/runs/{RUN}/play")
        player.locator('[data-live-status][data-state="live"]').wait_for()

        # Which worker holds the player's stream? Release on the other one.
        deadline = time.monotonic() + 10
        while (holding := [proxied.streams_open(i) for i in (0, 1)]) not in ([1, 0], [0, 1]):
            assert time.monotonic() < deadline, holding
            time.sleep(0.1)
        stream_worker = holding.index(1)
        other = 1 - stream_worker
        with closing(direct_admin(proxied.direct[other])) as admin:
            started = time.monotonic()
            admin.post(f"/api/runs/{RUN}/injects/1/release", json={}).raise_for_status()
            player.locator("#inject-1").wait_for(timeout=5000)
            delivered = time.monotonic() - started
        print(
            f"inject released on worker {other} reached the player's browser on worker "
            f"{stream_worker} through nginx in {delivered * 1000:.0f} ms"
        )
        assert delivered < 3.0, f"{delivered:.2f} s: buffered, or it came by heartbeat"

        # Stop the worker that holds the stream: the browser reconnects through nginx to the
        # other one, which sends what was released meanwhile.
        stopping = proxied.workers[stream_worker]
        stopping.send_signal(signal.SIGTERM)
        stopping.wait(timeout=10)
        with closing(direct_admin(proxied.direct[other])) as admin:
            admin.post(f"/api/runs/{RUN}/injects/4/release", json={}).raise_for_status()
        player.locator("#inject-4").wait_for(timeout=15000)
        assert proxied.streams_open(other) == 1
        assert player.locator("#inject-1").count() == 1  # nothing twice
        player_context.close()
    finally:
        context.close()
