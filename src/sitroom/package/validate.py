"""Cross-reference checks on a typed package: ids, references, releasability, coverage.

Each check yields problems located through the source map, so a planner is pointed at the
line to fix. Errors make a package unusable; warnings point at likely planning gaps.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from sitroom.package.branches import check_branches
from sitroom.package.capabilities import library_names, load_library
from sitroom.package.cellcheck import check_cells
from sitroom.package.crossref import check_acronyms, check_attachment, check_question_citations
from sitroom.package.gamecheck import check_game
from sitroom.package.model import Inject, Marking, Package, TeamKind
from sitroom.package.orgcheck import check_organisations
from sitroom.package.problems import Problem, Severity
from sitroom.package.schemes import all_schemes
from sitroom.package.sourcemap import SourceMap

P = tuple[str | int, ...]


class _Checker:
    def __init__(self, package: Package, source: SourceMap) -> None:
        self.package = package
        self.source = source
        self.problems: list[Problem] = []

    def report(
        self, path: P, code: str, message: str, hint: str = "", *, warning: bool = False
    ) -> None:
        line, column = self.source.find(path)
        self.problems.append(
            Problem(
                code,
                message,
                file=self.source.file,
                line=line,
                column=column,
                severity=Severity.WARNING if warning else Severity.ERROR,
                hint=hint,
                field=".".join(str(p) for p in path),
            )
        )

    def unknown(self, path: P, kind: str, value: str, known: Iterable[str], where: str) -> None:
        options = sorted(set(known))
        close = difflib.get_close_matches(value, options, n=1, cutoff=0.5)
        if close:
            hint = f"did you mean '{close[0]}'?"
        elif options:
            shown = ", ".join(f"'{o}'" for o in options[:12])
            hint = f"known {kind}s: {shown}" + (" …" if len(options) > 12 else "")
        else:
            hint = f"no {kind}s are defined; add them first"
        self.report(path, "unknown-reference", f"unknown {kind} '{value}' in {where}", hint)


def _unique(checker: _Checker, items: Iterable[tuple[P, str]], kind: str) -> None:
    seen: dict[str, P] = {}
    for path, ident in items:
        if ident in seen:
            first = checker.source.find(seen[ident])[0]
            checker.report(
                path,
                "duplicate-id",
                f"{kind} id '{ident}' is used twice"
                + (f" (first on line {first})" if first else ""),
                f"give each {kind} its own id",
            )
        else:
            seen[ident] = path


def _inject_paths(package: Package) -> Iterator[tuple[P, Inject]]:
    for mi, module in enumerate(package.modules):
        for ii, inject in enumerate(module.injects):
            yield ("modules", mi, "injects", ii), inject


def check_package(
    package: Package,
    source: SourceMap,
    documents_dir: Path | None = None,
    *,
    require_attachments: bool = True,
) -> list[Problem]:
    """Every cross-reference problem of ``package``; empty when it is consistent.

    ``require_attachments=False`` skips the check that attachment files exist (for a package
    sent as YAML text, whose documents come separately).
    """
    c = _Checker(package, source)
    ex = package.exercise

    # --- capability library
    capabilities: dict[str, Any] = {}
    if ex.capability_library:
        try:
            capabilities.update(load_library(ex.capability_library))
        except KeyError:
            c.report(
                ("exercise", "capability_library"),
                "unknown-library",
                f"no bundled capability library '{ex.capability_library}'",
                "bundled: " + ", ".join(library_names()) + " (or null with custom capabilities)",
            )
    for custom in package.capabilities:
        capabilities[custom.id] = custom
    _unique(
        c,
        ((("capabilities", i, "id"), cap.id) for i, cap in enumerate(package.capabilities)),
        "capability",
    )

    # --- unique ids
    party_ids = {p.id for p in package.parties}
    team_ids = {t.id for t in package.teams}
    _unique(c, ((("parties", i, "id"), p.id) for i, p in enumerate(package.parties)), "party")
    _unique(
        c, ((("parties", i, "code"), p.code) for i, p in enumerate(package.parties)), "party code"
    )
    _unique(c, ((("teams", i, "id"), t.id) for i, t in enumerate(package.teams)), "team")
    _unique(
        c, ((("objectives", i, "id"), o.id) for i, o in enumerate(package.objectives)), "objective"
    )
    _unique(
        c, ((("references", i, "id"), r.id) for i, r in enumerate(package.references)), "reference"
    )
    _unique(c, ((("modules", i, "id"), m.id) for i, m in enumerate(package.modules)), "module")
    _unique(c, ((p + ("number",), inj.number) for p, inj in _inject_paths(package)), "inject")
    targets = [
        (("objectives", oi, "targets", ti), t)
        for oi, o in enumerate(package.objectives)
        for ti, t in enumerate(o.targets)
    ]
    _unique(c, ((p + ("id",), t.id) for p, t in targets), "capability target")
    tasks = [(p + ("tasks", ki), k) for p, t in targets for ki, k in enumerate(t.tasks)]
    _unique(c, ((p + ("id",), k.id) for p, k in tasks), "critical task")
    questions = [
        (("modules", mi, "questions", qi), q)
        for mi, m in enumerate(package.modules)
        for qi, q in enumerate(m.questions)
    ]
    polls = [
        (("modules", mi, "polls", pi), q)
        for mi, m in enumerate(package.modules)
        for pi, q in enumerate(m.polls)
    ]
    _unique(c, ((p + ("id",), q.id) for p, q in questions), "discussion question")
    _unique(c, ((p + ("id",), q.id) for p, q in polls), "poll")
    for pp, poll in polls:
        _unique(
            c,
            ((pp + ("options", i, "id"), o.id) for i, o in enumerate(poll.options)),
            "poll option",
        )
    clause_ids: set[str] = set()
    for ri, ref in enumerate(package.references):
        _unique(
            c,
            ((("references", ri, "clauses", ci, "id"), cl.id) for ci, cl in enumerate(ref.clauses)),
            f"clause of '{ref.id}'",
        )
        clause_ids.update(f"{ref.id}/{cl.id}" for cl in ref.clauses)
    objective_ids = {o.id for o in package.objectives}
    task_ids = {k.id for _, k in tasks}
    inject_numbers = {inj.number for _, inj in _inject_paths(package)}

    # --- languages
    languages = ex.languages
    for i, party in enumerate(package.parties):
        if party.default_language and party.default_language not in languages:
            c.report(
                ("parties", i, "default_language"),
                "unknown-language",
                f"party '{party.id}' speaks '{party.default_language}', which is not among "
                f"the exercise languages",
                f"add it to exercise.languages: [{', '.join(languages)}, {party.default_language}]",
            )

    # --- teams and parties
    for i, team in enumerate(package.teams):
        if team.party is not None and team.party not in party_ids:
            c.unknown(("teams", i, "party"), "party", team.party, party_ids, f"team '{team.id}'")
        if team.kind == TeamKind.PLAYERS and team.party is None and package.parties:
            c.report(
                ("teams", i),
                "team-without-party",
                f"player team '{team.id}' belongs to no party",
                "add 'party: <party id>' so releasability can be enforced",
                warning=True,
            )

    # --- markings
    schemes = all_schemes()
    scheme = schemes.get(ex.marking_scheme)
    if scheme is None:
        c.report(
            ("exercise", "marking_scheme"),
            "unknown-marking-scheme",
            f"no marking scheme '{ex.marking_scheme}'",
            "use one of " + ", ".join(sorted(schemes)) + " (schemes.yaml)",
        )

    def check_marking(path: P, marking: Marking | None, where: str) -> None:
        if marking is None:
            return
        if (
            scheme is not None
            and marking.classification
            and not scheme.find(marking.classification)
        ):
            c.report(
                path + ("classification",),
                "unknown-classification",
                f"the marking of {where} is '{marking.classification}', which the"
                f" '{scheme.id}' scheme does not know, so it cannot be ordered",
                "use one of " + ", ".join(scheme.names()),
                warning=True,
            )
        for i, party in enumerate(marking.releasable_to):
            if party not in party_ids:
                c.unknown(path + ("releasable_to", i), "party", party, party_ids, where)
        if marking.classification is None and marking.tlp is None:
            c.report(
                path,
                "empty-marking",
                f"the marking of {where} has neither a classification nor a TLP label",
                "add 'classification: UNCLASSIFIED' or 'tlp: GREEN'",
                warning=True,
            )

    check_marking(("exercise", "default_marking"), ex.default_marking, "the exercise")

    # --- objectives, targets, tasks
    for oi, objective in enumerate(package.objectives):
        for ci, cap in enumerate(objective.capabilities):
            if cap not in capabilities:
                c.unknown(
                    ("objectives", oi, "capabilities", ci),
                    "capability",
                    cap,
                    capabilities,
                    f"objective '{objective.id}'",
                )
        for ti, target in enumerate(objective.targets):
            tp: P = ("objectives", oi, "targets", ti)
            if target.capability not in capabilities:
                c.unknown(
                    tp + ("capability",),
                    "capability",
                    target.capability,
                    capabilities,
                    f"capability target '{target.id}'",
                )
            elif objective.capabilities and target.capability not in objective.capabilities:
                c.report(
                    tp + ("capability",),
                    "capability-not-in-objective",
                    f"target '{target.id}' is for '{target.capability}', which objective "
                    f"'{objective.id}' does not list",
                    "add it to the objective's capabilities",
                    warning=True,
                )
            for ki, critical in enumerate(target.tasks):
                if critical.source and critical.source not in clause_ids:
                    c.unknown(
                        tp + ("tasks", ki, "source"),
                        "clause",
                        critical.source,
                        clause_ids,
                        f"critical task '{critical.id}' (write 'reference-id/clause-id')",
                    )

    # --- modules
    previous: tuple[int, Any] | None = None
    for mi, module in enumerate(package.modules):
        mp: P = ("modules", mi)
        if module.start and module.end:
            try:
                if module.end < module.start:
                    c.report(
                        mp + ("end",),
                        "module-time",
                        f"module '{module.id}' ends before it starts",
                        "swap start and end",
                    )
            except TypeError:
                c.report(
                    mp + ("end",),
                    "mixed-time-zones",
                    f"module '{module.id}' mixes times with and without a time zone",
                    "give both a zone, e.g. 'Z'",
                )
        if module.start is not None:
            if previous is not None:
                try:
                    if module.start < previous[1]:
                        prev_id = package.modules[previous[0]].id
                        c.report(
                            mp + ("start",),
                            "module-order",
                            f"module '{module.id}' starts before module '{prev_id}' "
                            "that comes before it",
                            "order modules by scenario time",
                        )
                except TypeError:
                    c.report(
                        mp + ("start",),
                        "mixed-time-zones",
                        "modules mix scenario times with and without a time zone",
                        "give every time a zone, e.g. 'Z'",
                    )
            previous = (mi, module.start)
        for qi, q in enumerate(module.questions):
            qp: P = mp + ("questions", qi)
            for i, team_ref in enumerate(q.teams):
                if team_ref not in team_ids:
                    c.unknown(qp + ("teams", i), "team", team_ref, team_ids, f"question '{q.id}'")
            for i, party_ref in enumerate(q.parties):
                if party_ref not in party_ids:
                    c.unknown(
                        qp + ("parties", i), "party", party_ref, party_ids, f"question '{q.id}'"
                    )
            for i, obj in enumerate(q.objectives):
                if obj not in objective_ids:
                    c.unknown(
                        qp + ("objectives", i),
                        "objective",
                        obj,
                        objective_ids,
                        f"question '{q.id}'",
                    )
        for pi, poll in enumerate(module.polls):
            poll_path: P = mp + ("polls", pi)
            for i, team_ref in enumerate(poll.teams):
                if team_ref not in team_ids:
                    c.unknown(
                        poll_path + ("teams", i), "team", team_ref, team_ids, f"poll '{poll.id}'"
                    )
            for i, party_ref in enumerate(poll.parties):
                if party_ref not in party_ids:
                    c.unknown(
                        poll_path + ("parties", i),
                        "party",
                        party_ref,
                        party_ids,
                        f"poll '{poll.id}'",
                    )
            for i, obj in enumerate(poll.objectives):
                if obj not in objective_ids:
                    c.unknown(
                        poll_path + ("objectives", i),
                        "objective",
                        obj,
                        objective_ids,
                        f"poll '{poll.id}'",
                    )

    # --- injects
    teams_by_id = {t.id: t for t in package.teams}
    for ip, inject in _inject_paths(package):
        where = f"inject {inject.number}"
        marking = package.marking_of(inject)
        check_marking(ip + ("marking",), inject.marking, where)
        releasable = set(marking.releasable_to)
        for i, team_id in enumerate(inject.to):
            addressee = teams_by_id.get(team_id)
            if addressee is None:
                c.unknown(ip + ("to", i), "team", team_id, team_ids, where)
                continue
            if releasable and addressee.party is not None and addressee.party not in releasable:
                rel = ", ".join(sorted(releasable))
                c.report(
                    ip + ("to", i),
                    "releasability-conflict",
                    f"{where} is addressed to team '{team_id}' of party '{addressee.party}', "
                    f"but is releasable only to {rel}",
                    f"add '{addressee.party}' to the inject's releasable_to, or remove the team",
                )
        if not inject.to and releasable:
            outside = [
                t.id
                for t in package.player_teams()
                if t.party is not None and t.party not in releasable
            ]
            if outside:
                c.report(
                    ip + ("marking",),
                    "releasability-conflict",
                    f"{where} goes to every player team, but is not releasable to "
                    f"team(s) {', '.join(outside)}",
                    "list the teams it goes to in 'to'",
                )
        for i, obj in enumerate(inject.objectives):
            if obj not in objective_ids:
                c.unknown(ip + ("objectives", i), "objective", obj, objective_ids, where)
        for i, task in enumerate(inject.tasks):
            if task not in task_ids:
                c.unknown(ip + ("tasks", i), "critical task", task, task_ids, where)
        for i, clause in enumerate(inject.clauses):
            if clause not in clause_ids:
                c.unknown(
                    ip + ("clauses", i),
                    "clause",
                    clause,
                    clause_ids,
                    f"{where} (write 'reference-id/clause-id')",
                )
        if inject.contingency_for is not None:
            if inject.contingency_for not in inject_numbers:
                c.unknown(
                    ip + ("contingency_for",),
                    "inject",
                    inject.contingency_for,
                    inject_numbers,
                    where,
                )
            elif inject.contingency_for == inject.number:
                c.report(
                    ip + ("contingency_for",),
                    "self-reference",
                    f"{where} is a contingency for itself",
                    "name another inject",
                )
        for ai, attachment in enumerate(inject.attachments):
            ap: P = ip + ("attachments", ai)
            check_attachment(c, package, attachment, ap, where, documents_dir, require_attachments)
    check_question_citations(c, package, clause_ids)
    check_acronyms(c, package)

    check_cells(package, c.unknown, lambda p, code, msg, hint: c.report(p, code, msg, hint))

    # --- coverage: objectives that nothing exercises
    exercised = {o for _, inj in _inject_paths(package) for o in inj.objectives}
    exercised |= {o for _, q in questions for o in q.objectives}
    exercised |= {o for _, q in polls for o in q.objectives}
    task_objective = {k.id: o.id for o in package.objectives for t in o.targets for k in t.tasks}
    exercised |= {
        task_objective[t]
        for _, inj in _inject_paths(package)
        for t in inj.tasks
        if t in task_objective
    }
    for oi, objective in enumerate(package.objectives):
        if objective.id not in exercised:
            c.report(
                ("objectives", oi, "id"),
                "objective-not-exercised",
                f"objective '{objective.id}' is exercised by no inject, question or poll",
                "link it from an inject's or question's 'objectives'",
                warning=True,
            )

    check_branches(c, package)
    check_organisations(c, package)
    check_game(package, c.unknown, c.report)

    # --- translations
    for path, text in _local_texts(package, ()):
        missing = [lang for lang in languages if not text.get(lang)]
        extra = [lang for lang in text if lang not in languages]
        if missing and len(languages) > 1:
            c.report(
                path,
                "missing-translation",
                f"{_where(package, path)} has no text in {', '.join(missing)}",
                f"add '{missing[0]}: ...' beside the other language(s)",
                warning=True,
            )
        if extra:
            c.report(
                path,
                "undeclared-language",
                f"{_where(package, path)} has text in {', '.join(extra)}, which is not among the "
                f"exercise languages ({', '.join(languages)})",
                "add the language to exercise.languages or remove the text",
                warning=True,
            )
    return c.problems


def _local_texts(value: Any, path: P) -> list[tuple[P, dict[str, str]]]:
    """Every language→text mapping in the package with its path (all dicts in the model are,
    but for a cell's script, which maps ids to the one language its model speaks)."""
    found: list[tuple[P, dict[str, str]]] = []
    _collect_texts(value, path, found)
    return found


_FIELD_KEYS: dict[type[BaseModel], list[tuple[str, str]]] = {}
_CONTAINERS = (BaseModel, tuple, dict)


def _collect_texts(value: Any, path: P, found: list[tuple[P, dict[str, str]]]) -> None:
    # Called for every part of a 2,000-inject package on each check as a planner types:
    # plain values are skipped before recursing, and field names are looked up once per model.
    if isinstance(value, BaseModel):
        model = type(value)
        keys = _FIELD_KEYS.get(model)
        if keys is None:
            keys = [
                (name, info.alias or name)
                for name, info in model.model_fields.items()
                if name != "script"
            ]
            _FIELD_KEYS[model] = keys
        for name, key in keys:
            item = getattr(value, name)
            if isinstance(item, _CONTAINERS):
                _collect_texts(item, (*path, key), found)
    elif isinstance(value, tuple):
        for i, item in enumerate(value):
            if isinstance(item, _CONTAINERS):
                _collect_texts(item, (*path, i), found)
    elif isinstance(value, dict) and path[-1:] != ("files",):  # an attachment's files by language
        found.append((path, value))


_ITEM = {
    "injects": "inject",
    "modules": "module",
    "teams": "team",
    "parties": "party",
    "objectives": "objective",
    "targets": "target",
    "tasks": "task",
    "references": "reference",
    "clauses": "clause",
    "questions": "question",
    "polls": "poll",
    "options": "option",
    "capabilities": "capability",
    "attachments": "attachment",
    "key_issues": "key issue",
    "expected_actions": "expected action",
    "assumptions": "assumption",
    "artificialities": "artificiality",
    "acronyms": "acronym",
    "organisations": "organisation",
}


def _where(package: Package, path: P) -> str:
    """Name a place in planners' words, e.g. "module 'day1' › inject 14 › title"."""
    words: list[str] = []
    node: Any = package
    i = 0
    while i < len(path):
        key = path[i]
        child = getattr(node, str(key).rstrip("_"), None) if isinstance(key, str) else None
        if key == "from":
            child = getattr(node, "from_", None)
        nxt = path[i + 1] if i + 1 < len(path) else None
        if isinstance(child, tuple) and isinstance(nxt, int) and nxt < len(child):
            item = child[nxt]
            label = _ITEM.get(str(key), str(key))
            ident = getattr(item, "number", None) or getattr(item, "id", None)
            ident = ident or getattr(item, "term", None)
            words.append(
                f"{label} {ident}"
                if key == "injects"
                else f"{label} '{ident}'"
                if ident
                else f"{label} #{nxt + 1}"
            )
            node = item
            i += 2
            continue
        words.append(str(key))
        node = child
        i += 1
    return " › ".join(words)
