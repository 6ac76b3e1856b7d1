"""The Situation Manual and the C/E Handbook rendered as HTML."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Annotated, Any, get_args

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from pydantic import BaseModel, TypeAdapter, ValidationError

from sitroom.package.marking import EXERCISE_MARK, exercise_banner
from sitroom.package.model import Marking, Organisation, Package
from sitroom.package.redact import is_control_field, player_safe
from sitroom.reports import documents
from sitroom.reports.documents import (
    DocumentKind,
    build_view,
    css_string,
    load_translations,
    render_document,
)
from tests.unit.package_factory import make_package, package_data

SITMAN, HANDBOOK = DocumentKind.SITMAN, DocumentKind.HANDBOOK
NOTICE = "CONTROLLER/EVALUATOR USE ONLY — do not share with players"
SRC = Path(documents.__file__).resolve().parent.parent
TEMPLATES = SRC / "package" / "templates"
KO_PO = SRC / "locale" / "ko" / "LC_MESSAGES" / "messages.po"


# -- helpers -----------------------------------------------------------------------------


class _Page(HTMLParser):
    """Start tags with attributes, headings in order, and tables with their parts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.headings: list[int] = []
        self.tables: list[dict[str, int]] = []
        self.header_cells: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "table":
            self.tables.append({"caption": 0})
        if tag == "caption" and self.tables:
            self.tables[-1]["caption"] += 1
        if tag == "th":
            self.header_cells.append(dict(attrs))


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def with_contingency(data: dict[str, Any]) -> dict[str, Any]:
    """Add a contingency inject backing up inject 1, with marker text in every field."""
    data["modules"][0]["injects"].append(
        {
            "number": "C1",
            "type": "contingency",
            "title": "ZZCONTINGENCY-TITLE",
            "content": "ZZCONTINGENCY-CONTENT",
            "contingency_for": "1",
        }
    )
    return data


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for arg in get_args(annotation):
        yield from _models_in(arg)


def model_classes(root: type[BaseModel]) -> set[type[BaseModel]]:
    """Every model class reachable from ``root`` through its fields."""
    found: set[type[BaseModel]] = set()
    stack = [root]
    while stack:
        cls = stack.pop()
        if cls in found:
            continue
        found.add(cls)
        for info in cls.model_fields.values():
            stack.extend(_models_in(info.annotation))
    return found


NOT_PRINTED: set[tuple[type[BaseModel], str]] = {(Organisation, "script")}
"""Control fields no document prints: a simulated organisation's canned answers
(docs/simcell.md), its scripted cell's brief; the handbook prints the simulated cells, the
escalation rankings and who plays each organisation."""


def with_organisation(data: dict[str, Any]) -> dict[str, Any]:
    """The package with a simulated organisation (who plays it is control material)."""
    organisation = {"id": "ministry", "name": {"en": "Ministry"}, "played_by": ["White Cell"]}
    return {**data, "organisations": [organisation]}


class ControlMarker:
    """Put a unique marker string into every control-only field of a package, at any depth.

    The fields are found by their ``audience: control`` mark, so a field marked later is
    covered without touching this test.
    """

    def __init__(self) -> None:
        self.markers: list[str] = []
        self.fields: set[tuple[type[BaseModel], str]] = set()

    def _value_for(self, model: type[BaseModel], name: str) -> Any:
        marker = f"ZZCTL{len(self.markers):03d}X"
        info = model.model_fields[name]
        annotation = (
            Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
        )
        adapter: TypeAdapter[Any] = TypeAdapter(annotation)
        # A condition or a milestone cannot be plain text: put the marker where one may go.
        shaped = (
            f"milestone({marker})",
            [{"id": marker, "name": marker}],
            [{"team": marker, "persona": {"positions": [marker], "style": marker}}],
            [{"poll": marker, "order": [marker, f"{marker}-2"]}],
        )
        for candidate in (marker, [marker], *shaped):
            try:
                value = adapter.validate_python(candidate)
            except ValidationError:
                continue
            self.markers.append(marker)
            return value
        raise AssertionError(f"cannot put a text marker into {model.__name__}.{name}")

    def mark(self, value: Any) -> Any:
        if isinstance(value, BaseModel):
            cls = type(value)
            changes: dict[str, Any] = {}
            for name in cls.model_fields:
                if (cls, name) in NOT_PRINTED:
                    changes[name] = getattr(value, name)
                elif is_control_field(cls, name):
                    self.fields.add((cls, name))
                    changes[name] = self._value_for(cls, name)
                else:
                    changes[name] = self.mark(getattr(value, name))
            return value.model_copy(update=changes)
        if isinstance(value, tuple):
            return tuple(self.mark(item) for item in value)
        return value


