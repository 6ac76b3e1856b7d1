"""The run engine: load a run's state from the log, decide, append in one transaction, publish.

This is where ``conduct`` (pure rules) meets ``storage`` (the log) and the broker. A run's
state is cached per process and caught up from the log before every decision, so several
worker processes can serve one run: a stale worker gets ``SequenceConflict``, catches up and
decides again.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sitroom import audit
from sitroom.conduct import commands as cmd
from sitroom.conduct import events as ev
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.run import Context, Rejected, decide
from sitroom.conduct.state import Recorded, RunState, apply
from sitroom.conduct.visibility import thread_context, view_event
from sitroom.conduct.wording import lazy
from sitroom.package.model import Package, canonical_json
from sitroom.reports.build import build_report
from sitroom.reports.model import Report
from sitroom.services.idempotency import (
    check_client_key,
    check_replay,
    check_server_key,
    command_hash,
)
from sitroom.storage.recorder import (
    NewEvent,
    Recorder,
    RunRecord,
    SequenceConflict,
    UnknownRun,
)
from sitroom.storage.recorder import (
    StoredEvent as StoredEvent,
)

MAX_RETRIES = 20
REPORTS = 4
"""AARs kept per process, each for one (run, parties, sequence number)."""
TAIL = 10_000
"""Events per run kept in memory for the streams (the log stays the source of truth)."""
SERIES_PREFIX = "series:"
"""Streams of exercise series (``sitroom.improvement``) live in the same log as runs."""
SCHEDULER = Principal(id="system:scheduler", role=Role.FACILITATOR, name="scheduler")
"""The principal of the scheduler follower (``sitroom.services.scheduler``)."""


PREVIEW_PREFIX = "preview:"
"""The ids of the stand-ins control previews a run as (``services.preview``): they never act."""


class RunNotFound(LookupError):
    """No run with that id."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a command did: the events recorded (or found again, for a retried submission)."""

    events: list[StoredEvent]
    duplicate: bool = False

    @property
    def last_seq(self) -> int | None:
        return self.events[-1].seq if self.events else None


def _new_id(run_id: str, actor: str, key: str | None) -> str:
    """An id for what a command creates: derived from the actor's key (the same on a retry,
    different for another actor's same key, safe in a URL whatever the key holds), else
    random."""
    if key is None:
        return uuid.uuid4().hex
    return hashlib.sha256(f"{run_id}\x00{actor}\x00{key}".encode()).hexdigest()[:24]


def to_recorded(stored: StoredEvent) -> Recorded:
    """A stored event as the conduct layer folds it."""
    return Recorded(
        seq=stored.seq,
        at=stored.recorded_at,
        event=ev.from_wire(stored.type, stored.payload),
        actor=stored.actor,
    )


