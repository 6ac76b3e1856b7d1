"""Checks of a package's branches: triggers, milestones and choices.

Every reference in a condition must name something of the package; a condition that can
never be true (a choice the inject does not offer, an answer from a team the inject never
reaches) is an error; so is a branch that no path of the run can reach, and a cycle of
triggers that wait for each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Protocol

from sitroom.package.conditions import Condition, format_condition
from sitroom.package.model import Package, Trigger
from sitroom.package.timeforms import parse_scenario_time

P = tuple[str | int, ...]
INJECT_FACTS = (
    "released",
    "acknowledged",
    "answered",
    "not-acknowledged",
    "not-answered",
    "choice",
)


class Reporter(Protocol):
    def report(
        self, path: P, code: str, message: str, hint: str = "", *, warning: bool = False
    ) -> None: ...

    def unknown(self, path: P, kind: str, value: str, known: Iterable[str], where: str) -> None: ...


def trigger_paths(package: Package) -> Iterator[tuple[str, P, Trigger]]:
    """Every trigger with its id and its path in the package."""
    for mi, module in enumerate(package.modules):
        if module.trigger is not None:
            yield f"module:{module.id}", ("modules", mi, "trigger"), module.trigger
        for ii, inject in enumerate(module.injects):
            if inject.trigger is not None:
                yield (
                    f"inject:{inject.number}",
                    ("modules", mi, "injects", ii, "trigger"),
                    inject.trigger,
                )
    for i, milestone in enumerate(package.milestones):
        if milestone.trigger is not None:
            yield f"milestone:{milestone.id}", ("milestones", i, "trigger"), milestone.trigger


def references(condition: Condition) -> set[str]:
    """What a condition waits for: ``inject:<n>``, ``module:<id>``, ``milestone:<id>``."""
    found: set[str] = set()
    for fact in condition.facts():
        if fact.op in INJECT_FACTS:
            found.add(f"inject:{fact.subject}")
        elif fact.op in ("milestone", "module"):
            found.add(f"{fact.op}:{fact.subject}")
        if fact.arg("after"):
            found.add(str(fact.arg("after")))
    return found


def check_branches(c: Reporter, package: Package) -> None:
    """Report every problem of the package's milestones, choices and triggers to ``c``."""
    objectives = {o.id for o in package.objectives}
    tasks = {k.id for k in package.tasks()}
    seen: set[str] = set()
    for i, milestone in enumerate(package.milestones):
        if milestone.id in seen:
            c.report(
                ("milestones", i, "id"),
                "duplicate-id",
                f"milestone id '{milestone.id}' is used twice",
                "give each milestone its own id",
            )
        seen.add(milestone.id)
        for j, objective in enumerate(milestone.objectives):
            if objective not in objectives:
                where = f"milestone '{milestone.id}'"
                c.unknown(
                    ("milestones", i, "objectives", j), "objective", objective, objectives, where
                )
        for j, task in enumerate(milestone.tasks):
            if task not in tasks:
                where = f"milestone '{milestone.id}'"
                c.unknown(("milestones", i, "tasks", j), "critical task", task, tasks, where)
    for mi, module in enumerate(package.modules):
        for ii, inject in enumerate(module.injects):
            options = [o.id for o in inject.choice.options] if inject.choice else []
            if len(set(options)) != len(options):
                c.report(
                    ("modules", mi, "injects", ii, "choice", "options"),
                    "duplicate-id",
                    f"inject {inject.number} offers an option id twice",
                    "give each option its own id",
                )
    triggers = list(trigger_paths(package))
    for trigger_id, path, trigger in triggers:
        for fact in trigger.when.facts():
            _check_fact(c, package, trigger_id, path, fact)
    _check_reachable(c, package, triggers)


