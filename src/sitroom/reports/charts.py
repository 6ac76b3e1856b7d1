"""The AAR/IP's charts, drawn with matplotlib as SVG (HTML, PDF) or PNG (DOCX).

Four charts: the exercise ``timeline``, response ``latency`` by team, the ``ratings``
distribution (P/S/M/U) and the objective × module ``coverage`` heat map. Each returns ``None``
when the report has no data for it, so a renderer shows only charts that say something.

Figures are made from ``matplotlib.figure.Figure`` directly (never ``pyplot``), and every
setting is applied in an ``rc_context``, so nothing leaks into other users of matplotlib in
the process. Korean labels render through a font fallback (DejaVu Sans, then Nanum Gothic),
named only when a chart may show Korean (``chart_fonts``), and SVG text is drawn as paths,
so a reader needs no font. SVG output carries no date and a fixed hash salt, so the same
model draws the same bytes.
"""

from __future__ import annotations

import io
import re
import statistics
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
from sitroom.reports.i18n import (
    N_,
    RATING_GROUPS,
    RATING_NAMES,
    report_translations,
)
from sitroom.reports.model import ReportModel

CHART_NAMES = ("timeline", "latency", "ratings", "coverage")
"""The charts a report may have, in the order a report shows them."""

CHART_TITLES = {
    "timeline": N_("Exercise timeline"),
    "latency": N_("Response latency by team"),
    "ratings": N_("Rating distribution"),
    "coverage": N_("Objective coverage by module"),
}

# HSEEP's usual traffic-light colours, darkened where white text or a white page would lose
# them; the rating letter is also written on every bar, so colour is never the only cue.
RATING_COLOURS = {"P": "#1b7837", "S": "#e0b000", "M": "#e66101", "U": "#b2182b"}
RATINGS = ("P", "S", "M", "U")
KIND_COLOURS = {
    "inject": "#2166ac",
    "decision": "#762a83",
    "concurred": "#1b7837",
    "non-concurred": "#b2182b",
    "poll": "#8c510a",
}
NANUM_DIR = Path("/usr/share/fonts/truetype/nanum")
FONT_FAMILY = ["DejaVu Sans", "NanumGothic"]
LATIN_FAMILY = ["DejaVu Sans"]
_BEYOND_DEJAVU = re.compile("[\u1100-\u11ff\u2e80-\ua4cf\uac00-\ud7ff\uf900-\ufaff\uff00-\uffef]")
"""Hangul and the other East Asian blocks: characters DejaVu Sans has no glyph for."""
RC: dict[str, Any] = {
    "font.family": FONT_FAMILY,
    "font.size": 9,
    "axes.unicode_minus": False,
    "svg.hashsalt": "sitroom-aar",
    "svg.fonttype": "path",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.titleweight": "normal",
}
WIDTH = 7.5  # inches: the text width of an A4 page with 2 cm margins, so no scaling in print
MAX_LABELLED_EVENTS = 60  # inject numbers written on the timeline at most
MIN_LABEL_GAP = 0.035  # of the time axis: closer inject numbers would overlap
MAX_LABELLED_MODULES = 8  # beyond this, module names go to the legend
BAND_COLOURS = ("#dde6f0", "#eeeeee", "#e6f0dd", "#f3e6dc", "#ece0f0", "#f5f0d0")


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


def chart_title(name: str, lang: str) -> str:
    """The chart's title (and caption) in ``lang``."""
    return report_translations(lang).gettext(CHART_TITLES[name])


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width, max_lines=2, placeholder="…")) or text


def _minutes(seconds: float) -> float:
    return seconds / 60.0


