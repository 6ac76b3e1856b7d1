"""The documents list a matrix game's actors and turns; only the handbook states its rules."""

from __future__ import annotations

import pytest

from sitroom.package.examples import example_path
from sitroom.package.load import load_package
from sitroom.package.model import Package
from sitroom.reports.documents import DocumentKind, build_view, render_document

SITMAN, HANDBOOK = DocumentKind.SITMAN, DocumentKind.HANDBOOK


@pytest.fixture(scope="module")
def package() -> Package:
    loaded = load_package(example_path("strait-matrix")).package
    assert loaded is not None
    return loaded


@pytest.mark.parametrize("kind", [SITMAN, HANDBOOK])
def test_both_documents_list_actors_and_turns(package: Package, kind: DocumentKind) -> None:
    game = build_view(package, kind, lang="en").game
    assert game is not None
    assert [a.name for a in game.actors] == ["Aldoria", "Brenland", "Corvania"]
    assert "the strait open" in game.actors[0].description
    assert game.turns[0].number == 1
    assert game.turns[0].title == "The rules are announced"
    assert game.turns[0].scenario_time.startswith("2027-06-01 09:00")
    page = render_document(package, kind, lang="en")
    assert 'id="game"' in page
    assert "The first inspections" in page


def test_only_the_handbook_states_the_adjudication_rules(package: Package) -> None:
    sitman = build_view(package, SITMAN, lang="en").game
    handbook = build_view(package, HANDBOOK, lang="en").game
    assert sitman is not None and handbook is not None
    assert sitman.rules == ()
    rules = dict(handbook.rules)
    assert rules["Estimates needed before a roll"] == "2"
    assert rules["Adjudication"] == "Estimates, then a seeded roll"
    assert "Adjudication rules" not in render_document(package, SITMAN, lang="en")
    assert "Adjudication rules" in render_document(package, HANDBOOK, lang="en")


def test_korean_game_section(package: Package) -> None:
    page = render_document(package, HANDBOOK, lang="ko")
    assert "매트릭스 게임" in page
    assert "규정 발표" in page
    assert "판정 규칙" in page


def test_a_package_without_a_game_has_no_game_section() -> None:
    from tests.unit.package_factory import make_package

    view = build_view(make_package(), SITMAN)
    assert view.game is None
    assert 'id="game"' not in render_document(make_package(), SITMAN)
