"""Package texts people read in their language: senders, venue, sponsor, contacts, acronyms,
what questions cite, and attachments with a file per language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.visibility import inject_view
from sitroom.package.examples import example_path
from sitroom.package.load import load_package, load_text
from sitroom.package.model import Attachment
from sitroom.package.validate import check_package
from sitroom.reports.documents import DocumentKind, build_view, render_document
from sitroom.services.identity import invitation_name
from tests.unit.package_factory import make_package, package_data

PLAYER = Principal("invite:p", Role.PLAYER, "P", team="ald-policy", party="ald")


def _problems(data: dict[str, Any], tmp_path: Path, files: tuple[str, ...] = ()) -> list[str]:
    """The errors ``data`` has that the base package has not (it has one of its own)."""
    return [p for p in _errors(data, tmp_path, files) if p not in _errors(package_data(), tmp_path)]


def _errors(data: dict[str, Any], tmp_path: Path, files: tuple[str, ...] = ()) -> list[str]:
    (tmp_path / "documents").mkdir(parents=True, exist_ok=True)
    for name in files:
        (tmp_path / "documents" / name).write_text("text", encoding="utf-8")
    (tmp_path / "exercise.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    result = load_package(tmp_path)
    return [f"{p.code}: {p.message} [{p.field}]" for p in result.problems if p.is_error]


def test_sender_venue_sponsor_and_contacts_take_several_languages() -> None:
    data = package_data()
    data["exercise"]["venue"] = {"en": "Harbour Hall", "ko": "항구 회관"}
    data["exercise"]["sponsor"] = "Ministry of Drills"
    data["exercise"]["points_of_contact"] = [
        {"name": {"en": "Ana Lind", "ko": "아나 린드"}, "role": {"en": "Director", "ko": "총괄"}}
    ]
    data["modules"][0]["injects"][0]["from"] = {
        "en": "Press agency (played by the White Cell)",
        "ko": "통신사(화이트셀 담당)",
    }
    package = make_package(data)
    assert package.exercise.sponsor == {"en": "Ministry of Drills"}
    inject = package.modules[0].injects[0]
    assert inject_view(PLAYER, package, inject, "ko")["from_text"] == "통신사(화이트셀 담당)"
    assert inject_view(PLAYER, package, inject, "en")["from_text"].endswith("White Cell)")
    korean = render_document(package, DocumentKind.SITMAN, lang="ko")
    assert "항구 회관" in korean and "아나 린드" in korean and "Harbour Hall" not in korean
    assert "총괄" in korean


def test_a_question_cites_critical_tasks_and_clauses_and_they_are_checked(tmp_path: Path) -> None:
    data = package_data()
    question = data["modules"][0]["questions"][0]
    question["tasks"] = ["t-1"]
    question["clauses"] = ["acg/4.2"]
    assert _problems(data, tmp_path) == []
    view = build_view(make_package(data), DocumentKind.SITMAN)
    cited = view.modules[0].question_groups[0].questions[0].cites
    assert any("4.2" in c for c in cited) and any(c.startswith("t-1 — ") for c in cited)
    question["tasks"] = ["t-9"]
    question["clauses"] = ["acg/9.9"]
    found = _problems(data, tmp_path)
    assert any("unknown critical task 't-9' in question 'q1'" in p for p in found), found
    assert any("unknown clause 'acg/9.9'" in p and "clauses.0" in p for p in found), found


def test_acronyms_are_listed_once_and_appear_in_the_sitman(tmp_path: Path) -> None:
    data = package_data()
    data["acronyms"] = [
        {
            "term": "MSEL",
            "expansion": {"en": "Master Scenario Events List", "ko": "주요 사건 목록"},
        },
        {"term": "ACG", "expansion": {"en": "Alliance Consultation Guidelines", "ko": "동맹 지침"}},
    ]
    assert _problems(data, tmp_path) == []
    view = build_view(make_package(data), DocumentKind.SITMAN, lang="ko")
    assert view.acronyms == (("ACG", "동맹 지침"), ("MSEL", "주요 사건 목록"))
    html = render_document(make_package(data), DocumentKind.SITMAN, lang="ko")
    assert "부록 D: 약어" in html and "주요 사건 목록" in html
    data["acronyms"].append({"term": "msel", "expansion": "again"})
    found = _problems(data, tmp_path)
    assert any("acronym 'msel' is listed twice" in p for p in found), found


def test_an_attachment_has_a_file_per_language(tmp_path: Path) -> None:
    attachment = Attachment(path="brief.md", files={"ko": "brief.ko.md"})
    assert attachment.path_for("ko") == "brief.ko.md"
    assert attachment.path_for("en") == "brief.md"
    assert attachment.path_for(None) == "brief.md"
    data = package_data()
    data["modules"][0]["injects"][0]["attachments"] = [
        {"path": "brief.md", "files": {"ko": "brief.ko.md"}}
    ]
    assert _problems(data, tmp_path, ("brief.md", "brief.ko.md")) == []
    found = _problems(data, tmp_path / "other", ("brief.md",))
    assert any("attachment 'brief.ko.md' (ko)" in p and "files.ko" in p for p in found), found
    data["modules"][0]["injects"][0]["attachments"][0]["files"] = {"fr": "brief.md"}
    found = _problems(data, tmp_path)
    assert any("for fr, which is not among the exercise languages" in p for p in found), found


def test_files_by_language_are_not_taken_for_missing_translations(tmp_path: Path) -> None:
    data = package_data()
    data["modules"][0]["injects"][0]["attachments"] = [
        {"path": "brief.md", "files": {"ko": "brief.ko.md"}}
    ]
    (tmp_path / "documents").mkdir()
    for name in ("brief.md", "brief.ko.md"):
        (tmp_path / "documents" / name).write_text("x", encoding="utf-8")
    (tmp_path / "exercise.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    result = load_package(tmp_path)
    assert not [p for p in result.problems if "files" in (p.field or "")]


def test_the_allied_example_uses_the_new_fields() -> None:
    result = load_package(example_path("allied-consultation"))
    package = result.package
    assert package is not None and not [p for p in result.problems if p.is_error]
    assert {a.term for a in package.acronyms} >= {"ACC", "EXCON", "MSEL"}
    assert package.exercise.venue and "ko" in package.exercise.venue
    assert any(q.clauses for m in package.modules for q in m.questions)
    assert any(a.files for i in package.injects() for a in i.attachments)
    assert all("ko" in i.from_ for i in package.injects() if i.from_), (
        "every sender of the allied example reads in Korean too"
    )


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "Player · Aldorian policy cell (Aldoria)"),
        ("ko", "참가자 · 알도리아 정책반 (알도리아)"),
    ],
)
def test_an_unnamed_invitation_is_named_by_role_team_and_party(lang: str, expected: str) -> None:
    package = make_package()
    assert invitation_name(package, "player", "ald-policy", None, lang) == expected
    assert invitation_name(package, "evaluator", None, None, lang) in ("Evaluator", "평가관")
    assert "ald-policy" not in invitation_name(package, "player", "ald-policy", None, lang)


def test_yaml_text_can_carry_the_new_fields() -> None:
    data = package_data()
    data["acronyms"] = [{"term": "ACG", "expansion": "Alliance Consultation Guidelines"}]
    result = load_text(yaml.safe_dump(data, allow_unicode=True))
    assert result.package is not None
    found = check_package(result.package, result.source, require_attachments=False)
    assert result.package.acronyms[0].expansion == {"en": "Alliance Consultation Guidelines"}
    about = [p for p in found if "acronyms" in (p.field or "")]
    assert [(p.code, p.message) for p in about] == [
        ("missing-translation", "acronym 'ACG' › expansion has no text in ko")
    ]
