"""The recorder contract: every backend keeps the same append-only, tamper-evident log."""

from __future__ import annotations

import hashlib
import threading
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

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
from sitroom.storage.recorder import event_hash, parse_timestamp
from tests.contract.conftest import Backend
from tests.support.threads import run_threads

PACKAGE_JSON = '{"title": "Exercise Northwind"}'
PACKAGE_HASH = hashlib.sha256(PACKAGE_JSON.encode()).hexdigest()


def start_run(recorder: Recorder, run_id: str = "run-1") -> str:
    recorder.create_run(run_id, "Northwind TTX, day 1", PACKAGE_JSON, PACKAGE_HASH)
    return run_id


ALICE = "account:alice"


def event(n: int, key: str | None = None, actor: str | None = ALICE) -> NewEvent:
    return NewEvent("note-posted", {"n": n}, actor=actor, idempotency_key=key)


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


class RecorderContract:
    """The contract every recorder keeps; each backend subclasses it and names its backend.

    Abstract: pytest collects only the subclasses (their names start with ``Test``).
    """

    @pytest.fixture
    def backend(self) -> Backend:
        """The backend under test; every subclass overrides this."""
        raise NotImplementedError

    @pytest.fixture
    def recorder(self, backend: Backend) -> Recorder:
        """A recorder on an empty log."""
        assert backend.primary is not None
        return backend.primary

    def test_a_new_run_is_empty_and_listed(self, recorder: Recorder) -> None:
        created = recorder.create_run("run-1", "Day 1", PACKAGE_JSON, PACKAGE_HASH)
        assert created.last_seq == 0
        assert created.created_at.utcoffset() is not None
        assert recorder.get_run("run-1") == created
        assert recorder.get_run("run-2") is None
        assert recorder.list_runs() == [created]
        assert recorder.last_seq("run-1") == 0
        assert recorder.read("run-1") == []

    def test_a_run_id_is_taken_once(self, recorder: Recorder) -> None:
        start_run(recorder)
        with pytest.raises(RunAlreadyExists):
            recorder.create_run("run-1", "Another", PACKAGE_JSON, PACKAGE_HASH)

    def test_seq_numbers_start_at_one_without_gaps(self, recorder: Recorder) -> None:
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

    def test_appended_events_are_what_is_read_back(self, recorder: Recorder) -> None:
        run_id = start_run(recorder)
        result = recorder.append(run_id, [event(1, key="k1"), event(2)])
        assert recorder.read(run_id) == result.events
        first = result.events[0]
        assert first.recorded_at.utcoffset() is not None
        assert first.recorded_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
        assert first.actor == "account:alice"
        assert first.type == "note-posted"

    def test_read_after_and_limit(self, recorder: Recorder) -> None:
        run_id = start_run(recorder)
        for n in range(1, 8):
            recorder.append(run_id, [event(n)])
        assert [e.seq for e in recorder.read(run_id, after=4)] == [5, 6, 7]
        assert [e.seq for e in recorder.read(run_id, after=2, limit=3)] == [3, 4, 5]
        assert recorder.read(run_id, after=7) == []
        assert [e.seq for e in recorder.read(run_id, limit=0)] == []

    def test_each_run_has_its_own_sequence(self, recorder: Recorder) -> None:
        start_run(recorder, "run-a")
        start_run(recorder, "run-b")
        recorder.append("run-a", [event(1), event(2)])
        recorder.append("run-b", [event(1)])
        assert recorder.last_seq("run-a") == 2
        assert [e.seq for e in recorder.read("run-b")] == [1]
        assert [r.id for r in recorder.list_runs()] == ["run-a", "run-b"]

    def test_a_batch_is_numbered_together_and_shares_its_commit(self, recorder: Recorder) -> None:
        run_id = start_run(recorder)
        recorder.append(run_id, [event(0)])
        result = recorder.append(run_id, [event(1), event(2), event(3)])
        assert [e.seq for e in result.events] == [2, 3, 4]
        assert len({e.recorded_at for e in result.events}) == 1
        assert verify_chain(recorder.read(run_id), PACKAGE_HASH) == []

    def test_a_rejected_batch_writes_nothing(self, recorder: Recorder) -> None:
        run_id = start_run(recorder)
        with pytest.raises(ValueError):
            recorder.append(run_id, [event(1), NewEvent("bad", {"x": float("nan")})])
        with pytest.raises(ValueError):
            recorder.append(run_id, [event(1), NewEvent("bad", {"when": object()})])
        with pytest.raises(ValueError):
            recorder.append(run_id, [])
        assert recorder.read(run_id) == []
        assert recorder.last_seq(run_id) == 0

    def test_concurrent_batches_never_interleave(self, recorder: Recorder) -> None:
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

    def test_sequence_conflict_writes_nothing(self, recorder: Recorder) -> None:
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
        self,
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

    def test_a_retry_with_the_same_key_records_nothing_new(self, recorder: Recorder) -> None:
        run_id = start_run(recorder)
        first = recorder.append(run_id, [event(1, key="submit-1"), event(2), event(3)])
        recorder.append(run_id, [event(4, key="submit-2")])
        retry = recorder.append(run_id, [event(1, key="submit-1"), event(2), event(3)])
        assert retry == AppendResult(events=first.events, duplicate=True)
        assert recorder.last_seq(run_id) == 4
        assert recorder.find_by_key(run_id, "submit-1", actor=ALICE) == first.events
        assert [e.seq for e in recorder.find_by_key(run_id, "submit-2", actor=ALICE)] == [4]
        assert recorder.find_by_key(run_id, "never-sent", actor=ALICE) == []

    def test_a_key_belongs_to_one_run(self, recorder: Recorder) -> None:
        start_run(recorder, "run-a")
        start_run(recorder, "run-b")
        recorder.append("run-a", [event(1, key="k")])
        result = recorder.append("run-b", [event(1, key="k")])
        assert not result.duplicate
        assert recorder.find_by_key("run-b", "k", actor=ALICE) == result.events

    def test_a_retry_wins_over_a_stale_expected_seq(self, recorder: Recorder) -> None:
        run_id = start_run(recorder)
        first = recorder.append(run_id, [event(1, key="submit-1")], expected_seq=0)
        recorder.append(run_id, [event(2)])
        retry = recorder.append(run_id, [event(1, key="submit-1")], expected_seq=0)
        assert retry.duplicate
        assert retry.events == first.events

    def test_a_batch_key_is_the_first_events(self, recorder: Recorder) -> None:
        run_id = start_run(recorder)
        with pytest.raises(ValueError):
            recorder.append(run_id, [event(1, key="a"), event(2, key="b")])
        result = recorder.append(run_id, [event(1, key="a"), event(2, key="a")])
        assert [e.idempotency_key for e in result.events] == ["a", None]
        assert recorder.read(run_id) == result.events

    def test_twenty_racing_retries_record_once(self, recorder: Recorder) -> None:
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

    def test_fifty_concurrent_writers_leave_no_gaps(self, recorder: Recorder) -> None:
        run_id = start_run(recorder)
        per_writer = 6

        def work(index: int) -> None:
            for n in range(per_writer):
                recorder.append(run_id, [event(n, key=f"w{index}-{n}")])

        run_threads(50, work)
        stored = recorder.read(run_id)
        assert [e.seq for e in stored] == list(range(1, 50 * per_writer + 1))
        assert verify_chain(stored, PACKAGE_HASH) == []

    def test_two_recorders_on_one_database_share_one_sequence(self, backend: Backend) -> None:
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

    def test_a_polling_reader_sees_every_seq_once_in_order(self, recorder: Recorder) -> None:
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

    def test_verify_chain_catches_tampering_with_stored_events(self, recorder: Recorder) -> None:
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

    def test_the_log_survives_closing_and_reopening(self, backend: Backend) -> None:
        recorder = backend.open()
        run_id = start_run(recorder, "durable")
        written = recorder.append(run_id, [event(1, key="k"), event(2)]).events
        recorder.close()
        with pytest.raises(RecorderClosed):
            recorder.append(run_id, [event(3)])
        reopened = backend.open()
        assert reopened.read(run_id) == written
        assert reopened.find_by_key(run_id, "k", actor=ALICE) == written
        assert reopened.append(run_id, [event(1, key="k")]).duplicate
        assert [e.seq for e in reopened.append(run_id, [event(3)]).events] == [3]
        assert verify_chain(reopened.read(run_id), PACKAGE_HASH) == []

    def test_closing_twice_is_harmless(self, backend: Backend) -> None:
        recorder = backend.open()
        recorder.close()
        recorder.close()

    def test_an_unknown_run_is_refused(self, recorder: Recorder) -> None:
        assert recorder.get_run("nope") is None
        with pytest.raises(UnknownRun):
            recorder.append("nope", [event(1)])
        with pytest.raises(UnknownRun):
            recorder.read("nope")
        with pytest.raises(UnknownRun):
            recorder.last_seq("nope")
        with pytest.raises(UnknownRun):
            recorder.find_by_key("nope", "k", actor=ALICE)

    def test_text_a_backend_cannot_keep_is_refused_everywhere(self, recorder: Recorder) -> None:
        run_id = start_run(recorder)
        with pytest.raises(ValueError):
            recorder.append(run_id, [NewEvent("note-posted", {}, actor="account:\x00")])
        with pytest.raises(ValueError):
            recorder.append(run_id, [NewEvent("note-posted", {"s": "\ud800"})])
        assert recorder.read(run_id) == []

    def test_awkward_payloads_round_trip_and_verify(self, recorder: Recorder) -> None:
        run_id = start_run(recorder)
        written = recorder.append(run_id, [NewEvent("note-posted", AWKWARD_PAYLOAD)]).events
        stored = recorder.read(run_id)
        assert stored == written
        assert stored[0].payload == AWKWARD_PAYLOAD
        assert verify_chain(stored, PACKAGE_HASH) == []

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(payloads=st.lists(st.dictionaries(st.text(max_size=8), json_values), min_size=1))
    def test_random_payloads_round_trip_and_verify(
        self, recorder: Recorder, payloads: list[dict[str, Any]]
    ) -> None:
        run_id = start_run(recorder, f"run-{uuid.uuid4().hex}")
        written = recorder.append(run_id, [NewEvent("note-posted", p) for p in payloads]).events
        stored = recorder.read(run_id)
        assert stored == written
        assert verify_chain(stored, PACKAGE_HASH) == []

    def test_appends_return_after_their_commit(self, backend: Backend) -> None:
        writer, reader = backend.open(), backend.open()
        run_id = start_run(writer)
        for n in range(1, 21):
            writer.append(run_id, [event(n)])
            assert reader.last_seq(run_id) == n
            assert reader.read(run_id, after=n - 1)[0].seq == n

    def test_every_backend_is_a_recorder(self, recorder: Recorder) -> None:
        assert isinstance(recorder, Recorder)

    def test_a_negative_window_is_refused(self, recorder: Recorder) -> None:
        run_id = start_run(recorder)
        with pytest.raises(ValueError):
            recorder.read(run_id, limit=-1)
        with pytest.raises(ValueError):
            recorder.read(run_id, after=-1)

    def test_a_given_clock_stamps_runs_and_events(self, backend: Backend) -> None:
        moment = datetime(2027, 3, 4, 18, 0, 0, 123456, tzinfo=timezone(timedelta(hours=9)))
        recorder = backend.open(clock=lambda: moment)
        try:
            run = recorder.create_run("clocked", "Day 1", PACKAGE_JSON, PACKAGE_HASH)
            stored = recorder.append("clocked", [event(1)]).events
        finally:
            recorder.close()
        assert run.created_at == moment
        assert run.created_at.utcoffset() == timedelta(0)
        assert stored[0].recorded_at == moment
        assert stored[0].recorded_at.utcoffset() == timedelta(0)

    # -- idempotency keys belong to their actor (issue #11, item 3) ---------------------------

    def test_a_key_another_actor_used_does_not_shadow_a_scheduled_release(
        self, recorder: Recorder
    ) -> None:
        run_id = start_run(recorder)
        note = recorder.append(run_id, [event(1, key="scheduled:1.2", actor="invite:player")])
        release = recorder.append(run_id, [event(2, key="scheduled:1.2", actor="system:scheduler")])
        assert not note.duplicate and not release.duplicate
        assert [e.seq for e in recorder.read(run_id)] == [1, 2]
        assert recorder.find_by_key(run_id, "scheduled:1.2", actor="invite:player") == note.events
        assert (
            recorder.find_by_key(run_id, "scheduled:1.2", actor="system:scheduler")
            == release.events
        )
        assert recorder.find_by_key(run_id, "scheduled:1.2", actor="invite:other") == []

    def test_two_actors_may_use_the_same_key_and_each_retries_once(
        self, recorder: Recorder
    ) -> None:
        run_id = start_run(recorder)
        mine = recorder.append(run_id, [event(1, key="note-1", actor="invite:ald1")])
        theirs = recorder.append(run_id, [event(2, key="note-1", actor="invite:brn1")])
        assert not theirs.duplicate and theirs.events[0].payload == {"n": 2}
        again = recorder.append(run_id, [event(9, key="note-1", actor="invite:brn1")])
        assert again == AppendResult(events=theirs.events, duplicate=True)
        assert recorder.append(run_id, [event(9, key="note-1", actor="invite:ald1")]) == (
            AppendResult(events=mine.events, duplicate=True)
        )
        assert recorder.last_seq(run_id) == 2

    def test_events_without_an_actor_share_one_key_scope(self, recorder: Recorder) -> None:
        run_id = start_run(recorder)
        first = recorder.append(run_id, [event(1, key="k", actor=None)])
        assert recorder.append(run_id, [event(2, key="k", actor=None)]).duplicate
        assert recorder.find_by_key(run_id, "k", actor=None) == first.events
        assert recorder.find_by_key(run_id, "k", actor=ALICE) == []
        assert recorder.last_seq(run_id) == 1

    def test_racing_actors_with_one_key_each_record_once(self, recorder: Recorder) -> None:
        run_id = start_run(recorder)
        results: list[AppendResult] = []
        lock = threading.Lock()

        def work(index: int) -> None:
            actor = f"invite:p{index % 4}"
            result = recorder.append(run_id, [event(index, key="same", actor=actor), event(0)])
            with lock:
                results.append(result)

        run_threads(16, work)
        assert sum(not r.duplicate for r in results) == 4
        stored = recorder.read(run_id)
        assert len(stored) == 8
        assert sorted(e.actor or "" for e in stored if e.idempotency_key) == [
            f"invite:p{n}" for n in range(4)
        ]
        assert verify_chain(stored, PACKAGE_HASH) == []

    def test_the_command_hash_is_kept_with_the_key_and_comes_back_on_a_retry(
        self, recorder: Recorder
    ) -> None:
        run_id = start_run(recorder)
        first = NewEvent("note-posted", {"n": 1}, ALICE, "k", command_hash="sha256:one")
        written = recorder.append(run_id, [first, event(2)]).events
        assert [e.command_hash for e in written] == ["sha256:one", None]
        assert recorder.read(run_id) == written
        retry = NewEvent("note-posted", {"n": 3}, ALICE, "k", command_hash="sha256:other")
        again = recorder.append(run_id, [retry])
        assert again.duplicate and again.events == written
        assert again.events[0].command_hash == "sha256:one"
        assert recorder.find_by_key(run_id, "k", actor=ALICE)[0].command_hash == "sha256:one"
        assert verify_chain(recorder.read(run_id), PACKAGE_HASH) == []

    def test_a_batch_command_hash_is_the_first_events(self, recorder: Recorder) -> None:
        run_id = start_run(recorder)
        with pytest.raises(ValueError):
            recorder.append(
                run_id,
                [
                    NewEvent("a", {}, ALICE, "k", command_hash="one"),
                    NewEvent("b", {}, ALICE, command_hash="two"),
                ],
            )
        assert recorder.read(run_id) == []

    def test_an_imported_run_reads_back_as_given(self, recorder: Recorder) -> None:
        run_id = start_run(recorder)
        recorder.append(run_id, [NewEvent("note-posted", AWKWARD_PAYLOAD, ALICE, "k", "c1")])
        recorder.append(run_id, [event(2, key="k", actor="invite:brn1"), event(3)])
        source = recorder.get_run(run_id)
        assert source is not None
        copied = [replace(e, run_id="copy") for e in recorder.read(run_id)]
        imported = recorder.import_run(replace(source, id="copy", last_seq=0), copied)
        assert imported.last_seq == 3
        assert recorder.get_run("copy") == imported
        assert recorder.read("copy") == copied
        assert recorder.find_by_key("copy", "k", actor=ALICE) == copied[:1]
        assert recorder.find_by_key("copy", "k", actor="invite:brn1") == copied[1:2]
        assert recorder.append("copy", [event(4, key="k")]).duplicate
        with pytest.raises(RunAlreadyExists):
            recorder.import_run(replace(source, id="copy"), [])


