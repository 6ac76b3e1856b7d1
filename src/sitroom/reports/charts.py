"""The AAR/IP's charts: plain SVG (HTML, PDF) or a matplotlib PNG (DOCX).

Four charts: the exercise ``timeline``, response ``latency`` by team, the ``ratings``
distribution (P/S/M/U) and the objective × module ``coverage`` heat map. What each shows is
computed once (``chartdata``); ``svgchart`` draws it as SVG with real text and this module
draws the same data with matplotlib where a raster is needed, so the two agree. Each returns
``None`` when the report has no data for it, so a renderer shows only charts that say
something.

Figures are made from ``matplotlib.figure.Figure`` directly (never ``pyplot``), and every
setting is applied in an ``rc_context``, so nothing leaks into other users of matplotlib in
the process. Korean labels render through a font fallback (DejaVu Sans, then Nanum Gothic),
named only when a chart may show Korean (``chart_fonts``).
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sitroom.package.model import text_in
from sitroom.reports.chartdata import (
    CHART_NAMES,
    CoverageChart,
    LatencyChart,
    RatingsChart,
    TimelineChart,
    chart_data,
    chart_title,
)
from sitroom.reports.model import ReportModel
from sitroom.reports.svgchart import chart_svg

__all__ = ["CHART_NAMES", "chart_fonts", "chart_title", "render_chart", "render_charts"]

NANUM_DIR = Path("/usr/share/fonts/truetype/nanum")
FONT_FAMILY = ["DejaVu Sans", "NanumGothic"]
LATIN_FAMILY = ["DejaVu Sans"]
_BEYOND_DEJAVU = re.compile("[\u1100-\u11ff\u2e80-\ua4cf\uac00-\ud7ff\uf900-\ufaff\uff00-\uffef]")
"""Hangul and the other East Asian blocks: characters DejaVu Sans has no glyph for."""
RC: dict[str, Any] = {
    "font.family": FONT_FAMILY,
    "font.size": 9,
    "axes.unicode_minus": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.titleweight": "normal",
}
WIDTH = 7.5  # inches: the text width of an A4 page with 2 cm margins, so no scaling in print


@cache
def _fonts_ready() -> bool:
    """Make sure a Korean font is known to matplotlib (once), even if its cache predates it."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    if "NanumGothic" not in names and NANUM_DIR.is_dir():
        for path in sorted(NANUM_DIR.glob("NanumGothic*.ttf")):
            font_manager.fontManager.addfont(str(path))
        names = {f.name for f in font_manager.fontManager.ttflist}
    return "NanumGothic" in names


def chart_fonts(model: ReportModel, lang: str) -> list[str]:
    """The font families for the charts of ``model`` in ``lang``: with Nanum Gothic after
    DejaVu Sans when a chart may show Korean (the report's words in Korean, or a module or
    team named in Korean in the text shown), else DejaVu Sans alone. With two families
    matplotlib looks every glyph up in both, a sixth of an English chart's time."""
    if lang.split("-")[0].lower() == "ko":
        return FONT_FAMILY
    shown = [
        *(i.label for i in model.timeline if i.kind == "module"),
        *(row.team_name for row in model.latencies),
        *(title for _module, title in model.overview.modules),
    ]
    for text in shown:
        if _BEYOND_DEJAVU.search(text_in(dict(text or {}), lang, model.languages) or ""):
            return FONT_FAMILY
    return LATIN_FAMILY


def _rc(families: list[str] = FONT_FAMILY) -> Any:  # matplotlib types rc keys as a Literal union
    # Naming a family matplotlib does not know makes it log an error for every text; leave
    # out the Korean ones when the machine has none (Korean glyphs then show as boxes).
    if families == LATIN_FAMILY or not _fonts_ready():
        return {**RC, "font.family": LATIN_FAMILY}
    return {**RC, "font.family": families}


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width, max_lines=2, placeholder="…")) or text


def _timeline(fig: Figure, chart: TimelineChart) -> None:
    ax = fig.add_subplot()
    lanes = len(chart.lanes)
    # Bands drawn per module (one artist each), labelled in place only when there are few;
    # otherwise a legend names them.
    for band in chart.bands:
        ax.broken_barh(
            band.spans,
            (-0.6, lanes + 0.9),
            facecolors=band.colour,
            zorder=0,
            label=_wrap(band.label, 40),
        )
        if chart.bands_in_place:
            for start, width in band.spans:
                ax.text(
                    start + width / 2,
                    lanes - 0.35,
                    _wrap(band.label, 28),
                    ha="center",
                    va="bottom",
                    fontsize=7,
                    color="#333333",
                )
    for points in chart.points:
        ax.scatter(
            points.xs,
            [lanes - 1 - points.lane] * len(points.xs),
            color=points.colour,
            marker=points.marker,
            s=28,
            zorder=3,
            label=points.label,
        )
    for mark in chart.marks:
        ax.annotate(
            mark.text,
            (mark.x, lanes - 1),
            xytext=(0, 7 if mark.above else -11),
            textcoords="offset points",
            ha="center",
            fontsize=6,
            color="#2166ac",
        )
    ax.set_yticks(range(lanes), list(reversed(chart.lanes)))
    ax.set_ylim(-0.6, lanes + 0.3)
    ax.set_xlim(0, chart.x_max)
    ax.set_xlabel(chart.x_label)
    ax.grid(axis="x", color="#cccccc", linewidth=0.5)
    handles, names = ax.get_legend_handles_labels()
    if chart.bands_in_place:  # the bands are labelled in place
        handles, names = handles[len(chart.bands) :], names[len(chart.bands) :]
    ax.legend(
        handles,
        names,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.18),
        ncol=5 if chart.bands_in_place else 3,
        fontsize=7,
        frameon=False,
    )
    ax.set_title(chart.title)


