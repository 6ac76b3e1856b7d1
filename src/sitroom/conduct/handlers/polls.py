"""Polls: control opens and closes them; players vote while one is open.

Closing a poll records its results in the event, so the record keeps what the room saw.
"""

from __future__ import annotations

from sitroom.conduct import commands as cmd
from sitroom.conduct import events as ev
from sitroom.conduct.handlers.checks import (
    Context,
    Rejected,
    check_control,
    check_live,
    check_player,
)
from sitroom.conduct.principal import Principal
from sitroom.conduct.state import PollState, RunState
from sitroom.conduct.visibility import can_see_poll
from sitroom.conduct.wording import lazy


def _poll(state: RunState, principal: Principal, poll_id: str) -> PollState:
    """The state of a poll control may open or close."""
    check_control(principal)
    check_live(state)
    if poll_id not in state.polls:
        raise Rejected(lazy("no poll '%(poll)s'", poll=poll_id), field="poll")
    return state.polls[poll_id]


def open_poll(
    state: RunState, command: cmd.OpenPoll, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """Let players vote."""
    if _poll(state, principal, command.poll).open:
        raise Rejected(lazy("poll '%(poll)s' is already open", poll=command.poll), status=409)
    return [ev.PollOpened(poll=command.poll)]


def close_poll(
    state: RunState, command: cmd.ClosePoll, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """Stop the vote and record its results."""
    poll_state = _poll(state, principal, command.poll)
    if not poll_state.open:
        raise Rejected(lazy("poll '%(poll)s' is not open", poll=command.poll), status=409)
    return [
        ev.PollClosed(
            poll=command.poll,
            results=poll_state.results(),
            votes=len(poll_state.votes),
            mean_confidence=poll_state.mean_confidence(),
        )
    ]


def cast_vote(
    state: RunState, command: cmd.CastVote, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """A player's choice in an open poll their team can see, with their confidence."""
    check_player(principal)
    check_live(state)
    package, poll_id, options = state.package, command.poll, command.options
    poll = next((p for m in package.modules for p in m.polls if p.id == poll_id), None)
    if poll is None or not can_see_poll(principal, package, poll):
        raise Rejected(
            lazy("no poll '%(poll)s' for your team", poll=poll_id), field="poll", status=404
        )
    if not state.polls[poll_id].open:
        raise Rejected(lazy("poll '%(poll)s' is not open", poll=poll_id), status=409)
    valid = [o.id for o in poll.options]
    if not options:
        raise Rejected(lazy("choose an option"), field="options")
    for option in options:
        if option not in valid:
            raise Rejected(
                lazy(
                    "unknown option '%(option)s'; options: %(known)s",
                    option=option,
                    known=", ".join(valid),
                ),
                field="options",
            )
    if len(options) > 1 and not poll.multiple:
        raise Rejected(lazy("this poll takes one option"), field="options")
    confidence = command.confidence
    if confidence is not None and not 1 <= confidence <= 5:
        raise Rejected(lazy("confidence is 1 (low) to 5 (high)"), field="confidence")
    return [
        ev.PollVoteCast(
            poll=poll_id,
            voter=principal.id,
            team=principal.team,
            party=principal.party,
            options=tuple(dict.fromkeys(options)),
            confidence=confidence,
        )
    ]
