"""The records of who is who, and the store interface every backend honours.

The store only keeps rows: it never sees a password, a raw session or API token, or a join
code, only their hashes. Rules (password length, team checks, expiry) live in the services
that use it (`accounts`, `invitations`, `sessions`, `tokens`).
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

from sitroom.auth.errors import AuthError
from sitroom.conduct.principal import Principal, Role

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware. Tests pass a clock they can move."""


def system_clock() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


ACCOUNT_ROLES = frozenset({Role.ADMIN, Role.FACILITATOR})
"""The roles an account can hold; everyone else joins a run by invitation."""

INVITATION_ROLES = frozenset(
    {Role.FACILITATOR, Role.PLAYER, Role.EVALUATOR, Role.OBSERVER, Role.DISPLAY}
)
"""The roles an invitation can grant."""

CONTROL_INVITATION_ROLES = frozenset(
    role for role in INVITATION_ROLES if Principal(id="", role=role).sees_control_material
)
"""Invitations that open control material: the facilitator (EXCON, who runs the exercise and
manages invitations) and the evaluator (who holds the C/E handbook: the MSEL and the expected
actions). Only an account may create them, never another invitation's session."""

LANGUAGES = ("en", "ko")
"""The interface languages a person can prefer."""


MAX_NAME_LENGTH = 100


def username_key(username: str) -> str:
    """The form of a username that uniqueness and look-up compare: NFKC, case-folded."""
    return unicodedata.normalize("NFKC", username).casefold()


def clean_name(field: str, value: str, what: str = "a name") -> str:
    """Return a display name without surrounding spaces; raise `AuthError` if it is unusable."""
    cleaned = value.strip()
    if not cleaned:
        raise AuthError(field, f"{what} cannot be empty")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise AuthError(field, f"{what} can have at most {MAX_NAME_LENGTH} characters")
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in cleaned):
        raise AuthError(field, f"{what} cannot contain control characters or line breaks")
    return cleaned


def clean_language(value: str) -> str:
    """Return the language code if sitroom speaks it; raise `AuthError` on ``language``."""
    cleaned = value.strip().lower()
    if cleaned not in LANGUAGES:
        raise AuthError(
            "language", f"unknown language {value!r}; choose one of {', '.join(LANGUAGES)}"
        )
    return cleaned


@dataclass(frozen=True, slots=True)
class Account:
    """An admin's or a facilitator's account, for signing in with a password."""

    id: str
    username: str
    display_name: str
    role: Role
    created_at: datetime
    disabled: bool = False
    language: str = "en"


class InvitationStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class Invitation:
    """A person invited into one run with one role (and, for players, one team)."""

    id: str
    run_id: str
    display_name: str
    role: Role
    team: str | None
    party: str | None
    language: str
    created_by: str | None
    """The principal id of whoever made it, e.g. ``"account:…"``."""
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    single_use: bool = False
    """Signs in once: after the first use the link and the code sign nobody in."""
    bind_device: bool = False
    """Bound to the first browser that used it; any other browser is refused."""
    used_at: datetime | None = None
    """When it was first redeemed."""
    device_hash: str | None = field(default=None, repr=False)
    """The SHA-256 of the device secret of the browser it is bound to."""
    idp_email: str | None = None
    """Bound to whoever signs in at the identity provider with this (verified) e-mail."""
    idp_subject: str | None = None
    """Bound to the identity provider's subject (``sub``) of one person."""

    @property
    def bound_to_idp(self) -> bool:
        """Whether only a single sign-on of one identity can use this invitation."""
        return self.idp_email is not None or self.idp_subject is not None

    def status(self, now: datetime) -> InvitationStatus:
        """Whether the invitation can still be redeemed at ``now``."""
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if now >= self.expires_at:
            return InvitationStatus.EXPIRED
        return InvitationStatus.ACTIVE


