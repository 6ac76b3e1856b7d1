"""Backends for the contract suites: memory, a SQLite file per test, one PostgreSQL database
per session.

PostgreSQL is reached at ``SITROOM_TEST_POSTGRES`` (default
``postgresql://postgres@127.0.0.1:5432``). Each session creates its own database
``sitroom_test_<hex>`` through the ``postgres`` maintenance database and drops it at the end.
If the server cannot be reached the PostgreSQL tests fail, unless ``SITROOM_SKIP_POSTGRES=1``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from sitroom.storage import Recorder, open_recorder
from sitroom.storage.memory import MemoryLog, MemoryRecorder
from sitroom.storage.recorder import Clock, utc_now

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432"


def _admin_connection(base: str) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=5)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a PostgreSQL database made for this test session."""
    if os.environ.get("SITROOM_SKIP_POSTGRES") == "1":
        pytest.skip("SITROOM_SKIP_POSTGRES=1")
    base = os.environ.get("SITROOM_TEST_POSTGRES", DEFAULT_POSTGRES).rstrip("/")
    try:
        admin = _admin_connection(base)
    except psycopg.OperationalError as error:
        reason = str(error)
    else:
        reason = ""
    if reason:
        pytest.fail(
            f"PostgreSQL at {base} cannot be reached: {reason}\n"
            "Start the server (or point SITROOM_TEST_POSTGRES at one), "
            "or set SITROOM_SKIP_POSTGRES=1 to skip the PostgreSQL tests.",
            pytrace=False,
        )
    name = f"sitroom_test_{secrets.token_hex(6)}"
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{base}/{name}"
    finally:
        with _admin_connection(base) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


class Backend:
    """Opens recorders on one database and closes them when the test ends.

    The memory backend's "database" is one `MemoryLog`: every recorder it opens shares it.
    """

    def __init__(self, name: str, url: str) -> None:
        self.name = name
        self.url = url
        self._opened: list[Recorder] = []
        self._log = MemoryLog() if name == "memory" else None
        self.primary: Recorder | None = None

    def open(self, clock: Clock | None = None) -> Recorder:
        """Open another recorder on the same database (stamping with ``clock`` if given)."""
        chosen = clock or utc_now
        recorder: Recorder
        if self._log is not None:
            recorder = MemoryRecorder(self._log, clock=chosen)
        else:
            recorder = open_recorder(self.url, clock=chosen)
        self._opened.append(recorder)
        return recorder

    def close_all(self) -> None:
        """Close every recorder this backend opened."""
        for recorder in self._opened:
            recorder.close()


def _empty_postgres(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("TRUNCATE events, runs CASCADE")


def _started(chosen: Backend) -> Iterator[Backend]:
    chosen.primary = chosen.open()  # creates or upgrades the schema
    if chosen.name == "postgres":
        _empty_postgres(chosen.url)
    try:
        yield chosen
    finally:
        chosen.close_all()


@pytest.fixture
def sqlite_backend(tmp_path: Path) -> Iterator[Backend]:
    """A fresh SQLite file."""
    yield from _started(Backend("sqlite", f"sqlite:///{tmp_path / 'log.db'}"))


@pytest.fixture
def postgres_backend(postgres_url: str) -> Iterator[Backend]:
    """The session's PostgreSQL database, emptied."""
    yield from _started(Backend("postgres", postgres_url))


@pytest.fixture
def memory_backend() -> Iterator[Backend]:
    """A fresh in-memory log."""
    yield from _started(Backend("memory", "memory://"))


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> Backend:
    """Every backend in turn, each starting from an empty log (for suites written as functions;
    the recorder suite subclasses one abstract test case per backend instead)."""
    chosen: Backend = request.getfixturevalue(f"{request.param}_backend")
    return chosen


@pytest.fixture
def recorder(backend: Backend) -> Recorder:
    """A recorder on an empty log."""
    assert backend.primary is not None
    return backend.primary
