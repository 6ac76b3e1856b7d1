"""Generate the default AAR/IP Word template, ``src/sitroom/reports/templates/aar-template.docx``.

Usage: python scripts/make_aar_template.py [--check] [OUTPUT]

The template is an ordinary Word document whose text holds docxtpl (Jinja) tags; sitroom fills
it with the context that ``sitroom.reports.docx.report_context`` builds (documented in
``docs/aar-template.md``). It is generated rather than drawn by hand so that a change to the
layout is a reviewable diff of this script; agencies start from the generated file and restyle
it in Word. With ``--check`` nothing is written; the exit status is 1 if the committed template
differs in its text (tags and labels) from what this script makes.
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "src" / "sitroom" / "reports" / "templates" / "aar-template.docx"

MARK_RED = RGBColor(0xB0, 0x00, 0x00)


# -- small builders ----------------------------------------------------------------------------


def para(
    doc: DocumentObject,
    text: str,
    style: str | None = None,
    *,
    bold: bool = False,
    italic: bool = False,
    size: float | None = None,
    center: bool = False,
) -> Paragraph:
    """A paragraph with one run; docxtpl needs a tag to sit in one run to find it whole."""
    paragraph = doc.add_paragraph(style=style)
    run = paragraph.add_run(text)
    run.bold = bold or None
    run.italic = italic or None
    if size:
        run.font.size = Pt(size)
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return paragraph


def tag(doc: DocumentObject | _Cell, text: str) -> None:
    """A ``{%p … %}`` paragraph: docxtpl removes the whole paragraph when it renders."""
    doc.add_paragraph(text)


def markdown(doc: DocumentObject | _Cell, blocks: str) -> None:
    """Markdown blocks (``markdown_blocks``) as Word paragraphs: formatted runs printed with
    ``{{r block.rich }}`` in a List Bullet, List Bullet 2, List Continue (a numbered item,
    its number written) or plain paragraph. In a table cell, the cell's own first paragraph
    holds the loop's first tag."""
    opening = f"{{%p for block in {blocks} %}}"
    if isinstance(doc, _Cell):
        doc.paragraphs[0].text = opening
    else:
        tag(doc, opening)
    tag(doc, "{%p if block.bullet and block.level > 1 %}")
    doc.add_paragraph("{{r block.rich }}", style="List Bullet 2")
    tag(doc, "{%p elif block.bullet %}")
    doc.add_paragraph("{{r block.rich }}", style="List Bullet")
    tag(doc, "{%p elif block.number %}")
    doc.add_paragraph("{{r block.rich }}", style="List Continue")
    tag(doc, "{%p else %}")
    doc.add_paragraph("{{r block.rich }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")


def shade(cell: _Cell, fill: str) -> None:
    properties = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    properties.append(shading)


def repeat_header(table: Table) -> None:
    """The header row repeats on every page the table runs over."""
    row_properties = table.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row_properties.append(header)


def set_widths(table: Table, widths: list[float]) -> None:
    """Column widths in millimetres, for every reader: the grid (LibreOffice lays a table out
    by its grid, which python-docx writes in equal columns), each cell (Word), and a fixed
    layout, so that a long word or a narrow rating column cannot squeeze the text columns."""
    grid = table._tbl.tblGrid
    for column, width in zip(grid.findall(qn("w:gridCol")), widths, strict=True):
        column.set(qn("w:w"), str(Mm(width).twips))
    total = table._tbl.tblPr.find(qn("w:tblW"))  # python-docx writes one: "auto"
    total.set(qn("w:w"), str(Mm(sum(widths)).twips))
    total.set(qn("w:type"), "dxa")
    table.autofit = False  # w:tblLayout fixed, in its place in the table's properties
    for row in table.rows:
        for index, width in enumerate(widths):
            row.cells[index].width = Mm(width)


