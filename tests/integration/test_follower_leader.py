"""Two ``sitroom serve`` workers on PostgreSQL + Redis: one leads the scheduler for a run and
releases its scheduled inject once; killed, the other takes the lease and releases the next."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
import redis

from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Principal, Role
from sitroom.services.runs import Engine
from sitroom.storage.factory import open_recorder
from sitroom.storage.recorder import StoredEvent
from tests.support.packages import TWO_PARTIES
from tests.support.postgres import fresh_database
from tests.support.server import free_port, start_process, wait_until_up

REDIS_URL = "redis://127.0.0.1:6379/0"
FACILITATOR = Principal("account:fac", Role.FACILITATOR, "Fac")
# Inject 1 is due 3 s into the module, inject 2 at 9 s; 3 (a contingency) never by schedule.
SCHEDULED = TWO_PARTIES.replace("offset: 10m", "offset: 3s").replace(
    "        to: [ald-nsc]\n", "        to: [ald-nsc]\n        offset: 9s\n"
)
_LEADERS = (
    "SELECT a.application_name FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid"
    " WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()"
    " AND a.application_name LIKE 'sitroom-leases-%'"
)


def _leaders(url: str) -> list[int]:
    """The process ids of the workers holding a follower lease on this database."""
    with psycopg.connect(url, autocommit=True) as connection:
        rows = connection.execute(_LEADERS).fetchall()
    return sorted(int(str(row[0]).rsplit("-", 1)[1]) for row in rows)


def _until(condition: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.05)


def _released(events: list[StoredEvent]) -> list[tuple[str, str | None]]:
    return [(e.payload["number"], e.actor) for e in events if e.type == "inject-released"]


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.redis
def test_one_worker_leads_the_scheduler_and_the_other_takes_over(tmp_path: Path) -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {REDIS_URL} is unreachable ({exc})")
    from sitroom.package.load import load_text

    package = load_text(SCHEDULED, "duo.yaml").package
    assert package is not None
    with fresh_database() as url:
        recorder = open_recorder(url)
        engine = Engine(recorder)
        engine.create_run(package, run_id="duo")
        env = {
            "SITROOM_DATABASE_URL": url,
            "SITROOM_REDIS_URL": REDIS_URL,
            "SITROOM_REDIS_PREFIX": f"t{secrets.token_hex(4)}:",
            "SITROOM_FOLLOWER_TICK": "0.2",
            # The scheduler alone: with several followers their leases may rest on
            # different workers, and this counts the workers holding any lease.
            "SITROOM_FOLLOWERS": "scheduler",
        }
        ports = [free_port(), free_port()]
        workers = {port: start_process(tmp_path, port, **env) for port in ports}
        try:
            for port in ports:
                wait_until_up(f"http://127.0.0.1:{port}")
            _until(lambda: len(_leaders(url)) == 1, "a worker leads")
            time.sleep(1.0)  # several rounds of both workers: still one leader
            (leader,) = _leaders(url)
            assert leader in {w.pid for w in workers.values()}
            other = next(w for w in workers.values() if w.pid != leader)

            engine.handle("duo", cmd.StartRun(), FACILITATOR)
            _until(lambda: _released(engine.read("duo")) != [], "inject 1 is released")
            time.sleep(1.0)  # both workers have had time to act twice over
            assert _released(engine.read("duo")) == [("1", "system:scheduler")]

            os.kill(leader, signal.SIGKILL)
            next(w for w in workers.values() if w.pid == leader).wait(timeout=10)
            _until(lambda: _leaders(url) == [other.pid], "the other worker leads")
            _until(lambda: len(_released(engine.read("duo"))) == 2, "inject 2 is released")
            time.sleep(1.0)
            assert _released(engine.read("duo")) == [
                ("1", "system:scheduler"),
                ("2", "system:scheduler"),
            ]
            keys = [e.idempotency_key for e in engine.read("duo") if e.type == "inject-released"]
            assert keys == ["follower:scheduler:inject:1", "follower:scheduler:inject:2"]
            assert other.poll() is None, "the surviving worker died"
        finally:
            for worker in workers.values():
                if worker.poll() is None:
                    worker.terminate()
                    try:
                        worker.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        worker.kill()
                        worker.wait()
            recorder.close()


@pytest.mark.slow
def test_the_server_releases_a_scheduled_inject_on_sqlite(tmp_path: Path) -> None:
    from sitroom.package.load import load_text
    from tests.support.server import running_server

    package = load_text(SCHEDULED.replace("offset: 3s", "offset: 1s"), "duo.yaml").package
    assert package is not None
    recorder = open_recorder(f"sqlite:///{tmp_path / 'sitroom.db'}")
    engine = Engine(recorder)
    try:
        engine.create_run(package, run_id="duo")
        with running_server(tmp_path, SITROOM_FOLLOWER_TICK="0.1"):
            engine.handle("duo", cmd.StartRun(), FACILITATOR)
            _until(lambda: _released(engine.read("duo")) != [], "inject 1 is released", 10)
        assert _released(engine.read("duo")) == [("1", "system:scheduler")]
    finally:
        recorder.close()
