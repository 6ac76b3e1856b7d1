"""Webhooks of a run, as control manages them: subscribe, read the delivery log, redeliver.

A subscription names an **audience** — ``control``, ``observer``, ``party:<id>`` (a party's
view, as an observer of that party sees it) or ``team:<id>`` (a team's view, as its players
see it) — and every body it receives is made from the event as that audience's principal
sees it through the visibility gate (``Engine.view``). Nothing reaches a URL that the
audience could not read in the run's own pages.

``enqueue`` is the follower's half of the work: it reads the log after each subscription's
cursor and puts what the subscription may see, in the shape it asked for, into the outbox —
together with the new cursor, in one transaction (``HookStore.enqueue``).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sitroom.conduct.events import EVENT_TYPES
from sitroom.conduct.principal import Principal, Role
from sitroom.package.model import text_in
from sitroom.services.hooks import formats
from sitroom.services.hooks.addresses import AddressPolicy, AddressRefused
from sitroom.services.hooks.signature import new_secret
from sitroom.services.hooks.store import Delivery, HookStore, Subscription
from sitroom.services.runs import Engine

BATCH = 500
"""Events read from the log at once."""
LANGUAGES = ("en", "ko")
EVENT_NAMES = tuple(sorted(EVENT_TYPES))
"""Every event type a subscription may name (or ``*`` for all)."""


class HookInvalid(ValueError):
    """A subscription that cannot be made: the field it is about and what would be accepted."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class Audience:
    """One audience a subscription may take: its value (``party:brn``) and a readable name."""

    value: str
    name: str


def now_ms() -> int:
    """Milliseconds since the epoch (the clock of the outbox)."""
    return int(time.time() * 1000)


