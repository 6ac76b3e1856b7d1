"""The gate's rules for a matrix game (``conduct.visibility`` asks them; nothing else does).

Control and evaluators see every argument. A player (or an observer of a team) sees their own
actor's arguments, and another actor's argument when it is not secret (or was revealed) and is
addressed to every actor or to one their team plays. The room display sees what is addressed
to every actor. Estimates are their author's and control's; outcomes go to their audience.
"""

from __future__ import annotations

from typing import Any

from sitroom.conduct import gameevents as gev
from sitroom.conduct.eventbase import Event
from sitroom.conduct.game import Argument, GameState, Outcome
from sitroom.conduct.principal import Principal, Role
from sitroom.package.model import Package

_TEAM_ROLES = (Role.PLAYER, Role.OBSERVER)


def viewer_actors(principal: Principal, package: Package) -> set[str]:
    """The actors the viewer's team plays (none for control, evaluators and displays)."""
    if package.game is None or principal.role not in _TEAM_ROLES:
        return set()
    return {a.id for a in package.game.actors_of(principal.team)}


def can_see_game_item(
    principal: Principal,
    package: Package,
    owner: str | None,
    audience: tuple[str, ...],
    secret: bool,
) -> bool:
    """Whether the viewer may see an argument (or what is said of it) of team ``owner``,
    addressed to ``audience`` (actor ids; empty: every actor), secret or not."""
    if principal.sees_control_material:
        return True
    if principal.role not in (*_TEAM_ROLES, Role.DISPLAY):
        return False
    if owner is not None and principal.role in _TEAM_ROLES and principal.team == owner:
        return True
    if secret:
        return False
    if not audience:
        return True
    return bool(viewer_actors(principal, package) & set(audience))


def view_game_event(
    principal: Principal, package: Package, event: Event, base: dict[str, Any]
) -> dict[str, Any] | None:
    """The game event's data as the viewer may see it, or None."""
    match event:
        case gev.GameTurnOpened() | gev.GameTurnClosed():
            return base
        case gev.GameArgumentSubmitted(team=team, audience=audience, secret=secret):
            return base if can_see_game_item(principal, package, team, audience, secret) else None
        case gev.GameCounterArgued(owner=owner, audience=audience, secret=secret, team=team):
            own = team is not None and principal.role in _TEAM_ROLES and principal.team == team
            seen = can_see_game_item(principal, package, owner, audience, secret)
            return base if own or seen else None
        case gev.GameEstimateGiven(author=author):
            return base if principal.sees_control_material or author == principal.id else None
        case gev.GameArgumentAdjudicated(owner=owner, audience=audience, secret=secret):
            return base if can_see_game_item(principal, package, owner, audience, secret) else None
        case gev.GameArgumentRevealed(audience=audience):
            return base if can_see_game_item(principal, package, None, audience, False) else None
        case gev.GameOutcomeReleased(audience=audience):
            return base if can_see_game_item(principal, package, None, audience, False) else None
    return None


def visible_arguments(principal: Principal, package: Package, game: GameState) -> list[Argument]:
    """The arguments the viewer may read now, in log order (a revealed secret among them)."""
    return [
        a
        for a in list(game.arguments.values())
        if can_see_game_item(principal, package, a.team, a.audience, a.hidden)
    ]


def visible_outcomes(principal: Principal, package: Package, game: GameState) -> list[Outcome]:
    """The outcomes released to the viewer's actors (all of them for control)."""
    return [
        o for o in game.outcomes if can_see_game_item(principal, package, None, o.audience, False)
    ]


def visible_estimates(principal: Principal, argument: Argument) -> dict[str, int]:
    """The estimates of an argument the viewer may read: all for control, else their own."""
    if principal.sees_control_material:
        return dict(argument.estimates)
    return {k: v for k, v in argument.estimates.items() if k == principal.id}
