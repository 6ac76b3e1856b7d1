"""E-mail addresses, the outbox of messages sent outside a run's log, and password-reset tokens.

Three tables on the auth store's database (revision 0006), through the same connection pool:

- ``mail_addresses``: the address of an invitation (``invite:<id>``) or an account
  (``account:<id>``); only the mailer reads it.
- ``mail_outbox``: each invitation or password-reset message, keyed by what it is about
  (``invitation:<id>``), with its delivery state: *queued*, *sending* (claimed by one worker
  until ``next_at``), *sent*, *failed* (a temporary error, tried again at ``next_at``),
  *bounced* (refused by the server with a 5xx answer, tried again too: a mailbox may be
  fixed) and *dead* (given up after the last try, shown to control until sent again).
- ``password_resets``: the SHA-256 of each reset token, its expiry and when it was used.

A claim is one conditional ``UPDATE`` per message, so two workers never send one message at
the same time; a worker that dies while sending leaves its claim to expire, and the message
is sent again with the same Message-ID (at least once, never silently dropped).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sitroom.auth.errors import AuthError
from sitroom.auth.sqldatabase import Database, Row
from sitroom.auth.sqlrows import SqlRows

MAX_ADDRESS_LENGTH = 254
_ADDRESS = re.compile(r"^[^@\s<>(),;:\"\[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")


def clean_address(value: str, field: str = "email") -> str:
    """An e-mail address as given (trimmed), or `AuthError` on ``field`` saying what is wrong."""
    address = value.strip()
    if len(address) > MAX_ADDRESS_LENGTH:
        raise AuthError(field, f"an e-mail address has at most {MAX_ADDRESS_LENGTH} characters")
    if not _ADDRESS.match(address) or "." not in address.rsplit("@", 1)[1]:
        raise AuthError(field, f"{value!r} is not an e-mail address; write it as name@example.org")
    return address


class Delivery(StrEnum):
    """Where a message stands."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BOUNCED = "bounced"
    DEAD = "dead"


RETRIED = (Delivery.QUEUED, Delivery.FAILED, Delivery.BOUNCED, Delivery.SENDING)
"""States whose message is sent (again) once ``next_at`` has come (``sending``: a lost claim)."""


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """One message of the outbox, with its delivery state."""

    key: str
    kind: str
    """``invitation`` or ``reset``."""
    subject: str
    """Whom it is about: ``invite:<id>`` or ``account:<id>``."""
    run_id: str | None
    recipient: str
    title: str
    body: str
    message_id: str
    state: Delivery
    attempts: int
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    next_at: datetime


_COLUMNS = (
    "key, kind, subject, run_id, recipient, title, body, message_id, state, attempts,"
    " last_error, created_at, updated_at, next_at"
)