class Hooks:
    """The webhooks of every run on one database."""

    def __init__(
        self,
        store: HookStore,
        engine: Engine,
        policy: AddressPolicy,
        *,
        clock_ms: Callable[[], int] = now_ms,
    ) -> None:
        self.store = store
        self.engine = engine
        self.policy = policy
        self.clock_ms = clock_ms

    # -- audiences ---------------------------------------------------------------------

    def audiences(self, run_id: str, lang: str = "en") -> list[Audience]:
        """The audiences of the run: control, observer, each party, each player team."""
        package = self.engine.package(run_id)
        fallbacks = package.exercise.languages
        found = [Audience("control", "Control (EXCON)"), Audience("observer", "Observer")]
        found += [
            Audience(f"party:{p.id}", text_in(p.name, lang, fallbacks)) for p in package.parties
        ]
        found += [
            Audience(f"team:{t.id}", text_in(t.name, lang, fallbacks))
            for t in package.player_teams()
        ]
        return found

    def principal(self, sub: Subscription) -> Principal:
        """The principal whose view ``sub`` receives."""
        pid = f"webhook:{sub.id}"
        kind, _, ref = sub.audience.partition(":")
        if kind == "control":
            return Principal(id=pid, role=Role.FACILITATOR, name=sub.label)
        if kind == "party":
            return Principal(id=pid, role=Role.OBSERVER, name=sub.label, party=ref)
        if kind == "team":
            team = next(t for t in self.engine.package(sub.run_id).teams if t.id == ref)
            return Principal(id=pid, role=Role.PLAYER, name=sub.label, team=ref, party=team.party)
        return Principal(id=pid, role=Role.OBSERVER, name=sub.label)

    # -- subscriptions -------------------------------------------------------------------

    def subscribe(
        self,
        run_id: str,
        *,
        url: str,
        fmt: str,
        events: Iterable[str],
        audience: str,
        by: str,
        language: str = "en",
        label: str = "",
    ) -> tuple[Subscription, str]:
        """Subscribe ``url``; return the subscription and its secret (shown this once)."""
        url = url.strip()
        if fmt not in formats.FORMATS:
            raise HookInvalid("format", f"{fmt!r}: use one of {', '.join(formats.FORMATS)}")
        chosen = tuple(dict.fromkeys(e.strip() for e in events if e.strip()))
        if not chosen:
            raise HookInvalid("events", "name at least one event type, or '*' for every type")
        unknown = [e for e in chosen if e != "*" and e not in EVENT_TYPES]
        if unknown:
            raise HookInvalid(
                "events", f"unknown event type {unknown[0]!r}; known: {', '.join(EVENT_NAMES)}"
            )
        known = {a.value: a.name for a in self.audiences(run_id, language)}
        if audience not in known:
            raise HookInvalid("audience", f"{audience!r}: use one of {', '.join(known)}")
        if language not in LANGUAGES:
            raise HookInvalid("language", f"{language!r}: use one of {', '.join(LANGUAGES)}")
        if len(url) > 2000:
            raise HookInvalid("url", "the URL is longer than 2,000 characters")
        try:
            self.policy.check(url)
        except AddressRefused as refused:
            raise HookInvalid("url", str(refused)) from None
        secret = new_secret()
        sub = Subscription(
            id="wh_" + secrets.token_hex(8),
            run_id=run_id,
            url=url,
            format=fmt,
            events=chosen,
            audience=audience,
            language=language,
            label=label.strip()[:200] or known[audience],
            created_by=by,
            created_ms=self.clock_ms(),
            cursor=self.engine.last_seq(run_id),
            secret=secret,
        )
        self.store.add(sub)
        return sub, secret

    def subscriptions(self, run_id: str) -> list[Subscription]:
        """The run's subscriptions (secrets included: never show them)."""
        return self.store.subscriptions(run_id)

    def unsubscribe(self, run_id: str, sub_id: str) -> bool:
        """Stop a subscription; False if there is no active one of that id."""
        return self.store.deactivate(run_id, sub_id)

    # -- the outbox -------------------------------------------------------------------------

    def enqueue(self, run_id: str) -> int:
        """Queue every new event each active subscription of the run may see; how many."""
        queued = 0
        for sub in self.store.subscriptions(run_id, active_only=True):
            queued += self._enqueue(sub)
        return queued

    def _enqueue(self, sub: Subscription) -> int:
        principal = self.principal(sub)
        package = self.engine.package(sub.run_id)
        cursor, queued = sub.cursor, 0
        while True:
            batch = self.engine.read(sub.run_id, after=cursor, limit=BATCH)
            if not batch:
                return queued
            made = self.clock_ms()
            found = []
            for stored in batch:
                if not sub.wants(stored.type):
                    continue
                view = self.engine.view(principal, sub.run_id, stored)
                if view is None:
                    continue  # not this audience's to see
                text = formats.body(
                    sub.format,
                    package=package,
                    run_id=sub.run_id,
                    seq=stored.seq,
                    event_type=stored.type,
                    at=view["at"],
                    data=view["data"],
                    audience=sub.label,
                    lang=sub.language,
                )
                found.append(
                    Delivery(
                        id=f"msg_{sub.id}_{stored.seq}",
                        subscription_id=sub.id,
                        run_id=sub.run_id,
                        seq=stored.seq,
                        event_type=stored.type,
                        body=text,
                        status="pending",
                        attempts=0,
                        next_at=made,
                        created_ms=made,
                    )
                )
            if not self.store.enqueue(sub.id, cursor, batch[-1].seq, found):
                return queued  # another leader moved the cursor: it queued these
            cursor = batch[-1].seq
            queued += len(found)

    # -- the delivery log ----------------------------------------------------------------------

    def deliveries(
        self, run_id: str, status: str | None = None, limit: int = 100
    ) -> list[Delivery]:
        """The run's deliveries, newest first, with their attempts."""
        return self.store.deliveries(run_id, status=status, limit=limit)

    def redeliver(self, run_id: str, delivery_id: str | None = None) -> int:
        """Send dead deliveries again (one, or every one of the run): how many."""
        return self.store.redeliver(run_id, self.clock_ms(), delivery_id)
