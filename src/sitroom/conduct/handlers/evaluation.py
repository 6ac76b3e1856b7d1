"""The evaluation record: observations, P/S/M/U ratings of targets and capabilities, guideline
clause records, the hot wash, and the participant feedback form after ENDEX.

Every reference (objective, task, inject, team, clause, evidence event) is checked against
the package and the log, so the report never cites something that is not there.
"""

from __future__ import annotations

from sitroom.conduct import commands as cmd
from sitroom.conduct import events as ev
from sitroom.conduct.feedback import MAX_ITEMS, PRIORITIES, STATEMENT_IDS
from sitroom.conduct.handlers.checks import (
    HOT_WASH_KINDS,
    RATINGS,
    Context,
    Rejected,
    check_evaluator,
    check_started,
    clean_items,
    clean_short,
    clean_text,
    known_clauses,
    known_evidence,
    valid_rating,
)
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.state import RunState, RunStatus
from sitroom.conduct.wording import lazy

OBSERVERS = (Role.EVALUATOR, Role.OBSERVER, Role.FACILITATOR, Role.ADMIN)
"""Who may record an observation."""


def record_observation(
    state: RunState, command: cmd.RecordObservation, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """What an evaluator or observer saw, tagged with what it bears on."""
    if principal.role not in OBSERVERS:
        raise Rejected(
            lazy("only evaluators, observers and control record observations"), status=403
        )
    check_started(state)
    package, c = state.package, command
    if c.rating is not None and c.rating not in RATINGS:
        raise Rejected(lazy("rating is P, S, M or U"), field="rating")
    if c.objective is not None and not any(o.id == c.objective for o in package.objectives):
        raise Rejected(
            lazy("unknown objective '%(objective)s'", objective=c.objective), field="objective"
        )
    if c.task is not None and not any(t.id == c.task for t in package.tasks()):
        raise Rejected(lazy("unknown critical task '%(task)s'", task=c.task), field="task")
    if c.inject is not None and package.inject(c.inject) is None:
        raise Rejected(lazy("unknown inject '%(inject)s'", inject=c.inject), field="inject")
    if c.team is not None and package.team(c.team) is None:
        raise Rejected(lazy("unknown team '%(team)s'", team=c.team), field="team")
    return [
        ev.ObservationRecorded(
            id=ctx.new_id,
            author=principal.id,
            text=clean_text(c.text, "text"),
            objective=c.objective,
            task=c.task,
            inject=c.inject,
            team=c.team,
            rating=c.rating,
        )
    ]


def rate_target(
    state: RunState, command: cmd.RateTarget, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """An evaluator's rating of a capability target, under the objective that lists it."""
    check_evaluator(principal)
    check_started(state)
    package, target_id = state.package, command.target
    objective = next(
        (o for o in package.objectives if any(t.id == target_id for t in o.targets)), None
    )
    if objective is None:
        known = ", ".join(t.id for t in package.targets()) or "none"
        raise Rejected(
            lazy(
                "unknown capability target '%(target)s'; targets: %(known)s",
                target=target_id,
                known=known,
            ),
            field="target",
        )
    return [
        ev.TargetRated(
            id=ctx.new_id,
            author=principal.id,
            objective=objective.id,
            target=target_id,
            rating=valid_rating(command.rating),
            notes=clean_text(command.notes, "notes", required=False),
            evidence=known_evidence(state, command.evidence),
        )
    ]


def rate_capability(
    state: RunState, command: cmd.RateCapability, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """An evaluator's rating of a core capability the objective lists."""
    check_evaluator(principal)
    check_started(state)
    objective_id, capability = command.objective, command.capability
    found = next((o for o in state.package.objectives if o.id == objective_id), None)
    if found is None:
        raise Rejected(
            lazy("unknown objective '%(objective)s'", objective=objective_id), field="objective"
        )
    listed = dict.fromkeys((*found.capabilities, *(t.capability for t in found.targets)))
    if capability not in listed:
        raise Rejected(
            lazy(
                "objective '%(objective)s' does not list capability '%(capability)s';"
                " it lists: %(known)s",
                objective=objective_id,
                capability=capability,
                known=", ".join(listed) or "none",
            ),
            field="capability",
        )
    return [
        ev.CapabilityRated(
            id=ctx.new_id,
            author=principal.id,
            objective=objective_id,
            capability=capability,
            rating=valid_rating(command.rating),
            notes=clean_text(command.notes, "notes", required=False),
            evidence=known_evidence(state, command.evidence),
        )
    ]


def record_clause(
    state: RunState, command: cmd.RecordClause, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """Whether a guideline clause was discussed, in an evaluator's judgement."""
    check_evaluator(principal)
    check_started(state)
    known_clauses(state, (command.clause,), "clause")
    return [
        ev.ClauseRecorded(
            id=ctx.new_id,
            author=principal.id,
            clause=command.clause,
            discussed=bool(command.discussed),
            notes=clean_text(command.notes, "notes", required=False),
            evidence=known_evidence(state, command.evidence),
        )
    ]


def add_hot_wash_item(
    state: RunState, command: cmd.AddHotWashItem, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """A strength or area for improvement said in the hot wash."""
    check_evaluator(principal)
    check_started(state)
    package, kind, team, party = state.package, command.kind, command.team, command.party
    if kind not in HOT_WASH_KINDS:
        raise Rejected(lazy("kind is 'strength' or 'improvement'"), field="kind")
    if team is not None and package.team(team) is None:
        raise Rejected(lazy("unknown team '%(team)s'", team=team), field="team")
    if party is not None and package.party(party) is None:
        raise Rejected(lazy("unknown party '%(party)s'", party=party), field="party")
    return [
        ev.HotWashItemAdded(
            id=ctx.new_id,
            author=principal.id,
            kind=kind,
            text=clean_text(command.text, "text"),
            team=team,
            party=party,
        )
    ]


def submit_feedback(
    state: RunState, command: cmd.SubmitFeedback, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """The Participant Feedback Form; anonymous forms carry no name and no respondent."""
    if principal.role == Role.DISPLAY:
        raise Rejected(lazy("a room display does not fill in feedback forms"), status=403)
    if state.status != RunStatus.ENDED:
        raise Rejected(lazy("feedback forms open after the run has ended (ENDEX)"), status=409)
    c = command
    if c.anonymous and c.name.strip():
        raise Rejected(lazy("an anonymous form carries no name"), field="name")
    if len(c.corrective_actions) > MAX_ITEMS:
        raise Rejected(
            lazy("at most %(max_items)s entries", max_items=MAX_ITEMS), field="corrective_actions"
        )
    actions: list[dict[str, str]] = []
    for action in c.corrective_actions:
        if action.priority not in PRIORITIES:
            raise Rejected(lazy("priority is High, Medium or Low"), field="corrective_actions")
        actions.append(
            {
                "action": clean_text(action.action, "corrective_actions"),
                "priority": action.priority,
                "responsible": clean_short(action.responsible, "corrective_actions"),
            }
        )
    for statement, score in c.ratings.items():
        if statement not in STATEMENT_IDS:
            known = ", ".join(sorted(STATEMENT_IDS))
            raise Rejected(
                lazy(
                    "unknown statement '%(statement)s'; known: %(known)s",
                    statement=statement,
                    known=known,
                ),
                field="ratings",
            )
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise Rejected(lazy("each statement is rated 1 to 5"), field="ratings")
    return [
        ev.FeedbackSubmitted(
            id=ctx.new_id,
            respondent=None if c.anonymous else principal.id,
            anonymous=c.anonymous,
            name=clean_short(c.name, "name"),
            organisation=clean_short(c.organisation, "organisation"),
            role=clean_short(c.role, "role"),
            strengths=clean_items(c.strengths, "strengths"),
            improvements=clean_items(c.improvements, "improvements"),
            missed=clean_text(c.missed, "missed", required=False),
            corrective_actions=tuple(actions),
            ratings=dict(c.ratings),
            party=principal.party,
        )
    ]
