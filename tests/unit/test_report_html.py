"""The AAR/IP as HTML: HSEEP sections in both languages, markings, status, escaping.

The report is built from a real play-through of the allied example, with a hot-wash item, a
finding and a corrective action whose text is a script, and read back with an HTML parser,
so a test fails on what a reader would see, not on how the template is written.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest

from sitroom.conduct import commands as cmd
from sitroom.package.marking import EXERCISE_MARK
from sitroom.reports.build import build_report
from sitroom.reports.html import (
    EVIDENCE_CAP,
    PRINT_EVIDENCE,
    PRINT_ROWS,
    css_string,
    key_events,
    page_rules,
    render_html,
)
from sitroom.reports.i18n import IP_HEADERS, report_translations
from sitroom.reports.model import IP_COLUMNS, EvidenceItem, Report, RetestRow
from sitroom.services.runs import to_recorded
from tests.support.playthrough import played_example

RUN = "allied-html"
SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)">'
SECTIONS = (
    "Exercise Overview",
    "Executive Summary",
    "Analysis of Capabilities",
    "Other Findings",
    "Guideline Clauses and Objective Coverage",
    "Analytics",
    "Hot Wash",
    "Participant Feedback",
    "Appendix A: Improvement Plan",
    "Appendix B: Participants",
)


@dataclass
class Reports:
    draft: Report
    final: Report


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reports]:
    folder = tmp_path_factory.mktemp("html")
    with played_example(folder, RUN) as example:
        engine, package, played = example.engine, example.package, example.played
        evaluator = played.evaluator
        engine.handle(RUN, cmd.AddHotWashItem("improvement", f"Hot wash {SCRIPT}"), evaluator)
        engine.handle(
            RUN,
            cmd.SaveFinding(
                kind="improvement",
                title=f"Finding {IMG}",
                analysis=f"Typed **analysis** {SCRIPT}",
                corrective_actions=(
                    cmd.CorrectiveAction(action=f"Act {SCRIPT}", element="Planning"),
                ),
            ),
            evaluator,
        )
        log = [to_recorded(s) for s in engine.read(RUN)]
        draft = build_report(package, log, run_id=RUN)
        engine.handle(
            RUN, cmd.FinaliseReport(parties=(), upto=log[-1].seq, hash=draft.hash), evaluator
        )
        final = build_report(package, [to_recorded(s) for s in engine.read(RUN)], run_id=RUN)
        yield Reports(draft, final)


@pytest.fixture(scope="module")
def draft_en(reports: Reports) -> str:
    return render_html(reports.draft, "en")


@pytest.fixture(scope="module")
def draft_ko(reports: Reports) -> str:
    return render_html(reports.draft, "ko")


class Page(HTMLParser):
    """The parts of a page the tests look at: headings, table cells by table class, text by
    element class, and every tag with its attributes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.headings: list[tuple[str, str]] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.by_class: dict[str, list[str]] = {}
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._stack: list[tuple[str, list[str], list[str]]] = []
        self._table: list[str] = []
        self._row: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag in {"meta", "br", "img", "hr", "link", "input"}:
            return
        classes = (attributes.get("class") or "").split()
        self._stack.append((tag, classes, []))
        if tag == "table":
            self._table.append(classes[0] if classes else "")
            self.tables.setdefault(self._table[-1], [])
        elif tag == "tr" and self._table:
            self._row = []
            self.tables[self._table[-1]].append(self._row)

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            open_tag, classes, parts = self._stack.pop()
            text = " ".join("".join(parts).split())
            if self._stack:
                self._stack[-1][2].append("".join(parts))
            if open_tag in {"h1", "h2", "h3", "h4", "h5"}:
                self.headings.append((open_tag, text))
            if open_tag in {"th", "td"} and self._row is not None:
                self._row.append(text)
            for name in classes:
                self.by_class.setdefault(name, []).append(text)
            if open_tag == "table" and self._table:
                self._table.pop()
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._stack:
            self._stack[-1][2].append(data)


