"""The hash chain: canonical hashing, sealing batches and proving a record whole."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitroom.storage.recorder import (
    NewEvent,
    StoredEvent,
    canonical_json,
    event_hash,
    format_timestamp,
    parse_timestamp,
    prepare_batch,
    seal_batch,
    verify_chain,
)

PACKAGE_HASH = "p" * 64
MOMENT = datetime(2024, 5, 1, 9, 30, 0, 123456, tzinfo=UTC)


def chain(count: int, run_id: str = "run-1") -> list[StoredEvent]:
    """A whole chain of ``count`` events, one per batch."""
    events: list[StoredEvent] = []
    last_hash = PACKAGE_HASH
    for n in range(1, count + 1):
        batch = prepare_batch([NewEvent("note-posted", {"n": n}, actor="account:bo")])
        sealed = seal_batch(run_id, batch, n - 1, last_hash, MOMENT + timedelta(seconds=n))
        events.extend(sealed)
        last_hash = sealed[-1].hash
    return events


def stored_and_loaded(events: list[StoredEvent]) -> list[StoredEvent]:
    """What a backend gives back: payload via canonical JSON text, time via ISO text."""
    return [
        replace(
            e,
            payload=json.loads(canonical_json(e.payload)),
            recorded_at=parse_timestamp(format_timestamp(e.recorded_at)),
        )
        for e in events
    ]


def test_a_whole_chain_verifies() -> None:
    events = chain(5)
    assert events[0].prev_hash == PACKAGE_HASH
    assert all(b.prev_hash == a.hash for a, b in pairwise(events))
    assert verify_chain(events, PACKAGE_HASH) == []
    assert verify_chain([]) == []


def test_the_hash_ignores_key_order_and_time_zone() -> None:
    later = MOMENT.astimezone(timezone(timedelta(hours=9)))
    one = event_hash("r", 1, "t", {"a": 1, "b": [1, 2]}, None, MOMENT, None, PACKAGE_HASH)
    two = event_hash("r", 1, "t", {"b": [1, 2], "a": 1}, None, later, None, PACKAGE_HASH)
    assert one == two
    assert len(one) == 64


@pytest.mark.parametrize(
    "change",
    [
        {"run_id": "run-2"},
        {"seq": 2},
        {"type": "other"},
        {"payload": {"n": 1.5}},
        {"actor": None},
        {"recorded_at": MOMENT + timedelta(microseconds=1)},
        {"idempotency_key": "k"},
        {"prev_hash": "q" * 64},
    ],
)
def test_every_field_is_in_the_hash(change: dict[str, Any]) -> None:
    event = chain(1)[0]
    base: dict[str, Any] = {
        "run_id": event.run_id,
        "seq": event.seq,
        "type": event.type,
        "payload": event.payload,
        "actor": event.actor,
        "recorded_at": event.recorded_at,
        "idempotency_key": event.idempotency_key,
        "prev_hash": event.prev_hash,
    }
    assert event_hash(**base) == event.hash
    assert event_hash(**{**base, **change}) != event.hash


def test_a_tampered_payload_is_named() -> None:
    events = chain(4)
    events[2] = replace(events[2], payload={"n": 300})
    problems = verify_chain(events, PACKAGE_HASH)
    assert problems == ["seq 3: stored hash does not match the event's content"]


def test_a_rehashed_tampered_event_breaks_the_next_link() -> None:
    events = chain(4)
    forged = replace(events[1], payload={"n": 200})
    forged = replace(
        forged,
        hash=event_hash(
            forged.run_id,
            forged.seq,
            forged.type,
            forged.payload,
            forged.actor,
            forged.recorded_at,
            forged.idempotency_key,
            forged.prev_hash,
        ),
    )
    events[1] = forged
    assert verify_chain(events, PACKAGE_HASH) == [
        "seq 3: prev_hash does not match the hash of seq 2"
    ]


def test_a_deleted_event_is_named() -> None:
    events = chain(5)
    del events[2]
    problems = verify_chain(events, PACKAGE_HASH)
    assert problems == [
        "seq 4: expected seq 3 (an event is missing or out of order)",
        "seq 4: prev_hash does not match the hash of seq 2",
    ]


def test_a_deleted_first_event_is_named() -> None:
    problems = verify_chain(chain(3)[1:], PACKAGE_HASH)
    assert problems[0] == "seq 2: expected seq 1 (an event is missing or out of order)"
    assert "seq 2: prev_hash is not the hash of the run's package" in problems


def test_a_deleted_last_event_is_only_caught_against_the_run() -> None:
    # The chain alone cannot know its end; callers compare with the run's last_seq.
    assert verify_chain(chain(3)[:-1], PACKAGE_HASH) == []


def test_a_reordered_pair_is_named() -> None:
    events = chain(4)
    events[1], events[2] = events[2], events[1]
    problems = verify_chain(events, PACKAGE_HASH)
    assert problems[0] == "seq 3: expected seq 2 (an event is missing or out of order)"
    assert any(p.startswith("seq 2:") for p in problems)


def test_swapped_contents_under_kept_numbers_are_named() -> None:
    events = chain(4)
    a, b = events[1], events[2]
    events[1] = replace(b, seq=2)
    events[2] = replace(a, seq=3)
    problems = verify_chain(events, PACKAGE_HASH)
    assert "seq 2: stored hash does not match the event's content" in problems
    assert "seq 3: stored hash does not match the event's content" in problems


def test_the_first_event_pins_the_package() -> None:
    assert verify_chain(chain(2), "another package") == [
        "seq 1: prev_hash is not the hash of the run's package"
    ]


def test_events_of_another_run_are_named() -> None:
    events = chain(2)
    events[1] = replace(events[1], run_id="run-2")
    assert "seq 2: belongs to run 'run-2', not 'run-1'" in verify_chain(events)


def test_canonical_json_is_compact_sorted_and_unescaped() -> None:
    assert canonical_json({"b": 1, "a": ["가", None]}) == '{"a":["가",null],"b":1}'


@pytest.mark.parametrize(
    "value", [{"x": float("nan")}, {"x": float("inf")}, {"x": object()}, {"x": "\udc80"}]
)
def test_canonical_json_refuses_what_json_cannot_carry(value: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        canonical_json(value)


def test_timestamps_must_know_their_zone() -> None:
    with pytest.raises(ValueError):
        format_timestamp(datetime(2024, 5, 1, 9, 30))
    assert format_timestamp(MOMENT) == "2024-05-01T09:30:00.123456+00:00"
    assert parse_timestamp(format_timestamp(MOMENT)) == MOMENT


def test_a_batch_key_rides_on_its_first_event() -> None:
    batch = prepare_batch([NewEvent("a", {}, idempotency_key="k"), NewEvent("b", {})])
    assert [item.idempotency_key for item in batch] == ["k", None]
    with pytest.raises(ValueError):
        prepare_batch([NewEvent("a", {}), NewEvent("b", {}, idempotency_key="k")])
    with pytest.raises(ValueError):
        prepare_batch([NewEvent("a", {}, idempotency_key="")])
    with pytest.raises(ValueError):
        prepare_batch([NewEvent("", {})])
    with pytest.raises(ValueError):
        prepare_batch([])


json_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
json_values = st.recursive(
    json_leaves,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)
payloads = st.dictionaries(st.text(max_size=10), json_values, max_size=6)
batches = st.lists(
    st.lists(
        st.tuples(
            st.text(min_size=1, max_size=20).filter(lambda t: "\x00" not in t),
            payloads,
            st.none() | st.text(max_size=12).filter(lambda t: "\x00" not in t),
        ),
        min_size=1,
        max_size=4,
    ),
    min_size=1,
    max_size=5,
)


def sealed_chain(
    run_id: str, shapes: list[list[tuple[str, dict[str, Any], str | None]]]
) -> list[StoredEvent]:
    events: list[StoredEvent] = []
    last_seq, last_hash = 0, PACKAGE_HASH
    for number, shape in enumerate(shapes):
        batch = prepare_batch([NewEvent(t, p, actor=a) for t, p, a in shape])
        sealed = seal_batch(run_id, batch, last_seq, last_hash, MOMENT + timedelta(minutes=number))
        events.extend(sealed)
        last_seq, last_hash = sealed[-1].seq, sealed[-1].hash
    return events


@given(run_id=st.text(min_size=1, max_size=12), shapes=batches)
def test_random_chains_survive_a_round_trip_and_verify(
    run_id: str, shapes: list[list[tuple[str, dict[str, Any], str | None]]]
) -> None:
    events = sealed_chain(run_id, shapes)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    loaded = stored_and_loaded(events)
    assert verify_chain(loaded, PACKAGE_HASH) == []
    assert [e.hash for e in loaded] == [e.hash for e in events]


@given(shapes=batches, data=st.data())
def test_any_changed_payload_is_caught(
    shapes: list[list[tuple[str, dict[str, Any], str | None]]], data: st.DataObject
) -> None:
    events = sealed_chain("run-1", shapes)
    index = data.draw(st.integers(0, len(events) - 1))
    new_payload = data.draw(payloads)
    if canonical_json(new_payload) == canonical_json(events[index].payload):
        return
    events[index] = replace(events[index], payload=new_payload)
    problems = verify_chain(events, PACKAGE_HASH)
    assert problems == [f"seq {index + 1}: stored hash does not match the event's content"]
