"""The Redis broker: announcements between the worker processes that serve the same runs.

Each announcement is ``PUBLISH {prefix}run:{run_id} {seq}``. Every process keeps one listener
(``PSUBSCRIBE {prefix}run:*``) that raises its local watermarks, so the streams of a process
wait on local events only. Publishing raises the local watermark at once and hands the message
to one sender task, which coalesces announcements per run ("up to N" supersedes "up to N-1"),
so a slow or absent Redis never holds up the command that appended the events.

When Redis drops, the listener reconnects with jittered exponential backoff. Messages sent
meanwhile are lost, which costs nothing but latency: streams re-read the log on every timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import secrets
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from sitroom.realtime.watermark import Watermarks, call_on_loop

logger = logging.getLogger(__name__)

_GLOB_SPECIALS = frozenset("*?[]\\")
_TRANSPORT_ERRORS = (OSError, RedisConnectionError, RedisTimeoutError)


def channel_pattern(prefix: str) -> str:
    """The ``PSUBSCRIBE`` pattern matching every run channel under ``prefix`` (and only those)."""
    escaped = "".join("\\" + char if char in _GLOB_SPECIALS else char for char in prefix)
    return f"{escaped}run:*"


def redacted(url: str) -> str:
    """``url`` without its password, fit for logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


