"""Password reset for local accounts: a single-use, expiring link sent to the account's address.

Asking for a reset never says whether an account or an address exists: the answer is the
same either way, and the message (if any) leaves through the outbox, not during the request.
The token is 32 random bytes; only its SHA-256 is stored. Using it sets the new password,
uses up every other reset token of the account and ends the account's sessions. Requests and
uses are counted per client address and per account like sign-ins (`RateLimiter`).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sitroom.auth.accounts import Accounts
from sitroom.auth.errors import AuthError
from sitroom.auth.keys import token_digest
from sitroom.auth.limiter import RateLimiter
from sitroom.auth.mailstore import SqlMailStore
from sitroom.auth.passwords import check_password
from sitroom.auth.sessions import SessionManager
from sitroom.auth.store import Account, AuthStore, Clock, system_clock

MAX_TOKEN_LENGTH = 128


class PasswordResets:
    """Issues and redeems password-reset tokens."""

    def __init__(
        self,
        store: AuthStore,
        mail: SqlMailStore,
        accounts: Accounts,
        sessions: SessionManager,
        *,
        ttl: timedelta = timedelta(hours=1),
        clock: Clock = system_clock,
        limiter: RateLimiter | None = None,
    ) -> None:
        """Keep tokens in ``mail``; at most 5 requests or uses per address and account in 15
        minutes unless ``limiter`` says otherwise."""
        self._store = store
        self._mail = mail
        self._accounts = accounts
        self._sessions = sessions
        self._ttl = ttl
        self._clock = clock
        self.limiter = limiter or RateLimiter(5, timedelta(minutes=15), clock=clock)

    def request(self, who: str, client: str) -> tuple[Account, str, str] | None:
        """A new token for the account named by username or address ``who``, if any.

        Return the account, its address and the raw token (to be mailed), or None when no
        active account with an address answers to ``who``. Every request counts against the
        client address (and the account), found or not: `TooManyAttempts` past the limit.
        """
        wanted = who.strip()[:254]
        self.limiter.reserve([f"address:{client}"], "email")
        account = self._find(wanted)
        if account is None or account.disabled:
            return None
        address = self._mail.address(f"account:{account.id}")
        if address is None:
            return None
        try:
            self.limiter.reserve([f"account:{account.id}"], "email")
        except AuthError:
            return None  # quietly: the answer must not tell that this account exists
        token = secrets.token_urlsafe(32)
        now = self._clock()
        self._mail.add_reset(token_digest(token), account.id, now, now + self._ttl)
        return account, address, token

    def _find(self, who: str) -> Account | None:
        if "@" in who:
            for subject in self._mail.subjects_at(who):
                kind, _, subject_id = subject.partition(":")
                if kind == "account":
                    return self._store.get_account(subject_id)
        found = self._store.find_account(who) if who else None
        return None if found is None else found[0]

    def check(self, token: str) -> Account:
        """The account a token would reset, without using it; `AuthError` on ``token``."""
        account_id = None
        if 0 < len(token) <= MAX_TOKEN_LENGTH:
            account_id = self._mail.reset_account(token_digest(token), self._clock())
        account = None if account_id is None else self._store.get_account(account_id)
        if account is None or account.disabled:
            raise _unusable()
        return account

    def reset(self, token: str, password: str, client: str) -> Account:
        """Set a new password with a token (once); end the account's sessions.

        `AuthError` on ``password`` (too weak) leaves the token usable; on ``token`` when it
        is unknown, used or expired. Attempts count against ``client``.
        """
        attempt = self.limiter.reserve([f"address:{client}"], "token")
        account = self.check(token)
        check_password(password, username=account.username)
        if self._mail.use_reset(token_digest(token), self._clock()) is None:
            raise _unusable()
        self._accounts.set_password(account.id, password)
        self._sessions.end_all(account)
        self.limiter.forgive(attempt)
        return account


def _unusable() -> AuthError:
    return AuthError(
        "token",
        "this reset link is not valid: it was used already, it expired, or it was not copied"
        " whole; ask for a new one",
        reason="unknown",
    )
