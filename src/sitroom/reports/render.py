"""One entry point for the AAR/IP's formats: ``render(report, fmt, lang)``."""

from __future__ import annotations

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
