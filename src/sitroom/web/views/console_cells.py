"""The console's cells panel: each simulated cell, its mode, and the actions it holds for
control's release (read model; the routes are in ``web/pages/console_cells.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sitroom.conduct.commands import CELL_MODES
from sitroom.conduct.handlers.cells import EDITABLE, cell_mode
from sitroom.conduct.state import RunState
from sitroom.package.model import text_in
from sitroom.web.render import N_

CELL_EVENTS = (
    "run-started",
    "run-ended",
    "cell-action-held",
    "cell-action-released",
    "cell-action-discarded",
    "cell-mode-set",
)
"""The run events that change the cells panel."""
MODE_LABELS = {
    "autonomous": N_("Autonomous"),
    "approval": N_("Approval"),
    "paused": N_("Paused"),
    "manual": N_("Taken over"),
}
ACTION_LABELS = {
    "acknowledge-inject": N_("Acknowledge inject"),
    "submit-response": N_("Response"),
    "propose-decision": N_("Propose decision"),
    "answer-decision": N_("Answer decision"),
    "cast-vote": N_("Vote"),
    "submit-argument": N_("Matrix-game argument"),
}


@dataclass(frozen=True, slots=True)
class HeldRow:
    id: str
    action: str
    summary: str
    reason: str
    note: str
    editable: str  # the text control may edit ("" : nothing to edit)
    model: str


@dataclass(frozen=True, slots=True)
class CellRow:
    team: str
    name: str
    mode: str
    held: list[HeldRow]


def _summary(action: str, data: dict[str, Any]) -> str:
    match action:
        case "acknowledge-inject":
            return str(data.get("number", ""))
        case "submit-response":
            return f"{data.get('ref', '')}: {data.get('text', '')}"
        case "propose-decision":
            joint = ", ".join(data.get("joint_with") or ())
            return f"{data.get('title', '')} — {data.get('text', '')}" + (
                f" ({joint})" if joint else ""
            )
        case "answer-decision":
            return ("✓ " if data.get("concur") else "✗ ") + str(data.get("reasons", ""))
        case "cast-vote":
            return f"{data.get('poll', '')}: {', '.join(data.get('options') or ())}"
    return ""


def cell_rows(state: RunState, lang: str) -> list[CellRow]:
    """Every cell of the run (in the package, or given a mode by control), with its holds."""
    package = state.package
    teams = list(dict.fromkeys(package.cell_teams() + list(state.cell_modes)))
    rows = []
    for team_id in teams:
        team = package.team(team_id)
        held = [
            HeldRow(
                id=h.id,
                action=h.action,
                summary=_summary(h.action, h.command),
                reason=h.reason,
                note=h.note,
                editable=str(h.command.get(EDITABLE.get(h.action, ""), "")),
                model=str(h.trace.get("model") or h.trace.get("provider") or ""),
            )
            for h in state.cell_held.values()
            if h.team == team_id
        ]
        name = text_in(team.name, lang, package.exercise.languages) if team else team_id
        rows.append(CellRow(team_id, name, cell_mode(state, team_id), held))
    return rows


__all__ = ["ACTION_LABELS", "CELL_EVENTS", "CELL_MODES", "MODE_LABELS", "CellRow", "cell_rows"]
