"""Events of a matrix game's turns (``conduct.events`` lists them among every event type).

An event about an argument carries who may see it (``audience``: the actors it is addressed
to, empty for every actor; ``secret``: control's alone until revealed), copied from the
argument when it was recorded, so the gate decides each event from the event alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from sitroom.conduct.eventbase import Event


@dataclass(frozen=True, slots=True)
class GameTurnOpened(Event):
    """Control opens a turn: actors may now state their arguments."""

    TYPE: ClassVar[str] = "game-turn-opened"
    turn: int
    author: str


@dataclass(frozen=True, slots=True)
class GameArgumentSubmitted(Event):
    """An actor's argument: an action, its intended result and the reasons it would work."""

    TYPE: ClassVar[str] = "game-argument-submitted"
    id: str
    turn: int
    actor_id: str
    team: str
    party: str | None
    author: str
    action: str
    result: str
    reasons: str
    audience: tuple[str, ...] = ()  # actor ids; empty = every actor
    secret: bool = False


@dataclass(frozen=True, slots=True)
class GameCounterArgued(Event):
    """Another actor's (or the umpire's) reasons why an argument would not work."""

    TYPE: ClassVar[str] = "game-counter-argued"
    id: str
    argument: str
    turn: int
    actor_id: str | None  # None: said by control (the umpire)
    team: str | None
    author: str
    reasons: str
    owner: str = ""  # the arguing team of the argument countered
    audience: tuple[str, ...] = ()
    secret: bool = False


@dataclass(frozen=True, slots=True)
class GameEstimateGiven(Event):
    """A participant's (or the umpire's) estimate that an argument succeeds, in percent."""

    TYPE: ClassVar[str] = "game-estimate-given"
    argument: str
    turn: int
    probability: int
    author: str
    team: str | None = None


@dataclass(frozen=True, slots=True)
class GameArgumentAdjudicated(Event):
    """The umpire's adjudication. For the estimative method: the estimates, their median, the
    seed and the roll (1-100; success when the roll is at most the median); a replay recomputes
    the roll from the seed."""

    TYPE: ClassVar[str] = "game-argument-adjudicated"
    argument: str
    turn: int
    method: str  # auto-success | estimative | umpire
    success: bool
    author: str
    probability: int | None = None
    estimates: tuple[int, ...] = ()
    seed: str | None = None
    roll: int | None = None
    ruling: str = ""
    owner: str = ""
    audience: tuple[str, ...] = ()
    secret: bool = False


@dataclass(frozen=True, slots=True)
class GameOutcomeReleased(Event):
    """The narrative of what happened, told to the actors who would know it (empty: all)."""

    TYPE: ClassVar[str] = "game-outcome-released"
    id: str
    turn: int
    argument: str | None
    text: str
    author: str
    audience: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GameArgumentRevealed(Event):
    """Control reveals a secret argument: from now on its audience sees it (the event carries
    it, so a reader of the log sees what was revealed, and when)."""

    TYPE: ClassVar[str] = "game-argument-revealed"
    argument: str
    turn: int
    actor_id: str
    action: str
    result: str
    reasons: str
    author: str
    audience: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GameTurnClosed(Event):
    TYPE: ClassVar[str] = "game-turn-closed"
    turn: int
    author: str


GAME_EVENTS: tuple[type[Event], ...] = (
    GameTurnOpened,
    GameArgumentSubmitted,
    GameCounterArgued,
    GameEstimateGiven,
    GameArgumentAdjudicated,
    GameOutcomeReleased,
    GameArgumentRevealed,
    GameTurnClosed,
)
