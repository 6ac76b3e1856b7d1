"""The AAR/IP's charts as plain SVG: rectangles, lines and real text.

A chart's data (``chartdata``) is laid out on a fixed 720-unit-wide ``viewBox``, so the chart
scales to its figure in the browser and in WeasyPrint alike. Text stays text: a reader can
select and search it, a screen reader reads the ``<title>`` (the chart's title and its
numbers), and WeasyPrint lays it out with the page's fonts instead of drawing thousands of
glyph paths. Fonts are named by family, DejaVu Sans then Nanum Gothic for Korean.

Label widths are estimated from character counts (an East Asian wide character counts as
two), and labels longer than their room are wrapped to two lines and shortened with an
ellipsis, so nothing is clipped. Every text is escaped: team and module names are typed by
users. The same chart data draws the same bytes.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from xml.sax.saxutils import escape, quoteattr

from sitroom.reports.chartdata import (
    Chart,
    CoverageChart,
    LatencyChart,
    RatingsChart,
    TimelineChart,
)

WIDTH = 720.0
FONT_FAMILY = "'DejaVu Sans', 'Nanum Gothic', NanumGothic, 'Noto Sans CJK KR', sans-serif"
TEXT = "#222222"
AXIS = "#333333"
GRID = "#cccccc"
EM = 0.56  # the width of a narrow character in DejaVu Sans, in font sizes (a generous mean)
TITLE_SIZE, LABEL_SIZE, SMALL_SIZE = 14.0, 11.0, 9.5
BLUES: tuple[str, ...] = ("#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6")
BLUES += ("#2171b5", "#08519c", "#08306b")
"""ColorBrewer's Blues, light to dark: the coverage heat map's scale (matplotlib's too)."""
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# --- text ---------------------------------------------------------------------------------


def units(text: str) -> int:
    """The width of ``text`` in narrow characters: East Asian wide ones count as two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def text_width(text: str, size: float) -> float:
    return units(text) * EM * size


def _cut(text: str, room: int) -> str:
    """``text`` shortened to ``room`` units, an ellipsis included."""
    if units(text) <= room:
        return text
    out, used = [], 1
    for char in text:
        used += units(char)
        if used > room:
            break
        out.append(char)
    return "".join(out).rstrip() + "…"


def fit(text: str, width: float, size: float, lines: int = 2) -> list[str]:
    """``text`` wrapped to at most ``lines`` lines of ``width`` at font ``size``, the last
    one shortened with an ellipsis when the text does not fit (words longer than a line are
    broken, as Korean and long identifiers may be)."""
    room = max(3, int(width / (EM * size)))
    words = " ".join(text.split()).split(" ")
    out: list[str] = []
    line = ""
    for word in words:
        candidate = f"{line} {word}" if line else word
        if units(candidate) <= room:
            line = candidate
            continue
        if line:
            out.append(line)
        line = word
        while units(line) > room:  # a word longer than a line: break it
            head = _cut(line, room + 1)[:-1]
            out.append(head)
            line = line[len(head) :]
    if line or not out:
        out.append(line)
    if len(out) > lines:
        out = [*out[: lines - 1], _cut(" ".join(out[lines - 1 :]), room)]
    return out


def _half(value: float) -> str:
    return f"{round(value * 2) / 2:g}"


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def number(value: float, digits: int = 1) -> str:
    """A tick or value label: no trailing zeros (``2``, ``2.5``)."""
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def ticks(top: float, integer: bool = False, most: int = 6) -> list[float]:
    """Round tick values from 0 to at most ``top``: steps of 1, 2, 2.5 or 5 × 10ⁿ."""
    if top <= 0:
        return [0.0]
    raw = top / most
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    if integer:
        step = max(1.0, float(math.ceil(step)))
    count = int(top / step + 1e-9)
    return [n * step for n in range(count + 1)]


# --- drawing ------------------------------------------------------------------------------


class Canvas:
    """SVG elements in drawing order, written as text."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def rect(self, x: float, y: float, w: float, h: float, fill: str, extra: str = "") -> None:
        self.parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0.0):.1f}" '
            f'height="{max(h, 0.0):.1f}" fill="{fill}"{extra}/>'
        )

    def line(
        self, x1: float, y1: float, x2: float, y2: float, stroke: str = AXIS, width: float = 1
    ) -> None:
        self.parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'stroke="{stroke}" stroke-width="{width:g}"/>'
        )

    def text(
        self,
        x: float,
        y: float,
        text: str,
        size: float = LABEL_SIZE,
        anchor: str = "start",
        fill: str = TEXT,
        rotate: bool = False,
    ) -> None:
        """``text`` with its baseline at ``y`` (rotated a quarter turn left if ``rotate``)."""
        turn = f' transform="rotate(-90 {x:.1f} {y:.1f})"' if rotate else ""
        colour = f' fill="{fill}"' if fill != TEXT else ""
        self.parts.append(
            f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:g}" text-anchor="{anchor}"'
            f"{colour}{turn}>{escape(_clean(text))}</text>"
        )

    def lines(
        self,
        x: float,
        y: float,
        lines: list[str],
        size: float,
        anchor: str = "middle",
        fill: str = TEXT,
    ) -> None:
        """Lines of text, the first with its baseline at ``y``."""
        for n, line in enumerate(lines):
            self.text(x, y + n * size * 1.2, line, size, anchor, fill)

    def circles(self, points: Iterable[tuple[float, float]], r: float, fill: str) -> None:
        """Dots of radius ``r``, all one path: a reader (WeasyPrint above all) pays per
        element. A long run puts thousands of events on a few hundred units, so dots are
        placed to half a unit (a tenth of their size) and one falling on another is drawn
        once (the table below the chart lists every event)."""
        # Each dot is a line of no length with round caps, as wide as the dot: the cheapest
        # path there is to parse and draw (an arc costs WeasyPrint a dozen times more).
        path = "".join(dict.fromkeys(f"M{_half(x)} {_half(y)}h0" for x, y in points))
        self.parts.append(
            f'<path class="dots" d="{path}" stroke="{fill}" stroke-width="{2 * r:g}" '
            'stroke-linecap="round" fill="none"/>'
        )

    def crosses(self, points: Iterable[tuple[float, float]], r: float, stroke: str) -> None:
        points = [(round(x * 2) / 2, round(y * 2) / 2) for x, y in points]
        path = "".join(
            dict.fromkeys(
                f"M{x - r:.1f} {y - r:.1f}L{x + r:.1f} {y + r:.1f}"
                f"M{x - r:.1f} {y + r:.1f}L{x + r:.1f} {y - r:.1f}"
                for x, y in points
            )
        )
        self.parts.append(f'<path d="{path}" stroke="{stroke}" stroke-width="2" fill="none"/>')

    def svg(self, height: float, alt: str, attributes: str = "") -> str:
        """The whole chart, ``alt`` as its accessible name unless ``attributes`` name one."""
        label = "" if "aria-label" in attributes else f" aria-label={quoteattr(_clean(alt))}"
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:g} {height:.0f}" '
            f'width="{WIDTH:g}" height="{height:.0f}" role="img" font-family="{FONT_FAMILY}"'
            f"{label}{attributes}>"
        )
        return "".join([head, f"<title>{escape(_clean(alt))}</title>", *self.parts, "</svg>"])


