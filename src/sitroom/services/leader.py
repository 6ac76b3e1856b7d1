"""Leases: one leader per (follower, run) across every process that could run the follower.

A lease is not a fence. A leader that lost its lease acts until it next checks (at most one
round), and what it does then is harmless: every command a follower sends carries an
idempotency key derived from the event or the moment it reacts to, so the new leader's
command and the old one's are the same record. The lease only keeps the work from being done
(and attempted) many times over.

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) per (follower, run),
  held on a connection of its own. A process that dies closes its connection, and the server
  frees its locks at once; the others take over on their next round.
- SQLite: a byte-range lock (``fcntl.lockf``) per (follower, run) on a lock file beside the
  database; the kernel frees it when the process dies. Only processes of one machine share a
  SQLite file, so this is enough.
- Memory: a table shared by the "workers" of a unit test.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger("sitroom.followers")

_POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")


def lease_key(follower: str, run_id: str) -> int:
    """A signed 64-bit number for (follower, run): the advisory lock id, the lock offset."""
    digest = hashlib.blake2b(
        f"sitroom-follower\x00{follower}\x00{run_id}".encode(), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big", signed=True)


@runtime_checkable
class Leases(Protocol):
    """The leases one process holds. Safe to call from several threads."""

    def acquire(self, follower: str, run_id: str) -> bool:
        """Take the lease if nobody holds it; True if this process holds it now."""
        ...

    def holds(self, follower: str, run_id: str) -> bool:
        """Whether this process held the lease at its last ``check`` (no I/O)."""
        ...

    def check(self) -> None:
        """Find out whether the leases still hold; forget every lease that was lost."""
        ...

    def release(self, follower: str, run_id: str) -> None:
        """Give the lease up, if held."""
        ...

    def close(self) -> None:
        """Give every lease up."""
        ...


class MemoryLeases:
    """Leases in a table that the "workers" of one test share (pass the same dict)."""

    def __init__(self, table: dict[tuple[str, str], object] | None = None) -> None:
        self.table: dict[tuple[str, str], object] = {} if table is None else table
        self._me = object()
        self._lock = threading.Lock()

    def acquire(self, follower: str, run_id: str) -> bool:
        with self._lock:
            holder = self.table.setdefault((follower, run_id), self._me)
            return holder is self._me

    def holds(self, follower: str, run_id: str) -> bool:
        return self.table.get((follower, run_id)) is self._me

    def check(self) -> None:
        """Memory leases are lost only when a test takes them away from the table."""

    def release(self, follower: str, run_id: str) -> None:
        with self._lock:
            if self.table.get((follower, run_id)) is self._me:
                del self.table[(follower, run_id)]

    def close(self) -> None:
        with self._lock:
            for key in [k for k, v in self.table.items() if v is self._me]:
                del self.table[key]


class _LockFile:
    """One open lock file per path and process.

    POSIX record locks belong to the process, not to a descriptor: a second descriptor of the
    same file would "succeed" where this process already holds the range, and closing it
    would drop every lock the process holds. So a process opens each lock file once, and
    leases of the same process exclude each other here, in memory.
    """

    _open: ClassVar[dict[str, _LockFile]] = {}
    _guard: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self.users = 0
        self.owners: dict[int, object] = {}

    @classmethod
    def share(cls, path: str) -> _LockFile:
        real = os.path.realpath(path)
        with cls._guard:
            found = cls._open.get(real)
            if found is None:
                found = cls._open[real] = cls(real)
            found.users += 1
            return found

    def unshare(self) -> None:
        with self._guard:
            self.users -= 1
            if self.users == 0:
                del self._open[self.path]
                os.close(self.fd)  # frees every range this process still holds

    def try_lock(self, offset: int, owner: object) -> bool:
        with self._guard:
            holder = self.owners.get(offset)
            if holder is not None:
                return holder is owner
            try:
                fcntl.lockf(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset)
            except OSError:
                return False
            self.owners[offset] = owner
            return True

    def unlock(self, offset: int, owner: object) -> None:
        with self._guard:
            if self.owners.get(offset) is owner:
                del self.owners[offset]
                fcntl.lockf(self.fd, fcntl.LOCK_UN, 1, offset)


class FileLeases:
    """Leases as byte-range locks on one file (for a SQLite database and its processes)."""

    def __init__(self, path: str) -> None:
        self._file = _LockFile.share(path)
        self._held: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self._closed = False

    @staticmethod
    def _offset(follower: str, run_id: str) -> int:
        return lease_key(follower, run_id) & (2**62 - 1)

    def acquire(self, follower: str, run_id: str) -> bool:
        with self._lock:
            if self._closed:
                return False
            if (follower, run_id) in self._held:
                return True
            if self._file.try_lock(self._offset(follower, run_id), self):
                self._held.add((follower, run_id))
                return True
            return False

    def holds(self, follower: str, run_id: str) -> bool:
        return (follower, run_id) in self._held

    def check(self) -> None:
        """A file lock holds until this process lets it go or dies."""

    def release(self, follower: str, run_id: str) -> None:
        with self._lock:
            if (follower, run_id) in self._held:
                self._held.discard((follower, run_id))
                self._file.unlock(self._offset(follower, run_id), self)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for follower, run_id in self._held:
                self._file.unlock(self._offset(follower, run_id), self)
            self._held.clear()
        self._file.unshare()


class PostgresLeases:
    """Leases as session-level advisory locks on a PostgreSQL connection of their own."""

    def __init__(self, conninfo: str) -> None:
        from sitroom.storage.postgres import with_connect_timeout

        self._conninfo = with_connect_timeout(conninfo, 5)
        self._connection: psycopg.Connection[tuple[Any, ...]] | None = None
        self._held: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self._closed = False

    def _connect(self) -> psycopg.Connection[tuple[Any, ...]]:
        import psycopg

        if self._connection is None or self._connection.closed:
            self._connection = psycopg.connect(
                self._conninfo,
                autocommit=True,
                # Operators (and tests) see in pg_stat_activity which process leads.
                application_name=f"sitroom-leases-{os.getpid()}",
            )
        return self._connection

    def _lose_all(self, error: Exception) -> None:
        if self._held:
            log.warning(
                "leases lost with their database connection (%s): %s",
                error,
                ", ".join(f"{f} of {r}" for f, r in sorted(self._held)),
            )
        self._held.clear()
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None

    def acquire(self, follower: str, run_id: str) -> bool:
        import psycopg

        with self._lock:
            if self._closed:
                return False
            if (follower, run_id) in self._held:
                return True
            try:
                row = (
                    self._connect()
                    .execute("SELECT pg_try_advisory_lock(%s)", (lease_key(follower, run_id),))
                    .fetchone()
                )
            except psycopg.Error as error:
                self._lose_all(error)
                return False
            if row is not None and row[0]:
                self._held.add((follower, run_id))
                return True
            return False

    def holds(self, follower: str, run_id: str) -> bool:
        return (follower, run_id) in self._held

    def check(self) -> None:
        import psycopg

        with self._lock:
            if not self._held or self._connection is None:
                return
            try:
                self._connection.execute("SELECT 1")
            except psycopg.Error as error:
                self._lose_all(error)

    def release(self, follower: str, run_id: str) -> None:
        import psycopg

        with self._lock:
            if (follower, run_id) not in self._held:
                return
            self._held.discard((follower, run_id))
            if self._connection is None or self._connection.closed:
                return  # the session is gone, and its locks with it
            try:
                self._connection.execute(
                    "SELECT pg_advisory_unlock(%s)", (lease_key(follower, run_id),)
                )
            except psycopg.Error as error:
                self._lose_all(error)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._held.clear()
            connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()  # the server frees every advisory lock of the session


def open_leases(database_url: str) -> Leases:
    """The leases that fit the database: advisory locks on PostgreSQL, a lock file on SQLite."""
    if database_url.startswith(_POSTGRES_SCHEMES):
        return PostgresLeases("postgresql://" + database_url.split("://", 1)[1])
    path = database_url.removeprefix("sqlite:///") if database_url.startswith("sqlite:") else ""
    if not path and "://" not in database_url:
        path = database_url
    if not path:
        raise ValueError(f"{database_url!r}: leases need a PostgreSQL URL or a SQLite file")
    return FileLeases(f"{path}-followers.lock")
