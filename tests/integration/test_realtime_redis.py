"""The Redis broker: announcements cross workers, prefixes isolate, the listener reconnects.

Redis is reached at ``SITROOM_TEST_REDIS`` (default ``redis://127.0.0.1:6379/0``). Every test
uses a random channel prefix; pub/sub leaves no keys behind. If the server cannot be reached
the tests fail, unless ``SITROOM_SKIP_REDIS=1``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import urlsplit

import pytest
import pytest_asyncio
import redis
import redis.asyncio

from sitroom.realtime import Broker
from sitroom.realtime.redisbroker import RedisBroker

DEFAULT_REDIS = "redis://127.0.0.1:6379/0"

pytestmark = pytest.mark.redis

MakeBroker = Callable[..., Awaitable[RedisBroker]]


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The URL of a reachable Redis server."""
    if os.environ.get("SITROOM_SKIP_REDIS") == "1":
        pytest.skip("SITROOM_SKIP_REDIS=1")
    url = os.environ.get("SITROOM_TEST_REDIS", DEFAULT_REDIS)
    problem = None
    try:
        with redis.Redis.from_url(url, socket_connect_timeout=3) as client:
            client.ping()
    except redis.RedisError as error:
        problem = error
    if problem is not None:
        pytest.fail(
            f"Redis at {url} cannot be reached: {problem}\n"
            "Start the server (or point SITROOM_TEST_REDIS at one), "
            "or set SITROOM_SKIP_REDIS=1 to skip the Redis tests.",
            pytrace=False,
        )
    return url


@pytest.fixture
def prefix() -> str:
    return f"sitroom-test-{secrets.token_hex(4)}:"


@pytest_asyncio.fixture
async def make_broker(redis_url: str, prefix: str) -> AsyncIterator[MakeBroker]:
    """Start brokers (each one a "worker" with its own connections); close them afterwards."""
    started: list[RedisBroker] = []

    async def make(chosen_prefix: str = prefix, **options: float) -> RedisBroker:
        broker = RedisBroker(redis_url, chosen_prefix, **options)
        started.append(broker)
        await broker.start()
        assert broker.subscribed
        return broker

    yield make
    for broker in started:
        await broker.close()


@pytest.mark.asyncio
async def test_a_publish_on_one_worker_wakes_a_waiter_on_another(make_broker: MakeBroker) -> None:
    a, b = await make_broker(), await make_broker()
    assert isinstance(a, Broker)
    waiter = asyncio.create_task(b.wait_beyond("run-1", 0, 5.0))
    await asyncio.sleep(0)
    started = time.perf_counter()
    await a.publish("run-1", 4)
    assert await waiter == 4
    assert time.perf_counter() - started < 1.0
    assert b.latest("run-1") == 4


@pytest.mark.asyncio
async def test_many_waiters_on_another_worker_wake_on_one_publish(
    make_broker: MakeBroker,
) -> None:
    a, b = await make_broker(), await make_broker()
    waiters = [asyncio.create_task(b.wait_beyond("run-1", 0, 5.0)) for _ in range(500)]
    await asyncio.sleep(0)
    await a.publish("run-1", 2)
    assert await asyncio.gather(*waiters) == [2] * 500


@pytest.mark.asyncio
async def test_publish_raises_the_local_mark_at_once(make_broker: MakeBroker) -> None:
    a = await make_broker()
    await a.publish("run-1", 3)
    assert a.latest("run-1") == 3
    assert await a.wait_beyond("run-1", 2, 0.0) == 3


@pytest.mark.asyncio
async def test_publish_threadsafe_reaches_the_other_worker(make_broker: MakeBroker) -> None:
    a, b = await make_broker(), await make_broker()
    waiter = asyncio.create_task(b.wait_beyond("run-1", 0, 5.0))
    await asyncio.to_thread(a.publish_threadsafe, "run-1", 6)
    assert await waiter == 6


@pytest.mark.asyncio
async def test_runs_do_not_wake_each_other(make_broker: MakeBroker) -> None:
    a, b = await make_broker(), await make_broker()
    other = asyncio.create_task(b.wait_beyond("run-2", 0, 0.3))
    await a.publish("run-1", 1)
    assert await other == 0
    assert await b.wait_beyond("run-1", 0, 2.0) == 1


