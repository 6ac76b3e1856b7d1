"""The outbox: invitation and password-reset e-mail, sent and sent again until it goes through.

A message is first stored (``mail_outbox``, *queued*), then sent by whichever worker claims
it; every attempt's outcome is stored with the server's answer, so control sees *sent*,
*failed* or *bounced* (with the SMTP error) where invitations are listed, and after
``tries`` attempts *dead* (given up, shown until someone sends it again). Waits between
attempts double from ``retry`` on. Messages whose body holds a secret (a reset link) have
their body erased once they are sent or given up.

Injects are not sent from here: they go through the ``mail`` follower, whose deliveries are
events in the run's log (`sitroom.services.injectmail`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sitroom.auth.mailstore import Delivery, OutboxMessage, SqlMailStore
from sitroom.auth.store import Clock, system_clock
from sitroom.services.mailer import Letter, Mailer, MailError, message_id

log = logging.getLogger("sitroom.mail")

SECRET_KINDS = frozenset({"reset"})
"""Kinds whose body is a bearer secret: erased once the message is settled."""


def backoff(retry: float, attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: ``retry``, then doubling."""
    return timedelta(seconds=retry * 2 ** max(0, attempts - 1))


class Outbox:
    """Queues messages and delivers those that are due."""

    def __init__(
        self,
        store: SqlMailStore,
        mailer: Mailer | None,
        *,
        sender: str,
        tries: int = 6,
        retry: float = 30.0,
        hold: float = 60.0,
        clock: Clock = system_clock,
    ) -> None:
        """Keep messages in ``store``; send with ``mailer`` (None: e-mail is off)."""
        self.store = store
        self.mailer = mailer
        self.sender = sender
        self.tries = tries
        self.retry = retry
        self.hold = timedelta(seconds=hold)
        self.clock = clock
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def enabled(self) -> bool:
        """Whether an SMTP server is configured."""
        return self.mailer is not None

    def queue(
        self,
        key: str,
        *,
        kind: str,
        subject: str,
        recipient: str,
        title: str,
        body: str,
        run_id: str | None = None,
    ) -> OutboxMessage | None:
        """Store a message to send (once per ``key``); None when e-mail is off."""
        if self.mailer is None:
            return None
        now = self.clock()
        message = OutboxMessage(
            key=key,
            kind=kind,
            subject=subject,
            run_id=run_id,
            recipient=recipient,
            title=title,
            body=body,
            message_id=message_id(key, self.sender),
            state=Delivery.QUEUED,
            attempts=0,
            last_error=None,
            created_at=now,
            updated_at=now,
            next_at=now,
        )
        if not self.store.enqueue(message):
            return self.store.message(key)
        self._nudge()
        return message

    def _nudge(self) -> None:
        """Wake the delivery loop (from any thread)."""
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    def latest(self, subjects: Iterable[str]) -> dict[str, OutboxMessage]:
        """The newest message about each of ``subjects`` (those that have one)."""
        wanted = set(subjects)
        found: dict[str, OutboxMessage] = {}
        for message in self.store.messages():
            if message.subject in wanted:
                found[message.subject] = message
        return found

    def send_again(self, key: str) -> bool:
        """Put a failed, bounced or dead message back in the queue (tries counted anew)."""
        done = self.store.retry(key, self.clock())
        if done:
            self._nudge()
        return done

    def deliver_due(self) -> int:
        """Send every message that is due now; return how many were sent."""
        if self.mailer is None:
            return 0
        sent = 0
        for message in self.store.claim_due(self.clock(), self.hold):
            sent += self._deliver(message)
        return sent

    def _deliver(self, message: OutboxMessage) -> int:
        assert self.mailer is not None
        letter = Letter(message.recipient, message.title, message.body, message.message_id)
        secret = message.kind in SECRET_KINDS
        try:
            self.mailer.send(letter)
        except MailError as error:
            attempts = message.attempts + 1
            now = self.clock()
            if attempts >= self.tries:
                state = Delivery.DEAD
                log.error("gave up e-mail %s to %s: %s", message.key, message.recipient, error)
            else:
                state = Delivery.BOUNCED if error.permanent else Delivery.FAILED
                log.warning("e-mail %s to %s: %s", message.key, message.recipient, error)
            self.store.settle(
                message.key,
                state,
                now,
                error=error.text,
                next_at=now + backoff(self.retry, attempts),
                erase_body=secret and state == Delivery.DEAD,
            )
            return 0
        self.store.settle(message.key, Delivery.SENT, self.clock(), erase_body=secret)
        log.info("sent e-mail %s to %s", message.key, message.recipient)
        return 1

    async def run(self, tick: float) -> None:
        """Deliver until cancelled: at every tick, and at once when something is queued."""
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            try:
                await asyncio.to_thread(self.deliver_due)
            except Exception:  # the loop must outlive a bad round; the error is logged
                log.exception("the e-mail outbox could not deliver")
            try:
                await asyncio.wait_for(self._wake.wait(), tick)
            except TimeoutError:
                pass


def due_in(message: OutboxMessage, now: datetime) -> float:
    """Seconds until the message's next attempt (0: due)."""
    return max(0.0, (message.next_at - now).total_seconds())


def delivery_view(message: OutboxMessage) -> dict[str, Any]:
    return {
        "address": message.recipient,
        "state": message.state.value,
        "attempts": message.attempts,
        "error": message.last_error,
        "updated_at": message.updated_at.isoformat(),
        "next_at": message.next_at.isoformat(),
    }
