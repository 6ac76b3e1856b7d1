"""A rolling restart of two workers on PostgreSQL + Redis under 200 live streams loses nothing.

Each client behaves as a browser behind a reverse proxy: when its worker stops, the stream ends
with a reconnect hint, and the client reconnects after the hinted delay to the other worker,
with its ``Last-Event-ID``. Injects are released throughout; every client must receive every
one of them exactly once.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import httpx
import psycopg
import pytest
import redis

from tests.integration.test_graceful_stop import create_run, observers
from tests.support.packages import TWO_PARTIES
from tests.support.postgres import fresh_database
from tests.support.server import create_admin, free_port, sign_in, start_process, wait_until_up
from tests.support.sse import ResumingClient, following

PASSWORD = "rolling-restart-password"
REDIS_URL = "redis://127.0.0.1:6379/0"
CLIENTS = 200
INJECTS = list(range(11, 19))
_M1_INJECTS = TWO_PARTIES.index("    injects:\n      - number: 1")
MANY_INJECTS = (
    TWO_PARTIES[:_M1_INJECTS]
    + "    injects:\n"
    + "".join(
        f"      - number: {n}\n"
        f"        title: {{en: Update {n}, ko: 갱신 {n}}}\n"
        f"        content: {{en: Situation update {n}., ko: 상황 갱신 {n}.}}\n"
        for n in INJECTS
    )
    + TWO_PARTIES[TWO_PARTIES.index("  - id: m2") :]
)
_LEADERS = (
    "SELECT a.application_name FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid"
    " WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()"
    " AND a.application_name LIKE 'sitroom-leases-%'"
)


def _redis_or_fail() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("SITROOM_SKIP_REDIS") == "1":
            pytest.skip("Redis unreachable and SITROOM_SKIP_REDIS=1")
        pytest.fail(f"Redis at {REDIS_URL} is unreachable ({exc})")


class Cluster:
    """Two ``sitroom serve`` workers on fixed ports, and an admin who reaches either."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.data_dir = data_dir
        self.env = env
        self.ports = [free_port(), free_port()]
        self.bases = [f"http://127.0.0.1:{port}" for port in self.ports]
        self.workers = [start_process(data_dir, port, **env) for port in self.ports]
        for base in self.bases:
            wait_until_up(base, timeout=60)
        self.admin = [sign_in(base, "admin", PASSWORD) for base in self.bases]
        self.stop_times: list[float] = []

    def release(self, number: int) -> int:
        """Release inject ``number`` through whichever worker answers; its log seq."""
        deadline = time.monotonic() + 30
        while True:
            for admin in self.admin:
                try:
                    reply = admin.post(
                        f"/api/runs/duo/injects/{number}/release",
                        json={},
                        headers={"Idempotency-Key": f"release-{number}"},
                    )
                except httpx.TransportError:
                    continue
                if reply.status_code == 200:
                    recorded = reply.json()["recorded"]
                    return int(next(e["seq"] for e in recorded if e["type"] == "inject-released"))
            assert time.monotonic() < deadline, f"no worker released inject {number}"
            time.sleep(0.1)

    def restart(self, index: int) -> None:
        """SIGTERM worker ``index``, wait for it to go, start its replacement on its port."""
        worker = self.workers[index]
        started = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        self.stop_times.append(time.monotonic() - started)
        self.workers[index] = start_process(self.data_dir, self.ports[index], **self.env)
        wait_until_up(self.bases[index], timeout=60)

    def close(self) -> None:
        for admin in self.admin:
            admin.close()
        for worker in self.workers:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.redis
def test_rolling_restart_under_200_streams_delivers_every_inject_to_every_client_once(
    tmp_path: Path,
) -> None:
    _redis_or_fail()
    with fresh_database() as url:
        env = {
            "SITROOM_DATABASE_URL": url,
            "SITROOM_REDIS_URL": REDIS_URL,
            "SITROOM_REDIS_PREFIX": f"t{secrets.token_hex(4)}:",
            "SITROOM_HEARTBEAT": "5",
            # The scheduler alone: with several followers their leases may rest on
            # different workers, and this counts the workers holding any lease.
            "SITROOM_FOLLOWERS": "scheduler",
        }
        create_admin(tmp_path, PASSWORD, database_url=url)
        create_run(tmp_path, text=MANY_INJECTS, SITROOM_DATABASE_URL=url)
        cluster = Cluster(tmp_path, env)
        try:
            cookies = observers(cluster.admin[0], cluster.bases[0], "duo", CLIENTS)
            cluster.admin[0].post("/api/runs/duo/start", json={}).raise_for_status()
            seqs, clients = asyncio.run(_restart_under_load(cluster, cookies))
            leaders = _leaders(url)
            alive = {worker.pid for worker in cluster.workers}
        finally:
            cluster.close()
    print(
        f"rolling restart under {CLIENTS} streams: workers stopped in "
        + ", ".join(f"{t:.2f} s" for t in cluster.stop_times)
    )
    assert all(t < 5.0 for t in cluster.stop_times), cluster.stop_times
    expected = Counter(str(seq) for seq in seqs)
    for n, client in enumerate(clients):
        got = Counter(m.id for m in client.received if m.event == "inject-released")
        assert got == expected, (
            f"client {n} got {dict(got)}, wanted each of {sorted(expected)} once"
        )
        assert client.hints >= 1 and client.resumed_with, f"client {n} never moved worker"
    assert len(leaders) == 1 and set(leaders) <= alive, (leaders, alive)


async def _restart_under_load(
    cluster: Cluster, cookies: list[dict[str, str]]
) -> tuple[list[int], list[ResumingClient]]:
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
    path = "/api/runs/duo/events"
    async with httpx.AsyncClient(timeout=httpx.Timeout(30, read=None), limits=limits) as http:
        clients = [
            ResumingClient(cluster.bases, path, jar, first=i % 2) for i, jar in enumerate(cookies)
        ]
        seqs: list[int] = []
        plan = iter(INJECTS)

        async def release(count: int) -> None:
            for _ in range(count):
                seqs.append(await asyncio.to_thread(cluster.release, next(plan)))

        async with following(clients, http):
            await asyncio.wait_for(asyncio.gather(*(c.connected.wait() for c in clients)), 60)
            await release(2)
            for index in (0, 1):
                stopping = asyncio.create_task(asyncio.to_thread(cluster.restart, index))
                await asyncio.sleep(0.05)
                await release(1)  # while the worker drains: the other one records it
                await stopping
                await release(2)
            await release(len(INJECTS) - len(seqs))
            want = len(seqs)
            deadline = time.monotonic() + 60
            while any(
                sum(m.event == "inject-released" for m in c.received) < want for c in clients
            ):
                assert time.monotonic() < deadline, "some clients never got every inject"
                await asyncio.sleep(0.2)
            await asyncio.sleep(1.0)  # anything sent twice would arrive now
    return seqs, clients


def _leaders(url: str) -> list[int]:
    """The process ids of the workers holding a follower lease on this database."""
    with psycopg.connect(url, autocommit=True) as connection:
        rows = connection.execute(_LEADERS).fetchall()
    return sorted(int(str(row[0]).rsplit("-", 1)[1]) for row in rows)
