"""The server's heap after start-up: out of the garbage collector's way.

A server holds a large, long-lived heap from its first second (the packages' models, the
templates, the routes) and then makes many short-lived objects per request and per streamed
frame. CPython's collector scans the oldest generation again and again, so a full collection
of that heap lands, every so often, in the middle of a release to a thousand streams and holds
every one of them (in ``benchmarks/bench_sse.py`` at 3,000 streams, one release in ten took
three to four times the others). `settle` runs once the application is up: one collection,
then everything alive is moved out of the collector's sight (`gc.freeze`). What is made later
is collected as before. (Collecting the young generation less often as well cut the CPU a
little more but let the heap grow by a megabyte a release in the 30-minute soak: not done.)
When the application stops, the heap is given back to the collector (the process may go on:
a test process starts and stops many applications, and a frozen heap is never collected).
"""

from __future__ import annotations

import gc
from collections.abc import Callable


def settle() -> Callable[[], None]:
    """Collect once and freeze what survives; returns what undoes it (call it when the
    application stops)."""
    gc.collect()
    gc.freeze()
    return gc.unfreeze
