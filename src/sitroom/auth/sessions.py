"""Server-side sessions: a random cookie token, stored only as its hash.

A session stands for an account or for an invitation (then it is bound to that invitation's
run). Every resolve reads the session together with its account or invitation in one query,
so a revoked invitation or a disabled account ends its sessions at once, wherever they are.
An invitation's expiry limits when it can be redeemed; a session it opened lives its own
lifetime, and only revoking the invitation ends it early.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, NotRequired, TypedDict

from sitroom.auth.accounts import principal_for_account
from sitroom.auth.errors import AuthError
from sitroom.auth.invitations import principal_for
from sitroom.auth.keys import token_digest
from sitroom.auth.store import (
    Account,
    AuthStore,
    Clock,
    Invitation,
    InvitationStatus,
    SessionKind,
    SessionRecord,
    TokenScope,
    system_clock,
)
from sitroom.conduct.principal import Principal

SESSION_COOKIE = "sitroom_session"
DEFAULT_SESSION_TTL = timedelta(days=7)
DEFAULT_IDLE_TIMEOUT = timedelta(hours=24)
"""Long enough to stay signed in overnight between two days of an exercise."""
DEFAULT_TOUCH_INTERVAL = timedelta(minutes=1)
"""``last_seen`` is written at most this often, so reading a session rarely writes; the
touches of all sessions are written together, one write per interval."""
DEFAULT_RECHECK = timedelta(seconds=30)
"""How long an open stream's check of its session is held in memory (`still_live`)."""
_TOKEN_BYTES = 32
_MAX_TOKEN_LENGTH = 256


class CookieSettings(TypedDict):
    """Keyword arguments for Starlette's ``Response.set_cookie`` / ``delete_cookie``."""

    httponly: bool
    samesite: Literal["lax"]
    path: str
    secure: bool
    max_age: NotRequired[int]


