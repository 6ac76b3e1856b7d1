"""One entry point for the AAR/IP's formats: ``render(report, fmt, lang)``; ``render_stored``
keeps the last few PDFs so that later readers of the same report get the stored bytes."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sitroom.reports.model import Report


class ReportFormat(StrEnum):
    HTML = "html"
    DOCX = "docx"
    PDF = "pdf"


MEDIA_TYPES = {
    ReportFormat.HTML: "text/html; charset=utf-8",
    ReportFormat.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ReportFormat.PDF: "application/pdf",
}


@dataclass(frozen=True, slots=True)
class Rendered:
    content: bytes
    media_type: str
    filename: str


def filename(report: Report, fmt: ReportFormat, lang: str) -> str:
    """E.g. ``aar-allied-2027-ald-draft-ko.pdf``: run, scope, status and language."""
    scope = "-".join(report.model.parties) or "complete"
    return f"aar-{report.model.run_id}-{scope}-{report.status}-{lang}.{fmt.value}"


def render(
    report: Report, fmt: ReportFormat | str, lang: str, *, template: Path | None = None
) -> Rendered:
    """The report in ``fmt`` and ``lang``; ``template`` replaces the default Word template."""
    fmt = ReportFormat(fmt)
    if fmt == ReportFormat.HTML:
        from sitroom.reports.html import render_html

        content = render_html(report, lang).encode("utf-8")
    elif fmt == ReportFormat.DOCX:
        from sitroom.reports.docx import render_docx

        content = render_docx(report, lang, template=template)
    else:
        from sitroom.reports.pdf import render_pdf

        content = render_pdf(report, lang)
    return Rendered(content, MEDIA_TYPES[fmt], filename(report, fmt, lang))


STORED_MAX = 8
"""PDFs kept in memory by ``render_stored`` (each some hundreds of KiB)."""
_stored: OrderedDict[tuple[str, ...], Rendered] = OrderedDict()
_stored_lock = threading.Lock()


def _stored_key(report: Report, fmt: ReportFormat, lang: str) -> tuple[str, ...]:
    """Everything the rendered bytes depend on: the model (its hash covers the run, the scope
    and the last event it reflects), the status, the frozen hash and the label."""
    return (
        fmt.value,
        lang,
        report.hash,
        report.status,
        report.finalised_at or "",
        report.frozen_hash or "",
        json.dumps(report.label, sort_keys=True, default=str),
    )


def render_stored(report: Report, fmt: ReportFormat | str, lang: str) -> Rendered:
    """As ``render``, but a PDF rendered before for the same report (same hash, status and
    label) is served from memory: WeasyPrint takes seconds for a long run's report, and a
    finalised report is downloaded by many. A report whose log has moved on has another hash,
    so it is never served a stale file. Other formats are rendered every time."""
    fmt = ReportFormat(fmt)
    if fmt != ReportFormat.PDF:
        return render(report, fmt, lang)
    key = _stored_key(report, fmt, lang)
    with _stored_lock:
        if key in _stored:
            _stored.move_to_end(key)
            return _stored[key]
    rendered = render(report, fmt, lang)
    with _stored_lock:
        _stored[key] = rendered
        while len(_stored) > STORED_MAX:
            _stored.popitem(last=False)
    return rendered
