"""An in-memory auth store: the same contract as the SQL stores, for tests and demos."""

from __future__ import annotations

import threading
from dataclasses import fields, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from sitroom.auth.errors import AuthError
from sitroom.auth.store import (
    Account,
    ApiTokenRecord,
    Changes,
    Endings,
    Invitation,
    LinkedIdentity,
    PendingSignIn,
    SessionKind,
    SessionRecord,
    SessionSubject,
    username_key,
)
from sitroom.conduct.principal import Role

_Record = TypeVar("_Record", Account, Invitation, SessionRecord, ApiTokenRecord)


def _in_utc(record: _Record) -> _Record:
    """The record with its timestamps in UTC, as the SQL stores give them back."""
    changes: dict[str, Any] = {}
    for item in fields(record):
        value = getattr(record, item.name)
        if isinstance(value, datetime):
            changes[item.name] = value.astimezone(UTC)
    return replace(record, **changes)


class MemoryAuthStore:
    """Keeps everything in dictionaries behind one lock; nothing survives the process."""

    def __init__(self) -> None:
        """Start empty."""
        self._lock = threading.Lock()
        self.endings = Endings()
        self.account_changes = Changes()
        self._accounts: dict[str, Account] = {}
        self._hashes: dict[str, str] = {}
        self._invitations: dict[str, Invitation] = {}
        self._codes: dict[str, str] = {}  # code hash -> invitation id
        self._sessions: dict[str, SessionRecord] = {}
        self._tokens: dict[str, ApiTokenRecord] = {}
        self._token_hashes: dict[str, str] = {}  # token hash -> token id
        self._identities: dict[tuple[str, str], LinkedIdentity] = {}
        self._pending: dict[str, PendingSignIn] = {}

    def add_account(self, account: Account, password_hash: str) -> None:
        """Record a new account; raise `AuthError` on ``username`` if the name is taken."""
        key = username_key(account.username)
        with self._lock:
            if any(username_key(a.username) == key for a in self._accounts.values()):
                raise AuthError(
                    "username", f"the username {account.username!r} is taken", reason="taken"
                )
            self._accounts[account.id] = _in_utc(account)
            self._hashes[account.id] = password_hash
        self.account_changes.note()

    def get_account(self, account_id: str) -> Account | None:
        """Return the account, or None."""
        with self._lock:
            return self._accounts.get(account_id)

    def find_account(self, username: str) -> tuple[Account, str] | None:
        """Return the account with this username (any case) and its password hash."""
        key = username_key(username)
        with self._lock:
            for account in self._accounts.values():
                if username_key(account.username) == key:
                    return account, self._hashes[account.id]
        return None

    def list_accounts(self) -> list[Account]:
        """Return every account, by username."""
        with self._lock:
            return sorted(self._accounts.values(), key=lambda a: username_key(a.username))

    def set_password_hash(
        self, account_id: str, password_hash: str, *, replacing: str | None = None
    ) -> bool:
        """Store a new hash; with ``replacing``, only if the stored hash is still that one."""
        with self._lock:
            current = self._hashes.get(account_id)
            if current is None or (replacing is not None and current != replacing):
                return False
            self._hashes[account_id] = password_hash
            return True

    def set_account_disabled(self, account_id: str, disabled: bool) -> bool:
        """Disable or enable an account; return whether it exists."""
        with self._lock:
            account = self._accounts.get(account_id)
            if account is None:
                return False
            self._accounts[account_id] = replace(account, disabled=disabled)
        self.endings.note()
        return True

    def add_invitation(self, invitation: Invitation, code_hash: str) -> bool:
        """Record an invitation; return False (and record nothing) if the code hash is taken."""
        with self._lock:
            if code_hash in self._codes or invitation.id in self._invitations:
                return False
            self._invitations[invitation.id] = _in_utc(invitation)
            self._codes[code_hash] = invitation.id
            return True

    def get_invitation(self, invitation_id: str) -> Invitation | None:
        """Return the invitation, or None."""
        with self._lock:
            return self._invitations.get(invitation_id)

    def find_invitation_by_code(self, code_hash: str) -> Invitation | None:
        """Return the invitation whose join code has this hash, or None."""
        with self._lock:
            found = self._codes.get(code_hash)
            return None if found is None else self._invitations[found]

    def list_invitations(self, run_id: str) -> list[Invitation]:
        """Return the run's invitations, oldest first."""
        with self._lock:
            chosen = [i for i in self._invitations.values() if i.run_id == run_id]
        return sorted(chosen, key=lambda i: (i.created_at, i.id))

    def set_invitation_code(self, invitation_id: str, code_hash: str) -> bool:
        """Replace an invitation's join code; False if it is unknown or the hash is taken."""
        with self._lock:
            if invitation_id not in self._invitations or code_hash in self._codes:
                return False
            for old in [h for h, i in self._codes.items() if i == invitation_id]:
                del self._codes[old]
            self._codes[code_hash] = invitation_id
            return True

    def revoke_invitation(self, invitation_id: str, at: datetime) -> Invitation | None:
        """Revoke it and every invitation made through it; end all their sessions, at once."""
        with self._lock:
            if invitation_id not in self._invitations:
                return None
            pending, seen = [invitation_id], {invitation_id}
            while pending:
                current = pending.pop()
                invitation = self._invitations[current]
                if invitation.revoked_at is None:
                    self._invitations[current] = replace(invitation, revoked_at=at.astimezone(UTC))
                self._drop_sessions(SessionKind.INVITATION, current)
                for child in self._invitations.values():
                    if child.created_by == f"invite:{current}" and child.id not in seen:
                        seen.add(child.id)
                        pending.append(child.id)
            revoked = self._invitations[invitation_id]
        self.endings.note()
        return revoked

    def claim_invitation(self, invitation_id: str, at: datetime, device_hash: str | None) -> bool:
        """Record one use of an active invitation, if its rules allow it, at once."""
        with self._lock:
            invitation = self._invitations.get(invitation_id)
            if invitation is None or invitation.revoked_at is not None:
                return False
            if invitation.single_use and invitation.used_at is not None:
                return False
            if invitation.bind_device and (
                device_hash is None or invitation.device_hash not in (None, device_hash)
            ):
                return False
            self._invitations[invitation_id] = replace(
                invitation,
                used_at=invitation.used_at or at.astimezone(UTC),
                device_hash=(
                    invitation.device_hash or device_hash
                    if invitation.bind_device
                    else invitation.device_hash
                ),
            )
            return True

    def add_session(self, record: SessionRecord) -> None:
        """Record a new session."""
        with self._lock:
            self._sessions[record.token_hash] = _in_utc(record)

    def get_session(self, token_hash: str) -> SessionSubject | None:
        """Return the session and its account or invitation, in one look-up."""
        with self._lock:
            record = self._sessions.get(token_hash)
            if record is None:
                return None
            if record.kind == SessionKind.ACCOUNT:
                return SessionSubject(record, account=self._accounts.get(record.subject_id))
            return SessionSubject(record, invitation=self._invitations.get(record.subject_id))

    def touch_session(self, token_hash: str, at: datetime) -> None:
        """Move the session's ``last_seen`` forward to ``at``."""
        self.touch_sessions([(token_hash, at)])

    def touch_sessions(self, touches: list[tuple[str, datetime]]) -> None:
        """Move each session's ``last_seen`` forward, all in one write (hash, moment)."""
        with self._lock:
            for token_hash, at in touches:
                record = self._sessions.get(token_hash)
                if record is not None and record.last_seen < at:
                    self._sessions[token_hash] = replace(record, last_seen=at.astimezone(UTC))

    def delete_session(self, token_hash: str) -> bool:
        """End one session; return whether it existed."""
        with self._lock:
            ended = self._sessions.pop(token_hash, None) is not None
        self.endings.note()
        return ended

    def delete_sessions(self, kind: SessionKind, subject_id: str) -> int:
        """End every session of an account or an invitation; return how many."""
        with self._lock:
            ended = self._drop_sessions(kind, subject_id)
        self.endings.note()
        return ended

    def purge_sessions(self, now: datetime, idle_before: datetime | None = None) -> int:
        """Delete sessions expired at ``now`` or not seen since ``idle_before``."""
        with self._lock:
            stale = [
                h
                for h, s in self._sessions.items()
                if s.expires_at <= now or (idle_before is not None and s.last_seen <= idle_before)
            ]
            for token_hash in stale:
                del self._sessions[token_hash]
        self.endings.note()
        return len(stale)

    def add_api_token(self, record: ApiTokenRecord, token_hash: str) -> None:
        """Record a new API token."""
        with self._lock:
            if record.account_id not in self._accounts:
                raise AuthError("account", f"no account {record.account_id!r}", reason="unknown")
            self._tokens[record.id] = _in_utc(record)
            self._token_hashes[token_hash] = record.id

    def get_api_token(self, token_hash: str) -> tuple[ApiTokenRecord, Account] | None:
        """Return the token with this hash and its account, in one look-up."""
        with self._lock:
            token_id = self._token_hashes.get(token_hash)
            if token_id is None:
                return None
            record = self._tokens[token_id]
            return record, self._accounts[record.account_id]

    def touch_api_token(self, token_id: str, at: datetime) -> None:
        """Move the token's ``last_used_at`` forward to ``at``."""
        with self._lock:
            record = self._tokens.get(token_id)
            if record is not None and (record.last_used_at is None or record.last_used_at < at):
                self._tokens[token_id] = replace(record, last_used_at=at.astimezone(UTC))

    def list_api_tokens(self, account_id: str | None = None) -> list[ApiTokenRecord]:
        """Return the tokens of one account (or all), oldest first."""
        with self._lock:
            chosen = [t for t in self._tokens.values() if account_id in (None, t.account_id)]
        return sorted(chosen, key=lambda t: (t.created_at, t.id))

    def revoke_api_token(
        self, token_id: str, at: datetime, *, account_id: str | None = None
    ) -> bool:
        """Revoke a token (keeping an earlier revocation time); return whether it exists."""
        with self._lock:
            record = self._tokens.get(token_id)
            if record is None or account_id not in (None, record.account_id):
                return False
            if record.revoked_at is None:
                self._tokens[token_id] = replace(record, revoked_at=at.astimezone(UTC))
            return True

    def add_linked_account(
        self, account: Account, identity: LinkedIdentity, password_hash: str
    ) -> None:
        """Record a new account and its identity at a provider, at once."""
        with self._lock:
            if (identity.issuer, identity.subject) in self._identities:
                raise AuthError("identity", "this identity is linked to an account", reason="taken")
            key = username_key(account.username)
            if any(username_key(a.username) == key for a in self._accounts.values()):
                raise AuthError(
                    "username", f"the username {account.username!r} is taken", reason="taken"
                )
            self._accounts[account.id] = _in_utc(account)
            self._hashes[account.id] = password_hash
            self._identities[(identity.issuer, identity.subject)] = replace(
                identity, account_id=account.id
            )
        self.account_changes.note()

    def find_linked_identity(
        self, issuer: str, subject: str
    ) -> tuple[LinkedIdentity, Account] | None:
        """Return the identity and the account it is linked to, or None."""
        with self._lock:
            identity = self._identities.get((issuer, subject))
            account = None if identity is None else self._accounts.get(identity.account_id)
            return None if identity is None or account is None else (identity, account)

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
        with self._lock:
            key = (identity.issuer, identity.subject)
            if key in self._identities:
                self._identities[key] = replace(
                    self._identities[key], email=email, last_sign_in=at.astimezone(UTC)
                )
            account = self._accounts.get(identity.account_id)
            if account is None:
                return None
            account = replace(account, role=role, display_name=display_name)
            self._accounts[account.id] = account
        self.account_changes.note()
        return account

    def add_pending_sign_in(self, pending: PendingSignIn, since: datetime) -> None:
        """Record a sign-in that went to the provider; forget those begun before ``since``."""
        with self._lock:
            for stale in [h for h, p in self._pending.items() if p.created_at < since]:
                del self._pending[stale]
            self._pending[pending.state_hash] = replace(
                pending, created_at=pending.created_at.astimezone(UTC)
            )

    def take_pending_sign_in(self, state_hash: str, since: datetime) -> PendingSignIn | None:
        """Return and delete the sign-in with this state (once); forget the stale ones."""
        with self._lock:
            found = self._pending.pop(state_hash, None)
            for stale in [h for h, p in self._pending.items() if p.created_at < since]:
                del self._pending[stale]
        return None if found is None or found.created_at < since else found

    def close(self) -> None:
        """Nothing to release."""

    def _drop_sessions(self, kind: SessionKind, subject_id: str) -> int:
        ended = [
            h for h, s in self._sessions.items() if s.kind == kind and s.subject_id == subject_id
        ]
        for token_hash in ended:
            del self._sessions[token_hash]
        return len(ended)
