"""Stopping a worker: SIGTERM ends every live stream with a reconnect hint, the followers give
their leases up at once, and the process is gone within seconds, not when the last browser
leaves (uvicorn alone waits for every open response, and an event stream never ends)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from sitroom.config import load_settings
from sitroom.realtime.sse import DRAIN_RETRY_MS
from sitroom.services.leader import FileLeases
from sitroom.web.app import create_app
from tests.support.packages import TWO_PARTIES
from tests.support.server import (
    create_admin,
    free_port,
    invite_and_join,
    sign_in,
    start_process,
    wait_until_up,
)
from tests.support.sse import ResumingClient, following

PASSWORD = "graceful-stop-password"
STREAMS_PER_SESSION = 5  # below any per-session cap on streams


def create_run(data_dir: Path, run_id: str = "duo", text: str = TWO_PARTIES, **env: str) -> None:
    package = data_dir / f"{run_id}.yaml"
    package.write_text(text, encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "sitroom", "run", "create", "--id", run_id, str(package)],
        check=True,
        capture_output=True,
        env={**os.environ, "SITROOM_DATA_DIR": str(data_dir), **env},
    )


def observers(admin: httpx.Client, base: str, run_id: str, count: int) -> list[dict[str, str]]:
    """Session cookies for ``count`` streams, a few streams per signed-in observer."""
    sessions = []
    for n in range(0, count, STREAMS_PER_SESSION):
        person = invite_and_join(admin, base, run_id, name=f"Observer {n}", role="observer")
        sessions.append(dict(person.cookies))
        person.close()
    return [sessions[i // STREAMS_PER_SESSION] for i in range(count)]


@pytest.mark.slow
def test_sigterm_ends_twenty_streams_with_a_retry_hint_and_exits_within_seconds(
    tmp_path: Path,
) -> None:
    create_admin(tmp_path, PASSWORD)
    create_run(tmp_path)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # Heartbeats far apart: only the stop signal can end the streams' waits.
    worker = start_process(tmp_path, port, SITROOM_HEARTBEAT="60")
    try:
        wait_until_up(base, timeout=60)
        admin = sign_in(base, "admin", PASSWORD)
        cookies = observers(admin, base, "duo", 20)
        admin.close()
        elapsed = asyncio.run(_stop_with_streams(worker, [base], cookies))
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    log = (tmp_path / f"server-{port}.log").read_text()
    print(f"SIGTERM with 20 streams open: exited in {elapsed:.2f} s")
    assert elapsed < 5.0, f"the worker took {elapsed:.1f} s to stop\n{log}"
    assert "timeout graceful shutdown exceeded" not in log, log


@pytest.mark.slow
def test_sigterm_to_serve_with_two_worker_processes_drains_both(tmp_path: Path) -> None:
    create_admin(tmp_path, PASSWORD)
    create_run(tmp_path)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # uvicorn's supervisor passes SIGTERM on to each process; each must drain on its own.
    server = start_process(tmp_path, port, workers=2, SITROOM_HEARTBEAT="60")
    try:
        wait_until_up(base, timeout=60)
        admin = sign_in(base, "admin", PASSWORD)
        cookies = observers(admin, base, "duo", 10)
        admin.close()
        elapsed = asyncio.run(_stop_with_streams(server, [base], cookies))
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    log = (tmp_path / f"server-{port}.log").read_text()
    print(f"SIGTERM to serve --workers 2 with 10 streams open: exited in {elapsed:.2f} s")
    assert elapsed < 5.0, log
    assert log.count("Application shutdown complete") == 2, log


async def _stop_with_streams(
    worker: subprocess.Popen[bytes], bases: list[str], cookies: list[dict[str, str]]
) -> float:
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=httpx.Timeout(10, read=None), limits=limits) as http:
        clients = [ResumingClient(bases, "/api/runs/duo/events", jar) for jar in cookies]
        async with following(clients, http):
            await asyncio.wait_for(asyncio.gather(*(c.connected.wait() for c in clients)), 30)
            await asyncio.sleep(0.3)  # every stream is waiting on the broker now
            started = time.monotonic()
            worker.send_signal(signal.SIGTERM)
            await asyncio.to_thread(worker.wait, 30)
            elapsed = time.monotonic() - started
        for client in clients:
            assert client.hints == 1, f"a stream ended without the hint ({client.hints} hints)"
        return elapsed


def test_the_draining_message_asks_for_a_short_jittered_retry_and_keeps_the_event_id() -> None:
    from sitroom.realtime.sse import draining_frame

    retries = set()
    for _ in range(50):
        lines = draining_frame().decode().splitlines()
        assert lines[0].startswith("retry: ")
        retry = int(lines[0].removeprefix("retry: "))
        assert DRAIN_RETRY_MS[0] <= retry <= DRAIN_RETRY_MS[1]
        retries.add(retry)
        assert lines[1] == "event: draining"
        assert json.loads(lines[2].removeprefix("data: "))["retry_ms"] == retry
        assert not any(line.startswith("id:") for line in lines)  # Last-Event-ID unchanged
    assert len(retries) > 1, "every client would reconnect in the same instant"


@pytest.mark.asyncio
async def test_draining_gives_the_follower_leases_up_before_the_server_stops(
    tmp_path: Path,
) -> None:
    create_run(tmp_path)
    settings = load_settings({"SITROOM_DATA_DIR": str(tmp_path), "SITROOM_FOLLOWER_TICK": "0.05"})
    app = create_app(settings)
    lock_file = f"{settings.effective_database_url.removeprefix('sqlite:///')}-followers.lock"
    async with app.router.lifespan_context(app):
        runner = app.state.runner
        await _until(lambda: runner.leases.holds("scheduler", "duo"), "the runner leads duo")
        other = FileLeases(lock_file)  # another worker (the lock file is the shared state)
        try:
            assert not other.acquire("scheduler", "duo")
            app.state.drain.begin()
            await _until(lambda: other.acquire("scheduler", "duo"), "the lease is free")
            assert app.state.drain.draining  # the app is still up, only draining
        finally:
            other.close()


async def _until(condition: object, what: str, timeout: float = 10.0) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        await asyncio.sleep(0.02)
