"""API tokens for scripts: ``srt_`` and 43 random characters, shown once, stored hashed.

A token carries a scope (read, write or admin) and usually an expiry: a token leaked from a
reporting script that only reads cannot change a run, and a forgotten one stops working.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from sitroom import audit
from sitroom.auth.errors import AuthError
from sitroom.auth.keys import token_digest
from sitroom.auth.sessions import DEFAULT_TOUCH_INTERVAL, SignedIn, signed_in_as
from sitroom.auth.store import (
    ApiTokenRecord,
    AuthStore,
    Clock,
    TokenScope,
    clean_name,
    system_clock,
)
from sitroom.conduct.principal import Principal

API_TOKEN_PREFIX = "srt_"
"""Marks sitroom tokens, so secret scanners and people can recognise a leaked one."""
_TOKEN_BYTES = 32
_HINT_LENGTH = len(API_TOKEN_PREFIX) + 4
_MAX_TOKEN_LENGTH = 256
_DURATION = re.compile(r"(\d{1,6})\s*([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def token_scope(scope: TokenScope | str) -> TokenScope:
    """Return the scope; raise `AuthError` on ``scope`` naming the ones there are."""
    try:
        return TokenScope(str(scope).strip().lower())
    except ValueError:
        choices = ", ".join(s.value for s in TokenScope)
        raise AuthError("scope", f"unknown scope {str(scope)!r}; choose one of {choices}") from None


def parse_duration(text: str, field: str = "expires") -> timedelta | None:
    """``30d``, ``12h``, ``90m`` or ``2w`` as a timedelta; ``never`` as None."""
    cleaned = text.strip().lower()
    if cleaned == "never":
        return None
    match = _DURATION.fullmatch(cleaned)
    if match is None or int(match.group(1)) == 0:
        raise AuthError(
            field, f"{text!r} is not a duration; write e.g. 30d, 12h, 90m, 2w, or never"
        )
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


class ApiTokens:
    """Issues, resolves, lists and revokes the API tokens of accounts."""

    def __init__(
        self,
        store: AuthStore,
        *,
        clock: Clock = system_clock,
        touch_interval: timedelta = DEFAULT_TOUCH_INTERVAL,
    ) -> None:
        """Keep tokens in ``store``; ``last_used_at`` is written at most every interval."""
        self._store = store
        self._clock = clock
        self._touch_interval = touch_interval

    def create_api_token(
        self,
        account_id: str,
        name: str,
        *,
        expires_in: timedelta | None = None,
        scope: TokenScope | str = TokenScope.READ,
    ) -> tuple[ApiTokenRecord, str]:
        """Issue a token acting as the account within ``scope``; return its record and the token.

        The raw token is shown now and never again. Raise `AuthError` if the account is
        unknown or disabled, or the name or scope is unusable.
        """
        chosen_scope = token_scope(scope)
        account = self._store.get_account(account_id)
        if account is None:
            raise AuthError("account", f"no account with id {account_id!r}", reason="unknown")
        if account.disabled:
            raise AuthError("account", "a disabled account cannot have new tokens", reason="denied")
        if expires_in is not None and expires_in <= timedelta(0):
            raise AuthError("expires_in", "a token must stay valid for some time")
        raw = API_TOKEN_PREFIX + secrets.token_urlsafe(_TOKEN_BYTES)
        now = self._clock()
        record = ApiTokenRecord(
            id=secrets.token_hex(8),
            account_id=account_id,
            name=clean_name("name", name, "a token name"),
            hint=raw[:_HINT_LENGTH],
            created_at=now,
            expires_at=None if expires_in is None else now + expires_in,
            scope=chosen_scope,
        )
        self._store.add_api_token(record, token_digest(raw))
        audit.record(
            "api-token-created",
            account_id=account_id,
            token_id=record.id,
            token_name=record.name,
            token_scope=str(record.scope),
            token_expires=None if record.expires_at is None else record.expires_at.isoformat(),
        )
        return record, raw

    def resolve_api_token(self, raw: str | None) -> Principal | None:
        """Return the principal of a valid token, or None (unknown, revoked, expired, disabled)."""
        found = self.identify(raw)
        return None if found is None else found.principal

    def identify(self, raw: str | None) -> SignedIn | None:
        """Return who a valid token acts as, or None."""
        if not raw or not raw.startswith(API_TOKEN_PREFIX) or len(raw) > _MAX_TOKEN_LENGTH:
            return None
        found = self._store.get_api_token(token_digest(raw))
        if found is None:
            return None
        record, account = found
        now = self._clock()
        if (
            record.revoked_at is not None
            or (record.expires_at is not None and record.expires_at <= now)
            or account.disabled
        ):
            return None
        if record.last_used_at is None or now - record.last_used_at >= self._touch_interval:
            self._store.touch_api_token(record.id, now)
        return signed_in_as(account, "api-token", record.expires_at, scope=record.scope)

    def revoke_api_token(self, token_id: str, *, account_id: str | None = None) -> None:
        """Revoke a token; with ``account_id``, only if it is that account's own."""
        if not self._store.revoke_api_token(token_id, self._clock(), account_id=account_id):
            audit.record("api-token-revoked", outcome="failure", token_id=token_id)
            raise AuthError("token", f"no API token with id {token_id!r}", reason="unknown")
        audit.record("api-token-revoked", account_id=account_id, token_id=token_id)

    def list_api_tokens(self, account_id: str | None = None) -> list[ApiTokenRecord]:
        """Return the tokens of one account (or all), oldest first; never the tokens themselves."""
        return self._store.list_api_tokens(account_id)
