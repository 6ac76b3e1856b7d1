"""The server's start-up heap is frozen out of the collector's way while the application
runs, full collections wait for a quiet moment (no release going out to the streams), and
all of it is given back when the application stops (a test process starts and stops many)."""

from __future__ import annotations

import asyncio
import gc
import time
import weakref

import pytest

from sitroom.realtime import watermark
from sitroom.realtime.watermark import Watermarks
from sitroom.web import heap


class Cycle:
    """An object in a reference cycle: only a collection that reaches it frees it."""

    def __init__(self) -> None:
        self.me = self


def garbage_in_the_oldest_generation() -> weakref.ref[Cycle]:
    """A cycle that has outlived the young generations and is garbage now."""
    cycle = Cycle()
    gc.collect(1)  # survives generations 0 and 1: now in the oldest generation
    found = weakref.ref(cycle)
    del cycle
    return found


def young_collections(count: int) -> None:
    for _ in range(count):
        gc.collect(1)


async def busy_for(seconds: float) -> None:
    """Keep this process busy on the event loop for ``seconds``, letting other tasks look in
    every 10 ms (as a server answering pages does)."""
    limit = time.monotonic() + seconds
    while time.monotonic() < limit:
        step = time.monotonic() + 0.01
        while time.monotonic() < step:
            pass
        await asyncio.sleep(0)


async def until_swept(found: weakref.ref[Cycle], what: str) -> None:
    """Wait (15 s at most: a loaded machine keeps the process busy now and then) until the
    collector task has freed ``found``."""
    limit = time.monotonic() + 15
    while found() is not None:
        assert time.monotonic() < limit, f"no {what}"
        await asyncio.sleep(0.02)


def test_settle_freezes_the_heap_and_its_undo_gives_it_back() -> None:
    before = gc.get_threshold()
    undo = heap.settle()
    try:
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[:2] == before[:2]  # the young generations as before
        assert gc.get_threshold()[2] == heap.NEVER  # full collections left to the server
    finally:
        undo()
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before


def test_two_applications_settled_at_once_give_back_the_first_ones_thresholds() -> None:
    before = gc.get_threshold()
    first = heap.settle()
    second = heap.settle()
    first()
    assert gc.get_threshold()[2] == heap.NEVER  # the second application still runs
    second()
    assert gc.get_threshold() == before


def test_a_full_collection_is_due_when_quiet_or_overdue() -> None:
    assert heap.sweep_due(heap.DUE, heap.QUIET, 0.0) == "quiet"
    assert heap.sweep_due(heap.DUE - 1, 60.0, 0.0) is None  # not due yet
    assert heap.sweep_due(heap.DUE, heap.QUIET / 2, 0.0) is None  # a release just went out
    assert heap.sweep_due(heap.DUE, 60.0, 0.9) is None  # the process is busy (pages, say)
    assert heap.sweep_due(heap.OVERDUE, 0.0, 1.0) == "overdue"
    # A heap whose collection took 1.5 s waits for 3 s of quiet: releases a second apart
    # would each risk meeting it.
    assert heap.sweep_due(heap.DUE, 2.0, 0.0, last=1.5) is None
    assert heap.sweep_due(heap.DUE, 3.0, 0.0, last=1.5) == "quiet"


@pytest.mark.asyncio
async def test_garbage_in_the_oldest_generation_is_swept_at_a_quiet_moment() -> None:
    undo = heap.settle()
    sweeping = asyncio.create_task(heap.collect_when_quiet(check=0.02))
    try:
        before = heap.SWEEPS.quiet
        found = garbage_in_the_oldest_generation()
        young_collections(heap.DUE)
        assert found() is not None  # the young collections do not reach it
        heap.SWEEPS.last = 0.0  # quiet means QUIET seconds here, not twice an earlier sweep
        watermark.note_wake()  # a release goes out: nothing is swept while it does
        await asyncio.sleep(heap.QUIET * 0.6)
        assert found() is not None
        await busy_for(heap.QUIET)  # then the process is busy (fifty pages, say): nor now
        assert found() is not None
        await until_swept(found, "full collection at a quiet moment")
        assert heap.SWEEPS.quiet == before + 1
    finally:
        sweeping.cancel()
        undo()


@pytest.mark.asyncio
async def test_under_endless_releases_an_overdue_collection_still_sweeps() -> None:
    marks = Watermarks()
    undo = heap.settle()
    sweeping = asyncio.create_task(heap.collect_when_quiet(check=0.02))
    try:
        before = heap.SWEEPS.overdue
        watermark.note_wake()
        found = garbage_in_the_oldest_generation()
        young_collections(heap.DUE)
        for seq in range(1, 11):  # releases keep going out to a waiting stream
            waiting = asyncio.create_task(marks.wait_beyond("r", seq - 1, 5))
            await asyncio.sleep(0.03)
            marks.raise_to("r", seq)
            assert await waiting == seq
        assert watermark.quiet_for() < heap.QUIET
        assert found() is not None  # never quiet: not swept yet
        young_collections(heap.OVERDUE)
        await until_swept(found, "overdue full collection")
        assert heap.SWEEPS.overdue == before + 1
    finally:
        sweeping.cancel()
        undo()


@pytest.fixture(autouse=True)
def _collect_afterwards() -> object:
    yield None
    gc.collect()
