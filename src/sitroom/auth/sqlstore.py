"""The auth store on SQLite or PostgreSQL: one implementation, two small database adapters.

The store opens its own connections on the database the event log uses (its tables come
with the same migrations). SQLite runs in WAL mode with a busy timeout, and every write takes
the write lock up front (``BEGIN IMMEDIATE``), so concurrent writers wait for each other
instead of failing. PostgreSQL uses a few autocommit connections and one transaction per
call. Both are safe to call from many threads.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from sitroom.auth.errors import AuthError
from sitroom.auth.store import (
    Account,
    ApiTokenRecord,
    AuthStore,
    Invitation,
    SessionKind,
    SessionRecord,
    SessionSubject,
    username_key,
)
from sitroom.conduct.principal import Role
from sitroom.storage.recorder import format_timestamp, parse_timestamp

if TYPE_CHECKING:
    import psycopg

Row = tuple[Any, ...]
Params = Mapping[str, Any]

_POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")

_ACCOUNT = "a.id, a.username, a.display_name, a.role, a.created_at, a.disabled, a.language"
_INVITATION = (
    "i.id, i.run_id, i.display_name, i.role, i.team, i.party, i.language, i.created_by,"
    " i.created_at, i.expires_at, i.revoked_at"
)
_SESSION = "s.token_hash, s.kind, s.subject_id, s.run_id, s.created_at, s.last_seen, s.expires_at"
_TOKEN = (
    "t.id, t.account_id, t.name, t.hint, t.created_at, t.last_used_at, t.expires_at, t.revoked_at"
)
_ACCOUNT_WIDTH = 7
_SESSION_WIDTH = 7
_TOKEN_WIDTH = 8


class AuthStoreClosed(RuntimeError):
    """The store was closed; it accepts no more work."""


class _Cursor(Protocol):
    def rows(self, sql: str, params: Params) -> list[Row]:
        """Run a statement and return its rows."""
        ...

    def count(self, sql: str, params: Params) -> int:
        """Run a statement and return how many rows it changed."""
        ...


class _Database(Protocol):
    """What the store needs from a backend: transactions and its form of timestamps."""

    integrity_errors: tuple[type[Exception], ...]

    def transaction(self, *, write: bool) -> AbstractContextManager[_Cursor]:
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


class _Pool(Generic[C]):
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


class _SqliteCursor:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def rows(self, sql: str, params: Params) -> list[Row]:
        return self._connection.execute(sql, params).fetchall()

    def count(self, sql: str, params: Params) -> int:
        return self._connection.execute(sql, params).rowcount


class _SqliteDatabase:
    integrity_errors: tuple[type[Exception], ...] = (sqlite3.IntegrityError,)

    def __init__(
        self, path: str, busy_timeout_ms: int, pool_size: int, pool_timeout: float
    ) -> None:
        from sitroom.storage.migrations import upgrade_sqlite

        self._path = path
        self._busy_timeout_ms = busy_timeout_ms
        upgrade_sqlite(path, busy_timeout_ms)
        self._pool: _Pool[sqlite3.Connection] = _Pool(
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
    def transaction(self, *, write: bool) -> Iterator[_Cursor]:
        with self._pool.connection() as connection:
            # Taking the write lock up front: a deferred transaction that reads and then
            # writes can fail at once (SQLITE_BUSY) instead of waiting for another writer.
            connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield _SqliteCursor(connection)
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


class _PostgresCursor:
    def __init__(self, connection: psycopg.Connection[tuple[Any, ...]]) -> None:
        self._connection = connection

    def rows(self, sql: str, params: Params) -> list[Row]:
        return self._connection.execute(_pyformat(sql), params).fetchall()

    def count(self, sql: str, params: Params) -> int:
        return self._connection.execute(_pyformat(sql), params).rowcount


class _PostgresDatabase:
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

        self._pool: _Pool[psycopg.Connection[tuple[Any, ...]]] = _Pool(
            connect,
            lambda connection: connection.close(),
            healthy,
            size=pool_size,
            timeout=pool_timeout,
        )

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[_Cursor]:
        with self._pool.connection() as connection, connection.transaction():
            yield _PostgresCursor(connection)

    def stamp(self, moment: datetime) -> object:
        return moment

    def moment(self, value: Any) -> datetime:
        if not isinstance(value, datetime):
            raise TypeError(f"expected a timestamp, got {value!r}")
        return value.astimezone(UTC)

    def close(self) -> None:
        self._pool.close()


class SqlAuthStore:
    """The auth store on a SQL database; build it with `open_auth_store` or a subclass."""

    def __init__(self, database: _Database) -> None:
        """Keep rows in ``database``."""
        self._db = database

    # -- rows -------------------------------------------------------------------------

    def _optional_moment(self, value: Any) -> datetime | None:
        return None if value is None else self._db.moment(value)

    def _optional_stamp(self, moment: datetime | None) -> object:
        return None if moment is None else self._db.stamp(moment)

    def _account(self, row: Row) -> Account:
        return Account(
            id=row[0],
            username=row[1],
            display_name=row[2],
            role=Role(row[3]),
            created_at=self._db.moment(row[4]),
            disabled=bool(row[5]),
            language=row[6],
        )

    def _invitation(self, row: Row) -> Invitation:
        return Invitation(
            id=row[0],
            run_id=row[1],
            display_name=row[2],
            role=Role(row[3]),
            team=row[4],
            party=row[5],
            language=row[6],
            created_by=row[7],
            created_at=self._db.moment(row[8]),
            expires_at=self._db.moment(row[9]),
            revoked_at=self._optional_moment(row[10]),
        )

    def _session(self, row: Row) -> SessionRecord:
        return SessionRecord(
            token_hash=row[0],
            kind=SessionKind(row[1]),
            subject_id=row[2],
            run_id=row[3],
            created_at=self._db.moment(row[4]),
            last_seen=self._db.moment(row[5]),
            expires_at=self._db.moment(row[6]),
        )

    def _token(self, row: Row) -> ApiTokenRecord:
        return ApiTokenRecord(
            id=row[0],
            account_id=row[1],
            name=row[2],
            hint=row[3],
            created_at=self._db.moment(row[4]),
            last_used_at=self._optional_moment(row[5]),
            expires_at=self._optional_moment(row[6]),
            revoked_at=self._optional_moment(row[7]),
        )

    def _read(self, sql: str, params: Params | None = None) -> list[Row]:
        with self._db.transaction(write=False) as cursor:
            return cursor.rows(sql, params or {})

    def _write(self, sql: str, params: Params) -> int:
        with self._db.transaction(write=True) as cursor:
            return cursor.count(sql, params)

    # -- accounts ---------------------------------------------------------------------

    def add_account(self, account: Account, password_hash: str) -> None:
        """Record a new account; raise `AuthError` on ``username`` if the name is taken."""
        try:
            self._write(
                "INSERT INTO accounts (id, username, username_key, display_name, role,"
                " language, password_hash, created_at, disabled) VALUES (:id, :username,"
                " :key, :display_name, :role, :language, :hash, :created_at, :disabled)",
                {
                    "id": account.id,
                    "username": account.username,
                    "key": username_key(account.username),
                    "display_name": account.display_name,
                    "role": account.role.value,
                    "language": account.language,
                    "hash": password_hash,
                    "created_at": self._db.stamp(account.created_at),
                    "disabled": account.disabled,
                },
            )
        except self._db.integrity_errors as error:
            raise AuthError(
                "username", f"the username {account.username!r} is taken", reason="taken"
            ) from error

    def get_account(self, account_id: str) -> Account | None:
        """Return the account, or None."""
        rows = self._read(
            f"SELECT {_ACCOUNT} FROM accounts AS a WHERE a.id = :id", {"id": account_id}
        )
        return self._account(rows[0]) if rows else None

    def find_account(self, username: str) -> tuple[Account, str] | None:
        """Return the account with this username (any case) and its password hash."""
        rows = self._read(
            f"SELECT {_ACCOUNT}, a.password_hash FROM accounts AS a WHERE a.username_key = :key",
            {"key": username_key(username)},
        )
        return (self._account(rows[0]), rows[0][_ACCOUNT_WIDTH]) if rows else None

    def list_accounts(self) -> list[Account]:
        """Return every account, by username."""
        rows = self._read(f"SELECT {_ACCOUNT} FROM accounts AS a ORDER BY a.username_key")
        return [self._account(row) for row in rows]

    def set_password_hash(
        self, account_id: str, password_hash: str, *, replacing: str | None = None
    ) -> bool:
        """Store a new hash; with ``replacing``, only if the stored hash is still that one."""
        condition = "" if replacing is None else " AND password_hash = :old"
        changed = self._write(
            f"UPDATE accounts SET password_hash = :hash WHERE id = :id{condition}",
            {"hash": password_hash, "id": account_id, "old": replacing},
        )
        return changed > 0

    def set_account_disabled(self, account_id: str, disabled: bool) -> bool:
        """Disable or enable an account; return whether it exists."""
        changed = self._write(
            "UPDATE accounts SET disabled = :disabled WHERE id = :id",
            {"disabled": disabled, "id": account_id},
        )
        return changed > 0

    # -- invitations ------------------------------------------------------------------

    def add_invitation(self, invitation: Invitation, code_hash: str) -> bool:
        """Record an invitation; return False (and record nothing) if the code hash is taken."""
        changed = self._write(
            "INSERT INTO invitations (id, run_id, display_name, role, team, party, language,"
            " code_hash, created_by, created_at, expires_at, revoked_at) VALUES (:id, :run_id,"
            " :display_name, :role, :team, :party, :language, :code_hash, :created_by,"
            " :created_at, :expires_at, :revoked_at) ON CONFLICT DO NOTHING",
            {
                "id": invitation.id,
                "run_id": invitation.run_id,
                "display_name": invitation.display_name,
                "role": invitation.role.value,
                "team": invitation.team,
                "party": invitation.party,
                "language": invitation.language,
                "code_hash": code_hash,
                "created_by": invitation.created_by,
                "created_at": self._db.stamp(invitation.created_at),
                "expires_at": self._db.stamp(invitation.expires_at),
                "revoked_at": self._optional_stamp(invitation.revoked_at),
            },
        )
        return changed > 0

    def get_invitation(self, invitation_id: str) -> Invitation | None:
        """Return the invitation, or None."""
        rows = self._read(
            f"SELECT {_INVITATION} FROM invitations AS i WHERE i.id = :id", {"id": invitation_id}
        )
        return self._invitation(rows[0]) if rows else None

    def find_invitation_by_code(self, code_hash: str) -> Invitation | None:
        """Return the invitation whose join code has this hash, or None."""
        rows = self._read(
            f"SELECT {_INVITATION} FROM invitations AS i WHERE i.code_hash = :hash",
            {"hash": code_hash},
        )
        return self._invitation(rows[0]) if rows else None

    def list_invitations(self, run_id: str) -> list[Invitation]:
        """Return the run's invitations, oldest first."""
        rows = self._read(
            f"SELECT {_INVITATION} FROM invitations AS i WHERE i.run_id = :run_id"
            " ORDER BY i.created_at, i.id",
            {"run_id": run_id},
        )
        return [self._invitation(row) for row in rows]

    def set_invitation_code(self, invitation_id: str, code_hash: str) -> bool:
        """Replace an invitation's join code; False if it is unknown or the hash is taken."""
        try:
            changed = self._write(
                "UPDATE invitations SET code_hash = :hash WHERE id = :id",
                {"hash": code_hash, "id": invitation_id},
            )
        except self._db.integrity_errors:
            return False
        return changed > 0

    def revoke_invitation(self, invitation_id: str, at: datetime) -> Invitation | None:
        """Mark it revoked (keeping an earlier revocation time) and end its sessions, at once."""
        with self._db.transaction(write=True) as cursor:
            changed = cursor.count(
                "UPDATE invitations SET revoked_at = COALESCE(revoked_at, :at) WHERE id = :id",
                {"at": self._db.stamp(at), "id": invitation_id},
            )
            if not changed:
                return None
            cursor.count(
                "DELETE FROM sessions WHERE kind = :kind AND subject_id = :id",
                {"kind": SessionKind.INVITATION.value, "id": invitation_id},
            )
            rows = cursor.rows(
                f"SELECT {_INVITATION} FROM invitations AS i WHERE i.id = :id",
                {"id": invitation_id},
            )
        return self._invitation(rows[0])

    # -- sessions ---------------------------------------------------------------------

    def add_session(self, record: SessionRecord) -> None:
        """Record a new session."""
        self._write(
            "INSERT INTO sessions (token_hash, kind, subject_id, run_id, created_at, last_seen,"
            " expires_at) VALUES (:hash, :kind, :subject, :run_id, :created_at, :last_seen,"
            " :expires_at)",
            {
                "hash": record.token_hash,
                "kind": record.kind.value,
                "subject": record.subject_id,
                "run_id": record.run_id,
                "created_at": self._db.stamp(record.created_at),
                "last_seen": self._db.stamp(record.last_seen),
                "expires_at": self._db.stamp(record.expires_at),
            },
        )

    def get_session(self, token_hash: str) -> SessionSubject | None:
        """Return the session and its account or invitation, in one look-up."""
        rows = self._read(
            f"SELECT {_SESSION}, {_ACCOUNT}, {_INVITATION} FROM sessions AS s"
            " LEFT JOIN accounts AS a ON s.kind = 'account' AND a.id = s.subject_id"
            " LEFT JOIN invitations AS i ON s.kind = 'invitation' AND i.id = s.subject_id"
            " WHERE s.token_hash = :hash",
            {"hash": token_hash},
        )
        if not rows:
            return None
        row = rows[0]
        account_row = row[_SESSION_WIDTH : _SESSION_WIDTH + _ACCOUNT_WIDTH]
        invitation_row = row[_SESSION_WIDTH + _ACCOUNT_WIDTH :]
        return SessionSubject(
            session=self._session(row[:_SESSION_WIDTH]),
            account=None if account_row[0] is None else self._account(account_row),
            invitation=None if invitation_row[0] is None else self._invitation(invitation_row),
        )

    def touch_session(self, token_hash: str, at: datetime) -> None:
        """Move the session's ``last_seen`` forward to ``at``."""
        self._write(
            "UPDATE sessions SET last_seen = :at WHERE token_hash = :hash AND last_seen < :at",
            {"at": self._db.stamp(at), "hash": token_hash},
        )

    def delete_session(self, token_hash: str) -> bool:
        """End one session; return whether it existed."""
        return (
            self._write("DELETE FROM sessions WHERE token_hash = :hash", {"hash": token_hash}) > 0
        )

    def delete_sessions(self, kind: SessionKind, subject_id: str) -> int:
        """End every session of an account or an invitation; return how many."""
        return self._write(
            "DELETE FROM sessions WHERE kind = :kind AND subject_id = :id",
            {"kind": kind.value, "id": subject_id},
        )

    def purge_sessions(self, now: datetime, idle_before: datetime | None = None) -> int:
        """Delete sessions expired at ``now`` or not seen since ``idle_before``."""
        idle = "" if idle_before is None else " OR last_seen <= :idle"
        return self._write(
            f"DELETE FROM sessions WHERE expires_at <= :now{idle}",
            {"now": self._db.stamp(now), "idle": self._optional_stamp(idle_before)},
        )

    # -- API tokens -------------------------------------------------------------------

    def add_api_token(self, record: ApiTokenRecord, token_hash: str) -> None:
        """Record a new API token."""
        try:
            self._write(
                "INSERT INTO api_tokens (id, account_id, name, token_hash, hint, created_at,"
                " last_used_at, expires_at, revoked_at) VALUES (:id, :account_id, :name, :hash,"
                " :hint, :created_at, :last_used_at, :expires_at, :revoked_at)",
                {
                    "id": record.id,
                    "account_id": record.account_id,
                    "name": record.name,
                    "hash": token_hash,
                    "hint": record.hint,
                    "created_at": self._db.stamp(record.created_at),
                    "last_used_at": self._optional_stamp(record.last_used_at),
                    "expires_at": self._optional_stamp(record.expires_at),
                    "revoked_at": self._optional_stamp(record.revoked_at),
                },
            )
        except self._db.integrity_errors as error:
            raise AuthError(
                "account", f"no account {record.account_id!r}", reason="unknown"
            ) from error

    def get_api_token(self, token_hash: str) -> tuple[ApiTokenRecord, Account] | None:
        """Return the token with this hash and its account, in one look-up."""
        rows = self._read(
            f"SELECT {_TOKEN}, {_ACCOUNT} FROM api_tokens AS t"
            " JOIN accounts AS a ON a.id = t.account_id WHERE t.token_hash = :hash",
            {"hash": token_hash},
        )
        if not rows:
            return None
        row = rows[0]
        return self._token(row[:_TOKEN_WIDTH]), self._account(row[_TOKEN_WIDTH:])

    def touch_api_token(self, token_id: str, at: datetime) -> None:
        """Move the token's ``last_used_at`` forward to ``at``."""
        self._write(
            "UPDATE api_tokens SET last_used_at = :at"
            " WHERE id = :id AND (last_used_at IS NULL OR last_used_at < :at)",
            {"at": self._db.stamp(at), "id": token_id},
        )

    def list_api_tokens(self, account_id: str | None = None) -> list[ApiTokenRecord]:
        """Return the tokens of one account (or all), oldest first."""
        where = "" if account_id is None else " WHERE t.account_id = :account_id"
        rows = self._read(
            f"SELECT {_TOKEN} FROM api_tokens AS t{where} ORDER BY t.created_at, t.id",
            {"account_id": account_id},
        )
        return [self._token(row) for row in rows]

    def revoke_api_token(
        self, token_id: str, at: datetime, *, account_id: str | None = None
    ) -> bool:
        """Revoke a token (keeping an earlier revocation time); return whether it exists."""
        owner = "" if account_id is None else " AND account_id = :account_id"
        changed = self._write(
            f"UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, :at) WHERE id = :id{owner}",
            {"at": self._db.stamp(at), "id": token_id, "account_id": account_id},
        )
        return changed > 0

    def close(self) -> None:
        """Close every connection. Closing twice is harmless."""
        self._db.close()

    def __enter__(self) -> SqlAuthStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class SqliteAuthStore(SqlAuthStore):
    """The auth store in a SQLite file (WAL, busy timeout, a few pooled connections)."""

    def __init__(
        self,
        path: str,
        *,
        busy_timeout_ms: int = 5000,
        pool_size: int = 8,
        pool_timeout: float = 30.0,
    ) -> None:
        """Open (and create or upgrade) the database at ``path``.

        At most ``pool_size`` connections are open at once; a caller waits up to
        ``pool_timeout`` seconds for one, then gets `PoolTimeout`.
        """
        super().__init__(_SqliteDatabase(path, busy_timeout_ms, pool_size, pool_timeout))