def _legend(
    canvas: Canvas,
    entries: list[tuple[str, str, str]],
    top: float,
    left: float = 20.0,
    right: float = WIDTH - 20.0,
) -> float:
    """Legend entries (label, colour, marker ``o``/``x``/``s``) in rows centred between
    ``left`` and ``right``, from ``top``; returns the bottom of the last row."""
    size, key = SMALL_SIZE, 14.0
    longest = (right - left) / 2 - key - 20
    items = [(fit(label, longest, size, 1)[0], colour, marker) for label, colour, marker in entries]
    rows: list[list[tuple[str, str, str, float]]] = [[]]
    used = 0.0
    for label, colour, marker in items:
        width = key + 4 + text_width(label, size) + 18
        if rows[-1] and used + width > right - left:
            rows.append([])
            used = 0.0
        rows[-1].append((label, colour, marker, width))
        used += width
    y = top
    for row in rows:
        x = left + (right - left - sum(w for *_rest, w in row)) / 2
        for label, colour, marker, width in row:
            middle = y + size * 0.6
            if marker == "o":
                canvas.circles([(x + key / 2, middle)], 4, colour)
            elif marker == "x":
                canvas.crosses([(x + key / 2, middle)], 4, colour)
            else:
                canvas.rect(x, middle - 5, key, 10, colour)
            canvas.text(x + key + 4, y + size, label, size)
            x += width
        y += size * 1.8
    return y


def _x_axis(
    canvas: Canvas,
    left: float,
    right: float,
    bottom: float,
    top: float,
    x_max: float,
    label: str,
    grid: bool = True,
) -> float:
    """Ticks, tick labels, grid lines and the title of a value axis along the bottom."""
    scale = (right - left) / x_max
    for value in ticks(x_max):
        x = left + value * scale
        if grid:
            canvas.line(x, top, x, bottom, GRID, 0.5)
        canvas.line(x, bottom, x, bottom + 4)
        canvas.text(x, bottom + 6 + SMALL_SIZE, number(value), SMALL_SIZE, "middle")
    canvas.line(left, bottom, right, bottom)
    y = bottom + 14 + SMALL_SIZE + LABEL_SIZE
    canvas.lines((left + right) / 2, y, fit(label, right - left, LABEL_SIZE, 1), LABEL_SIZE)
    return y + 6


