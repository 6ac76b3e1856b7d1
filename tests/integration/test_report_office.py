"""The AAR/IP's Word document as a reader sees it: opened by LibreOffice (headless), laid out
and printed to PDF, then read back with pdftotext. Table 1's objectives must be readable (not
squeezed into a column ten characters wide), Markdown must not show as ``**`` marks, YAML line
breaks must not split sentences, and drafted findings must read as sentences with names.

python-docx only shows the document's structure; LibreOffice lays it out, as Word would, so
column widths and formatting are checked as printed. LibreOffice is a system package
(``libreoffice-writer-nogui``, installed by ``make browser-deps``).
"""

from __future__ import annotations

import io
import math
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import docx
import pytest

from sitroom.package.model import Package
from sitroom.reports.render import render
from tests.support.layout import MIN_CHARACTERS_PER_LINE, lines_of, words
from tests.support.playthrough import played_example

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        SOFFICE is None,
        reason="LibreOffice is not installed (apt-get install libreoffice-writer-nogui, "
        "or make browser-deps as root)",
    ),
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is missing"),
]


@dataclass
class Printed:
    package: Package
    docx: dict[str, bytes]
    text: dict[str, str]  # pdftotext -layout of LibreOffice's PDF, by language


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Printed]:
    folder = tmp_path_factory.mktemp("office")
    with played_example(folder, "allied-office") as example:
        report = example.engine.report(example.played.run_id, ("ald",))
        documents = {lang: render(report, "docx", lang).content for lang in ("en", "ko")}
    paths = []
    for lang, content in documents.items():
        path = folder / f"aar-{lang}.docx"
        path.write_bytes(content)
        paths.append(str(path))
    assert SOFFICE is not None
    # A profile of its own, so that a LibreOffice already running elsewhere is not joined.
    profile = (folder / "profile").as_uri()
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf"]
        + ["--outdir", str(folder / "pdf"), *paths],
        check=True,
        capture_output=True,
        timeout=600,
    )
    text = {}
    for lang in documents:
        pdf = folder / "pdf" / f"aar-{lang}.pdf"
        assert pdf.is_file(), f"LibreOffice did not print aar-{lang}.docx"
        text[lang] = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
        ).stdout
    yield Printed(example.package, documents, text)


def test_table_1_objectives_are_readable_in_word(printed: Printed) -> None:
    layout = printed.text["en"]
    table = layout[layout.index("Table 1.") :]
    measured = []
    for number, objective in enumerate(printed.package.objectives, start=1):
        text = f"{number}. {' '.join(objective.text['en'].split())}"
        lines = lines_of(text, table)
        if lines is None:
            continue
        measured.append(lines)
        most = math.ceil(len(text) / MIN_CHARACTERS_PER_LINE)
        assert lines <= most, f"objective {number} takes {lines} lines (at most {most})"
    assert measured, "no objective of Table 1 was found whole on one page"


def test_markdown_is_formatting_not_marks(printed: Printed) -> None:
    for lang, text in printed.text.items():
        assert "**" not in text, lang
        assert "](" not in text, lang
    flat = " ".join(words(printed.text["en"]))
    assert "must consult under the Alliance Consultation Guidelines, reconcile" in flat
    document = docx.Document(io.BytesIO(printed.docx["en"]))
    bold = [
        run.text
        for table in document.tables
        for row in table.rows
        for cell in row.cells
        for paragraph in cell.paragraphs
        for run in paragraph.runs
        if run.bold
    ]
    assert "Alliance Consultation Guidelines" in bold


def test_yaml_line_breaks_do_not_split_sentences(printed: Printed) -> None:
    document = docx.Document(io.BytesIO(printed.docx["en"]))
    overview = document.tables[0]
    (scenario,) = [r.cells[1] for r in overview.rows if r.cells[0].text.strip() == "Scenario"]
    paragraphs = [p.text for p in scenario.paragraphs if p.text.strip()]
    assert len(paragraphs) == 2  # two paragraphs in the package, a blank line between
    assert all("\n" not in p for p in paragraphs)
    assert "came down at sea, well outside either ally's territory" in paragraphs[0]
    flat = " ".join(words(printed.text["en"]))
    assert "the object came down at sea, well outside either ally's territory" in flat


def test_drafted_findings_read_as_sentences_with_names(printed: Printed) -> None:
    english = " ".join(words(printed.text["en"]))
    assert "Aldoria National Security Staff (Republic of Aldoria), on inject 1.1" in english
    assert "(ACG 1.1 “Prompt notification”) — rated" in english
    assert "was performed well" in english
    assert "[P] Observed" not in english  # the bare "[rating] note" lines of before
    korean = " ".join(words(printed.text["ko"]))
    assert "알도리아 국가안보실(알도리아 공화국), 상황 조성 1.1" in korean
    assert "등급(문제 없이 수행)" in korean or "등급(일부 문제 있으나 수행)" in korean
