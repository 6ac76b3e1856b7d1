"""Simulated cells: a team played by software acts through ``CellAct``, and control oversees it.

A cell is a player principal whose id is ``cell:<team>``. Its action is decided like the same
command from a person of the team (the inner command's own handler), and recorded with a
``cell-acted`` event that carries its trace (provider, model, prompt hash, temperature, seed,
latency, tokens) for control. The run, not the cell, applies control's settings:

- a cell in ``approval`` mode, or a move the escalation guard stops, is *held*
  (``cell-action-held``) until control releases it (edited or not) or discards it;
- a ``paused`` cell, or one control has taken over (``manual``), is refused.

The escalation guard: where the package ranks a poll's options, a cell's vote above the
ranking's ceiling, or more than ``steps`` above the highest option people chose, is held.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sitroom.conduct import commands as cmd
from sitroom.conduct import events as ev
from sitroom.conduct import gamecommands as gcmd
from sitroom.conduct.handlers import decisions, discussion, game, injects, polls, threads
from sitroom.conduct.handlers.checks import (
    MAX_SHORT,
    Context,
    Rejected,
    check_control,
    check_live,
    check_player,
    clean_text,
)
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.state import RunState
from sitroom.conduct.visibility import ORGANISATION_CELL

CELL_PREFIX = "cell:"
"""Principal ids of simulated cells: ``cell:<team>``."""
ACTIONS: dict[str, type[cmd.Command]] = {
    "acknowledge-inject": cmd.AcknowledgeInject,
    "submit-response": cmd.SubmitResponse,
    "propose-decision": cmd.ProposeDecision,
    "answer-decision": cmd.AnswerDecision,
    "cast-vote": cmd.CastVote,
    "submit-argument": gcmd.SubmitArgument,  # a matrix game's turn
}
"""What a cell may do, by wire name."""
NAMES = {kind: name for name, kind in ACTIONS.items()}
EDITABLE = {
    "submit-response": "text",
    "propose-decision": "text",
    "answer-decision": "reasons",
    "submit-argument": "action",
}
"""The text control may edit before releasing a held action."""
MAX_TRACE = 4_000


def cell_principal(team: str, party: str | None, name: str = "") -> Principal:
    """The principal a cell of ``team`` acts as (a player of the team, nothing more)."""
    return Principal(
        id=f"{CELL_PREFIX}{team}", role=Role.PLAYER, name=name or team, team=team, party=party
    )


def is_cell(principal_id: str | None) -> bool:
    """True for the id of a simulated cell."""
    return bool(principal_id) and str(principal_id).startswith(CELL_PREFIX)


def cell_mode(state: RunState, team: str) -> str:
    """The cell's mode now: control's last word, else the package's."""
    if team in state.cell_modes:
        return state.cell_modes[team]
    cell = state.package.cell(team)
    return str(cell.mode) if cell is not None else "autonomous"


def to_data(command: cmd.Command) -> dict[str, Any]:
    """A cell command as JSON-ready data (kept in a held action)."""
    return {f.name: _plain(getattr(command, f.name)) for f in dataclasses.fields(command)}


def _plain(value: Any) -> Any:
    return [_plain(v) for v in value] if isinstance(value, tuple | list) else value


def from_data(action: str, data: dict[str, Any]) -> cmd.Command:
    """The command a held action stands for."""
    kind = ACTIONS[action]
    names = {f.name for f in dataclasses.fields(kind)}
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names}
    return kind(**kwargs)


INNER: dict[type[cmd.Command], Any] = {
    cmd.AcknowledgeInject: injects.acknowledge_inject,
    cmd.SubmitResponse: discussion.submit_response,
    cmd.ProposeDecision: decisions.propose_decision,
    cmd.AnswerDecision: decisions.answer_decision,
    cmd.CastVote: polls.cast_vote,
    gcmd.SubmitArgument: game.submit_argument,
}
"""The handler of each command a cell may send: the same as for a person."""


def _decide(
    state: RunState, command: cmd.Command, principal: Principal, ctx: Context
) -> list[ev.Event]:
    events: list[ev.Event] = INNER[type(command)](state, command, principal, ctx)
    return events


def guard(state: RunState, command: cmd.Command) -> str:
    """Why the escalation guard stops ``command`` ("" when it does not)."""
    if not isinstance(command, cmd.CastVote):
        return ""
    ranking = next((r for r in state.package.escalation if r.poll == command.poll), None)
    if ranking is None:
        return ""
    order = list(ranking.order)
    ranks = [order.index(o) for o in command.options if o in order]
    if not ranks:
        return ""
    rank = max(ranks)
    if ranking.ceiling is not None and rank > order.index(ranking.ceiling):
        return f"above the ceiling '{ranking.ceiling}'"
    poll = state.polls.get(command.poll)
    people = [
        order.index(o)
        for vote in (poll.votes.values() if poll else ())
        if not is_cell(vote.voter)
        for o in vote.options
        if o in order
    ]
    if people and rank > max(people) + ranking.steps:
        return f"more than {ranking.steps} step(s) above the people's '{order[max(people)]}'"
    return ""


