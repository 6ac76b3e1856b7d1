"""Accounts of admins and facilitators: creating them, signing in with a password."""

from __future__ import annotations

import secrets

from sitroom import audit
from sitroom.auth.errors import AuthError, HashingBusy
from sitroom.auth.passwords import MAX_PASSWORD_LENGTH, Passwords, check_password
from sitroom.auth.store import (
    ACCOUNT_ROLES,
    Account,
    AuthStore,
    Clock,
    clean_language,
    clean_name,
    system_clock,
)
from sitroom.conduct.principal import Principal, Role

MAX_USERNAME_LENGTH = 64
_USERNAME_PUNCTUATION = frozenset("._-@+")


def clean_username(username: str) -> str:
    """Return the username without surrounding spaces; raise `AuthError` if it is unusable."""
    cleaned = username.strip()
    if not cleaned:
        raise AuthError("username", "a username cannot be empty")
    if len(cleaned) > MAX_USERNAME_LENGTH:
        raise AuthError("username", f"a username can have at most {MAX_USERNAME_LENGTH} characters")
    if not all(char.isalnum() or char in _USERNAME_PUNCTUATION for char in cleaned):
        raise AuthError(
            "username", "a username can only have letters, digits and the characters . _ - @ +"
        )
    return cleaned


def account_role(role: Role | str) -> Role:
    """Return the role if an account can hold it; raise `AuthError` on ``role``."""
    try:
        chosen = Role(role)
    except ValueError:
        chosen = None
    if chosen not in ACCOUNT_ROLES:
        raise AuthError(
            "role",
            f"an account is for an admin or a facilitator, not {str(role)!r};"
            " invite everyone else to their run",
        )
    assert chosen is not None
    return chosen


def principal_for_account(account: Account) -> Principal:
    """The principal an account acts as: ``account:<id>``, admin or facilitator."""
    return Principal(id=f"account:{account.id}", role=account.role, name=account.display_name)


class Accounts:
    """Creates accounts and checks passwords against them."""

    def __init__(
        self,
        store: AuthStore,
        *,
        passwords: Passwords | None = None,
        clock: Clock = system_clock,
    ) -> None:
        """Keep accounts in ``store``; ``passwords`` sets the hashing cost."""
        self._store = store
        self._passwords = passwords or Passwords()
        self._clock = clock

    def create_account(
        self,
        username: str,
        display_name: str,
        password: str,
        role: Role | str = Role.FACILITATOR,
        *,
        language: str = "en",
    ) -> Account:
        """Create an account; raise `AuthError` naming the field that is wrong or taken."""
        cleaned = clean_username(username)
        account = Account(
            id=secrets.token_hex(8),
            username=cleaned,
            display_name=clean_name("display_name", display_name, "a display name"),
            role=account_role(role),
            created_at=self._clock(),
            language=clean_language(language),
        )
        check_password(password, username=cleaned)
        self._store.add_account(account, self._passwords.hash(password))
        return account

    def authenticate(self, username: str, password: str) -> Account | None:
        """Return the account if the password is right and the account enabled, else None.

        An unknown username costs one hash verification too, so timing does not tell which
        usernames exist. A hash made with older parameters is replaced by a fresh one.
        """
        found = self._store.find_account(username.strip())
        if found is None or len(password) > MAX_PASSWORD_LENGTH:
            self._passwords.verify_nothing(password[:MAX_PASSWORD_LENGTH])
            return None
        account, password_hash = found
        if not self._passwords.verify(password_hash, password):
            return None
        if account.disabled:
            return None
        if self._passwords.needs_rehash(password_hash):
            try:
                fresh = self._passwords.hash(password)
            except HashingBusy:  # the next sign-in will upgrade it
                return account
            # Only if nobody changed the password meanwhile.
            self._store.set_password_hash(account.id, fresh, replacing=password_hash)
        return account

    def set_password(self, account_id: str, password: str) -> None:
        """Give the account a new password; raise `AuthError` if it is unknown or too weak."""
        account = self.get_account(account_id)
        check_password(password, username=account.username)
        if not self._store.set_password_hash(account_id, self._passwords.hash(password)):
            raise _unknown(account_id)
        audit.record("password-changed", account_id=account_id)

    def set_disabled(self, account_id: str, disabled: bool) -> Account:
        """Disable (or enable again) an account; a disabled one cannot sign in or use tokens."""
        if not self._store.set_account_disabled(account_id, disabled):
            raise _unknown(account_id)
        audit.record("account-disabled" if disabled else "account-enabled", account_id=account_id)
        return self.get_account(account_id)

    def get_account(self, account_id: str) -> Account:
        """Return the account; raise `AuthError` (unknown) if there is none with this id."""
        account = self._store.get_account(account_id)
        if account is None:
            raise _unknown(account_id)
        return account

    def list_accounts(self) -> list[Account]:
        """Return every account, by username."""
        return self._store.list_accounts()


def _unknown(account_id: str) -> AuthError:
    return AuthError("account", f"no account with id {account_id!r}", reason="unknown")
