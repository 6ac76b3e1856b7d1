"""A simulated cell as a log follower: it sees what its team may see and acts by ``CellAct``.

The cell's principal is a player of its team (``cell:<team>``); the runner passes every event
through the gate for it, so a cell knows only what a person of the team would. Its persona and
script come from the package (the planner's brief to the cell) and the rest of the package it
reads is the player-safe copy. Each command it chooses is sent as ``CellAct`` with the trace of
the choice, under a key derived from the event, so a restarted cell does not act twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sitroom.conduct import commands as cmd
from sitroom.conduct.handlers.cells import cell_principal
from sitroom.conduct.principal import Principal
from sitroom.package.model import Cell, Package
from sitroom.package.redact import player_safe
from sitroom.services.cells.mind import CellContext, Mind, ScriptedMind
from sitroom.services.cells.situation import situation_of
from sitroom.services.followers import Act, BaseFollower, FollowedRun, Seen


class CellFollower(BaseFollower):
    """Plays ``team`` in every followed run whose package has a cell for it (or in every run,
    with ``always``: a rehearsal plays each team, with an empty persona where none is given)."""

    def __init__(
        self,
        team: str,
        party: str | None,
        packages: Callable[[str], Package],
        mind: Mind | None = None,
        *,
        seed: int = 0,
        always: bool = False,
    ) -> None:
        self.name = f"cell-{team}"
        self.principal: Principal = cell_principal(team, party)
        self.team, self.party = team, party
        self.mind: Mind = mind or ScriptedMind()
        self.seed = seed
        self.always = always
        self._packages = packages
        self._contexts: dict[str, CellContext | None] = {}
        self._answered: set[tuple[str, str]] = set()
        """(run, module) whose questions this cell has answered: a module opened again (or
        opened by STARTEX and then by hand) is not answered twice."""

    def principal_in(self, run_id: str) -> Principal:
        """The cell's principal in ``run_id``: a player of its team, of the team's party in
        the run's package (a cell named only by its team learns its party there)."""
        if self.party is not None:
            return self.principal
        team = self._packages(run_id).team(self.team)
        return cell_principal(self.team, team.party if team else None)

    def context(self, run_id: str) -> CellContext | None:
        """The cell's brief in ``run_id`` (None: the run's package does not cast this team)."""
        if run_id not in self._contexts:
            package = self._packages(run_id)
            cell = package.cell(self.team)
            if cell is None and self.always and package.team(self.team) is not None:
                cell = Cell(team=self.team)
            party = self.principal_in(run_id).party
            self._contexts[run_id] = (
                None
                if cell is None
                else CellContext(self.team, party, cell, player_safe(package), self.seed)
            )
        return self._contexts[run_id]

    def on_event(self, run: FollowedRun, seen: Seen) -> Iterable[Act]:
        me = self.context(run.run_id)
        if me is None:
            return []
        situation = situation_of(seen, me.package, me.party)
        if situation is None:
            return []
        key = seen.key
        if situation.kind == "questions":
            # Keyed by the module, not the event: after a restart, an answer already sent
            # for this module is recognised by its key.
            if (run.run_id, situation.ref) in self._answered:
                return []
            self._answered.add((run.run_id, situation.ref))

            def key(suffix: str = "") -> str:
                return f"questions:{situation.ref}:{suffix}"

        choice = self.mind.choose(me, situation)
        if not choice.commands:
            return [Act(cmd.CellAct(None, choice.trace, choice.note), key=key("none"))]
        return [
            Act(cmd.CellAct(command, choice.trace, choice.note), key=key(str(i)))
            for i, command in enumerate(choice.commands)
        ]


def cells_of(
    package: Package,
    packages: Callable[[str], Package],
    mind: Mind | None = None,
    *,
    seed: int = 0,
    every_team: bool = False,
) -> list[CellFollower]:
    """A follower for each team a cell of ``package`` plays (a party cell: one per team of the
    party, each acting as that team), or for each player team (``every_team``)."""
    teams = [t.id for t in package.player_teams()] if every_team else package.cell_teams()
    found = []
    for team_id in teams:
        team = package.team(team_id)
        party = team.party if team else None
        found.append(CellFollower(team_id, party, packages, mind, seed=seed, always=every_team))
    return found
