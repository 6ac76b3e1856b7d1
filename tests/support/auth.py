"""Helpers for the auth tests: a clock that moves when told, cheap password hashing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher

from sitroom.auth import Passwords

SECRET = b"a-test-secret-that-is-long-enough"
START = datetime(2027, 3, 4, 9, 0, tzinfo=UTC)


class FakeClock:
    """Returns a fixed time until `advance` moves it."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def cheap_hasher(time_cost: int = 1) -> PasswordHasher:
    """argon2id at the lowest cost: the same algorithm, a thousand times faster."""
    return PasswordHasher(time_cost=time_cost, memory_cost=8, parallelism=1)


def cheap_passwords(time_cost: int = 1) -> Passwords:
    """Password hashing for tests."""
    return Passwords(cheap_hasher(time_cost))
