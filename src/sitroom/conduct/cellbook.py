"""What a run's state keeps of its simulated cells: control's modes and the held actions."""

from __future__ import annotations

from sitroom.conduct import events as ev


def fold_cells(modes: dict[str, str], held: dict[str, ev.CellActionHeld], event: ev.Event) -> None:
    """Fold one cell event (others are left alone) into ``modes`` and ``held``."""
    match event:
        case ev.CellActionHeld():
            held[event.id] = event
        case ev.CellActionReleased(id=done) | ev.CellActionDiscarded(id=done):
            held.pop(done, None)
        case ev.CellModeSet(team=team, mode=mode):
            modes[team] = mode
