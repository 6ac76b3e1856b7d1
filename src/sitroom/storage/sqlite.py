"""The SQLite event-log recorder: one writer thread with group commit, pooled readers.

Every write goes through one thread that owns the write connection. It drains a queue and
commits many callers' work in one ``BEGIN IMMEDIATE … COMMIT``; each caller's conflict or
duplicate is still decided on its own (with a savepoint each), and each caller returns only
after the commit that holds its events. With WAL and ``synchronous=FULL`` an accepted write
survives a crash of the process and of the machine.
"""

from __future__ import annotations

import json
import os
import queue
import sqlite3
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import Any

from sitroom.storage.migrations import upgrade_sqlite
from sitroom.storage.pool import connect_sqlite, sqlite_pool
from sitroom.storage.recorder import (
    AppendResult,
    Clock,
    NewEvent,
    PreparedEvent,
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

_EVENT_COLUMNS = (
    "run_id, seq, type, payload, actor, recorded_at, idempotency_key, prev_hash, hash, command_hash"
)
_RUN_COLUMNS = "id, title, package_json, package_hash, created_at, last_seq"
_INSERT_EVENT = (
    "INSERT INTO events (run_id, seq, type, payload, actor, recorded_at, idempotency_key,"
    " batch_size, prev_hash, hash, command_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_SELECT_BATCH = (
    "SELECT e.run_id, e.seq, e.type, e.payload, e.actor, e.recorded_at, e.idempotency_key,"
    " e.prev_hash, e.hash, e.command_hash FROM events AS h JOIN events AS e"
    " ON e.run_id = h.run_id AND e.seq BETWEEN h.seq AND h.seq + h.batch_size - 1"
    " WHERE h.run_id = ? AND h.idempotency_key = ? AND coalesce(h.actor, '') = ?"
    " ORDER BY e.seq"
)


def _event_from_row(row: Sequence[Any]) -> StoredEvent:
    return StoredEvent(
        run_id=row[0],
        seq=row[1],
        type=row[2],
        payload=json.loads(row[3]),
        actor=row[4],
        recorded_at=parse_timestamp(row[5]),
        idempotency_key=row[6],
        prev_hash=row[7],
        hash=row[8],
        command_hash=row[9],
    )


def _run_from_row(row: Sequence[Any]) -> RunRecord:
    return RunRecord(
        id=row[0],
        title=row[1],
        package_json=row[2],
        package_hash=row[3],
        created_at=parse_timestamp(row[4]),
        last_seq=row[5],
    )


def _closed() -> Exception:
    return RecorderClosed("the recorder is closed")


@dataclass(slots=True)
class _AppendJob:
    run_id: str
    batch: list[PreparedEvent]
    expected_seq: int | None
    future: Future[AppendResult]


@dataclass(slots=True)
class _CreateJob:
    run: RunRecord
    future: Future[RunRecord]


@dataclass(slots=True)
class _ImportJob:
    run: RunRecord
    events: list[StoredEvent]
    future: Future[RunRecord]


_Job = _AppendJob | _CreateJob | _ImportJob


@dataclass(slots=True)
class _Tail:
    """A run's last seq and hash as seen inside the writer's open transaction."""

    last_seq: int
    last_hash: str


class _Writer:
    """The one thread that writes: it drains the queue and commits jobs in groups."""

    def __init__(self, connection: sqlite3.Connection, max_group: int, clock: Clock) -> None:
        self._connection = connection
        self._clock = clock
        self._max_group = max_group
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(
            target=self._loop, name="sitroom-sqlite-writer", daemon=True
        )
        self._thread.start()

    def submit(self, job: _Job) -> None:
        """Queue a job; its future settles after the commit that holds it."""
        with self._lock:
            if self._closed:
                raise RecorderClosed("the recorder is closed")
            self._jobs.put(job)

    def stop(self) -> None:
        """Finish the queued jobs, then end the thread and close the write connection."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._jobs.put(None)
        self._thread.join()
        self._connection.close()

    def _loop(self) -> None:
        stopping = False
        while not stopping:
            first = self._jobs.get()
            if first is None:
                return
            group: list[_Job] = [first]
            while len(group) < self._max_group:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stopping = True
                    break
                group.append(job)
            try:
                self._commit(group)
            except BaseException as error:  # never leave a caller waiting forever
                self._roll_back()
                for job in group:
                    if not job.future.done():
                        job.future.set_exception(error)
                if not isinstance(error, Exception):
                    raise

    def _roll_back(self) -> None:
        try:
            if self._connection.in_transaction:
                self._connection.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # the connection is unusable; the next BEGIN reports it to its callers

    def _commit(self, group: list[_Job]) -> None:
        connection = self._connection
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            for job in group:
                job.future.set_exception(error)
            return
        tails: dict[str, _Tail] = {}
        written: set[str] = set()
        outcomes: list[tuple[_Job, object]] = []
        try:
            for job in group:
                connection.execute("SAVEPOINT job")
                try:
                    outcome: object = self._apply(job, tails, written)
                except Exception as error:
                    connection.execute("ROLLBACK TO job")
                    outcome = self._after_failure(job, error)
                connection.execute("RELEASE job")
                outcomes.append((job, outcome))
            connection.executemany(
                "UPDATE runs SET last_seq = ? WHERE id = ?",
                [(tails[run_id].last_seq, run_id) for run_id in written],
            )
            connection.execute("COMMIT")
        except Exception as error:
            self._roll_back()
            for job in group:
                job.future.set_exception(error)
            return
        for job, outcome in outcomes:
            if isinstance(outcome, BaseException):
                job.future.set_exception(outcome)
            elif isinstance(job, _AppendJob):
                assert isinstance(outcome, AppendResult)
                job.future.set_result(outcome)
            elif isinstance(job, _ImportJob):
                assert isinstance(outcome, RunRecord)
                job.future.set_result(outcome)
            else:
                assert isinstance(outcome, RunRecord)
                job.future.set_result(outcome)

    def _apply(self, job: _Job, tails: dict[str, _Tail], written: set[str]) -> object:
        if isinstance(job, _CreateJob):
            return self._create(job.run)
        if isinstance(job, _ImportJob):
            return self._import(job.run, job.events)
        key = job.batch[0].idempotency_key
        tail = self._tail(job.run_id, tails)
        if key is not None:
            earlier = self._find(job.run_id, key, job.batch[0].actor)
            if earlier:
                return AppendResult(events=earlier, duplicate=True)
        if job.expected_seq is not None and job.expected_seq != tail.last_seq:
            raise SequenceConflict(job.run_id, job.expected_seq, tail.last_seq)
        recorded_at = parse_timestamp(format_timestamp(self._clock()))
        sealed = seal_batch(job.run_id, job.batch, tail.last_seq, tail.last_hash, recorded_at)
        stamp = format_timestamp(recorded_at)
        size = len(sealed)
        self._connection.executemany(
            _INSERT_EVENT,
            [
                (
                    event.run_id,
                    event.seq,
                    event.type,
                    item.payload_json,
                    event.actor,
                    stamp,
                    event.idempotency_key,
                    size,
                    event.prev_hash,
                    event.hash,
                    event.command_hash,
                )
                for event, item in zip(sealed, job.batch, strict=True)
            ],
        )
        tails[job.run_id] = _Tail(sealed[-1].seq, sealed[-1].hash)
        written.add(job.run_id)
        return AppendResult(events=sealed, duplicate=False)

    def _after_failure(self, job: _Job, error: Exception) -> object:
        """Turn a failed job into its outcome; a lost race on the key is a duplicate."""
        if isinstance(job, _AppendJob) and isinstance(error, sqlite3.IntegrityError):
            key = job.batch[0].idempotency_key
            if key is not None:
                earlier = self._find(job.run_id, key, job.batch[0].actor)
                if earlier:
                    return AppendResult(events=earlier, duplicate=True)
        return error

    def _create(self, run: RunRecord) -> RunRecord:
        cursor = self._connection.execute(
            "INSERT INTO runs (id, title, package_json, package_hash, created_at, last_seq)"
            " VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (id) DO NOTHING",
            (
                run.id,
                run.title,
                run.package_json,
                run.package_hash,
                format_timestamp(run.created_at),
            ),
        )
        if cursor.rowcount != 1:
            raise RunAlreadyExists(run.id)
        return run

    def _import(self, run: RunRecord, events: list[StoredEvent]) -> RunRecord:
        self._create(run)
        self._connection.executemany(
            _INSERT_EVENT,
            [
                (
                    e.run_id,
                    e.seq,
                    e.type,
                    canonical_json(e.payload),
                    e.actor,
                    format_timestamp(e.recorded_at),
                    e.idempotency_key,
                    1,
                    e.prev_hash,
                    e.hash,
                    e.command_hash,
                )
                for e in events
            ],
        )
        last = events[-1].seq if events else 0
        self._connection.execute("UPDATE runs SET last_seq = ? WHERE id = ?", (last, run.id))
        return replace(run, last_seq=last)

    def _tail(self, run_id: str, tails: dict[str, _Tail]) -> _Tail:
        tail = tails.get(run_id)
        if tail is not None:
            return tail
        row = self._connection.execute(
            "SELECT r.last_seq, COALESCE(e.hash, r.package_hash) FROM runs AS r"
            " LEFT JOIN events AS e ON e.run_id = r.id AND e.seq = r.last_seq WHERE r.id = ?",
            (run_id,),
        ).fetchone()
        if row is None:
            raise UnknownRun(run_id)
        tail = _Tail(row[0], row[1])
        tails[run_id] = tail
        return tail

    def _find(self, run_id: str, key: str, actor: str | None) -> list[StoredEvent]:
        rows = self._connection.execute(_SELECT_BATCH, (run_id, key, key_scope(actor))).fetchall()
        return [_event_from_row(row) for row in rows]


class SqliteRecorder:
    """The event log in one SQLite file (WAL, ``synchronous=FULL``, one writer thread)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout_ms: int = 5000,
        max_group: int = 512,
        readers: int = 8,
        clock: Clock = utc_now,
    ) -> None:
        """Open (and create or upgrade) the database at ``path``.

        ``clock`` stamps runs and events; tests may pass a fake one.
        """
        self._path = os.fspath(path)
        self._clock = clock
        write_connection = connect_sqlite(self._path, busy_timeout_ms, write=True)
        try:
            upgrade_sqlite(self._path, busy_timeout_ms)
        except BaseException:
            write_connection.close()
            raise
        # Readers cost nothing to hold in WAL mode: never make a reader wait for one.
        self._readers = sqlite_pool(
            self._path,
            busy_timeout_ms=busy_timeout_ms,
            write=False,
            size=readers,
            bounded=False,
            closed_error=_closed,
        )
        self._writer = _Writer(write_connection, max_group, clock)

    @property
    def path(self) -> str:
        """The database file."""
        return self._path

    def create_run(
        self, run_id: str, title: str, package_json: str, package_hash: str
    ) -> RunRecord:
        """Create an empty run; raise `RunAlreadyExists` if the id is taken."""
        run = new_run(run_id, title, package_json, package_hash, self._clock())
        future: Future[RunRecord] = Future()
        self._writer.submit(_CreateJob(run, future))
        return future.result()

    def import_run(self, run: RunRecord, events: list[StoredEvent]) -> RunRecord:
        """Store a run and its events exactly as given (hashes and times kept), in one commit.

        The caller checks the chain first (``verify_chain``); `RunAlreadyExists` if the id
        is taken.
        """
        future: Future[RunRecord] = Future()
        self._writer.submit(_ImportJob(run, list(events), future))
        return future.result()

    def get_run(self, run_id: str) -> RunRecord | None:
        """Return the run, or None if there is none with this id."""
        with self._readers.connection() as connection:
            row = connection.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,)
            ).fetchone()
        return None if row is None else _run_from_row(row)

    def list_runs(self) -> list[RunRecord]:
        """Return every run, oldest first."""
        with self._readers.connection() as connection:
            rows = connection.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY created_at, id"
            ).fetchall()
        return [_run_from_row(row) for row in rows]

    def append(
        self, run_id: str, events: Sequence[NewEvent], expected_seq: int | None = None
    ) -> AppendResult:
        """Record all events in one transaction, or none; return after the commit."""
        future: Future[AppendResult] = Future()
        self._writer.submit(_AppendJob(run_id, prepare_batch(events), expected_seq, future))
        return future.result()

    def read(self, run_id: str, after: int = 0, limit: int | None = None) -> list[StoredEvent]:
        """Return the run's events with seq greater than ``after``, in order."""
        check_page(after, limit)
        with self._readers.connection() as connection:
            rows = connection.execute(
                f"SELECT {_EVENT_COLUMNS} FROM events WHERE run_id = ? AND seq > ?"
                " ORDER BY seq LIMIT ?",
                (run_id, after, -1 if limit is None else limit),
            ).fetchall()
            if not rows:
                self._require_run(connection, run_id)
        return [_event_from_row(row) for row in rows]

    def last_seq(self, run_id: str) -> int:
        """Return the seq of the run's last event (0 for an empty log)."""
        with self._readers.connection() as connection:
            row = connection.execute("SELECT last_seq FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise UnknownRun(run_id)
        return int(row[0])

    def find_by_key(
        self, run_id: str, idempotency_key: str, *, actor: str | None
    ) -> list[StoredEvent]:
        """Return the events ``actor`` appended with this idempotency key (empty if none)."""
        with self._readers.connection() as connection:
            rows = connection.execute(
                _SELECT_BATCH, (run_id, idempotency_key, key_scope(actor))
            ).fetchall()
            if not rows:
                self._require_run(connection, run_id)
        return [_event_from_row(row) for row in rows]

    def close(self) -> None:
        """Finish queued writes and close every connection. Closing twice is harmless."""
        self._writer.stop()
        self._readers.close()

    def __enter__(self) -> SqliteRecorder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @staticmethod
    def _require_run(connection: sqlite3.Connection, run_id: str) -> None:
        if connection.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
            raise UnknownRun(run_id)