def cell_act(
    state: RunState, command: cmd.CellAct, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """A cell's action: recorded, held for control, or refused (see the module's docstring)."""
    if principal.id.startswith(ORGANISATION_CELL):
        return _organisation_act(state, command, principal, ctx)
    team = check_player(principal)
    if principal.id != f"{CELL_PREFIX}{team}":
        raise Rejected("only a simulated cell acts through CellAct", status=403)
    check_live(state)
    trace = dict(command.trace)
    if len(repr(trace)) > MAX_TRACE:
        raise Rejected(f"a trace is at most {MAX_TRACE} characters", field="trace")
    note = clean_text(command.note, "note", required=False)[:MAX_SHORT]
    mode = cell_mode(state, team)
    if mode in ("paused", "manual"):
        what = "paused" if mode == "paused" else "taken over by control"
        raise Rejected(f"the cell of team '{team}' is {what}", status=409)
    inner = command.command
    if inner is None:
        return [ev.CellActed(principal.id, team, "none", trace, note=note)]
    action = NAMES.get(type(inner))
    if action is None:
        raise Rejected(f"a cell cannot {type(inner).__name__}", field="command")
    events = _decide(state, inner, principal, ctx)  # refused here if a person could not do it
    stopped = guard(state, inner)
    if mode == "approval" or stopped:
        return [
            ev.CellActionHeld(
                id=ctx.new_id,
                cell=principal.id,
                team=team,
                party=principal.party,
                action=action,
                command=to_data(inner),
                trace=trace,
                reason="escalation" if stopped else "approval",
                note=stopped or note,
            )
        ]
    return [*events, ev.CellActed(principal.id, team, action, trace, note=note)]


def _organisation_act(
    state: RunState, command: cmd.CellAct, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """A model-played organisation answers in a thread (or records no action), with its
    trace; the thread handler checks the thread is the organisation's."""
    check_live(state)
    trace = dict(command.trace)
    if len(repr(trace)) > MAX_TRACE:
        raise Rejected(f"a trace is at most {MAX_TRACE} characters", field="trace")
    note = clean_text(command.note, "note", required=False)[:MAX_SHORT]
    inner = command.command
    if inner is None:
        return [ev.CellActed(principal.id, "", "none", trace, note=note)]
    if not isinstance(inner, cmd.PostInThread):
        raise Rejected(f"an organisation cannot {type(inner).__name__}", field="command")
    events = threads.post_in_thread(state, inner, principal, ctx)
    return [*events, ev.CellActed(principal.id, "", "post-in-thread", trace, note=note)]


def set_cell_mode(
    state: RunState, command: cmd.SetCellMode, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """Control sets how a cell acts."""
    check_control(principal)
    if state.package.cell(command.team) is None and command.team not in state.cell_modes:
        team = state.package.team(command.team)
        if team is None:
            raise Rejected(f"unknown team '{command.team}'", field="team", status=404)
    if command.mode not in cmd.CELL_MODES:
        raise Rejected("mode must be one of " + ", ".join(cmd.CELL_MODES), field="mode")
    return [ev.CellModeSet(command.team, command.mode, principal.id)]


def release_cell_action(
    state: RunState, command: cmd.ReleaseCellAction, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """Control releases a held action: the cell's command is decided now, as the cell."""
    check_control(principal)
    held = state.cell_held.get(command.id)
    if held is None:
        raise Rejected(f"no held cell action '{command.id}'", field="id", status=404)
    data = dict(held.command)
    edited = command.text is not None and command.text != data.get(EDITABLE.get(held.action, ""))
    if command.text is not None:
        name = EDITABLE.get(held.action)
        if name is None:
            raise Rejected(f"a held {held.action} has no text to edit", field="text")
        data[name] = command.text
    cell = cell_principal(held.team, held.party)
    inner = _decide(state, from_data(held.action, data), cell, ctx)
    return [
        ev.CellActionReleased(command.id, principal.id, edited),
        *inner,
        ev.CellActed(held.cell, held.team, held.action, dict(held.trace), held=command.id),
    ]


def discard_cell_action(
    state: RunState, command: cmd.DiscardCellAction, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """Control drops a held action; the cell's trace stays in the record."""
    check_control(principal)
    if command.id not in state.cell_held:
        raise Rejected(f"no held cell action '{command.id}'", field="id", status=404)
    reason = clean_text(command.reason, "reason", required=False)[:MAX_SHORT]
    return [ev.CellActionDiscarded(command.id, principal.id, reason)]
