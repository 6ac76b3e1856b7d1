"""The SSE stream over a fake log and the in-process broker, and the SSE wire format."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitroom.realtime import (
    PING,
    Frame,
    InvalidCursor,
    MemoryBroker,
    event_stream,
    format_frame,
    parse_last_event_id,
)

HEARTBEAT = 0.05


@dataclass(frozen=True)
class LoggedEvent:
    seq: int
    type: str
    audience: str = "all"


@dataclass
class FakeLog:
    """A run's log in a list; it counts how often it was read."""

    events: list[LoggedEvent] = field(default_factory=list)
    reads: int = 0

    def append(self, type_: str, audience: str = "all") -> int:
        event = LoggedEvent(len(self.events) + 1, type_, audience)
        self.events.append(event)
        return event.seq

    async def read_after(self, after: int) -> list[LoggedEvent]:
        self.reads += 1
        await asyncio.sleep(0)  # a real read suspends; a spinning stream must not starve the loop
        return [event for event in self.events if event.seq > after]


def render_all(event: LoggedEvent) -> Frame | None:
    return Frame(id=event.seq, event=event.type, data=json.dumps({"seq": event.seq}))


def render_players(event: LoggedEvent) -> Frame | None:
    return None if event.audience == "control" else render_all(event)


@dataclass
class Message:
    """One parsed block of an event stream."""

    id: str | None = None
    event: str | None = None
    data: str | None = None
    retry: str | None = None
    comment: str | None = None


def parse_blocks(text: str) -> list[Message]:
    """Parse an event stream the way the WHATWG algorithm reads its fields."""
    messages = []
    for block in re.split(r"\r\n\r\n|\n\n|\r\r", text):
        if not block:
            continue
        message = Message()
        data: list[str] = []
        for line in re.split(r"\r\n|\r|\n", block):
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "":
                message.comment = value
            elif name == "data":
                data.append(value)
            elif name in ("id", "event", "retry"):
                setattr(message, name, value)
        if data:
            message.data = "\n".join(data)
        messages.append(message)
    return messages


class StreamReader:
    """Pulls chunks from a stream and hands out parsed messages one at a time."""

    def __init__(self, stream: AsyncGenerator[bytes, None]) -> None:
        self.stream = stream
        self.queue: list[Message] = []
        self.ended = False

    async def next(self, timeout: float = 2.0) -> Message:
        while not self.queue:
            chunk = await asyncio.wait_for(anext(self.stream), timeout)
            self.queue.extend(parse_blocks(chunk.decode()))
        return self.queue.pop(0)

    async def next_event(self, timeout: float = 2.0) -> Message:
        """The next message that is an event (skipping heartbeats)."""
        while True:
            message = await self.next(timeout)
            if message.comment is None:
                return message

    async def rest(self, timeout: float = 2.0) -> list[Message]:
        """Everything until the stream ends."""
        messages = list(self.queue)
        self.queue.clear()
        async with asyncio.timeout(timeout):
            async for chunk in self.stream:
                messages.extend(parse_blocks(chunk.decode()))
        self.ended = True
        return messages

    async def close(self) -> None:
        if not self.ended:
            await self.stream.aclose()


def open_stream(
    log: FakeLog,
    broker: MemoryBroker,
    *,
    after: int = 0,
    render: Callable[[LoggedEvent], Frame | None] = render_all,
    heartbeat: float = HEARTBEAT,
    **options: object,
) -> StreamReader:
    stream = event_stream(
        run_id="run-1",
        after=after,
        broker=broker,
        read_after=log.read_after,
        render=render,
        heartbeat=heartbeat,
        **options,  # type: ignore[arg-type]
    )
    return StreamReader(stream)


async def append(log: FakeLog, broker: MemoryBroker, type_: str, audience: str = "all") -> int:
    seq = log.append(type_, audience)
    await broker.publish("run-1", seq)
    return seq


@pytest.mark.asyncio
async def test_stream_opens_with_retry_then_sends_the_backlog_after_the_cursor() -> None:
    log, broker = FakeLog(), MemoryBroker()
    for type_ in ("run-started", "inject-released", "decision-recorded"):
        await append(log, broker, type_)
    reader = open_stream(log, broker, after=1)
    assert (await reader.next()).retry == "2000"
    first, second = await reader.next(), await reader.next()
    assert (first.id, first.event, first.data) == ("2", "inject-released", '{"seq": 2}')
    assert (second.id, second.event) == ("3", "decision-recorded")
    await reader.close()


@pytest.mark.asyncio
async def test_new_events_follow_as_they_are_appended_and_published() -> None:
    log, broker = FakeLog(), MemoryBroker()
    await append(log, broker, "run-started")
    reader = open_stream(log, broker, heartbeat=5.0)
    await reader.next()  # retry
    assert (await reader.next()).id == "1"
    for expected in (2, 3, 4):
        await append(log, broker, "inject-released")
        message = await reader.next(timeout=1.0)  # well before the 5 s heartbeat
        assert message.id == str(expected)
    await reader.close()


