"""A whole bundled example played by commands — ratings, hot wash, feedback — and its AAR/IP
in HTML, DOCX and PDF; one party's material never reaches another party's AAR in any format."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest

from sitroom.conduct import commands as cmd
from sitroom.reports.model import IP_COLUMNS
from sitroom.reports.render import render
from tests.support.playthrough import Example, played_example

PAGES = Path(__file__).parents[2] / "test-results" / "report-pages"
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None,
    reason="poppler-utils (pdftoppm, pdftotext) is not installed",
)


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Example]:
    with played_example(tmp_path_factory.mktemp("aar"), "allied-aar") as played:
        yield played


def docx_text(content: bytes) -> str:
    """Every paragraph of body, tables, headers and footers of a .docx."""
    document = docx.Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    for section in document.sections:
        for part in (section.header, section.footer, section.first_page_header):
            parts.extend(p.text for p in part.paragraphs)
            for table in part.tables:
                for row in table.rows:
                    parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def pdf_pages(content: bytes, folder: Path) -> list[str]:
    """The text of each page of a PDF (pdftotext in content order, so a table cell's lines stay
    together), whitespace removed so nothing is split across lines."""
    source = folder / "report.pdf"
    source.write_bytes(content)
    text = subprocess.run(
        ["pdftotext", "-raw", str(source), "-"], check=True, capture_output=True, text=True
    ).stdout
    return [re.sub(r"\s+", "", page) for page in text.split("\f") if page.strip()]


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_the_example_was_played_whole(example: Example) -> None:
    state = example.engine.state(example.played.run_id)
    released = [i for i in state.injects.values() if i.released_seq is not None]
    assert state.status == "ended" and len(released) >= 15
    assert state.target_ratings and state.capability_ratings and state.clause_records
    assert state.hot_wash and len(state.feedback) == 4 and state.decisions


def test_html_report_has_the_hseep_structure(example: Example) -> None:
    report = example.engine.report(example.played.run_id)
    html = render(report, "html", "en").content.decode("utf-8")
    for heading in (
        "Exercise Overview",
        "Analysis of Capabilities",
        "Improvement Plan",
        "Participants",
    ):
        assert heading in html, heading
    for column in IP_COLUMNS:
        assert column in html, column
    assert report.model.marking in html and "DRAFT" in html
    assert html.count("<svg") >= 3  # timeline, latency, ratings, coverage charts
    korean = render(report, "html", "ko").content.decode("utf-8")
    assert "개선" in korean and 'lang="ko"' in korean


def test_docx_opens_and_its_improvement_plan_has_every_column(example: Example) -> None:
    engine, run = example.engine, example.played.run_id
    finding = next(
        f for c in engine.report(run).model.capabilities for f in c.improvements if f.drafted
    )
    engine.handle(
        run,
        cmd.SaveFinding(
            "improvement",
            "Notification reached the ally late",
            "The first call came after the agreed two hours.",
            capability=finding.capability,
            evidence=tuple(e.seq for e in finding.evidence),
            corrective_actions=(
                cmd.CorrectiveAction(
                    "Adopt a consultation checklist",
                    "Planning",
                    "Aldoria Ministry of Foreign Affairs",
                    "Director, Alliance Policy",
                    "2027-04-01",
                    "2027-09-30",
                ),
            ),
            id=finding.id,
        ),
        example.played.evaluator,
    )
    report = engine.report(run)
    document = docx.Document(io.BytesIO(render(report, "docx", "en").content))
    plan = next(
        t for t in document.tables if [c.text.strip() for c in t.rows[0].cells] == list(IP_COLUMNS)
    )
    rows = [[c.text.strip() for c in row.cells] for row in plan.rows[1:]]
    assert len(rows) == len(report.model.improvement_plan) >= 1
    assert next(r for r in rows if "Adopt a consultation checklist" in r)[1:6] == [
        "Notification reached the ally late",
        "Adopt a consultation checklist",
        "Planning",
        "Aldoria Ministry of Foreign Affairs",
        "Director, Alliance Policy",
    ]
    assert len(document.inline_shapes) >= 3  # the charts


@needs_poppler
def test_pdf_pages_carry_the_marking_and_draft(example: Example, tmp_path: Path) -> None:
    report = example.engine.report(example.played.run_id, ("ald",))
    content = render(report, "pdf", "en").content
    assert content.startswith(b"%PDF")
    pages = pdf_pages(content, tmp_path)
    assert len(pages) >= 5
    marking = squeeze(report.model.marking)
    for number, page in enumerate(pages, start=1):
        assert marking in page, f"page {number} lacks the marking"
        assert "DRAFT" in page, f"page {number} lacks DRAFT"
    # PNG pages to look at, as a reader would.
    PAGES.mkdir(parents=True, exist_ok=True)
    for old in PAGES.glob("aar-ald-*.png"):
        old.unlink()
    source = tmp_path / "report.pdf"
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", str(source), str(PAGES / "aar-ald")], check=True
    )
    assert len(list(PAGES.glob("aar-ald-*.png"))) == len(pages)


@needs_poppler
def test_no_party_reads_another_partys_material_in_any_format(
    example: Example, tmp_path: Path
) -> None:
    engine, played = example.engine, example.played
    secret_titles = {
        party: [
            inject.title["en"]
            for inject in example.package.injects()
            if inject.marking is not None and inject.marking.releasable_to == (party,)
        ]
        for party in ("ald", "brn")
    }
    assert secret_titles["ald"] and secret_titles["brn"]
    for mine, theirs in (("ald", "brn"), ("brn", "ald")):
        report = engine.report(played.run_id, (mine,))
        joint = engine.report(played.run_id, ("ald", "brn"))
        for fmt in ("html", "docx", "pdf"):
            own = render(report, fmt, "en").content
            shared = render(joint, fmt, "en").content
            if fmt == "html":
                texts = [own.decode("utf-8"), shared.decode("utf-8")]
            elif fmt == "docx":
                texts = [docx_text(own), docx_text(shared)]
            else:
                texts = ["".join(pdf_pages(own, tmp_path)), "".join(pdf_pages(shared, tmp_path))]
            own_text, joint_text = (squeeze(t) for t in texts)
            leaked = [m for m in played.markers[theirs] if m in own_text or m in joint_text]
            assert not leaked, f"{theirs} material in {mine}'s or the joint AAR ({fmt})"
            for title in secret_titles[theirs]:
                assert squeeze(title) not in own_text, (fmt, title)
                assert squeeze(title) not in joint_text, (fmt, title)
            assert any(m in own_text for m in played.markers[mine]), (mine, fmt)
            assert any(squeeze(t) in own_text for t in secret_titles[mine]), (mine, fmt)