def _timeline(fig: Figure, model: ReportModel, lang: str) -> bool:
    items = model.timeline
    events = [i for i in items if i.kind in KIND_COLOURS]
    modules = [i for i in items if i.kind == "module"]
    if not events and not modules:
        return False
    _ = report_translations(lang).gettext
    end = max(
        [model.overview.active_seconds, *(i.clock for i in items)],
        default=0.0,
    )
    hours = end > 2 * 3600
    scale = 3600.0 if hours else 60.0
    lanes = [
        ("inject", _("Injects")),
        ("decision", _("Decisions")),
        ("concurrence", _("Concurrence")),
        ("poll", _("Polls")),
    ]
    lane_of = {"inject": 0, "decision": 1, "concurred": 2, "non-concurred": 2, "poll": 3}
    ax = fig.add_subplot()
    # Modules as bands, each running until the next opens (or ENDEX). A module may be opened
    # many times in a long run, so bands are drawn per module (one artist each) and labelled
    # in place only when there are few; otherwise a legend names them.
    order = list(dict.fromkeys(m.ref or "" for m in modules))
    spans: dict[str, list[tuple[float, float]]] = {ref: [] for ref in order}
    labels: dict[str, str] = {}
    for index, module in enumerate(modules):
        stop = modules[index + 1].clock if index + 1 < len(modules) else end
        ref = module.ref or ""
        spans[ref].append((module.clock / scale, max(stop - module.clock, 1.0) / scale))
        labels.setdefault(ref, text_in(dict(module.label or {}), lang, model.languages) or ref)
    few = len(modules) <= MAX_LABELLED_MODULES
    module_handles = []
    for n, ref in enumerate(order):
        colour = BAND_COLOURS[n % len(BAND_COLOURS)]
        module_handles.append(
            ax.broken_barh(
                spans[ref],
                (-0.6, len(lanes) + 0.9),
                facecolors=colour,
                zorder=0,
                label=_wrap(labels[ref], 40),
            )
        )
        if few:
            for start, width in spans[ref]:
                ax.text(
                    start + width / 2,
                    len(lanes) - 0.35,
                    _wrap(labels[ref], 28),
                    ha="center",
                    va="bottom",
                    fontsize=7,
                    color="#333333",
                )
    for kind, colour in KIND_COLOURS.items():
        xs = [i.clock / scale for i in events if i.kind == kind]
        if not xs:
            continue
        ax.scatter(
            xs,
            [len(lanes) - 1 - lane_of[kind]] * len(xs),
            color=colour,
            marker="x" if kind == "non-concurred" else "o",
            s=28,
            zorder=3,
            label=_(_timeline_label(kind)),
        )
    # Inject numbers above and below the dots in turn, leaving out those that would overlap
    # the previous label on the same side (the table below the chart lists them all).
    gap = MIN_LABEL_GAP * max(end, 60.0) / scale
    last = [-gap, -gap]
    labelled = 0
    for item in (i for i in events if i.kind == "inject"):
        x, side = item.clock / scale, labelled % 2
        if x - last[side] < gap or labelled >= MAX_LABELLED_EVENTS:
            continue
        last[side] = x
        labelled += 1
        ax.annotate(
            item.ref or "",
            (x, len(lanes) - 1),
            xytext=(0, 7 if side else -11),
            textcoords="offset points",
            ha="center",
            fontsize=6,
            color="#2166ac",
        )
    ax.set_yticks(range(len(lanes)), [label for _k, label in reversed(lanes)])
    ax.set_ylim(-0.6, len(lanes) + 0.3)
    ax.set_xlim(0, max(end, 60.0) / scale)
    ax.set_xlabel(_("Active exercise time (hours)") if hours else _("Active exercise time (min)"))
    ax.grid(axis="x", color="#cccccc", linewidth=0.5)
    handles, names = ax.get_legend_handles_labels()
    if few:  # the bands are labelled in place
        handles, names = handles[len(order) :], names[len(order) :]
    ax.legend(
        handles,
        names,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.18),
        ncol=3 if not few else 5,
        fontsize=7,
        frameon=False,
    )
    ax.set_title(chart_title("timeline", lang))
    return True


def _timeline_label(kind: str) -> str:
    return {
        "inject": N_("Inject released"),
        "decision": N_("Decision proposed"),
        "concurred": N_("Concurred"),
        "non-concurred": N_("Not concurred"),
        "poll": N_("Poll opened"),
    }[kind]


def _latency(fig: Figure, model: ReportModel, lang: str) -> bool:
    by_team: dict[str, list[float]] = {}
    names: dict[str, str] = {}
    for row in model.latencies:
        names.setdefault(row.team, text_in(dict(row.team_name), lang, model.languages))
        if row.response_seconds is not None:
            by_team.setdefault(row.team, []).append(_minutes(row.response_seconds))
    if not by_team:
        return False
    _ = report_translations(lang).gettext
    teams = sorted(by_team, key=lambda t: names.get(t) or t)
    medians = [statistics.median(by_team[t]) for t in teams]
    maxima = [max(by_team[t]) for t in teams]
    fig.set_size_inches(WIDTH, 1.2 + 0.55 * len(teams))
    ax = fig.add_subplot()
    ys = range(len(teams))
    height = 0.38
    ax.barh([y - height / 2 for y in ys], medians, height, color="#2166ac", label=_("Median"))
    ax.barh([y + height / 2 for y in ys], maxima, height, color="#92c5de", label=_("Maximum"))
    for y, med, top in zip(ys, medians, maxima, strict=True):
        ax.text(med, y - height / 2, f" {med:.1f}", va="center", fontsize=7)
        ax.text(top, y + height / 2, f" {top:.1f}", va="center", fontsize=7)
    ax.set_yticks(list(ys), [_wrap(names.get(t) or t, 34) for t in teams])
    ax.invert_yaxis()
    ax.set_xlabel(_("Minutes to first response (active exercise time)"))
    ax.set_xlim(0, max(maxima) * 1.15 or 1)
    ax.legend(loc="lower right", fontsize=7, frameon=False)
    ax.set_title(chart_title("latency", lang))
    return True