class TestMemoryRecorder(RecorderContract):
    @pytest.fixture
    def backend(self, memory_backend: Backend) -> Backend:
        return memory_backend


class TestSqliteRecorder(RecorderContract):
    @pytest.fixture
    def backend(self, sqlite_backend: Backend) -> Backend:
        return sqlite_backend


@pytest.mark.postgres
class TestPostgresRecorder(RecorderContract):
    @pytest.fixture
    def backend(self, postgres_backend: Backend) -> Backend:
        return postgres_backend


def test_memory_urls_open_a_fresh_log_each() -> None:
    first, second = open_recorder("memory://"), open_recorder("memory://")
    start_run(first)
    assert first.get_run("run-1") is not None
    assert second.get_run("run-1") is None
    with pytest.raises(ValueError):
        open_recorder("memory://shared")


_OLD_EVENT = (
    "INSERT INTO events (run_id, seq, type, payload, actor, recorded_at, idempotency_key,"
    " batch_size, prev_hash, hash) VALUES ({marks})"
)


def _write_the_old_way(execute: Any, mark: str, stamp: object) -> list[str]:
    """Rows as revision 0002 wrote them: two appends with keys, one with no actor."""
    execute(
        "INSERT INTO runs (id, title, package_json, package_hash, created_at, last_seq)"
        f" VALUES ({', '.join([mark] * 6)})",
        ("old", "Old run", PACKAGE_JSON, PACKAGE_HASH, stamp, 3),
    )
    hashes: list[str] = []
    rows = [
        (1, ALICE, "k", 2),
        (2, ALICE, None, 2),
        (3, None, "k2", 1),
    ]
    moment = parse_timestamp("2026-11-30T09:00:00.000000+00:00")
    previous = PACKAGE_HASH
    for seq, actor, key, size in rows:
        digest = event_hash("old", seq, "note-posted", {"n": seq}, actor, moment, key, previous)
        execute(
            _OLD_EVENT.format(marks=", ".join([mark] * 10)),
            (
                "old",
                seq,
                "note-posted",
                f'{{"n":{seq}}}',
                actor,
                stamp,
                key,
                size,
                previous,
                digest,
            ),
        )
        hashes.append(digest)
        previous = digest
    return hashes


