"""The in-process broker, and choosing a broker from configuration."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from sitroom.realtime import Broker, MemoryBroker, make_broker
from sitroom.realtime.redisbroker import RedisBroker, channel_pattern, redacted


@pytest.mark.asyncio
async def test_one_publish_wakes_every_waiter() -> None:
    broker = MemoryBroker()
    await broker.start()
    waiters = [asyncio.create_task(broker.wait_beyond("run-1", 0, 5.0)) for _ in range(1000)]
    await asyncio.sleep(0)  # let every waiter start waiting
    started = time.perf_counter()
    await broker.publish("run-1", 7)
    results = await asyncio.gather(*waiters)
    assert results == [7] * 1000
    assert time.perf_counter() - started < 1.0


@pytest.mark.asyncio
async def test_waiters_of_other_runs_keep_sleeping() -> None:
    broker = MemoryBroker()
    other = asyncio.create_task(broker.wait_beyond("run-2", 0, 0.1))
    await asyncio.sleep(0)
    await broker.publish("run-1", 3)
    assert await other == 0
    assert broker.latest("run-1") == 3


@pytest.mark.asyncio
async def test_timeout_returns_latest() -> None:
    broker = MemoryBroker()
    await broker.publish("run-1", 4)
    started = time.perf_counter()
    assert await broker.wait_beyond("run-1", 4, 0.05) == 4
    assert time.perf_counter() - started >= 0.04


@pytest.mark.asyncio
async def test_unknown_run_is_at_zero() -> None:
    broker = MemoryBroker()
    assert broker.latest("nobody") == 0
    assert await broker.wait_beyond("nobody", 0, 0.01) == 0


@pytest.mark.asyncio
async def test_wait_returns_at_once_when_already_beyond() -> None:
    broker = MemoryBroker()
    await broker.publish("run-1", 9)
    started = time.perf_counter()
    assert await broker.wait_beyond("run-1", 5, 10.0) == 9
    assert time.perf_counter() - started < 0.5


@pytest.mark.asyncio
async def test_a_late_announcement_never_lowers_latest() -> None:
    broker = MemoryBroker()
    await broker.publish("run-1", 9)
    await broker.publish("run-1", 4)
    assert broker.latest("run-1") == 9


@pytest.mark.asyncio
async def test_a_waiter_below_the_new_mark_keeps_waiting() -> None:
    broker = MemoryBroker()
    waiter = asyncio.create_task(broker.wait_beyond("run-1", 5, 5.0))
    await asyncio.sleep(0)
    await broker.publish("run-1", 3)
    await asyncio.sleep(0.01)
    assert not waiter.done()
    await broker.publish("run-1", 6)
    assert await waiter == 6


@pytest.mark.asyncio
async def test_a_cancelled_waiter_does_not_disturb_the_others() -> None:
    broker = MemoryBroker()
    leaving = asyncio.create_task(broker.wait_beyond("run-1", 0, 5.0))
    staying = asyncio.create_task(broker.wait_beyond("run-1", 0, 5.0))
    await asyncio.sleep(0)
    leaving.cancel()
    await broker.publish("run-1", 1)
    assert await staying == 1
    with pytest.raises(asyncio.CancelledError):
        await leaving


@pytest.mark.asyncio
async def test_publish_threadsafe_from_a_worker_thread_wakes_waiters() -> None:
    broker = MemoryBroker()
    await broker.start()
    waiter = asyncio.create_task(broker.wait_beyond("run-1", 0, 5.0))
    await asyncio.sleep(0)
    worker = threading.Thread(target=broker.publish_threadsafe, args=("run-1", 12))
    worker.start()
    assert await waiter == 12
    worker.join()
    assert broker.latest("run-1") == 12


@pytest.mark.asyncio
async def test_publish_threadsafe_through_the_thread_pool() -> None:
    broker = MemoryBroker()
    await broker.start()
    waiter = asyncio.create_task(broker.wait_beyond("run-1", 2, 5.0))
    await asyncio.to_thread(broker.publish_threadsafe, "run-1", 3)
    assert await waiter == 3


@pytest.mark.asyncio
async def test_publish_threadsafe_on_the_loop_thread_applies_at_once() -> None:
    broker = MemoryBroker()
    await broker.start()
    broker.publish_threadsafe("run-1", 5)
    assert broker.latest("run-1") == 5


def test_publish_threadsafe_before_start_is_dropped_without_error() -> None:
    broker = MemoryBroker()
    broker.publish_threadsafe("run-1", 5)  # nobody in this process can be waiting yet
    assert broker.latest("run-1") == 0


def test_publish_threadsafe_after_the_loop_closed_does_not_raise() -> None:
    broker = MemoryBroker()
    loop = asyncio.new_event_loop()
    loop.run_until_complete(broker.start())
    loop.close()
    broker.publish_threadsafe("run-1", 5)


def test_memory_broker_is_a_broker() -> None:
    assert isinstance(MemoryBroker(), Broker)


@pytest.mark.parametrize("url", [None, ""])
def test_no_redis_url_makes_the_in_process_broker(url: str | None) -> None:
    assert isinstance(make_broker(url), MemoryBroker)


def test_a_redis_url_makes_a_redis_broker_without_connecting() -> None:
    broker = make_broker("redis://127.0.0.1:1/0", prefix="ex:")
    assert isinstance(broker, RedisBroker)
    assert isinstance(broker, Broker)
    assert broker.prefix == "ex:"
    assert not broker.subscribed


@pytest.mark.parametrize("url", ["http://localhost:6379", "localhost:6379"])
def test_a_url_that_is_not_redis_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="not a Redis URL"):
        make_broker(url)


def test_an_empty_prefix_is_refused() -> None:
    with pytest.raises(ValueError, match="prefix"):
        make_broker("redis://127.0.0.1:6379/0", prefix="")


def test_glob_characters_in_the_prefix_are_matched_literally() -> None:
    assert channel_pattern("sitroom:") == "sitroom:run:*"
    assert channel_pattern("a*b?[c]\\:") == "a\\*b\\?\\[c\\]\\\\:run:*"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("redis://:s3cret@cache:6379/0", "redis://:***@cache:6379/0"),
        ("rediss://app:s3cret@cache.example:6380/1", "rediss://app:***@cache.example:6380/1"),
    ],
)
def test_the_redis_password_never_reaches_the_logs(url: str, shown: str) -> None:
    assert redacted(url) == shown
