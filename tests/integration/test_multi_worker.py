"""Two server processes on one database with Redis between them: an inject released on one
worker reaches an SSE client of the other at once (heartbeats are far too slow to explain it)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis

from tests.support.packages import TWO_PARTIES
from tests.support.server import (
    create_admin,
    free_port,
    join,
    sign_in,
    start_process,
    wait_until_up,
)

PASSWORD = "multi-worker-password"
REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_or_fail() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("SITROOM_SKIP_REDIS") == "1":
            pytest.skip("Redis unreachable and SITROOM_SKIP_REDIS=1")
        pytest.fail(
            f"Redis at {REDIS_URL} is unreachable ({exc}); start it or set SITROOM_SKIP_REDIS=1"
        )


@pytest.mark.redis
def test_inject_released_on_one_worker_reaches_clients_of_the_other(tmp_path: Path) -> None:
    _redis_or_fail()
    create_admin(tmp_path, PASSWORD, "admin")
    subprocess.run(
        [sys.executable, "-m", "sitroom", "run", "create", "--id", "duo", str(_write(tmp_path))],
        check=True,
        capture_output=True,
        env={**os.environ, "SITROOM_DATA_DIR": str(tmp_path)},
    )
    env = {
        "SITROOM_REDIS_URL": REDIS_URL,
        "SITROOM_REDIS_PREFIX": f"t{secrets.token_hex(4)}:",
        "SITROOM_HEARTBEAT": "30",
    }
    port_a, port_b = free_port(), free_port()
    workers = [start_process(tmp_path, port_a, **env), start_process(tmp_path, port_b, **env)]
    try:
        base_a, base_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
        wait_until_up(base_a)
        wait_until_up(base_b)
        admin = sign_in(base_a, "admin", PASSWORD)
        code = admin.post(
            "/api/runs/duo/invitations",
            json={"name": "Brenland player", "role": "player", "team": "brn-nsc"},
        ).json()["code"]
        player = join(base_b, code, timeout=40.0)
        admin.post("/api/runs/duo/start", json={}).raise_for_status()
        start_seq = admin.get("/api/runs/duo").json()["seq"]
        received: dict[str, float] = {}
        ready = threading.Event()

        def listen() -> None:
            with player.stream(
                "GET", "/api/runs/duo/events", headers={"Last-Event-ID": str(start_seq)}
            ) as stream:
                ready.set()
                for line in stream.iter_lines():
                    if line.startswith("event: inject-released"):
                        received["at"] = time.monotonic()
                        return

        thread = threading.Thread(target=listen, daemon=True)
        thread.start()
        assert ready.wait(10)
        time.sleep(0.5)  # the stream is now waiting on the broker
        released_at = time.monotonic()
        admin.post("/api/runs/duo/injects/1/release", json={}).raise_for_status()
        thread.join(timeout=10)
        assert "at" in received, "the other worker's client never got the inject"
        latency = received["at"] - released_at
        assert latency < 3.0, f"took {latency:.2f}s: it came by heartbeat, not through Redis"
        admin.close()
        player.close()
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=10)


def _write(folder: Path) -> Path:
    path = folder / "duo.yaml"
    path.write_text(TWO_PARTIES, encoding="utf-8")
    return path