@pytest.mark.asyncio
async def test_hidden_events_advance_the_cursor_and_ids_are_the_true_seqs() -> None:
    log, broker = FakeLog(), MemoryBroker()
    await append(log, broker, "run-started")
    await append(log, broker, "msel-note", audience="control")
    await append(log, broker, "inject-released")
    reader = open_stream(log, broker, render=render_players, heartbeat=5.0)
    await reader.next()  # retry
    assert [(await reader.next()).id for _ in range(2)] == ["1", "3"]
    await append(log, broker, "msel-note", audience="control")
    await append(log, broker, "inject-released")
    assert (await reader.next(timeout=1.0)).id == "5"
    reads_before = log.reads
    await asyncio.sleep(0.1)
    assert log.reads == reads_before  # the hidden event 4 was passed over, not re-awaited
    await reader.close()


@pytest.mark.asyncio
async def test_frames_carry_the_seq_whatever_render_put_in_the_id() -> None:
    log, broker = FakeLog(), MemoryBroker()
    await append(log, broker, "run-started")
    reader = open_stream(log, broker, render=lambda e: Frame(id=None, event=e.type, data="{}"))
    await reader.next()  # retry
    assert (await reader.next()).id == "1"
    await reader.close()


@pytest.mark.asyncio
async def test_an_event_of_several_frames_names_its_seq_on_the_last_only() -> None:
    log, broker = FakeLog(), MemoryBroker()
    await append(log, broker, "run-started")
    await append(log, broker, "msel-note", audience="control")
    await append(log, broker, "inject-released")

    async def render(event: LoggedEvent) -> list[Frame]:
        await asyncio.sleep(0)  # a renderer may wait (for a render another stream started)
        if event.audience == "control":
            return []
        html = Frame(id=event.seq, event="fragment", data=f"<p>{event.type}</p>")
        return [html, Frame(id=None, event=event.type, data="{}")]

    reader = open_stream(log, broker, render=render)
    await reader.next()  # retry
    sent = [await reader.next() for _ in range(4)]
    # A client cut off between the two resumes before the event and gets both again.
    assert [(m.id, m.event) for m in sent] == [
        (None, "fragment"),
        ("1", "run-started"),
        (None, "fragment"),
        ("3", "inject-released"),
    ]
    assert sent[2].data == "<p>inject-released</p>"
    await reader.close()


@pytest.mark.asyncio
async def test_a_tick_sends_its_frames_at_every_heartbeat_without_an_id() -> None:
    log, broker = FakeLog(), MemoryBroker()
    await append(log, broker, "run-started")
    ticks = 0

    async def tick() -> list[Frame]:
        nonlocal ticks
        ticks += 1
        return [Frame(id=7, event="fragment", data=f"<p>clock {ticks}</p>")]

    reader = open_stream(log, broker, tick=tick)
    await reader.next()  # retry
    assert (await reader.next()).id == "1"
    first, second = await reader.next(), await reader.next()
    assert [(m.id, m.event, m.data) for m in (first, second)] == [
        (None, "fragment", "<p>clock 1</p>"),
        (None, "fragment", "<p>clock 2</p>"),
    ], "no ping in between: the tick kept the connection busy"
    await append(log, broker, "inject-released")
    while (message := await reader.next_event()).id is None:
        assert message.event == "fragment"  # another tick came first
    assert message.id == "2"
    await reader.close()


@pytest.mark.asyncio
async def test_heartbeats_appear_when_idle() -> None:
    log, broker = FakeLog(), MemoryBroker()
    reader = open_stream(log, broker)
    await reader.next()  # retry
    loop = asyncio.get_running_loop()
    started = loop.time()
    pings = [await reader.next(timeout=1.0) for _ in range(3)]
    elapsed = loop.time() - started
    assert all(message.comment == "ping" for message in pings)
    assert 2 * HEARTBEAT <= elapsed < 20 * HEARTBEAT
    await reader.close()


@pytest.mark.asyncio
async def test_no_heartbeat_while_events_keep_flowing() -> None:
    log, broker = FakeLog(), MemoryBroker()
    reader = open_stream(log, broker, heartbeat=0.2)
    await reader.next()  # retry
    for _ in range(6):
        await append(log, broker, "chat-posted")
        assert (await reader.next(timeout=1.0)).comment is None
        await asyncio.sleep(0.05)
    await reader.close()