def _title(canvas: Canvas, title: str) -> float:
    canvas.lines(WIDTH / 2, 22, fit(title, WIDTH - 40, TITLE_SIZE, 1), TITLE_SIZE)
    return 36.0


# --- the four charts ----------------------------------------------------------------------


def _timeline(chart: TimelineChart, canvas: Canvas) -> float:
    top = _title(canvas, chart.title) + (26 if chart.bands_in_place and chart.bands else 4)
    lane_h = 34.0
    width = max(text_width(lane, LABEL_SIZE) for lane in chart.lanes)
    left = min(10 + width + 10, 180.0)
    right = WIDTH - 16
    bottom = top + lane_h * len(chart.lanes)
    scale = (right - left) / chart.x_max
    band_top = top - (24 if chart.bands_in_place and chart.bands else 0)

    def lane_y(lane: int) -> float:
        return top + lane_h * (lane + 0.5)

    for band in chart.bands:  # one path a module, however often it was opened
        boxes = []
        for start, span in band.spans:
            x = left + start * scale
            w = min(span * scale, right - x)
            boxes.append(f"M{x:.1f} {band_top:.1f}h{w:.1f}v{bottom - band_top:.1f}h{-w:.1f}z")
        canvas.parts.append(f'<path d="{"".join(boxes)}" fill="{band.colour}"/>')
    if chart.bands_in_place:
        for band in chart.bands:
            for start, span in band.spans:
                room = max(span * scale, 70.0)
                middle = min(
                    max(left + (start + span / 2) * scale, left + room / 2), right - room / 2
                )
                canvas.lines(middle, band_top + 9, fit(band.label, room, 8.5), 8.5, fill="#333333")
    x_label_bottom = _x_axis(canvas, left, right, bottom, band_top, chart.x_max, chart.x_label)
    canvas.line(left, band_top, left, bottom)
    for n, lane in enumerate(chart.lanes):
        y = lane_y(n)
        canvas.line(left - 4, y, left, y)
        canvas.text(
            left - 7,
            y + LABEL_SIZE * 0.35,
            fit(lane, left - 12, LABEL_SIZE, 1)[0],
            LABEL_SIZE,
            "end",
        )
    for points in chart.points:
        where = [(left + x * scale, lane_y(points.lane)) for x in points.xs]
        if points.marker == "x":
            canvas.crosses(where, 3.5, points.colour)
        else:
            canvas.circles(where, 3.2, points.colour)
    for mark in chart.marks:
        y = lane_y(0) + (-7 if mark.above else 7 + 7.5)
        canvas.text(left + mark.x * scale, y, mark.text, 7.5, "middle", "#2166ac")
    entries = [] if chart.bands_in_place else [(b.label, b.colour, "s") for b in chart.bands]
    entries += [(p.label, p.colour, p.marker) for p in chart.points]
    return _legend(canvas, entries, x_label_bottom + 4) + 6


def _latency(chart: LatencyChart, canvas: Canvas) -> float:
    top = _title(canvas, chart.title) + 6
    row_h, bar_h = 40.0, 14.0
    widest = max(units(line) for team in chart.teams for line in fit(team, 210, LABEL_SIZE))
    left = 14 + min(widest * EM * LABEL_SIZE, 210.0) + 8
    right = WIDTH - 50
    bottom = top + row_h * len(chart.teams)
    scale = (right - left) / chart.x_max
    x_label_bottom = _x_axis(canvas, left, right, bottom, top, chart.x_max, chart.x_label)
    canvas.line(left, top, left, bottom)
    for n, team in enumerate(chart.teams):
        middle = top + row_h * (n + 0.5)
        label = fit(team, 210, LABEL_SIZE)
        first = middle + LABEL_SIZE * 0.35 - (len(label) - 1) * LABEL_SIZE * 0.6
        canvas.lines(left - 7, first, label, LABEL_SIZE, "end")
        for k, series in enumerate(chart.series):
            y = middle - bar_h + k * bar_h
            value = series.values[n]
            canvas.rect(left, y, value * scale, bar_h, series.colour)
            canvas.text(left + value * scale + 3, y + bar_h * 0.75, f"{value:.1f}", 8.5)
    entries = [(s.label, s.colour, "s") for s in chart.series]
    return _legend(canvas, entries, x_label_bottom + 4) + 6


