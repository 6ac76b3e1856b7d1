"""The in-memory event-log recorder: the same contract as SQLite and PostgreSQL, no files.

Unit tests of the engine and of anything above it run on this recorder: no database, no
threads of its own, microseconds per append. It keeps the same rules as the database
backends (the contract suite runs on all three): one hash chain per run, sequence numbers
without gaps, ``expected_seq`` conflicts, idempotency keys per run and actor, and payloads
that come back as fresh objects, so a caller that edits what it read cannot edit the log.

A `MemoryLog` is the "database": recorders opened on the same one share its runs, as
recorders on one SQLite file do. Nothing survives the process.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sitroom.storage.recorder import (
    AppendResult,
    Clock,
    NewEvent,
    RecorderClosed,
    RunAlreadyExists,
    RunRecord,
    SequenceConflict,
    StoredEvent,
    UnknownRun,
    canonical_json,
    check_page,
    format_timestamp,
    key_scope,
    new_run,
    parse_timestamp,
    prepare_batch,
    seal_batch,
    utc_now,
)


@dataclass(slots=True)
class _Stored:
    """An event as kept: its record and its payload's canonical text (decoded on each read)."""

    event: StoredEvent
    payload_json: str

    def thaw(self) -> StoredEvent:
        return replace(self.event, payload=json.loads(self.payload_json))


@dataclass(slots=True)
class _Run:
    record: RunRecord
    events: list[_Stored] = field(default_factory=list)
    batches: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    """(actor scope, idempotency key) → (first seq, size) of the append made with it."""

    @property
    def last_seq(self) -> int:
        return len(self.events)

    @property
    def last_hash(self) -> str:
        return self.events[-1].event.hash if self.events else self.record.package_hash

    def batch(self, scope: str, key: str) -> list[StoredEvent]:
        found = self.batches.get((scope, key))
        if found is None:
            return []
        first, size = found
        return [stored.thaw() for stored in self.events[first - 1 : first - 1 + size]]


class MemoryLog:
    """The runs and events of one in-memory "database", behind one lock."""

    def __init__(self) -> None:
        """Start empty."""
        self.lock = threading.Lock()
        self.runs: dict[str, _Run] = {}


class MemoryRecorder:
    """The event log in this process's memory (for unit tests and demos)."""

    def __init__(self, log: MemoryLog | None = None, *, clock: Clock = utc_now) -> None:
        """Open a recorder on ``log`` (a new, empty one if not given).

        ``clock`` stamps runs and events; tests may pass a fake one.
        """
        self.log = log if log is not None else MemoryLog()
        self._clock = clock
        self._closed = False

    def _open(self) -> MemoryLog:
        if self._closed:
            raise RecorderClosed("the recorder is closed")
        return self.log

    def _run(self, log: MemoryLog, run_id: str) -> _Run:
        run = log.runs.get(run_id)
        if run is None:
            raise UnknownRun(run_id)
        return run

    def create_run(
        self, run_id: str, title: str, package_json: str, package_hash: str
    ) -> RunRecord:
        """Create an empty run; raise `RunAlreadyExists` if the id is taken."""
        record = new_run(run_id, title, package_json, package_hash, self._clock())
        log = self._open()
        with log.lock:
            if run_id in log.runs:
                raise RunAlreadyExists(run_id)
            log.runs[run_id] = _Run(record)
        return record

    def import_run(self, run: RunRecord, events: list[StoredEvent]) -> RunRecord:
        """Store a run and its events exactly as given (hashes and times kept).

        The caller checks the chain first (``verify_chain``); `RunAlreadyExists` if the id
        is taken. As on the database backends, each imported event is its own batch.
        """
        created_at = parse_timestamp(format_timestamp(run.created_at))
        last = events[-1].seq if events else 0
        record = replace(run, created_at=created_at, last_seq=0)
        kept = _Run(record)
        for event in events:
            text = canonical_json(event.payload)
            recorded_at = parse_timestamp(format_timestamp(event.recorded_at))
            stored = replace(event, payload=json.loads(text), recorded_at=recorded_at)
            kept.events.append(_Stored(stored, text))
            if event.idempotency_key is not None:
                scope = (key_scope(event.actor), event.idempotency_key)
                if scope in kept.batches:
                    raise ValueError(f"seq {event.seq}: its idempotency key is used twice")
                kept.batches[scope] = (event.seq, 1)
        log = self._open()
        with log.lock:
            if run.id in log.runs:
                raise RunAlreadyExists(run.id)
            log.runs[run.id] = kept
        return replace(record, last_seq=last)

    def get_run(self, run_id: str) -> RunRecord | None:
        """Return the run, or None if there is none with this id."""
        log = self._open()
        with log.lock:
            run = log.runs.get(run_id)
            return None if run is None else replace(run.record, last_seq=run.last_seq)

    def list_runs(self) -> list[RunRecord]:
        """Return every run, oldest first."""
        log = self._open()
        with log.lock:
            records = [replace(r.record, last_seq=r.last_seq) for r in log.runs.values()]
        return sorted(records, key=lambda record: (record.created_at, record.id))

    def append(
        self, run_id: str, events: Sequence[NewEvent], expected_seq: int | None = None
    ) -> AppendResult:
        """Record all events at once, or none."""
        batch = prepare_batch(events)
        head = batch[0]
        log = self._open()
        with log.lock:
            run = self._run(log, run_id)
            if head.idempotency_key is not None:
                earlier = run.batch(key_scope(head.actor), head.idempotency_key)
                if earlier:
                    return AppendResult(events=earlier, duplicate=True)
            if expected_seq is not None and expected_seq != run.last_seq:
                raise SequenceConflict(run_id, expected_seq, run.last_seq)
            recorded_at = parse_timestamp(format_timestamp(self._clock()))
            sealed = seal_batch(run_id, batch, run.last_seq, run.last_hash, recorded_at)
            if head.idempotency_key is not None:
                scope = (key_scope(head.actor), head.idempotency_key)
                run.batches[scope] = (sealed[0].seq, len(sealed))
            run.events.extend(
                _Stored(event, item.payload_json) for event, item in zip(sealed, batch, strict=True)
            )
            written = [stored.thaw() for stored in run.events[-len(sealed) :]]
        return AppendResult(events=written, duplicate=False)

    def read(self, run_id: str, after: int = 0, limit: int | None = None) -> list[StoredEvent]:
        """Return the run's events with seq greater than ``after``, in order."""
        check_page(after, limit)
        log = self._open()
        with log.lock:
            run = self._run(log, run_id)
            end = None if limit is None else after + limit
            window = run.events[after:end]
        return [stored.thaw() for stored in window]

    def last_seq(self, run_id: str) -> int:
        """Return the seq of the run's last event (0 for an empty log)."""
        log = self._open()
        with log.lock:
            return self._run(log, run_id).last_seq

    def find_by_key(
        self, run_id: str, idempotency_key: str, *, actor: str | None
    ) -> list[StoredEvent]:
        """Return the events ``actor`` appended with this idempotency key (empty if none)."""
        log = self._open()
        with log.lock:
            return self._run(log, run_id).batch(key_scope(actor), idempotency_key)

    def close(self) -> None:
        """Refuse further work through this recorder; the log stays. Closing twice is harmless."""
        self._closed = True

    def __enter__(self) -> MemoryRecorder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