def _latency(fig: Figure, chart: LatencyChart) -> None:
    fig.set_size_inches(WIDTH, 1.2 + 0.55 * len(chart.teams))
    ax = fig.add_subplot()
    ys = range(len(chart.teams))
    height = 0.38
    for k, series in enumerate(chart.series):
        offset = (k - 0.5) * height
        ax.barh(
            [y + offset for y in ys], series.values, height, color=series.colour, label=series.label
        )
        for y, value in zip(ys, series.values, strict=True):
            ax.text(value, y + offset, f" {value:.1f}", va="center", fontsize=7)
    ax.set_yticks(list(ys), [_wrap(team, 34) for team in chart.teams])
    ax.invert_yaxis()
    ax.set_xlabel(chart.x_label)
    ax.set_xlim(0, chart.x_max)
    ax.legend(loc="lower right", fontsize=7, frameon=False)
    ax.set_title(chart.title)


def _ratings(fig: Figure, chart: RatingsChart) -> None:
    ax = fig.add_subplot()
    width = 0.2
    for n, (letter, series) in enumerate(zip(chart.letters, chart.series, strict=True)):
        bars = ax.bar(
            [i + (n - 1.5) * width for i in range(len(chart.groups))],
            series.values,
            width,
            color=series.colour,
            edgecolor="#333333",
            linewidth=0.5,
            label=series.label,
        )
        ax.bar_label(
            bars, labels=[f"{letter}\n{int(c)}" for c in series.values], fontsize=7, padding=1
        )
    ax.set_ylim(0, chart.y_max)
    ax.set_xticks(range(len(chart.groups)), list(chart.groups))
    ax.set_ylabel(chart.y_label)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper left", fontsize=7, frameon=False)
    ax.set_title(chart.title)


def _coverage(fig: Figure, chart: CoverageChart) -> None:
    fig.set_size_inches(WIDTH, 1.6 + 0.45 * len(chart.objectives))
    ax = fig.add_subplot()
    grid = [list(row) for row in chart.grid]
    image = ax.imshow(grid, cmap="Blues", vmin=0, vmax=max(chart.peak, 1), aspect="auto")
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            ax.text(
                c,
                r,
                str(value),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if value > chart.peak * 0.55 else "#111111",
            )
    ax.set_xticks(range(len(chart.modules)), [_wrap(m, 22) for m in chart.modules], fontsize=7)
    ax.set_yticks(range(len(chart.objectives)), list(chart.objectives))
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    bar = fig.colorbar(image, ax=ax, label=chart.scale_label, fraction=0.04)
    bar.locator = MaxNLocator(integer=True)
    bar.update_ticks()
    ax.set_title(chart.title)


DRAWERS: dict[type, Callable[[Figure, Any], None]] = {
    TimelineChart: _timeline,
    LatencyChart: _latency,
    RatingsChart: _ratings,
    CoverageChart: _coverage,
}


def render_chart(
    model: ReportModel, name: str, lang: str, fmt: str = "svg", fonts: list[str] | None = None
) -> bytes | None:
    """Chart ``name`` (one of ``CHART_NAMES``) as ``svg`` (plain SVG with real text) or
    ``png`` (matplotlib, 150 dpi) bytes; ``None`` when the report has no data for it.
    ``fonts``: the PNG's font families (``chart_fonts`` when not given)."""
    if fmt not in ("svg", "png"):
        raise ValueError(f"unknown chart format {fmt!r}; expected 'svg' or 'png'")
    chart = chart_data(model, name, lang)
    if chart is None:
        return None
    if fmt == "svg":
        return chart_svg(chart).encode("utf-8")
    with matplotlib.rc_context(_rc(fonts or chart_fonts(model, lang))):
        fig = Figure(figsize=(WIDTH, 3.2), layout="constrained")
        DRAWERS[type(chart)](fig, chart)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=150, metadata={"Software": None})
    return buffer.getvalue()


def render_charts(model: ReportModel, lang: str, fmt: str = "svg") -> dict[str, bytes]:
    """Every chart the report has data for, by name, in ``CHART_NAMES`` order."""
    charts: dict[str, bytes] = {}
    fonts = chart_fonts(model, lang) if fmt == "png" else None
    for name in CHART_NAMES:
        image = render_chart(model, name, lang, fmt, fonts)
        if image is not None:
            charts[name] = image
    return charts
