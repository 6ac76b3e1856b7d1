"""The recorder contract: every backend keeps the same append-only, tamper-evident log."""

from __future__ import annotations

import hashlib
import threading
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitroom.storage import (
    AppendResult,
    NewEvent,
    Recorder,
    RecorderClosed,
    RunAlreadyExists,
    SequenceConflict,
    UnknownRun,
    open_recorder,
    verify_chain,
)
from tests.support.threads import run_threads


class Backend(Protocol):
    """What the ``backend`` fixture offers: more recorders on the same database."""

    url: str

    def open(self) -> Recorder:
        """Open another recorder on the same database."""
        ...


PACKAGE_JSON = '{"title": "Exercise Northwind"}'
PACKAGE_HASH = hashlib.sha256(PACKAGE_JSON.encode()).hexdigest()


def start_run(recorder: Recorder, run_id: str = "run-1") -> str:
    recorder.create_run(run_id, "Northwind TTX, day 1", PACKAGE_JSON, PACKAGE_HASH)
    return run_id


def event(n: int, key: str | None = None) -> NewEvent:
    return NewEvent("note-posted", {"n": n}, actor="account:alice", idempotency_key=key)


def test_a_new_run_is_empty_and_listed(recorder: Recorder) -> None:
    created = recorder.create_run("run-1", "Day 1", PACKAGE_JSON, PACKAGE_HASH)
    assert created.last_seq == 0
    assert created.created_at.utcoffset() is not None
    assert recorder.get_run("run-1") == created
    assert recorder.get_run("run-2") is None
    assert recorder.list_runs() == [created]
    assert recorder.last_seq("run-1") == 0
    assert recorder.read("run-1") == []


def test_a_run_id_is_taken_once(recorder: Recorder) -> None:
    start_run(recorder)
    with pytest.raises(RunAlreadyExists):
        recorder.create_run("run-1", "Another", PACKAGE_JSON, PACKAGE_HASH)


def test_seq_numbers_start_at_one_without_gaps(recorder: Recorder) -> None:
    run_id = start_run(recorder)
    for n in range(1, 11):
        result = recorder.append(run_id, [event(n)])
        assert not result.duplicate
        assert [e.seq for e in result.events] == [n]
    stored = recorder.read(run_id)
    assert [e.seq for e in stored] == list(range(1, 11))
    assert [e.payload for e in stored] == [{"n": n} for n in range(1, 11)]
    assert recorder.last_seq(run_id) == 10
    run = recorder.get_run(run_id)
    assert run is not None and run.last_seq == 10


def test_appended_events_are_what_is_read_back(recorder: Recorder) -> None:
    run_id = start_run(recorder)
    result = recorder.append(run_id, [event(1, key="k1"), event(2)])
    assert recorder.read(run_id) == result.events
    first = result.events[0]
    assert first.recorded_at.utcoffset() is not None
    assert first.recorded_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert first.actor == "account:alice"
    assert first.type == "note-posted"


def test_read_after_and_limit(recorder: Recorder) -> None:
    run_id = start_run(recorder)
    for n in range(1, 8):
        recorder.append(run_id, [event(n)])
    assert [e.seq for e in recorder.read(run_id, after=4)] == [5, 6, 7]
    assert [e.seq for e in recorder.read(run_id, after=2, limit=3)] == [3, 4, 5]
    assert recorder.read(run_id, after=7) == []
    assert [e.seq for e in recorder.read(run_id, limit=0)] == []


def test_each_run_has_its_own_sequence(recorder: Recorder) -> None:
    start_run(recorder, "run-a")
    start_run(recorder, "run-b")
    recorder.append("run-a", [event(1), event(2)])
    recorder.append("run-b", [event(1)])
    assert recorder.last_seq("run-a") == 2
    assert [e.seq for e in recorder.read("run-b")] == [1]
    assert [r.id for r in recorder.list_runs()] == ["run-a", "run-b"]


def test_a_batch_is_numbered_together_and_shares_its_commit(recorder: Recorder) -> None:
    run_id = start_run(recorder)
    recorder.append(run_id, [event(0)])
    result = recorder.append(run_id, [event(1), event(2), event(3)])
    assert [e.seq for e in result.events] == [2, 3, 4]
    assert len({e.recorded_at for e in result.events}) == 1
    assert verify_chain(recorder.read(run_id), PACKAGE_HASH) == []


