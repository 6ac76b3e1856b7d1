"""Everything about who is who, wired together on one store and one server secret."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sitroom.auth.accounts import Accounts
from sitroom.auth.csrf import CsrfGuard
from sitroom.auth.errors import AuthError, HashingBusy
from sitroom.auth.invitations import DEFAULT_INVITATION_TTL, Invitations
from sitroom.auth.keys import check_secret
from sitroom.auth.limiter import RateLimiter
from sitroom.auth.passwords import Passwords
from sitroom.auth.sessions import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_RECHECK,
    DEFAULT_SESSION_TTL,
    SessionManager,
    SignedIn,
)
from sitroom.auth.sqlstore import open_auth_store
from sitroom.auth.store import Account, AuthStore, Clock, system_clock, username_key
from sitroom.auth.tokens import ApiTokens


@dataclass(frozen=True, slots=True)
class AuthService:
    """Accounts, invitations, sessions, API tokens and CSRF tokens over one store."""

    store: AuthStore
    accounts: Accounts
    invitations: Invitations
    sessions: SessionManager
    tokens: ApiTokens
    csrf: CsrfGuard
    login_limiter: RateLimiter
    """Counts failed password sign-ins per client address."""
    account_limiter: RateLimiter
    """Counts failed password sign-ins per account (by username), from any address."""

    def sign_in(self, username: str, password: str, client: str) -> Account:
        """Check a password sign-in from the address ``client``; return the account.

        The attempt is reserved against the address and the username *before* the password
        is hashed, so concurrent guesses count; a right password forgives only its own
        attempt, never the other failures of the address or the account. Raise
        `TooManyAttempts` (429) when either has failed too often, `HashingBusy` (503) when
        too many checks run at once, and `AuthError` (403) on a wrong username or password.
        """
        by_address = self.login_limiter.reserve([f"address:{client}"], "password")
        try:
            by_account = self.account_limiter.reserve(
                [f"account:{username_key(username.strip())}"], "password"
            )
        except AuthError:
            self.login_limiter.forgive(by_address)
            raise
        try:
            account = self.accounts.authenticate(username, password)
        except HashingBusy:  # nothing was tried
            self.login_limiter.forgive(by_address)
            self.account_limiter.forgive(by_account)
            raise
        if account is None:
            raise AuthError("password", "unknown username or wrong password", reason="denied")
        self.login_limiter.forgive(by_address)
        self.account_limiter.forgive(by_account)
        return account

    def identify(self, session_token: str | None, api_token: str | None = None) -> SignedIn | None:
        """Who is behind a request: the session cookie's owner, else the API token's."""
        return self.sessions.identify(session_token) or self.tokens.identify(api_token)

    def close(self) -> None:
        """Release the store's connections."""
        self.store.close()


def build_auth(
    store: AuthStore,
    secret: bytes,
    *,
    clock: Clock = system_clock,
    passwords: Passwords | None = None,
    invitation_ttl: timedelta = DEFAULT_INVITATION_TTL,
    session_ttl: timedelta = DEFAULT_SESSION_TTL,
    idle_timeout: timedelta | None = DEFAULT_IDLE_TIMEOUT,
    session_recheck: timedelta = DEFAULT_RECHECK,
    join_limiter: RateLimiter | None = None,
    login_limiter: RateLimiter | None = None,
    account_limiter: RateLimiter | None = None,
) -> AuthService:
    """Wire the auth services on ``store`` with the server ``secret``."""
    return AuthService(
        store=store,
        accounts=Accounts(store, passwords=passwords, clock=clock),
        invitations=Invitations(
            store, secret, clock=clock, ttl=invitation_ttl, limiter=join_limiter
        ),
        sessions=SessionManager(
            store,
            clock=clock,
            ttl=session_ttl,
            idle_timeout=idle_timeout,
            recheck=session_recheck,
        ),
        tokens=ApiTokens(store, clock=clock),
        csrf=CsrfGuard(secret),
        login_limiter=login_limiter or RateLimiter(clock=clock),
        account_limiter=account_limiter or RateLimiter(clock=clock),
    )


def open_auth(url: str, secret: bytes) -> AuthService:
    """Open the auth store at a database URL (as `open_recorder` takes) with the defaults.

    For other settings, call `build_auth` on `open_auth_store` yourself.
    """
    check_secret(secret)
    store = open_auth_store(url)
    try:
        return build_auth(store, secret)
    except BaseException:
        store.close()
        raise
