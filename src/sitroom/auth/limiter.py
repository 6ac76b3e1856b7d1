"""A failure counter per key: too many failed attempts in a window and it says wait.

A caller about to spend effort on a guess (hash a password, look up a join code) first
*reserves* the attempt: the check and the count happen under one lock, so forty guesses sent
at the same moment are forty attempts, not forty first tries. An attempt that turns out to
be right (or never happened) is *forgiven*: that one attempt is taken back, and the key's
other failures stay. Nothing is ever wiped by a success, so one right password does not buy
an attacker a fresh allowance of guesses.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sitroom.auth.errors import TooManyAttempts
from sitroom.auth.store import Clock, system_clock


@dataclass(frozen=True, slots=True)
class Attempt:
    """A reserved attempt: the keys it counts against and when it was made."""

    keys: tuple[str, ...]
    at: float


class RateLimiter:
    """Allows ``limit`` failures per key (a client address, an account) in a sliding ``window``.

    In memory and per process: with several workers each keeps its own count, which still
    makes guessing an eight-character join code hopeless. Memory is bounded by ``max_keys``.
    """

    def __init__(
        self,
        limit: int = 10,
        window: timedelta = timedelta(minutes=1),
        *,
        clock: Clock = system_clock,
        max_keys: int = 100_000,
    ) -> None:
        """Count failures per key; refuse a key with ``limit`` failures in ``window``."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if window <= timedelta(0):
            raise ValueError("window must be positive")
        self._limit = limit
        self._window = window.total_seconds()
        self._clock = clock
        self._max_keys = max_keys
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may try again; 0 if it may try now."""
        now = self._now()
        with self._lock:
            failures = self._recent(key, now)
            if failures is None or len(failures) < self._limit:
                return 0.0
            return max(0.0, failures[-self._limit] + self._window - now)

    def check(self, key: str, field: str = "code") -> None:
        """Raise `TooManyAttempts` (on ``field``) if ``key`` has failed too often lately."""
        wait = self.retry_after(key)
        if wait > 0:
            raise TooManyAttempts(field, wait)

    def reserve(self, keys: Sequence[str], field: str = "code") -> Attempt:
        """Count one attempt against every key at once, or raise `TooManyAttempts` (none counted).

        Call it *before* the work a guess costs; `forgive` the attempt if it succeeds.
        """
        now = self._now()
        unique = tuple(dict.fromkeys(keys))
        with self._lock:
            wait = 0.0
            for key in unique:
                failures = self._recent(key, now)
                if failures is not None and len(failures) >= self._limit:
                    wait = max(wait, failures[-self._limit] + self._window - now)
            if wait > 0:
                raise TooManyAttempts(field, wait)
            for key in unique:
                self._append(key, now)
        return Attempt(unique, now)

    def forgive(self, attempt: Attempt) -> None:
        """Take back one reserved attempt (it was right, or was never tried); keep the rest."""
        with self._lock:
            for key in attempt.keys:
                failures = self._failures.get(key)
                if failures is None:
                    continue
                try:
                    failures.remove(attempt.at)
                except ValueError:  # aged out or evicted meanwhile
                    continue
                if not failures:
                    del self._failures[key]

    def record_failure(self, key: str) -> None:
        """Count one failed attempt by ``key``."""
        now = self._now()
        with self._lock:
            self._append(key, now)

    def _append(self, key: str, now: float) -> None:
        failures = self._recent(key, now)
        if failures is None:
            if len(self._failures) >= self._max_keys:
                self._evict(now)
            failures = self._failures[key] = deque()
        failures.append(now)
        while len(failures) > self._limit:
            failures.popleft()

    def reset(self, key: str) -> None:
        """Forget the failures of ``key`` (an operator's tool; a success never calls it)."""
        with self._lock:
            self._failures.pop(key, None)

    def _now(self) -> float:
        return self._clock().timestamp()

    def _recent(self, key: str, now: float) -> deque[float] | None:
        failures = self._failures.get(key)
        if failures is None:
            return None
        while failures and failures[0] <= now - self._window:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return None
        return failures

    def _evict(self, now: float) -> None:
        """Drop keys whose failures have aged out, then the oldest keys if still too many."""
        for key in list(self._failures):
            self._recent(key, now)
        while len(self._failures) >= self._max_keys:
            del self._failures[next(iter(self._failures))]