@pytest.mark.asyncio
async def test_a_lost_announcement_is_delivered_after_one_heartbeat() -> None:
    log, broker = FakeLog(), MemoryBroker()
    reader = open_stream(log, broker)
    await reader.next()  # retry
    log.append("inject-released")  # committed, but the announcement never arrives
    loop = asyncio.get_running_loop()
    started = loop.time()
    message = await reader.next_event(timeout=1.0)
    assert message.id == "1"
    assert loop.time() - started < 10 * HEARTBEAT  # one heartbeat, with room for a busy machine
    await reader.close()


@pytest.mark.parametrize("after", [0, 1, 3, 5])
@pytest.mark.asyncio
async def test_resume_after_n_gives_exactly_the_later_events(after: int) -> None:
    log, broker = FakeLog(), MemoryBroker()
    for _ in range(5):
        await append(log, broker, "inject-released")
    reader = open_stream(log, broker, after=after, heartbeat=5.0)
    await reader.next()  # retry
    ids = [(await reader.next()).id for _ in range(5 - after)]
    assert ids == [str(seq) for seq in range(after + 1, 6)]
    await append(log, broker, "inject-released")
    assert (await reader.next(timeout=1.0)).id == "6"
    await reader.close()


@pytest.mark.asyncio
async def test_an_event_committed_between_snapshot_and_wait_is_not_missed() -> None:
    log, broker = FakeLog(), MemoryBroker()
    await append(log, broker, "run-started")

    async def read_then_commit(after: int) -> list[LoggedEvent]:
        snapshot = await log.read_after(after)
        if len(log.events) == 1:  # another writer commits right after our snapshot
            await append(log, broker, "inject-released")
        return snapshot

    stream = event_stream(
        run_id="run-1",
        after=0,
        broker=broker,
        read_after=read_then_commit,
        render=render_all,
        heartbeat=5.0,
    )
    reader = StreamReader(stream)
    await reader.next()  # retry
    assert (await reader.next()).id == "1"
    assert (await reader.next(timeout=1.0)).id == "2"  # by the announcement, not a heartbeat
    await reader.close()


@pytest.mark.asyncio
async def test_a_paged_log_is_streamed_page_after_page_without_waiting() -> None:
    log, broker = FakeLog(), MemoryBroker()
    for _ in range(7):
        await append(log, broker, "inject-released")

    async def first_two(after: int) -> list[LoggedEvent]:
        return (await log.read_after(after))[:2]

    reader = StreamReader(
        event_stream(
            run_id="run-1",
            after=0,
            broker=broker,
            read_after=first_two,
            render=render_all,
            heartbeat=5.0,
        )
    )
    await reader.next()  # retry
    ids = [(await reader.next(timeout=1.0)).id for _ in range(7)]
    assert ids == [str(seq) for seq in range(1, 8)]
    for _ in range(3):
        await append(log, broker, "decision-recorded")
    ids = [(await reader.next(timeout=1.0)).id for _ in range(3)]
    assert ids == ["8", "9", "10"]
    await reader.close()


@pytest.mark.asyncio
async def test_a_log_lagging_its_announcements_does_not_spin() -> None:
    log, broker = FakeLog(), MemoryBroker()
    reader = open_stream(log, broker, heartbeat=0.2)
    await reader.next()  # retry
    await broker.publish("run-1", 3)  # announced, not yet readable here
    await asyncio.sleep(0.1)
    task = asyncio.ensure_future(reader.next_event(timeout=1.0))
    await asyncio.sleep(0.1)
    assert log.reads < 10
    for _ in range(3):
        log.append("inject-released")
    assert (await task).id == "1"
    await reader.close()


@pytest.mark.asyncio
async def test_a_revoked_viewer_gets_a_revoked_frame_and_the_stream_ends() -> None:
    log, broker = FakeLog(), MemoryBroker()
    await append(log, broker, "run-started")
    allowed = True

    async def still_allowed() -> bool:
        return allowed

    reader = open_stream(log, broker, still_allowed=still_allowed)
    await reader.next()  # retry
    assert (await reader.next()).id == "1"
    await reader.next()  # a heartbeat: still allowed
    allowed = False
    messages = await reader.rest(timeout=1.0)
    last = messages[-1]
    assert (last.event, last.id) == ("revoked", None)
    assert json.loads(last.data or "") == {"reason": "access-revoked"}


@pytest.mark.asyncio
async def test_revocation_is_noticed_while_events_keep_flowing() -> None:
    log, broker = FakeLog(), MemoryBroker()
    allowed = True

    async def still_allowed() -> bool:
        return allowed

    reader = open_stream(log, broker, heartbeat=0.1, still_allowed=still_allowed)
    await reader.next()  # retry
    allowed = False
    events = []
    for _ in range(20):
        await append(log, broker, "chat-posted")
        message = await reader.next(timeout=1.0)
        events.append(message)
        if message.event == "revoked":
            break
        await asyncio.sleep(0.02)
    assert events[-1].event == "revoked"
    with pytest.raises(StopAsyncIteration):
        await anext(reader.stream)