def loop_table(
    doc: DocumentObject,
    headers: list[str],
    loop: str,
    cells: list[str],
    widths: list[float] | None = None,
) -> Table:
    """A table: one header row, then one row per item of ``loop`` (``{%tr for … %}`` rows)."""
    table: Table = doc.add_table(rows=4, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for index, header in enumerate(headers):
        cell = table.rows[0].cells[index]
        cell.text = ""
        run = cell.paragraphs[0].add_run(header)
        run.bold = True
        run.font.size = Pt(9)
        shade(cell, "D9E2F3")
    table.rows[1].cells[0].text = f"{{%tr for {loop} %}}"
    for index, text in enumerate(cells):
        cell = table.rows[2].cells[index]
        cell.text = ""
        cell.paragraphs[0].add_run(text).font.size = Pt(9)
    table.rows[3].cells[0].text = "{%tr endfor %}"
    repeat_header(table)
    if widths:
        set_widths(table, widths)
    return table


def field(paragraph: Paragraph, instruction: str, placeholder: str) -> None:
    """A Word field (PAGE, NUMPAGES): Word computes it when it lays the document out."""
    for kind, text in (("begin", None), (None, instruction), ("separate", None)):
        run = paragraph.add_run()
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
            run._r.append(element)
        else:
            code = OxmlElement("w:instrText")
            code.set(qn("xml:space"), "preserve")
            code.text = f" {text} "
            run._r.append(code)
    paragraph.add_run(placeholder)
    end = paragraph.add_run()
    element = OxmlElement("w:fldChar")
    element.set(qn("w:fldCharType"), "end")
    end._r.append(element)


def banner(paragraph: Paragraph, text: str, *, size: float = 9, color: RGBColor = MARK_RED) -> None:
    run = paragraph.add_run(text)
    run.bold = True
    run.font.size = Pt(size)
    run.font.color.rgb = color
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER


def finding_block(doc: DocumentObject, items: str, name: str) -> None:
    """One strength or area for improvement: title, analysis, evidence, corrective actions."""
    tag(doc, f"{{%p for {name} in {items} %}}")
    para(doc, f"{{{{ {name}.title }}}}", "Heading 4")
    tag(doc, f"{{%p if {name}.drafted %}}")
    para(doc, "{{ labels.drafted_note }}", italic=True, size=9)
    tag(doc, "{%p endif %}")
    tag(doc, f"{{%p if {name}.reference %}}")
    para(doc, f"{{{{ labels.reference }}}}: {{{{ {name}.reference }}}}", italic=True, size=9)
    tag(doc, "{%p endif %}")
    markdown(doc, f"{name}.analysis")
    tag(doc, f"{{%p if {name}.evidence %}}")
    para(doc, "{{ labels.evidence }}", bold=True, size=9)
    tag(doc, f"{{%p for item in {name}.evidence %}}")
    para(doc, "{{ item.text }}", "List Bullet 2", size=8)
    tag(doc, "{%p endfor %}")
    tag(doc, f"{{%p if {name}.evidence_more %}}")
    para(doc, f"{{{{ {name}.evidence_more }}}}", italic=True, size=8)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endif %}")
    tag(doc, f"{{%p if {name}.actions %}}")
    para(doc, "{{ labels.corrective_actions }}", bold=True, size=9)
    tag(doc, f"{{%p for action in {name}.actions %}}")
    para(doc, "{{ action.summary }}", "List Number", size=9)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")


def bullets(doc: DocumentObject, items: str, empty: str = "labels.none_recorded") -> None:
    """A bulleted list of strings, or a "none" line when the list is empty."""
    tag(doc, f"{{%p for line in {items} %}}")
    para(doc, "{{ line }}", "List Bullet")
    tag(doc, "{%p endfor %}")
    tag(doc, f"{{%p if not {items} %}}")
    para(doc, f"{{{{ {empty} }}}}", italic=True)
    tag(doc, "{%p endif %}")


def page_break(doc: DocumentObject) -> None:
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


# -- the document ------------------------------------------------------------------------------


def styles(doc: DocumentObject) -> None:
    normal = doc.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(10.5)
    # East Asian text (Korean reports) needs its own font slot, or Word falls back to a
    # font without Hangul on some systems.
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), "Malgun Gothic")
    for name, size in (("Heading 1", 16), ("Heading 2", 13), ("Heading 3", 11.5)):
        doc.styles[name].font.size = Pt(size)
    doc.core_properties.title = "{{ title }} — {{ report_title }}"
    doc.core_properties.subject = "{{ marking }}"
    doc.core_properties.author = "sitroom"
    doc.core_properties.comments = "{{ report_hash }}"


def page_setup(doc: DocumentObject) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin = section.bottom_margin = Mm(22)
    section.header_distance = section.footer_distance = Mm(10)
    header = section.header
    first = header.paragraphs[0]
    banner(first, "{{ marking }}", size=10)
    banner(header.add_paragraph(), "{{ exercise_mark }}", color=RGBColor(0, 0, 0))
    banner(header.add_paragraph(), "{{ draft_mark }}", size=11)
    footer = section.footer
    banner(footer.paragraphs[0], "{{ draft_mark }}", size=11)
    banner(footer.add_paragraph(), "{{ exercise_mark }}", color=RGBColor(0, 0, 0))
    pages = footer.add_paragraph()
    pages.alignment = WD_ALIGN_PARAGRAPH.CENTER
    pages.add_run("{{ labels.page }} ")
    field(pages, "PAGE", "1")
    pages.add_run(" / ")
    field(pages, "NUMPAGES", "1")
    banner(footer.add_paragraph(), "{{ marking }}", size=10)


