"""Cross-reference checks of the simulated cells and escalation rankings of a package.

A cell names a player team or a party (then it plays each of the party's player teams); its
script names injects, questions, polls, options, parties and guideline clauses; a ranking
orders the options of one poll. Every name is checked here, so a cell never acts on an id the
package does not have.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sitroom.package.cellmodel import Cell, ScriptedArgument
from sitroom.package.model import Package, TeamKind

P = tuple[str | int, ...]
Unknown = Callable[[P, str, str, Iterable[str], str], None]
Report = Callable[[P, str, str, str], None]


def check_cells(package: Package, unknown: Unknown, report: Report) -> None:
    """Report every cell or ranking that names something the package lacks."""
    parties = {p.id for p in package.parties}
    injects = {i.number for i in package.injects()}
    questions = {q.id for m in package.modules for q in m.questions}
    polls = {p.id: {o.id for o in p.options} for m in package.modules for p in m.polls}
    clauses = {f"{r.id}/{c.id}" for r in package.references for c in r.clauses}
    seen: set[str] = set()
    for ci, cell in enumerate(package.cells):
        path: P = ("cells", ci)
        where = _check_who(package, cell, path, seen, unknown, report)
        script = cell.script
        for ref in script.responses:
            if ref not in injects and ref not in questions:
                unknown(
                    path + ("script", "responses", ref),
                    "inject or question",
                    ref,
                    injects | questions,
                    where,
                )
        for di, decision in enumerate(script.decisions):
            dp = path + ("script", "decisions", di)
            if decision.after not in injects:
                unknown(dp + ("after",), "inject", decision.after, injects, where)
            for party in decision.joint_with:
                if party not in parties:
                    unknown(dp + ("joint_with",), "party", party, parties, where)
            for clause in decision.clauses:
                if clause not in clauses:
                    unknown(dp + ("clauses",), "clause", clause, clauses, where)
        for clause in script.clauses:
            if clause not in clauses:
                unknown(path + ("script", "clauses"), "clause", clause, clauses, where)
        for poll, options in script.votes.items():
            vp = path + ("script", "votes", poll)
            if poll not in polls:
                unknown(vp, "poll", poll, polls, where)
                continue
            for option in options:
                if option not in polls[poll]:
                    unknown(vp, "option", option, polls[poll], f"{where}, poll '{poll}'")
        _check_arguments(package, script.arguments, path, where, unknown)
        if not script.concur and not script.reasons.strip():
            report(
                path + ("script", "reasons"),
                "missing-reasons",
                f"{where} does not concur but gives no reasons",
                "a non-concurrence must give reasons: write them in script.reasons",
            )
    for ri, ranking in enumerate(package.escalation):
        path = ("escalation", ri)
        if ranking.poll not in polls:
            unknown(path + ("poll",), "poll", ranking.poll, polls, "escalation")
            continue
        choices = polls[ranking.poll]
        if set(ranking.order) != choices or len(ranking.order) != len(choices):
            report(
                path + ("order",),
                "ranking-incomplete",
                f"the ranking of poll '{ranking.poll}' must list each of its options once",
                "options: " + ", ".join(sorted(choices)),
            )
        if ranking.ceiling is not None and ranking.ceiling not in choices:
            unknown(path + ("ceiling",), "option", ranking.ceiling, choices, "escalation")


def _check_who(
    package: Package, cell: Cell, path: P, seen: set[str], unknown: Unknown, report: Report
) -> str:
    """The team or party a cell plays exists, and no team is played by two cells."""
    players = {t.id: t for t in package.teams if t.kind == TeamKind.PLAYERS}
    if cell.team is not None:
        field, teams = "team", [cell.team]
        if cell.team not in players:
            unknown(path + ("team",), "player team", cell.team, players, "cells")
    else:
        party = cell.party or ""
        field, teams = "party", [t.id for t in players.values() if t.party == party]
        parties = {p.id for p in package.parties}
        if party not in parties:
            unknown(path + ("party",), "party", party, parties, "cells")
        elif not teams:
            report(
                path + ("party",),
                "unknown-reference",
                f"party '{party}' has no player team for its cell to play",
                "give the party a player team in 'teams', or remove the cell",
            )
    for team in teams:
        if team in seen:
            report(
                path + (field,),
                "duplicate-id",
                f"team '{team}' has two cells",
                "a team is played by its own cell or by its party's cell, not both",
            )
        seen.add(team)
    return f"cell '{cell.team}'" if cell.team else f"cell of party '{cell.party}'"


def _check_arguments(
    package: Package,
    arguments: tuple[ScriptedArgument, ...],
    path: P,
    where: str,
    unknown: Unknown,
) -> None:
    """A scripted cell's matrix-game arguments name turns and actors the game has."""
    game = package.game
    turns = {str(t.number) for t in game.turns} if game else set()
    actors = {a.id for a in game.actors} if game else set()
    for ai, argument in enumerate(arguments):
        ap = path + ("script", "arguments", ai)
        if str(argument.turn) not in turns:
            unknown(ap + ("turn",), "game turn", str(argument.turn), turns, where)
        for actor in argument.audience:
            if actor not in actors:
                unknown(ap + ("audience",), "actor", actor, actors, where)