def h2s(html: str) -> list[str]:
    return [text for tag, text in Page(html).headings if tag == "h2"]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_hseep_section_has_its_heading(reports: Reports, lang: str) -> None:
    html = render_html(reports.draft, lang)
    _ = report_translations(lang).gettext
    headings = h2s(html)
    for section in SECTIONS:
        assert _(section) in headings, (section, headings)
    if lang == "ko":
        assert "연습 개요" in headings and "부록 A: 개선계획" in headings
    assert f'<html lang="{lang}">' in html


def test_improvement_plan_has_exactly_the_hseep_columns(draft_en: str) -> None:
    assert IP_HEADERS == IP_COLUMNS  # the translatable copy follows the model
    rows = Page(draft_en).tables["improvement-plan"]
    assert tuple(rows[0]) == IP_COLUMNS
    assert all(len(row) == len(IP_COLUMNS) for row in rows)
    assert any("Planning" in row for row in rows[1:])


def test_improvement_plan_headers_are_korean_in_korean(draft_ko: str) -> None:
    header = Page(draft_ko).tables["improvement-plan"][0]
    assert len(header) == len(IP_COLUMNS)
    assert header[0] == "핵심 역량" and header[2] == "시정 조치"
    assert not set(header) & set(IP_COLUMNS)


def test_marking_and_exercise_mark_top_and_bottom(reports: Reports, draft_en: str) -> None:
    page = Page(draft_en)
    marking = reports.draft.model.marking
    for where in ("marking-top", "marking-bottom"):
        (text,) = page.by_class[where]
        assert marking in text and EXERCISE_MARK in text
    body = draft_en[draft_en.index("<body") :]
    assert body.index("marking-top") < body.index("<main") < body.index("marking-bottom")
    # Every printed page: the @page margin boxes carry the same banner.
    assert css_string(f"{marking} · {EXERCISE_MARK}") in draft_en
    assert draft_en.count("@top-center { content:") == 1
    assert "@bottom-center { content:" in draft_en


def test_draft_says_draft_and_final_says_final_with_its_hash(reports: Reports) -> None:
    draft = Page(render_html(reports.draft, "en"))
    assert draft.by_class["status"] == ["DRAFT"]
    assert draft.by_class["watermark"] == ["DRAFT"]
    final_html = render_html(reports.final, "en")
    final = Page(final_html)
    assert reports.final.final and reports.final.intact
    assert final.by_class["status"] == ["FINAL"]
    assert "watermark" not in final.by_class
    assert reports.final.frozen_hash in final.by_class["hash"]
    assert "DRAFT" not in final_html
    assert "warning" not in final.by_class


def test_a_final_report_that_no_longer_matches_its_hash_says_so(reports: Reports) -> None:
    tampered = dataclasses.replace(reports.final, frozen_hash="sha256:" + "0" * 64)
    assert not tampered.intact
    page = Page(render_html(tampered, "en"))
    (warning,) = page.by_class["warning"]
    assert "no longer matches the hash" in warning
    ko = Page(render_html(tampered, "ko"))
    assert "해시" in ko.by_class["warning"][0]


def test_what_people_typed_is_escaped(draft_en: str) -> None:
    assert SCRIPT not in draft_en and IMG not in draft_en
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in draft_en
    assert "onerror=&#34;alert(2)&#34;" in draft_en or "onerror=&quot;alert(2)&quot;" in draft_en
    # The only tags on the page are ours: no script, no event handlers, nothing fetched.
    tags = Page(draft_en).tags
    assert not [t for t, _ in tags if t in {"script", "iframe", "object", "link", "img"}]
    assert not [a for _, attrs in tags for a in attrs if a.startswith("on")]
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", draft_en)
    # Markdown in the analysis is rendered (bold) as well as sanitised.
    assert "<strong>analysis</strong>" in draft_en


