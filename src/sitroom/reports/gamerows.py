"""The complete AAR's matrix-game section: each turn, its arguments (secret ones marked, with
when they were revealed), counter-arguments, the adjudication (method, estimates, median,
roll and its seed, ruling) and the outcomes released. Control material: party AARs leave it
out, like the milestones."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sitroom.conduct.state import RunState

Text = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class GameArgumentRow:
    id: str
    actor: str
    actor_name: Text
    action: str
    result: str
    reasons: str
    secret: bool
    revealed_seq: int | None
    audience: tuple[str, ...]
    counters: tuple[str, ...]  # "actor: reasons" each ("umpire" for control's)
    method: str | None  # None: not adjudicated
    success: bool | None
    estimates: tuple[int, ...]
    probability: int | None
    seed: str | None
    roll: int | None
    ruling: str


@dataclass(frozen=True, slots=True)
class GameTurnRow:
    number: int
    title: Text
    opened_at: str | None
    closed_at: str | None
    arguments: tuple[GameArgumentRow, ...]
    outcomes: tuple[str, ...]


def game_turns(state: RunState) -> tuple[GameTurnRow, ...]:
    """Every turn of the package's game as the log played it (empty without a game)."""
    game = state.package.game
    if game is None:
        return ()
    record = state.game
    rows = []
    for turn in game.turns:
        opened = record.turns.get(turn.number)
        arguments = []
        for a in record.of_turn(turn.number):
            actor = game.actor(a.actor)
            j = a.adjudication
            arguments.append(
                GameArgumentRow(
                    a.id,
                    a.actor,
                    dict(actor.name) if actor else {"und": a.actor},
                    a.action,
                    a.result,
                    a.reasons,
                    a.secret,
                    a.revealed_seq,
                    a.audience,
                    tuple(f"{c.actor or 'umpire'}: {c.reasons}" for c in a.counters),
                    j.method if j else None,
                    j.success if j else None,
                    j.estimates if j else tuple(a.estimates.values()),
                    j.probability if j else None,
                    j.seed if j else None,
                    j.roll if j else None,
                    j.ruling if j else "",
                )
            )
        rows.append(
            GameTurnRow(
                turn.number,
                dict(turn.title),
                opened.opened_at.isoformat() if opened else None,
                opened.closed_at.isoformat() if opened and opened.closed_at else None,
                tuple(arguments),
                tuple(o.text for o in record.outcomes if o.turn == turn.number),
            )
        )
    return tuple(rows)
