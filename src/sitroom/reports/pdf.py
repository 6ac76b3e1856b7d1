"""The AAR/IP as PDF: the HTML report laid out by WeasyPrint for A4 paper.

The print rules live in the report's own stylesheet (``@media print`` and ``@page``), so the
PDF and the HTML never disagree: every page carries the marking banner and the EXERCISE mark
top and bottom, the DRAFT label and watermark while the report is a draft, and "Page N of M".
"""

from __future__ import annotations

import logging
import threading
import warnings

from sitroom.package.marking import label_json
from sitroom.reports.html import render_html
from sitroom.reports.model import Report

PDF_LABEL_FILE = "sitroom-label.json"
"""The file embedded in the PDF that holds its label (JSON)."""

log = logging.getLogger(__name__)
_loading: list[threading.Thread] = []
_loading_lock = threading.Lock()


def load_engine() -> None:
    """Load WeasyPrint and its fonts: import it and lay out one line in the report's fonts.

    The first PDF of a process pays this otherwise (about a second); a server does it ahead,
    in the background, when someone opens the report page of an ended run
    (`preload_engine`)."""
    import weasyprint

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weasyprint.HTML(
            string='<p style="font-family: DejaVu Sans">A</p>'
            '<p style="font-family: NanumGothic"><b>가</b></p>'
        ).render().write_pdf()


def preload_engine() -> None:
    """Start `load_engine` in a background thread, once per process."""
    with _loading_lock:
        if _loading:
            return
        thread = threading.Thread(target=_load_quietly, name="sitroom-pdf-engine", daemon=True)
        _loading.append(thread)
    thread.start()


def _load_quietly() -> None:
    try:
        load_engine()
    except Exception:  # the first PDF then loads it, and says what is wrong
        log.exception("could not load the PDF engine ahead")


def render_pdf(report: Report, lang: str) -> bytes:
    """The AAR/IP of ``report`` as PDF bytes in ``lang``."""
    # Imported here: WeasyPrint loads Pango and fonts, which costs time that HTML and DOCX
    # downloads should not pay.
    import weasyprint

    html = render_html(report, lang, for_print=True)
    with warnings.catch_warnings():
        # WeasyPrint's dependencies (fontTools, tinycss2) may warn about things a reader
        # cannot fix; those are not the report's problems, and a warning must not turn a
        # download into an error where warnings are errors.
        warnings.simplefilter("ignore")
        document = weasyprint.HTML(string=html, base_url=None).render()
        attachments = []
        if report.label is not None:
            # The label travels inside the file: an embedded JSON file a machine reads
            # (``pdfdetach -list``), beside the banner every page shows.
            attachments.append(
                weasyprint.Attachment(
                    string=label_json(dict(report.label)),
                    base_url=None,
                    name=PDF_LABEL_FILE,
                    description="Confidentiality label (STANAG 4774-shaped)",
                    relationship="Data",
                )
            )
        pdf: bytes = document.write_pdf(attachments=attachments)
    return pdf