def test_charts_are_inline_svg_with_a_caption_as_text_alternative(draft_en: str) -> None:
    page = Page(draft_en)
    svgs = [attrs for tag, attrs in page.tags if tag == "svg"]
    assert len(svgs) == 4
    ids = {attrs.get("id") for _, attrs in page.tags}
    for attrs in svgs:
        assert attrs.get("role") == "img"
        assert attrs.get("aria-labelledby") in ids
    assert "<?xml" not in draft_en and "<!DOCTYPE svg" not in draft_en
    # The charts add no ids of their own: none defined twice on the page.
    defined = [attrs["id"] for _, attrs in page.tags if attrs.get("id")]
    assert len(defined) == len(set(defined))


def test_tables_have_header_scopes_and_captions(draft_en: str) -> None:
    tags = Page(draft_en).tags
    ths = [attrs for tag, attrs in tags if tag == "th"]
    assert ths and all(a.get("scope") in {"col", "row", "rowgroup"} for a in ths)
    assert sum(1 for tag, _ in tags if tag == "table") == sum(
        1 for tag, _ in tags if tag == "caption"
    ) + sum(1 for tag, a in tags if tag == "table" and a.get("class") == "overview")


def test_long_evidence_lists_are_capped(reports: Reports) -> None:
    model = reports.draft.model
    item = EvidenceItem(seq=1, at="2027-03-04T09:00:00+00:00", kind="note", summary="note")
    general = model.general[0]
    many = dataclasses.replace(general, evidence=(item,) * (EVIDENCE_CAP + 7))
    report = dataclasses.replace(
        reports.draft, model=dataclasses.replace(model, general=(many, *model.general[1:]))
    )
    html = render_html(report, "en")
    assert "… and 7 more" in html
    evidence_rows = Page(html).tables["evidence"]
    assert sum(1 for row in evidence_rows if row[-1:] == ["note"]) == EVIDENCE_CAP
    # The PDF lists as many as the Word document, and counts the rest.
    printed = render_html(report, "en", for_print=True)
    assert f"… and {EVIDENCE_CAP + 7 - PRINT_EVIDENCE} more" in printed
    printed_rows = Page(printed).tables["evidence"]
    assert sum(1 for row in printed_rows if row[-1:] == ["note"]) == PRINT_EVIDENCE


def test_scope_names_the_parties(reports: Reports) -> None:
    model = reports.draft.model
    assert Page(render_html(reports.draft, "en")).by_class["scope"] == [
        "Complete report — exercise staff"
    ]
    one = dataclasses.replace(
        reports.draft,
        model=dataclasses.replace(model, parties=("ald",), party_names=({"en": "Aldoria"},)),
    )
    assert Page(render_html(one, "en")).by_class["scope"] == ["AAR for Aldoria"]
    two = dataclasses.replace(
        reports.draft,
        model=dataclasses.replace(
            model, parties=("ald", "brn"), party_names=({"en": "Aldoria"}, {"en": "Brenland"})
        ),
    )
    assert Page(render_html(two, "en")).by_class["scope"] == ["Joint AAR: Aldoria, Brenland"]


def test_consensus_ratings_are_marked_in_table_1(reports: Reports, draft_en: str) -> None:
    rows = Page(draft_en).tables["capability-summary"]
    assert rows[0][:2] == ["Objective", "Core Capability"] and rows[0][2:] == list("PSMU")
    for capability, row in zip(reports.draft.model.capabilities, rows[1:], strict=True):
        marks = [letter for letter, cell in zip("PSMU", row[2:], strict=True) if cell]
        assert marks == ([capability.rating] if capability.rating else [])
    assert "Performed with Some Challenges" in draft_en
    assert "opportunities to enhance effectiveness and/or efficiency" in draft_en


