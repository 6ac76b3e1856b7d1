"""The server's start-up heap is frozen out of the collector's way while the application
runs, and given back when it stops (a test process starts and stops many)."""

from __future__ import annotations

import gc

from sitroom.web import heap


def test_settle_freezes_the_heap_and_its_undo_gives_it_back() -> None:
    before = gc.get_threshold()
    undo = heap.settle()
    try:
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == before  # what is made later is collected as before
    finally:
        undo()
    assert gc.get_freeze_count() == 0
