"""The documents' page on a matrix game: its actors and turns, and for control its rules.

Every player may know who plays which actor and what each turn is called, so the Situation
Manual lists them. The Controller/Evaluator Handbook adds how the umpire panel adjudicates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sitroom.package.gamemodel import Adjudication
from sitroom.package.model import Package, text_in
from sitroom.reports.times import format_scenario_time


@dataclass(frozen=True)
class ActorView:
    """An actor of the game as the documents state it."""

    name: str
    team: str
    description: str


@dataclass(frozen=True)
class TurnView:
    number: int
    title: str
    scenario_time: str


@dataclass(frozen=True)
class GameView:
    """A matrix game's actors and turns; ``rules`` (label, value) only in the handbook."""

    actors: tuple[ActorView, ...]
    turns: tuple[TurnView, ...]
    rules: tuple[tuple[str, str], ...] = ()


def game_view(
    package: Package, lang: str, gettext: Callable[[str], str], *, handbook: bool
) -> GameView | None:
    """The game of ``package`` in ``lang``, or None when the package has no game."""
    game = package.game
    if game is None:
        return None
    fallbacks = package.exercise.languages

    def t(text: dict[str, str] | None) -> str:
        return text_in(text, lang, fallbacks)

    teams = {team.id: t(team.name) or team.id for team in package.teams}
    actors = tuple(
        ActorView(t(a.name) or a.id, teams.get(a.team, a.team), t(a.description))
        for a in game.actors
    )
    turns = tuple(
        TurnView(turn.number, t(turn.title), format_scenario_time(turn.scenario_time))
        for turn in sorted(game.turns, key=lambda turn: turn.number)
    )
    rules: tuple[tuple[str, str], ...] = ()
    if handbook:
        methods = {
            Adjudication.AUTO_SUCCESS: gettext("A reasonable argument succeeds"),
            Adjudication.ESTIMATIVE: gettext("Estimates, then a seeded roll"),
            Adjudication.UMPIRE: gettext("The umpire rules"),
        }
        rules = (
            (gettext("Adjudication"), methods.get(game.adjudication, str(game.adjudication))),
            (gettext("Estimates needed before a roll"), str(game.estimative.minimum_estimates)),
            (
                gettext("Arguments per actor and turn"),
                gettext("One") if game.one_argument_per_turn else gettext("Any number"),
            ),
        )
    return GameView(actors, turns, rules)