class SqlMailStore(SqlRows):
    """Addresses, outbox and reset tokens on the auth store's database."""

    def __init__(self, database: Database) -> None:
        """Share ``database`` (and its pool) with the auth store."""
        super().__init__(database)

    # -- addresses ------------------------------------------------------------------------

    def set_address(self, subject: str, address: str | None) -> None:
        """Give ``subject`` (``invite:<id>``, ``account:<id>``) an address, or remove it."""
        with self._db.transaction(write=True) as cursor:
            cursor.count("DELETE FROM mail_addresses WHERE subject = :s", {"s": subject})
            if address:
                cursor.count(
                    "INSERT INTO mail_addresses (subject, address) VALUES (:s, :a)",
                    {"s": subject, "a": address},
                )

    def address(self, subject: str) -> str | None:
        """The address of ``subject``, or None."""
        rows = self._read("SELECT address FROM mail_addresses WHERE subject = :s", {"s": subject})
        return str(rows[0][0]) if rows else None

    def subjects_at(self, address: str) -> list[str]:
        """Every subject with this address (compared without case)."""
        rows = self._read(
            "SELECT subject FROM mail_addresses WHERE lower(address) = lower(:a) ORDER BY subject",
            {"a": address},
        )
        return [str(row[0]) for row in rows]

    # -- the outbox -----------------------------------------------------------------------

    def enqueue(self, message: OutboxMessage) -> bool:
        """Add a message; False (and nothing changed) if one with its key is there already."""
        try:
            self._write(
                f"INSERT INTO mail_outbox ({_COLUMNS}) VALUES (:key, :kind, :subject, :run_id,"
                " :recipient, :title, :body, :message_id, :state, :attempts, :last_error,"
                " :created_at, :updated_at, :next_at)",
                {
                    "key": message.key,
                    "kind": message.kind,
                    "subject": message.subject,
                    "run_id": message.run_id,
                    "recipient": message.recipient,
                    "title": message.title,
                    "body": message.body,
                    "message_id": message.message_id,
                    "state": message.state.value,
                    "attempts": message.attempts,
                    "last_error": message.last_error,
                    "created_at": self._db.stamp(message.created_at),
                    "updated_at": self._db.stamp(message.updated_at),
                    "next_at": self._db.stamp(message.next_at),
                },
            )
        except self._db.integrity_errors:
            return False
        return True

    def message(self, key: str) -> OutboxMessage | None:
        """The message with this key, or None."""
        rows = self._read(f"SELECT {_COLUMNS} FROM mail_outbox WHERE key = :k", {"k": key})
        return self._message(rows[0]) if rows else None

    def messages(
        self, *, run_id: str | None = None, kind: str | None = None
    ) -> list[OutboxMessage]:
        """Messages (of one run, of one kind), oldest first."""
        where = []
        if run_id is not None:
            where.append("run_id = :run_id")
        if kind is not None:
            where.append("kind = :kind")
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        rows = self._read(
            f"SELECT {_COLUMNS} FROM mail_outbox{clause} ORDER BY created_at, key",
            {"run_id": run_id, "kind": kind},
        )
        return [self._message(row) for row in rows]

    def counts(self) -> dict[tuple[str, str], int]:
        """How many messages are in each state, by (kind, state): for the metrics."""
        rows = self._read("SELECT kind, state, count(*) FROM mail_outbox GROUP BY kind, state", {})
        return {(str(kind), str(state)): int(n) for kind, state, n in rows}

    def claim_due(self, now: datetime, hold: timedelta, limit: int = 20) -> list[OutboxMessage]:
        """Claim up to ``limit`` messages due at ``now`` for ``hold``; return them as claimed.

        Each claim is a conditional update of one row, so a message is claimed by one worker
        at a time; a claim not settled within ``hold`` (the worker died) lapses.
        """
        states = ", ".join(f"'{s.value}'" for s in RETRIED)
        rows = self._read(
            f"SELECT {_COLUMNS} FROM mail_outbox WHERE state IN ({states}) AND next_at <= :now"
            " ORDER BY next_at, key LIMIT :limit",
            {"now": self._db.stamp(now), "limit": limit},
        )
        claimed = []
        for row in rows:
            found = self._message(row)
            until = now + hold
            changed = self._write(
                "UPDATE mail_outbox SET state = 'sending', next_at = :until, updated_at = :now"
                " WHERE key = :key AND state = :state AND next_at = :next_at",
                {
                    "until": self._db.stamp(until),
                    "now": self._db.stamp(now),
                    "key": found.key,
                    "state": found.state.value,
                    "next_at": row[13],
                },
            )
            if changed:
                claimed.append(found)
        return claimed

    def settle(
        self,
        key: str,
        state: Delivery,
        at: datetime,
        *,
        error: str | None = None,
        next_at: datetime | None = None,
        erase_body: bool = False,
    ) -> None:
        """Record the outcome of one attempt (the attempt is counted)."""
        body = ", body = ''" if erase_body else ""
        self._write(
            "UPDATE mail_outbox SET state = :state, attempts = attempts + 1,"
            f" last_error = :error, updated_at = :at, next_at = :next_at{body} WHERE key = :key",
            {
                "state": state.value,
                "error": error,
                "at": self._db.stamp(at),
                "next_at": self._db.stamp(next_at or at),
                "key": key,
            },
        )

    def retry(self, key: str, at: datetime) -> bool:
        """Put a dead (or failed) message back in the queue, due now, with its tries reset."""
        changed = self._write(
            "UPDATE mail_outbox SET state = 'queued', attempts = 0, next_at = :at,"
            " updated_at = :at WHERE key = :key AND state IN ('dead', 'failed', 'bounced')"
            " AND body <> ''",
            {"at": self._db.stamp(at), "key": key},
        )
        return changed > 0

    def cancel(self, key: str, at: datetime, why: str) -> bool:
        """Give up a message not sent yet (its invitation was withdrawn), saying why."""
        changed = self._write(
            "UPDATE mail_outbox SET state = 'dead', last_error = :why, updated_at = :at,"
            " next_at = :at, body = '' WHERE key = :key"
            " AND state IN ('queued', 'failed', 'bounced', 'sending')",
            {"why": why, "at": self._db.stamp(at), "key": key},
        )
        return changed > 0

    def _message(self, row: Row) -> OutboxMessage:
        return OutboxMessage(
            key=row[0],
            kind=row[1],
            subject=row[2],
            run_id=row[3],
            recipient=row[4],
            title=row[5],
            body=row[6],
            message_id=row[7],
            state=Delivery(row[8]),
            attempts=int(row[9]),
            last_error=row[10],
            created_at=self._db.moment(row[11]),
            updated_at=self._db.moment(row[12]),
            next_at=self._db.moment(row[13]),
        )

    # -- password reset tokens ------------------------------------------------------------

    def add_reset(
        self, token_hash: str, account_id: str, created_at: datetime, expires_at: datetime
    ) -> None:
        """Record a reset token by its hash."""
        self._write(
            "INSERT INTO password_resets (token_hash, account_id, created_at, expires_at)"
            " VALUES (:hash, :account, :created, :expires)",
            {
                "hash": token_hash,
                "account": account_id,
                "created": self._db.stamp(created_at),
                "expires": self._db.stamp(expires_at),
            },
        )

    def reset_account(self, token_hash: str, now: datetime) -> str | None:
        """The account of an unused, unexpired reset token, or None (nothing changes)."""
        rows = self._read(
            "SELECT account_id FROM password_resets WHERE token_hash = :hash"
            " AND used_at IS NULL AND expires_at > :now",
            {"hash": token_hash, "now": self._db.stamp(now)},
        )
        return str(rows[0][0]) if rows else None

    def use_reset(self, token_hash: str, now: datetime) -> str | None:
        """Use a reset token once: its account if it was unused and unexpired, else None.

        Every other token of the account is used up with it, so one reset closes them all.
        """
        account = self.reset_account(token_hash, now)
        if account is None:
            return None
        with self._db.transaction(write=True) as cursor:
            changed = cursor.count(
                "UPDATE password_resets SET used_at = :now WHERE token_hash = :hash"
                " AND used_at IS NULL AND expires_at > :now",
                {"hash": token_hash, "now": self._db.stamp(now)},
            )
            if not changed:
                return None
            cursor.count(
                "UPDATE password_resets SET used_at = :now WHERE account_id = :account"
                " AND used_at IS NULL",
                {"account": account, "now": self._db.stamp(now)},
            )
        return account
