"""The PostgreSQL event-log recorder (psycopg 3, a small connection pool).

Sequence numbers follow commit order per run: an append locks the run's row
(``SELECT … FOR UPDATE``), numbers its events after ``runs.last_seq``, inserts them, moves
``last_seq`` and commits, all in one transaction. The next append on the same run waits for
that commit, so a reader asking for "after N" never skips an event that commits late.

Appends to one run from many threads of a process are committed in groups (group commit):
the first caller leads, takes every append queued for the run meanwhile (up to
``max_group``), and records them in one transaction under one row lock, each keeping its own
idempotency key, expected sequence number and outcome; then it hands the lead to the first
caller still waiting. A room's thousand receipts after a release cost a few commits, not a
thousand flushes in a row.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from datetime import UTC
from typing import Any

import psycopg
from psycopg import errors

from sitroom.storage.migrations import upgrade_postgres
from sitroom.storage.pool import PoolTimeout, postgres_pool, with_connect_timeout
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

Connection = psycopg.Connection[tuple[Any, ...]]

_EVENT_COLUMNS = (
    "run_id, seq, type, payload, actor, recorded_at, idempotency_key, prev_hash, hash, command_hash"
)
_RUN_COLUMNS = "id, title, package_json, package_hash, created_at, last_seq"
_INSERT_EVENT = (
    "INSERT INTO events (run_id, seq, type, payload, actor, recorded_at, idempotency_key,"
    " batch_size, prev_hash, hash, command_hash)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
_LOCK_RUN = "SELECT last_seq, package_hash FROM runs WHERE id = %s FOR UPDATE"
# The hash of the run's last event, and the head of the actor's earlier batch with this key.
_LOOK_UP = (
    "SELECT 'last', hash FROM events WHERE run_id = %(run)s"
    " AND seq = (SELECT last_seq FROM runs WHERE id = %(run)s)"
    " UNION ALL SELECT 'key', hash FROM events"
    " WHERE run_id = %(run)s AND idempotency_key = %(key)s AND coalesce(actor, '') = %(actor)s"
)
_SELECT_BATCH = (
    "SELECT e.run_id, e.seq, e.type, e.payload, e.actor, e.recorded_at, e.idempotency_key,"
    " e.prev_hash, e.hash, e.command_hash FROM events AS h JOIN events AS e"
    " ON e.run_id = h.run_id AND e.seq BETWEEN h.seq AND h.seq + h.batch_size - 1"
    " WHERE h.run_id = %s AND h.idempotency_key = %s AND coalesce(h.actor, '') = %s"
    " ORDER BY e.seq"
)


_KEYS_TAKEN = (
    "SELECT idempotency_key, coalesce(actor, '') FROM events"
    " WHERE run_id = %s AND idempotency_key = ANY(%s)"
)

__all__ = ["PoolTimeout", "PostgresRecorder", "with_connect_timeout"]


@dataclass(slots=True)
class _Append:
    """One caller's append waiting in its run's queue."""

    batch: list[PreparedEvent]
    expected_seq: int | None
    future: Future[AppendResult] = field(default_factory=Future)
    wake: threading.Event = field(default_factory=threading.Event)
    """Set when the append is done, or when its caller is to lead the next group."""


@dataclass(slots=True)
class _RunQueue:
    waiting: list[_Append] = field(default_factory=list)
    leading: bool = False


def _closed() -> Exception:
    return RecorderClosed("the recorder is closed")


def _event_from_row(row: Sequence[Any]) -> StoredEvent:
    return StoredEvent(
        run_id=row[0],
        seq=row[1],
        type=row[2],
        payload=json.loads(row[3]),
        actor=row[4],
        recorded_at=row[5].astimezone(UTC),
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
        created_at=row[4].astimezone(UTC),
        last_seq=row[5],
    )


class PostgresRecorder:
    """The event log in a PostgreSQL database."""

    def __init__(
        self,
        conninfo: str,
        *,
        pool_size: int = 10,
        pool_timeout: float = 30.0,
        clock: Clock = utc_now,
        max_group: int = 500,
    ) -> None:
        """Open (and create or upgrade) the database at ``conninfo``.

        ``clock`` stamps runs and events; tests may pass a fake one. ``max_group``: the most
        appends committed together.
        """
        if max_group < 1:
            raise ValueError(f"max_group must be at least 1, got {max_group}")
        self._clock = clock
        self._max_group = max_group
        self._queues: dict[str, _RunQueue] = {}
        self._queues_lock = threading.Lock()
        conninfo = with_connect_timeout(conninfo)
        upgrade_postgres(conninfo)
        self._pool = postgres_pool(
            conninfo, size=pool_size, timeout=pool_timeout, closed_error=_closed
        )

    def create_run(
        self, run_id: str, title: str, package_json: str, package_hash: str
    ) -> RunRecord:
        """Create an empty run; raise `RunAlreadyExists` if the id is taken."""
        run = new_run(run_id, title, package_json, package_hash, self._clock())
        with self._pool.connection() as connection:
            row = connection.execute(
                "INSERT INTO runs (id, title, package_json, package_hash, created_at, last_seq)"
                " VALUES (%s, %s, %s, %s, %s, 0) ON CONFLICT (id) DO NOTHING RETURNING id",
                (run.id, run.title, run.package_json, run.package_hash, run.created_at),
            ).fetchone()
        if row is None:
            raise RunAlreadyExists(run_id)
        return run

    def import_run(self, run: RunRecord, events: list[StoredEvent]) -> RunRecord:
        """Store a run and its events exactly as given (hashes and times kept), in one commit.

        The caller checks the chain first (``verify_chain``); `RunAlreadyExists` if the id
        is taken.
        """
        last = events[-1].seq if events else 0
        with self._pool.connection() as connection, connection.transaction():
            row = connection.execute(
                "INSERT INTO runs (id, title, package_json, package_hash, created_at, last_seq)"
                " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING RETURNING id",
                (run.id, run.title, run.package_json, run.package_hash, run.created_at, last),
            ).fetchone()
            if row is None:
                raise RunAlreadyExists(run.id)
            with connection.cursor() as cursor:
                cursor.executemany(
                    _INSERT_EVENT,
                    [
                        (
                            e.run_id,
                            e.seq,
                            e.type,
                            canonical_json(e.payload),
                            e.actor,
                            e.recorded_at,
                            e.idempotency_key,
                            1,
                            e.prev_hash,
                            e.hash,
                            e.command_hash,
                        )
                        for e in events
                    ],
                )
        return replace(run, last_seq=last)

    def get_run(self, run_id: str) -> RunRecord | None:
        """Return the run, or None if there is none with this id."""
        with self._pool.connection() as connection:
            row = connection.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = %s", (run_id,)
            ).fetchone()
        return None if row is None else _run_from_row(row)

    def list_runs(self) -> list[RunRecord]:
        """Return every run, oldest first."""
        with self._pool.connection() as connection:
            rows = connection.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY created_at, id"
            ).fetchall()
        return [_run_from_row(row) for row in rows]

    def append(
        self, run_id: str, events: Sequence[NewEvent], expected_seq: int | None = None
    ) -> AppendResult:
        """Record all events in one transaction, or none; return after the commit."""
        job = _Append(prepare_batch(events), expected_seq)
        with self._queues_lock:
            queue = self._queues.setdefault(run_id, _RunQueue())
            queue.waiting.append(job)
            lead = not queue.leading
            queue.leading = True
        if not lead:
            job.wake.wait()
        if not job.future.done():  # this caller leads the next group (which holds its append)
            self._lead(run_id, queue)
        return job.future.result()

    def _lead(self, run_id: str, queue: _RunQueue) -> None:
        """Commit one group of the run's waiting appends, then hand the lead on."""
        with self._queues_lock:
            group = queue.waiting[: self._max_group]
            del queue.waiting[: len(group)]
        try:
            self._commit_group(run_id, group)
        except BaseException as error:  # never leave a caller waiting forever
            for job in group:
                if not job.future.done():
                    job.future.set_exception(error)
            raise
        finally:
            for job in group:
                job.wake.set()
            with self._queues_lock:
                if queue.waiting:
                    queue.waiting[0].wake.set()  # its caller leads the next group
                else:
                    queue.leading = False

    def _commit_group(self, run_id: str, group: list[_Append]) -> None:
        """Record ``group`` in one transaction; settle each append's future after the commit."""
        keys = [job.batch[0].idempotency_key for job in group]
        outcomes: list[AppendResult | Exception] = []
        try:
            with (
                self._pool.connection() as connection,
                connection.pipeline(),
                connection.transaction(),
            ):
                lock = connection.execute(_LOCK_RUN, (run_id,))
                look = connection.execute(_LOOK_UP, {"run": run_id, "key": None, "actor": ""})
                taken_rows = connection.execute(
                    _KEYS_TAKEN, (run_id, [k for k in keys if k is not None])
                )
                row = lock.fetchone()
                if row is None:
                    raise UnknownRun(run_id)
                last_seq: int = row[0]
                last_hash: str | None = row[1] if last_seq == 0 else None
                for _kind, value in look.fetchall():
                    last_hash = value
                if last_hash is None:
                    raise RuntimeError(f"run {run_id!r}: its last event ({last_seq}) is missing")
                taken = {(str(k), str(a)) for k, a in taken_rows.fetchall()}
                recorded_at = parse_timestamp(format_timestamp(self._clock()))
                rows: list[tuple[Any, ...]] = []
                new: dict[tuple[str, str], list[StoredEvent]] = {}
                for job, key in zip(group, keys, strict=True):
                    scope = key_scope(job.batch[0].actor)
                    if key is not None and (key, scope) in taken:
                        earlier = self._find(connection, run_id, key, job.batch[0].actor)
                        outcomes.append(AppendResult(events=earlier, duplicate=True))
                        continue
                    if key is not None and (key, scope) in new:
                        outcomes.append(AppendResult(events=new[(key, scope)], duplicate=True))
                        continue
                    if job.expected_seq is not None and job.expected_seq != last_seq:
                        outcomes.append(SequenceConflict(run_id, job.expected_seq, last_seq))
                        continue
                    sealed = seal_batch(run_id, job.batch, last_seq, last_hash, recorded_at)
                    rows.extend(_rows(sealed, job.batch, recorded_at))
                    last_seq, last_hash = sealed[-1].seq, sealed[-1].hash
                    if key is not None:
                        new[(key, scope)] = sealed
                    outcomes.append(AppendResult(events=sealed, duplicate=False))
                if rows:
                    with connection.cursor() as cursor:
                        cursor.executemany(_INSERT_EVENT, rows)
                        cursor.execute(
                            "UPDATE runs SET last_seq = %s WHERE id = %s", (last_seq, run_id)
                        )
        except errors.UniqueViolation:
            # Only reachable if something appended without the row lock: each append again
            # on its own, where the key decides.
            outcomes = [self._append_alone(run_id, job) for job in group]
        except Exception as error:
            for job in group:
                job.future.set_exception(error)
            return
        for job, outcome in zip(group, outcomes, strict=True):
            if isinstance(outcome, Exception):
                job.future.set_exception(outcome)
            else:
                job.future.set_result(outcome)

    def _append_alone(self, run_id: str, job: _Append) -> AppendResult | Exception:
        """One append in a transaction of its own (after a group's unexpected conflict)."""
        key = job.batch[0].idempotency_key
        actor = job.batch[0].actor
        try:
            with self._pool.connection() as connection, connection.transaction():
                row = connection.execute(_LOCK_RUN, (run_id,)).fetchone()
                if row is None:
                    return UnknownRun(run_id)
                last_seq: int = row[0]
                last_hash: str | None = row[1] if last_seq == 0 else None
                look = connection.execute(
                    _LOOK_UP, {"run": run_id, "key": key, "actor": key_scope(actor)}
                )
                for kind, value in look.fetchall():
                    if kind == "key":
                        earlier = self._find(connection, run_id, str(key), actor)
                        return AppendResult(events=earlier, duplicate=True)
                    last_hash = value
                if last_hash is None:
                    return RuntimeError(f"run {run_id!r}: its last event ({last_seq}) is missing")
                if job.expected_seq is not None and job.expected_seq != last_seq:
                    return SequenceConflict(run_id, job.expected_seq, last_seq)
                recorded_at = parse_timestamp(format_timestamp(self._clock()))
                sealed = seal_batch(run_id, job.batch, last_seq, last_hash, recorded_at)
                with connection.cursor() as cursor:
                    cursor.executemany(_INSERT_EVENT, _rows(sealed, job.batch, recorded_at))
                    cursor.execute(
                        "UPDATE runs SET last_seq = %s WHERE id = %s", (sealed[-1].seq, run_id)
                    )
        except errors.UniqueViolation as error:
            if key is None:
                return error
            with self._pool.connection() as connection:
                earlier = self._find(connection, run_id, key, actor)
            return AppendResult(events=earlier, duplicate=True) if earlier else error
        except Exception as error:
            return error
        return AppendResult(events=sealed, duplicate=False)

    def read(self, run_id: str, after: int = 0, limit: int | None = None) -> list[StoredEvent]:
        """Return the run's events with seq greater than ``after``, in order."""
        check_page(after, limit)
        with self._pool.connection() as connection:
            rows = connection.execute(
                f"SELECT {_EVENT_COLUMNS} FROM events WHERE run_id = %s AND seq > %s"
                " ORDER BY seq LIMIT %s",
                (run_id, after, limit),
            ).fetchall()
            if not rows:
                self._require_run(connection, run_id)
        return [_event_from_row(row) for row in rows]

    def last_seq(self, run_id: str) -> int:
        """Return the seq of the run's last event (0 for an empty log)."""
        with self._pool.connection() as connection:
            row = connection.execute(
                "SELECT last_seq FROM runs WHERE id = %s", (run_id,)
            ).fetchone()
        if row is None:
            raise UnknownRun(run_id)
        return int(row[0])

    def find_by_key(
        self, run_id: str, idempotency_key: str, *, actor: str | None
    ) -> list[StoredEvent]:
        """Return the events ``actor`` appended with this idempotency key (empty if none)."""
        with self._pool.connection() as connection:
            events = self._find(connection, run_id, idempotency_key, actor)
            if not events:
                self._require_run(connection, run_id)
        return events

    def close(self) -> None:
        """Close every pooled connection. Closing twice is harmless."""
        self._pool.close()

    def __enter__(self) -> PostgresRecorder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @staticmethod
    def _find(
        connection: Connection, run_id: str, key: str, actor: str | None
    ) -> list[StoredEvent]:
        rows = connection.execute(_SELECT_BATCH, (run_id, key, key_scope(actor))).fetchall()
        return [_event_from_row(row) for row in rows]

    @staticmethod
    def _require_run(connection: Connection, run_id: str) -> None:
        row = connection.execute("SELECT 1 FROM runs WHERE id = %s", (run_id,)).fetchone()
        if row is None:
            raise UnknownRun(run_id)


def _rows(
    sealed: Sequence[StoredEvent], batch: Sequence[PreparedEvent], recorded_at: Any
) -> list[tuple[Any, ...]]:
    """The ``events`` rows of one sealed append (its size on every row: the batch's extent)."""
    return [
        (
            event.run_id,
            event.seq,
            event.type,
            item.payload_json,
            event.actor,
            recorded_at,
            event.idempotency_key,
            len(sealed),
            event.prev_hash,
            event.hash,
            event.command_hash,
        )
        for event, item in zip(sealed, batch, strict=True)
    ]
