"""What the evaluator view shows: the EEG checklist, observations, and each team's view.

Everything passes through the visibility gate: observations through ``visible_observations``
(the rule the JSON API's projection follows), a team's view through ``visible_injects`` and
``inject_view`` with a stand-in player of that team — and never more than the viewer may see
themselves.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sitroom.conduct import events as ev
from sitroom.conduct.principal import Principal
from sitroom.conduct.state import Entry, RunState
from sitroom.conduct.visibility import (
    can_see_inject,
    can_see_team_material,
    inject_view,
    is_staff,
    sees_all_observations,
    team_principal,
    view_event,
    visible_injects,
    visible_observations,
    visible_responses,
)
from sitroom.package.model import Module, Package, text_in
from sitroom.package.redact import player_safe
from sitroom.reports.documents import DocumentKind, EvaluationObjective, build_view
from sitroom.web.forms import wall_time, zone
from sitroom.web.render import N_
from sitroom.web.views.console import excerpt

RATINGS = {
    "P": N_("Performed without Challenges"),
    "S": N_("Performed with Some Challenges"),
    "M": N_("Performed with Major Challenges"),
    "U": N_("Unable to be Performed"),
}
"""HSEEP's rating names."""

EVALUATE_EVENTS: dict[str, tuple[str, ...]] = {
    "checklist": (
        "module-opened",
        "observation-recorded",
        "target-rated",
        "capability-rated",
        "clause-recorded",
    ),
    "observations": ("observation-recorded",),
    "team": (
        "inject-released",
        "inject-corrected",
        "inject-retracted",
        "response-submitted",
    ),
    "heading": ("run-started", "run-paused", "run-resumed", "run-ended", "module-opened"),
    "milestones": ("milestone-reached",),
}
"""Which run events make each live panel of the evaluator view re-render."""

_OUTLINES: OrderedDict[tuple[int, bool, str], tuple[Package, list[EvaluationObjective]]]
_OUTLINES = OrderedDict()
_OUTLINES_LOCK = threading.Lock()


def evaluation_outline(package: Package, lang: str, control: bool) -> list[EvaluationObjective]:
    """The EEG outline (objectives → targets → tasks with their clause text), cached.

    Viewers who do not hold the C/E handbook get it from the player-safe package.
    """
    key = (id(package), control, lang)
    with _OUTLINES_LOCK:
        found = _OUTLINES.get(key)
        if found is not None and found[0] is package:
            _OUTLINES.move_to_end(key)
            return found[1]
    source = package if control else player_safe(package)
    outline = list(build_view(source, DocumentKind.HANDBOOK, lang=lang).evaluation)
    with _OUTLINES_LOCK:
        _OUTLINES[key] = (package, outline)
        while len(_OUTLINES) > 32:
            _OUTLINES.popitem(last=False)
    return outline


def module_objectives(module: Module | None, package: Package) -> set[str]:
    """Objectives the module exercises: through its questions, polls, injects and their tasks."""
    if module is None:
        return set()
    ids: set[str] = set()
    for question in module.questions:
        ids.update(question.objectives)
    for poll in module.polls:
        ids.update(poll.objectives)
    tasks: set[str] = set()
    for inject in module.injects:
        ids.update(inject.objectives)
        tasks.update(inject.tasks)
    for objective in package.objectives:
        if any(t.id in tasks for target in objective.targets for t in target.tasks):
            ids.add(objective.id)
    return ids


@dataclass
class TaskRow:
    id: str
    text: str
    source: str
    source_text: str
    observed: int
    ratings: list[str]
    injects: list[str]


@dataclass
class RatingRow:
    """One evaluator's latest rating (or clause record) of one thing."""

    author: str
    rating: str
    notes: str
    evidence: str


@dataclass
class TargetRow:
    id: str
    capability: str
    text: str
    tasks: list[TaskRow]
    ratings: list[RatingRow] = field(default_factory=list)


@dataclass
class ObjectiveRow:
    id: str
    number: int
    text: str
    capabilities: tuple[str, ...]
    targets: list[TargetRow]
    observed: int
    capability_ratings: list[tuple[str, list[RatingRow]]] = field(default_factory=list)


@dataclass
class ClauseRow:
    ref: str
    label: str
    text: str
    records: list[tuple[str, bool, str, str]]  # author, discussed, notes, evidence


@dataclass
class ObservationRow:
    id: str
    seq: int
    at: str
    author: str
    mine: bool
    text: str
    tags: list[tuple[str, str]]
    rating: str | None