class RedisBroker:
    """Announcements through Redis pub/sub, for many workers serving the same runs."""

    def __init__(
        self,
        url: str,
        prefix: str = "sitroom:",
        *,
        start_timeout: float = 2.0,
        io_timeout: float = 2.0,
        ping_interval: float = 5.0,
        reconnect_min: float = 0.05,
        reconnect_max: float = 5.0,
    ) -> None:
        """Prepare a broker for ``url``; nothing connects until ``start``.

        ``start_timeout`` bounds how long ``start`` waits for the subscription before carrying
        on without it; ``io_timeout`` bounds connecting and publishing; the listener pings
        Redis after ``ping_interval`` quiet seconds and reconnects if no reply comes within
        another interval; reconnection waits grow from ``reconnect_min`` to ``reconnect_max``.
        """
        self.url = url
        self.prefix = prefix
        self._shown_url = redacted(url)
        self.listener_name = f"sitroom-listener-{os.getpid()}-{secrets.token_hex(4)}"
        """The Redis client name of the listener connection (see ``CLIENT LIST``)."""
        self._start_timeout = start_timeout
        self._io_timeout = io_timeout
        self._ping_interval = ping_interval
        self._reconnect_min = reconnect_min
        self._reconnect_max = reconnect_max
        self._pattern = channel_pattern(prefix)
        self._head = f"{prefix}run:".encode()
        self._marks = Watermarks()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._publisher: Redis | None = None
        self._pending: dict[str, int] = {}
        self._pending_ready = asyncio.Event()
        self._subscribed = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._listener_down = False
        self._listener_failures = 0
        self._publisher_down = False

    @property
    def subscribed(self) -> bool:
        """Whether the listener is subscribed right now."""
        return self._subscribed.is_set()

    async def start(self) -> None:
        """Start the listener and the sender, then wait (briefly) for the subscription.

        If Redis cannot be reached within ``start_timeout`` this logs a warning and returns:
        the listener keeps trying in the background, and streams fall back to re-reading the
        log on every heartbeat until it succeeds.
        """
        if self._tasks:
            return
        self._loop = loop = asyncio.get_running_loop()
        self._publisher = Redis.from_url(
            self.url,
            socket_connect_timeout=self._io_timeout,
            socket_timeout=self._io_timeout,
            retry=Retry(NoBackoff(), 1),  # one retry replaces a connection Redis has dropped
        )
        self._tasks = [
            loop.create_task(self._listen(), name="sitroom-redis-listener"),
            loop.create_task(self._send(), name="sitroom-redis-sender"),
        ]
        try:
            async with asyncio.timeout(self._start_timeout):
                await self._subscribed.wait()
        except TimeoutError:
            logger.warning(
                "Redis at %s: not subscribed after %.1f s; carrying on, retrying in the background",
                self._shown_url,
                self._start_timeout,
            )

    async def close(self) -> None:
        """Stop the listener and the sender and close the connections."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._publisher is not None:
            publisher, self._publisher = self._publisher, None
            await publisher.aclose()

    async def publish(self, run_id: str, seq: int) -> None:
        """Raise the local watermark now and queue the announcement for the other workers."""
        self._note(run_id, seq)

    def publish_threadsafe(self, run_id: str, seq: int) -> None:
        """Schedule ``publish`` on the broker's loop from any thread."""
        call_on_loop(self._loop, self._note, run_id, seq)

    def latest(self, run_id: str) -> int:
        """The highest sequence number this process has published or heard for ``run_id``."""
        return self._marks.latest(run_id)

    async def wait_beyond(self, run_id: str, after: int, timeout: float) -> int:
        """Return as soon as ``latest(run_id) > after``, else ``latest`` after ``timeout`` s."""
        return await self._marks.wait_beyond(run_id, after, timeout)

    def _note(self, run_id: str, seq: int) -> None:
        self._marks.raise_to(run_id, seq)
        if seq > self._pending.get(run_id, 0):
            self._pending[run_id] = seq
            self._pending_ready.set()

    async def _send(self) -> None:
        while True:
            await self._pending_ready.wait()
            self._pending_ready.clear()
            batch, self._pending = self._pending, {}
            try:
                await self._publish_batch(batch)
            except Exception as error:
                if not self._publisher_down:
                    logger.warning(
                        "Redis at %s: could not publish %d announcement(s) (%s); "
                        "streams will find the events on their next re-read",
                        self._shown_url,
                        len(batch),
                        error or type(error).__name__,
                    )
                self._publisher_down = True
            else:
                if self._publisher_down:
                    logger.info("Redis at %s: publishing again", self._shown_url)
                self._publisher_down = False

    async def _publish_batch(self, batch: dict[str, int]) -> None:
        assert self._publisher is not None
        async with asyncio.timeout(self._io_timeout * 2):
            async with self._publisher.pipeline(transaction=False) as pipe:
                for run_id, seq in batch.items():
                    pipe.publish(f"{self.prefix}run:{run_id}", seq)
                await pipe.execute()

    async def _listen(self) -> None:
        while True:
            client = Redis.from_url(
                self.url,
                client_name=self.listener_name,
                socket_connect_timeout=self._io_timeout,
                socket_timeout=self._io_timeout,
                retry=Retry(NoBackoff(), 0),  # reconnecting is this loop's job
            )
            pubsub = client.pubsub()
            try:
                await pubsub.psubscribe(self._pattern)
                await self._pump(pubsub)
            except Exception as error:
                self._subscribed.clear()
                if self._listener_down:
                    logger.debug("Redis at %s: still unreachable (%s)", self._shown_url, error)
                else:
                    logger.warning(
                        "Redis at %s: listener lost (%s); reconnecting with backoff",
                        self._shown_url,
                        error or type(error).__name__,
                        exc_info=not isinstance(error, _TRANSPORT_ERRORS),
                    )
                self._listener_down = True
                self._listener_failures += 1
            finally:
                self._subscribed.clear()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call,unused-ignore]  # typed from redis 8
                with contextlib.suppress(Exception):
                    await client.aclose()
            exponent = min(max(self._listener_failures - 1, 0), 20)
            delay = min(self._reconnect_max, self._reconnect_min * 2**exponent)
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))

    async def _pump(self, pubsub: PubSub) -> None:
        """Handle messages until the connection fails; a ping without reply counts as failed."""
        awaiting_pong = False
        while True:
            message: dict[str, Any] | None = await pubsub.get_message(timeout=self._ping_interval)
            if message is None:
                if awaiting_pong:
                    raise RedisConnectionError(
                        f"no reply to PING within {self._ping_interval:.1f} s"
                    )
                await pubsub.ping()
                awaiting_pong = True
                continue
            awaiting_pong = False
            kind = message["type"]
            if kind == "pmessage":
                self._hear(message["channel"], message["data"])
            elif kind == "psubscribe":
                self._subscribed.set()
                self._listener_failures = 0
                if self._listener_down:
                    logger.info("Redis at %s: listener subscribed again", self._shown_url)
                self._listener_down = False

    def _hear(self, channel: bytes, data: bytes) -> None:
        if not channel.startswith(self._head):
            return
        try:
            run_id = channel[len(self._head) :].decode()
            seq = int(data)
        except ValueError:
            logger.debug("ignoring malformed announcement %r on %r", data, channel)
            return
        if seq > 0:
            self._marks.raise_to(run_id, seq)