def test_a_rejected_batch_writes_nothing(recorder: Recorder) -> None:
    run_id = start_run(recorder)
    with pytest.raises(ValueError):
        recorder.append(run_id, [event(1), NewEvent("bad", {"x": float("nan")})])
    with pytest.raises(ValueError):
        recorder.append(run_id, [event(1), NewEvent("bad", {"when": object()})])
    with pytest.raises(ValueError):
        recorder.append(run_id, [])
    assert recorder.read(run_id) == []
    assert recorder.last_seq(run_id) == 0


def test_concurrent_batches_never_interleave(recorder: Recorder) -> None:
    run_id = start_run(recorder)

    def work(index: int) -> None:
        for round_ in range(3):
            batch = [
                NewEvent("step-taken", {"writer": index, "round": round_, "step": step})
                for step in range(4)
            ]
            recorder.append(run_id, batch)

    run_threads(10, work)
    stored = recorder.read(run_id)
    assert len(stored) == 10 * 3 * 4
    for start in range(0, len(stored), 4):
        batch = stored[start : start + 4]
        assert [e.payload["step"] for e in batch] == [0, 1, 2, 3]
        assert len({(e.payload["writer"], e.payload["round"]) for e in batch}) == 1
    assert verify_chain(stored, PACKAGE_HASH) == []


def test_sequence_conflict_writes_nothing(recorder: Recorder) -> None:
    run_id = start_run(recorder)
    recorder.append(run_id, [event(1)], expected_seq=0)
    recorder.append(run_id, [event(2)], expected_seq=1)
    with pytest.raises(SequenceConflict) as caught:
        recorder.append(run_id, [event(3), event(4)], expected_seq=1)
    assert caught.value.actual == 2
    assert caught.value.expected == 1
    assert recorder.last_seq(run_id) == 2
    assert [e.seq for e in recorder.read(run_id)] == [1, 2]


def test_only_one_of_racing_appends_with_the_same_expected_seq_wins(
    recorder: Recorder,
) -> None:
    run_id = start_run(recorder)
    outcomes: list[str] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        try:
            recorder.append(run_id, [event(index)], expected_seq=0)
            outcome = "written"
        except SequenceConflict as conflict:
            assert conflict.actual == 1
            outcome = "conflict"
        with lock:
            outcomes.append(outcome)

    run_threads(10, work)
    assert sorted(outcomes) == ["conflict"] * 9 + ["written"]
    assert recorder.last_seq(run_id) == 1


def test_a_retry_with_the_same_key_records_nothing_new(recorder: Recorder) -> None:
    run_id = start_run(recorder)
    first = recorder.append(run_id, [event(1, key="submit-1"), event(2), event(3)])
    recorder.append(run_id, [event(4, key="submit-2")])
    retry = recorder.append(run_id, [event(1, key="submit-1"), event(2), event(3)])
    assert retry == AppendResult(events=first.events, duplicate=True)
    assert recorder.last_seq(run_id) == 4
    assert recorder.find_by_key(run_id, "submit-1") == first.events
    assert [e.seq for e in recorder.find_by_key(run_id, "submit-2")] == [4]
    assert recorder.find_by_key(run_id, "never-sent") == []


def test_a_key_belongs_to_one_run(recorder: Recorder) -> None:
    start_run(recorder, "run-a")
    start_run(recorder, "run-b")
    recorder.append("run-a", [event(1, key="k")])
    result = recorder.append("run-b", [event(1, key="k")])
    assert not result.duplicate
    assert recorder.find_by_key("run-b", "k") == result.events


def test_a_retry_wins_over_a_stale_expected_seq(recorder: Recorder) -> None:
    run_id = start_run(recorder)
    first = recorder.append(run_id, [event(1, key="submit-1")], expected_seq=0)
    recorder.append(run_id, [event(2)])
    retry = recorder.append(run_id, [event(1, key="submit-1")], expected_seq=0)
    assert retry.duplicate
    assert retry.events == first.events


def test_a_batch_key_is_the_first_events(recorder: Recorder) -> None:
    run_id = start_run(recorder)
    with pytest.raises(ValueError):
        recorder.append(run_id, [event(1, key="a"), event(2, key="b")])
    result = recorder.append(run_id, [event(1, key="a"), event(2, key="a")])
    assert [e.idempotency_key for e in result.events] == ["a", None]
    assert recorder.read(run_id) == result.events


