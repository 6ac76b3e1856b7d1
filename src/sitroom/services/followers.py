"""Log followers: software that reads a run's log through the gate and acts by commands.

A follower (the scheduler, a simulated cell, a webhook, a mailer) is a principal like a
person at a keyboard. For every run it follows, the runner

1. reads the events after the follower's own durable cursor,
2. passes each through the visibility gate for the follower's principal (``Engine.view``),
3. hands each visible event to ``on_event``, which answers with ``Act``s: commands, each with
   a key derived from the event it reacts to,
4. sends them through ``Engine.handle`` with the idempotency key ``follower:<name>:<key>``,
5. stores the cursor in a transaction of its own.

A crash between 4 and 5 replays the event on restart; its commands come back as duplicates of
the ones already recorded, so a follower acts once per event. ``on_tick`` is the same for
time: it is called on every round (at least once per tick) and its keys name what is due
(``inject:4``), not when it was noticed.

Events a follower caused itself are not handed back to it (a follower that answers every
event would otherwise answer its own answers), and a cursor write is saved when an event
asked for nothing: the next write covers it, and replaying an event that needed nothing sends
nothing or, if the follower now decides otherwise, a command under the event's own key.

One process leads each (follower, run) pair (see ``sitroom.services.leader``); the others
wait and take over when the leader's lease goes. The runner wakes on the broker's "run R has
events up to N" and at least once per tick, so it never polls the log in a busy loop.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Protocol, runtime_checkable

from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Principal
from sitroom.conduct.run import Rejected
from sitroom.conduct.state import RunState, RunStatus
from sitroom.realtime.broker import Broker
from sitroom.services.leader import Leases
from sitroom.services.runs import Engine, RunNotFound, StoredEvent
from sitroom.storage.cursors import CursorStore
from sitroom.storage.recorder import UnknownRun

log = logging.getLogger("sitroom.followers")

KEY_PREFIX = "follower:"
"""Idempotency keys of follower commands start with this (clients may not use it)."""
BATCH = 500
"""Events read from the log at once."""


@dataclass(frozen=True, slots=True)
class Seen:
    """One event as the follower's principal may see it (the gate's view, nothing more)."""

    run_id: str
    seq: int
    type: str
    at: str
    data: dict[str, Any]

    def key(self, suffix: str = "") -> str:
        """A key derived from this event: ``"<seq>"`` or ``"<seq>:<suffix>"``."""
        return f"{self.seq}:{suffix}" if suffix else str(self.seq)


@dataclass(frozen=True, slots=True)
class Act:
    """A command a follower wants sent, and the key that makes sending it twice harmless.

    ``key`` must be derived from what the follower reacts to (``seen.key()``, or the thing
    that became due, such as ``inject:4``), never from the clock or a random number; the
    runner sends it as ``follower:<name>:<key>``.
    """

    command: cmd.Command
    key: str


class FollowedRun:
    """What a follower may read of a run besides its events: its id, and its state for control.

    The full state (the MSEL, the planned offsets, every team's material) is control
    material, so only a follower whose principal sees control material may read it; any
    other follower sees the run only through ``Seen`` events, which the gate has filtered.
    """

    def __init__(self, engine: Engine, run_id: str, principal: Principal) -> None:
        self.run_id = run_id
        self._engine = engine
        self._principal = principal

    def state(self) -> RunState:
        """The run's state (read-only), for a follower whose principal sees control material."""
        if not self._principal.sees_control_material:
            raise PermissionError(
                f"{self._principal.id} does not see control material; follow the events instead"
            )
        return self._engine.state(self.run_id)

    def view_as(self, principal: Principal, seq: int) -> dict[str, Any] | None:
        """The event at ``seq`` as ``principal`` may see it (the gate), or None.

        For a follower that acts *for* others (a mailer sends each player what that player
        may see): only a follower that sees control material may look through another's eyes.
        """
        self.state()  # the same rule: only control may ask on behalf of others
        found = self._engine.read(self.run_id, after=seq - 1, limit=1)
        if not found or found[0].seq != seq:
            return None
        return self._engine.view(principal, self.run_id, found[0])


@runtime_checkable
class Follower(Protocol):
    """A follower: a unique name (in cursors, leases and keys) and the principal it acts as."""

    name: str
    principal: Principal

    def on_event(self, run: FollowedRun, seen: Seen) -> Iterable[Act]:
        """What to do about one visible event (may be nothing)."""
        ...

    def on_tick(self, run: FollowedRun, now: datetime) -> Iterable[Act]:
        """What to do because time passed (may be nothing)."""
        ...


class BaseFollower:
    """A follower that does nothing; subclass it and override what you need."""

    name: str = ""
    principal: Principal

    def on_event(self, run: FollowedRun, seen: Seen) -> Iterable[Act]:
        return ()

    def on_tick(self, run: FollowedRun, now: datetime) -> Iterable[Act]:
        return ()


def principal_in(follower: Follower, run_id: str) -> Principal:
    """The principal ``follower`` acts as in ``run_id``: its own, or, for a follower whose
    principal depends on the run (a cell: its team's party is the run package's), the one
    its ``principal_in(run_id)`` names."""
    per_run = getattr(follower, "principal_in", None)
    return per_run(run_id) if callable(per_run) else follower.principal


class UnknownFollower(LookupError):
    """No follower is registered under that name."""


class FollowerRegistry:
    """Followers by name: the built-in ones and those a setting names as ``module:attr``."""

    def __init__(self) -> None:
        self._factories: dict[str, Callable[[], Follower]] = {}
        self._families: dict[str, Callable[[str], Follower]] = {}

    def register_family(self, prefix: str, factory: Callable[[str], Follower]) -> None:
        """Make ``factory(rest)`` the follower called ``prefix + rest`` (``cell-<team>``)."""
        self._families[prefix] = factory

    def register(self, name: str, factory: Callable[[], Follower]) -> None:
        """Make ``factory`` the follower called ``name``."""
        if not name or ":" in name or "," in name:
            raise ValueError(f"{name!r}: a follower name is a non-empty word without ':' or ','")
        if name in self._factories:
            raise ValueError(f"a follower named {name!r} is registered already")
        self._factories[name] = factory

    def load(self, spec: str) -> str:
        """Register the follower that ``spec`` (``package.module:attr``) names; return its name.

        ``attr`` is a zero-argument callable that returns a follower (a class will do).
        """
        module_name, _, attr = spec.partition(":")
        if not module_name or not attr:
            raise ValueError(f"{spec!r}: name a follower as 'package.module:attr'")
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            raise ValueError(f"{spec!r}: cannot import {module_name!r} ({error})") from None
        factory = getattr(module, attr, None)
        if not callable(factory):
            raise ValueError(f"{spec!r}: {module_name} has no callable {attr!r}")
        try:
            follower = factory()
        except Exception as error:
            raise ValueError(f"{spec!r}: {attr}() did not return a follower ({error})") from None
        if not isinstance(follower, Follower) or not follower.name:
            raise ValueError(f"{spec!r}: {attr}() did not return a follower with a name")
        self.register(follower.name, factory)
        return follower.name

    def names(self) -> list[str]:
        """Every registered name, sorted."""
        return sorted(self._factories)

    def make(self, name: str) -> Follower:
        """A new follower of the name; `UnknownFollower` names the known ones."""
        factory = self._factories.get(name)
        for prefix, family in self._families.items():
            if factory is None and name.startswith(prefix) and len(name) > len(prefix):
                return family(name[len(prefix) :])
        if factory is None:
            known = ", ".join([*self.names(), *(f"{p}…" for p in self._families)]) or "none"
            raise UnknownFollower(f"no follower named {name!r}; registered: {known}")
        return factory()


class FollowerLoop:
    """The synchronous heart of the runner: one round of one follower on one run.

    Leadership is the caller's business (``FollowerRunner``); tests drive this directly.
    """

    def __init__(self, engine: Engine, cursors: CursorStore) -> None:
        self.engine = engine
        self.cursors = cursors
        self._positions: dict[tuple[str, str], int] = {}

    def forget(self, follower: str, run_id: str) -> None:
        """Drop the cached cursor (another process may move it while this one does not lead)."""
        self._positions.pop((follower, run_id), None)

    def known_position(self, follower: str, run_id: str) -> int | None:
        """Where ``follower`` stands in ``run_id`` as last seen here (no I/O; None: unknown)."""
        return self._positions.get((follower, run_id))

    def position(self, follower: Follower, run_id: str) -> int:
        """Where ``follower`` stands in ``run_id`` (read from the store when not cached)."""
        key = (follower.name, run_id)
        if key not in self._positions:
            self._positions[key] = self.cursors.get(follower.name, run_id)
        return self._positions[key]

    def round(
        self,
        follower: Follower,
        run_id: str,
        *,
        still_leading: Callable[[], bool] = lambda: True,
    ) -> int:
        """Hand ``follower`` the new events of ``run_id``, then the time.

        Returns how many commands were recorded (duplicates of earlier ones not counted).
        Stops as soon as ``still_leading`` says the lease is gone.
        """
        principal = principal_in(follower, run_id)
        run = FollowedRun(self.engine, run_id, principal)
        recorded = 0
        cursor = self.position(follower, run_id)
        while still_leading():
            batch = self.engine.read(run_id, after=cursor, limit=BATCH)
            if not batch:
                break
            unsaved = False
            for stored in batch:
                if not still_leading():
                    break
                acts = self._react(follower, principal, run, stored)
                recorded += sum(self._send(follower, principal, run_id, act) for act in acts)
                cursor = stored.seq
                self._positions[(follower.name, run_id)] = cursor
                if acts:
                    self.cursors.put(follower.name, run_id, cursor)
                unsaved = not acts
            if unsaved:
                self.cursors.put(follower.name, run_id, cursor)
        if still_leading():
            for act in follower.on_tick(run, self.engine.clock()):
                recorded += self._send(follower, principal, run_id, act)
        return recorded

    def _react(
        self, follower: Follower, principal: Principal, run: FollowedRun, stored: StoredEvent
    ) -> list[Act]:
        if stored.actor == principal.id:
            return []  # its own doing
        view = self.engine.view(principal, run.run_id, stored)
        if view is None:
            return []  # not the follower's to see
        seen = Seen(run.run_id, stored.seq, stored.type, view["at"], view["data"])
        return list(follower.on_event(run, seen))

    def _send(self, follower: Follower, principal: Principal, run_id: str, act: Act) -> int:
        """Send one command; 1 if it recorded something new, else 0."""
        key = f"{KEY_PREFIX}{follower.name}:{act.key}"
        try:
            outcome = self.engine.act(run_id, act.command, principal, key=key)
        except Rejected as refused:
            # A decision, not a failure: the run said no (an inject already released by hand).
            log.info("%s in %s: %s refused: %s", follower.name, run_id, key, refused.message)
            return 0
        return 0 if outcome.duplicate or not outcome.events else 1


class FollowerRunner:
    """Runs followers over the runs of a database, as a leader where it holds the lease.

    Every ``tick`` seconds it looks for runs to follow (every run not yet ended, or the
    ones named), and keeps one watcher task per run: the watcher does a round for each
    follower it leads, then sleeps until the broker announces more events or the tick ends.
    """

    def __init__(
        self,
        engine: Engine,
        broker: Broker,
        cursors: CursorStore,
        leases: Leases,
        followers: Sequence[Follower],
        *,
        tick: float = 1.0,
        runs: Collection[str] = (),
    ) -> None:
        if tick <= 0:
            raise ValueError("the follower tick must be a positive number of seconds")
        self.engine = engine
        self.broker = broker
        self.leases = leases
        self.followers = list(followers)
        self.tick = tick
        self.only = frozenset(runs)
        self.loop = FollowerLoop(engine, cursors)
        self._watchers: dict[str, asyncio.Task[None]] = {}
        self._settled: dict[str, int] = {}  # ended runs, by the seq at which they were seen ended
        self._heads: dict[str, int] = {}  # each followed run's last seq, as its last round read it
        self._stopping = False

    async def run(self) -> None:
        """Follow until cancelled; then stop the watchers and give every lease up."""
        names = ", ".join(f.name for f in self.followers)
        log.info("following with %s (tick %.2f s)", names or "no followers", self.tick)
        # A follower may do work of its own beside its rounds (the webhook sender): its
        # ``serve()`` runs for as long as the runner does.
        services = [
            asyncio.create_task(serve(), name=f"{f.name} service")
            for f in self.followers
            if callable(serve := getattr(f, "serve", None))
        ]
        try:
            while True:
                try:
                    for run_id in await asyncio.to_thread(self._runs_to_follow):
                        if run_id not in self._watchers:
                            task = asyncio.create_task(self._watch(run_id), name=f"follow {run_id}")
                            self._watchers[run_id] = task
                except Exception:  # the runner must outlive a bad round; the error is logged
                    log.exception("could not list the runs to follow")
                for run_id, task in list(self._watchers.items()):
                    if task.done():
                        del self._watchers[run_id]
                await asyncio.sleep(self.tick)
        finally:
            self._stopping = True
            watchers = list(self._watchers.values()) + services
            for task in watchers:
                task.cancel()
            await asyncio.gather(*watchers, return_exceptions=True)
            await asyncio.to_thread(self.leases.close)

    def _runs_to_follow(self) -> list[str]:
        found = []
        for record in self.engine.runs():
            if self.only and record.id not in self.only:
                continue
            if self._settled.get(record.id) == record.last_seq:
                continue
            if self.engine.state(record.id).status == RunStatus.ENDED:
                self._settled[record.id] = record.last_seq
                if record.id not in self._watchers and not self._behind(record.id, record.last_seq):
                    continue
            found.append(record.id)
        return found

    def _behind(self, run_id: str, last_seq: int) -> bool:
        """Whether a follower still owes an ended run some work (``behind(run_id, last_seq)``,
        for followers that keep their own positions: the webhook outbox after a restart)."""
        return any(
            callable(behind := getattr(f, "behind", None)) and behind(run_id, last_seq)
            for f in self.followers
        )

    async def _watch(self, run_id: str) -> None:
        try:
            while True:
                pending = asyncio.ensure_future(asyncio.to_thread(self._round, run_id))
                try:
                    seen, ended, leading = await asyncio.shield(pending)
                except asyncio.CancelledError:
                    # Shutting down: the round stops after the event in hand (``_stopping``);
                    # wait for it, so nothing is closed under its feet.
                    self._stopping = True
                    await asyncio.wait([pending])
                    raise
                except (RunNotFound, UnknownRun):
                    return
                except Exception:
                    log.exception("followers of %s: round failed; trying again", run_id)
                    seen, ended, leading = self.broker.latest(run_id), False, False
                if ended:
                    return
                if leading:
                    await self.broker.wait_beyond(run_id, seen, self.tick)
                else:  # only a lease to try for: once a tick is enough, whatever is recorded
                    await asyncio.sleep(self.tick)
        finally:
            for follower in self.followers:
                self.leases.release(follower.name, run_id)

    def lag(self) -> dict[str, tuple[int, int]]:
        """Per follower: (runs this process leads, most events any of them is behind the head).

        No I/O: the head is the larger of what the broker announced and what the last round
        read, the position is the follower's cursor as this process last moved it.
        """
        found: dict[str, tuple[int, int]] = {f.name: (0, 0) for f in self.followers}
        for run_id in list(self._watchers):
            head = max(self.broker.latest(run_id), self._heads.get(run_id, 0))
            for name, (led, worst) in list(found.items()):
                position = self.loop.known_position(name, run_id)
                if position is None or not self.leases.holds(name, run_id):
                    continue
                found[name] = (led + 1, max(worst, head - position))
        return found

    def _leads(self, follower: str, run_id: str) -> bool:
        return not self._stopping and self.leases.holds(follower, run_id)

    def _round(self, run_id: str) -> tuple[int, bool, bool]:
        """One round of every follower this process leads on ``run_id``.

        Returns the log's last seq as seen (to wait beyond it), whether the run has ended and
        every follower led here has handled all of it, and whether this process leads any.
        """
        self.leases.check()
        leading = False
        last = self._heads[run_id] = self.engine.recorder.last_seq(run_id)
        done = self.engine.state(run_id).status == RunStatus.ENDED
        for follower in self.followers:
            name = follower.name
            if not self.leases.holds(name, run_id):
                self.loop.forget(name, run_id)
                if self._stopping or not self.leases.acquire(name, run_id):
                    continue
                log.info("%s leads %s", name, run_id)
            leading = True
            self.loop.round(follower, run_id, still_leading=partial(self._leads, name, run_id))
            done = done and self.loop.position(follower, run_id) >= last
        return max(last, self.broker.latest(run_id)), done, leading
