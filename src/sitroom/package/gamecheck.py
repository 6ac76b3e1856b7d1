"""Checks of a matrix game's turn structure: actors played by player teams, turns numbered
1, 2, 3 ... in order, modules that exist, and a ``game:`` section only where the exercise is a
game (and one wherever it is)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sitroom.package.model import ExerciseType, Package, TeamKind

P = tuple[str | int, ...]
Unknown = Callable[[P, str, str, Iterable[str], str], None]
Report = Callable[..., None]


def check_game(package: Package, unknown: Unknown, report: Report) -> None:
    """Report every problem of ``package.game`` (and a game exercise without one)."""
    game = package.game
    is_game = package.exercise.type == ExerciseType.GAME
    if game is None:
        if is_game:
            report(
                ("exercise", "type"),
                "game-without-turns",
                "the exercise is a game but the package has no 'game:' section",
                "add game: with actors and turns (docs/matrix-games.md), or choose another type",
                warning=True,
            )
        return
    if not is_game:
        report(
            ("game",),
            "game-not-a-game",
            f"the package has a 'game:' section but the exercise type is '{package.exercise.type}'",
            "set exercise.type: game, or remove the game: section",
        )
    players = {t.id for t in package.teams if t.kind == TeamKind.PLAYERS}
    modules = {m.id for m in package.modules}
    seen: dict[str, int] = {}
    for ai, actor in enumerate(game.actors):
        path: P = ("game", "actors", ai)
        if actor.id in seen:
            report(
                path + ("id",),
                "duplicate-id",
                f"actor id '{actor.id}' is used twice",
                "give each actor its own id",
            )
        seen.setdefault(actor.id, ai)
        if actor.team not in players:
            unknown(path + ("team",), "player team", actor.team, players, f"actor '{actor.id}'")
    for ti, turn in enumerate(game.turns):
        path = ("game", "turns", ti)
        if turn.number != ti + 1:
            report(
                path + ("number",),
                "game-turn-order",
                f"turn {ti + 1} of the list is numbered {turn.number}",
                "number the turns 1, 2, 3 ... in the order they are played",
            )
        if turn.module is not None and turn.module not in modules:
            unknown(path + ("module",), "module", turn.module, modules, f"turn {turn.number}")
    played = {a.team for a in game.actors}
    for team in sorted(players - played):
        index = next(i for i, t in enumerate(package.teams) if t.id == team)
        report(
            ("teams", index, "id"),
            "game-team-without-actor",
            f"player team '{team}' plays no actor of the game",
            "name it as the team of an actor, or make it an observer team",
            warning=True,
        )
