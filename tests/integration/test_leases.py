"""Leases exclude each other across processes, and vanish with the process (or connection)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from sitroom.services.leader import FileLeases, PostgresLeases, open_leases
from tests.support.postgres import fresh_database

HOLD = """
import sys, time
from sitroom.services.leader import open_leases
leases = open_leases(sys.argv[1])
assert leases.acquire("scheduler", "duo")
print("held", flush=True)
time.sleep(60)
"""


def _holder(url: str) -> subprocess.Popen[str]:
    process = subprocess.Popen([sys.executable, "-c", HOLD, url], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "held"
    return process


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait()
    if process.stdout is not None:
        process.stdout.close()


def _until(condition: object, timeout: float = 10.0) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_file_leases_exclude_processes_and_go_with_them(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sitroom.db'}"
    holder = _holder(url)
    leases = open_leases(url)
    try:
        assert isinstance(leases, FileLeases)
        assert not leases.acquire("scheduler", "duo")
        assert leases.acquire("scheduler", "trio")  # another run: another lease
        assert leases.acquire("mailer", "duo")  # another follower too
        _stop(holder)
        assert leases.acquire("scheduler", "duo")
    finally:
        leases.close()
        _stop(holder)


def test_file_leases_of_one_process_exclude_each_other(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sitroom.db'}"
    first, second = open_leases(url), open_leases(url)
    try:
        assert first.acquire("scheduler", "duo")
        assert not second.acquire("scheduler", "duo")
        first.close()  # closing one must not drop the locks of the other
        assert second.acquire("scheduler", "duo")
        third = open_leases(url)
        assert not third.acquire("scheduler", "duo")
        third.close()
    finally:
        first.close()
        second.close()


@pytest.mark.postgres
def test_advisory_leases_exclude_and_a_lost_connection_loses_them() -> None:
    with fresh_database() as url:
        holder = _holder(url)
        first, second = open_leases(url), open_leases(url)
        try:
            assert isinstance(first, PostgresLeases)
            assert not first.acquire("scheduler", "duo")
            _stop(holder)
            _until(lambda: first.acquire("scheduler", "duo"))
            assert first.holds("scheduler", "duo")
            assert not second.acquire("scheduler", "duo")
            with psycopg.connect(url, autocommit=True) as admin:  # the connection is cut
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE application_name LIKE 'sitroom-leases-%'"
                    " AND datname = current_database()"
                    " AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory')"
                )
            first.check()
            assert not first.holds("scheduler", "duo")  # it stops acting
            assert second.acquire("scheduler", "duo")
            assert not first.acquire("scheduler", "duo")
            second.release("scheduler", "duo")
            assert first.acquire("scheduler", "duo")  # with a new connection
        finally:
            first.close()
            second.close()
            _stop(holder)
