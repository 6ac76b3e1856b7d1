"""Sending what is due: one delivery in flight per subscription, retries with backoff.

Every process that runs the webhook follower runs a sender. Each one asks the outbox for the
deliveries whose time has come, *claims* one (``HookStore.claim``: only one process holds a
delivery at a time), posts it signed (Standard Webhooks headers, the same ``webhook-id`` on
every attempt), and records the attempt: 2xx delivers it; anything else — another status, a
refused connection, a timeout — schedules the next attempt after an exponential backoff
with jitter, and the last allowed attempt makes it *dead* (the dead-letter list, from which
control redelivers).

A slow receiver holds only its own subscription's slot, for at most the timeout: other
subscriptions are sent beside it, and nothing of the run waits for any of them. A process
killed mid-delivery leaves its claim to run out (twice the timeout), after which the
delivery is sent again with the same id: at least once, and the receiver can drop the
repeat by the id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable

import httpx

from sitroom import __version__
from sitroom.services.hooks.addresses import AddressPolicy, AddressRefused
from sitroom.services.hooks.service import now_ms
from sitroom.services.hooks.signature import headers
from sitroom.services.hooks.store import Attempt, Due, HookStore

log = logging.getLogger("sitroom.webhooks")

MAX_BACKOFF = 3600.0
"""The longest wait between two attempts, in seconds."""


def backoff(attempts: int, base: float, rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait after ``attempts`` failed attempts: ``base·2^(attempts−1)`` (at most
    an hour), of which a random half is taken off, so receivers that come back are not hit by
    every sender at the same moment."""
    delay: float = min(MAX_BACKOFF, base * 2.0 ** max(0, attempts - 1))
    return delay * (0.5 + 0.5 * float(rand()))


class Sender:
    """Sends the outbox's due deliveries until cancelled."""

    def __init__(
        self,
        store: HookStore,
        policy: AddressPolicy,
        *,
        timeout: float,
        attempts: int,
        backoff_base: float,
        poll: float = 1.0,
        clock_ms: Callable[[], int] = now_ms,
    ) -> None:
        self.store = store
        self.policy = policy
        self.timeout = timeout
        self.attempts = attempts
        self.backoff_base = backoff_base
        self.poll = poll
        self.clock_ms = clock_ms
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._inflight: dict[str, asyncio.Task[None]] = {}

    def wake(self) -> None:
        """Look at the outbox now (safe from any thread): something was queued."""
        loop, event = self._loop, self._wake
        if loop is not None and event is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(event.set)

    async def run(self) -> None:
        """Send until cancelled; deliveries in flight are cancelled with it (their claims run
        out and another round sends them again)."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        client = httpx.AsyncClient(follow_redirects=False, limits=limits, trust_env=False)
        try:
            while True:
                try:
                    await self._round(client)
                except Exception:  # a bad round (the database away) must not end the sender
                    log.exception("webhook sender: round failed; trying again")
                await self._sleep()
        finally:
            tasks = list(self._inflight.values())
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await client.aclose()

    async def _sleep(self) -> None:
        assert self._wake is not None
        wait = self.poll
        with contextlib.suppress(Exception):
            upcoming = await asyncio.to_thread(self.store.next_due)
            if upcoming is not None:
                wait = min(wait, max(0.0, (upcoming - self.clock_ms()) / 1000))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=max(wait, 0.02))
        self._wake.clear()

    async def _round(self, client: httpx.AsyncClient) -> None:
        for sub_id, task in list(self._inflight.items()):
            if task.done():
                del self._inflight[sub_id]
        now = self.clock_ms()
        for due in await asyncio.to_thread(self.store.due, now):
            sub_id = due.delivery.subscription_id
            if sub_id in self._inflight:
                continue  # one at a time per subscription: a slow one waits for itself
            until = now + int((2 * self.timeout + 1) * 1000)
            if not await asyncio.to_thread(self.store.claim, due.delivery.id, now, until):
                continue  # another process sends it
            task = asyncio.create_task(self._send(client, due), name=f"webhook {due.delivery.id}")
            task.add_done_callback(lambda _t: self.wake())
            self._inflight[sub_id] = task

    async def _send(self, client: httpx.AsyncClient, due: Due) -> None:
        delivery = due.delivery
        body = delivery.body.encode()
        started_ms = self.clock_ms()
        started = time.monotonic()
        code: int | None = None
        error: str | None = None
        try:
            await asyncio.to_thread(self.policy.check, due.url)
            stamp = int(time.time())
            sent = {
                **headers(due.secret, delivery.id, stamp, body),
                "content-type": "application/json",
                "user-agent": f"sitroom/{__version__} (webhooks)",
            }
            reply = await asyncio.wait_for(
                client.post(due.url, content=body, headers=sent, timeout=self.timeout),
                timeout=self.timeout,
            )
            code = reply.status_code
        except AddressRefused as refused:
            error = f"refused: {refused}"
        except TimeoutError:
            error = f"timed out after {self.timeout:g} s"
        except httpx.TimeoutException:
            error = f"timed out after {self.timeout:g} s"
        except httpx.HTTPError as failed:
            error = f"{type(failed).__name__}: {failed}"[:500]
        duration = int((time.monotonic() - started) * 1000)
        attempt = Attempt(0, started_ms, code, error, duration)
        tried = delivery.attempts + 1
        if code is not None and 200 <= code < 300:
            status, next_at = "delivered", 0
        elif tried >= self.attempts:
            status, next_at = "dead", 0
        else:
            wait = backoff(tried, self.backoff_base)
            status, next_at = "pending", self.clock_ms() + int(wait * 1000)
        try:
            await asyncio.to_thread(
                self.store.record, delivery.id, attempt, status=status, next_at=next_at
            )
        except Exception:  # the claim runs out and the delivery is sent again, same id
            log.exception("webhook %s: could not record the attempt", delivery.id)
            return
        log.info("webhook %s try %d: %s", delivery.id, tried, code if code else error)
