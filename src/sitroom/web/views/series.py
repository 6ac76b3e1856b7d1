"""Series as the pages and the JSON API show them: plain dicts built from the folded state.

The JSON twin of each page returns exactly these dicts, so a page never shows something the
API does not (and the other way round). Nothing here decides; the rules live in
``sitroom.improvement``.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from markupsafe import Markup, escape

from sitroom.conduct.principal import Principal
from sitroom.conduct.visibility import is_admin
from sitroom.improvement.rules import ADMIN_ONLY, TRANSITIONS
from sitroom.improvement.state import (
    RUN_EVIDENCE,
    STATUSES,
    ActionState,
    SeriesState,
    Status,
)
from sitroom.improvement.trends import SEVERITY, Trends, due_soon, overdue
from sitroom.web.render import N_

STATUS_LABELS = {
    "open": N_("Not started"),
    "in-progress": N_("In progress"),
    "done": N_("Done"),
    "verified": N_("Verified"),
    "cancelled": N_("Cancelled"),
}
MOVE_LABELS = {
    "in-progress": N_("Start work"),
    "done": N_("Mark done"),
    "verified": N_("Verify"),
    "cancelled": N_("Cancel the action"),
}
REOPEN_LABEL = N_("Reopen")
ELEMENTS = (N_("Planning"), N_("Organization"), N_("Equipment"), N_("Training"), N_("Exercise"))
RATING_LABELS = {
    "P": N_("Performed without challenges"),
    "S": N_("Performed with some challenges"),
    "M": N_("Performed with major challenges"),
    "U": N_("Unable to be performed"),
}


def stamp(moment: datetime | None) -> str:
    """A recorded moment as ``YYYY-MM-DD HH:MM`` (UTC, as the log keeps it)."""
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def days_overdue(action: ActionState, today: date) -> int | None:
    """Whole days past the due date, for an action still open or in progress."""
    if not action.due or action.status not in (Status.OPEN, Status.IN_PROGRESS):
        return None
    late = (today - date.fromisoformat(action.due)).days
    return late if late > 0 else None


def counts(state: SeriesState, today: date) -> dict[str, int]:
    """Actions by status, and how many are overdue or due soon."""
    by_status = Counter(a.status.value for a in state.actions.values())
    found = {status: by_status.get(status, 0) for status in STATUSES}
    found["overdue"] = len(overdue(state, today))
    found["due_soon"] = len(due_soon(state, today))
    found["total"] = len(state.actions)
    return found


def action_summary(action: ActionState, today: date) -> dict[str, Any]:
    """An action as a row of a list."""
    return {
        "id": action.id,
        "series": action.series,
        "edition": action.edition,
        "capability": action.capability,
        "capability_name": action.capability_name or action.capability,
        "issue": action.issue,
        "action": action.action,
        "element": action.element,
        "organisation": action.organisation,
        "poc": action.poc,
        "start": action.start,
        "due": action.due,
        "status": action.status.value,
        "days_overdue": days_overdue(action, today),
        "recurring_of": list(action.recurring_of),
        "updated_at": action.updated_at.isoformat(),
        "updated_by": action.updated_by,
    }


def evidence_url(series_id: str, action_id: str, sha256: str) -> str:
    """Where an evidence file is downloaded from."""
    return (
        f"/api/series/{quote(series_id, safe='')}/actions/{quote(action_id, safe='')}"
        f"/evidence/{sha256}"
    )


def action_detail(
    action: ActionState, today: date, names: dict[str, str] | None = None
) -> dict[str, Any]:
    """An action with its source, history (who, when, what), evidence and re-tests."""
    names = names or {}

    def who(actor: str | None) -> str | None:
        return names.get(actor or "", actor)

    return {
        **action_summary(action, today),
        "finding": action.finding,
        "source_run": action.source_run,
        "source_id": action.source_id,
        "created_at": action.created_at.isoformat(),
        "created_by": action.created_by,
        "history": [
            {
                "seq": h.seq,
                "at": h.at.isoformat(),
                "when": stamp(h.at),
                "actor": h.actor,
                "actor_name": who(h.actor),
                "what": h.what,
            }
            for h in action.history
        ],
        "evidence": [
            {
                "name": e.name,
                "media_type": e.media_type,
                "size": e.size,
                "sha256": e.sha256,
                "note": e.note,
                "at": e.at.isoformat(),
                "when": stamp(e.at),
                "actor": e.actor,
                "actor_name": who(e.actor),
                # A verifying exercise's evidence is its AAR, not a stored file.
                "download": None
                if e.media_type == RUN_EVIDENCE
                else evidence_url(action.series, action.id, e.sha256),
            }
            for e in action.evidence
        ],
        "retests": [
            {
                "edition": r.edition,
                "run": r.run,
                "objective": r.objective,
                "outcome": r.outcome,
                "rating": r.rating,
            }
            for r in action.retests
        ],
    }


def moves(action: ActionState, principal: Principal) -> list[tuple[str, str]]:
    """Status changes the viewer may make by hand now: (status, button label)."""
    found = []
    for target in sorted(TRANSITIONS[action.status], key=lambda s: STATUSES.index(s.value)):
        if target in ADMIN_ONLY and not is_admin(principal):
            continue
        label = (
            REOPEN_LABEL
            if action.status == Status.DONE and target == Status.IN_PROGRESS
            else MOVE_LABELS[target.value]
        )
        found.append((target.value, label))
    return found


def trends_dict(found: Trends) -> dict[str, Any]:
    """The trends of a series as JSON."""
    return {
        "editions": list(found.editions),
        "capabilities": [
            {
                "capability": c.capability,
                "name": c.name,
                "ratings": [{"edition": e, "rating": r} for e, r in c.ratings],
            }
            for c in found.capabilities
        ],
        "recurring": [
            {
                "action": r.action,
                "edition": r.edition,
                "capability": r.capability,
                "issue": r.issue,
                "earlier": [{"action": a, "edition": e, "issue": i} for a, e, i in r.earlier],
            }
            for r in found.recurring
        ],
        "close_times": [
            {
                "edition": c.edition,
                "opened": c.opened,
                "closed": c.closed,
                "days": list(c.days),
                "median_days": c.median_days,
            }
            for c in found.close_times
        ],
        "median_days": found.median_days,
    }


def series_summary(state: SeriesState, today: date) -> dict[str, Any]:
    """A series as the list shows it: title, editions and counts."""
    return {
        "id": state.id,
        "title": state.title,
        "created_at": state.created_at.isoformat() if state.created_at else None,
        "editions": [
            {"edition": e.edition, "run": e.run}
            for e in sorted(state.editions.values(), key=lambda e: e.imported_seq)
        ],
        "counts": counts(state, today),
    }


def series_detail(state: SeriesState, today: date, found: Trends) -> dict[str, Any]:
    """A whole series: editions, actions, overdue and due soon, trends."""
    return {
        **series_summary(state, today),
        "editions": [
            {
                "edition": e.edition,
                "run": e.run,
                "report_hash": e.report_hash,
                "imported_at": e.imported_at.isoformat(),
            }
            for e in sorted(state.editions.values(), key=lambda e: e.imported_seq)
        ],
        "actions": [action_summary(a, today) for a in state.actions.values()],
        "overdue": [a.id for a in overdue(state, today)],
        "due_soon": [a.id for a in due_soon(state, today)],
        "trends": trends_dict(found),
    }


CHART_W, PLOT_H, PAD_L, PAD_R, PAD_T, AXIS_H, LEGEND_ROW = 520, 150, 40, 24, 14, 26, 18
LINE_COLOURS = ("#0b5cad", "#9a3412", "#1a7f37", "#5b2a86", "#4a5561", "#b35900")


def ratings_chart(found: Trends, title: str) -> Markup:
    """A small line chart of each capability's worst rating by edition, drawn on the server.

    The table next to it says the same in words; the chart only shows the direction at a
    glance, so it is one image with a title. The legend sits under the plot, one capability
    a row, and points of capabilities that share a rating are set a little apart.
    """
    editions = found.editions
    if not editions or not found.capabilities:
        return Markup("")
    height = PAD_T + PLOT_H + AXIS_H + 10 + LEGEND_ROW * len(found.capabilities) + 10
    width = CHART_W - PAD_L - PAD_R
    step = width / max(len(editions) - 1, 1)
    band = PLOT_H / 3
    spread = 10

    def x(i: int, n: float) -> float:
        centre = PAD_L + (i * step if len(editions) > 1 else width / 2)
        offset = (n - (len(found.capabilities) - 1) / 2) * spread
        return centre + offset

    def y(rating: str) -> float:
        return PAD_T + SEVERITY[rating] * band

    parts = [
        f'<svg class="ratings-chart" viewBox="0 0 {CHART_W} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for rating in ("P", "S", "M", "U"):
        parts.append(
            f'<line x1="{PAD_L - 10}" x2="{CHART_W - 6}" y1="{y(rating):.1f}" y2="{y(rating):.1f}"'
            ' stroke="#c9d1d9" stroke-width="1"/>'
            f'<text x="{PAD_L - 16}" y="{y(rating) + 4:.1f}" text-anchor="end" font-size="13"'
            f' font-weight="700" fill="#1b1f24">{rating}</text>'
        )
    axis_y = PAD_T + PLOT_H + 18
    for i, edition in enumerate(editions):
        parts.append(
            f'<text x="{x(i, (len(found.capabilities) - 1) / 2):.1f}" y="{axis_y}"'
            f' text-anchor="middle" font-size="13" fill="#1b1f24">{escape(edition)}</text>'
        )
    for n, capability in enumerate(found.capabilities):
        colour = LINE_COLOURS[n % len(LINE_COLOURS)]
        points = [
            (x(i, n), y(rating))
            for i, (_edition, rating) in enumerate(capability.ratings)
            if rating in SEVERITY
        ]
        if len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        for px, py in points:
            parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="5" fill="{colour}"/>')
        row = axis_y + 10 + (n + 1) * LEGEND_ROW
        parts.append(
            f'<circle cx="{PAD_L - 10}" cy="{row - 4}" r="5" fill="{colour}"/>'
            f'<text x="{PAD_L}" y="{row}" font-size="13" fill="#1b1f24">'
            f"{escape(capability.name[:60])}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
