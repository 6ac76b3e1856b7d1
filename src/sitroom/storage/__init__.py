"""The append-only, tamper-evident event log of runs, on SQLite, PostgreSQL or in memory."""

from sitroom.storage.factory import open_recorder
from sitroom.storage.memory import MemoryLog, MemoryRecorder
from sitroom.storage.recorder import (
    AppendResult,
    NewEvent,
    Recorder,
    RecorderClosed,
    RunAlreadyExists,
    RunRecord,
    SequenceConflict,
    StoredEvent,
    UnknownRun,
    canonical_json,
    event_hash,
    verify_chain,
)

__all__ = [
    "AppendResult",
    "MemoryLog",
    "MemoryRecorder",
    "NewEvent",
    "Recorder",
    "RecorderClosed",
    "RunAlreadyExists",
    "RunRecord",
    "SequenceConflict",
    "StoredEvent",
    "UnknownRun",
    "canonical_json",
    "event_hash",
    "open_recorder",
    "verify_chain",
]