def test_page_rules_escape_what_could_break_out_of_css() -> None:
    rules = str(page_rules('SECRET"}</style><script>', "DRAFT", "Page %(page)s of %(pages)s"))
    assert "</style>" not in rules and '"}' not in rules and "<" not in rules
    assert 'counter(page) " of " counter(pages)' in rules


def test_print_version_shortens_long_tables_but_keeps_every_inject(reports: Reports) -> None:
    model = reports.draft.model
    decisions = [i for i in model.timeline if i.kind in {"decision", "concurred"}]
    extra = tuple(
        dataclasses.replace(item, seq=10_000 + n, text=f"Repeat {n}")
        for n, item in enumerate(decisions * 60)
    )
    long = dataclasses.replace(
        model,
        timeline=model.timeline + extra,
        concurrence=model.concurrence * 60,
    )
    report = dataclasses.replace(reports.draft, model=long)
    shown, more = key_events(long.timeline, PRINT_ROWS)
    assert len(shown) == PRINT_ROWS and more == len(long.timeline) - PRINT_ROWS
    injects = [i.seq for i in long.timeline if i.kind == "inject"]
    assert injects and set(injects) <= {i.seq for i in shown}
    printed = Page(render_html(report, "en", for_print=True))
    assert len(printed.tables["timeline"]) == PRINT_ROWS + 1  # with the header row
    assert len(printed.tables["concurrence"]) == PRINT_ROWS + 1
    assert any(f"… and {more} more events" in text for text in printed.by_class["more"])
    screen = Page(render_html(report, "en"))
    assert len(screen.tables["timeline"]) == len(long.timeline) + 1


def test_print_version_embeds_the_same_svg_charts_with_text(reports: Reports) -> None:
    html = render_html(reports.draft, "en", for_print=True)
    tags = Page(html).tags
    svgs = [attrs for tag, attrs in tags if tag == "svg"]
    assert len(svgs) == 4 and not [t for t, _ in tags if t == "img"]
    for attrs in svgs:
        assert attrs.get("role") == "img"
        assert (attrs.get("aria-labelledby") or "").startswith("caption-")
    assert html.count('<text x="') > 40  # labels are text, not glyph paths
    screen = render_html(reports.draft, "en")
    for name in ("timeline", "latency", "ratings", "coverage"):
        start = f'aria-labelledby="caption-{name}"'
        assert screen.split(start)[1].split("</svg>")[0] == html.split(start)[1].split("</svg>")[0]


def test_retested_corrective_actions_show_their_outcome(reports: Reports) -> None:
    model = reports.draft.model
    assert "retests" not in Page(render_html(reports.draft, "en")).tables
    rows = (
        RetestRow("ca-2026-1", "notify-and-consult", 1, {"en": "Notify"}, "S", "verified"),
        RetestRow("ca-2026-2", "notify-and-consult", 1, {"en": "Notify"}, None, "not-exercised"),
    )
    report = dataclasses.replace(reports.draft, model=dataclasses.replace(model, retests=rows))
    table = Page(render_html(report, "en")).tables["retests"]
    assert table[1] == ["ca-2026-1", "Objective 1: Notify", "S", "Verified"]
    assert table[2] == ["ca-2026-2", "Objective 1: Notify", "Not rated", "Not exercised"]
    ko = Page(render_html(report, "ko")).tables["retests"]
    assert ko[1][-1] == "검증됨"


def test_the_aar_lists_the_acronyms_and_the_venue_in_the_report_language(draft_ko: str) -> None:
    page = Page(draft_ko)
    rows = page.tables["acronyms"]
    assert ["ACC", "동맹협의위원회"] in rows
    terms = [r[0] for r in rows[1:] if r]  # the first row is the header
    assert terms == sorted(terms, key=str.casefold)
    assert "부록 C: 약어" in draft_ko
    assert "동맹 컨퍼런스센터" in draft_ko and "Alliance Conference Centre" not in draft_ko
    assert "일제 파른홀트 박사" in draft_ko
