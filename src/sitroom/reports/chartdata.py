"""What the AAR/IP's four charts show, computed once from the report model.

Each chart is a small frozen record of what is drawn — bars, bands and points with their
values, labels already translated, axis ranges, legend entries, colours, the title and a text
alternative — and nothing about how. ``svgchart`` draws these as plain SVG (the HTML report
and the PDF); ``charts`` draws the same records with matplotlib where a raster is needed (the
Word document), so the two never disagree. A function returns ``None`` when the report has no
data for its chart.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from sitroom.package.model import text_in
from sitroom.reports.i18n import N_, RATING_GROUPS, RATING_NAMES, RATINGS, report_translations
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
KIND_COLOURS = {
    "inject": "#2166ac",
    "decision": "#762a83",
    "concurred": "#1b7837",
    "non-concurred": "#b2182b",
    "poll": "#8c510a",
}
BAND_COLOURS = ("#dde6f0", "#eeeeee", "#e6f0dd", "#f3e6dc", "#ece0f0", "#f5f0d0")
MEDIAN_COLOUR, MAXIMUM_COLOUR = "#2166ac", "#92c5de"
MAX_LABELLED_EVENTS = 60  # inject numbers written on the timeline at most
MIN_LABEL_GAP = 0.035  # of the time axis: closer inject numbers would overlap
MAX_LABELLED_MODULES = 8  # beyond this, module names go to the legend
LANE_OF = {"inject": 0, "decision": 1, "concurred": 2, "non-concurred": 2, "poll": 3}
"""The timeline's lanes from the top."""


def chart_title(name: str, lang: str) -> str:
    """The chart's title (and caption) in ``lang``."""
    return report_translations(lang).gettext(CHART_TITLES[name])


@dataclass(frozen=True, slots=True)
class Series:
    """One legend entry and its values, one per category (team, rating group)."""

    label: str
    colour: str
    values: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Band:
    """A module's time on the timeline: ``spans`` of (start, width) in axis units."""

    label: str
    colour: str
    spans: tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True)
class Points:
    """One kind of event on the timeline: its lane (0 = top), marker and x positions."""

    kind: str
    label: str
    colour: str
    marker: str  # "o" or "x"
    lane: int
    xs: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Mark:
    """An inject number written above (or below) its dot."""

    x: float
    text: str
    above: bool


@dataclass(frozen=True, slots=True)
class TimelineChart:
    title: str
    alt: str
    lanes: tuple[str, ...]  # from the top
    x_label: str
    x_max: float
    bands: tuple[Band, ...]
    bands_in_place: bool  # few modules: labelled on the band, not in the legend
    points: tuple[Points, ...]
    marks: tuple[Mark, ...]


@dataclass(frozen=True, slots=True)
class LatencyChart:
    title: str
    alt: str
    teams: tuple[str, ...]  # from the top
    series: tuple[Series, ...]  # median, maximum (minutes)
    x_label: str
    x_max: float


@dataclass(frozen=True, slots=True)
class RatingsChart:
    title: str
    alt: str
    groups: tuple[str, ...]
    letters: tuple[str, ...]  # the rating of each series, written on its bars
    series: tuple[Series, ...]  # one per rating: counts per group
    y_label: str
    y_max: float


@dataclass(frozen=True, slots=True)
class CoverageChart:
    title: str
    alt: str
    objectives: tuple[str, ...]  # row labels
    modules: tuple[str, ...]  # column labels
    grid: tuple[tuple[int, ...], ...]  # [objective][module]
    peak: int
    scale_label: str


Chart = TimelineChart | LatencyChart | RatingsChart | CoverageChart


def _timeline_label(kind: str) -> str:
    return {
        "inject": N_("Inject released"),
        "decision": N_("Decision proposed"),
        "concurred": N_("Concurred"),
        "non-concurred": N_("Not concurred"),
        "poll": N_("Poll opened"),
    }[kind]


def timeline_chart(model: ReportModel, lang: str) -> TimelineChart | None:
    items = model.timeline
    events = [i for i in items if i.kind in KIND_COLOURS]
    modules = [i for i in items if i.kind == "module"]
    if not events and not modules:
        return None
    _ = report_translations(lang).gettext
    end = max([model.overview.active_seconds, *(i.clock for i in items)], default=0.0)
    hours = end > 2 * 3600
    scale = 3600.0 if hours else 60.0
    lanes = (_("Injects"), _("Decisions"), _("Concurrence"), _("Polls"))
    # Modules as bands, each running until the next opens (or ENDEX); a module opened many
    # times in a long run is one band with many spans.
    order = list(dict.fromkeys(m.ref or "" for m in modules))
    spans: dict[str, list[tuple[float, float]]] = {ref: [] for ref in order}
    labels: dict[str, str] = {}
    for index, module in enumerate(modules):
        stop = modules[index + 1].clock if index + 1 < len(modules) else end
        ref = module.ref or ""
        spans[ref].append((module.clock / scale, max(stop - module.clock, 1.0) / scale))
        labels.setdefault(ref, text_in(dict(module.label or {}), lang, model.languages) or ref)
    bands = tuple(
        Band(labels[ref], BAND_COLOURS[n % len(BAND_COLOURS)], tuple(spans[ref]))
        for n, ref in enumerate(order)
    )
    points = []
    for kind, colour in KIND_COLOURS.items():
        xs = tuple(i.clock / scale for i in events if i.kind == kind)
        if xs:
            marker = "x" if kind == "non-concurred" else "o"
            points.append(Points(kind, _(_timeline_label(kind)), colour, marker, LANE_OF[kind], xs))
    # Inject numbers above and below the dots in turn, leaving out those that would overlap
    # the previous label on the same side (the table below the chart lists them all).
    gap = MIN_LABEL_GAP * max(end, 60.0) / scale
    last = [-gap, -gap]
    marks: list[Mark] = []
    for item in (i for i in events if i.kind == "inject"):
        x, side = item.clock / scale, len(marks) % 2
        if x - last[side] < gap or len(marks) >= MAX_LABELLED_EVENTS:
            continue
        last[side] = x
        marks.append(Mark(x, item.ref or "", bool(side)))
    title = chart_title("timeline", lang)
    alt = "; ".join(f"{p.label}: {len(p.xs)}" for p in points)
    return TimelineChart(
        title=title,
        alt=f"{title}. {alt}" if alt else title,
        lanes=lanes,
        x_label=_("Active exercise time (hours)") if hours else _("Active exercise time (min)"),
        x_max=max(end, 60.0) / scale,
        bands=bands,
        bands_in_place=len(modules) <= MAX_LABELLED_MODULES,
        points=tuple(points),
        marks=tuple(marks),
    )


