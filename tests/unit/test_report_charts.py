"""The AAR/IP's charts: SVG and PNG bytes from a real play-through, Korean without tofu,
nothing drawn when there is nothing to show, and the same bytes for the same model."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterator

import pytest

from sitroom.reports.build import build_report
from sitroom.reports.charts import (
    CHART_NAMES,
    LATIN_FAMILY,
    chart_fonts,
    chart_title,
    render_chart,
    render_charts,
)
from sitroom.reports.model import ReportModel
from sitroom.services.runs import Engine, to_recorded
from sitroom.storage.factory import open_recorder
from tests.support.playthrough import StepClock, example_package, play

RUN = "allied-charts"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReportModel]:
    folder = tmp_path_factory.mktemp("charts")
    clock = StepClock()
    engine = Engine(open_recorder(f"sqlite:///{folder}/runs.db", clock=clock), clock=clock)
    package = example_package("allied-consultation")
    play(engine, package, clock, run_id=RUN)
    log = [to_recorded(s) for s in engine.read(RUN)]
    yield build_report(package, log, run_id=RUN).model


@pytest.mark.parametrize("name", CHART_NAMES)
def test_every_chart_is_valid_svg_without_scripts(model: ReportModel, name: str) -> None:
    svg = render_chart(model, name, "en")
    assert svg is not None
    text = svg.decode("utf-8")
    assert "<svg" in text and text.rstrip().endswith("</svg>")
    assert "<script" not in text.lower() and "foreignObject" not in text
    # Text is drawn as paths: the reader needs no font, Korean included.
    assert "<text" not in text


@pytest.mark.parametrize("name", CHART_NAMES)
def test_every_chart_is_a_png_for_word(model: ReportModel, name: str) -> None:
    png = render_chart(model, name, "en", "png")
    assert png is not None and png.startswith(PNG_MAGIC)
    assert len(png) > 5_000  # a drawn chart, not an empty canvas


def test_korean_labels_use_a_korean_font_and_raise_no_warning(model: ReportModel) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        charts = render_charts(model, "ko")
        png = render_chart(model, "latency", "ko", "png")
    assert not caught, [str(w.message) for w in caught]
    assert set(charts) == set(CHART_NAMES) and png is not None
    # Module and team names are Korean in these charts; their glyphs come from Nanum Gothic
    # (matplotlib names glyph paths after the font), so none of them is a missing-glyph box.
    for name in ("timeline", "latency", "coverage"):
        assert b"NanumGothic" in charts[name], name
    english = render_charts(model, "en")
    assert b"NanumGothic" not in english["latency"]


def test_charts_are_deterministic(model: ReportModel) -> None:
    assert render_charts(model, "en") == render_charts(model, "en")
    svg = render_chart(model, "ratings", "en")
    assert svg is not None and b"<dc:date>" not in svg


def test_no_chart_without_data(model: ReportModel) -> None:
    empty = dataclasses.replace(
        model,
        timeline=(),
        latencies=(),
        coverage_cells=(),
        rating_counts={"targets": {"P": 0, "S": 0, "M": 0, "U": 0}},
    )
    for name in CHART_NAMES:
        assert render_chart(empty, name, "en") is None
    assert render_charts(empty, "en") == {}
    only_ratings = dataclasses.replace(empty, rating_counts={"observations": {"U": 2}})
    assert set(render_charts(only_ratings, "en", "png")) == {"ratings"}


def test_latency_counts_only_teams_that_responded(model: ReportModel) -> None:
    silent = tuple(dataclasses.replace(r, response_seconds=None) for r in model.latencies)
    assert render_chart(dataclasses.replace(model, latencies=silent), "latency", "en") is None


def test_titles_are_translated() -> None:
    assert chart_title("ratings", "en") == "Rating distribution"
    assert chart_title("ratings", "ko") == "등급 분포"
    assert chart_title("coverage", "fr") == "Objective coverage by module"


def test_unknown_chart_or_format_is_refused(model: ReportModel) -> None:
    with pytest.raises(ValueError, match="unknown chart"):
        render_chart(model, "pie", "en")
    with pytest.raises(ValueError, match="format"):
        render_chart(model, "ratings", "en", "gif")


def test_the_korean_font_is_added_only_where_a_chart_may_show_korean(model: ReportModel) -> None:
    # The allied example is written in English and Korean: its English charts show no Hangul.
    assert chart_fonts(model, "en") == LATIN_FAMILY
    assert "NanumGothic" in chart_fonts(model, "ko")
    # A team named only in Korean is shown by its Korean name in the English report too.
    first, *rest = model.latencies
    named = dataclasses.replace(first, team_name={"ko": "알도리아 국가안보실"})
    korean_team = dataclasses.replace(model, latencies=(named, *rest))
    assert "NanumGothic" in chart_fonts(korean_team, "en")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a glyph missing from the fonts would warn
        assert render_chart(korean_team, "latency", "en", "png") is not None