def _ratings(chart: RatingsChart, canvas: Canvas) -> float:
    top = _title(canvas, chart.title) + 4
    left, right, bottom = 70.0, WIDTH - 20, top + 190
    scale = (bottom - top) / chart.y_max
    group_w = (right - left) / len(chart.groups)
    bar_w = group_w * 0.8 / len(chart.series)
    for value in ticks(chart.y_max, integer=True):
        y = bottom - value * scale
        canvas.line(left - 4, y, left, y)
        canvas.text(left - 7, y + SMALL_SIZE * 0.35, number(value, 0), SMALL_SIZE, "end")
    canvas.line(left, top, left, bottom)
    canvas.line(left, bottom, right, bottom)
    middle = (top + bottom) / 2
    canvas.text(22, middle, chart.y_label, LABEL_SIZE, "middle", rotate=True)
    for g, group in enumerate(chart.groups):
        centre = left + group_w * (g + 0.5)
        for s, (letter, series) in enumerate(zip(chart.letters, chart.series, strict=True)):
            x = centre + (s - len(chart.series) / 2) * bar_w
            count = series.values[g]
            y = bottom - count * scale
            canvas.rect(
                x, y, bar_w, count * scale, series.colour, ' stroke="#333333" stroke-width="0.5"'
            )
            canvas.lines(x + bar_w / 2, y - 14, [letter, number(count, 0)], 8.5)
        canvas.lines(
            centre, bottom + 6 + LABEL_SIZE, fit(group, group_w - 8, LABEL_SIZE), LABEL_SIZE
        )
    entries = [(s.label, s.colour, "s") for s in chart.series]
    return _legend(canvas, entries, bottom + 14 + 2 * LABEL_SIZE * 1.2) + 6


def heat(value: float, peak: float) -> str:
    """The colour of ``value`` on the Blues scale from 0 to ``peak``."""
    share = min(max(value / peak if peak > 0 else 0.0, 0.0), 1.0) * (len(BLUES) - 1)
    low = min(int(share), len(BLUES) - 2)
    frac = share - low
    a, b = BLUES[low], BLUES[low + 1]
    mixed = (
        round(int(a[i : i + 2], 16) * (1 - frac) + int(b[i : i + 2], 16) * frac) for i in (1, 3, 5)
    )
    return "#" + "".join(f"{c:02x}" for c in mixed)


def _coverage(chart: CoverageChart, canvas: Canvas) -> float:
    top = _title(canvas, chart.title) + 4
    row_h = 32.0
    left = 14 + max(text_width(o, LABEL_SIZE) for o in chart.objectives) + 8
    right = WIDTH - 90
    bottom = top + row_h * len(chart.objectives)
    col_w = (right - left) / max(len(chart.modules), 1)
    peak = max(chart.peak, 1)
    for r, (objective, values) in enumerate(zip(chart.objectives, chart.grid, strict=True)):
        y = top + r * row_h
        canvas.text(left - 7, y + row_h / 2 + LABEL_SIZE * 0.35, objective, LABEL_SIZE, "end")
        for c, value in enumerate(values):
            x = left + c * col_w
            canvas.rect(x, y, col_w, row_h, heat(value, peak))
            ink = "#ffffff" if value > chart.peak * 0.55 else "#111111"
            canvas.text(x + col_w / 2, y + row_h / 2 + 4, str(value), 10.5, "middle", ink)
    size = 8.5 if len(chart.modules) > 4 else SMALL_SIZE
    for c, module in enumerate(chart.modules):
        canvas.lines(
            left + (c + 0.5) * col_w, bottom + 6 + size, fit(module, col_w - 6, size), size
        )
    # The scale: a column of steps from 0 to the peak, with whole-number ticks.
    bar_x, bar_w, steps = right + 16, 12.0, 24
    step_h = (bottom - top) / steps
    for n in range(steps):
        canvas.rect(
            bar_x,
            bottom - (n + 1) * step_h,
            bar_w,
            step_h + 0.3,
            heat((n + 0.5) / steps * peak, peak),
        )
    for tick in ticks(peak, integer=True):
        y = bottom - tick / peak * (bottom - top)
        canvas.line(bar_x + bar_w, y, bar_x + bar_w + 3, y)
        canvas.text(bar_x + bar_w + 5, y + 3.3, number(tick, 0), SMALL_SIZE)
    canvas.text(
        WIDTH - 12, (top + bottom) / 2, chart.scale_label, SMALL_SIZE, "middle", rotate=True
    )
    return bottom + 12 + 2 * size * 1.2 + 8


DRAW = {
    TimelineChart: _timeline,
    LatencyChart: _latency,
    RatingsChart: _ratings,
    CoverageChart: _coverage,
}


def chart_svg(chart: Chart, attributes: str = "") -> str:
    """``chart`` as an SVG element; ``attributes`` (already escaped, starting with a space)
    are added to it, e.g. ``role`` and ``aria-labelledby`` where a caption names it."""
    canvas = Canvas()
    height = DRAW[type(chart)](chart, canvas)  # type: ignore[operator]
    return canvas.svg(height, chart.alt, attributes)
