"""The auth store on SQLite or PostgreSQL: one implementation over two small database adapters.

The store opens its own connections on the database the event log uses (its tables come
with the same migrations); `sitroom.auth.sqldatabase` holds the adapters and their pool,
`sitroom.auth.sqlrows` the columns and how rows become records.
"""

from __future__ import annotations

from datetime import datetime

from sitroom.auth.errors import AuthError
from sitroom.auth.sqldatabase import (
    AuthStoreClosed,
    Database,
    PostgresDatabase,
    SqliteDatabase,
)
from sitroom.auth.sqlrows import (
    ACCOUNT,
    ACCOUNT_WIDTH,
    INVITATION,
    SESSION,
    SESSION_WIDTH,
    TOKEN,
    TOKEN_WIDTH,
)
from sitroom.auth.sqlsignon import SqlSignOn
from sitroom.auth.store import (
    Account,
    ApiTokenRecord,
    AuthStore,
    Changes,
    Endings,
    Invitation,
    SessionKind,
    SessionRecord,
    SessionSubject,
    username_key,
)

__all__ = [
    "AuthStoreClosed",
    "PostgresAuthStore",
    "SqlAuthStore",
    "SqliteAuthStore",
    "open_auth_store",
]

_POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")


class SqlAuthStore(SqlSignOn):
    """The auth store on a SQL database; build it with `open_auth_store` or a subclass."""

    def __init__(self, database: Database) -> None:
        """Keep everything in ``database``."""
        super().__init__(database)
        self.endings = Endings()
        self.account_changes = Changes()

    @property
    def database(self) -> Database:
        """The database and its pool, for the tables kept beside these (`mailstore`)."""
        return self._db

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
        self.account_changes.note()

    def get_account(self, account_id: str) -> Account | None:
        """Return the account, or None."""
        rows = self._read(
            f"SELECT {ACCOUNT} FROM accounts AS a WHERE a.id = :id", {"id": account_id}
        )
        return self._account(rows[0]) if rows else None

    def find_account(self, username: str) -> tuple[Account, str] | None:
        """Return the account with this username (any case) and its password hash."""
        rows = self._read(
            f"SELECT {ACCOUNT}, a.password_hash FROM accounts AS a WHERE a.username_key = :key",
            {"key": username_key(username)},
        )
        return (self._account(rows[0]), rows[0][ACCOUNT_WIDTH]) if rows else None

    def list_accounts(self) -> list[Account]:
        """Return every account, by username."""
        rows = self._read(f"SELECT {ACCOUNT} FROM accounts AS a ORDER BY a.username_key")
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
        self.endings.note()
        return changed > 0

    # -- invitations ------------------------------------------------------------------

    def add_invitation(self, invitation: Invitation, code_hash: str) -> bool:
        """Record an invitation; return False (and record nothing) if the code hash is taken."""
        changed = self._write(
            "INSERT INTO invitations (id, run_id, display_name, role, team, party, language,"
            " code_hash, created_by, created_at, expires_at, revoked_at, single_use,"
            " bind_device, used_at, device_hash, idp_email, idp_subject) VALUES (:id, :run_id,"
            " :display_name, :role, :team, :party, :language, :code_hash, :created_by,"
            " :created_at, :expires_at, :revoked_at, :single_use, :bind_device, :used_at,"
            " :device_hash, :idp_email, :idp_subject)"
            " ON CONFLICT DO NOTHING",
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
                "single_use": invitation.single_use,
                "bind_device": invitation.bind_device,
                "used_at": self._optional_stamp(invitation.used_at),
                "device_hash": invitation.device_hash,
                "idp_email": invitation.idp_email,
                "idp_subject": invitation.idp_subject,
            },
        )
        return changed > 0

    def get_invitation(self, invitation_id: str) -> Invitation | None:
        """Return the invitation, or None."""
        rows = self._read(
            f"SELECT {INVITATION} FROM invitations AS i WHERE i.id = :id", {"id": invitation_id}
        )
        return self._invitation(rows[0]) if rows else None

    def find_invitation_by_code(self, code_hash: str) -> Invitation | None:
        """Return the invitation whose join code has this hash, or None."""
        rows = self._read(
            f"SELECT {INVITATION} FROM invitations AS i WHERE i.code_hash = :hash",
            {"hash": code_hash},
        )
        return self._invitation(rows[0]) if rows else None

    def list_invitations(self, run_id: str) -> list[Invitation]:
        """Return the run's invitations, oldest first."""
        rows = self._read(
            f"SELECT {INVITATION} FROM invitations AS i WHERE i.run_id = :run_id"
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
        """Revoke it and every invitation made through it; end all their sessions, at once."""
        with self._db.transaction(write=True) as cursor:
            found = cursor.rows("SELECT id FROM invitations WHERE id = :id", {"id": invitation_id})
            if not found:
                return None
            pending, seen = [invitation_id], {invitation_id}
            while pending:  # the invitations it made, then theirs (a short chain in practice)
                current = pending.pop()
                cursor.count(
                    "UPDATE invitations SET revoked_at = COALESCE(revoked_at, :at) WHERE id = :id",
                    {"at": self._db.stamp(at), "id": current},
                )
                cursor.count(
                    "DELETE FROM sessions WHERE kind = :kind AND subject_id = :id",
                    {"kind": SessionKind.INVITATION.value, "id": current},
                )
                made = cursor.rows(
                    "SELECT id FROM invitations WHERE created_by = :creator",
                    {"creator": f"invite:{current}"},
                )
                for (child,) in made:
                    if child not in seen:
                        seen.add(child)
                        pending.append(child)
            rows = cursor.rows(
                f"SELECT {INVITATION} FROM invitations AS i WHERE i.id = :id",
                {"id": invitation_id},
            )
        self.endings.note()
        return self._invitation(rows[0])

    def claim_invitation(self, invitation_id: str, at: datetime, device_hash: str | None) -> bool:
        """Record one use of an active invitation, if its rules allow it, in one statement."""
        changed = self._write(
            "UPDATE invitations SET used_at = COALESCE(used_at, :at),"
            " device_hash = CASE WHEN bind_device THEN COALESCE(device_hash, :device)"
            " ELSE device_hash END"
            " WHERE id = :id AND revoked_at IS NULL"
            " AND (NOT single_use OR used_at IS NULL)"
            " AND (NOT bind_device OR (CAST(:device AS TEXT) IS NOT NULL"
            " AND (device_hash IS NULL OR device_hash = :device)))",
            {"at": self._db.stamp(at), "id": invitation_id, "device": device_hash},
        )
        return changed > 0

    # -- sessions ---------------------------------------------------------------------

    def add_session(self, record: SessionRecord) -> None:
        """Record a new session."""
        self._write(
            "INSERT INTO sessions (token_hash, kind, subject_id, run_id, created_at, last_seen,"
            " expires_at, id_token) VALUES (:hash, :kind, :subject, :run_id, :created_at,"
            " :last_seen, :expires_at, :id_token)",
            {
                "hash": record.token_hash,
                "kind": record.kind.value,
                "subject": record.subject_id,
                "run_id": record.run_id,
                "created_at": self._db.stamp(record.created_at),
                "last_seen": self._db.stamp(record.last_seen),
                "expires_at": self._db.stamp(record.expires_at),
                "id_token": record.id_token,
            },
        )

    def get_session(self, token_hash: str) -> SessionSubject | None:
        """Return the session and its account or invitation, in one look-up."""
        rows = self._read(
            f"SELECT {SESSION}, {ACCOUNT}, {INVITATION} FROM sessions AS s"
            " LEFT JOIN accounts AS a ON s.kind = 'account' AND a.id = s.subject_id"
            " LEFT JOIN invitations AS i ON s.kind = 'invitation' AND i.id = s.subject_id"
            " WHERE s.token_hash = :hash",
            {"hash": token_hash},
        )
        if not rows:
            return None
        row = rows[0]
        account_row = row[SESSION_WIDTH : SESSION_WIDTH + ACCOUNT_WIDTH]
        invitation_row = row[SESSION_WIDTH + ACCOUNT_WIDTH :]
        return SessionSubject(
            session=self._session(row[:SESSION_WIDTH]),
            account=None if account_row[0] is None else self._account(account_row),
            invitation=None if invitation_row[0] is None else self._invitation(invitation_row),
        )

    def touch_session(self, token_hash: str, at: datetime) -> None:
        """Move the session's ``last_seen`` forward to ``at``."""
        self.touch_sessions([(token_hash, at)])

    def touch_sessions(self, touches: list[tuple[str, datetime]]) -> None:
        """Move each session's ``last_seen`` forward, all in one write (hash, moment)."""
        if not touches:
            return
        with self._db.transaction(write=True) as cursor:
            for token_hash, at in touches:
                cursor.count(
                    "UPDATE sessions SET last_seen = :at"
                    " WHERE token_hash = :hash AND last_seen < :at",
                    {"at": self._db.stamp(at), "hash": token_hash},
                )

    def delete_session(self, token_hash: str) -> bool:
        """End one session; return whether it existed."""
        ended = self._write("DELETE FROM sessions WHERE token_hash = :hash", {"hash": token_hash})
        self.endings.note()
        return ended > 0

    def delete_sessions(self, kind: SessionKind, subject_id: str) -> int:
        """End every session of an account or an invitation; return how many."""
        ended = self._write(
            "DELETE FROM sessions WHERE kind = :kind AND subject_id = :id",
            {"kind": kind.value, "id": subject_id},
        )
        self.endings.note()
        return ended

    def purge_sessions(self, now: datetime, idle_before: datetime | None = None) -> int:
        """Delete sessions expired at ``now`` or not seen since ``idle_before``."""
        idle = "" if idle_before is None else " OR last_seen <= :idle"
        purged = self._write(
            f"DELETE FROM sessions WHERE expires_at <= :now{idle}",
            {"now": self._db.stamp(now), "idle": self._optional_stamp(idle_before)},
        )
        self.endings.note()
        return purged

    # -- API tokens -------------------------------------------------------------------

    def add_api_token(self, record: ApiTokenRecord, token_hash: str) -> None:
        """Record a new API token."""
        try:
            self._write(
                "INSERT INTO api_tokens (id, account_id, name, token_hash, hint, created_at,"
                " last_used_at, expires_at, revoked_at, scope) VALUES (:id, :account_id, :name,"
                " :hash, :hint, :created_at, :last_used_at, :expires_at, :revoked_at, :scope)",
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
                    "scope": record.scope.value,
                },
            )
        except self._db.integrity_errors as error:
            raise AuthError(
                "account", f"no account {record.account_id!r}", reason="unknown"
            ) from error

    def get_api_token(self, token_hash: str) -> tuple[ApiTokenRecord, Account] | None:
        """Return the token with this hash and its account, in one look-up."""
        rows = self._read(
            f"SELECT {TOKEN}, {ACCOUNT} FROM api_tokens AS t"
            " JOIN accounts AS a ON a.id = t.account_id WHERE t.token_hash = :hash",
            {"hash": token_hash},
        )
        if not rows:
            return None
        row = rows[0]
        return self._token(row[:TOKEN_WIDTH]), self._account(row[TOKEN_WIDTH:])

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
            f"SELECT {TOKEN} FROM api_tokens AS t{where} ORDER BY t.created_at, t.id",
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
        super().__init__(SqliteDatabase(path, busy_timeout_ms, pool_size, pool_timeout))


class PostgresAuthStore(SqlAuthStore):
    """The auth store in a PostgreSQL database (a few pooled autocommit connections)."""

    def __init__(self, conninfo: str, *, pool_size: int = 5, pool_timeout: float = 30.0) -> None:
        """Open (and upgrade) the database at ``conninfo``.

        At most ``pool_size`` connections are open at once; a caller waits up to
        ``pool_timeout`` seconds for one, then gets `PoolTimeout`.
        """
        super().__init__(PostgresDatabase(conninfo, pool_size, pool_timeout))


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