def cover(doc: DocumentObject) -> None:
    for _ in range(4):
        doc.add_paragraph()
    para(doc, "{{ title }}", "Title", center=True)
    para(doc, "{{ report_title }}", "Subtitle", center=True)
    doc.add_paragraph()
    para(doc, "{{ scope_line }}", bold=True, center=True)
    para(doc, "{{ dates_line }}", center=True)
    doc.add_paragraph()
    para(doc, "{{ status_line }}", bold=True, center=True)
    para(doc, "{{ labels.report_hash }}: {{ report_hash }}", size=8, center=True)
    tag(doc, "{%p if integrity_warning %}")
    para(doc, "{{ integrity_warning }}", bold=True, center=True)
    tag(doc, "{%p endif %}")
    para(doc, "{{ labels.run }}: {{ run_id }} · {{ labels.upto }}: {{ upto }}", size=8, center=True)
    page_break(doc)


def overview(doc: DocumentObject) -> None:
    para(doc, "{{ labels.exercise_overview }}", "Heading 1")
    table = doc.add_table(rows=3, cols=2)
    table.style = "Table Grid"
    table.rows[0].cells[0].text = "{%tr for row in overview_rows %}"
    label, value = table.rows[1].cells
    label.text = ""
    label.paragraphs[0].add_run("{{ row.label }}").bold = True
    shade(label, "D9E2F3")
    markdown(value, "row.blocks")
    table.rows[2].cells[0].text = "{%tr endfor %}"
    set_widths(table, [45, 125])


def summary(doc: DocumentObject) -> None:
    para(doc, "{{ labels.executive_summary }}", "Heading 1")
    para(doc, "{{ summary_line }}")
    para(doc, "{{ labels.major_strengths }}", "Heading 3")
    bullets(doc, "major_strengths")
    para(doc, "{{ labels.primary_improvements }}", "Heading 3")
    bullets(doc, "primary_improvements")


def analysis(doc: DocumentObject) -> None:
    para(doc, "{{ labels.analysis_of_capabilities }}", "Heading 1")
    para(doc, "{{ labels.capability_table_intro }}")
    para(doc, "{{ labels.capability_table_caption }}", "Caption")
    loop_table(
        doc,
        [
            "{{ labels.objective }}",
            "{{ labels.core_capability }}",
            "{{ ratings[0].code }}",
            "{{ ratings[1].code }}",
            "{{ ratings[2].code }}",
            "{{ ratings[3].code }}",
        ],
        "row in capability_table",
        ["{{ row.objective }}", "{{ row.capability }}", "{{ row.P }}", "{{ row.S }}"]
        + ["{{ row.M }}", "{{ row.U }}"],
        [96, 46, 7, 7, 7, 7],
    )
    para(doc, "{{ labels.rating_definitions }}", "Heading 3")
    loop_table(
        doc,
        ["{{ labels.rating }}", "{{ labels.definition }}"],
        "rating in ratings",
        ["{{ rating.code }} — {{ rating.name }}", "{{ rating.definition }}"],
        [50, 120],
    )
    tag(doc, "{%p for cap in capabilities %}")
    para(doc, "{{ cap.heading }}", "Heading 2")
    para(doc, "{{ labels.objective }} {{ cap.objective_number }}: {{ cap.objective_text }}")
    para(doc, "{{ labels.rating }}: {{ cap.rating_text }}", bold=True)
    tag(doc, "{%p if cap.targets %}")
    para(doc, "{{ labels.capability_targets }}", "Heading 3")
    tag(doc, "{%p for target in cap.targets %}")
    para(doc, "{{ target.text }} — {{ target.rating_text }}", "List Bullet")
    tag(doc, "{%p for task in target.tasks %}")
    para(doc, "{{ task }}", "List Bullet 2", size=9)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")
    para(doc, "{{ labels.strengths }}", "Heading 3")
    finding_block(doc, "cap.strengths", "finding")
    tag(doc, "{%p if not cap.strengths %}")
    para(doc, "{{ labels.none_recorded }}", italic=True)
    tag(doc, "{%p endif %}")
    para(doc, "{{ labels.areas_for_improvement }}", "Heading 3")
    finding_block(doc, "cap.improvements", "finding")
    tag(doc, "{%p if not cap.improvements %}")
    para(doc, "{{ labels.none_recorded }}", italic=True)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if general_strengths or general_improvements %}")
    para(doc, "{{ labels.other_findings }}", "Heading 2")
    tag(doc, "{%p if general_strengths %}")
    para(doc, "{{ labels.strengths }}", "Heading 3")
    finding_block(doc, "general_strengths", "finding")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if general_improvements %}")
    para(doc, "{{ labels.areas_for_improvement }}", "Heading 3")
    finding_block(doc, "general_improvements", "finding")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endif %}")


