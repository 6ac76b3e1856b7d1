"""The AAR/IP's charts: SVG and PNG bytes from a real play-through, Korean without tofu,
nothing drawn when there is nothing to show, and the same bytes for the same model; the SVG
writer's text handling (escaping, wrapping, widths) and the numbers each chart draws."""

from __future__ import annotations

import dataclasses
import statistics
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest

from sitroom.reports.build import build_report
from sitroom.reports.chartdata import (
    KIND_COLOURS,
    CoverageChart,
    LatencyChart,
    RatingsChart,
    TimelineChart,
    chart_data,
)
from sitroom.reports.charts import (
    CHART_NAMES,
    LATIN_FAMILY,
    chart_fonts,
    chart_title,
    render_chart,
    render_charts,
)
from sitroom.reports.i18n import RATING_GROUPS
from sitroom.reports.model import ReportModel
from sitroom.reports.svgchart import chart_svg, fit, ticks, units
from sitroom.services.runs import Engine, to_recorded
from sitroom.storage.factory import open_recorder
from tests.support.playthrough import StepClock, example_package, play

RUN = "allied-charts"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: bytes) -> list[str]:
    """The text of every ``<text>`` in ``svg`` (which must be well-formed XML)."""
    root = ET.fromstring(svg)
    return [t.text or "" for t in root.iter(f"{SVG}text")]


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
def test_every_chart_is_well_formed_svg_with_real_text(model: ReportModel, name: str) -> None:
    svg = render_chart(model, name, "en")
    assert svg is not None
    root = ET.fromstring(svg)  # well-formed XML, or this raises
    assert root.tag == f"{SVG}svg" and root.get("viewBox", "").startswith("0 0 720 ")
    assert root.get("role") == "img"
    assert "NanumGothic" in root.get("font-family", "")
    title = root.find(f"{SVG}title")
    assert title is not None and (title.text or "").startswith(chart_title(name, "en"))
    assert root.get("aria-label") == title.text
    text = svg.decode("utf-8")
    assert "<script" not in text.lower() and "foreignObject" not in text
    # Text is text (searchable, laid out by the reader's fonts), not glyph paths.
    assert chart_title(name, "en") in texts(svg)


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
    # Module and team names and the report's words are Korean text in the SVG; the font is
    # named by family, Nanum Gothic after DejaVu Sans.
    for name in CHART_NAMES:
        shown = " ".join(texts(charts[name]))
        assert any("\uac00" <= c <= "\ud7a3" for c in shown), name
    assert chart_title("ratings", "ko") in texts(charts["ratings"])


def test_charts_are_deterministic(model: ReportModel) -> None:
    assert render_charts(model, "en") == render_charts(model, "en")
    assert render_chart(model, "latency", "ko") == render_chart(model, "latency", "ko")


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


def test_a_typed_team_name_is_escaped_in_the_svg(model: ReportModel) -> None:
    first, *rest = model.latencies
    hostile = "<script>alert('x')</script> & Co"
    named = dataclasses.replace(first, team_name={"en": hostile})
    svg = render_chart(dataclasses.replace(model, latencies=(named, *rest)), "latency", "en")
    assert svg is not None
    assert b"<script" not in svg.lower() and b"&lt;script&gt;" in svg
    # Parsed back, the name reads as typed (shortened to fit, never dropped).
    shown = " ".join(texts(svg))
    assert "<script>alert('x')" in shown and hostile in (ET.fromstring(svg)[0].text or "")


def test_latency_bars_are_the_medians_and_maxima_of_the_model(model: ReportModel) -> None:
    chart = chart_data(model, "latency", "en")
    assert isinstance(chart, LatencyChart)
    minutes: dict[str, list[float]] = {}
    for row in model.latencies:
        if row.response_seconds is not None:
            minutes.setdefault(row.team, []).append(row.response_seconds / 60)
    assert len(chart.teams) == len(minutes)
    median, maximum = chart.series
    assert sorted(median.values) == sorted(statistics.median(v) for v in minutes.values())
    assert sorted(maximum.values) == sorted(max(v) for v in minutes.values())
    svg = render_chart(model, "latency", "en")
    assert svg is not None
    root = ET.fromstring(svg)
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("fill") == median.colour]
    # One bar per team, plus the legend's key; its value written beside it.
    assert len(bars) == len(chart.teams) + 1
    shown = texts(svg)
    for value in (*median.values, *maximum.values):
        assert f"{value:.1f}" in shown