def cookie_settings(secure: bool, max_age: int | None = None) -> CookieSettings:
    """The session cookie's attributes: HttpOnly, SameSite=Lax, Path=/, Secure behind https.

    Use as ``response.set_cookie(SESSION_COOKIE, token, **cookie_settings(secure))``.
    """
    settings = CookieSettings(httponly=True, samesite="lax", path="/", secure=secure)
    if max_age is not None:
        settings["max_age"] = max_age
    return settings


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who is behind a request, and what binds them: a run for invitations."""

    principal: Principal
    run_id: str | None
    """The one run an invitation principal belongs to; None for accounts."""
    language: str
    via: Literal["session", "api-token"]
    account_id: str | None = None
    invitation_id: str | None = None
    expires_at: datetime | None = None
    scope: TokenScope | None = None
    """What an API token may do; None for a session (everything its principal may)."""


def signed_in_as(
    subject: Account | Invitation,
    via: Literal["session", "api-token"],
    expires_at: datetime | None = None,
    *,
    scope: TokenScope | None = None,
) -> SignedIn:
    """Who is signed in through an account or an invitation."""
    if isinstance(subject, Account):
        return SignedIn(
            principal=principal_for_account(subject),
            run_id=None,
            language=subject.language,
            via=via,
            account_id=subject.id,
            expires_at=expires_at,
            scope=scope,
        )
    return SignedIn(
        principal=principal_for(subject),
        run_id=subject.run_id,
        language=subject.language,
        via=via,
        invitation_id=subject.id,
        expires_at=expires_at,
    )


class SessionManager:
    """Opens, resolves and ends sessions."""

    def __init__(
        self,
        store: AuthStore,
        *,
        clock: Clock = system_clock,
        ttl: timedelta = DEFAULT_SESSION_TTL,
        idle_timeout: timedelta | None = DEFAULT_IDLE_TIMEOUT,
        touch_interval: timedelta = DEFAULT_TOUCH_INTERVAL,
        recheck: timedelta = DEFAULT_RECHECK,
    ) -> None:
        """Keep sessions in ``store``; each lives ``ttl`` at most, or until idle too long.

        ``recheck``: how long `still_live` trusts its last look at a session in the store.
        """
        if ttl <= timedelta(0):
            raise ValueError("the session lifetime must be positive")
        if idle_timeout is not None and idle_timeout <= touch_interval:
            raise ValueError("the idle timeout must be longer than the touch interval")
        self._store = store
        self._clock = clock
        self._ttl = ttl
        self._idle_timeout = idle_timeout
        self._touch_interval = touch_interval
        self._recheck = recheck
        self._lock = threading.Lock()
        self._held: dict[str, tuple[datetime, datetime, int]] = {}
        """Token hash → when the store last said it was live, its expiry, `Endings` then."""
        self._touches: dict[str, datetime] = {}
        """Token hash → the ``last_seen`` to write with the next batch."""
        self._touched_at = clock()

    @property
    def max_age(self) -> int:
        """The session lifetime in whole seconds, for the cookie's Max-Age."""
        return int(self._ttl.total_seconds())

    def create(self, subject: Account | Invitation, *, id_token: str | None = None) -> str:
        """Open a session for an account or a redeemed invitation; return the cookie token.

        ``id_token``: the provider's ID token of a single sign-on, kept as its logout hint.

        Raise `AuthError` if the account is disabled or the invitation can no longer be used.
        """
        now = self._clock()
        if isinstance(subject, Account):
            if subject.disabled:
                raise AuthError("account", "this account is disabled", reason="denied")
            kind, run_id = SessionKind.ACCOUNT, None
        else:
            status = subject.status(now)
            if status == InvitationStatus.REVOKED:
                raise AuthError("invitation", "this invitation was withdrawn", reason="revoked")
            if status == InvitationStatus.EXPIRED:
                raise AuthError("invitation", "this invitation has expired", reason="expired")
            kind, run_id = SessionKind.INVITATION, subject.run_id
        token = secrets.token_urlsafe(_TOKEN_BYTES)
        self._store.add_session(
            SessionRecord(
                token_hash=token_digest(token),
                kind=kind,
                subject_id=subject.id,
                run_id=run_id,
                created_at=now,
                last_seen=now,
                expires_at=now + self._ttl,
                id_token=id_token,
            )
        )
        return token

    def id_token(self, token: str | None) -> str | None:
        """The provider's ID token a session was opened with (a single sign-on), or None."""
        if not token or len(token) > _MAX_TOKEN_LENGTH:
            return None
        found = self._store.get_session(token_digest(token))
        return None if found is None else found.session.id_token

    def resolve(self, token: str | None) -> Principal | None:
        """Return the principal of a live session, or None (unknown, expired, ended)."""
        found = self.identify(token)
        return None if found is None else found.principal

    def identify(self, token: str | None) -> SignedIn | None:
        """Return who a live session stands for (with its run and language), or None."""
        if not token or len(token) > _MAX_TOKEN_LENGTH:
            return None
        token_hash = token_digest(token)
        endings = self._store.endings.count  # before the read: an ending after it drops the hold
        found = self._store.get_session(token_hash)
        if found is None:
            self._forget(token_hash)
            return None
        session = found.session
        now = self._clock()
        idle = self._idle_timeout is not None and session.last_seen + self._idle_timeout <= now
        subject: Account | Invitation | None
        if session.kind == SessionKind.ACCOUNT:
            subject = found.account
            gone = subject is None or subject.disabled
        else:
            subject = found.invitation
            gone = (
                subject is None
                or subject.revoked_at is not None
                or subject.run_id != session.run_id
            )
        if session.expires_at <= now or idle or gone or subject is None:
            self._forget(token_hash)
            self._store.delete_session(token_hash)
            return None
        with self._lock:  # what `still_live` answers from until ``recheck`` has passed
            self._held[token_hash] = (now, session.expires_at, endings)
        if now - session.last_seen >= self._touch_interval:
            self._touch(token_hash, now)
        return signed_in_as(subject, "session", session.expires_at)

    def _forget(self, token_hash: str) -> None:
        with self._lock:
            self._held.pop(token_hash, None)

    def _touch(self, token_hash: str, now: datetime) -> None:
        """Note that the session was seen at ``now``; write every noted touch once an interval.

        At a heartbeat every open stream re-checks its session: one write per session and per
        heartbeat would be thousands of writes a minute in a full room. The touches wait here
        instead, and are written together, once per ``touch_interval``. What waits is lost if
        the process stops, which moves ``last_seen`` back by at most one interval (against an
        idle timeout of hours).
        """
        with self._lock:
            self._touches[token_hash] = now
            if now - self._touched_at < self._touch_interval:
                return
            touches, self._touches = list(self._touches.items()), {}
            self._touched_at = now
            # Held checks of sessions that no stream asked about lately are dropped with it.
            self._held = {h: v for h, v in self._held.items() if now - v[0] < self._recheck}
        self._store.touch_sessions(touches)

    def still_live(self, token: str | None) -> bool:
        """Whether a session is still live, asked by an open event stream at each heartbeat.

        The store's last answer (this or any request's `identify`: the one that opened the
        stream, too) is held for ``recheck``: a stream's heartbeats in between are answered
        from memory (no database read, no write). A held answer counts only while
        nothing in this process has ended a session since it was taken (`Endings`: signing
        out, revoking an invitation, disabling an account, password changes), so in this
        process an ending reaches every stream at its next heartbeat. An ending made by
        another process (another worker, the CLI) reaches a stream here once the held answer
        runs out: within ``recheck`` plus one heartbeat.
        """
        return self.held(token) or self.identify(token) is not None

    def held(self, token: str | None) -> bool:
        """Whether `still_live` can say yes from memory alone (cheap enough for the event
        loop; when it is False, ask `still_live` in a thread)."""
        if not token or len(token) > _MAX_TOKEN_LENGTH:
            return False
        now = self._clock()
        with self._lock:
            held = self._held.get(token_digest(token))
        return (
            held is not None
            and now - held[0] < self._recheck
            and now < held[1]
            and held[2] == self._store.endings.count
        )

    def end(self, token: str) -> bool:
        """End the session (sign out); return whether there was one."""
        if not token or len(token) > _MAX_TOKEN_LENGTH:
            return False
        return self._store.delete_session(token_digest(token))

    def end_all(self, subject: Account | Invitation) -> int:
        """End every session of an account (e.g. after a password change) or an invitation."""
        kind = SessionKind.ACCOUNT if isinstance(subject, Account) else SessionKind.INVITATION
        return self._store.delete_sessions(kind, subject.id)

    def purge(self) -> int:
        """Delete expired and idle sessions; return how many. Call it now and then."""
        now = self._clock()
        idle_before = None if self._idle_timeout is None else now - self._idle_timeout
        return self._store.purge_sessions(now, idle_before)