def test_twenty_racing_retries_record_once(recorder: Recorder) -> None:
    run_id = start_run(recorder)
    results: list[AppendResult] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        result = recorder.append(run_id, [event(1, key="same"), event(2)])
        with lock:
            results.append(result)

    run_threads(20, work)
    assert len(results) == 20
    assert sum(not r.duplicate for r in results) == 1
    assert all(r.events == results[0].events for r in results)
    assert [e.seq for e in recorder.read(run_id)] == [1, 2]


def test_fifty_concurrent_writers_leave_no_gaps(recorder: Recorder) -> None:
    run_id = start_run(recorder)
    per_writer = 6

    def work(index: int) -> None:
        for n in range(per_writer):
            recorder.append(run_id, [event(n, key=f"w{index}-{n}")])

    run_threads(50, work)
    stored = recorder.read(run_id)
    assert [e.seq for e in stored] == list(range(1, 50 * per_writer + 1))
    assert verify_chain(stored, PACKAGE_HASH) == []


def test_two_recorders_on_one_database_share_one_sequence(backend: Backend) -> None:
    one, two = backend.open(), backend.open()
    run_id = start_run(one)

    def work(index: int) -> None:
        mine = one if index % 2 else two
        for n in range(10):
            mine.append(run_id, [event(n, key=f"w{index}-{n}")])

    run_threads(8, work)
    stored = two.read(run_id)
    assert [e.seq for e in stored] == list(range(1, 81))
    assert verify_chain(stored, PACKAGE_HASH) == []


def test_a_polling_reader_sees_every_seq_once_in_order(recorder: Recorder) -> None:
    run_id = start_run(recorder)
    writers, per_writer = 8, 25
    total = writers * per_writer
    seen: list[int] = []
    done = threading.Event()

    def poll() -> None:
        after = 0
        while True:
            finished = done.is_set()
            for stored in recorder.read(run_id, after=after):
                seen.append(stored.seq)
                after = stored.seq
            if finished:
                return

    reader = threading.Thread(target=poll)
    reader.start()

    def write(index: int) -> None:
        for n in range(per_writer):
            recorder.append(run_id, [event(n, key=f"w{index}-{n}")])

    try:
        run_threads(writers, write)
    finally:
        done.set()
        reader.join()
    assert seen == list(range(1, total + 1))


def test_verify_chain_catches_tampering_with_stored_events(recorder: Recorder) -> None:
    run_id = start_run(recorder)
    for n in range(1, 6):
        recorder.append(run_id, [event(n)])
    stored = recorder.read(run_id)
    assert verify_chain(stored, PACKAGE_HASH) == []
    edited = [*stored]
    edited[2] = replace(stored[2], payload={"n": 99})
    assert any("seq 3" in problem for problem in verify_chain(edited, PACKAGE_HASH))
    deleted = stored[:2] + stored[3:]
    assert any("seq 4" in problem for problem in verify_chain(deleted, PACKAGE_HASH))
    swapped = [stored[0], stored[2], stored[1], *stored[3:]]
    assert verify_chain(swapped, PACKAGE_HASH) != []
    assert verify_chain(stored, "another package") != []


def test_the_log_survives_closing_and_reopening(backend: Backend) -> None:
    recorder = backend.open()
    run_id = start_run(recorder, "durable")
    written = recorder.append(run_id, [event(1, key="k"), event(2)]).events
    recorder.close()
    with pytest.raises(RecorderClosed):
        recorder.append(run_id, [event(3)])
    reopened = backend.open()
    assert reopened.read(run_id) == written
    assert reopened.find_by_key(run_id, "k") == written
    assert reopened.append(run_id, [event(1, key="k")]).duplicate
    assert [e.seq for e in reopened.append(run_id, [event(3)]).events] == [3]
    assert verify_chain(reopened.read(run_id), PACKAGE_HASH) == []


def test_closing_twice_is_harmless(backend: Backend) -> None:
    recorder = backend.open()
    recorder.close()
    recorder.close()