# Free-text fields held as plain strings (LocalText dicts are found by their type).
FREE_TEXT = {
    "venue",
    "sponsor",
    "participating_organizations",
    "organization",
    "role",
    "short_title",
    "from_",
    "controller",
    "name",
}
PAYLOAD = (
    '<script>alert("x")</script><img src=x onerror=alert(1)> [a](javascript:alert(2)) '
    "</style><style>body{display:none}</style> ![p](https://tracker.example/p.png)"
)


def poison(value: Any, field: str = "") -> Any:
    """Replace every text a planner types with markup and script."""
    if isinstance(value, BaseModel):
        changes = {name: poison(getattr(value, name), name) for name in type(value).model_fields}
        return value.model_copy(update=changes)
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return {lang: f"{PAYLOAD} {text}" for lang, text in value.items()}
    if isinstance(value, tuple):
        return tuple(poison(item, field) for item in value)
    if isinstance(value, str) and field in FREE_TEXT:
        return f"{PAYLOAD} {value}"
    return value


# -- controller-only material ------------------------------------------------------------


def test_every_control_field_reaches_the_handbook_and_never_the_sitman() -> None:
    marker = ControlMarker()
    package = marker.mark(make_package(with_organisation(with_contingency(package_data()))))

    marked_models = {
        cls
        for cls in model_classes(Package)
        if any(
            is_control_field(cls, name) and (cls, name) not in NOT_PRINTED
            for name in cls.model_fields
        )
    }
    reached = {cls for cls, _ in marker.fields}
    assert marked_models <= reached, (
        f"add {sorted(c.__name__ for c in marked_models - reached)} to the test package"
    )
    assert marker.markers

    sitman = render_document(package, SITMAN)
    handbook = render_document(package, HANDBOOK)
    for text in marker.markers:
        assert text not in sitman, text
        assert text in handbook, text


def test_contingency_injects_are_only_in_the_handbook() -> None:
    package = make_package(with_contingency(package_data()))
    sitman = render_document(package, SITMAN)
    handbook = render_document(package, HANDBOOK)
    for text in ("ZZCONTINGENCY-TITLE", "ZZCONTINGENCY-CONTENT"):
        assert text not in sitman
        assert text in handbook
    assert "backs up 1" in handbook
    assert "(Grid operator report)" in handbook


def test_sitman_lists_no_injects() -> None:
    package = make_package()
    sitman = render_document(package, SITMAN)
    for inject in package.injects():
        assert inject.content["en"] not in sitman
        assert inject.title["en"] not in sitman
    assert "Master Scenario Events List" not in sitman


def test_sitman_view_is_built_from_the_player_safe_package() -> None:
    view = build_view(make_package(with_contingency(package_data())), SITMAN)
    assert all(not m.injects and not m.facilitator_notes for m in view.modules)
    assert view.evaluation == ()


def test_handbook_has_the_msel_columns_and_each_injects_own_banner() -> None:
    package = make_package()
    handbook = render_document(package, HANDBOOK)
    for heading in (
        "MSEL #",
        "Scenario time",
        "Offset",
        "From",
        "To",
        "Delivery",
        "Type",
        "Subject",
        "Inject",
        "Expected actions",
        "Objectives, tasks and clauses",
        "Controller",
        "Notes",
    ):
        assert f">{heading}</th>" in handbook
    for inject in package.injects():
        assert exercise_banner(package.marking_of(inject), package) in handbook
    assert "EXERCISE EXERCISE EXERCISE · TLP:AMBER · REL TO ALD" in handbook
    assert "Both interconnectors are down." in handbook
    assert "Objective 1" in handbook
    assert "ACG 4.2" in handbook


def test_handbook_has_the_evaluation_guide_with_clause_text() -> None:
    handbook = render_document(make_package(), HANDBOOK)
    assert 'id="eeg"' in handbook
    assert "Consult the ally before publishing." in handbook
    assert "ACG 4.2 — Prior consultation" in handbook
    assert "Each party consults the other before public statements." in handbook
    sitman = render_document(make_package(), SITMAN)
    assert 'id="eeg"' not in sitman


# -- markings ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_banner_is_at_the_top_and_the_bottom(kind: DocumentKind) -> None:
    package = make_package()
    html = render_document(package, kind)
    banner = exercise_banner(package.exercise.default_marking, package)
    assert banner == "EXERCISE EXERCISE EXERCISE · UNCLASSIFIED//REL TO ALD, BRN"
    body = html.split("<body", 1)[1]
    header, footer = body.split("<main>", 1)[0], body.rsplit("</main>", 1)[1]
    assert re.search(rf'<p class="banner" data-label="[^"]*">{re.escape(banner)}</p>', header)
    assert f'<p class="banner">{banner}</p>' in footer
    assert "@top-center" in html and "@bottom-center" in html
    assert str(css_string(banner)) in html
    assert EXERCISE_MARK in html


