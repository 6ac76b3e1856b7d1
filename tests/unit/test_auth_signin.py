"""Password sign-in limits: per address and per account, reserved before hashing, capped.

These are the controls against online password guessing: the attempt is counted before the
password is hashed (so concurrent guesses count), a right password takes back only its own
attempt (so it does not wipe an address's failures), failures are counted per account as
well as per address, and no more than a few hashes run at once.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from argon2 import PasswordHasher

from sitroom.auth import (
    AuthError,
    HashingBusy,
    MemoryAuthStore,
    Passwords,
    RateLimiter,
    TooManyAttempts,
    build_auth,
)
from sitroom.config import Settings
from sitroom.services.identity import Identity
from tests.support.auth import SECRET, FakeClock
from tests.support.threads import run_threads

RIGHT = "correct horse battery"


class CountingHasher(PasswordHasher):
    """A cheap argon2id that counts the verifications and how many ran at once."""

    def __init__(self, delay: float = 0.0) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.delay = delay
        self.verified = 0
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> Any:
        with self._lock:
            self.verified += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            time.sleep(self.delay)
            return super().verify(hash, password)
        finally:
            with self._lock:
                self.running -= 1


def identity_with(passwords: Passwords, clock: FakeClock | None = None) -> Identity:
    clock = clock or FakeClock()
    auth = build_auth(MemoryAuthStore(), SECRET, clock=clock, passwords=passwords)
    identity = Identity(auth, Settings(secret_key=SECRET))
    identity.create_account("alice", RIGHT, "admin", "Alice")
    identity.create_account("bob", RIGHT, "facilitator", "Bob")
    return identity


def test_a_right_password_does_not_wipe_the_addresss_failures() -> None:
    identity = identity_with(Passwords(CountingHasher()))
    for _ in range(9):
        with pytest.raises(AuthError):
            identity.login("bob", "wrong password", "10.0.0.9")
    identity.login("alice", RIGHT, "10.0.0.9")  # the attacker's own account
    with pytest.raises(AuthError):
        identity.login("bob", "wrong password", "10.0.0.9")  # the tenth failure
    with pytest.raises(TooManyAttempts) as caught:
        identity.login("bob", "another guess", "10.0.0.9")
    assert caught.value.status == 429


def test_failures_are_counted_per_account_from_any_address() -> None:
    identity = identity_with(Passwords(CountingHasher()))
    for n in range(10):
        with pytest.raises(AuthError):
            identity.login("bob", f"guess {n}", f"10.0.1.{n}")
    with pytest.raises(TooManyAttempts):
        identity.login("BOB", "guess from a fresh address", "10.0.2.1")
    identity.login("alice", RIGHT, "10.0.2.1")  # other accounts are not affected


def test_concurrent_guesses_are_counted_before_any_is_hashed() -> None:
    hasher = CountingHasher(delay=0.05)
    identity = identity_with(Passwords(hasher, max_concurrent=40, wait=5))
    hasher.verified = 0
    outcomes: list[str] = []

    def guess(index: int) -> None:
        try:
            identity.login("bob", f"guess {index}", "10.0.0.66")
        except TooManyAttempts:
            outcomes.append("throttled")
        except AuthError:
            outcomes.append("wrong")

    run_threads(40, guess)
    assert outcomes.count("wrong") == 10
    assert outcomes.count("throttled") == 30
    assert hasher.verified == 10


def test_hashing_is_capped_and_the_rest_are_answered_at_once() -> None:
    hasher = CountingHasher(delay=0.3)
    identity = identity_with(Passwords(hasher, max_concurrent=2, wait=0))
    hasher.verified = hasher.most_at_once = 0
    busy: list[float] = []

    def sign_in(index: int) -> None:
        started = time.monotonic()
        try:
            identity.login("alice" if index % 2 else "bob", RIGHT, f"10.0.3.{index}")
        except HashingBusy as error:
            assert error.status == 503
            busy.append(time.monotonic() - started)

    run_threads(12, sign_in)
    assert hasher.most_at_once <= 2
    assert len(busy) >= 8 and max(busy) < 0.2  # refused without waiting for a hash
    assert hasher.verified == 12 - len(busy)


def test_a_busy_refusal_is_not_counted_as_a_failure() -> None:
    passwords = Passwords(CountingHasher(), max_concurrent=1, wait=0)
    identity = identity_with(passwords)
    limiter = identity.auth.login_limiter
    with passwords._slot():  # every slot taken: the next check is refused at once
        for _ in range(12):
            with pytest.raises(HashingBusy):
                identity.login("bob", RIGHT, "10.0.0.5")
    assert limiter.retry_after("address:10.0.0.5") == 0
    identity.login("bob", RIGHT, "10.0.0.5")


def test_a_reserved_attempt_that_is_forgiven_leaves_the_others() -> None:
    limiter = RateLimiter(limit=3, clock=FakeClock())
    first = limiter.reserve(["a", "b"])
    limiter.reserve(["a"])
    limiter.reserve(["a"])
    with pytest.raises(TooManyAttempts):
        limiter.reserve(["a", "c"])
    assert limiter.retry_after("c") == 0  # a refused reservation counts nowhere
    limiter.forgive(first)
    limiter.reserve(["a"])
    assert limiter.retry_after("a") > 0
    assert limiter.retry_after("b") == 0
