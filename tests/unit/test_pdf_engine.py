"""The PDF engine is loaded ahead once per process, in the background, so that the first
download of a report need not wait for WeasyPrint and its fonts."""

from __future__ import annotations

import sys

from sitroom.reports import pdf


def test_preloading_starts_one_thread_per_process_that_loads_the_engine() -> None:
    pdf.preload_engine()
    pdf.preload_engine()  # a second report page asks again: nothing more is started
    assert len(pdf._loading) == 1
    thread = pdf._loading[0]
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert "weasyprint" in sys.modules
