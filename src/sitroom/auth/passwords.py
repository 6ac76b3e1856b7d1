"""Passwords: the rules a new one must meet, and argon2id hashing that upgrades itself."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from argon2 import PasswordHasher
from argon2.exceptions import Argon2Error

from sitroom.auth.errors import AuthError, HashingBusy

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
"""Long enough for any passphrase, short enough that hashing it cannot tie up a worker."""
DEFAULT_HASH_CONCURRENCY = 4
"""argon2id takes 64 MiB a hash by default: four at once is 256 MiB, whatever the traffic."""


def check_password(password: str, *, username: str | None = None) -> None:
    """Raise `AuthError` on ``password`` if it breaks a rule; say which rule and how to fix it."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(
            "password",
            f"a password needs at least {MIN_PASSWORD_LENGTH} characters"
            f" (this one has {len(password)}); a few words make a strong one",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AuthError("password", f"a password can have at most {MAX_PASSWORD_LENGTH} characters")
    if not password.strip():
        raise AuthError("password", "a password cannot be only spaces")
    if "\x00" in password:
        raise AuthError("password", "a password cannot contain NUL characters")
    if username is not None and password.casefold() == username.casefold():
        raise AuthError("password", "the password must not be the username")


class Passwords:
    """Hashes and verifies passwords with argon2id.

    Pass a `PasswordHasher` with other parameters to change the cost (tests use a cheap one).
    Hashes made with older parameters are reported by `needs_rehash` so the caller can store
    a fresh hash after the next successful sign-in.

    At most ``max_concurrent`` hashes run at once (each costs the hasher's memory): a caller
    that finds no free slot within ``wait`` seconds gets `HashingBusy` without hashing, so a
    burst of sign-ins cannot exhaust the server's memory.
    """

    def __init__(
        self,
        hasher: PasswordHasher | None = None,
        *,
        max_concurrent: int = DEFAULT_HASH_CONCURRENCY,
        wait: float = 0.5,
    ) -> None:
        """Use ``hasher``, or argon2-cffi's recommended argon2id parameters."""
        if max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")
        self._hasher = hasher or PasswordHasher()
        self._dummy: str | None = None
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_concurrent)
        self._wait = wait

    @contextmanager
    def _slot(self) -> Iterator[None]:
        if not self._slots.acquire(timeout=self._wait):
            raise HashingBusy()
        try:
            yield
        finally:
            self._slots.release()

    def hash(self, password: str) -> str:
        """Return the encoded argon2id hash of ``password`` (salt and parameters included)."""
        with self._slot():
            return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        """Return whether ``password`` matches ``password_hash``; a malformed hash never does.

        Raise `HashingBusy` (before hashing) when too many hashes run already.
        """
        with self._slot():
            try:
                return self._hasher.verify(password_hash, password)
            except (Argon2Error, ValueError):  # a malformed hash raises InvalidHashError
                return False

    def needs_rehash(self, password_hash: str) -> bool:
        """Return whether the hash was made with other parameters than the current ones."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except ValueError:  # InvalidHashError included
            return True

    def verify_nothing(self, password: str) -> None:
        """Spend the time of one verification, so an unknown user costs as much as a known one."""
        with self._lock:
            if self._dummy is None:
                self._dummy = self.hash(secrets.token_urlsafe(16))
            dummy = self._dummy
        self.verify(dummy, password)