def _check_fact(c: Reporter, package: Package, trigger_id: str, path: P, fact: Condition) -> None:
    where = f"the trigger of {trigger_id} ({format_condition(fact)})"
    teams = {t.id for t in package.teams}
    parties = {p.id for p in package.parties}
    numbers = {i.number for i in package.injects()}
    polls = {p.id: p for m in package.modules for p in m.polls}
    subject = fact.subject or ""

    def never(message: str, hint: str) -> None:
        c.report(path, "never-true-condition", f"{where}: {message}", hint)

    if fact.op in INJECT_FACTS:
        inject = package.inject(subject)
        if inject is None:
            c.unknown(path, "inject", subject, numbers, where)
            return
        by = fact.arg("by")
        if by is not None:
            if by not in teams:
                c.unknown(path, "team", by, teams, where)
            elif by not in {t.id for t in package.recipients(inject)}:
                never(f"inject {subject} does not go to team '{by}'", "name a team in its 'to'")
        if fact.op == "choice":
            offered = [o.id for o in inject.choice.options] if inject.choice else []
            if not offered:
                never(f"inject {subject} offers no choice", "add 'choice:' with options to it")
            elif fact.arg("is") not in offered:
                never(
                    f"inject {subject} has no option '{fact.arg('is')}'",
                    f"options: {', '.join(offered)}",
                )
    elif fact.op in ("proposed", "concurred", "not-concurred"):
        by, with_ = fact.arg("by"), fact.arg("with")
        if by is not None and by not in parties | teams:
            c.unknown(path, "party or team", by, parties | teams, where)
        if with_ is not None and with_ not in parties:
            c.unknown(path, "party", with_, parties, where)
        party_of_by = package.team(by).party if by and package.team(by) else by  # type: ignore[union-attr]
        if with_ is not None and party_of_by == with_:
            never(
                f"a party is never asked to concur with itself ('{with_}')", "name the other party"
            )
        if fact.op != "proposed" and with_ is None and len(parties) < 2:
            never("a joint decision needs two parties", "declare the parties")
    elif fact.op == "poll":
        poll = polls.get(subject)
        if poll is None:
            c.unknown(path, "poll", subject, polls, where)
            return
        wins = fact.arg("wins")
        if wins is not None and wins not in {o.id for o in poll.options}:
            c.unknown(path, "poll option", wins, [o.id for o in poll.options], where)
        if fact.arg("confidence-below") is not None and not poll.ask_confidence:
            never(f"poll '{subject}' does not ask for confidence", "set 'ask_confidence: true'")
    elif fact.op == "milestone" and package.milestone(subject) is None:
        c.unknown(path, "milestone", subject, [m.id for m in package.milestones], where)
    elif fact.op == "module" and not any(m.id == subject for m in package.modules):
        c.unknown(path, "module", subject, [m.id for m in package.modules], where)
    before = fact.arg("before")
    if before:
        _check_scenario_deadline(package, fact, parse_scenario_time(before), never)
    after = fact.arg("after")
    if after:
        kind, _, ref = after.partition(":")
        known = {
            "inject": numbers,
            "module": {m.id for m in package.modules},
            "milestone": {m.id for m in package.milestones},
        }[kind]
        if ref not in known:
            c.unknown(path, kind, ref, known, where)


def _check_scenario_deadline(
    package: Package, fact: Condition, when: datetime, never: Callable[[str, str], None]
) -> None:
    """A scenario-time deadline needs a scenario clock: a module with a ``start``."""
    starts = [m.start for m in package.modules if m.start is not None]
    if not starts:
        never(
            "no module has a scenario 'start', so scenario time never reaches the deadline",
            "give the modules a start, or write within= (exercise time)",
        )
    elif fact.op == "concurred" and all(_utc(s) > _utc(when) for s in starts):
        never(
            f"every module starts after {fact.arg('before')} in scenario time",
            "name a scenario time inside a module's span",
        )


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _possible(condition: Condition, can: set[str], triggered: set[str]) -> bool:
    if condition.op == "all":
        return all(_possible(p, can, triggered) for p in condition.parts)
    if condition.op == "any":
        return any(_possible(p, can, triggered) for p in condition.parts)
    needed = references(condition)
    return all(ref in can or ref not in triggered for ref in needed)


def _check_reachable(c: Reporter, package: Package, triggers: list[tuple[str, P, Trigger]]) -> None:
    triggered = {trigger_id for trigger_id, _, _ in triggers}
    # A milestone can always be marked by control, so only injects and modules wait.
    waiting = {t for t in triggered if not t.startswith("milestone:")}
    can: set[str] = set()
    changed = True
    while changed:
        changed = False
        for trigger_id, _, trigger in triggers:
            if trigger_id not in can and _possible(trigger.when, can, waiting):
                can.add(trigger_id)
                changed = True
    edges = {tid: references(t.when) & waiting for tid, _, t in triggers}
    in_cycle = _cycles(edges)
    for trigger_id, path, _ in triggers:
        if trigger_id in in_cycle:
            c.report(
                path,
                "trigger-cycle",
                f"the trigger of {trigger_id} waits, through "
                f"{' → '.join(in_cycle[trigger_id])}, for itself",
                "break the cycle: one of these must be released by hand or by its offset",
            )
        elif trigger_id in waiting and trigger_id not in can:
            c.report(
                path,
                "unreachable-branch",
                f"no path of the run reaches {trigger_id}: its condition waits for branches "
                "that can never come",
                "check the conditions it depends on",
            )


def _cycles(edges: dict[str, set[str]]) -> dict[str, list[str]]:
    """Each node on a cycle, with the cycle as a path from it back to itself."""
    found: dict[str, list[str]] = {}
    for start in edges:
        stack: list[tuple[str, list[str]]] = [(start, [start])]
        visited: set[str] = set()
        while stack:
            node, path = stack.pop()
            for nxt in sorted(edges.get(node, ())):
                if nxt == start:
                    found.setdefault(start, [*path, start])
                elif nxt not in visited:
                    visited.add(nxt)
                    stack.append((nxt, [*path, nxt]))
    return found