def _check_upgraded(recorder: Recorder, hashes: list[str]) -> None:
    stored = recorder.read("old")
    assert [e.hash for e in stored] == hashes
    assert verify_chain(stored, PACKAGE_HASH) == []
    assert [e.command_hash for e in stored] == [None, None, None]
    assert [e.seq for e in recorder.find_by_key("old", "k", actor=ALICE)] == [1, 2]
    assert [e.seq for e in recorder.find_by_key("old", "k2", actor=None)] == [3]
    assert recorder.append("old", [event(9, key="k")]).duplicate
    other = recorder.append("old", [event(4, key="k", actor="invite:brn1")])
    assert not other.duplicate and [e.seq for e in other.events] == [4]
    assert verify_chain(recorder.read("old"), PACKAGE_HASH) == []


def test_a_sqlite_log_of_revision_0002_upgrades_in_place(tmp_path: Path) -> None:
    import sqlite3

    from sitroom.storage.migrations import upgrade_sqlite

    path = str(tmp_path / "old.db")
    upgrade_sqlite(path, revision="0002")
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(events)")]
        assert "command_hash" not in columns
        hashes = _write_the_old_way(connection.execute, "?", "2026-11-30T09:00:00.000000+00:00")
    finally:
        connection.close()
    recorder = open_recorder(f"sqlite:///{path}")
    try:
        _check_upgraded(recorder, hashes)
    finally:
        recorder.close()


@pytest.mark.postgres
def test_a_postgres_log_of_revision_0002_upgrades_in_place(postgres_url: str) -> None:
    import psycopg
    from psycopg import sql

    from sitroom.storage.migrations import upgrade_postgres

    base, _ = postgres_url.rsplit("/", 1)
    name = f"sitroom_upgrade_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        url = f"{base}/{name}"
        upgrade_postgres(url, revision="0002")
        moment = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
        with psycopg.connect(url, autocommit=True) as connection:
            hashes = _write_the_old_way(connection.execute, "%s", moment)
        recorder = open_recorder(url)
        try:
            _check_upgraded(recorder, hashes)
        finally:
            recorder.close()
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
