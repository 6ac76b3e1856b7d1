"""Findings drafted from the evidence, for evaluators to edit: strengths and areas for
improvement per core capability, and the general ones said in the hot wash or written on
feedback forms.

A draft is a pure projection of a run's state. Its id is stable (``draft-<capability>-<kind>``),
so an evaluator's edit (a ``finding-saved`` event with that id) replaces the draft, and a
``finding-removed`` takes it out; the text of a draft follows the evidence until then.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sitroom.conduct.state import Entry, RunState
from sitroom.package.model import Package

MAX_LINES = 12
"""Evidence lines quoted in a drafted analysis; the rest are counted."""
STRENGTH, IMPROVEMENT = "strength", "improvement"
_GOOD, _POOR = ("P", "S"), ("M", "U")


@dataclass(frozen=True, slots=True)
class Draft:
    """A finding as the evidence suggests it."""

    id: str
    kind: str  # strength | improvement
    capability: str | None  # None: a general finding (hot wash, feedback)
    objective: str | None
    title: str
    analysis: str
    evidence: tuple[int, ...]
    corrective_actions: tuple[dict[str, str], ...] = ()


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


def _first_sentence(text: str, limit: int = 120) -> str:
    line = " ".join(text.split())
    for stop in (". ", "? ", "! ", "다. "):
        head, sep, _ = line.partition(stop)
        if sep:
            line = head + stop.strip()
            break
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _analysis(lines: list[str]) -> str:
    shown = [f"- {line}" for line in lines[:MAX_LINES]]
    if len(lines) > MAX_LINES:
        shown.append(f"- … and {len(lines) - MAX_LINES} more (see the evidence)")
    return "\n".join(shown)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _capability_drafts(state: RunState) -> list[Draft]:
    package = state.package
    capabilities = capability_map(package)
    target_capability = {t.id: t.capability for t in package.targets()}
    objective_of: dict[str, str] = {}
    order: list[str] = []
    for objective in package.objectives:
        for capability in (*objective.capabilities, *(t.capability for t in objective.targets)):
            if capability not in order:
                order.append(capability)
                objective_of[capability] = objective.id
    lines: dict[tuple[str, str], list[tuple[int, str]]] = {}

    def add(capability: str, kind: str, seq: int, line: str) -> None:
        lines.setdefault((capability, kind), []).append((seq, line))

    for observation in state.observations:
        rating = observation.tags.get("rating")
        if rating not in (*_GOOD, *_POOR):
            continue
        kind = STRENGTH if rating in _GOOD else IMPROVEMENT
        for capability in observation_capabilities(observation, capabilities):
            add(capability, kind, observation.seq, f"[{rating}] {_one_line(observation.text)}")
    ratings = [*state.latest_target_ratings().values(), *state.latest_capability_ratings().values()]
    for rated in sorted(ratings, key=lambda r: r.seq):
        if not rated.notes.strip():
            continue
        capability = target_capability.get(rated.subject, rated.subject)
        kind = STRENGTH if rated.rating in _GOOD else IMPROVEMENT
        add(capability, kind, rated.seq, f"[{rated.rating}] {_one_line(rated.notes)}")
    drafts: list[Draft] = []
    for capability in order:
        for kind in (STRENGTH, IMPROVEMENT):
            found = sorted(lines.get((capability, kind), []))
            if not found:
                continue
            drafts.append(
                Draft(
                    id=draft_id(capability, kind),
                    kind=kind,
                    capability=capability,
                    objective=objective_of.get(capability),
                    title=_first_sentence(found[0][1].split("] ", 1)[-1]),
                    analysis=_analysis([line for _, line in found]),
                    evidence=tuple(dict.fromkeys(seq for seq, _ in found)),
                )
            )
    return drafts


def _general_drafts(state: RunState) -> list[Draft]:
    said: dict[str, list[tuple[int, str]]] = {STRENGTH: [], IMPROVEMENT: []}
    for item in state.hot_wash:
        said[item.kind].append((item.seq, f"(hot wash) {_one_line(item.text)}"))
    actions: list[dict[str, str]] = []
    action_seqs: list[int] = []
    for form in sorted(state.feedback.values(), key=lambda f: f.seq):
        for text in form.strengths:
            said[STRENGTH].append((form.seq, f"(feedback) {_one_line(text)}"))
        for text in form.improvements:
            said[IMPROVEMENT].append((form.seq, f"(feedback) {_one_line(text)}"))
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
        found = sorted(said[kind])
        extra = action_seqs if kind == IMPROVEMENT else []
        if not found and not extra:
            continue
        title = _first_sentence(found[0][1].split(") ", 1)[-1]) if found else actions[0]["action"]
        drafts.append(
            Draft(
                id=draft_id(None, kind),
                kind=kind,
                capability=None,
                objective=None,
                title=_first_sentence(title),
                analysis=_analysis([line for _, line in found]),
                evidence=tuple(dict.fromkeys([*(s for s, _ in found), *extra])),
                corrective_actions=tuple(actions) if kind == IMPROVEMENT else (),
            )
        )
    return drafts


def draft_findings(state: RunState, *, skip: Iterable[str] = ()) -> tuple[Draft, ...]:
    """Drafted findings for every capability with rated evidence, then the general ones;
    ``skip`` names ids an evaluator has already saved or removed."""
    skipped = set(skip)
    drafts = [*_capability_drafts(state), *_general_drafts(state)]
    return tuple(d for d in drafts if d.id not in skipped)