class TokenScope(StrEnum):
    """What an API token may do: read, write (act in runs), or admin (also manage access)."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


class SessionKind(StrEnum):
    ACCOUNT = "account"
    INVITATION = "invitation"


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A signed-in browser: the hash of its cookie token and whom it stands for."""

    token_hash: str = field(repr=False)
    kind: SessionKind
    subject_id: str
    """The account id or the invitation id."""
    run_id: str | None
    """The run an invitation session is bound to; None for account sessions."""
    created_at: datetime
    last_seen: datetime
    expires_at: datetime
    id_token: str | None = field(default=None, repr=False)
    """The identity provider's ID token of a single sign-on (the logout hint), else None."""


@dataclass(frozen=True, slots=True)
class SessionSubject:
    """A session with the account or invitation behind it, as they are now."""

    session: SessionRecord
    account: Account | None = None
    invitation: Invitation | None = None


@dataclass(frozen=True, slots=True)
class ApiTokenRecord:
    """An API token for scripts, as it is listed: never with the token itself."""

    id: str
    account_id: str
    name: str
    hint: str
    """The first characters of the token, so its owner can tell tokens apart."""
    created_at: datetime
    last_used_at: datetime | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    scope: TokenScope = TokenScope.ADMIN


@dataclass(frozen=True, slots=True)
class LinkedIdentity:
    """An identity at an OpenID Connect provider, linked to the account it signs in as."""

    issuer: str
    subject: str
    account_id: str
    email: str | None
    linked_at: datetime
    last_sign_in: datetime


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    """A single sign-on between the redirect to the provider and its return."""

    state_hash: str = field(repr=False)
    nonce: str = field(repr=False)
    code_verifier: str = field(repr=False)
    invitation_id: str | None
    """The bound invitation this sign-in is to redeem, if any."""
    created_at: datetime


class Changes:
    """How often this process changed something kept in a store: a count to compare.

    Whoever holds what it read compares the count taken before the read with the count now;
    a change in this process moves it, so what was held is read again at once. Changes made
    by other processes (another worker, the CLI) are seen when the holder's time runs out.
    """

    __slots__ = ("_count", "_lock")

    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()

    @property
    def count(self) -> int:
        """How many changes so far; compare two readings, never the value itself."""
        return self._count

    def note(self) -> None:
        """Count one change (after it is written)."""
        with self._lock:
            self._count += 1


class Endings(Changes):
    """How often this process changed a store in a way that can end sessions.

    Revoking an invitation, disabling an account, ending one or all of a subject's sessions
    and purging move it forward. An open event stream's check of its session is held in
    memory between heartbeats (`SessionManager.still_live`); a held check counts only while
    this number has not moved since it was made, so every ending in this process is seen by
    the next heartbeat of every stream. Endings in other processes (another worker, the CLI)
    are seen when the held check runs out.
    """

    __slots__ = ()


