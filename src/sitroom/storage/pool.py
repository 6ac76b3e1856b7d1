"""Database connection pools: one pool class, with ready-made ones for SQLite and PostgreSQL.

Every store that talks to a database lends connections the same way: a few are opened on
demand and kept for reuse, a connection that comes back broken or inside a transaction is
closed instead of kept, and closing the pool closes the idle ones (lent ones are closed when
they come back). Waiters are served first come, first served, so one busy thread cannot
starve the others. What differs per database is how to connect and what "healthy" means;
`sqlite_pool` and `postgres_pool` fill those in.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    import psycopg

C = TypeVar("C")


class PoolTimeout(Exception):
    """No database connection became free in time."""


class PoolClosed(RuntimeError):
    """The pool was closed; it lends no more connections."""


class FairSlots:
    """A counting semaphore that serves waiters first come, first served.

    ``threading.Semaphore`` lets a releasing thread take the slot straight back, so under
    heavy contention one waiter can starve for many seconds; here a freed slot goes to the
    longest waiter.
    """

    def __init__(self, size: int) -> None:
        self._free = size
        self._lock = threading.Lock()
        self._waiters: deque[threading.Lock] = deque()

    def acquire(self, timeout: float) -> bool:
        """Take a slot, waiting at most ``timeout`` seconds; return whether one was taken."""
        with self._lock:
            if self._free and not self._waiters:
                self._free -= 1
                return True
            waiter = threading.Lock()
            waiter.acquire()
            self._waiters.append(waiter)
        if waiter.acquire(timeout=timeout):
            return True
        with self._lock:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
                return False
        return True  # a slot was handed over just as the wait ran out

    def release(self) -> None:
        """Give a slot back, to the longest waiter if there is one."""
        with self._lock:
            if self._waiters:
                self._waiters.popleft().release()
            else:
                self._free += 1


def _closed_error() -> Exception:
    return PoolClosed("the pool is closed")


class Pool(Generic[C]):
    """Connections opened on demand, lent one block at a time and kept for reuse.

    ``size`` bounds the idle connections kept; with ``bounded`` (the default) it also bounds
    the connections lent at once, and a caller waits up to ``timeout`` seconds for one before
    `PoolTimeout`. Unbounded pools suit connections that cost the server nothing to hold
    (SQLite readers in WAL mode). ``closed_error`` makes the exception a caller gets after
    `close` (each store names its own, e.g. ``RecorderClosed``).
    """

    def __init__(
        self,
        connect: Callable[[], C],
        *,
        close: Callable[[C], None],
        healthy: Callable[[C], bool],
        size: int,
        timeout: float = 30.0,
        bounded: bool = True,
        closed_error: Callable[[], Exception] = _closed_error,
    ) -> None:
        if size < 1:
            raise ValueError("a pool needs at least one connection")
        self._connect = connect
        self._close = close
        self._healthy = healthy
        self._size = size
        self._timeout = timeout
        self._slots = FairSlots(size) if bounded else None
        self._closed_error = closed_error
        self._idle: list[C] = []
        self._lock = threading.Lock()
        self._closed = False

    @contextmanager
    def connection(self) -> Iterator[C]:
        """Lend a connection for the duration of the block."""
        slots = self._slots
        if slots is not None and not slots.acquire(timeout=self._timeout):
            raise PoolTimeout(f"no database connection free within {self._timeout} s")
        try:
            with self._lock:
                if self._closed:
                    raise self._closed_error()
                connection = self._idle.pop() if self._idle else None
            if connection is None:
                connection = self._connect()
            try:
                yield connection
            finally:
                self._give_back(connection)
        finally:
            if slots is not None:
                slots.release()

    def _give_back(self, connection: C) -> None:
        healthy = self._healthy(connection)
        with self._lock:
            keep = healthy and not self._closed and len(self._idle) < self._size
            if keep:
                self._idle.append(connection)
        if not keep:
            self._close(connection)

    def close(self) -> None:
        """Close the idle connections; lent ones are closed when they come back."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            self._close(connection)


def create_private(path: str) -> None:
    """Create the SQLite file at ``path`` readable by its owner only, if it is not there yet.

    SQLite would create it ``0644``, and its ``-wal`` and ``-shm`` files take the mode of the
    database file, so making the file first (empty: SQLite takes it as a new database) keeps
    all three private. An existing file keeps the mode its operator gave it.
    """
    if not path or path.startswith((":memory:", "file:")):
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def connect_sqlite(path: str, busy_timeout_ms: int, *, write: bool) -> sqlite3.Connection:
    """Open a connection to the SQLite file at ``path`` for use from any thread.

    Autocommit (transactions are begun explicitly), a busy timeout and foreign keys on. A
    writing connection insists on WAL and ``synchronous=FULL``, so an accepted write survives
    a crash of the machine; a reading one is ``query_only``.
    """
    if write:
        create_private(path)
    connection = sqlite3.connect(
        path, timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
    )
    try:
        connection.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        connection.execute("PRAGMA foreign_keys=ON")
        if write:
            mode = connection.execute("PRAGMA journal_mode=WAL").fetchone()
            if mode is None or str(mode[0]).lower() != "wal":
                raise RuntimeError(f"{path}: SQLite refused WAL mode")
            connection.execute("PRAGMA synchronous=FULL")
        else:
            connection.execute("PRAGMA query_only=ON")
    except BaseException:
        connection.close()
        raise
    return connection


def _sqlite_idle(connection: sqlite3.Connection) -> bool:
    return not connection.in_transaction


def sqlite_pool(
    path: str,
    *,
    busy_timeout_ms: int = 5000,
    write: bool,
    size: int,
    timeout: float = 30.0,
    bounded: bool = True,
    closed_error: Callable[[], Exception] = _closed_error,
) -> Pool[sqlite3.Connection]:
    """A pool of `connect_sqlite` connections (see `Pool` for the other arguments)."""
    return Pool(
        lambda: connect_sqlite(path, busy_timeout_ms, write=write),
        close=sqlite3.Connection.close,
        healthy=_sqlite_idle,
        size=size,
        timeout=timeout,
        bounded=bounded,
        closed_error=closed_error,
    )


def postgres_pool(
    conninfo: str,
    *,
    size: int,
    timeout: float = 30.0,
    closed_error: Callable[[], Exception] = _closed_error,
) -> Pool[psycopg.Connection[tuple[Any, ...]]]:
    """At most ``size`` autocommit psycopg connections to ``conninfo`` (see `Pool`).

    A connection is kept only if it comes back open, unbroken and outside a transaction.
    """
    import psycopg
    from psycopg import pq

    def connect() -> psycopg.Connection[tuple[Any, ...]]:
        return psycopg.connect(conninfo, autocommit=True)

    def healthy(connection: psycopg.Connection[tuple[Any, ...]]) -> bool:
        return (
            not connection.closed
            and not connection.broken
            and connection.info.transaction_status == pq.TransactionStatus.IDLE
        )

    def close(connection: psycopg.Connection[tuple[Any, ...]]) -> None:
        connection.close()

    return Pool(
        connect,
        close=close,
        healthy=healthy,
        size=size,
        timeout=timeout,
        closed_error=closed_error,
    )


def with_connect_timeout(conninfo: str, seconds: int = 10) -> str:
    """Return ``conninfo`` with a connect timeout, unless it already names one."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    if "connect_timeout" in conninfo_to_dict(conninfo):
        return conninfo
    return make_conninfo(conninfo, connect_timeout=seconds)
