"""The AAR/IP as Word: the default template, agency templates, markings, releasability.

Every document is opened again with python-docx and read back: tables, headers and footers,
images, and all the text, so a test fails when Word would show the wrong thing.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.document import Document as DocumentObject
from docx.table import Table

from scripts.make_aar_template import _text_parts, make_template
from sitroom.conduct import commands as cmd
from sitroom.package.model import Package
from sitroom.reports.build import build_report
from sitroom.reports.docx import (
    DEFAULT_TEMPLATE,
    MAX_EVIDENCE,
    ReportTemplateError,
    clean,
    flatten_markdown,
    markdown_blocks,
    render_docx,
    report_context,
)
from sitroom.reports.model import IP_COLUMNS, Report
from sitroom.services.runs import to_recorded
from tests.support.playthrough import Played, played_example

RUN = "allied-docx"


@dataclass
class Reports:
    package: Package
    played: Played
    draft: Report
    final: Report
    ald: Report
    brn: Report


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reports]:
    folder = tmp_path_factory.mktemp("docx")
    with played_example(folder, RUN) as example:
        engine, package, played = example.engine, example.package, example.played
        log = [to_recorded(s) for s in engine.read(RUN)]
        draft = build_report(package, log, run_id=RUN)
        ald = build_report(package, log, run_id=RUN, parties=("ald",))
        brn = build_report(package, log, run_id=RUN, parties=("brn",))
        engine.handle(
            RUN,
            cmd.FinaliseReport(parties=(), upto=log[-1].seq, hash=draft.hash),
            played.evaluator,
        )
        final = build_report(package, [to_recorded(s) for s in engine.read(RUN)], run_id=RUN)
        yield Reports(package, played, draft, final, ald, brn)


def open_docx(data: bytes) -> DocumentObject:
    return Document(io.BytesIO(data))


def all_text(document: DocumentObject) -> str:
    """Every piece of text Word would show: body, tables, headers, footers."""
    parts: list[str] = []
    body = document.element.body
    parts.extend(t.text or "" for t in body.iter(tag_name("w:t")))
    for section in document.sections:
        for part in (section.header, section.footer, section.first_page_header):
            parts.extend(t.text or "" for t in part._element.iter(tag_name("w:t")))
    return "\n".join(parts)


def tag_name(name: str) -> str:
    from docx.oxml.ns import qn

    return qn(name)


def table_with_header(document: DocumentObject, first: str) -> Table:
    found = [t for t in document.tables if t.rows and t.rows[0].cells[0].text.strip() == first]
    assert len(found) == 1, [t.rows[0].cells[0].text for t in document.tables]
    return found[0]


def marks(part: Any) -> str:
    """The text of a header or footer, paragraph by paragraph."""
    return "\n".join(p.text for p in part.paragraphs)


# -- the default template ----------------------------------------------------------------------


def test_committed_template_is_what_the_script_makes() -> None:
    assert _text_parts(DEFAULT_TEMPLATE.read_bytes()) == _text_parts(make_template())


def test_improvement_plan_is_a_word_table_with_the_hseep_columns(reports: Reports) -> None:
    document = open_docx(render_docx(reports.draft, "en"))
    table = table_with_header(document, IP_COLUMNS[0])
    assert tuple(c.text for c in table.rows[0].cells) == IP_COLUMNS
    plan = reports.draft.model.improvement_plan
    assert plan, "the playthrough should yield corrective actions"
    assert len(table.rows) == 1 + len(plan)
    for row, action in zip(table.rows[1:], plan, strict=True):
        cells = [c.text for c in row.cells]
        assert cells[1] == action.issue
        assert cells[2] == action.action
        assert cells[4] == action.organisation
        assert cells[3] == action.element
        assert cells[7] == action.completion


def test_every_page_carries_marking_exercise_mark_and_draft(reports: Reports) -> None:
    document = open_docx(render_docx(reports.draft, "en"))
    marking = reports.draft.model.marking
    assert marking
    for section in document.sections:
        for part in (section.header, section.footer):
            text = marks(part)
            assert marking in text
            assert "DRAFT" in text
            assert "EXERCISE EXERCISE EXERCISE" in text
    # Word computes the page numbers: the footer holds PAGE and NUMPAGES fields.
    footer_xml = document.sections[0].footer._element.xml
    assert " PAGE " in footer_xml and " NUMPAGES " in footer_xml


def test_a_final_report_drops_draft_and_says_final(reports: Reports) -> None:
    assert reports.final.final and reports.final.intact
    document = open_docx(render_docx(reports.final, "en"))
    for section in document.sections:
        for part in (section.header, section.footer):
            text = marks(part)
            assert reports.final.model.marking in text
            assert "DRAFT" not in text
    text = all_text(document)
    assert "DRAFT" not in text
    assert "Status: FINAL" in text
    assert reports.final.hash in text


def test_korean_report_has_korean_headings_and_ip_columns(reports: Reports) -> None:
    english = open_docx(render_docx(reports.draft, "en"))
    korean = open_docx(render_docx(reports.draft, "ko"))
    headings = [p.text for p in korean.paragraphs if p.style.name.startswith("Heading 1")]
    assert len(headings) >= 6
    assert all(any("\uac00" <= ch <= "\ud7a3" for ch in h) for h in headings), headings
    assert "Exercise Overview" not in all_text(korean)
    plan = next(t for t in korean.tables if len(t.rows[0].cells) == len(IP_COLUMNS))
    header = [c.text for c in plan.rows[0].cells]
    assert len(header) == len(IP_COLUMNS) and header != list(IP_COLUMNS)
    assert all(any("\uac00" <= ch <= "\ud7a3" for ch in cell) for cell in header), header
    # Package text is picked in Korean too: the exercise title on the cover.
    title = reports.draft.model.overview.name
    assert title["ko"] in all_text(korean) and title["en"] not in all_text(korean)
    assert title["en"] in all_text(english)


def test_charts_are_embedded_as_images(reports: Reports) -> None:
    from sitroom.reports.charts import render_charts

    expected = render_charts(reports.draft.model, "en", fmt="png")
    assert expected, "the playthrough has data for charts"
    document = open_docx(render_docx(reports.draft, "en"))
    assert len(document.inline_shapes) == len(expected)
    with zipfile.ZipFile(io.BytesIO(render_docx(reports.draft, "en"))) as archive:
        media = [n for n in archive.namelist() if n.startswith("word/media/")]
    assert len(media) == len(expected)


def test_overview_and_capability_table_follow_the_model(reports: Reports) -> None:
    model = reports.draft.model
    document = open_docx(render_docx(reports.draft, "en"))
    overview = table_with_header(document, "Exercise Name")
    assert overview.rows[0].cells[1].text == model.overview.name["en"]
    capability = table_with_header(document, "Objective")
    assert [c.text for c in capability.rows[0].cells] == ["Objective", "Core Capability"] + list(
        "PSMU"
    )
    assert len(capability.rows) == 1 + len(model.capabilities)
    for row, result in zip(capability.rows[1:], model.capabilities, strict=True):
        cells = [c.text for c in row.cells]
        assert cells[1] == result.name["en"]
        marked = [letter for letter, cell in zip("PSMU", cells[2:], strict=True) if cell == "X"]
        assert marked == ([result.rating] if result.rating else [])


def test_evidence_is_capped_per_finding(reports: Reports) -> None:
    model = reports.draft.model
    finding = model.capabilities[0].strengths[0]
    many = dataclasses.replace(finding, evidence=finding.evidence * 5)
    assert len(many.evidence) > MAX_EVIDENCE
    capability = dataclasses.replace(model.capabilities[0], strengths=(many,))
    report = dataclasses.replace(
        reports.draft,
        model=dataclasses.replace(model, capabilities=(capability, *model.capabilities[1:])),
    )
    context = report_context(report, "en")
    shown = context["capabilities"][0]["strengths"][0]
    assert len(shown["evidence"]) == MAX_EVIDENCE
    assert shown["evidence_more"] == f"… and {len(many.evidence) - MAX_EVIDENCE} more"
    text = all_text(open_docx(render_docx(report, "en")))
    assert shown["evidence_more"] in text


# -- what people typed -------------------------------------------------------------------------


def test_typed_xml_and_control_characters_cannot_break_the_document(reports: Reports) -> None:
    model = reports.draft.model
    hostile = 'Evil <w:p><w:r><w:t>injected</w:t></w:r></w:p> & "quotes"\x07 bell\x00'
    action = dataclasses.replace(model.improvement_plan[0], action=hostile, issue=hostile)
    report = dataclasses.replace(
        reports.draft,
        model=dataclasses.replace(
            model,
            improvement_plan=(action, *model.improvement_plan[1:]),
            marking="SECRET//REL TO <ALD>\x0b",
            hot_wash=(dataclasses.replace(model.hot_wash[0], text=hostile), *model.hot_wash[1:]),
        ),
    )
    document = open_docx(render_docx(report, "en"))
    expected = 'Evil <w:p><w:r><w:t>injected</w:t></w:r></w:p> & "quotes" bell'
    plan = table_with_header(document, IP_COLUMNS[0])
    assert plan.rows[1].cells[2].text == expected
    assert expected in all_text(document)
    assert "SECRET//REL TO <ALD>" in marks(document.sections[0].header)
    assert "\x07" not in all_text(document)


def test_clean_strips_only_what_xml_forbids() -> None:
    assert clean("a\x00b\x07c\x1fd\ufffe") == "abcd"
    assert clean("tab\tline\nreturn\r 한국어 ✓") == "tab\tline\nreturn\r 한국어 ✓"


def test_markdown_analysis_becomes_paragraphs_and_bullets() -> None:
    blocks = flatten_markdown(
        "The teams **notified** early.\n\n- first [link](https://example.org)\n- `second`\n"
    )
    assert blocks == [
        {"text": "The teams notified early.", "bullet": False},
        {"text": "first link", "bullet": True},
        {"text": "second", "bullet": True},
    ]


def test_markdown_becomes_word_formatting_and_line_breaks_fold() -> None:
    source = (
        "The two governments must consult under the **Alliance Consultation\n"
        "Guidelines**, reconcile *differing*\nassessments.\n\n"
        "2. notify\n3. consult\n\n- one\n  - nested\n"
    )
    blocks = markdown_blocks(source)
    assert [(b["text"], b["bullet"], b["number"], b["level"]) for b in blocks] == [
        (
            "The two governments must consult under the Alliance Consultation Guidelines, "
            "reconcile differing assessments.",
            False,
            "",
            0,
        ),
        ("2. notify", False, "2.", 1),
        ("3. consult", False, "3.", 1),
        ("one", True, "", 1),
        ("nested", True, "", 2),
    ]
    first = blocks[0]["rich"].xml
    assert '<w:b/></w:rPr><w:t xml:space="preserve">Alliance Consultation Guidelines</w:t>' in (
        first
    )
    assert '<w:i/></w:rPr><w:t xml:space="preserve">differing</w:t>' in first
    assert "**" not in first and "\n" not in first


def test_typed_markdown_in_a_finding_cannot_break_the_document(reports: Reports) -> None:
    model = reports.draft.model
    capability = model.capabilities[0]
    hostile = "**Evil** <w:p><w:r><w:t>injected</w:t></w:r></w:p> & \x07bell"
    finding = dataclasses.replace(
        (*capability.strengths, *capability.improvements)[0],
        title="Typed",
        analysis=hostile,
        translations={},
    )
    changed = dataclasses.replace(capability, strengths=(finding,), improvements=())
    report = dataclasses.replace(
        reports.draft,
        model=dataclasses.replace(model, capabilities=(changed, *model.capabilities[1:])),
    )
    text = all_text(open_docx(render_docx(report, "en")))
    assert "Evil <w:p><w:r><w:t>injected</w:t></w:r></w:p> & bell" in text.replace("\n", "")
    assert "**" not in text


# -- releasability -----------------------------------------------------------------------------


def test_party_aar_holds_nothing_of_the_other_party(reports: Reports) -> None:
    markers = reports.played.markers
    assert markers["ald"] and markers["brn"]
    brn = all_text(open_docx(render_docx(reports.brn, "en")))
    leaked = [m for m in markers["ald"] if m in brn]
    assert leaked == []
    assert any(m in brn for m in markers["brn"])
    ald = all_text(open_docx(render_docx(reports.ald, "en")))
    assert [m for m in markers["brn"] if m in ald] == []
    assert any(m in ald for m in markers["ald"])
    assert "Kingdom of Brenland" in brn.split("Report for:", 1)[1].splitlines()[0]


def test_complete_report_holds_both_parties(reports: Reports) -> None:
    text = all_text(open_docx(render_docx(reports.draft, "en")))
    assert any(m in text for m in reports.played.markers["ald"])
    assert any(m in text for m in reports.played.markers["brn"])


# -- agency templates --------------------------------------------------------------------------


def agency_template(path: Path) -> Path:
    """A minimal agency layout: its own words, the same tags."""
    document = Document()
    document.sections[0].header.paragraphs[0].text = "{{ marking }} {{ draft_mark }}"
    document.add_paragraph("County Office of Emergency Management: {{ title }}")
    document.add_paragraph("{%p for cap in capabilities %}")
    document.add_paragraph("Capability {{ cap.name }} rated {{ cap.rating }}")
    document.add_paragraph("{%p endfor %}")
    table = document.add_table(rows=4, cols=len(IP_COLUMNS))
    for index in range(len(IP_COLUMNS)):
        table.rows[0].cells[index].text = f"{{{{ ip_columns[{index}] }}}}"
        table.rows[2].cells[index].text = f"{{{{ row.cells[{index}] }}}}"
    table.rows[1].cells[0].text = "{%tr for row in improvement_plan %}"
    table.rows[3].cells[0].text = "{%tr endfor %}"
    document.save(path)
    return path


def test_an_agency_template_renders_with_the_same_context(reports: Reports, tmp_path: Path) -> None:
    template = agency_template(tmp_path / "county.docx")
    document = open_docx(render_docx(reports.draft, "en", template=template))
    text = all_text(document)
    model = reports.draft.model
    assert f"County Office of Emergency Management: {model.overview.name['en']}" in text
    lines = [p.text for p in document.paragraphs if p.text.startswith("Capability ")]
    assert len(lines) == len(model.capabilities)
    assert document.tables[0].rows[0].cells[0].text == IP_COLUMNS[0]
    assert len(document.tables[0].rows) == 1 + len(model.improvement_plan)
    assert document.tables[0].rows[1].cells[2].text == model.improvement_plan[0].action
    assert f"{model.marking} DRAFT" in marks(document.sections[0].header)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{{ title ", "TemplateSyntaxError"),
        ("{%p for cap in capabilities %}", "TemplateSyntaxError"),
        ("{{ titel }}", "'titel' is undefined"),
    ],
)
def test_a_broken_agency_template_names_the_file_and_the_problem(
    reports: Reports, tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "broken-agency.docx"
    document = Document()
    document.add_paragraph("Our AAR")
    document.add_paragraph(text)
    document.save(path)
    with pytest.raises(ReportTemplateError) as caught:
        render_docx(reports.draft, "en", template=path)
    message = str(caught.value)
    assert message.startswith(f"template {path}: ")
    assert problem in message
    assert isinstance(caught.value, ValueError)


def test_a_missing_or_corrupt_template_is_named(reports: Reports, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.docx"
    with pytest.raises(ReportTemplateError, match=rf"template {missing}: cannot be read"):
        render_docx(reports.draft, "en", template=missing)
    text = tmp_path / "notes.docx"
    text.write_text("not a Word file")
    with pytest.raises(ReportTemplateError, match=rf"template {text}: is not a Word document"):
        render_docx(reports.draft, "en", template=text)
    zipped = tmp_path / "empty.docx"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("hello.txt", "a zip, but no Word document in it")
    with pytest.raises(ReportTemplateError, match=rf"template {zipped}: is not a readable"):
        render_docx(reports.draft, "en", template=zipped)


def test_an_agency_template_gets_the_acronyms_in_the_report_language(reports: Reports) -> None:
    korean = report_context(reports.draft, "ko")["acronyms"]
    assert {"term": "ACC", "expansion": "동맹협의위원회"} in korean
    terms = [a["term"] for a in korean]
    assert terms == sorted(terms, key=str.casefold)
    english = report_context(reports.draft, "en")["acronyms"]
    assert {"term": "ACC", "expansion": "Alliance Consultative Committee"} in english


def test_the_default_template_prints_the_acronyms_as_an_appendix(reports: Reports) -> None:
    for lang, heading, meaning in (
        ("en", "Appendix C: Acronyms", "Alliance Consultative Committee"),
        ("ko", "부록 C: 약어", "동맹협의위원회"),
    ):
        document = open_docx(render_docx(reports.draft, lang))
        assert heading in [p.text for p in document.paragraphs]
        table = table_with_header(document, "Acronym" if lang == "en" else "약어")
        rows = {row.cells[0].text: row.cells[1].text for row in table.rows[1:]}
        assert rows["ACC"] == meaning


def test_the_complete_report_tables_the_milestones_and_a_party_report_does_not(
    reports: Reports,
) -> None:
    milestones = reports.draft.model.milestones
    assert milestones, "the allied example declares milestones"
    for lang, first, not_reached in (
        ("en", "Milestone", "Not reached"),
        ("ko", "이정표", "미달성"),
    ):
        document = open_docx(render_docx(reports.draft, lang))
        table = table_with_header(document, first)
        rows = [[cell.text for cell in row.cells] for row in table.rows[1:]]
        assert len(rows) == len(milestones)
        for row, milestone in zip(rows, milestones, strict=True):
            assert row[0] == milestone.name[lang]
            assert row[1] == ", ".join((*milestone.objectives, *milestone.tasks))
            if milestone.seq is None:
                assert row[2] == not_reached and row[3] == ""
            else:
                assert row[3] == milestone.at[11:19]  # type: ignore[index]
    for party in (reports.ald, reports.brn):
        assert not party.model.milestones
        document = open_docx(render_docx(party, "en"))
        assert not [t for t in document.tables if t.rows[0].cells[0].text.strip() == "Milestone"]


def test_a_milestone_marked_by_control_shows_its_clock_time_and_who_reached_it() -> None:
    from sitroom.conduct.principal import Principal, Role
    from sitroom.services.runs import Engine
    from sitroom.storage.memory import MemoryRecorder
    from tests.support.packages import branching

    control = Principal("account:fac", Role.FACILITATOR, "Fac")
    engine = Engine(MemoryRecorder())
    run_id = engine.create_run(branching(), run_id="docx-milestones").id
    engine.handle(run_id, cmd.StartRun(), control)
    engine.handle(run_id, cmd.ReachMilestone("acc"), control)
    report = build_report(
        engine.state(run_id).package, [to_recorded(s) for s in engine.read(run_id)], run_id=run_id
    )
    reached = next(m for m in report.model.milestones if m.id == "acc")
    assert reached.seq is not None and reached.at is not None
    table = table_with_header(open_docx(render_docx(report, "ko")), "이정표")
    rows = {row.cells[0].text: [c.text for c in row.cells] for row in table.rows[1:]}
    assert rows["ACC 회의 요청"][2].startswith("0:00:")
    assert rows["ACC 회의 요청"][3] == reached.at[11:19]
    assert rows["ACC 회의 요청"][4] == "통제관"
    assert rows["공동성명 합의"][2] == "미달성"


def test_the_complete_report_tables_the_simcell_answer_times() -> None:
    from datetime import UTC, datetime, timedelta

    from sitroom.conduct.principal import Principal, Role
    from sitroom.services.runs import Engine
    from sitroom.storage.memory import MemoryRecorder
    from tests.support.packages import simcell

    now = [datetime(2027, 3, 4, 9, 0, tzinfo=UTC)]
    engine = Engine(MemoryRecorder(clock=lambda: now[0]), clock=lambda: now[0])
    control = Principal("account:fac", Role.FACILITATOR, "Fac")
    player = Principal("invite:ald1", Role.PLAYER, "Ald", team="ald-nsc", party="ald")
    run_id = engine.create_run(simcell(), run_id="docx-simcell").id
    engine.handle(run_id, cmd.StartRun(), control)
    wrote = engine.handle(run_id, cmd.WriteToOrganisation("ministry", "Transit", "Ask"), player)
    now[0] += timedelta(minutes=12)
    engine.handle(run_id, cmd.PostInThread(str(wrote.events[0].payload["id"]), "Answer"), control)
    log = [to_recorded(s) for s in engine.read(run_id)]
    report = build_report(engine.state(run_id).package, log, run_id=run_id)
    (row,) = [r for r in report.model.answer_times if r.organisation == "ministry"]
    for lang, first in (("en", "Organisation"), ("ko", "기관")):
        table = table_with_header(open_docx(render_docx(report, lang)), first)
        cells = {r.cells[0].text: [c.text for c in r.cells] for r in table.rows[1:]}
        name = row.name.get(lang) or row.name["en"]
        assert cells[name][1:] == ["1", "1", "12.0", "12.0"], cells
    party = build_report(engine.state(run_id).package, log, run_id=run_id, parties=("ald",))
    assert not party.model.answer_times
