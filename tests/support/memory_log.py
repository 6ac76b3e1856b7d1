"""An event log in memory with the recorder's contract, for unit tests of the services.

It numbers, chains and deduplicates exactly like the real backends (it uses the same
``prepare_batch`` and ``seal_batch``), so what a unit test sees is what they would record.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace

from sitroom.storage.recorder import (
    AppendResult,
    Clock,
    NewEvent,
    RunAlreadyExists,
    RunRecord,
    SequenceConflict,
    StoredEvent,
    UnknownRun,
    check_page,
    new_run,
    prepare_batch,
    seal_batch,
    utc_now,
)


class MemoryLog:
    """Runs and their events in dicts; thread-safe; nothing survives the process."""

    def __init__(self, clock: Clock = utc_now) -> None:
        self._clock = clock
        self._runs: dict[str, RunRecord] = {}
        self._events: dict[str, list[StoredEvent]] = {}
        self._keys: dict[tuple[str, str], list[StoredEvent]] = {}
        self._lock = threading.Lock()

    def create_run(
        self, run_id: str, title: str, package_json: str, package_hash: str
    ) -> RunRecord:
        run = new_run(run_id, title, package_json, package_hash, self._clock())
        with self._lock:
            if run_id in self._runs:
                raise RunAlreadyExists(run_id)
            self._runs[run_id] = run
            self._events[run_id] = []
        return run

    def get_run(self, run_id: str) -> RunRecord | None:
        with self._lock:
            run = self._runs.get(run_id)
            return None if run is None else replace(run, last_seq=len(self._events[run_id]))

    def list_runs(self) -> list[RunRecord]:
        with self._lock:
            ids = list(self._runs)
        return [run for run in map(self.get_run, ids) if run is not None]

    def append(
        self, run_id: str, events: Sequence[NewEvent], expected_seq: int | None = None
    ) -> AppendResult:
        batch = prepare_batch(events)
        key = batch[0].idempotency_key
        with self._lock:
            log = self._require(run_id)
            if key is not None and (run_id, key) in self._keys:
                return AppendResult(list(self._keys[(run_id, key)]), duplicate=True)
            if expected_seq is not None and expected_seq != len(log):
                raise SequenceConflict(run_id, expected_seq, len(log))
            last_hash = log[-1].hash if log else self._runs[run_id].package_hash
            sealed = seal_batch(run_id, batch, len(log), last_hash, self._clock())
            log.extend(sealed)
            if key is not None:
                self._keys[(run_id, key)] = sealed
        return AppendResult(sealed)

    def read(self, run_id: str, after: int = 0, limit: int | None = None) -> list[StoredEvent]:
        check_page(after, limit)
        with self._lock:
            log = self._require(run_id)
            return log[after : None if limit is None else after + limit]

    def last_seq(self, run_id: str) -> int:
        with self._lock:
            return len(self._require(run_id))

    def import_run(self, run: RunRecord, events: list[StoredEvent]) -> RunRecord:
        with self._lock:
            if run.id in self._runs:
                raise RunAlreadyExists(run.id)
            self._runs[run.id] = run
            self._events[run.id] = list(events)
        return replace(run, last_seq=len(events))

    def find_by_key(self, run_id: str, idempotency_key: str) -> list[StoredEvent]:
        with self._lock:
            self._require(run_id)
            return list(self._keys.get((run_id, idempotency_key), []))

    def close(self) -> None:
        """Nothing to release."""

    def _require(self, run_id: str) -> list[StoredEvent]:
        log = self._events.get(run_id)
        if log is None:
            raise UnknownRun(run_id)
        return log
