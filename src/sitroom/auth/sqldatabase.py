"""The two databases the SQL auth store runs on: SQLite and PostgreSQL, behind one protocol.

SQLite runs in WAL mode with a busy timeout, and every write takes the write lock up front
(``BEGIN IMMEDIATE``), so concurrent writers wait for each other instead of failing.
PostgreSQL uses a few autocommit connections and one transaction per call. Both lend their
connections from a small pool and are safe to call from many threads.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from sitroom.storage.recorder import format_timestamp, parse_timestamp

if TYPE_CHECKING:
    import psycopg

Row = tuple[Any, ...]
Params = Mapping[str, Any]


class AuthStoreClosed(RuntimeError):
    """The store was closed; it accepts no more work."""


class Cursor(Protocol):
    def rows(self, sql: str, params: Params) -> list[Row]:
        """Run a statement and return its rows."""
        ...

    def count(self, sql: str, params: Params) -> int:
        """Run a statement and return how many rows it changed."""
        ...


class Database(Protocol):
    """What the store needs from a backend: transactions and its form of timestamps."""

    integrity_errors: tuple[type[Exception], ...]

    def transaction(self, *, write: bool) -> AbstractContextManager[Cursor]:
        """One transaction; committed when the block ends, rolled back if it raises."""
        ...

    def stamp(self, moment: datetime) -> object:
        """A timestamp as the database stores it."""
        ...

    def moment(self, value: Any) -> datetime:
        """A stored timestamp as a timezone-aware UTC datetime."""
        ...

    def close(self) -> None:
        """Close every connection."""
        ...


C = TypeVar("C")


class PoolTimeout(Exception):
    """No database connection became free in time."""


class Pool(Generic[C]):
    """At most ``size`` connections at once, opened on demand and kept for reuse."""

    def __init__(
        self,
        connect: Callable[[], C],
        close: Callable[[C], None],
        healthy: Callable[[C], bool],
        *,
        size: int,
        timeout: float,
    ) -> None:
        if size < 1:
            raise ValueError("a pool needs at least one connection")
        self._connect = connect
        self._close = close
        self._healthy = healthy
        self._timeout = timeout
        self._slots = threading.BoundedSemaphore(size)
        self._idle: list[C] = []
        self._lock = threading.Lock()
        self._closed = False

    @contextmanager
    def connection(self) -> Iterator[C]:
        """Lend a connection for the duration of the block."""
        if not self._slots.acquire(timeout=self._timeout):
            raise PoolTimeout(f"no database connection free within {self._timeout} s")
        try:
            with self._lock:
                if self._closed:
                    raise AuthStoreClosed("the auth store is closed")
                connection = self._idle.pop() if self._idle else None
            if connection is None:
                connection = self._connect()
            try:
                yield connection
            finally:
                healthy = self._healthy(connection)
                with self._lock:
                    keep = healthy and not self._closed
                    if keep:
                        self._idle.append(connection)
                if not keep:
                    self._close(connection)
        finally:
            self._slots.release()

    def close(self) -> None:
        """Close the idle connections; lent ones are closed when they come back."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            self._close(connection)


class SqliteCursor:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def rows(self, sql: str, params: Params) -> list[Row]:
        return self._connection.execute(sql, params).fetchall()

    def count(self, sql: str, params: Params) -> int:
        return self._connection.execute(sql, params).rowcount


class SqliteDatabase:
    integrity_errors: tuple[type[Exception], ...] = (sqlite3.IntegrityError,)

    def __init__(
        self, path: str, busy_timeout_ms: int, pool_size: int, pool_timeout: float
    ) -> None:
        from sitroom.storage.migrations import upgrade_sqlite

        self._path = path
        self._busy_timeout_ms = busy_timeout_ms
        upgrade_sqlite(path, busy_timeout_ms)
        self._pool: Pool[sqlite3.Connection] = Pool(
            self._connect,
            lambda connection: connection.close(),
            lambda connection: not connection.in_transaction,
            size=pool_size,
            timeout=pool_timeout,
        )

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self._path,
            timeout=self._busy_timeout_ms / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            connection.execute(f"PRAGMA busy_timeout={int(self._busy_timeout_ms)}")
            mode = connection.execute("PRAGMA journal_mode=WAL").fetchone()
            if mode is None or str(mode[0]).lower() != "wal":
                raise RuntimeError(f"{self._path}: SQLite refused WAL mode")
            connection.execute("PRAGMA synchronous=FULL")
            connection.execute("PRAGMA foreign_keys=ON")
        except BaseException:
            connection.close()
            raise
        return connection

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Cursor]:
        with self._pool.connection() as connection:
            # Taking the write lock up front: a deferred transaction that reads and then
            # writes can fail at once (SQLITE_BUSY) instead of waiting for another writer.
            connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield SqliteCursor(connection)
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise

    def stamp(self, moment: datetime) -> object:
        return format_timestamp(moment)

    def moment(self, value: Any) -> datetime:
        return parse_timestamp(str(value))

    def close(self) -> None:
        self._pool.close()


_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def _pyformat(sql: str) -> str:
    """``:name`` placeholders (as sqlite3 takes them) in psycopg's ``%(name)s`` form."""
    return _NAMED.sub(r"%(\1)s", sql)


class PostgresCursor:
    def __init__(self, connection: psycopg.Connection[tuple[Any, ...]]) -> None:
        self._connection = connection

    def rows(self, sql: str, params: Params) -> list[Row]:
        return self._connection.execute(_pyformat(sql), params).fetchall()

    def count(self, sql: str, params: Params) -> int:
        return self._connection.execute(_pyformat(sql), params).rowcount


class PostgresDatabase:
    def __init__(self, conninfo: str, pool_size: int, pool_timeout: float) -> None:
        import psycopg
        from psycopg import pq

        from sitroom.storage.migrations import upgrade_postgres
        from sitroom.storage.postgres import with_connect_timeout

        self.integrity_errors: tuple[type[Exception], ...] = (psycopg.IntegrityError,)
        conninfo = with_connect_timeout(conninfo)
        upgrade_postgres(conninfo)

        def connect() -> psycopg.Connection[tuple[Any, ...]]:
            return psycopg.connect(conninfo, autocommit=True)

        def healthy(connection: psycopg.Connection[tuple[Any, ...]]) -> bool:
            return (
                not connection.closed
                and not connection.broken
                and connection.info.transaction_status == pq.TransactionStatus.IDLE
            )

        self._pool: Pool[psycopg.Connection[tuple[Any, ...]]] = Pool(
            connect,
            lambda connection: connection.close(),
            healthy,
            size=pool_size,
            timeout=pool_timeout,
        )

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Cursor]:
        with self._pool.connection() as connection, connection.transaction():
            yield PostgresCursor(connection)

    def stamp(self, moment: datetime) -> object:
        return moment

    def moment(self, value: Any) -> datetime:
        if not isinstance(value, datetime):
            raise TypeError(f"expected a timestamp, got {value!r}")
        return value.astimezone(UTC)

    def close(self) -> None:
        self._pool.close()