def clauses(doc: DocumentObject) -> None:
    tag(doc, "{%p if clauses_discussed or clauses_not_discussed %}")
    para(doc, "{{ labels.guideline_clauses }}", "Heading 1")
    for key in ("clauses_discussed", "clauses_not_discussed"):
        para(doc, f"{{{{ labels.{key} }}}}", "Heading 3")
        tag(doc, f"{{%p if {key} %}}")
        loop_table(
            doc,
            ["{{ labels.clause }}", "{{ labels.text }}", "{{ labels.evidence_count }}"],
            f"clause in {key}",
            ["{{ clause.id }} {{ clause.title }}", "{{ clause.text }}", "{{ clause.evidence }}"],
            [35, 115, 20],
        )
        tag(doc, "{%p else %}")
        para(doc, "{{ labels.none_recorded }}", italic=True)
        tag(doc, "{%p endif %}")
    tag(doc, "{%p endif %}")


def analytics(doc: DocumentObject) -> None:
    para(doc, "{{ labels.analytics }}", "Heading 1")
    para(doc, "{{ analytics_line }}")
    tag(doc, "{%p for chart in charts %}")
    para(doc, "{{ chart.title }}", "Heading 3")
    para(doc, "{{ chart.image }}", center=True)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if latency_rows %}")
    para(doc, "{{ labels.latency }}", "Heading 3")
    loop_table(
        doc,
        [
            "{{ labels.inject }}",
            "{{ labels.team }}",
            "{{ labels.first_response }}",
            "{{ labels.first_decision }}",
        ],
        "row in latency_rows",
        ["{{ row.inject }}", "{{ row.team }}", "{{ row.response }}", "{{ row.decision }}"],
        [70, 50, 25, 25],
    )
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if concurrence_rows %}")
    para(doc, "{{ labels.concurrence }}", "Heading 3")
    loop_table(
        doc,
        [
            "{{ labels.decision }}",
            "{{ labels.team }}",
            "{{ labels.parties }}",
            "{{ labels.status }}",
            "{{ labels.time_to_concur }}",
        ],
        "row in concurrence_rows",
        [
            "{{ row.title }}",
            "{{ row.team }}",
            "{{ row.parties }}",
            "{{ row.status }}",
            "{{ row.time }}",
        ],
        [55, 40, 25, 25, 25],
    )
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if participation_rows %}")
    para(doc, "{{ labels.participation }}", "Heading 3")
    loop_table(
        doc,
        [
            "{{ labels.team_or_party }}",
            "{{ labels.responses }}",
            "{{ labels.decisions }}",
            "{{ labels.answers }}",
            "{{ labels.notes }}",
            "{{ labels.votes }}",
            "{{ labels.total }}",
            "{{ labels.share }}",
        ],
        "row in participation_rows",
        [
            "{{ row.name }}",
            "{{ row.responses }}",
            "{{ row.decisions }}",
            "{{ row.answers }}",
            "{{ row.notes }}",
            "{{ row.votes }}",
            "{{ row.total }}",
            "{{ row.share }}",
        ],
        [58, 16, 16, 16, 16, 16, 16, 16],
    )
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if poll_rows %}")
    para(doc, "{{ labels.polls }}", "Heading 3")
    loop_table(
        doc,
        [
            "{{ labels.question }}",
            "{{ labels.voters }}",
            "{{ labels.top_option }}",
            "{{ labels.alignment }}",
        ],
        "row in poll_rows",
        ["{{ row.question }}", "{{ row.voters }}", "{{ row.top_option }}", "{{ row.alignment }}"],
        [80, 20, 50, 20],
    )
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if answer_time_rows %}")
    para(doc, "{{ labels.answer_times }}", "Heading 3")
    para(doc, "{{ labels.answer_times_caption }}", "Caption")
    loop_table(
        doc,
        [
            "{{ labels.organisation }}",
            "{{ labels.threads }}",
            "{{ labels.answered }}",
            "{{ labels.median }}",
            "{{ labels.longest }}",
        ],
        "row in answer_time_rows",
        [
            "{{ row.name }}",
            "{{ row.threads }}",
            "{{ row.answered }}",
            "{{ row.median }}",
            "{{ row.longest }}",
        ],
        [70, 25, 25, 25, 25],
    )
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if milestone_rows %}")
    para(doc, "{{ labels.milestones }}", "Heading 3")
    loop_table(
        doc,
        [
            "{{ labels.milestone }}",
            "{{ labels.objectives_and_tasks }}",
            "{{ labels.clock }}",
            "{{ labels.time }}",
            "{{ labels.reached_by }}",
        ],
        "row in milestone_rows",
        ["{{ row.name }}", "{{ row.links }}", "{{ row.clock }}", "{{ row.time }}", "{{ row.by }}"],
        [60, 45, 22, 20, 23],
    )
    tag(doc, "{%p endif %}")