def test_an_unknown_run_is_refused(recorder: Recorder) -> None:
    assert recorder.get_run("nope") is None
    with pytest.raises(UnknownRun):
        recorder.append("nope", [event(1)])
    with pytest.raises(UnknownRun):
        recorder.read("nope")
    with pytest.raises(UnknownRun):
        recorder.last_seq("nope")
    with pytest.raises(UnknownRun):
        recorder.find_by_key("nope", "k")


def test_text_a_backend_cannot_keep_is_refused_everywhere(recorder: Recorder) -> None:
    run_id = start_run(recorder)
    with pytest.raises(ValueError):
        recorder.append(run_id, [NewEvent("note-posted", {}, actor="account:\x00")])
    with pytest.raises(ValueError):
        recorder.append(run_id, [NewEvent("note-posted", {"s": "\ud800"})])
    assert recorder.read(run_id) == []


AWKWARD_PAYLOAD: dict[str, Any] = {
    "zeta": 1,
    "alpha": {"nested": [3, 2, 1], "empty": {}, "list": []},
    "korean": "북쪽 동맹 협의",
    "emoji": "🛰️ status: 🟢",
    "nul": "a\x00b",
    "controls": 'tab\tnewline\nquote"backslash\\',
    "floats": [0.1, -0.0, 1e-7, 1.5e300, 2.0, 123456789.123456789],
    "ints": [0, -1, 2**63 - 1, 2**80],
    "flags": [True, False, None],
    "": "empty key",
}


def test_awkward_payloads_round_trip_and_verify(recorder: Recorder) -> None:
    run_id = start_run(recorder)
    written = recorder.append(run_id, [NewEvent("note-posted", AWKWARD_PAYLOAD)]).events
    stored = recorder.read(run_id)
    assert stored == written
    assert stored[0].payload == AWKWARD_PAYLOAD
    assert verify_chain(stored, PACKAGE_HASH) == []


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(payloads=st.lists(st.dictionaries(st.text(max_size=8), json_values), min_size=1))
def test_random_payloads_round_trip_and_verify(
    recorder: Recorder, payloads: list[dict[str, Any]]
) -> None:
    run_id = start_run(recorder, f"run-{uuid.uuid4().hex}")
    written = recorder.append(run_id, [NewEvent("note-posted", p) for p in payloads]).events
    stored = recorder.read(run_id)
    assert stored == written
    assert verify_chain(stored, PACKAGE_HASH) == []


def test_appends_return_after_their_commit(backend: Backend) -> None:
    writer, reader = backend.open(), backend.open()
    run_id = start_run(writer)
    for n in range(1, 21):
        writer.append(run_id, [event(n)])
        assert reader.last_seq(run_id) == n
        assert reader.read(run_id, after=n - 1)[0].seq == n


def test_every_backend_is_a_recorder(recorder: Recorder) -> None:
    assert isinstance(recorder, Recorder)


@pytest.mark.parametrize("url", ["", "sqlite://", "sqlite:///:memory:", "mysql://db/sitroom"])
def test_open_recorder_refuses_what_it_cannot_open(url: str) -> None:
    with pytest.raises(ValueError):
        open_recorder(url)


def test_a_bare_path_and_a_sqlite_url_open_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "plain.db"
    first = open_recorder(str(path))
    try:
        start_run(first)
        first.append("run-1", [event(1)])
    finally:
        first.close()
    second = open_recorder(f"sqlite:///{path}")
    try:
        assert second.last_seq("run-1") == 1
    finally:
        second.close()


def test_a_negative_window_is_refused(recorder: Recorder) -> None:
    run_id = start_run(recorder)
    with pytest.raises(ValueError):
        recorder.read(run_id, limit=-1)
    with pytest.raises(ValueError):
        recorder.read(run_id, after=-1)


def test_a_given_clock_stamps_runs_and_events(backend: Backend) -> None:
    moment = datetime(2027, 3, 4, 18, 0, 0, 123456, tzinfo=timezone(timedelta(hours=9)))
    recorder = open_recorder(backend.url, clock=lambda: moment)
    try:
        run = recorder.create_run("clocked", "Day 1", PACKAGE_JSON, PACKAGE_HASH)
        stored = recorder.append("clocked", [event(1)]).events
    finally:
        recorder.close()
    assert run.created_at == moment
    assert run.created_at.utcoffset() == timedelta(0)
    assert stored[0].recorded_at == moment
    assert stored[0].recorded_at.utcoffset() == timedelta(0)
