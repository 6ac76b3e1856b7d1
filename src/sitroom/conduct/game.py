"""What the log says of a matrix game: the turn open, the arguments of each turn, their
counter-arguments, estimates and adjudication, the outcomes released and secrets revealed.

``GameState`` is immutable, like ``Branches``: ``advance_game`` returns a new one for a game
event (and the same one for any other), so a ``RunState.snapshot`` that shares it stays as it
was. The roll of the estimative method is a pure function of a seed the log records; the seed
itself is derived from the run, the turn and the argument, so deciding the same command again,
or replaying the log, gives the same roll.
"""

from __future__ import annotations

import hashlib
import statistics
from dataclasses import dataclass, field, replace
from datetime import datetime

from sitroom.conduct import gameevents as gev
from sitroom.conduct.eventbase import Event


def roll_seed(run_id: str, turn: int, argument: str) -> str:
    """The seed of an argument's roll: the same run, turn and argument give the same seed."""
    digest = hashlib.sha256(f"sitroom-game:{run_id}:{turn}:{argument}".encode()).hexdigest()
    return digest[:32]


def roll_from_seed(seed: str) -> int:
    """A roll of 1-100 from ``seed`` (uniform up to a bias below 1e-70)."""
    return int(hashlib.sha256(seed.encode()).hexdigest(), 16) % 100 + 1


def median_probability(estimates: tuple[int, ...]) -> int:
    """The median of the estimates, rounded half up to a whole percent."""
    return int(statistics.median(estimates) + 0.5)


@dataclass(frozen=True, slots=True)
class Counter:
    id: str
    actor: str | None
    team: str | None
    author: str
    reasons: str
    seq: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Adjudication:
    method: str
    success: bool
    author: str
    probability: int | None
    estimates: tuple[int, ...]
    seed: str | None
    roll: int | None
    ruling: str
    seq: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Argument:
    id: str
    turn: int
    actor: str
    team: str
    party: str | None
    author: str
    action: str
    result: str
    reasons: str
    audience: tuple[str, ...]
    secret: bool
    seq: int
    at: datetime
    revealed_seq: int | None = None
    counters: tuple[Counter, ...] = ()
    estimates: dict[str, int] = field(default_factory=dict)  # author -> latest estimate
    adjudication: Adjudication | None = None

    @property
    def hidden(self) -> bool:
        """A secret argument not yet revealed: control's alone (and its own team's)."""
        return self.secret and self.revealed_seq is None


@dataclass(frozen=True, slots=True)
class Outcome:
    id: str
    turn: int
    argument: str | None
    text: str
    author: str
    audience: tuple[str, ...]
    seq: int
    at: datetime


@dataclass(frozen=True, slots=True)
class TurnRecord:
    number: int
    opened_seq: int
    opened_at: datetime
    closed_seq: int | None = None
    closed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class GameState:
    current: int | None = None  # the open turn
    turns: dict[int, TurnRecord] = field(default_factory=dict)
    arguments: dict[str, Argument] = field(default_factory=dict)  # in log order
    outcomes: tuple[Outcome, ...] = ()

    def of_turn(self, turn: int) -> list[Argument]:
        return [a for a in self.arguments.values() if a.turn == turn]


def _with(game: GameState, argument: Argument) -> GameState:
    return replace(game, arguments={**game.arguments, argument.id: argument})


def advance_game(game: GameState, event: Event, seq: int, at: datetime) -> GameState:
    """The game after ``event`` (``game`` itself when the event is not a game event)."""
    match event:
        case gev.GameTurnOpened(turn=turn):
            turns = {**game.turns, turn: TurnRecord(turn, seq, at)}
            return replace(game, current=turn, turns=turns)
        case gev.GameTurnClosed(turn=turn):
            record = game.turns.get(turn)
            if record is None:
                return game
            closed = replace(record, closed_seq=seq, closed_at=at)
            current = None if game.current == turn else game.current
            return replace(game, current=current, turns={**game.turns, turn: closed})
        case gev.GameArgumentSubmitted():
            return _with(
                game,
                Argument(
                    event.id,
                    event.turn,
                    event.actor_id,
                    event.team,
                    event.party,
                    event.author,
                    event.action,
                    event.result,
                    event.reasons,
                    tuple(event.audience),
                    event.secret,
                    seq,
                    at,
                ),
            )
        case gev.GameCounterArgued(argument=argument_id):
            argument = game.arguments.get(argument_id)
            if argument is None:
                return game
            counter = Counter(
                event.id, event.actor_id, event.team, event.author, event.reasons, seq, at
            )
            return _with(game, replace(argument, counters=(*argument.counters, counter)))
        case gev.GameEstimateGiven(argument=argument_id):
            argument = game.arguments.get(argument_id)
            if argument is None:
                return game
            estimates = {**argument.estimates, event.author: event.probability}
            return _with(game, replace(argument, estimates=estimates))
        case gev.GameArgumentAdjudicated(argument=argument_id):
            argument = game.arguments.get(argument_id)
            if argument is None:
                return game
            adjudication = Adjudication(
                event.method,
                event.success,
                event.author,
                event.probability,
                tuple(event.estimates),
                event.seed,
                event.roll,
                event.ruling,
                seq,
                at,
            )
            return _with(game, replace(argument, adjudication=adjudication))
        case gev.GameArgumentRevealed(argument=argument_id):
            argument = game.arguments.get(argument_id)
            if argument is None:
                return game
            return _with(game, replace(argument, revealed_seq=seq))
        case gev.GameOutcomeReleased():
            outcome = Outcome(
                event.id,
                event.turn,
                event.argument,
                event.text,
                event.author,
                tuple(event.audience),
                seq,
                at,
            )
            return replace(game, outcomes=(*game.outcomes, outcome))
    return game