def debrief(doc: DocumentObject) -> None:
    para(doc, "{{ labels.hot_wash }}", "Heading 1")
    para(doc, "{{ labels.strengths }}", "Heading 3")
    bullets(doc, "hot_wash_strengths")
    para(doc, "{{ labels.areas_for_improvement }}", "Heading 3")
    bullets(doc, "hot_wash_improvements")
    para(doc, "{{ labels.feedback }}", "Heading 1")
    para(doc, "{{ feedback.line }}")
    tag(doc, "{%p if feedback.statements %}")
    loop_table(
        doc,
        ["{{ labels.statement }}", "{{ labels.mean }}", "{{ labels.answers }}"],
        "row in feedback.statements",
        ["{{ row.text }}", "{{ row.mean }}", "{{ row.answers }}"],
        [130, 20, 20],
    )
    tag(doc, "{%p endif %}")
    for key in ("strengths", "improvements", "missed", "suggested_actions"):
        tag(doc, f"{{%p if feedback.{key} %}}")
        para(doc, f"{{{{ labels.feedback_{key} }}}}", "Heading 3")
        bullets(doc, f"feedback.{key}")
        tag(doc, "{%p endif %}")


def appendices(doc: DocumentObject) -> None:
    page_break(doc)
    para(doc, "{{ labels.appendix_a }}", "Heading 1")
    para(doc, "{{ labels.improvement_plan_intro }}")
    loop_table(
        doc,
        [f"{{{{ ip_columns[{index}] }}}}" for index in range(8)],
        "row in improvement_plan",
        [
            "{{ row.capability }}",
            "{{ row.issue }}",
            "{{ row.action }}",
            "{{ row.element }}",
            "{{ row.organisation }}",
            "{{ row.poc }}",
            "{{ row.start }}",
            "{{ row.completion }}",
        ],
        [24, 28, 30, 18, 22, 18, 15, 15],
    )
    tag(doc, "{%p if not improvement_plan %}")
    para(doc, "{{ labels.no_actions }}", italic=True)
    tag(doc, "{%p endif %}")
    page_break(doc)
    para(doc, "{{ labels.appendix_b }}", "Heading 1")
    loop_table(
        doc,
        ["{{ labels.party }}", "{{ labels.team }}", "{{ labels.role }}", "{{ labels.people }}"],
        "row in participants",
        ["{{ row.party }}", "{{ row.team }}", "{{ row.kind }}", "{{ row.people }}"],
        [45, 80, 25, 20],
    )
    tag(doc, "{%p if acronyms %}")
    page_break(doc)
    para(doc, "{{ labels.appendix_c }}", "Heading 1")
    loop_table(
        doc,
        ["{{ labels.acronym }}", "{{ labels.meaning }}"],
        "row in acronyms",
        ["{{ row.term }}", "{{ row.expansion }}"],
        [30, 140],
    )
    tag(doc, "{%p endif %}")


def make_template() -> bytes:
    """The default template as .docx bytes."""
    doc = Document()
    styles(doc)
    page_setup(doc)
    cover(doc)
    overview(doc)
    summary(doc)
    analysis(doc)
    clauses(doc)
    analytics(doc)
    debrief(doc)
    appendices(doc)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _text_parts(data: bytes) -> dict[str, bytes]:
    """The XML parts that carry the template's text; a zip's timestamps differ run to run."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            name: archive.read(name)
            for name in archive.namelist()
            if name.startswith("word/") and name.endswith(".xml")
        }


def main(argv: list[str]) -> int:
    """Write (or with ``--check``, compare) the template; return the exit status."""
    check = "--check" in argv
    paths = [a for a in argv if not a.startswith("--")]
    output = Path(paths[0]) if paths else OUTPUT
    data = make_template()
    if check:
        if not output.is_file() or _text_parts(output.read_bytes()) != _text_parts(data):
            print(f"{output} is stale: run python scripts/make_aar_template.py", file=sys.stderr)
            return 1
        return 0
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