@pytest.mark.asyncio
async def test_a_disconnected_client_ends_the_stream() -> None:
    log, broker = FakeLog(), MemoryBroker()
    gone = False

    async def is_disconnected() -> bool:
        return gone

    reader = open_stream(log, broker, is_disconnected=is_disconnected)
    await reader.next()  # retry
    gone = True
    messages = await reader.rest(timeout=1.0)
    assert all(message.comment == "ping" for message in messages)


@pytest.mark.asyncio
async def test_a_non_positive_heartbeat_is_refused() -> None:
    log, broker = FakeLog(), MemoryBroker()
    reader = open_stream(log, broker, heartbeat=0)
    with pytest.raises(ValueError, match="heartbeat"):
        await reader.next()


def test_a_frame_is_id_event_and_data_lines() -> None:
    frame = Frame(id=7, event="inject-released", data='{"a": 1}')
    assert format_frame(frame) == b'id: 7\nevent: inject-released\ndata: {"a": 1}\n\n'


def test_a_frame_without_id_or_event_is_data_only() -> None:
    assert format_frame(Frame(id=None, event=None, data="{}")) == b"data: {}\n\n"


def test_multi_line_data_becomes_several_data_lines() -> None:
    frame = Frame(id=1, event=None, data='{\n  "a": 1\r\n}')
    assert format_frame(frame) == b'id: 1\ndata: {\ndata:   "a": 1\ndata: }\n\n'


def test_unicode_line_separators_stay_inside_one_data_line() -> None:
    data = json.dumps({"text": "a\u2028b\x85c"}, ensure_ascii=False)
    assert format_frame(Frame(id=1, event=None, data=data)).count(b"data:") == 1


def test_the_heartbeat_is_a_comment() -> None:
    assert PING == b": ping\n\n"
    assert parse_blocks(PING.decode()) == [Message(comment="ping")]


def test_an_event_type_with_a_line_break_is_refused() -> None:
    with pytest.raises(ValueError, match="line break"):
        format_frame(Frame(id=1, event="a\nb", data="{}"))


@given(
    seq=st.integers(min_value=1, max_value=2**63 - 1),
    event=st.from_regex(r"[a-z][a-z-]{0,30}", fullmatch=True),
    data=st.text(),
)
def test_every_frame_reads_back_as_sent(seq: int, event: str, data: str) -> None:
    """Whatever the data holds, a standard parser reads back the same id, type and data."""
    wire = format_frame(Frame(id=seq, event=event, data=data)).decode()
    expected = data.replace("\r\n", "\n").replace("\r", "\n")
    assert parse_blocks(wire) == [Message(id=str(seq), event=event, data=expected)]


@pytest.mark.parametrize(
    ("header", "query", "expected"),
    [
        (None, None, 0),
        ("", None, 0),
        (None, "", 0),
        ("12", None, 12),
        (" 12 ", None, 12),
        (None, "5", 5),
        ("12", "5", 12),
        ("", "5", 5),
        ("0", None, 0),
    ],
)
def test_resume_position_comes_from_header_then_query(
    header: str | None, query: str | None, expected: int
) -> None:
    assert parse_last_event_id(header, query) == expected


@pytest.mark.parametrize(
    ("header", "query", "field_name"),
    [
        ("abc", None, "Last-Event-ID"),
        ("-1", None, "Last-Event-ID"),
        ("1.5", None, "Last-Event-ID"),
        ("1_000", None, "Last-Event-ID"),
        ("+3", None, "Last-Event-ID"),
        ("\u0663", None, "Last-Event-ID"),  # a non-ASCII digit
        (str(2**63), None, "Last-Event-ID"),
        ("abc", "5", "Last-Event-ID"),
        (None, "x", "after"),
        ("", "-2", "after"),
    ],
)
def test_a_garbled_resume_position_is_refused_naming_the_field(
    header: str | None, query: str | None, field_name: str
) -> None:
    with pytest.raises(InvalidCursor) as raised:
        parse_last_event_id(header, query)
    assert raised.value.field == field_name
    assert field_name in str(raised.value)
    assert isinstance(raised.value, ValueError)


@pytest.mark.asyncio
async def test_the_first_check_comes_after_first_check_seconds_not_a_whole_heartbeat() -> None:
    # The server spreads the streams' first checks so that a room connected at once does not
    # check every session in the same instant; a revoked viewer is then told at that check.
    log, broker = FakeLog(), MemoryBroker()

    async def still_allowed() -> bool:
        return False

    reader = open_stream(
        log, broker, heartbeat=600.0, first_check=0.05, still_allowed=still_allowed
    )
    messages = await reader.rest(timeout=30.0)  # far less than the heartbeat
    assert [m.event for m in messages if m.comment is None][-1] == "revoked"
    assert not [m for m in messages if m.comment is not None]  # no PING came before it
