"""The server's heap after start-up: out of the garbage collector's way.

A server holds a large, long-lived heap from its first second (the packages' models, the
templates, the routes, the run states) and then makes many short-lived objects per request
and per streamed frame. CPython's collector scans the older generations again and again, so a
full collection of that heap lands, every so often, in the middle of a release to a thousand
streams and holds every one of them (in ``benchmarks/bench_sse.py`` at 3,000 streams, one
release in ten took three to four times the others). `settle` runs once the application is
up: one collection, then everything alive is moved out of the collector's sight
(`gc.freeze`), and the young generation is collected less often. What is made later is
collected as before. When the application stops, both are undone (the process may go on: a
test process starts and stops many applications, and a frozen heap is never collected).
"""

from __future__ import annotations

import gc
from collections.abc import Callable

YOUNG_THRESHOLD = 10_000
"""Allocations between two collections of the youngest generation (CPython's default: 700)."""


def settle() -> Callable[[], None]:
    """Collect once, freeze what survives, and collect the young generation less often;
    returns what undoes it (call it when the application stops)."""
    gc.collect()
    gc.freeze()
    before = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, *before[1:])

    def undo() -> None:
        gc.set_threshold(*before)
        gc.unfreeze()

    return undo
