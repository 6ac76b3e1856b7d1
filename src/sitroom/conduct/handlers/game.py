"""A matrix game's turns: control opens and closes turns, players state arguments, argue
against others' and estimate their chances, and control adjudicates, releases the outcome and
reveals secret arguments.

The estimative roll is decided here, from a seed derived from the run, the turn and the
argument (``conduct.game.roll_seed``); the event records the seed and the roll, and deciding
the same command in the same state gives the same event.
"""

from __future__ import annotations

from sitroom.conduct import events as ev
from sitroom.conduct import gamecommands as gcmd
from sitroom.conduct import gameevents as gev
from sitroom.conduct.eventbase import Event
from sitroom.conduct.game import Argument, median_probability, roll_from_seed, roll_seed
from sitroom.conduct.gamegate import can_see_game_item
from sitroom.conduct.handlers.checks import (
    MAX_TEXT,
    Context,
    Rejected,
    check_control,
    check_live,
    check_player,
)
from sitroom.conduct.principal import Principal
from sitroom.conduct.state import RunState
from sitroom.package.gamemodel import Adjudication, Game

METHODS = tuple(str(m) for m in Adjudication)


def _game(state: RunState) -> Game:
    if state.package.game is None:
        raise Rejected("this exercise has no matrix-game turns", field="game", status=404)
    return state.package.game


def _text(value: str, field: str, *, required: bool = True) -> str:
    text = value.strip()
    if required and not text:
        raise Rejected(f"{field} is empty; say it in a sentence or two", field=field)
    if len(text) > MAX_TEXT:
        raise Rejected(f"{field} is longer than {MAX_TEXT} characters", field=field)
    return text


def _open_turn(state: RunState) -> int:
    if state.game.current is None:
        raise Rejected("no turn is open", field="turn", status=409)
    return state.game.current


def _argument(state: RunState, argument_id: str, principal: Principal) -> Argument:
    """The argument, if the speaker may see it (else 404, as if there were none)."""
    argument = state.game.arguments.get(argument_id)
    if argument is None or not can_see_game_item(
        principal, state.package, argument.team, argument.audience, argument.hidden
    ):
        raise Rejected(f"no argument '{argument_id}'", field="argument", status=404)
    return argument


def open_turn(
    state: RunState, command: gcmd.OpenTurn, principal: Principal, ctx: Context
) -> list[Event]:
    check_control(principal)
    check_live(state)
    game = _game(state)
    turn = game.turn(command.turn)
    if turn is None:
        numbers = ", ".join(str(t.number) for t in game.turns)
        raise Rejected(f"no turn {command.turn}; the turns are {numbers}", field="turn")
    if command.turn in state.game.turns:
        raise Rejected(f"turn {command.turn} was opened before", field="turn", status=409)
    events: list[Event] = []
    if state.game.current is not None:
        events.append(gev.GameTurnClosed(turn=state.game.current, author=principal.id))
    if turn.module is not None and state.module != turn.module:
        events.append(ev.ModuleOpened(module=turn.module))  # the turn is played in its module
    events.append(gev.GameTurnOpened(turn=command.turn, author=principal.id))
    return events


def close_turn(
    state: RunState, command: gcmd.CloseTurn, principal: Principal, ctx: Context
) -> list[Event]:
    check_control(principal)
    check_live(state)
    _game(state)
    if state.game.current != command.turn:
        raise Rejected(f"turn {command.turn} is not open", field="turn", status=409)
    return [gev.GameTurnClosed(turn=command.turn, author=principal.id)]


def submit_argument(
    state: RunState, command: gcmd.SubmitArgument, principal: Principal, ctx: Context
) -> list[Event]:
    team = check_player(principal)
    check_live(state)
    game = _game(state)
    turn = _open_turn(state)
    mine = game.actors_of(team)
    if not mine:
        raise Rejected("your team plays no actor of this game", status=403)
    if command.actor is None:
        if len(mine) > 1:
            names = ", ".join(a.id for a in mine)
            raise Rejected(f"say which actor argues: {names}", field="actor")
        actor = mine[0]
    else:
        found = next((a for a in mine if a.id == command.actor), None)
        if found is None:
            names = ", ".join(a.id for a in mine)
            raise Rejected(
                f"your team does not play actor '{command.actor}'; it plays {names}", field="actor"
            )
        actor = found
    known = {a.id for a in game.actors}
    for other in command.audience:
        if other not in known:
            raise Rejected(
                f"unknown actor '{other}'; actors: {', '.join(sorted(known))}", field="audience"
            )
    if game.one_argument_per_turn and any(a.actor == actor.id for a in state.game.of_turn(turn)):
        raise Rejected(f"{actor.id} has stated its argument for turn {turn}", status=409)
    audience = tuple(dict.fromkeys(command.audience))
    if audience and actor.id not in audience:
        audience = (actor.id, *audience)
    return [
        gev.GameArgumentSubmitted(
            id=ctx.new_id,
            turn=turn,
            actor_id=actor.id,
            team=team,
            party=principal.party,
            author=principal.id,
            action=_text(command.action, "action"),
            result=_text(command.result, "result"),
            reasons=_text(command.reasons, "reasons"),
            audience=audience,
            secret=command.secret,
        )
    ]