class PostgresAuthStore(SqlAuthStore):
    """The auth store in a PostgreSQL database (a few pooled autocommit connections)."""

    def __init__(self, conninfo: str, *, pool_size: int = 5, pool_timeout: float = 30.0) -> None:
        """Open (and upgrade) the database at ``conninfo``.

        At most ``pool_size`` connections are open at once; a caller waits up to
        ``pool_timeout`` seconds for one, then gets `PoolTimeout`.
        """
        super().__init__(_PostgresDatabase(conninfo, pool_size, pool_timeout))


def open_auth_store(url: str) -> AuthStore:
    """Open the auth store for a database URL, the same URLs `open_recorder` takes.

    ``sqlite:///path`` or a bare file path opens SQLite, ``postgresql://…`` PostgreSQL; the
    schema is brought to the newest revision first.
    """
    if url.startswith(_POSTGRES_SCHEMES):
        return PostgresAuthStore("postgresql://" + url.split("://", 1)[1])
    if url.startswith("sqlite:"):
        path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else ""
        if not path or path.startswith(":memory:"):
            raise ValueError(f"{url!r}: name a database file, e.g. sqlite:///var/sitroom.db")
        return SqliteAuthStore(path)
    if "://" in url:
        scheme = url.split("://", 1)[0]
        raise ValueError(
            f"{url!r}: unsupported database scheme {scheme!r}; use sqlite or postgresql"
        )
    if not url:
        raise ValueError("no database URL given")
    return SqliteAuthStore(url)
