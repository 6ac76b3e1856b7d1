"""Matrix-game turns of a seminar wargame (exercise type ``game``): the actors, the turns and
how the umpire adjudicates by default (``package.model`` holds them in ``Package.game``).

Each turn, each actor states an argument (action, result, reasons); others argue against it;
the umpire adjudicates it by automatic success, by estimative probability (the median of
several estimates, then a recorded roll) or by ruling. The run's log holds all of it; the
package says only who plays and how many turns there are.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from sitroom.package.basics import Id, LocalText, Model, ScenarioTime


class Adjudication(StrEnum):
    """How an argument's outcome is settled."""

    AUTO_SUCCESS = "auto-success"  # a reasonable argument simply happens
    ESTIMATIVE = "estimative"  # estimates → median probability → a seeded roll
    UMPIRE = "umpire"  # the umpire rules


class Actor(Model):
    """A party to the game as the players play it: a government, an organisation, a faction."""

    id: Id
    name: LocalText
    team: Id = Field(description="The player team that plays this actor.")
    description: LocalText | None = Field(
        default=None, description="What the actor wants and can do (shown to every player)."
    )


class Turn(Model):
    """One turn (move) of the game."""

    number: int = Field(ge=1, description="1, 2, 3 ... in order.")
    title: LocalText
    scenario_time: ScenarioTime | None = Field(
        default=None, description="Where the turn stands in scenario time."
    )
    module: Id | None = Field(default=None, description="The module this turn is played in.")
    narrative: LocalText | None = Field(
        default=None, description="The situation at the start of the turn (Markdown)."
    )


class Estimative(Model):
    """Settings of the estimative method."""

    minimum_estimates: int = Field(
        default=1, ge=1, le=50, description="Estimates needed before the umpire may roll."
    )


class Game(Model):
    """The turn structure of a matrix game: who plays, how many turns, how to adjudicate."""

    actors: tuple[Actor, ...] = Field(min_length=2)
    turns: tuple[Turn, ...] = Field(min_length=1)
    adjudication: Adjudication = Field(
        default=Adjudication.ESTIMATIVE, description="The method the umpire panel offers first."
    )
    estimative: Estimative = Estimative()
    one_argument_per_turn: bool = Field(
        default=True, description="Each actor states one argument a turn (the usual rule)."
    )

    def actor(self, actor_id: str) -> Actor | None:
        return next((a for a in self.actors if a.id == actor_id), None)

    def turn(self, number: int) -> Turn | None:
        return next((t for t in self.turns if t.number == number), None)

    def actors_of(self, team: str | None) -> list[Actor]:
        """The actors a team plays."""
        return [a for a in self.actors if team is not None and a.team == team]