def test_handbook_notice_is_on_every_page() -> None:
    handbook = render_document(make_package(), HANDBOOK)
    body = handbook.split("<body", 1)[1]
    assert NOTICE in body.split("<main>", 1)[0]
    assert NOTICE in body.rsplit("</main>", 1)[1]
    assert str(css_string(NOTICE)) in handbook.split("</style>", 1)[0]
    assert NOTICE not in render_document(make_package(), SITMAN)


def test_css_strings_cannot_break_out_of_the_style_sheet() -> None:
    escaped = str(css_string('A"B\\C</style><script>'))
    assert escaped.startswith('"') and escaped.endswith('"')
    assert not re.search(r"[\"'<>/]", escaped[1:-1].replace("\\", ""))
    data = package_data()
    data["exercise"]["default_marking"] = {
        "classification": "RESTRICTED",
        "caveat": '</style><script>alert(1)</script>"',
    }
    html = render_document(make_package(data), HANDBOOK)
    assert html.count("</style>") == 1
    assert "<script" not in html.lower()


# -- user text never becomes markup ------------------------------------------------------


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_typed_markup_shows_as_text(kind: DocumentKind) -> None:
    package = poison(make_package(with_contingency(package_data())))
    html = render_document(package, kind)
    assert "<script" not in html.lower()
    assert html.count("</style>") == 1
    assert html.lower().count("<style") == 1
    assert "&lt;script&gt;" in html
    page = parse(html)
    for tag, attrs in page.tags:
        assert tag not in ("script", "iframe", "object", "embed", "link")
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, value)
            if name in ("href", "src"):
                assert value is not None
                assert not value.lower().lstrip().startswith(("javascript:", "data:", "vbscript:"))
            if tag == "img":
                assert name != "src" or "://" not in (value or "")


# -- language ----------------------------------------------------------------------------


def test_default_language_is_the_exercises_first() -> None:
    data = package_data()
    data["exercise"]["languages"] = ["ko", "en"]
    html = render_document(make_package(data), SITMAN)
    assert '<html lang="ko">' in html
    assert "노던 랜턴 27" in html


def test_korean_content_and_headings() -> None:
    html = render_document(make_package(), SITMAN, lang="ko")
    assert '<html lang="ko">' in html
    assert "노던 랜턴 27" in html
    assert "NORTHERN LANTERN 27" not in html
    assert "연습 개요" in html  # Exercise Overview
    assert "상황 매뉴얼" in html  # Situation Manual
    assert "Exercise Overview" not in html
    assert "2027년 3월 4일" in html


def test_korean_falls_back_to_english_where_no_korean_is_written() -> None:
    html = render_document(make_package(), SITMAN, lang="ko")
    assert "Decide who leads recovery coordination." in html
    assert "Borenian policy cell" in html
    assert "정전 후 2시간 이내에 공동 대국민 발표문에 합의한다." in html


def test_korean_handbook_notice_and_msel_headings() -> None:
    html = render_document(make_package(), HANDBOOK, lang="ko")
    assert "통제관·평가관 전용" in html
    assert "주 시나리오 사건 목록(MSEL)" in html
    assert "1시간 30분" in html


def test_language_without_catalog_uses_english_headings() -> None:
    html = render_document(make_package(), SITMAN, lang="fr")
    assert '<html lang="fr">' in html
    assert "Exercise Overview" in html
    assert "NORTHERN LANTERN 27" in html


def _extracted_messages() -> set[str]:
    templates = [
        f"reports/templates/{name}.html"
        for name in ("appendix", "document", "evaluation", "module", "msel")
    ]
    method_map = [(t, "jinja2.ext:babel_extract") for t in templates]
    method_map += [
        (f"reports/{name}.py", "python") for name in ("documents", "document_words", "times")
    ]
    options = {t: {"extensions": "jinja2.ext.i18n"} for t in templates}
    return {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(SRC, method_map, options)
        if isinstance(message, str)
    }


def test_every_message_has_a_korean_translation() -> None:
    messages = _extracted_messages()
    assert "Exercise Overview" in messages
    assert "Situation Manual" in messages
    with KO_PO.open("rb") as handle:
        catalog = read_po(handle, locale="ko")
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    assert sorted(messages - translated) == []
    assert [errors for _message, errors in catalog.check()] == []  # placeholders match


def test_compiled_korean_catalog_matches_the_po() -> None:
    mo = KO_PO.with_suffix(".mo")
    assert mo.is_file(), "run scripts/compile_translations.py"
    with KO_PO.open("rb") as handle:
        catalog = read_po(handle, locale="ko")
    compiled = load_translations("ko")
    for message in catalog:
        if message.id and message.string:
            assert compiled.gettext(str(message.id)) == message.string, message.id