def _ratings(fig: Figure, model: ReportModel, lang: str) -> bool:
    groups = [g for g in RATING_GROUPS if sum(model.rating_counts.get(g, {}).values()) > 0]
    if not groups:
        return False
    _ = report_translations(lang).gettext
    ax = fig.add_subplot()
    width = 0.2
    for n, rating in enumerate(RATINGS):
        xs = [i + (n - 1.5) * width for i in range(len(groups))]
        counts = [model.rating_counts.get(g, {}).get(rating, 0) for g in groups]
        bars = ax.bar(
            xs,
            counts,
            width,
            color=RATING_COLOURS[rating],
            edgecolor="#333333",
            linewidth=0.5,
            label=f"{rating} — {_(RATING_NAMES[rating])}",
        )
        ax.bar_label(bars, labels=[f"{rating}\n{c}" for c in counts], fontsize=7, padding=1)
    top = max(max(model.rating_counts.get(g, {}).values(), default=0) for g in groups)
    ax.set_ylim(0, top * 1.3 + 1)
    ax.set_xticks(range(len(groups)), [_(RATING_GROUPS[g]) for g in groups])
    ax.set_ylabel(_("Number of ratings"))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper left", fontsize=7, frameon=False)
    ax.set_title(chart_title("ratings", lang))
    return True


def _coverage(fig: Figure, model: ReportModel, lang: str) -> bool:
    if not model.coverage_cells:
        return False
    _ = report_translations(lang).gettext
    objectives = [oid for oid, _text in model.overview.objectives]
    modules = [mid for mid, _text in model.overview.modules]
    for cell in model.coverage_cells:
        if cell.objective not in objectives:
            objectives.append(cell.objective)
        if cell.module not in modules:
            modules.append(cell.module)
    counts = {(c.objective, c.module): c.count for c in model.coverage_cells}
    grid = [[counts.get((o, m), 0) for m in modules] for o in objectives]
    peak = max((max(row) for row in grid), default=0)
    titles = dict(model.overview.modules)
    fig.set_size_inches(WIDTH, 1.6 + 0.45 * len(objectives))
    ax = fig.add_subplot()
    image = ax.imshow(grid, cmap="Blues", vmin=0, vmax=max(peak, 1), aspect="auto")
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            ax.text(
                c,
                r,
                str(value),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if value > peak * 0.55 else "#111111",
            )
    ax.set_xticks(
        range(len(modules)),
        [
            _wrap(text_in(dict(titles.get(m) or {}), lang, model.languages) or m, 22)
            for m in modules
        ],
        fontsize=7,
    )
    ax.set_yticks(
        range(len(objectives)),
        [_("Objective %(n)d") % {"n": n} for n in range(1, len(objectives) + 1)],
    )
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    bar = fig.colorbar(image, ax=ax, label=_("Evidence items"), fraction=0.04)
    bar.locator = MaxNLocator(integer=True)
    bar.update_ticks()
    ax.set_title(chart_title("coverage", lang))
    return True


def _module_label(titles: dict[str, Any], module: str, lang: str, model: ReportModel) -> str:
    return text_in(dict(titles.get(module) or {}), lang, model.languages) or module


DRAWERS: dict[str, Callable[[Figure, ReportModel, str], bool]] = {
    "timeline": _timeline,
    "latency": _latency,
    "ratings": _ratings,
    "coverage": _coverage,
}


def render_chart(
    model: ReportModel, name: str, lang: str, fmt: str = "svg", fonts: list[str] | None = None
) -> bytes | None:
    """Chart ``name`` (one of ``CHART_NAMES``) as ``svg`` or ``png`` bytes; ``None`` when the
    report has no data for it. ``fonts``: the families (``chart_fonts`` when not given)."""
    if name not in DRAWERS:
        raise ValueError(f"unknown chart {name!r}; expected one of {', '.join(CHART_NAMES)}")
    if fmt not in ("svg", "png"):
        raise ValueError(f"unknown chart format {fmt!r}; expected 'svg' or 'png'")
    with matplotlib.rc_context(_rc(fonts or chart_fonts(model, lang))):
        fig = Figure(figsize=(WIDTH, 3.2), layout="constrained")
        if not DRAWERS[name](fig, model, lang):
            return None
        buffer = io.BytesIO()
        if fmt == "svg":
            fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        else:
            fig.savefig(buffer, format="png", dpi=150, metadata={"Software": None})
    return buffer.getvalue()


def render_charts(model: ReportModel, lang: str, fmt: str = "svg") -> dict[str, bytes]:
    """Every chart the report has data for, by name, in ``CHART_NAMES`` order."""
    charts: dict[str, bytes] = {}
    fonts = chart_fonts(model, lang)
    for name in CHART_NAMES:
        image = render_chart(model, name, lang, fmt, fonts)
        if image is not None:
            charts[name] = image
    return charts