@pytest.mark.asyncio
async def test_a_different_prefix_is_isolated(make_broker: MakeBroker, prefix: str) -> None:
    a = await make_broker()
    same = await make_broker()
    other = await make_broker(f"other-{prefix}")
    glob = await make_broker(prefix.replace(":", "*:"))  # a pattern would match if unescaped
    isolated = [asyncio.create_task(b.wait_beyond("run-1", 0, 0.3)) for b in (other, glob)]
    await a.publish("run-1", 5)
    assert await same.wait_beyond("run-1", 0, 2.0) == 5
    assert await asyncio.gather(*isolated) == [0, 0]


@pytest.mark.asyncio
async def test_run_ids_with_separators_survive_the_round_trip(make_broker: MakeBroker) -> None:
    a, b = await make_broker(), await make_broker()
    run_id = "exercise:2027/day-1 run*"
    await a.publish(run_id, 8)
    assert await b.wait_beyond(run_id, 0, 2.0) == 8


@pytest.mark.asyncio
async def test_garbage_on_a_run_channel_is_ignored(
    make_broker: MakeBroker, redis_url: str, prefix: str
) -> None:
    b = await make_broker()
    async with redis.asyncio.Redis.from_url(redis_url) as client:
        await client.publish(f"{prefix}run:run-1", "not-a-number")
        await client.publish(f"{prefix}run:run-1", "-3")
        await client.publish(f"{prefix}run:run-1", "2")
    assert await b.wait_beyond("run-1", 0, 2.0) == 2
    assert b.subscribed


@pytest.mark.asyncio
async def test_the_listener_reconnects_after_redis_drops_it(
    make_broker: MakeBroker, redis_url: str
) -> None:
    a, b = await make_broker(), await make_broker(reconnect_min=0.01, reconnect_max=0.1)
    async with redis.asyncio.Redis.from_url(redis_url) as admin:
        clients = await admin.client_list()
        (listener,) = [c for c in clients if c["name"] == b.listener_name]
        await admin.client_kill_filter(_id=listener["id"])
    for _ in range(200):  # it notices, backs off, resubscribes
        await asyncio.sleep(0.01)
        if b.subscribed:
            break
    assert b.subscribed
    await a.publish("run-1", 9)
    assert await b.wait_beyond("run-1", 0, 2.0) == 9


class FreezableProxy:
    """A TCP relay to Redis that can stop relaying without closing anything (a partition)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.writers: list[asyncio.StreamWriter] = []
        self.tasks: set[asyncio.Task[None]] = set()
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"redis://127.0.0.1:{port}/0"

    async def close(self) -> None:
        assert self.server is not None
        self.server.close()
        self.flowing.set()
        for writer in self.writers:
            writer.close()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for writer in self.writers:
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        await self.server.wait_closed()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(self.host, self.port)
        self.writers += [writer, up_writer]
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await source.read(65536):
                await self.flowing.wait()
                sink.write(data)
                await sink.drain()
        sink.close()


@pytest.mark.asyncio
async def test_a_silent_connection_is_noticed_by_ping(redis_url: str, prefix: str) -> None:
    target = urlsplit(redis_url)
    if target.scheme != "redis":
        pytest.skip("the partition test relays TCP only")
    proxy = FreezableProxy(target.hostname or "127.0.0.1", target.port or 6379)
    url = await proxy.start()
    b = RedisBroker(url, prefix, ping_interval=0.1, reconnect_min=0.01, reconnect_max=0.05)
    try:
        await b.start()
        assert b.subscribed
        proxy.flowing.clear()  # packets stop; no connection is closed
        for _ in range(300):
            await asyncio.sleep(0.01)
            if not b.subscribed:
                break
        assert not b.subscribed, "the unanswered PING was not taken as a lost connection"
        proxy.flowing.set()
        for _ in range(300):
            await asyncio.sleep(0.01)
            if b.subscribed:
                break
        assert b.subscribed
        async with redis.asyncio.Redis.from_url(redis_url) as client:
            await client.publish(f"{prefix}run:run-1", "7")
        assert await b.wait_beyond("run-1", 0, 2.0) == 7
    finally:
        await b.close()
        await proxy.close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.asyncio
async def test_without_redis_the_broker_still_serves_its_own_process() -> None:
    broker = RedisBroker(f"redis://127.0.0.1:{_closed_port()}/0", start_timeout=0.2)
    await broker.start()  # logs a warning, does not raise
    try:
        assert not broker.subscribed
        waiter = asyncio.create_task(broker.wait_beyond("run-1", 0, 2.0))
        await broker.publish("run-1", 3)  # never raises on transport failure
        assert await waiter == 3
        started = time.perf_counter()
        assert await broker.wait_beyond("run-1", 3, 0.1) == 3  # waiters still time out
        assert time.perf_counter() - started < 1.0
    finally:
        await broker.close()
