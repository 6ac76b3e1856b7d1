"""Single sign-on rows on SQLite and PostgreSQL: linked identities and sign-ins under way."""

from __future__ import annotations

from datetime import datetime

from sitroom.auth.errors import AuthError
from sitroom.auth.sqldatabase import Row
from sitroom.auth.sqlrows import ACCOUNT, SqlRows
from sitroom.auth.store import Account, Changes, LinkedIdentity, PendingSignIn, username_key
from sitroom.conduct.principal import Role

IDENTITY = "o.issuer, o.subject, o.account_id, o.email, o.linked_at, o.last_sign_in"
IDENTITY_WIDTH = 6


class SqlSignOn(SqlRows):
    """The store's part for OpenID Connect (see `sitroom.auth.oidc`)."""

    account_changes: Changes
    """Counts the accounts added or renamed here (set by `SqlAuthStore`)."""

    def _identity(self, row: Row) -> LinkedIdentity:
        return LinkedIdentity(
            issuer=row[0],
            subject=row[1],
            account_id=row[2],
            email=row[3],
            linked_at=self._db.moment(row[4]),
            last_sign_in=self._db.moment(row[5]),
        )

    def add_linked_account(
        self, account: Account, identity: LinkedIdentity, password_hash: str
    ) -> None:
        """Record a new account and its identity at a provider, in one transaction."""
        try:
            with self._db.transaction(write=True) as cursor:
                taken = cursor.rows(
                    "SELECT account_id FROM oidc_identities"
                    " WHERE issuer = :issuer AND subject = :subject",
                    {"issuer": identity.issuer, "subject": identity.subject},
                )
                if taken:
                    raise AuthError(
                        "identity", "this identity is linked to an account", reason="taken"
                    )
                cursor.count(
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
                cursor.count(
                    "INSERT INTO oidc_identities (issuer, subject, account_id, email, linked_at,"
                    " last_sign_in) VALUES (:issuer, :subject, :account_id, :email, :linked_at,"
                    " :last_sign_in)",
                    {
                        "issuer": identity.issuer,
                        "subject": identity.subject,
                        "account_id": account.id,
                        "email": identity.email,
                        "linked_at": self._db.stamp(identity.linked_at),
                        "last_sign_in": self._db.stamp(identity.last_sign_in),
                    },
                )
        except self._db.integrity_errors as error:
            raise AuthError(
                "username", f"the username {account.username!r} is taken", reason="taken"
            ) from error
        self.account_changes.note()

    def find_linked_identity(
        self, issuer: str, subject: str
    ) -> tuple[LinkedIdentity, Account] | None:
        """Return the identity and the account it is linked to, or None."""
        rows = self._read(
            f"SELECT {IDENTITY}, {ACCOUNT} FROM oidc_identities AS o"
            " JOIN accounts AS a ON a.id = o.account_id"
            " WHERE o.issuer = :issuer AND o.subject = :subject",
            {"issuer": issuer, "subject": subject},
        )
        if not rows:
            return None
        row = rows[0]
        return self._identity(row[:IDENTITY_WIDTH]), self._account(row[IDENTITY_WIDTH:])

    def update_linked_account(
        self,
        identity: LinkedIdentity,
        *,
        role: Role,
        display_name: str,
        email: str | None,
        at: datetime,
    ) -> Account | None:
        """At a sign-in: set the account's role and name from the provider; return it."""
        with self._db.transaction(write=True) as cursor:
            cursor.count(
                "UPDATE accounts SET role = :role, display_name = :name WHERE id = :id",
                {"role": role.value, "name": display_name, "id": identity.account_id},
            )
            cursor.count(
                "UPDATE oidc_identities SET email = :email, last_sign_in = :at"
                " WHERE issuer = :issuer AND subject = :subject",
                {
                    "email": email,
                    "at": self._db.stamp(at),
                    "issuer": identity.issuer,
                    "subject": identity.subject,
                },
            )
            rows = cursor.rows(
                f"SELECT {ACCOUNT} FROM accounts AS a WHERE a.id = :id",
                {"id": identity.account_id},
            )
        self.account_changes.note()
        return self._account(rows[0]) if rows else None

    def add_pending_sign_in(self, pending: PendingSignIn, since: datetime) -> None:
        """Record a sign-in that went to the provider; forget those begun before ``since``."""
        with self._db.transaction(write=True) as cursor:
            cursor.count(
                "DELETE FROM oidc_logins WHERE created_at < :since",
                {"since": self._db.stamp(since)},
            )
            cursor.count(
                "INSERT INTO oidc_logins (state_hash, nonce, code_verifier, invitation_id,"
                " created_at) VALUES (:hash, :nonce, :verifier, :invitation, :created_at)",
                {
                    "hash": pending.state_hash,
                    "nonce": pending.nonce,
                    "verifier": pending.code_verifier,
                    "invitation": pending.invitation_id,
                    "created_at": self._db.stamp(pending.created_at),
                },
            )

    def take_pending_sign_in(self, state_hash: str, since: datetime) -> PendingSignIn | None:
        """Return and delete the sign-in with this state (once); forget the stale ones."""
        with self._db.transaction(write=True) as cursor:
            rows = cursor.rows(
                "DELETE FROM oidc_logins WHERE state_hash = :hash"
                " RETURNING state_hash, nonce, code_verifier, invitation_id, created_at",
                {"hash": state_hash},
            )
            cursor.count(
                "DELETE FROM oidc_logins WHERE created_at < :since",
                {"since": self._db.stamp(since)},
            )
        if not rows:
            return None
        row = rows[0]
        created = self._db.moment(row[4])
        if created < since:
            return None
        return PendingSignIn(
            state_hash=row[0],
            nonce=row[1],
            code_verifier=row[2],
            invitation_id=row[3],
            created_at=created,
        )
