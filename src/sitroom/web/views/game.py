"""The read model of a matrix game, one for the umpire panel, the players' game panel and the
JSON API (``GET /api/runs/{id}/game``): what the viewer may see of the turns, arguments,
counter-arguments, estimates, adjudications and outcomes, chosen by the gate
(``conduct.gamegate``) and nothing else.
"""

from __future__ import annotations

from typing import Any

from sitroom.conduct.game import Argument
from sitroom.conduct.gamegate import (
    can_see_game_item,
    viewer_actors,
    visible_arguments,
    visible_estimates,
    visible_outcomes,
)
from sitroom.conduct.principal import STAFF_ROLES, Principal, Role
from sitroom.conduct.state import RunState
from sitroom.package.gamemodel import Adjudication
from sitroom.package.model import text_in
from sitroom.web.render import N_, translator
from sitroom.web.views import play as pv

METHOD_LABELS = {
    str(Adjudication.AUTO_SUCCESS): N_("Automatic success"),
    str(Adjudication.ESTIMATIVE): N_("Estimative probability"),
    str(Adjudication.UMPIRE): N_("Umpire ruling"),
}
"""The adjudication methods, as the pages name them."""


def game_view(
    principal: Principal, state: RunState, lang: str, names: dict[str, str] | None = None
) -> dict[str, Any]:
    """Everything of the game the viewer may see, as plain data (templates and JSON)."""
    package = state.package
    game = package.game
    if game is None:
        return {"game": False}
    languages = package.exercise.languages
    names = names or {}
    control = principal.is_control
    staff = principal.sees_control_material
    mine = viewer_actors(principal, package)
    plays = principal.role == Role.PLAYER and bool(mine)
    live = state.is_live()
    current = state.game.current

    def actor_name(actor_id: str | None) -> str:
        actor = game.actor(actor_id) if actor_id else None
        return text_in(actor.name, lang, languages) if actor else (actor_id or "")

    def argument_view(a: Argument) -> dict[str, Any]:
        adjudication = a.adjudication
        open_for_words = live and adjudication is None
        return {
            "id": a.id,
            "turn": a.turn,
            "actor": a.actor,
            "actor_name": actor_name(a.actor),
            "ours": a.actor in mine,
            "author": names.get(a.author, a.author) if staff else None,
            "action": a.action,
            "result": a.result,
            "reasons": a.reasons,
            "audience": list(a.audience),
            "audience_names": [actor_name(x) for x in a.audience],
            "secret": a.secret,
            "hidden": a.hidden,
            "at": pv.wall_time(a.at, package, lang),
            "counters": [
                {
                    "id": c.id,
                    "actor": c.actor,
                    "actor_name": actor_name(c.actor) if c.actor else None,
                    "reasons": c.reasons,
                    "at": pv.wall_time(c.at, package, lang),
                }
                for c in a.counters
            ],
            "estimates": visible_estimates(principal, a),
            "estimate_count": len(a.estimates) if staff else None,
            "adjudication": None
            if adjudication is None
            else {
                "method": adjudication.method,
                "success": adjudication.success,
                "probability": adjudication.probability,
                "estimates": list(adjudication.estimates),
                "seed": adjudication.seed,
                "roll": adjudication.roll,
                "ruling": adjudication.ruling,
                "at": pv.wall_time(adjudication.at, package, lang),
            },
            "may_counter": open_for_words
            and (control or (plays and a.actor not in mine and principal.team != a.team)),
            "may_estimate": open_for_words and (control or plays),
            "may_adjudicate": control and live and adjudication is None,
            "may_reveal": control and live and a.hidden,
        }

    arguments = visible_arguments(principal, package, state.game)
    turns = []
    for turn in game.turns:
        record = state.game.turns.get(turn.number)
        status = (
            "open" if current == turn.number else ("closed" if record is not None else "planned")
        )
        shown = staff or record is not None  # a turn to come is control's, like a module
        turns.append(
            {
                "number": turn.number,
                "title": text_in(turn.title, lang, languages) if shown else "",
                "narrative": text_in(turn.narrative, lang, languages) if shown else "",
                "scenario_time": pv.scenario_text(turn.scenario_time, package, lang)
                if shown and turn.scenario_time
                else None,
                "module": turn.module if shown else None,
                "status": status,
                "arguments": [argument_view(a) for a in arguments if a.turn == turn.number],
                "outcomes": [
                    {
                        "id": o.id,
                        "argument": o.argument,
                        "text": o.text,
                        "audience": list(o.audience),
                        "audience_names": [actor_name(x) for x in o.audience],
                        "at": pv.wall_time(o.at, package, lang),
                    }
                    for o in visible_outcomes(principal, package, state.game)
                    if o.turn == turn.number
                ],
            }
        )
    stated = {a.actor for a in arguments if a.turn == current}
    return {
        "game": True,
        "seq": state.seq,
        "live": live,
        "control": control,
        "staff": staff,
        "current": current,
        "next_turn": next((t.number for t in game.turns if t.number not in state.game.turns), None),
        "actors": [
            {
                "id": a.id,
                "name": text_in(a.name, lang, languages),
                "description": text_in(a.description, lang, languages),
                "ours": a.id in mine,
            }
            for a in game.actors
        ],
        "my_actors": sorted(mine),
        "may_argue": plays
        and live
        and current is not None
        and not (game.one_argument_per_turn and mine <= stated),
        "adjudication_default": str(game.adjudication),
        "minimum_estimates": game.estimative.minimum_estimates,
        "methods": [{"id": m, "label": label} for m, label in METHOD_LABELS.items()],
        "turns": turns,
    }


def board_values(
    principal: Principal,
    state: RunState,
    lang: str,
    *,
    previewing: bool,
    preserve: bool = True,
    names: dict[str, str] | None = None,
) -> dict[str, Any]:
    """What the board template needs: the game view, the translator, whether the viewer acts
    (not while control previews someone's page), and whether forms keep what is typed in
    them across a refresh (not when the board answers the form's own post)."""
    return {
        "g": game_view(principal, state, lang, names),
        "tr": translator(lang),
        "game_acts": principal.role in (Role.PLAYER, *STAFF_ROLES) and not previewing,
        "preserve": preserve,
    }


def can_see_argument(principal: Principal, state: RunState, argument_id: str) -> bool:
    """Whether the viewer may see one argument now (for the pages' 404s)."""
    argument = state.game.arguments.get(argument_id)
    return argument is not None and can_see_game_item(
        principal, state.package, argument.team, argument.audience, argument.hidden
    )