@dataclass
class MilestoneView:
    """A milestone as evaluators see it: reached when and how, and what it shows progress on."""

    id: str
    name: str
    reached_at: str
    by: str
    how: str  # "trigger" (its condition held) or "control" (marked by hand); "" when not yet
    objectives: list[tuple[str, str]]  # (number or id, text)
    tasks: list[str]


@dataclass
class TeamInject:
    number: str
    title: str
    content: str
    banner: str
    sender: str
    status: str
    released_at: str


@dataclass
class TeamView:
    team_id: str
    team: str
    party: str
    injects: list[TeamInject]
    responses: list[tuple[str, str, str, str]]  # at, author, target, text
    responses_shown: bool


@dataclass
class EvaluationView:
    """The evaluator view's panels for one viewer, in one language."""

    state: RunState
    principal: Principal
    lang: str
    names: dict[str, str]
    now: datetime
    observations: list[Entry] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.package: Package = self.state.package
        self.tz = zone(self.package.exercise.time_zone)
        self.fallbacks = self.package.exercise.languages
        self.observations = visible_observations(self.principal, self.state)

    def t(self, value: dict[str, str] | None) -> str:
        return text_in(value, self.lang, self.fallbacks)

    def name(self, principal_id: str | None) -> str:
        return self.names.get(principal_id or "", principal_id or "")

    def team_name(self, team_id: str | None) -> str:
        team = self.package.team(team_id) if team_id else None
        return self.t(team.name) if team else (team_id or "")

    # -- the checklist ---------------------------------------------------------------------

    @property
    def module(self) -> Module | None:
        return self.state.current_module()

    def checklist(self) -> tuple[list[ObjectiveRow], bool]:
        """Objectives of the current module (all when it names none); and whether filtered."""
        outline = evaluation_outline(self.package, self.lang, is_staff(self.principal))
        wanted = module_objectives(self.module, self.package)
        by_task: dict[str, list[Entry]] = {}
        by_objective: dict[str, int] = {}
        for entry in self.observations:
            task = entry.tags.get("task")
            if task:
                by_task.setdefault(task, []).append(entry)
            tagged = entry.tags.get("objective")
            if tagged:
                by_objective[tagged] = by_objective.get(tagged, 0) + 1
        module = self.module
        inject_tasks: dict[str, list[str]] = {}
        for inject in module.injects if module else ():
            for task_id in inject.tasks:
                inject_tasks.setdefault(task_id, []).append(inject.number)
        target_ratings, capability_ratings = self._ratings()
        rows = []
        for objective, view in zip(self.package.objectives, outline, strict=True):
            if wanted and objective.id not in wanted:
                continue
            targets = [
                TargetRow(
                    source.id,
                    target.capability,
                    target.text,
                    [
                        TaskRow(
                            task.id,
                            task.text,
                            task.source,
                            task.source_text,
                            len(by_task.get(task.id, [])),
                            [r for e in by_task.get(task.id, []) if (r := e.tags.get("rating"))],
                            inject_tasks.get(task.id, []),
                        )
                        for task in target.tasks
                    ],
                    target_ratings.get(source.id, []),
                )
                for source, target in zip(objective.targets, view.targets, strict=True)
            ]
            rows.append(
                ObjectiveRow(
                    objective.id,
                    view.number,
                    view.text,
                    view.capabilities,
                    targets,
                    by_objective.get(objective.id, 0),
                    [
                        (name, capability_ratings.get((objective.id, capability), []))
                        for capability, name in zip(
                            self.capabilities_of(objective.id), view.capabilities, strict=False
                        )
                    ],
                )
            )
        return rows, bool(wanted)

    # -- the evaluator's ratings and clause records ----------------------------------------

    @property
    def can_rate(self) -> bool:
        """Whether the viewer rates the EEG (evaluators and control); the command checks too."""
        return is_staff(self.principal)

    def _evidence(self, evidence: tuple[int, ...]) -> str:
        return ", ".join(str(seq) for seq in evidence)

    def _ratings(
        self,
    ) -> tuple[dict[str, list[RatingRow]], dict[tuple[str, str], list[RatingRow]]]:
        """The latest rating per evaluator of each target and each (objective, capability)."""
        targets: dict[str, list[RatingRow]] = {}
        capabilities: dict[tuple[str, str], list[RatingRow]] = {}
        for (target, _), r in self.state.latest_target_ratings().items():
            event = ev.TargetRated(
                id=r.id, author=r.author, objective=r.objective, target=target, rating=r.rating
            )
            if view_event(self.principal, self.package, event) is not None:
                row = RatingRow(self.name(r.author), r.rating, r.notes, self._evidence(r.evidence))
                targets.setdefault(target, []).append(row)
        for (objective, capability, _), r in self.state.latest_capability_ratings().items():
            cap_event = ev.CapabilityRated(
                id=r.id,
                author=r.author,
                objective=objective,
                capability=capability,
                rating=r.rating,
            )
            if view_event(self.principal, self.package, cap_event) is not None:
                row = RatingRow(self.name(r.author), r.rating, r.notes, self._evidence(r.evidence))
                capabilities.setdefault((objective, capability), []).append(row)
        return targets, capabilities

    def capabilities_of(self, objective_id: str) -> list[str]:
        """The core capabilities an objective lists, its targets' included (the command's rule)."""
        objective = next((o for o in self.package.objectives if o.id == objective_id), None)
        if objective is None:
            return []
        return list(
            dict.fromkeys((*objective.capabilities, *(t.capability for t in objective.targets)))
        )

    def clause_rows(self, objectives: list[ObjectiveRow]) -> list[ClauseRow]:
        """Reference clauses the listed objectives' tasks cite, with each evaluator's record."""
        sources: dict[str, str] = {}  # task id -> "reference-id/clause-id"
        for objective in self.package.objectives:
            for target in objective.targets:
                for task in target.tasks:
                    if task.source:
                        sources.setdefault(task.id, task.source)
        cited: dict[str, str] = {}  # ref -> the label the checklist shows
        for row in objectives:
            for target_row in row.targets:
                for task_row in target_row.tasks:
                    if task_row.id in sources:
                        cited.setdefault(sources[task_row.id], task_row.source)
        records: dict[str, list[tuple[str, bool, str, str]]] = {}
        for (clause, _), r in self.state.latest_clause_records().items():
            event = ev.ClauseRecorded(
                id=r.id, author=r.author, clause=clause, discussed=r.discussed
            )
            if view_event(self.principal, self.package, event) is not None:
                records.setdefault(clause, []).append(
                    (self.name(r.author), r.discussed, r.notes, self._evidence(r.evidence))
                )
        rows = []
        for ref, label in cited.items():
            found = self.package.clause(ref)
            if found is not None:
                rows.append(ClauseRow(ref, label or ref, self.t(found.text), records.get(ref, [])))
        return rows

    def _outline(self) -> list[EvaluationObjective]:
        return evaluation_outline(self.package, self.lang, is_staff(self.principal))

    def target_choices(self) -> list[tuple[str, list[tuple[str, str]]]]:
        groups = []
        for n, (objective, view) in enumerate(
            zip(self.package.objectives, self._outline(), strict=True), start=1
        ):
            targets = [
                (t.id, f"{t.id} ({shown.capability}): {excerpt(shown.text, 60)}")
                for t, shown in zip(objective.targets, view.targets, strict=True)
            ]
            if targets:
                groups.append((f"{n}. {excerpt(self.t(objective.text), 50)}", targets))
        return groups

    def capability_choices(self) -> list[tuple[str, list[tuple[str, str]]]]:
        groups = []
        for n, (objective, view) in enumerate(
            zip(self.package.objectives, self._outline(), strict=True), start=1
        ):
            capabilities = [
                (f"{objective.id}/{c}", name)
                for c, name in zip(
                    self.capabilities_of(objective.id), view.capabilities, strict=False
                )
            ]
            if capabilities:
                groups.append((f"{n}. {excerpt(self.t(objective.text), 50)}", capabilities))
        return groups

    def clause_choices(self) -> list[tuple[str, str]]:
        rows, _ = self.checklist()
        return [(c.ref, f"{c.label}: {excerpt(c.text, 60)}") for c in self.clause_rows(rows)]

    # -- the observation form --------------------------------------------------------------

    def objective_choices(self) -> list[tuple[str, str]]:
        return [
            (o.id, f"{n}. {excerpt(self.t(o.text), 70)}")
            for n, o in enumerate(self.package.objectives, start=1)
        ]

    def task_choices(self) -> list[tuple[str, list[tuple[str, str]]]]:
        groups = []
        for n, objective in enumerate(self.package.objectives, start=1):
            tasks = [
                (task.id, f"{task.id}: {excerpt(self.t(task.text), 70)}")
                for target in objective.targets
                for task in target.tasks
            ]
            if tasks:
                groups.append((f"{n}. {excerpt(self.t(objective.text), 50)}", tasks))
        return groups

    def inject_choices(self) -> list[tuple[str, str]]:
        """Injects to tag: the whole MSEL for handbook holders, else what they have seen."""
        return [
            (inject.number, f"#{inject.number} {excerpt(self.t(inject.title), 60)}")
            for inject, _ in visible_injects(self.principal, self.state)
        ]

    def team_choices(self) -> list[tuple[str, str]]:
        return [(t.id, self.t(t.name)) for t in self.package.player_teams()]

    # -- observations ----------------------------------------------------------------------

    # -- milestones --------------------------------------------------------------------------

    def milestones(self) -> list[MilestoneView]:
        """The package's milestones, reached or not, for evaluators and control (the gate shows
        a reached milestone only to them; nobody else gets the panel)."""
        if not is_staff(self.principal):
            return []
        numbers = {o.id: (n, o) for n, o in enumerate(self.package.objectives, 1)}
        rows = []
        for milestone in self.package.milestones:
            record = self.state.branches.milestones.get(milestone.id)
            seen = record is not None and (
                view_event(
                    self.principal,
                    self.package,
                    ev.MilestoneReached(
                        milestone=milestone.id, author=record.author, trigger=record.trigger
                    ),
                )
                is not None
            )
            objectives = [
                (str(numbers[o][0]), self.t(numbers[o][1].text)) if o in numbers else (o, "")
                for o in milestone.objectives
            ]
            rows.append(
                MilestoneView(
                    milestone.id,
                    self.t(milestone.name),
                    wall_time(record.at, self.tz) if seen and record else "",
                    self.name(record.author) if seen and record else "",
                    ("trigger" if record.trigger else "control") if seen and record else "",
                    objectives,
                    list(milestone.tasks),
                )
            )
        return rows

    @property
    def observation_count(self) -> int:
        """How many observations the viewer may read (the list may show fewer)."""
        return len(self.observations)

    def observation_rows(self, limit: int | None = None) -> list[ObservationRow]:
        """The newest observations first: ``limit`` of them, or all."""
        rows = []
        newest = reversed(self.observations)
        for entry in newest if limit is None else itertools.islice(newest, limit):
            tags: list[tuple[str, str]] = []
            objective = entry.tags.get("objective")
            if objective:
                number = next(
                    (n for n, o in enumerate(self.package.objectives, 1) if o.id == objective), None
                )
                tags.append((N_("Objective"), str(number or objective)))
            if entry.tags.get("task"):
                tags.append((N_("Critical task"), str(entry.tags["task"])))
            if entry.tags.get("inject"):
                tags.append((N_("Inject"), f"#{entry.tags['inject']}"))
            if entry.team:
                tags.append((N_("Team"), self.team_name(entry.team)))
            rows.append(
                ObservationRow(
                    entry.id,
                    entry.seq,
                    wall_time(entry.at, self.tz),
                    self.name(entry.author),
                    entry.author == self.principal.id,
                    entry.text,
                    tags,
                    entry.tags.get("rating"),
                )
            )
        return rows

    @property
    def own_only(self) -> bool:
        """Whether the list is headed as the viewer's own (observers read only theirs)."""
        return not sees_all_observations(self.principal)

    # -- what a team sees ------------------------------------------------------------------

    def team_view(self, team_id: str) -> TeamView | None:
        team = self.package.team(team_id) if team_id else None
        if team is None or team not in self.package.player_teams():
            return None
        stand_in = team_principal(team)
        injects = []
        # What the team sees, and never more than the viewer may see themselves.
        for inject, status in visible_injects(stand_in, self.state):
            if not can_see_inject(self.principal, self.package, inject):
                continue
            data: dict[str, Any] = inject_view(
                stand_in, self.package, inject, self.lang, status.content
            )
            injects.append(
                TeamInject(
                    inject.number,
                    str(data.get("title_text", "")),
                    str(data.get("content_text", "")),
                    str(data.get("banner", "")),
                    str(data.get("from_text") or ""),
                    str(status.status),
                    wall_time(status.released_at, self.tz),
                )
            )
        shown = can_see_team_material(self.principal, team.id, team.party)
        responses = []
        for entry in reversed(visible_responses(self.principal, self.state)):
            if entry.team != team.id:
                continue
            target = f"#{entry.ref}" if entry.target == "inject" else str(entry.ref or "")
            responses.append(
                (wall_time(entry.at, self.tz), self.name(entry.author), target, entry.text)
            )
        party = self.package.party(team.party) if team.party else None
        return TeamView(
            team.id,
            self.t(team.name),
            f"{self.t(party.name)} ({party.code})" if party else "",
            injects,
            responses,
            shown,
        )
