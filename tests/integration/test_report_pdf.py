"""The AAR/IP as PDF, read back with poppler: the marking, the EXERCISE mark, DRAFT and the
page number on every page, Korean text extractable, and the pages rendered to PNG under
``test-results/report-pages/`` for a person to look at."""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sitroom.conduct import commands as cmd
from sitroom.package.marking import EXERCISE_MARK
from sitroom.reports.build import build_report
from sitroom.reports.model import Report
from sitroom.reports.pdf import PDF_LABEL_FILE, render_pdf
from sitroom.reports.render import render_stored
from sitroom.services.runs import to_recorded
from tests.support.layout import MIN_CHARACTERS_PER_LINE, lines_of
from tests.support.playthrough import played_example

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None,
        reason="poppler-utils (pdftoppm, pdftotext) is not installed",
    ),
]

RUN = "allied-pdf"
PAGES_DIR = Path(__file__).resolve().parents[2] / "test-results" / "report-pages"


@dataclass
class Pdfs:
    draft: Report
    final: Report
    draft_en: bytes
    draft_ko: bytes
    final_en: bytes


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pdfs]:
    folder = tmp_path_factory.mktemp("pdf")
    with played_example(folder, RUN) as example:
        engine, package, played = example.engine, example.package, example.played
        log = [to_recorded(s) for s in engine.read(RUN)]
        draft = build_report(package, log, run_id=RUN)
        engine.handle(
            RUN,
            cmd.FinaliseReport(parties=(), upto=log[-1].seq, hash=draft.hash),
            played.evaluator,
        )
        final = build_report(package, [to_recorded(s) for s in engine.read(RUN)], run_id=RUN)
        assert final.final
        yield Pdfs(
            draft, final, render_pdf(draft, "en"), render_pdf(draft, "ko"), render_pdf(final, "en")
        )


def pages_text(pdf: bytes, folder: Path, mode: str = "-layout") -> list[str]:
    path = folder / "report.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", mode, str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    pages = out.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def test_pdf_is_a_pdf(pdfs: Pdfs) -> None:
    for pdf in (pdfs.draft_en, pdfs.draft_ko, pdfs.final_en):
        assert pdf.startswith(b"%PDF-")
        assert pdf.rstrip().endswith(b"%%EOF")


def test_every_page_carries_marking_exercise_mark_draft_and_page_number(
    pdfs: Pdfs, tmp_path: Path
) -> None:
    pages = pages_text(pdfs.draft_en, tmp_path)
    assert len(pages) > 5
    marking = pdfs.draft.model.marking
    for number, text in enumerate(pages, start=1):
        assert text.count(marking) >= 2, (number, text[:300])  # top and bottom
        assert text.count(EXERCISE_MARK) >= 2, number
        assert "DRAFT" in text, number
        assert f"Page {number} of {len(pages)}" in text, number


def test_korean_pdf_has_korean_text_and_the_marks_on_every_page(pdfs: Pdfs, tmp_path: Path) -> None:
    pages = pages_text(pdfs.draft_ko, tmp_path)
    marking = pdfs.draft.model.marking
    for number, text in enumerate(pages, start=1):
        assert marking in text and EXERCISE_MARK in text and "DRAFT" in text, number
        assert f"{len(pages)}쪽 중 {number}쪽" in text, number
    whole = "\n".join(pages)
    assert "연습 개요" in whole and "부록 A: 개선계획" in whole
    assert "알도리아 국가안보실" in whole  # team names from the package, in Korean


def test_table_1_objectives_are_readable(pdfs: Pdfs, tmp_path: Path) -> None:
    # In content order a cell's lines stay together, apart from the watermark's letters.
    layout = "\f".join(pages_text(pdfs.draft_en, tmp_path, "-raw"))
    table = layout[layout.index("Table 1.") :]
    package = pdfs.draft.model.overview.objectives
    measured = []
    for number, (_, objective) in enumerate(package, start=1):
        text = f"Objective {number}: {' '.join(objective['en'].split())}"
        lines = lines_of(text, table)
        if lines is not None:
            measured.append(lines)
            most = math.ceil(len(text) / MIN_CHARACTERS_PER_LINE)
            assert lines <= most, f"objective {number} takes {lines} lines (at most {most})"
    assert measured


def test_final_pdf_says_final_never_draft(pdfs: Pdfs, tmp_path: Path) -> None:
    pages = pages_text(pdfs.final_en, tmp_path)
    assert all("DRAFT" not in text for text in pages)
    assert "FINAL" in pages[0]
    assert all(EXERCISE_MARK in text for text in pages)


def test_pages_render_to_png(pdfs: Pdfs) -> None:
    for name, pdf in (("en", pdfs.draft_en), ("ko", pdfs.draft_ko)):
        folder = PAGES_DIR / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        (folder / "report.pdf").write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", "60", "-png", str(folder / "report.pdf"), str(folder / "page")],
            check=True,
            capture_output=True,
        )
        pngs = sorted(folder.glob("page-*.png"))
        assert len(pngs) > 5
        assert all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)


def test_the_label_travels_inside_the_pdf(pdfs: Pdfs, tmp_path: Path) -> None:
    """An embedded file holds the report's label; poppler's pdfdetach reads it back."""
    path = tmp_path / "report.pdf"
    path.write_bytes(pdfs.draft_en)
    listed = subprocess.run(
        ["pdfdetach", "-list", str(path)], check=True, capture_output=True, text=True
    ).stdout
    assert PDF_LABEL_FILE in listed
    out = tmp_path / "label.json"
    subprocess.run(
        ["pdfdetach", "-savefile", PDF_LABEL_FILE, "-o", str(out), str(path)], check=True
    )
    assert pdfs.draft.label is not None
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(
        json.dumps(dict(pdfs.draft.label))
    )


def test_a_stored_pdf_is_served_only_for_the_same_report(pdfs: Pdfs, tmp_path: Path) -> None:
    first = render_stored(pdfs.draft, "pdf", "en")
    assert render_stored(pdfs.draft, "pdf", "en") is first  # the stored bytes, not rendered again
    assert first.content.startswith(b"%PDF")
    # The same run finalised is another report: its own PDF, which says FINAL.
    final = render_stored(pdfs.final, "pdf", "en")
    assert final is not first
    pages = pages_text(final.content, tmp_path)
    assert "FINAL" in pages[0] and all("DRAFT" not in page for page in pages)
    # A log that has moved on gives another hash: never the stored file of the old one.
    moved = dataclasses.replace(pdfs.draft, hash="sha256:" + "0" * 64)
    assert render_stored(moved, "pdf", "en") is not first
    assert render_stored(pdfs.draft, "pdf", "ko") is not first
    # HTML is rendered each time (it takes well under a second).
    assert render_stored(pdfs.draft, "html", "en") is not render_stored(pdfs.draft, "html", "en")
