"""What players write during play: responses to injects and discussion questions, and the
team's own notes.

A player answers only what the gate shows their team; anything else is 404, not 403, so a
reference gives nothing away.
"""

from __future__ import annotations

from sitroom.conduct import commands as cmd
from sitroom.conduct import events as ev
from sitroom.conduct.handlers.checks import (
    Context,
    Rejected,
    check_live,
    check_player,
    clean_text,
)
from sitroom.conduct.principal import Principal
from sitroom.conduct.state import InjectStatus, RunState
from sitroom.conduct.visibility import can_see_inject, can_see_question
from sitroom.conduct.wording import lazy


def submit_response(
    state: RunState, command: cmd.SubmitResponse, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """A team's answer to a released inject or a discussion question it can see."""
    team = check_player(principal)
    check_live(state)
    package, target, ref = state.package, command.target, command.ref
    if target == "inject":
        inject = package.inject(ref)
        if (
            inject is None
            or state.injects[ref].status == InjectStatus.PLANNED
            or not can_see_inject(principal, package, inject)
        ):
            raise Rejected(
                lazy("no released inject '%(ref)s' for your team", ref=ref), field="ref", status=404
            )
    elif target == "question":
        question = next((q for m in package.modules for q in m.questions if q.id == ref), None)
        if question is None or not can_see_question(principal, package, question):
            raise Rejected(
                lazy("no discussion question '%(ref)s' for your team", ref=ref),
                field="ref",
                status=404,
            )
    else:
        raise Rejected(lazy("target must be 'inject' or 'question'"), field="target")
    return [
        ev.ResponseSubmitted(
            id=ctx.new_id,
            target=target,
            ref=ref,
            team=team,
            party=principal.party,
            author=principal.id,
            text=clean_text(command.text, "text"),
        )
    ]


def add_team_note(
    state: RunState, command: cmd.AddTeamNote, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """A note only the player's own team (and control) reads."""
    team = check_player(principal)
    check_live(state)
    return [
        ev.TeamNoteAdded(
            id=ctx.new_id, team=team, author=principal.id, text=clean_text(command.text, "text")
        )
    ]
