"""The rate limiter: failures per client in a sliding window."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sitroom.auth import RateLimiter, TooManyAttempts
from tests.support.auth import FakeClock


def test_ten_failures_a_minute_then_the_client_waits() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    for _ in range(10):
        limiter.check("10.0.0.1")
        limiter.record_failure("10.0.0.1")
        clock.advance(seconds=1)
    with pytest.raises(TooManyAttempts) as caught:
        limiter.check("10.0.0.1")
    assert caught.value.retry_after == pytest.approx(50)
    assert "50 seconds" in caught.value.message
    limiter.check("10.0.0.2")  # other clients are not affected


def test_the_window_slides() -> None:
    clock = FakeClock()
    limiter = RateLimiter(limit=2, window=timedelta(seconds=10), clock=clock)
    limiter.record_failure("a")
    clock.advance(seconds=6)
    limiter.record_failure("a")
    assert limiter.retry_after("a") == pytest.approx(4)
    clock.advance(seconds=4)
    assert limiter.retry_after("a") == 0
    limiter.record_failure("a")
    assert limiter.retry_after("a") == pytest.approx(6)


def test_reset_forgets_a_client() -> None:
    limiter = RateLimiter(limit=1, clock=FakeClock())
    limiter.record_failure("a")
    assert limiter.retry_after("a") > 0
    limiter.reset("a")
    assert limiter.retry_after("a") == 0


def test_memory_stays_bounded_under_many_addresses() -> None:
    clock = FakeClock()
    limiter = RateLimiter(limit=1, clock=clock, max_keys=100)
    for index in range(1000):
        limiter.record_failure(f"10.0.{index // 256}.{index % 256}")
    assert limiter.retry_after("10.0.3.231") > 0  # the most recent is kept
    assert limiter.retry_after("10.0.0.0") == 0  # the oldest were dropped


@pytest.mark.parametrize(("limit", "seconds"), [(0, 60), (10, 0)])
def test_a_limiter_needs_a_limit_and_a_window(limit: int, seconds: int) -> None:
    with pytest.raises(ValueError):
        RateLimiter(limit=limit, window=timedelta(seconds=seconds))
