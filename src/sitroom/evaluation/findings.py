"""Findings drafted from the evidence, for evaluators to edit: strengths and areas for
improvement per core capability, and the general ones said in the hot wash or written on
feedback forms.

A draft is a pure projection of a run's state. Its id is stable (``draft-<capability>-<kind>``),
so an evaluator's edit (a ``finding-saved`` event with that id) replaces the draft, and a
``finding-removed`` takes it out; the text of a draft follows the evidence until then.

A draft holds facts, not sentences: each :class:`Point` says what was observed or rated, of
which team, against which task, target or inject, with the evaluator's words and the event it
comes from. The report writes them as sentences in its languages (``reports.draft_text``),
with team and party names, task texts and clause titles from the package.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sitroom.conduct.state import Entry, RunState
from sitroom.package.model import Package

MAX_LINES = 12
"""Evidence points quoted in a drafted analysis; the rest are counted."""
STRENGTH, IMPROVEMENT = "strength", "improvement"
_GOOD, _POOR = ("P", "S"), ("M", "U")

OBSERVATION, TARGET_RATING, CAPABILITY_RATING = "observation", "target-rating", "capability-rating"
HOT_WASH, FEEDBACK = "hot-wash", "feedback"


@dataclass(frozen=True, slots=True)
class Point:
    """One piece of evidence a draft cites: what, of whom, against what, and the words."""

    seq: int
    source: str  # observation | target-rating | capability-rating | hot-wash | feedback
    text: str  # the evaluator's or participant's words, on one line
    rating: str | None = None
    team: str | None = None
    party: str | None = None
    inject: str | None = None
    task: str | None = None
    objective: str | None = None
    subject: str | None = None  # a rating's target id, or capability id


@dataclass(frozen=True, slots=True)
class Draft:
    """A finding as the evidence suggests it."""

    id: str
    kind: str  # strength | improvement
    capability: str | None  # None: a general finding (hot wash, feedback)
    objective: str | None
    points: tuple[Point, ...]
    evidence: tuple[int, ...]
    corrective_actions: tuple[dict[str, str], ...] = ()
    focus: tuple[str, str] | None = None
    """What most of the evidence is about: ("task", id), ("target", id) or ("inject", number)."""
    teams: tuple[str, ...] = ()
    """The teams the evidence is about, in the order they first appear."""


def draft_id(capability: str | None, kind: str) -> str:
    """The stable id of the draft for ``capability`` (None: general) and ``kind``."""
    return f"draft-{capability or 'general'}-{kind}"


def capability_map(package: Package) -> dict[str, tuple[str, ...]]:
    """Objective, task and inject ids → the core capabilities they exercise."""
    found: dict[str, list[str]] = {}

    def add(key: str, capability: str) -> None:
        found.setdefault(key, [])
        if capability not in found[key]:
            found[key].append(capability)

    for objective in package.objectives:
        for capability in (*objective.capabilities, *(t.capability for t in objective.targets)):
            add(f"objective:{objective.id}", capability)
        for target in objective.targets:
            for task in target.tasks:
                add(f"task:{task.id}", target.capability)
    for inject in package.injects():
        keys = [f"task:{t}" for t in inject.tasks] or [f"objective:{o}" for o in inject.objectives]
        for key in keys:
            for capability in found.get(key, ()):
                add(f"inject:{inject.number}", capability)
    return {key: tuple(values) for key, values in found.items()}


def observation_capabilities(
    observation: Entry, capabilities: dict[str, tuple[str, ...]]
) -> tuple[str, ...]:
    """The capabilities an observation speaks to: by its task, else its inject, else objective."""
    tags = observation.tags
    for key in ("task", "inject", "objective"):
        value = tags.get(key)
        if value is not None and f"{key}:{value}" in capabilities:
            return capabilities[f"{key}:{value}"]
    return ()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _focus(points: list[Point]) -> tuple[str, str] | None:
    """The task cited most (the first cited on a tie), else the target, else the inject."""
    tasks = [p.task for p in points if p.task]
    targets = [p.subject for p in points if p.source == TARGET_RATING and p.subject]
    injects = [p.inject for p in points if p.inject]
    for key, cited in (("task", tasks), ("target", targets), ("inject", injects)):
        if cited:
            return key, max(dict.fromkeys(cited), key=cited.count)
    return None


def _draft(
    draft: str, kind: str, capability: str | None, objective: str | None, points: list[Point]
) -> Draft:
    return Draft(
        id=draft,
        kind=kind,
        capability=capability,
        objective=objective,
        points=tuple(points),
        evidence=tuple(dict.fromkeys(p.seq for p in points)),
        focus=_focus(points),
        teams=tuple(dict.fromkeys(p.team for p in points if p.team)),
    )


def _capability_drafts(state: RunState) -> list[Draft]:
    package = state.package
    capabilities = capability_map(package)
    target_capability = {t.id: t.capability for t in package.targets()}
    team_party = {t.id: t.party for t in package.teams}
    objective_of: dict[str, str] = {}
    order: list[str] = []
    for objective in package.objectives:
        for capability in (*objective.capabilities, *(t.capability for t in objective.targets)):
            if capability not in order:
                order.append(capability)
                objective_of[capability] = objective.id
    found: dict[tuple[str, str], list[Point]] = {}

    def add(capability: str, kind: str, point: Point) -> None:
        found.setdefault((capability, kind), []).append(point)

    for observation in state.observations:
        tags = observation.tags
        rating = tags.get("rating")
        if rating not in (*_GOOD, *_POOR):
            continue
        kind = STRENGTH if rating in _GOOD else IMPROVEMENT
        point = Point(
            observation.seq,
            OBSERVATION,
            _one_line(observation.text),
            rating,
            observation.team,
            team_party.get(observation.team) if observation.team else None,
            tags.get("inject"),
            tags.get("task"),
            tags.get("objective"),
        )
        for capability in observation_capabilities(observation, capabilities):
            add(capability, kind, point)
    ratings = [*state.latest_target_ratings().values(), *state.latest_capability_ratings().values()]
    for rated in sorted(ratings, key=lambda r: r.seq):
        if not rated.notes.strip():
            continue
        capability = target_capability.get(rated.subject, rated.subject)
        source = TARGET_RATING if rated.subject in target_capability else CAPABILITY_RATING
        kind = STRENGTH if rated.rating in _GOOD else IMPROVEMENT
        point = Point(
            rated.seq,
            source,
            _one_line(rated.notes),
            rated.rating,
            objective=rated.objective,
            subject=rated.subject,
        )
        add(capability, kind, point)
    drafts: list[Draft] = []
    for capability in order:
        for kind in (STRENGTH, IMPROVEMENT):
            points = sorted(found.get((capability, kind), []), key=lambda p: p.seq)
            if points:
                home = objective_of.get(capability)
                drafts.append(_draft(draft_id(capability, kind), kind, capability, home, points))
    return drafts


def _general_drafts(state: RunState) -> list[Draft]:
    said: dict[str, list[Point]] = {STRENGTH: [], IMPROVEMENT: []}
    for item in state.hot_wash:
        point = Point(item.seq, HOT_WASH, _one_line(item.text), team=item.team, party=item.party)
        said[item.kind].append(point)
    actions: list[dict[str, str]] = []
    action_seqs: list[int] = []
    for form in sorted(state.feedback.values(), key=lambda f: f.seq):
        for text in form.strengths:
            said[STRENGTH].append(Point(form.seq, FEEDBACK, _one_line(text)))
        for text in form.improvements:
            said[IMPROVEMENT].append(Point(form.seq, FEEDBACK, _one_line(text)))
        for n, suggested in enumerate(form.corrective_actions):
            action_seqs.append(form.seq)
            actions.append(
                {
                    "id": f"{form.id}-{n + 1}",
                    "action": suggested.get("action", ""),
                    "element": "",
                    "organisation": suggested.get("responsible", ""),
                    "poc": "",
                    "start": "",
                    "completion": "",
                    "priority": suggested.get("priority", ""),
                }
            )
    drafts: list[Draft] = []
    for kind in (STRENGTH, IMPROVEMENT):
        points = sorted(said[kind], key=lambda p: p.seq)
        extra = action_seqs if kind == IMPROVEMENT else []
        if not points and not extra:
            continue
        draft = _draft(draft_id(None, kind), kind, None, None, points)
        drafts.append(
            Draft(
                id=draft.id,
                kind=kind,
                capability=None,
                objective=None,
                points=draft.points,
                evidence=tuple(dict.fromkeys([*draft.evidence, *extra])),
                corrective_actions=tuple(actions) if kind == IMPROVEMENT else (),
                teams=draft.teams,
            )
        )
    return drafts


def draft_findings(state: RunState, *, skip: Iterable[str] = ()) -> tuple[Draft, ...]:
    """Drafted findings for every capability with rated evidence, then the general ones;
    ``skip`` names ids an evaluator has already saved or removed."""
    skipped = set(skip)
    drafts = [*_capability_drafts(state), *_general_drafts(state)]
    return tuple(d for d in drafts if d.id not in skipped)
