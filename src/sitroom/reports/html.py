"""The AAR/IP as one standalone HTML file (HSEEP structure), the source of the PDF as well.

Everything is in the file: the stylesheet inline, the charts as inline SVG, no fonts, scripts
or images fetched from anywhere, so it can be mailed, archived or opened air-gapped. Jinja
autoescaping is on; what people typed reaches the page only escaped, and analysis Markdown
only through ``render_markdown`` (which sanitises). Package text is shown in ``lang`` with
the exercise's other languages as fallbacks; the report's own words come from the
``reports`` gettext domain.

The print rules (``@page`` margin boxes with the marking banner, the EXERCISE mark, the
DRAFT label and page numbers on every page) live in the same stylesheet, so the PDF is this
HTML given to WeasyPrint.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, partial
from pathlib import Path
from typing import Any

import jinja2
from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from markupsafe import Markup

from sitroom.package.markdown import render_markdown
from sitroom.package.marking import EXERCISE_MARK
from sitroom.package.model import text_in
from sitroom.reports.chartdata import CHART_NAMES, chart_data, chart_title
from sitroom.reports.i18n import (
    CONCURRENCE_STATUS,
    EVIDENCE_KINDS,
    EXERCISE_TYPES,
    FINDING_KINDS,
    IP_HEADERS,
    MISSION_AREAS,
    N_,
    RATING_DEFINITIONS,
    RATING_GROUPS,
    RATING_NAMES,
    RATINGS,
    RETEST_OUTCOMES,
    TIMELINE_KINDS,
    report_translations,
)
from sitroom.reports.model import (
    EvidenceItem,
    FindingItem,
    Report,
    ReportModel,
    Text,
    TimelineItem,
)
from sitroom.reports.svgchart import chart_svg

TEMPLATES = Path(__file__).resolve().parent / "templates"
EVIDENCE_CAP = 50
"""Most evidence items listed under one finding; the rest are counted ("… and N more")."""
PRINT_ROWS = 30
"""Most rows of the key-event and concurrence tables in print (the PDF): WeasyPrint lays out
and writes a page in about a tenth of a second, and a long run's 1,000 timeline rows would add
50 pages. These tables are supporting detail, not parts of the AAR/IP (its overview, Table 1,
findings, improvement plan and participants are printed whole); the PDF says how many more
rows the HTML report lists."""
PRINT_EVIDENCE = 10
"""Most evidence items under one finding in the PDF (the Word document lists 20, the HTML
report ``EVIDENCE_CAP``); the rest are counted ("… and N more"). A drafted analysis already
quotes the first twelve pieces of evidence above the table: at 20 rows a three-day run's
findings filled seventeen of the PDF's thirty-six pages, most of it twice."""
ESSENTIAL_EVENTS = frozenset(
    {"startex", "pause", "resume", "endex", "inject", "poll", "milestone", "branch"}
)
TEAM_KINDS = {
    "players": N_("Players"),
    "control": N_("Control"),
    "simulation": N_("Simulation"),
    "evaluators": N_("Evaluators"),
    "observers": N_("Observers"),
}
PAGE_NUMBER = N_("Page %(page)s of %(pages)s")
_PLACEHOLDER = re.compile(r"%\((page|pages)\)s")


