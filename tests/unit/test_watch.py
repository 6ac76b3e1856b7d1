"""The 'changed' stream of pages over several logs (a series page): one frame per change,
resumable by version, and a lost announcement costs a heartbeat, never a change."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sitroom.realtime import MemoryBroker
from sitroom.realtime.watch import change_stream


class Logs:
    """Last sequence numbers of a few logs, grown by the test."""

    def __init__(self, **heads: int) -> None:
        self.heads = dict(heads)

    async def streams(self) -> Sequence[str]:
        return list(self.heads)

    async def version(self, names: Sequence[str]) -> int:
        return sum(self.heads.get(name, 0) for name in names)


async def _frames(stream: object, count: int) -> list[str]:
    frames: list[str] = []
    async for chunk in stream:  # type: ignore[attr-defined]
        text = chunk.decode()
        if "event: changed" in text:
            frames.append(text)
            if len(frames) == count:
                break
    return frames


def test_a_page_behind_the_logs_hears_at_once_and_then_of_each_change() -> None:
    async def scenario() -> list[str]:
        broker = MemoryBroker()
        await broker.start()
        logs = Logs(**{"series:s": 2, "run-a": 5})
        stream = change_stream(
            after=3, broker=broker, streams=logs.streams, version=logs.version, heartbeat=30
        )
        task = asyncio.ensure_future(_frames(stream, 2))
        await asyncio.sleep(0)
        logs.heads["run-a"] = 6
        await broker.publish("run-a", 6)
        frames = await asyncio.wait_for(task, 20)
        await broker.close()
        return frames

    first, second = asyncio.run(scenario())
    assert "id: 7\n" in first  # rendered at 3, the logs are at 2 + 5: told at once
    assert "id: 8\n" in second


def test_a_lost_announcement_is_found_at_the_next_heartbeat() -> None:
    async def scenario() -> list[str]:
        broker = MemoryBroker()
        await broker.start()
        logs = Logs(**{"series:s": 1})
        stream = change_stream(
            after=1, broker=broker, streams=logs.streams, version=logs.version, heartbeat=0.05
        )
        task = asyncio.ensure_future(_frames(stream, 1))
        await asyncio.sleep(0)
        logs.heads["series:s"] = 4  # committed, but the broker never said so
        frames = await asyncio.wait_for(task, 20)
        await broker.close()
        return frames

    (frame,) = asyncio.run(scenario())
    assert "id: 4" in frame


def test_a_page_up_to_date_hears_nothing_until_a_change() -> None:
    async def scenario() -> bytes:
        broker = MemoryBroker()
        await broker.start()
        logs = Logs(**{"run-a": 3})
        stream = change_stream(
            after=3, broker=broker, streams=logs.streams, version=logs.version, heartbeat=0.05
        )
        chunks = [await stream.__anext__() for _ in range(2)]  # retry:, then a ping
        await stream.aclose()
        await broker.close()
        return b"".join(chunks)

    sent = asyncio.run(scenario())
    assert sent.startswith(b"retry:") and b"changed" not in sent