def counter_argue(
    state: RunState, command: gcmd.CounterArgue, principal: Principal, ctx: Context
) -> list[Event]:
    check_live(state)
    game = _game(state)
    argument = _argument(state, command.argument, principal)
    if argument.adjudication is not None:
        raise Rejected("the argument is adjudicated already", field="argument", status=409)
    actor: str | None = None
    team: str | None = None
    if not principal.is_control:
        team = check_player(principal)
        if team == argument.team:
            raise Rejected("an actor does not argue against its own argument", status=409)
        mine = game.actors_of(team)
        if not mine:
            raise Rejected("your team plays no actor of this game", status=403)
        actor = mine[0].id
    return [
        gev.GameCounterArgued(
            id=ctx.new_id,
            argument=argument.id,
            turn=argument.turn,
            actor_id=actor,
            team=team,
            author=principal.id,
            reasons=_text(command.reasons, "reasons"),
            owner=argument.team,
            audience=argument.audience,
            secret=argument.hidden,
        )
    ]


def give_estimate(
    state: RunState, command: gcmd.GiveEstimate, principal: Principal, ctx: Context
) -> list[Event]:
    check_live(state)
    _game(state)
    team: str | None = None
    if not principal.is_control:
        team = check_player(principal)
    argument = _argument(state, command.argument, principal)
    if argument.adjudication is not None:
        raise Rejected("the argument is adjudicated already", field="argument", status=409)
    if not 0 <= command.probability <= 100:
        raise Rejected("an estimate is a whole percent from 0 to 100", field="probability")
    return [
        gev.GameEstimateGiven(
            argument=argument.id,
            turn=argument.turn,
            probability=command.probability,
            author=principal.id,
            team=team,
        )
    ]


def adjudicate(
    state: RunState, command: gcmd.Adjudicate, principal: Principal, ctx: Context
) -> list[Event]:
    check_control(principal)
    check_live(state)
    game = _game(state)
    argument = _argument(state, command.argument, principal)
    if argument.adjudication is not None:
        raise Rejected("the argument is adjudicated already", field="argument", status=409)
    method = command.method
    if method == Adjudication.AUTO_SUCCESS:
        ruling = _text(command.ruling, "ruling", required=False)
        return [_adjudicated(argument, principal, method, True, ruling=ruling)]
    if method == Adjudication.UMPIRE:
        if command.success is None:
            raise Rejected("say whether the argument succeeds", field="success")
        ruling = _text(command.ruling, "ruling")
        return [_adjudicated(argument, principal, method, command.success, ruling=ruling)]
    if method != Adjudication.ESTIMATIVE:
        raise Rejected(f"unknown method '{method}'; methods: {', '.join(METHODS)}", field="method")
    estimates = tuple(argument.estimates.values())
    needed = game.estimative.minimum_estimates
    if len(estimates) < needed:
        raise Rejected(
            f"{len(estimates)} estimate(s) given; the estimative method needs {needed}",
            field="estimates",
            status=409,
        )
    probability = median_probability(estimates)
    seed = roll_seed(state.run_id, argument.turn, argument.id)
    roll = roll_from_seed(seed)
    return [
        _adjudicated(
            argument,
            principal,
            method,
            roll <= probability,
            ruling=_text(command.ruling, "ruling", required=False),
            probability=probability,
            estimates=estimates,
            seed=seed,
            roll=roll,
        )
    ]


def _adjudicated(
    argument: Argument,
    principal: Principal,
    method: str,
    success: bool,
    *,
    ruling: str,
    probability: int | None = None,
    estimates: tuple[int, ...] = (),
    seed: str | None = None,
    roll: int | None = None,
) -> gev.GameArgumentAdjudicated:
    return gev.GameArgumentAdjudicated(
        argument=argument.id,
        turn=argument.turn,
        method=method,
        success=success,
        author=principal.id,
        probability=probability,
        estimates=estimates,
        seed=seed,
        roll=roll,
        ruling=ruling,
        owner=argument.team,
        audience=argument.audience,
        secret=argument.hidden,
    )


def release_outcome(
    state: RunState, command: gcmd.ReleaseOutcome, principal: Principal, ctx: Context
) -> list[Event]:
    check_control(principal)
    check_live(state)
    game = _game(state)
    if command.turn not in state.game.turns:
        raise Rejected(f"turn {command.turn} has not been opened", field="turn", status=409)
    argument: Argument | None = None
    if command.argument is not None:
        argument = _argument(state, command.argument, principal)
        if argument.turn != command.turn:
            raise Rejected(f"the argument belongs to turn {argument.turn}", field="argument")
    if command.audience is None:
        audience = argument.audience if argument is not None else ()
    else:
        known = {a.id for a in game.actors}
        for other in command.audience:
            if other not in known:
                raise Rejected(
                    f"unknown actor '{other}'; actors: {', '.join(sorted(known))}",
                    field="audience",
                )
        audience = tuple(dict.fromkeys(command.audience))
    return [
        gev.GameOutcomeReleased(
            id=ctx.new_id,
            turn=command.turn,
            argument=argument.id if argument is not None else None,
            text=_text(command.text, "text"),
            author=principal.id,
            audience=audience,
        )
    ]


def reveal_argument(
    state: RunState, command: gcmd.RevealArgument, principal: Principal, ctx: Context
) -> list[Event]:
    check_control(principal)
    check_live(state)
    _game(state)
    argument = _argument(state, command.argument, principal)
    if not argument.hidden:
        raise Rejected("the argument is not secret, or was revealed", field="argument", status=409)
    return [
        gev.GameArgumentRevealed(
            argument=argument.id,
            turn=argument.turn,
            actor_id=argument.actor,
            action=argument.action,
            result=argument.result,
            reasons=argument.reasons,
            author=principal.id,
            audience=argument.audience,
        )
    ]