def latency_chart(model: ReportModel, lang: str) -> LatencyChart | None:
    by_team: dict[str, list[float]] = {}
    names: dict[str, str] = {}
    for row in model.latencies:
        names.setdefault(row.team, text_in(dict(row.team_name), lang, model.languages))
        if row.response_seconds is not None:
            by_team.setdefault(row.team, []).append(row.response_seconds / 60.0)
    if not by_team:
        return None
    _ = report_translations(lang).gettext
    teams = sorted(by_team, key=lambda t: names.get(t) or t)
    medians = tuple(statistics.median(by_team[t]) for t in teams)
    maxima = tuple(max(by_team[t]) for t in teams)
    shown = tuple(names.get(t) or t for t in teams)
    median, maximum = _("Median"), _("Maximum")
    title = chart_title("latency", lang)
    alt = "; ".join(
        f"{name}: {median} {m:.1f}, {maximum} {x:.1f}"
        for name, m, x in zip(shown, medians, maxima, strict=True)
    )
    return LatencyChart(
        title=title,
        alt=f"{title}. {alt}",
        teams=shown,
        series=(Series(median, MEDIAN_COLOUR, medians), Series(maximum, MAXIMUM_COLOUR, maxima)),
        x_label=_("Minutes to first response (active exercise time)"),
        x_max=max(maxima) * 1.15 or 1.0,
    )


def ratings_chart(model: ReportModel, lang: str) -> RatingsChart | None:
    groups = [g for g in RATING_GROUPS if sum(model.rating_counts.get(g, {}).values()) > 0]
    if not groups:
        return None
    _ = report_translations(lang).gettext
    series = tuple(
        Series(
            f"{rating} — {_(RATING_NAMES[rating])}",
            RATING_COLOURS[rating],
            tuple(float(model.rating_counts.get(g, {}).get(rating, 0)) for g in groups),
        )
        for rating in RATINGS
    )
    top = max(max(model.rating_counts.get(g, {}).values(), default=0) for g in groups)
    labels = tuple(_(RATING_GROUPS[g]) for g in groups)
    title = chart_title("ratings", lang)
    pairs = list(zip(RATINGS, series, strict=True))
    alt = "; ".join(
        f"{label}: " + ", ".join(f"{r} {int(s.values[n])}" for r, s in pairs)
        for n, label in enumerate(labels)
    )
    return RatingsChart(
        title=title,
        alt=f"{title}. {alt}",
        groups=labels,
        letters=RATINGS,
        series=series,
        y_label=_("Number of ratings"),
        y_max=top * 1.3 + 1,
    )


def coverage_chart(model: ReportModel, lang: str) -> CoverageChart | None:
    if not model.coverage_cells:
        return None
    _ = report_translations(lang).gettext
    objectives = [oid for oid, _text in model.overview.objectives]
    modules = [mid for mid, _text in model.overview.modules]
    for cell in model.coverage_cells:
        if cell.objective not in objectives:
            objectives.append(cell.objective)
        if cell.module not in modules:
            modules.append(cell.module)
    counts = {(c.objective, c.module): c.count for c in model.coverage_cells}
    grid = tuple(tuple(counts.get((o, m), 0) for m in modules) for o in objectives)
    titles = dict(model.overview.modules)
    module_labels = tuple(
        text_in(dict(titles.get(m) or {}), lang, model.languages) or m for m in modules
    )
    rows = tuple(_("Objective %(n)d") % {"n": n} for n in range(1, len(objectives) + 1))
    title = chart_title("coverage", lang)
    alt = "; ".join(
        f"{row}: " + ", ".join(f"{m} {v}" for m, v in zip(module_labels, values, strict=True))
        for row, values in zip(rows, grid, strict=True)
    )
    return CoverageChart(
        title=title,
        alt=f"{title}. {alt}",
        objectives=rows,
        modules=module_labels,
        grid=grid,
        peak=max((max(row, default=0) for row in grid), default=0),
        scale_label=_("Evidence items"),
    )


def chart_data(model: ReportModel, name: str, lang: str) -> Chart | None:
    """What chart ``name`` shows for ``model`` in ``lang``; ``None`` without data for it."""
    if name not in CHART_NAMES:
        raise ValueError(f"unknown chart {name!r}; expected one of {', '.join(CHART_NAMES)}")
    builders = {
        "timeline": timeline_chart,
        "latency": latency_chart,
        "ratings": ratings_chart,
        "coverage": coverage_chart,
    }
    return builders[name](model, lang)
