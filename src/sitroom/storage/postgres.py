"""The PostgreSQL event-log recorder (psycopg 3, a small connection pool).

Sequence numbers follow commit order per run: an append locks the run's row
(``SELECT … FOR UPDATE``), numbers its events after ``runs.last_seq``, inserts them, moves
``last_seq`` and commits, all in one transaction. The next append on the same run waits for
that commit, so a reader asking for "after N" never skips an event that commits late.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
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


__all__ = ["PoolTimeout", "PostgresRecorder", "with_connect_timeout"]


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
    ) -> None:
        """Open (and create or upgrade) the database at ``conninfo``.

        ``clock`` stamps runs and events; tests may pass a fake one.
        """
        self._clock = clock
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
        batch = prepare_batch(events)
        key = batch[0].idempotency_key
        actor = batch[0].actor
        try:
            # Pipelined: the lock and the look-up travel together, then the writes and the
            # commit; the server still runs them in order, and the look-up starts after the
            # lock is held, so it sees everything the appends before this one committed.
            with (
                self._pool.connection() as connection,
                connection.pipeline(),
                connection.transaction(),
            ):
                lock = connection.execute(_LOCK_RUN, (run_id,))
                look = connection.execute(
                    _LOOK_UP, {"run": run_id, "key": key, "actor": key_scope(actor)}
                )
                row = lock.fetchone()
                if row is None:
                    raise UnknownRun(run_id)
                last_seq: int = row[0]
                last_hash: str | None = row[1] if last_seq == 0 else None
                for kind, value in look.fetchall():
                    if kind == "key":
                        earlier = self._find(connection, run_id, str(key), actor)
                        return AppendResult(events=earlier, duplicate=True)
                    last_hash = value
                if last_hash is None:
                    raise RuntimeError(f"run {run_id!r}: its last event ({last_seq}) is missing")
                if expected_seq is not None and expected_seq != last_seq:
                    raise SequenceConflict(run_id, expected_seq, last_seq)
                recorded_at = parse_timestamp(format_timestamp(self._clock()))
                sealed = seal_batch(run_id, batch, last_seq, last_hash, recorded_at)
                with connection.cursor() as cursor:
                    cursor.executemany(
                        _INSERT_EVENT,
                        [
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
                        ],
                    )
                    cursor.execute(
                        "UPDATE runs SET last_seq = %s WHERE id = %s", (sealed[-1].seq, run_id)
                    )
        except errors.UniqueViolation:
            # Only reachable if something appended without the row lock; the key decides.
            if key is None:
                raise
            with self._pool.connection() as connection:
                earlier = self._find(connection, run_id, key, actor)
            if not earlier:
                raise
            return AppendResult(events=earlier, duplicate=True)
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
