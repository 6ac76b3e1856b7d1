"""The handbook's page on simulated cells: who plays each cell, its persona, how control
oversees it, and the escalation rankings the guard reads.

Cells and rankings are control material: only the Controller/Evaluator Handbook prints them
(the player copy of a package drops them, like every control field).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sitroom.package.cellmodel import CellMode
from sitroom.package.model import Package, text_in


@dataclass(frozen=True)
class CellView:
    """A simulated cell as the handbook states it."""

    team: str
    party: str
    mode: str
    positions: tuple[str, ...]
    red_lines: tuple[str, ...]
    style: str
    model: str  # the model the package names, or empty: the deployment's default or scripted


@dataclass(frozen=True)
class RankingView:
    """A poll's options from the least to the most escalatory, and the guard's limits."""

    poll: str
    order: tuple[str, ...]
    ceiling: str
    steps: int


def cell_views(
    package: Package, lang: str, gettext: Callable[[str], str]
) -> tuple[tuple[CellView, ...], tuple[RankingView, ...]]:
    """The cells and the escalation rankings of ``package`` in ``lang``."""
    fallbacks = package.exercise.languages

    def t(text: dict[str, str] | None) -> str:
        return text_in(text, lang, fallbacks)

    parties = {p.id: t(p.name) or p.id for p in package.parties}
    modes = {
        CellMode.AUTONOMOUS: gettext("Acts on its own"),
        CellMode.APPROVAL: gettext("Each action waits for control's release"),
    }
    cells = []
    for cell in package.cells:
        if cell.team is None:  # a party cell plays every player team of its party
            party_name = parties.get(cell.party or "", cell.party or "")
            who = gettext("Party: {name} (all its teams)").format(name=party_name)
            party = ""
        else:
            team = package.team(cell.team)
            who = t(team.name) if team else cell.team
            party = parties.get(team.party, team.party) if team and team.party else ""
        cells.append(
            CellView(
                team=who,
                party=party,
                mode=modes[cell.mode],
                positions=cell.persona.positions,
                red_lines=cell.persona.red_lines,
                style=cell.persona.style or "",
                model=cell.provider.model or "",
            )
        )
    polls = {p.id: p for m in package.modules for p in m.polls}
    rankings = []
    for ranking in package.escalation:
        poll = polls.get(ranking.poll)
        options = {o.id: t(o.text) for o in poll.options} if poll else {}
        rankings.append(
            RankingView(
                poll=t(poll.question) if poll else ranking.poll,
                order=tuple(options.get(o, o) for o in ranking.order),
                ceiling=options.get(ranking.ceiling, ranking.ceiling) if ranking.ceiling else "",
                steps=ranking.steps,
            )
        )
    return tuple(cells), tuple(rankings)