@cache
def _environment(lang: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.install_gettext_translations(report_translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return env


def _babel_locale(lang: str) -> str:
    try:
        return str(Locale.parse(lang.replace("-", "_")))
    except (UnknownLocaleError, ValueError):
        return "en"


def css_string(text: str) -> str:
    """``text`` as a CSS string literal that can close neither the string nor the style block."""
    safe = " /-.,:·()+"
    return '"' + "".join(c if c.isalnum() or c in safe else f"\\{ord(c):x} " for c in text) + '"'


def page_rules(marking: str, status_label: str | None, page_text: str) -> Markup:
    """The ``@page`` margin boxes: banner top and bottom, the status, page N of M.

    Built here rather than in the template because the texts must be CSS-escaped, which
    Jinja's HTML autoescaping does not do.
    """
    banner = css_string(f"{marking} · {EXERCISE_MARK}")
    parts: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(page_text):
        if match.start() > position:
            parts.append(css_string(page_text[position : match.start()]))
        parts.append(f"counter({match.group(1)})")
        position = match.end()
    if position < len(page_text):
        parts.append(css_string(page_text[position:]))
    status = css_string(status_label) if status_label else '""'
    pages = " ".join(parts)
    rules = (
        f"@page {{ @top-center {{ content: {banner}; }} @bottom-center {{ content: {banner}; }}"
        f" @top-right {{ content: {status}; }} @bottom-right {{ content: {pages}; }} }}"
    )
    # Safe as markup: every text in it went through css_string.
    return Markup(rules)


def chart_markup(model: ReportModel, lang: str) -> dict[str, Markup]:
    """Every chart the report has data for as inline SVG, ``role="img"`` named by its
    caption (``caption-<name>``), its ``<title>`` giving the numbers."""
    charts = {}
    for name in CHART_NAMES:
        chart = chart_data(model, name, lang)
        if chart is not None:
            attributes = f' class="chart-svg" aria-labelledby="caption-{name}"'
            charts[name] = Markup(chart_svg(chart, attributes))  # every text in it escaped
    return charts


@cache
def _stylesheet(for_print: bool = False) -> Markup:
    # Our own files, not user input; cached because every report needs them. The PDF adds
    # its own rules (aar-print.css: fixed table layouts) after the shared ones.
    text = (TEMPLATES / "aar.css").read_text(encoding="utf-8")
    if for_print:
        text += "\n" + (TEMPLATES / "aar-print.css").read_text(encoding="utf-8")
    return Markup(text)


@dataclass(frozen=True, slots=True)
class TeamLatency:
    team: str
    name: str
    answered: int
    injects: int
    median: float | None
    longest: float | None
    median_decision: float | None


def latency_by_team(model: ReportModel, lang: str) -> list[TeamLatency]:
    """Minutes to first response per team: the numbers behind the latency chart."""
    grouped: dict[str, list[Any]] = {}
    for row in model.latencies:
        grouped.setdefault(row.team, []).append(row)
    result = []
    for team, rows in grouped.items():
        responses = [r.response_seconds / 60 for r in rows if r.response_seconds is not None]
        decisions = [r.decision_seconds / 60 for r in rows if r.decision_seconds is not None]
        result.append(
            TeamLatency(
                team=team,
                name=text_in(dict(rows[0].team_name), lang, model.languages) or team,
                answered=len(responses),
                injects=len(rows),
                median=statistics.median(responses) if responses else None,
                longest=max(responses) if responses else None,
                median_decision=statistics.median(decisions) if decisions else None,
            )
        )
    return sorted(result, key=lambda r: r.name)


def capped(
    evidence: Sequence[EvidenceItem], cap: int = EVIDENCE_CAP
) -> tuple[Sequence[EvidenceItem], int]:
    """The evidence to list under a finding, and how many more there are."""
    return evidence[:cap], max(0, len(evidence) - cap)


def key_events(
    timeline: Sequence[TimelineItem], cap: int | None
) -> tuple[Sequence[TimelineItem], int]:
    """The timeline rows to list, and how many are left out.

    Within ``cap`` (the printed report), STARTEX, ENDEX, pauses, injects and polls are always
    listed; module openings, decisions and concurrences fill the rest in order (every
    decision is also in the concurrence table, and the HTML report lists them all).
    """
    if cap is None or len(timeline) <= cap:
        return timeline, 0
    essential = {i.seq for i in timeline if i.kind in ESSENTIAL_EVENTS}
    room = max(0, cap - len(essential))
    rest = [i.seq for i in timeline if i.seq not in essential][:room]
    keep = essential | set(rest)
    shown = [i for i in timeline if i.seq in keep]
    return shown, len(timeline) - len(shown)


class _View:
    """Formatting helpers the template calls, bound to one language."""

    def __init__(self, model: ReportModel, lang: str) -> None:
        self.model = model
        self.lang = lang
        self.locale = _babel_locale(lang)
        self.gettext: Callable[[str], str] = report_translations(lang).gettext
        self.parties = {p.id: p for p in model.participants}

    def t(self, text: Text | None) -> str:
        """Package text in the report's language."""
        return text_in(dict(text) if text else None, self.lang, self.model.languages)

    def title(self, finding: FindingItem) -> str:
        """A finding's title in the report's language (a drafted one is written in each)."""
        return finding.text_in(self.lang)[0]

    def analysis(self, finding: FindingItem) -> str:
        """A finding's analysis (Markdown) in the report's language."""
        return finding.text_in(self.lang)[1]

    def md(self, text: str | None) -> Markup:
        """Markdown typed by an evaluator or planner, sanitised."""
        return Markup(render_markdown(text or ""))  # render_markdown sanitises

    def when(self, iso: str | None) -> str:
        """An instant as date and time (UTC), as the record keeps it."""
        if not iso:
            return self.gettext("Not recorded")
        moment = datetime.fromisoformat(iso)
        return format_datetime(moment, "yyyy-MM-dd HH:mm z", tzinfo=moment.tzinfo, locale="en")

    def hhmm(self, iso: str | None) -> str:
        """Wall-clock time of an event (the day is on the cover)."""
        if not iso:
            return ""
        return datetime.fromisoformat(iso).strftime("%H:%M:%S")

    def day(self, iso: str | None) -> str:
        """A date in the report's language."""
        if not iso:
            return self.gettext("Not recorded")
        return format_date(date.fromisoformat(iso[:10]), "long", locale=self.locale)

    def dates(self, dates: tuple[str, str | None] | None) -> str:
        """The exercise dates, "first – last"."""
        if not dates:
            return self.gettext("Not recorded")
        first, last = dates
        if not last or last == first:
            return self.day(first)
        return f"{self.day(first)} – {self.day(last)}"

    def clock(self, seconds: float | None) -> str:
        """Active exercise time as H:MM:SS."""
        if seconds is None:
            return "—"
        whole = round(seconds)
        return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"

    def minutes(self, value: float | None, *, seconds: bool = False) -> str:
        """Minutes with one decimal (``seconds=True``: ``value`` is in seconds)."""
        if value is None:
            return "—"
        return f"{value / 60 if seconds else value:.1f}"

    def pct(self, share: float | None) -> str:
        """A share (0–1) as a percentage."""
        return "—" if share is None else f"{share * 100:.0f}%"

    def team(self, team: str | None) -> str:
        """A team's name."""
        if not team:
            return ""
        return self.t(self.model.teams.get(team)) or team

    def party(self, party: str | None) -> str:
        """A party's name."""
        if not party:
            return ""
        row = self.parties.get(party)
        return (self.t(row.name) if row else "") or party

    def who(self, team: str | None, party: str | None) -> str:
        """ "Team (party)", or whichever of the two is known."""
        names = [n for n in (self.team(team), self.party(party)) if n]
        if len(names) == 2:
            return f"{names[0]} ({names[1]})"
        return names[0] if names else ""

    def kind(self, kind: str, table: Mapping[str, str]) -> str:
        """A translated label for a code, or the code itself."""
        return self.gettext(table[kind]) if kind in table else kind


def _scope(model: ReportModel, view: _View) -> str:
    _ = view.gettext
    names = [view.t(n) for n in model.party_names] or list(model.parties)
    if not model.parties:
        return _("Complete report — exercise staff")
    if len(model.parties) == 1:
        return _("AAR for %(name)s") % {"name": names[0]}
    return _("Joint AAR: %(names)s") % {"names": ", ".join(names)}


def _all_findings(model: ReportModel) -> Iterable[FindingItem]:
    for capability in model.capabilities:
        yield from capability.strengths
        yield from capability.improvements
    yield from model.general


def render_html(report: Report, lang: str, *, for_print: bool = False) -> str:
    """The AAR/IP of ``report`` as a standalone HTML document in ``lang``.

    ``for_print`` (the PDF) shortens the longest tables to ``PRINT_ROWS`` rows, saying how
    many rows the HTML report has beyond them.
    """
    model = report.model
    cap = PRINT_ROWS if for_print else None
    view = _View(model, lang)
    _ = view.gettext
    status_label = _("FINAL") if report.final else _("DRAFT")
    # Plain SVG with real text, for the screen and for print alike: WeasyPrint lays it out
    # in a few milliseconds (matplotlib's glyph paths cost it seconds).
    charts = chart_markup(model, lang)
    findings = list(_all_findings(model))
    context = {
        "report": report,
        "model": model,
        "ov": model.overview,
        "v": view,
        "lang": lang,
        "title": view.t(model.overview.name) or model.run_id,
        "scope": _scope(model, view),
        "status_label": status_label,
        "exercise_mark": EXERCISE_MARK,
        "page_rules": page_rules(
            model.marking, None if report.final else status_label, _(PAGE_NUMBER)
        ),
        "charts": charts,
        "chart_titles": {name: chart_title(name, lang) for name in charts},
        "strengths": [f for f in findings if f.kind == "strength"],
        "improvements": [f for f in findings if f.kind == "improvement"],
        "latency": latency_by_team(model, lang),
        "key_events": key_events(model.timeline, cap),
        "concurrence": (
            model.concurrence[:cap] if cap else model.concurrence,
            max(0, len(model.concurrence) - cap) if cap else 0,
        ),
        "capped": partial(capped, cap=PRINT_EVIDENCE) if for_print else capped,
        "ratings": RATINGS,
        "rating_names": RATING_NAMES,
        "rating_definitions": RATING_DEFINITIONS,
        "rating_groups": RATING_GROUPS,
        "ip_headers": IP_HEADERS,
        "evidence_kinds": EVIDENCE_KINDS,
        "timeline_kinds": TIMELINE_KINDS,
        "finding_kinds": FINDING_KINDS,
        "mission_areas": MISSION_AREAS,
        "exercise_types": EXERCISE_TYPES,
        "concurrence_status": CONCURRENCE_STATUS,
        "retest_outcomes": RETEST_OUTCOMES,
        "team_kinds": TEAM_KINDS,
        "stylesheet": _stylesheet(for_print),
    }
    return _environment(lang).get_template("aar.html").render(context)
