"""Follower cursors: the last event each log follower has handled, per run, kept durably.

A follower stores its cursor after acting on an event, in a transaction that holds nothing
else: the command it sent was committed by the event log before, so a crash between the two
replays the event on restart, and the command's idempotency key turns the replay into a
duplicate. A cursor only moves forward: a late write of an older position (a leader that
lost its lease and has not noticed yet) never moves it back.

Three stores share one interface: SQLite and PostgreSQL on the database of the event log
(their table comes with the same migrations), and one in memory for unit tests.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from sitroom.storage.recorder import format_timestamp

if TYPE_CHECKING:
    import psycopg

_POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")
_UPSERT = (
    "INSERT INTO follower_cursors (follower, run_id, seq, updated_at) VALUES ({p}, {p}, {p}, {p})"
    " ON CONFLICT (follower, run_id) DO UPDATE SET seq = excluded.seq,"
    " updated_at = excluded.updated_at WHERE follower_cursors.seq < excluded.seq"
)
_SELECT = "SELECT seq FROM follower_cursors WHERE follower = {p} AND run_id = {p}"


class CursorStoreClosed(RuntimeError):
    """The store was closed; it accepts no more work."""


@runtime_checkable
class CursorStore(Protocol):
    """Where each follower stands in each run's log."""

    def get(self, follower: str, run_id: str) -> int:
        """The seq of the last event ``follower`` handled in ``run_id`` (0: none yet)."""
        ...

    def put(self, follower: str, run_id: str, seq: int) -> None:
        """Store ``seq`` as the cursor, committed before this returns; never moves it back."""
        ...

    def close(self) -> None:
        """Release the connection. Closing twice is harmless."""
        ...


def _check(follower: str, run_id: str, seq: int) -> None:
    if not follower or not run_id:
        raise ValueError("a cursor needs a follower name and a run id")
    if seq < 0:
        raise ValueError(f"a cursor cannot be negative (got {seq})")


class MemoryCursorStore:
    """Cursors in a dict, for unit tests (nothing survives the process)."""

    def __init__(self) -> None:
        self._cursors: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self.writes = 0
        """How many cursor writes were made (tests check the runner does not write per no-op)."""

    def get(self, follower: str, run_id: str) -> int:
        with self._lock:
            return self._cursors.get((follower, run_id), 0)

    def put(self, follower: str, run_id: str, seq: int) -> None:
        _check(follower, run_id, seq)
        with self._lock:
            self.writes += 1
            key = (follower, run_id)
            self._cursors[key] = max(seq, self._cursors.get(key, 0))

    def close(self) -> None:
        """Nothing to release."""


class SqliteCursorStore:
    """Cursors in the SQLite database of the event log, one committed transaction each."""

    def __init__(
        self,
        path: str,
        *,
        busy_timeout_ms: int = 10_000,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        from sitroom.storage.migrations import upgrade_sqlite

        upgrade_sqlite(path, busy_timeout_ms)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        connection = sqlite3.connect(
            path,
            timeout=busy_timeout_ms / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        connection.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        self._connection: sqlite3.Connection | None = connection

    def _open(self) -> sqlite3.Connection:
        if self._connection is None:
            raise CursorStoreClosed("the cursor store is closed")
        return self._connection

    def get(self, follower: str, run_id: str) -> int:
        with self._lock:
            row = self._open().execute(_SELECT.format(p="?"), (follower, run_id)).fetchone()
        return 0 if row is None else int(row[0])

    def put(self, follower: str, run_id: str, seq: int) -> None:
        _check(follower, run_id, seq)
        with self._lock:
            connection = self._open()
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.execute(
                    _UPSERT.format(p="?"),
                    (follower, run_id, seq, format_timestamp(self._clock())),
                )
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise

    def close(self) -> None:
        with self._lock:
            connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


class PostgresCursorStore:
    """Cursors in the PostgreSQL database of the event log, one autocommit statement each."""

    def __init__(self, conninfo: str, *, clock: Callable[[], datetime] | None = None) -> None:
        from sitroom.storage.migrations import upgrade_postgres
        from sitroom.storage.postgres import with_connect_timeout

        self._conninfo = with_connect_timeout(conninfo)
        upgrade_postgres(self._conninfo)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._connection: psycopg.Connection[tuple[Any, ...]] | None = None
        self._closed = False

    def _execute(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        import psycopg

        with self._lock:
            if self._closed:
                raise CursorStoreClosed("the cursor store is closed")
            if self._connection is None or self._connection.closed:
                self._connection = psycopg.connect(self._conninfo, autocommit=True)
            try:
                cursor = self._connection.execute(sql.format(p="%s"), params)
                return cursor.fetchall() if cursor.description else []
            except psycopg.OperationalError:
                # A dropped connection: the next call opens a new one.
                self._connection.close()
                self._connection = None
                raise

    def get(self, follower: str, run_id: str) -> int:
        rows = self._execute(_SELECT, (follower, run_id))
        return int(rows[0][0]) if rows else 0

    def put(self, follower: str, run_id: str, seq: int) -> None:
        _check(follower, run_id, seq)
        self._execute(_UPSERT, (follower, run_id, seq, self._clock()))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


def open_cursor_store(url: str) -> CursorStore:
    """The cursor store on the database ``url`` names (the URLs `open_recorder` takes)."""
    if url.startswith(_POSTGRES_SCHEMES):
        return PostgresCursorStore("postgresql://" + url.split("://", 1)[1])
    if url.startswith("sqlite:"):
        path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else ""
        if not path or path.startswith(":memory:"):
            raise ValueError(f"{url!r}: name a database file, e.g. sqlite:///var/sitroom.db")
        return SqliteCursorStore(path)
    if "://" in url:
        scheme = url.split("://", 1)[0]
        raise ValueError(
            f"{url!r}: unsupported database scheme {scheme!r}; use sqlite or postgresql"
        )
    if not url:
        raise ValueError("no database URL given")
    return SqliteCursorStore(url)
