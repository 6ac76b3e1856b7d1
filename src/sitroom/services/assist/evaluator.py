"""The evaluator's assistant: a proposed P/S/M/U for each critical task, with the log events
it rests on and why.

It is shown the critical tasks (id, text, and the injects that exercise each) and the events
the evaluator may see that bear on them (responses, acknowledgements, decisions, votes,
observations) — nothing else. A proposal that names a task it was not shown, or an event
number it was not shown, is invalid.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

from pydantic import Field

from sitroom.package.model import Package, text_in
from sitroom.services.assist.asking import Invalid, Strict
from sitroom.services.assist.evidence import Fact

USER = "assist:evaluator"
TASK = (
    "You help an exercise evaluator. For each critical task, propose an HSEEP rating — P "
    "(performed without challenges), S (some challenges), M (major challenges), U (unable to "
    "be performed) — citing the event numbers it rests on and saying why in one or two "
    "sentences. Leave out a task the data says nothing about."
)
SYSTEM = [
    "You assist the evaluator of a fictional discussion-based exercise at the policy level. "
    "The evaluator decides; you only propose."
]
WORSE = "PSMU"


class TaskRating(Strict):
    task: str
    rating: Literal["P", "S", "M", "U"]
    evidence: list[int] = Field(min_length=1, max_length=20)
    why: str = Field(max_length=600)


class RatingsAnswer(Strict):
    proposals: list[TaskRating]


def facts_of(package: Package, facts: list[Fact]) -> dict[str, Any]:
    """The tasks and the evidence bearing on them (events about their injects, or tagged)."""
    lang, langs = package.exercise.languages[0], package.exercise.languages
    exercised: dict[str, list[str]] = {}
    for inject in package.injects():
        for task in inject.tasks:
            exercised.setdefault(task, []).append(inject.number)
    tasks = [
        {"task": t.id, "text": text_in(t.text, lang, langs), "injects": exercised.get(t.id, [])}
        for t in package.tasks()
    ]
    wanted_injects = {n for numbers in exercised.values() for n in numbers}
    evidence = [f.as_json() for f in facts if _bears(f, wanted_injects)]
    return {"tasks": tasks, "evidence": evidence}


def _bears(fact: Fact, injects: set[str]) -> bool:
    data = fact.data
    about = data.get("inject") or str(data.get("to", "")).removeprefix("inject:")
    return bool(data.get("task")) or about in injects or fact.type.startswith("decision")


def check(shown: dict[str, Any], answer: RatingsAnswer) -> tuple[list[dict[str, Any]], int]:
    """The answer as items, every task and event id checked against what was shown."""
    tasks = {t["task"] for t in shown["tasks"]}
    seqs = {e["event"] for e in shown["evidence"]}
    items: list[dict[str, Any]] = []
    for proposal in answer.proposals:
        if proposal.task not in tasks:
            raise Invalid(f"unknown task '{proposal.task}' (known: {', '.join(sorted(tasks))})")
        unknown = [s for s in proposal.evidence if s not in seqs]
        if unknown:
            raise Invalid(f"task {proposal.task}: event {unknown[0]} is not in the data")
        if any(i["task"] == proposal.task for i in items):
            raise Invalid(f"task {proposal.task} is rated twice")
        items.append(_item(shown, proposal.task, proposal.rating, proposal.evidence, proposal.why))
    if not items:
        raise Invalid("no task rated")
    return items, 0


def _item(
    shown: dict[str, Any], task: str, rating: str, evidence: list[int], why: str
) -> dict[str, Any]:
    return {
        "key": task,
        "task": task,
        "objective": shown.get("objectives", {}).get(task),
        "rating": rating,
        "evidence": sorted(set(evidence)),
        "why": " ".join(why.split()),
    }


def scripted(shown: dict[str, Any]) -> list[dict[str, Any]]:
    """A deterministic proposal from the evidence alone: the evaluators' own ratings of the
    task when there are some (the worse on a tie), else how many of the task's injects were
    answered (all: S, some: M, none: U). A task without evidence gets no proposal."""
    items = []
    for task in shown["tasks"]:
        injects = set(task["injects"])
        cited = [e for e in shown["evidence"] if _about(e, task["task"], injects)]
        if not cited:
            continue
        rated = [
            e["rating"] for e in cited if e["type"] == "observation-recorded" and e.get("rating")
        ]
        released = {e["inject"] for e in cited if e["type"] == "inject-released"}
        answered = {
            e["to"].removeprefix("inject:") for e in cited if e["type"] == "response-submitted"
        }
        if rated:
            counts = Counter(rated)
            rating = max(counts, key=lambda r: (counts[r], WORSE.index(r)))
            why = f"{len(rated)} observation(s) of this task rated {', '.join(sorted(set(rated)))}."
        elif released and released <= answered:
            rating, why = (
                "S",
                f"Every released inject of the task ({', '.join(sorted(released))}) was answered.",
            )
        elif answered & released:
            rating, why = (
                "M",
                f"Only {len(answered & released)} of {len(released)} released inject(s) "
                "of the task were answered.",
            )
        else:
            rating, why = "U", "Its inject(s) were released but nobody answered."
        evidence = [e["event"] for e in cited][:20]
        items.append(_item(shown, task["task"], rating, evidence, why))
    return items


def _about(evidence: dict[str, Any], task: str, injects: set[str]) -> bool:
    if evidence.get("task") == task:
        return True
    about = evidence.get("inject") or str(evidence.get("to", "")).removeprefix("inject:")
    return bool(about) and about in injects