def test_rating_bars_count_the_model(model: ReportModel) -> None:
    chart = chart_data(model, "ratings", "en")
    assert isinstance(chart, RatingsChart)
    groups = [g for g in RATING_GROUPS if sum(model.rating_counts.get(g, {}).values())]
    assert len(chart.groups) == len(groups)
    for letter, series in zip(chart.letters, chart.series, strict=True):
        expected = [model.rating_counts[g].get(letter, 0) for g in groups]
        assert list(series.values) == expected
    svg = render_chart(model, "ratings", "en")
    assert svg is not None
    rects = [r for r in ET.fromstring(svg).iter(f"{SVG}rect") if r.get("stroke")]
    assert len(rects) == len(groups) * 4  # P, S, M, U in every group


def test_coverage_cells_are_the_model_counts(model: ReportModel) -> None:
    chart = chart_data(model, "coverage", "en")
    assert isinstance(chart, CoverageChart)
    cells = {(c.objective, c.module): c.count for c in model.coverage_cells}
    assert sum(map(sum, chart.grid)) == sum(cells.values())
    assert chart.peak == max(cells.values())
    svg = render_chart(model, "coverage", "en")
    assert svg is not None
    shown = texts(svg)
    for row in chart.grid:
        for value in row:
            assert str(value) in shown


def test_timeline_has_a_dot_per_event_and_a_band_per_module(model: ReportModel) -> None:
    chart = chart_data(model, "timeline", "en")
    assert isinstance(chart, TimelineChart)
    injects = [i for i in model.timeline if i.kind == "inject"]
    by_kind = {p.kind: len(p.xs) for p in chart.points}
    assert by_kind["inject"] == len(injects)
    assert len(chart.bands) == len({i.ref for i in model.timeline if i.kind == "module"})
    svg = render_chart(model, "timeline", "en")
    assert svg is not None
    root = ET.fromstring(svg)
    fill = KIND_COLOURS["inject"]
    paths = [p for p in root.iter(f"{SVG}path") if p.get("class") == "dots"]
    dots = [d for p in paths if p.get("stroke") == fill for d in p.get("d", "").split("M")[1:]]
    # A dot per inject (two at the same moment share one), and one more for the legend.
    assert len(dots) == len({i.clock for i in injects}) + 1
    # Few modules: each band is named in place (a long name wrapped, not dropped).
    shown = " ".join(texts(svg))
    assert all(band.label.split()[0] in shown for band in chart.bands)


def test_long_korean_labels_wrap_to_two_lines_and_end_with_an_ellipsis() -> None:
    assert units("알도리아") == 8 and units("Aldoria") == 7
    name = "알도리아 공화국 국가안보실 위기관리센터 합동 대응 조정 태스크포스 본부 상황반"
    lines = fit(name, 120, 10)
    room = int(120 / (0.56 * 10))
    assert len(lines) == 2 and lines[-1].endswith("…")
    assert all(units(line) <= room for line in lines)
    assert lines[0] == "알도리아 공화국" and name.startswith(lines[0])
    # A word longer than a line is broken, not clipped; short labels stay whole.
    assert all(units(line) <= room for line in fit("가" * 40, 120, 10))
    assert fit("Team A", 120, 10) == ["Team A"]


def test_a_wrapped_korean_team_name_draws_as_text(model: ReportModel) -> None:
    first, *rest = model.latencies
    long_name = "알도리아 공화국 국가안보실 위기관리센터 합동 대응 조정 태스크포스 본부 상황반"
    named = dataclasses.replace(first, team_name={"ko": long_name})
    chart = chart_data(dataclasses.replace(model, latencies=(named, *rest)), "latency", "ko")
    assert chart is not None
    svg = chart_svg(chart).encode()
    shown = texts(svg)
    assert "알도리아 공화국 국가안보실" in shown
    assert any(t.endswith("…") and t.startswith("위기관리센터") for t in shown)


def test_ticks_are_round_numbers() -> None:
    assert ticks(10) == [0, 2, 4, 6, 8, 10]
    assert ticks(7.3, integer=True) == [0, 2, 4, 6]
    assert ticks(0.9)[1] == 0.2
    assert ticks(0) == [0.0]