class Engine:
    """Commands in, events out, for every run in one recorder."""

    def __init__(
        self,
        recorder: Recorder,
        publish: Callable[[str, int], None] | None = None,
        clock: Callable[[], datetime] | None = None,
        secret: bytes = b"",
    ) -> None:
        self.recorder = recorder
        self._secret = secret
        self.publish = publish or (lambda run_id, seq: None)
        self.clock = clock or (lambda: datetime.now(UTC))
        self._states: dict[str, RunState] = {}
        self._packages: dict[str, Package] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._tails: dict[str, deque[StoredEvent]] = {}
        self._tail_lock = threading.Lock()
        """Held only to change or copy a tail, so streams never wait for a command."""
        self._snapshots: dict[str, RunState] = {}
        self._reports: OrderedDict[tuple[str, tuple[str, ...], int], Report] = OrderedDict()
        self._report_locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self.observe_append: Callable[[float], None] = lambda seconds: None
        """Told how long each committed append took (the web's metrics set it)."""

    # -- runs --------------------------------------------------------------------------------

    def create_run(self, package: Package, run_id: str | None = None) -> RunRecord:
        """Store a run with a snapshot of its package (and the package's content hash)."""
        run_id = run_id or f"{package.exercise.id}-{uuid.uuid4().hex[:8]}"
        if run_id.startswith(SERIES_PREFIX):
            raise ValueError(f"run ids starting with {SERIES_PREFIX!r} are reserved for series")
        title = next(iter(package.exercise.title.values()), package.exercise.id)
        return self.recorder.create_run(
            run_id, title, canonical_json(package), package.content_hash()
        )

    def ping(self) -> None:
        """Ask the database one cheap question; raises if it does not answer (readiness)."""
        self.recorder.get_run("")

    def runs(self) -> list[RunRecord]:
        """Every run, oldest first (series streams share the log but are not runs)."""
        return [r for r in self.recorder.list_runs() if not r.id.startswith(SERIES_PREFIX)]

    def record(self, run_id: str) -> RunRecord:
        record = self.recorder.get_run(run_id)
        if record is None:
            raise RunNotFound(run_id)
        return record

    def known(self, run_id: str) -> bool:
        """Whether this process has read the run already: an answer from memory, with no
        database read (runs are never removed from the log)."""
        return run_id in self._packages

    def exists(self, run_id: str) -> bool:
        """Whether the run exists: from memory when known, else one small read (the run's
        last sequence number, not its package)."""
        if self.known(run_id):
            return True
        try:
            self.recorder.last_seq(run_id)
        except UnknownRun:
            return False
        return True

    def package(self, run_id: str) -> Package:
        """The package snapshot the run was created from."""
        cached = self._packages.get(run_id)
        if cached is None:
            record = self.record(run_id)
            digest = "sha256:" + hashlib.sha256(record.package_json.encode("utf-8")).hexdigest()
            if digest != record.package_hash:
                raise RuntimeError(f"run {run_id}: the stored package does not match its hash")
            data = json.loads(record.package_json)
            cached = Package.model_validate(data, context={"default_language": "en"})
            self._packages[run_id] = cached
        return cached

    def _lock(self, run_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(run_id, threading.Lock())

    def _catch_up(self, run_id: str) -> RunState:
        state = self._states.get(run_id)
        if state is None:
            state = RunState.initial(run_id, self.package(run_id))
            self._states[run_id] = state
        for stored in self.recorder.read(run_id, after=state.seq):
            self._fold(run_id, state, stored)
        return state

    def _fold(self, run_id: str, state: RunState, stored: StoredEvent) -> None:
        apply(state, to_recorded(stored))
        with self._tail_lock:
            tail = self._tails.setdefault(run_id, deque(maxlen=TAIL))
            if tail and tail[-1].seq != stored.seq - 1:
                tail.clear()
            tail.append(stored)

    def last_seq(self, run_id: str) -> int:
        """How far the run's log goes, from the database (``RunNotFound`` for no such run)."""
        try:
            return self.recorder.last_seq(run_id)
        except UnknownRun:
            raise RunNotFound(run_id) from None

    def state(self, run_id: str, known: int | None = None) -> RunState:
        """A snapshot of the run's state, caught up with the log (or, given the sequence
        number ``known`` to be in the log, with the log at least that far).

        The live state is folded in place by whichever thread records the next event, so
        readers get a snapshot taken at one sequence number (shared by every reader until the
        next event). A snapshot copies the state's lists and dicts but shares its records,
        which ``apply`` replaces instead of changing (``RunState.snapshot``): it costs
        pointers, not a copy of the run. Treat it as read-only.

        With ``known``, a snapshot that far along is returned without asking the log or
        waiting for the run's lock (a page asks for it with the ``last_seq`` it just read).
        """
        if known is not None:
            snapshot = self._snapshots.get(run_id)
            if snapshot is not None and snapshot.seq >= known:
                return snapshot
        with self._lock(run_id):
            live = self._catch_up(run_id)
            snapshot = self._snapshots.get(run_id)
            if snapshot is None or snapshot.seq != live.seq:
                snapshot = live.snapshot()
                self._snapshots[run_id] = snapshot
            return snapshot

    # -- commands ----------------------------------------------------------------------------

    def pseudonym(self, run_id: str, principal_id: str) -> str:
        """The actor recorded for a principal's anonymous feedback form in this run.

        The log itself must name nobody, yet a second anonymous form of the same person has
        to replace the first: a keyed hash of run and principal is the same each time and
        cannot be turned back into the principal without the server's secret key.
        """
        digest = hmac.new(
            self._secret, f"{run_id}\x00{principal_id}".encode(), hashlib.sha256
        ).hexdigest()
        return f"anonymous:{digest[:24]}"

    def _actor(self, run_id: str, command: cmd.Command, principal: Principal) -> str:
        if isinstance(command, cmd.SubmitFeedback) and command.anonymous:
            return self.pseudonym(run_id, principal.id)
        return principal.id

    def handle(
        self, run_id: str, command: cmd.Command, principal: Principal, key: str | None = None
    ) -> Outcome:
        """Decide and record a participant's ``command``, sent with the client's ``key``.

        A retry (the same principal, key and command) returns the first outcome and records
        nothing. `Rejected` (422, field ``key``) for a key in a server namespace or a key the
        principal already used for a different command.
        """
        check_client_key(key)
        if principal.id.startswith(PREVIEW_PREFIX):
            raise Rejected("a preview is read-only: act as yourself", status=403)
        if not isinstance(command, cmd.FinaliseReport):
            return self._record(run_id, command, principal, key)
        try:  # finalising an AAR is a security event: who signed off what, and when
            outcome = self._record(run_id, command, principal, key)
        except Rejected as exc:
            audit.record(
                "report-finalised",
                actor=principal,
                outcome="failure",
                run_id=run_id,
                reason=exc.message,
                parties=list(command.parties),
            )
            raise
        if not outcome.duplicate:
            audit.record(
                "report-finalised",
                actor=principal,
                run_id=run_id,
                upto=command.upto,
                report_hash=command.hash,
                parties=list(command.parties),
            )
        return outcome

    def act(self, run_id: str, command: cmd.Command, principal: Principal, key: str) -> Outcome:
        """Decide and record a command of server code (the scheduler, a log follower).

        ``key`` must lie in a server namespace (``scheduled:``, ``follower:``, ``system:``),
        which no client may use; derive it from what the command reacts to, so a second worker
        or a restart acting on the same thing records nothing new.
        """
        check_server_key(key)
        return self._record(run_id, command, principal, key)

    def _record(
        self, run_id: str, command: cmd.Command, principal: Principal, key: str | None
    ) -> Outcome:
        actor = self._actor(run_id, command, principal)
        digest: str | None = None
        if key is not None:
            digest = command_hash(command)
            earlier = self.recorder.find_by_key(run_id, key, actor=actor)
            if earlier:
                check_replay(earlier, digest)
                return Outcome(earlier, duplicate=True)
        with self._lock(run_id):
            for _ in range(MAX_RETRIES):
                state = self._catch_up(run_id)
                ctx = Context(now=self.clock(), new_id=_new_id(run_id, actor, key))
                events = decide(state, command, principal, ctx)
                if not events:
                    return Outcome([])
                batch = [
                    NewEvent(
                        e.TYPE,
                        e.payload(),
                        actor=actor,
                        idempotency_key=key if i == 0 else None,
                        command_hash=digest if i == 0 else None,
                    )
                    for i, e in enumerate(events)
                ]
                started = time.perf_counter()
                try:
                    result = self.recorder.append(run_id, batch, expected_seq=state.seq)
                except SequenceConflict:
                    continue
                self.observe_append(time.perf_counter() - started)
                if result.duplicate and digest is not None:  # another worker was first
                    check_replay(result.events, digest)
                if not result.duplicate:
                    for stored in result.events:
                        self._fold(run_id, state, stored)
                    self.publish(run_id, result.events[-1].seq)
                return Outcome(list(result.events), duplicate=result.duplicate)
        raise Rejected(lazy("the run is too busy; try again"), status=503)

    # -- reads -------------------------------------------------------------------------------

    def read(self, run_id: str, after: int = 0, limit: int | None = None) -> list[StoredEvent]:
        """Events after ``after`` from the log itself."""
        return self.recorder.read(run_id, after=after, limit=limit)

    def log(self, run_id: str, upto: int | None = None) -> list[Recorded]:
        """The log of a run (up to ``upto``) as the conduct layer folds it (for reports)."""
        self.record(run_id)
        return [
            to_recorded(stored)
            for stored in self.read(run_id)
            if upto is None or stored.seq <= upto
        ]

    def report(self, run_id: str, parties: tuple[str, ...] | list[str] = ()) -> Report:
        """The AAR/IP of a run for ``parties`` (empty: the complete staff report).

        A finalised report is rebuilt from the log up to where it was finalised.
        Raises ``ReportError`` for an unknown party and ``RunNotFound`` for an unknown run.
        Built once per sequence number (one build at a time per run: the others wait for
        it) and kept for the next readers until the log grows; the model is immutable.
        """
        seq = self.state(run_id).seq
        key = (run_id, tuple(parties), seq)
        with self._guard:
            lock = self._report_locks.setdefault(run_id, threading.Lock())
        with lock:
            with self._guard:
                found = self._reports.get(key)
                if found is not None:
                    self._reports.move_to_end(key)
                    return found
            log = self.log(run_id, upto=seq)
            report = build_report(self.package(run_id), log, run_id=run_id, parties=parties)
            with self._guard:
                self._reports[key] = report
                while len(self._reports) > REPORTS:
                    self._reports.popitem(last=False)
            return report

    def recent(self, run_id: str, after: int, known: int, limit: int) -> list[StoredEvent] | None:
        """Events after ``after`` from memory, or None when only the log can answer.

        ``known`` is the highest sequence number announced for the run; if this process has
        not folded that far, the caller must read the log (which also catches up). Memory
        holds the last ``TAIL`` events of each run this process has folded, so a thousand
        streams woken by one release share one read of the log instead of making their own.
        """
        # The tail has its own lock, not the run's: a thousand streams woken together must not
        # queue behind the receipts their own screens are sending.
        with self._tail_lock:
            tail = self._tails.get(run_id)
            if not tail or known > tail[-1].seq or after < tail[0].seq - 1:
                return None
            # Count from the newest end: a stream asks for the last few events, and walking a
            # long tail from its oldest end cost every stream that much on every wake-up.
            newer = max(0, len(tail) - max(0, after - tail[0].seq + 1))
            found = list(itertools.islice(reversed(tail), newer))
        found.reverse()
        return found[:limit]

    def read_after(self, run_id: str, after: int, known: int, limit: int) -> list[StoredEvent]:
        """Events after ``after``: from memory when it is current, else from the log."""
        found = self.recent(run_id, after, known, limit)
        if found is not None:
            return found
        with self._lock(run_id):  # catch up, so the next stream finds it in memory
            self._catch_up(run_id)  # (no snapshot: a stream needs no copy of the state)
        found = self.recent(run_id, after, 0, limit)
        return found if found is not None else self.read(run_id, after, limit)

    def view(self, principal: Principal, run_id: str, stored: StoredEvent) -> dict[str, Any] | None:
        """One stored event as ``principal`` may see it (the visibility gate), or None."""
        package = self.package(run_id)
        event = ev.from_wire(stored.type, stored.payload)
        context: dict[str, Any] | None = None
        if isinstance(event, ev.DecisionConcurred | ev.DecisionNonConcurred):
            decision = self.state(run_id).decisions.get(event.decision)
            if decision is not None:
                context = {
                    "team": decision.team,
                    "party": decision.party,
                    "joint_with": decision.joint_with,
                }
        elif isinstance(event, ev.ThreadOpened):
            context = thread_context(self.state(run_id), event.id)
        elif isinstance(event, ev.ThreadMessagePosted | ev.ThreadForwarded):
            context = thread_context(self.state(run_id), event.thread)
        actor = stored.actor
        anonymous = actor is not None and actor.startswith("anonymous:")
        if anonymous and actor == self.pseudonym(run_id, principal.id):
            actor = principal.id  # their own anonymous form: the gate shows it to them
        data = view_event(principal, package, event, actor=actor, context=context)
        if data is None:
            return None
        return {
            "seq": stored.seq,
            "type": stored.type,
            "at": stored.recorded_at.isoformat(),
            "data": data,
        }
