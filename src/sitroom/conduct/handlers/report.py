"""The after-action report's record: findings (with their Improvement Plan rows), their
removal, and finalising an AAR at the event its reviewer saw.

Finalising checks the record has not moved since the report was built, so what was reviewed
is exactly what is frozen.
"""

from __future__ import annotations

from sitroom.conduct import commands as cmd
from sitroom.conduct import events as ev
from sitroom.conduct.handlers.checks import (
    CAPABILITY_ELEMENTS,
    FINDING_ID,
    FINDING_KINDS,
    HASH,
    MAX_ACTIONS,
    Context,
    Rejected,
    check_evaluator,
    check_started,
    clean_short,
    clean_text,
    iso_date,
    known_evidence,
    known_parties,
)
from sitroom.conduct.principal import Principal
from sitroom.conduct.state import RunState, RunStatus
from sitroom.conduct.wording import lazy


def _corrective_actions(
    actions: tuple[cmd.CorrectiveAction, ...], kind: str, new_id: str
) -> tuple[dict[str, str], ...]:
    """The Improvement Plan rows of a finding, each with a stable id."""
    if actions and kind != "improvement":
        raise Rejected(
            lazy("only an area for improvement carries corrective actions"),
            field="corrective_actions",
        )
    if len(actions) > MAX_ACTIONS:
        raise Rejected(
            lazy("at most %(max_actions)s corrective actions", max_actions=MAX_ACTIONS),
            field="corrective_actions",
        )
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    for n, action in enumerate(actions):
        where = f"corrective_actions[{n}]"
        if action.element and action.element not in CAPABILITY_ELEMENTS:
            raise Rejected(
                lazy(
                    "capability element is one of %(known)s", known=", ".join(CAPABILITY_ELEMENTS)
                ),
                field=f"{where}.element",
            )
        start = iso_date(action.start, f"{where}.start")
        completion = iso_date(action.completion, f"{where}.completion")
        if start and completion and completion < start:
            raise Rejected(
                lazy(
                    "completion date %(completion)s is before the start date %(start)s",
                    completion=completion,
                    start=start,
                ),
                field=f"{where}.completion",
            )
        action_id = action.id.strip() or f"{new_id}-{n + 1}"
        if not FINDING_ID.match(action_id) or action_id in seen:
            raise Rejected(
                lazy("corrective action id '%(action)s' is not usable", action=action_id),
                field=f"{where}.id",
            )
        seen.add(action_id)
        rows.append(
            {
                "id": action_id,
                "action": clean_text(action.action, f"{where}.action"),
                "element": action.element,
                "organisation": clean_short(action.organisation, f"{where}.organisation"),
                "poc": clean_short(action.poc, f"{where}.poc"),
                "start": start,
                "completion": completion,
            }
        )
    return tuple(rows)


def save_finding(
    state: RunState, command: cmd.SaveFinding, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """A new finding, or an edit of a drafted or saved one (same id)."""
    check_evaluator(principal)
    check_started(state)
    package, c = state.package, command
    finding_id = c.id.strip() or ctx.new_id
    if not FINDING_ID.match(finding_id):
        raise Rejected(
            lazy("a finding id is letters, digits and : . _ - (at most 100)"), field="id"
        )
    if c.kind not in FINDING_KINDS:
        raise Rejected(lazy("kind is 'strength' or 'improvement'"), field="kind")
    known_capabilities = {cap.id for cap in package.capabilities} | {
        cap
        for o in package.objectives
        for cap in (*o.capabilities, *(t.capability for t in o.targets))
    }
    if c.capability is not None and c.capability not in known_capabilities:
        raise Rejected(
            lazy("unknown capability '%(capability)s'", capability=c.capability), field="capability"
        )
    if c.objective is not None and not any(o.id == c.objective for o in package.objectives):
        raise Rejected(
            lazy("unknown objective '%(objective)s'", objective=c.objective), field="objective"
        )
    title = clean_short(c.title, "title")
    if not title:
        raise Rejected(lazy("title is empty"), field="title")
    return [
        ev.FindingSaved(
            id=finding_id,
            author=principal.id,
            kind=c.kind,
            title=title,
            analysis=clean_text(c.analysis, "analysis", required=False),
            capability=c.capability,
            objective=c.objective,
            evidence=known_evidence(state, c.evidence),
            rel_to=known_parties(state, c.rel_to, "rel_to"),
            corrective_actions=_corrective_actions(c.corrective_actions, c.kind, finding_id),
        )
    ]


def remove_finding(
    state: RunState, command: cmd.RemoveFinding, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """Take a finding (saved or drafted) out of the report, with the reason."""
    check_evaluator(principal)
    check_started(state)
    finding_id = command.id
    if not FINDING_ID.match(finding_id):
        raise Rejected(lazy("unknown finding '%(finding)s'", finding=finding_id), field="id")
    if finding_id in state.removed_findings:
        raise Rejected(
            lazy("finding '%(finding)s' is already removed", finding=finding_id),
            field="id",
            status=409,
        )
    return [
        ev.FindingRemoved(
            id=finding_id, author=principal.id, reason=clean_short(command.reason, "reason")
        )
    ]


def finalise_report(
    state: RunState, command: cmd.FinaliseReport, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """Freeze the AAR of some parties at the event and hash its reviewer saw."""
    check_evaluator(principal)
    if state.status != RunStatus.ENDED:
        raise Rejected(lazy("an AAR is finalised after the run has ended (ENDEX)"), status=409)
    parties = known_parties(state, command.parties, "parties")
    if parties in state.finalised:
        raise Rejected(lazy("this AAR is already final"), field="parties", status=409)
    if command.upto != state.seq:
        raise Rejected(
            lazy(
                "the record has changed since this report was built (it was at event %(upto)s,"
                " it is now at %(last)s): review the report again",
                upto=command.upto,
                last=state.seq,
            ),
            field="upto",
            status=409,
        )
    if not HASH.match(command.hash):
        raise Rejected(lazy("hash is 'sha256:' and 64 hexadecimal digits"), field="hash")
    return [
        ev.ReportFinalised(
            id=ctx.new_id,
            author=principal.id,
            parties=parties,
            upto=command.upto,
            hash=command.hash,
        )
    ]