@runtime_checkable
class AuthStore(Protocol):
    """Where accounts, invitations, sessions and API tokens are kept. Safe across threads."""

    endings: Endings
    """What this process did that can end sessions (see `Endings`)."""
    account_changes: Changes
    """Accounts this process added or renamed (`services.people.AccountNames` holds names)."""

    def add_account(self, account: Account, password_hash: str) -> None:
        """Record a new account; raise `AuthError` on ``username`` if the name is taken."""
        ...

    def get_account(self, account_id: str) -> Account | None:
        """Return the account, or None."""
        ...

    def find_account(self, username: str) -> tuple[Account, str] | None:
        """Return the account with this username (any case) and its password hash."""
        ...

    def list_accounts(self) -> list[Account]:
        """Return every account, by username."""
        ...

    def set_password_hash(
        self, account_id: str, password_hash: str, *, replacing: str | None = None
    ) -> bool:
        """Store a new hash; with ``replacing``, only if the stored hash is still that one.

        Return whether a row changed.
        """
        ...

    def set_account_disabled(self, account_id: str, disabled: bool) -> bool:
        """Disable or enable an account; return whether it exists."""
        ...

    def add_invitation(self, invitation: Invitation, code_hash: str) -> bool:
        """Record an invitation; return False (and record nothing) if the code hash is taken."""
        ...

    def get_invitation(self, invitation_id: str) -> Invitation | None:
        """Return the invitation, or None."""
        ...

    def find_invitation_by_code(self, code_hash: str) -> Invitation | None:
        """Return the invitation whose join code has this hash, or None."""
        ...

    def list_invitations(self, run_id: str) -> list[Invitation]:
        """Return the run's invitations, oldest first."""
        ...

    def set_invitation_code(self, invitation_id: str, code_hash: str) -> bool:
        """Replace an invitation's join code; False if it is unknown or the hash is taken."""
        ...

    def revoke_invitation(self, invitation_id: str, at: datetime) -> Invitation | None:
        """Mark it revoked (keeping an earlier revocation time) and end its sessions, at once.

        Every invitation it created (``created_by`` ``invite:<id>``), and theirs in turn, is
        revoked with it in the same transaction. Return the invitation as it now is, or None
        if there is none with this id.
        """
        ...

    def claim_invitation(self, invitation_id: str, at: datetime, device_hash: str | None) -> bool:
        """Record one use of an active invitation at ``at``, if its rules allow it, at once.

        Refused (False) when it is revoked, when it is single-use and was used already, or
        when it is bound to a device other than ``device_hash``; the first use of a
        device-bound invitation binds it to ``device_hash``. Two concurrent claims of a
        single-use invitation: exactly one is accepted.
        """
        ...

    def add_session(self, record: SessionRecord) -> None:
        """Record a new session."""
        ...

    def get_session(self, token_hash: str) -> SessionSubject | None:
        """Return the session and its account or invitation, in one look-up."""
        ...

    def touch_session(self, token_hash: str, at: datetime) -> None:
        """Move the session's ``last_seen`` forward to ``at``."""
        ...

    def touch_sessions(self, touches: list[tuple[str, datetime]]) -> None:
        """Move each session's ``last_seen`` forward, all in one write (hash, moment)."""
        ...

    def delete_session(self, token_hash: str) -> bool:
        """End one session; return whether it existed."""
        ...

    def delete_sessions(self, kind: SessionKind, subject_id: str) -> int:
        """End every session of an account or an invitation; return how many."""
        ...

    def purge_sessions(self, now: datetime, idle_before: datetime | None = None) -> int:
        """Delete sessions expired at ``now`` or not seen since ``idle_before``."""
        ...

    def add_api_token(self, record: ApiTokenRecord, token_hash: str) -> None:
        """Record a new API token."""
        ...

    def get_api_token(self, token_hash: str) -> tuple[ApiTokenRecord, Account] | None:
        """Return the token with this hash and its account, in one look-up."""
        ...

    def touch_api_token(self, token_id: str, at: datetime) -> None:
        """Move the token's ``last_used_at`` forward to ``at``."""
        ...

    def list_api_tokens(self, account_id: str | None = None) -> list[ApiTokenRecord]:
        """Return the tokens of one account (or all), oldest first."""
        ...

    def revoke_api_token(
        self, token_id: str, at: datetime, *, account_id: str | None = None
    ) -> bool:
        """Revoke a token (keeping an earlier revocation time); return whether it exists.

        With ``account_id``, only a token of that account is revoked.
        """
        ...

    def add_linked_account(
        self, account: Account, identity: LinkedIdentity, password_hash: str
    ) -> None:
        """Record a new account and its identity at a provider, in one transaction.

        Raise `AuthError` on ``username`` if the name is taken, and on ``identity`` (reason
        ``taken``) if the identity is linked already.
        """
        ...

    def find_linked_identity(
        self, issuer: str, subject: str
    ) -> tuple[LinkedIdentity, Account] | None:
        """Return the identity and the account it is linked to, or None."""
        ...

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
        ...

    def add_pending_sign_in(self, pending: PendingSignIn, since: datetime) -> None:
        """Record a sign-in that went to the provider; forget those begun before ``since``
        (so sign-ins abandoned at the provider never pile up)."""
        ...

    def take_pending_sign_in(self, state_hash: str, since: datetime) -> PendingSignIn | None:
        """Return and delete, at once, the sign-in with this state if it began after
        ``since``; forget every older one. A state is taken once: a second call is None."""
        ...

    def close(self) -> None:
        """Release connections. Closing twice is harmless."""
        ...