# -- structure ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_headings_are_in_order_and_tables_are_labelled(kind: DocumentKind) -> None:
    data = package_data()
    data["modules"][0]["narrative"] = "# A heading typed in the narrative\n\nText."
    data["modules"][0]["injects"][0]["content"] = "# A heading in an inject"
    data["exercise"]["scenario"] = "# A heading in the scenario\n\n## And a subheading"
    html = render_document(make_package(data), kind)
    page = parse(html)
    assert page.headings.count(1) == 1
    assert page.headings[0] == 1
    for before, after in zip(page.headings, page.headings[1:], strict=False):
        assert after <= before + 1, page.headings
    assert page.tables and all(t["caption"] == 1 for t in page.tables)
    assert all(cell.get("scope") in ("col", "row") for cell in page.header_cells)


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_page_loads_nothing_from_outside(kind: DocumentKind) -> None:
    html = render_document(make_package(), kind)
    page = parse(html)
    assert not [t for t, _ in page.tags if t in ("script", "link", "iframe")]
    assert "url(" not in html
    assert "@import" not in html
    assert "Content-Security-Policy" in html


def test_overview_resolves_capability_names() -> None:
    html = render_document(make_package(), SITMAN)
    assert "Public Information and Warning" in html  # bundled library
    assert "Allied Consultation" in html  # custom capability
    assert "Operational Coordination" in html
    assert "public-information-and-warning" not in html


def test_questions_for_everyone_come_first() -> None:
    view = build_view(make_package(), SITMAN)
    groups = view.modules[0].question_groups
    assert [g.audience for g in groups] == ["All participants", "Aldorian policy cell", "Borenia"]
    assert [q.text for q in groups[0].questions] == ["What do you tell the public?"]


def test_schedule_and_participants_appendix() -> None:
    view = build_view(make_package(), SITMAN)
    assert [m.starts_at for m in view.modules] == ["+0:00", "+1:30"]
    assert [m.duration for m in view.modules] == ["1 h 30 min", "2 h"]
    html = render_document(make_package(), SITMAN)
    assert "Appendix B: Participants" in html
    assert ">ALD</th>" in html


def test_exercise_without_optional_parts_renders() -> None:
    package = Package.model_validate({"exercise": {"id": "bare", "title": "Bare"}})
    for kind in DocumentKind:
        html = render_document(package, kind)
        assert "Bare" in html
        assert "EXERCISE EXERCISE EXERCISE · UNCLASSIFIED" in html


def test_marking_with_tlp_only() -> None:
    data = package_data()
    data["exercise"]["default_marking"] = Marking(tlp="AMBER").model_dump()
    html = render_document(make_package(data), SITMAN)
    assert "EXERCISE EXERCISE EXERCISE · TLP:AMBER" in html


def test_a_large_handbook_renders_every_inject() -> None:
    data = package_data()
    data["modules"] = [
        {
            "id": f"m{m}",
            "title": f"Module {m}",
            "duration": "1h",
            "injects": [
                {
                    "number": f"{m}-{i}",
                    "title": f"Report {i}",
                    "offset": i % 60,
                    "content": f"Report **{i}**.\n\nThe [grid](https://example.org) fails.",
                    "expected_actions": ["Consult the ally", "Brief the minister"],
                    "controller": "EXCON",
                    "notes": "Watch for *delays*.",
                    "objectives": ["obj-1"],
                    "clauses": ["acg/4.2"],
                }
                for i in range(200)
            ],
        }
        for m in range(10)
    ]
    package = make_package(data)
    assert len(package.injects()) == 2000
    html = render_document(package, HANDBOOK)
    assert html.count('<tr class="marking"') == 2000


def test_sitman_builder_never_receives_control_material(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Package] = []
    original = documents._Builder

    class Spy(original):  # type: ignore[misc,valid-type]
        def __init__(self, package: Package, kind: DocumentKind, lang: str) -> None:
            seen.append(package)
            super().__init__(package, kind, lang)

    monkeypatch.setattr(documents, "_Builder", Spy)
    package = ControlMarker().mark(make_package(with_contingency(package_data())))
    render_document(package, SITMAN)
    (given,) = seen
    assert given == player_safe(package)
    assert all(i.type != "contingency" for i in given.injects())


@pytest.mark.parametrize("lang", ["", "../../etc", "ko/../en", "KO"])
def test_language_must_be_a_language_code(lang: str) -> None:
    with pytest.raises(ValueError, match="not a language code"):
        render_document(make_package(), SITMAN, lang=lang)
