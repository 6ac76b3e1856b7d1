"""Deciding: ``decide(state, command, principal, context) -> events``. Pure; raises ``Rejected``.

Every rule about who may do what, and when, lives here; the web layer only translates a
``Rejected`` into an HTTP status and an error body naming the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sitroom.conduct import commands as cmd
from sitroom.conduct import events as ev
from sitroom.conduct.feedback import MAX_ITEMS, PRIORITIES, STATEMENT_IDS
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.state import InjectStatus, RunState, RunStatus
from sitroom.conduct.visibility import can_see_inject, can_see_poll, can_see_question
from sitroom.package.model import InjectType

MAX_TEXT = 20_000
MAX_SHORT = 200
MAX_EVIDENCE = 200
RATINGS = ("P", "S", "M", "U")
HOT_WASH_KINDS = ("strength", "improvement")
FINDING_KINDS = HOT_WASH_KINDS
CAPABILITY_ELEMENTS = ("Planning", "Organization", "Equipment", "Training", "Exercise")
"""HSEEP's capability elements, for the Improvement Plan."""
MAX_ACTIONS = 20
_FINDING_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:._-]{0,99}$")
_HASH = re.compile(r"^sha256:[0-9a-f]{64}$")


class Rejected(Exception):
    """A command that cannot be carried out: why, which field, and the HTTP-like status."""

    def __init__(self, message: str, *, field: str | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


@dataclass(frozen=True, slots=True)
class Context:
    """What a pure decision needs from outside: the time and a fresh id."""

    now: datetime
    new_id: str


def _control(principal: Principal) -> None:
    if not principal.is_control:
        raise Rejected("only the facilitator or control staff may do this", status=403)


def _player(principal: Principal) -> str:
    if principal.role != Role.PLAYER or principal.team is None:
        raise Rejected("only a player of a team may do this", status=403)
    return principal.team


def _live(state: RunState) -> None:
    if state.status == RunStatus.PLANNED:
        raise Rejected("the run has not started (STARTEX) yet", status=409)
    if state.status == RunStatus.ENDED:
        raise Rejected("the run has ended (ENDEX)", status=409)


def _text(value: str, field: str, *, required: bool = True) -> str:
    text = value.strip()
    if required and not text:
        raise Rejected(f"{field} is empty", field=field)
    if len(text) > MAX_TEXT:
        raise Rejected(f"{field} is {len(text):,} characters; at most {MAX_TEXT:,}", field=field)
    return text


def _clauses(state: RunState, clauses: tuple[str, ...], field: str) -> tuple[str, ...]:
    for ref in clauses:
        if state.package.clause(ref) is None:
            known = [f"{r.id}/{c.id}" for r in state.package.references for c in r.clauses]
            raise Rejected(
                f"unknown clause '{ref}'; known: {', '.join(known[:10]) or 'none'}", field=field
            )
    return tuple(clauses)


def _evaluator(principal: Principal) -> None:
    if not principal.sees_control_material:
        raise Rejected("only evaluators and control staff may do this", status=403)


def _started(state: RunState) -> None:
    if state.status == RunStatus.PLANNED:
        raise Rejected("the run has not started (STARTEX) yet", status=409)


def _rating(value: str) -> str:
    if value not in RATINGS:
        raise Rejected("rating is P, S, M or U", field="rating")
    return value


def _evidence(state: RunState, evidence: tuple[int, ...]) -> tuple[int, ...]:
    """Sequence numbers of events already in the log, without repeats, in order."""
    if len(evidence) > MAX_EVIDENCE:
        raise Rejected(f"at most {MAX_EVIDENCE} evidence events", field="evidence")
    for seq in evidence:
        if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= state.seq:
            raise Rejected(
                f"evidence {seq!r} is not an event of this run (1 to {state.seq})",
                field="evidence",
            )
    return tuple(sorted(set(evidence)))


def _short(value: str, field: str) -> str:
    text = value.strip()
    if len(text) > MAX_SHORT:
        raise Rejected(f"{field} is {len(text):,} characters; at most {MAX_SHORT}", field=field)
    return text


def _items(values: tuple[str, ...], field: str) -> tuple[str, ...]:
    items = tuple(t for t in (_text(v, field, required=False) for v in values) if t)
    if len(items) > MAX_ITEMS:
        raise Rejected(f"at most {MAX_ITEMS} entries", field=field)
    return items


def _feedback(
    command: cmd.SubmitFeedback, principal: Principal, ctx: Context
) -> ev.FeedbackSubmitted:
    c = command
    if c.anonymous and c.name.strip():
        raise Rejected("an anonymous form carries no name", field="name")
    if len(c.corrective_actions) > MAX_ITEMS:
        raise Rejected(f"at most {MAX_ITEMS} entries", field="corrective_actions")
    actions: list[dict[str, str]] = []
    for action in c.corrective_actions:
        if action.priority not in PRIORITIES:
            raise Rejected("priority is High, Medium or Low", field="corrective_actions")
        actions.append(
            {
                "action": _text(action.action, "corrective_actions"),
                "priority": action.priority,
                "responsible": _short(action.responsible, "corrective_actions"),
            }
        )
    for statement, score in c.ratings.items():
        if statement not in STATEMENT_IDS:
            known = ", ".join(sorted(STATEMENT_IDS))
            raise Rejected(f"unknown statement '{statement}'; known: {known}", field="ratings")
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise Rejected("each statement is rated 1 to 5", field="ratings")
    return ev.FeedbackSubmitted(
        id=ctx.new_id,
        respondent=None if c.anonymous else principal.id,
        anonymous=c.anonymous,
        name=_short(c.name, "name"),
        organisation=_short(c.organisation, "organisation"),
        role=_short(c.role, "role"),
        strengths=_items(c.strengths, "strengths"),
        improvements=_items(c.improvements, "improvements"),
        missed=_text(c.missed, "missed", required=False),
        corrective_actions=tuple(actions),
        ratings=dict(c.ratings),
        party=principal.party,
    )


def iso_date(value: str, field: str) -> str:
    """A date as YYYY-MM-DD, or empty; raises ``Rejected`` for anything else."""
    text = value.strip()
    if not text:
        return ""
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise Rejected(f"'{text}' is not a date; write it as YYYY-MM-DD", field=field) from None


def _parties(state: RunState, parties: tuple[str, ...], field: str) -> tuple[str, ...]:
    known = [p.id for p in state.package.parties]
    for party in parties:
        if party not in known:
            raise Rejected(
                f"unknown party '{party}'; parties: {', '.join(known) or 'none'}", field=field
            )
    return tuple(sorted(set(parties)))


def _corrective_actions(
    actions: tuple[cmd.CorrectiveAction, ...], kind: str, new_id: str
) -> tuple[dict[str, str], ...]:
    if actions and kind != "improvement":
        raise Rejected(
            "only an area for improvement carries corrective actions", field="corrective_actions"
        )
    if len(actions) > MAX_ACTIONS:
        raise Rejected(f"at most {MAX_ACTIONS} corrective actions", field="corrective_actions")
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    for n, action in enumerate(actions):
        where = f"corrective_actions[{n}]"
        if action.element and action.element not in CAPABILITY_ELEMENTS:
            raise Rejected(
                f"capability element is one of {', '.join(CAPABILITY_ELEMENTS)}",
                field=f"{where}.element",
            )
        start = iso_date(action.start, f"{where}.start")
        completion = iso_date(action.completion, f"{where}.completion")
        if start and completion and completion < start:
            raise Rejected(
                f"completion date {completion} is before the start date {start}",
                field=f"{where}.completion",
            )
        action_id = action.id.strip() or f"{new_id}-{n + 1}"
        if not _FINDING_ID.match(action_id) or action_id in seen:
            raise Rejected(f"corrective action id '{action_id}' is not usable", field=f"{where}.id")
        seen.add(action_id)
        rows.append(
            {
                "id": action_id,
                "action": _text(action.action, f"{where}.action"),
                "element": action.element,
                "organisation": _short(action.organisation, f"{where}.organisation"),
                "poc": _short(action.poc, f"{where}.poc"),
                "start": start,
                "completion": completion,
            }
        )
    return tuple(rows)


def _finding(
    state: RunState, command: cmd.SaveFinding, principal: Principal, ctx: Context
) -> ev.FindingSaved:
    package = state.package
    c = command
    finding_id = c.id.strip() or ctx.new_id
    if not _FINDING_ID.match(finding_id):
        raise Rejected("a finding id is letters, digits and : . _ - (at most 100)", field="id")
    if c.kind not in FINDING_KINDS:
        raise Rejected("kind is 'strength' or 'improvement'", field="kind")
    known_capabilities = {cap.id for cap in package.capabilities} | {
        cap
        for o in package.objectives
        for cap in (*o.capabilities, *(t.capability for t in o.targets))
    }
    if c.capability is not None and c.capability not in known_capabilities:
        raise Rejected(f"unknown capability '{c.capability}'", field="capability")
    if c.objective is not None and not any(o.id == c.objective for o in package.objectives):
        raise Rejected(f"unknown objective '{c.objective}'", field="objective")
    title = _short(c.title, "title")
    if not title:
        raise Rejected("title is empty", field="title")
    return ev.FindingSaved(
        id=finding_id,
        author=principal.id,
        kind=c.kind,
        title=title,
        analysis=_text(c.analysis, "analysis", required=False),
        capability=c.capability,
        objective=c.objective,
        evidence=_evidence(state, c.evidence),
        rel_to=_parties(state, c.rel_to, "rel_to"),
        corrective_actions=_corrective_actions(c.corrective_actions, c.kind, finding_id),
    )


def _finalise(
    state: RunState, command: cmd.FinaliseReport, principal: Principal, ctx: Context
) -> ev.ReportFinalised:
    if state.status != RunStatus.ENDED:
        raise Rejected("an AAR is finalised after the run has ended (ENDEX)", status=409)
    parties = _parties(state, command.parties, "parties")
    if parties in state.finalised:
        raise Rejected("this AAR is already final", field="parties", status=409)
    if command.upto != state.seq:
        raise Rejected(
            f"the record has changed since this report was built (it was at event "
            f"{command.upto}, it is now at {state.seq}): review the report again",
            field="upto",
            status=409,
        )
    if not _HASH.match(command.hash):
        raise Rejected("hash is 'sha256:' and 64 hexadecimal digits", field="hash")
    return ev.ReportFinalised(
        id=ctx.new_id, author=principal.id, parties=parties, upto=command.upto, hash=command.hash
    )


def decide(
    state: RunState, command: cmd.Command, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """The events that ``command`` by ``principal`` produces in ``state``; raise Rejected."""
    package = state.package
    match command:
        # --- lifecycle
        case cmd.StartRun(compression=compression):
            _control(principal)
            if state.status != RunStatus.PLANNED:
                raise Rejected(f"the run is already {state.status}", status=409)
            if not 0.1 <= compression <= 100:
                raise Rejected("compression must be between 0.1 and 100", field="compression")
            events: list[ev.Event] = [ev.RunStarted(compression=compression)]
            if package.modules:
                events.append(ev.ModuleOpened(module=package.modules[0].id))
            return events
        case cmd.PauseRun():
            _control(principal)
            if state.status != RunStatus.RUNNING:
                raise Rejected(
                    f"only a running run can be paused (it is {state.status})", status=409
                )
            return [ev.RunPaused()]
        case cmd.ResumeRun():
            _control(principal)
            if state.status != RunStatus.PAUSED:
                raise Rejected(
                    f"only a paused run can be resumed (it is {state.status})", status=409
                )
            return [ev.RunResumed()]
        case cmd.EndRun():
            _control(principal)
            _live(state)
            return [ev.RunEnded()]
        case cmd.OpenModule(module=module):
            _control(principal)
            _live(state)
            if not any(m.id == module for m in package.modules):
                known = ", ".join(m.id for m in package.modules)
                raise Rejected(f"unknown module '{module}'; modules: {known}", field="module")
            return [ev.ModuleOpened(module=module)]

        # --- injects
        case cmd.ReleaseInject(number=number, how=how):
            _control(principal)
            _live(state)
            inject = package.inject(number)
            if inject is None:
                raise Rejected(f"no inject number '{number}' in the MSEL", field="number")
            if how not in ("manual", "now", "scheduled"):
                raise Rejected("how must be manual, now or scheduled", field="how")
            if state.injects[number].status != InjectStatus.PLANNED:
                raise Rejected(f"inject {number} was already released", status=409)
            home = package.module_of(number)
            assert home is not None
            if how == "scheduled" and (
                state.status != RunStatus.RUNNING or home.id != state.module
            ):
                raise Rejected(
                    "a scheduled inject fires only in its module while running", status=409
                )
            if inject.type == InjectType.CONTINGENCY and how != "scheduled":
                how = "contingency"
            return [ev.InjectReleased(number=number, module=home.id, how=how)]
        case cmd.CorrectInject(number=number, content=content, reason=reason):
            _control(principal)
            _live(state)
            if package.inject(number) is None:
                raise Rejected(f"no inject number '{number}' in the MSEL", field="number")
            status = state.injects[number].status
            if status not in (InjectStatus.RELEASED, InjectStatus.CORRECTED):
                raise Rejected(
                    f"inject {number} is {status}; only a released inject can be corrected",
                    status=409,
                )
            cleaned = {lang: _text(text, f"content.{lang}") for lang, text in content.items()}
            if not cleaned:
                raise Rejected("the correction has no text", field="content")
            return [
                ev.InjectCorrected(
                    number=number, content=cleaned, reason=_text(reason, "reason", required=False)
                )
            ]
        case cmd.RetractInject(number=number, reason=reason):
            _control(principal)
            _live(state)
            if package.inject(number) is None:
                raise Rejected(f"no inject number '{number}' in the MSEL", field="number")
            if state.injects[number].status in (InjectStatus.PLANNED, InjectStatus.RETRACTED):
                raise Rejected(
                    f"inject {number} is {state.injects[number].status}; only a "
                    "released inject can be retracted",
                    status=409,
                )
            return [
                ev.InjectRetracted(number=number, reason=_text(reason, "reason", required=False))
            ]
        case cmd.BroadcastUpdate(text=text, teams=teams, parties=parties):
            _control(principal)
            _live(state)
            cleaned = {lang: _text(t, f"text.{lang}") for lang, t in text.items()}
            if not cleaned:
                raise Rejected("the update has no text", field="text")
            for team in teams:
                if package.team(team) is None:
                    raise Rejected(f"unknown team '{team}'", field="teams")
            for party in parties:
                if package.party(party) is None:
                    raise Rejected(f"unknown party '{party}'", field="parties")
            return [
                ev.UpdateBroadcast(
                    id=ctx.new_id, text=cleaned, teams=tuple(teams), parties=tuple(parties)
                )
            ]
        case cmd.RecordReceipt(number=number) | cmd.AcknowledgeInject(number=number):
            inject = package.inject(number)
            seen = state.injects[number].status if number in state.injects else None
            if inject is None or seen == InjectStatus.PLANNED or seen is None:
                raise Rejected(f"no released inject '{number}'", field="number", status=404)
            if not can_see_inject(principal, package, inject):
                raise Rejected(f"no released inject '{number}'", field="number", status=404)
            if isinstance(command, cmd.RecordReceipt):
                if principal.id in state.injects[number].receipts:
                    return []
                return [
                    ev.InjectReceived(number=number, principal=principal.id, team=principal.team)
                ]
            _player(principal)
            if principal.id in state.injects[number].acknowledged:
                return []
            return [
                ev.InjectAcknowledged(number=number, principal=principal.id, team=principal.team)
            ]

        # --- participants
        case cmd.SubmitResponse(target=target, ref=ref, text=text):
            team = _player(principal)
            _live(state)
            if target == "inject":
                inject = package.inject(ref)
                if (
                    inject is None
                    or state.injects[ref].status == InjectStatus.PLANNED
                    or not can_see_inject(principal, package, inject)
                ):
                    raise Rejected(
                        f"no released inject '{ref}' for your team", field="ref", status=404
                    )
            elif target == "question":
                question = next(
                    (q for m in package.modules for q in m.questions if q.id == ref), None
                )
                if question is None or not can_see_question(principal, package, question):
                    raise Rejected(
                        f"no discussion question '{ref}' for your team", field="ref", status=404
                    )
            else:
                raise Rejected("target must be 'inject' or 'question'", field="target")
            return [
                ev.ResponseSubmitted(
                    id=ctx.new_id,
                    target=target,
                    ref=ref,
                    team=team,
                    party=principal.party,
                    author=principal.id,
                    text=_text(text, "text"),
                )
            ]
        case cmd.ProposeDecision(title=title, text=text, joint_with=joint_with, clauses=clauses):
            team = _player(principal)
            _live(state)
            for party in joint_with:
                if package.party(party) is None:
                    raise Rejected(f"unknown party '{party}'", field="joint_with")
                if party == principal.party:
                    raise Rejected(
                        "a joint decision asks another party to concur, not your own",
                        field="joint_with",
                    )
            return [
                ev.DecisionProposed(
                    id=ctx.new_id,
                    team=team,
                    party=principal.party,
                    author=principal.id,
                    title=_text(title, "title"),
                    text=_text(text, "text", required=False),
                    joint_with=tuple(dict.fromkeys(joint_with)),
                    clauses=_clauses(state, clauses, "clauses"),
                )
            ]
        case cmd.AnswerDecision(
            decision=decision_id, concur=concur, reasons=reasons, clauses=clauses
        ):
            team = _player(principal)
            _live(state)
            decision = state.decisions.get(decision_id)
            answering = principal.party
            if decision is None or answering is None or answering not in decision.parties():
                raise Rejected(
                    f"no decision '{decision_id}' for your party", field="decision", status=404
                )
            if answering not in decision.joint_with:
                raise Rejected(
                    "your party proposed this decision; the other party answers", status=409
                )
            if answering in decision.answers:
                raise Rejected(f"party '{answering}' has already answered", status=409)
            reasons = _text(reasons, "reasons", required=not concur)
            kind = ev.DecisionConcurred if concur else ev.DecisionNonConcurred
            return [
                kind(
                    decision=decision_id,
                    party=answering,
                    team=team,
                    author=principal.id,
                    reasons=reasons,
                    clauses=_clauses(state, clauses, "clauses"),
                )
            ]
        case cmd.OpenPoll(poll=poll_id) | cmd.ClosePoll(poll=poll_id):
            _control(principal)
            _live(state)
            if poll_id not in state.polls:
                raise Rejected(f"no poll '{poll_id}'", field="poll")
            poll_state = state.polls[poll_id]
            if isinstance(command, cmd.OpenPoll):
                if poll_state.open:
                    raise Rejected(f"poll '{poll_id}' is already open", status=409)
                return [ev.PollOpened(poll=poll_id)]
            if not poll_state.open:
                raise Rejected(f"poll '{poll_id}' is not open", status=409)
            return [
                ev.PollClosed(
                    poll=poll_id,
                    results=poll_state.results(),
                    votes=len(poll_state.votes),
                    mean_confidence=poll_state.mean_confidence(),
                )
            ]
        case cmd.CastVote(poll=poll_id, options=options, confidence=confidence):
            _player(principal)
            _live(state)
            poll = next((p for m in package.modules for p in m.polls if p.id == poll_id), None)
            if poll is None or not can_see_poll(principal, package, poll):
                raise Rejected(f"no poll '{poll_id}' for your team", field="poll", status=404)
            if not state.polls[poll_id].open:
                raise Rejected(f"poll '{poll_id}' is not open", status=409)
            valid = [o.id for o in poll.options]
            if not options:
                raise Rejected("choose an option", field="options")
            for option in options:
                if option not in valid:
                    raise Rejected(
                        f"unknown option '{option}'; options: {', '.join(valid)}", field="options"
                    )
            if len(options) > 1 and not poll.multiple:
                raise Rejected("this poll takes one option", field="options")
            if confidence is not None and not 1 <= confidence <= 5:
                raise Rejected("confidence is 1 (low) to 5 (high)", field="confidence")
            return [
                ev.PollVoteCast(
                    poll=poll_id,
                    voter=principal.id,
                    team=principal.team,
                    party=principal.party,
                    options=tuple(dict.fromkeys(options)),
                    confidence=confidence,
                )
            ]
        case cmd.AddTeamNote(text=text):
            team = _player(principal)
            _live(state)
            return [
                ev.TeamNoteAdded(
                    id=ctx.new_id, team=team, author=principal.id, text=_text(text, "text")
                )
            ]
        case cmd.RecordObservation():
            if principal.role not in (Role.EVALUATOR, Role.OBSERVER, Role.FACILITATOR, Role.ADMIN):
                raise Rejected(
                    "only evaluators, observers and control record observations", status=403
                )
            if state.status == RunStatus.PLANNED:
                raise Rejected("the run has not started (STARTEX) yet", status=409)
            c = command
            if c.rating is not None and c.rating not in RATINGS:
                raise Rejected("rating is P, S, M or U", field="rating")
            if c.objective is not None and not any(o.id == c.objective for o in package.objectives):
                raise Rejected(f"unknown objective '{c.objective}'", field="objective")
            if c.task is not None and not any(t.id == c.task for t in package.tasks()):
                raise Rejected(f"unknown critical task '{c.task}'", field="task")
            if c.inject is not None and package.inject(c.inject) is None:
                raise Rejected(f"unknown inject '{c.inject}'", field="inject")
            if c.team is not None and package.team(c.team) is None:
                raise Rejected(f"unknown team '{c.team}'", field="team")
            return [
                ev.ObservationRecorded(
                    id=ctx.new_id,
                    author=principal.id,
                    text=_text(c.text, "text"),
                    objective=c.objective,
                    task=c.task,
                    inject=c.inject,
                    team=c.team,
                    rating=c.rating,
                )
            ]

        # --- evaluation
        case cmd.RateTarget(target=target_id, rating=rating, notes=notes, evidence=evidence):
            _evaluator(principal)
            _started(state)
            objective = next(
                (o for o in package.objectives if any(t.id == target_id for t in o.targets)), None
            )
            if objective is None:
                known = ", ".join(t.id for t in package.targets()) or "none"
                raise Rejected(
                    f"unknown capability target '{target_id}'; targets: {known}", field="target"
                )
            return [
                ev.TargetRated(
                    id=ctx.new_id,
                    author=principal.id,
                    objective=objective.id,
                    target=target_id,
                    rating=_rating(rating),
                    notes=_text(notes, "notes", required=False),
                    evidence=_evidence(state, evidence),
                )
            ]
        case cmd.RateCapability(
            objective=objective_id,
            capability=capability,
            rating=rating,
            notes=notes,
            evidence=evidence,
        ):
            _evaluator(principal)
            _started(state)
            found = next((o for o in package.objectives if o.id == objective_id), None)
            if found is None:
                raise Rejected(f"unknown objective '{objective_id}'", field="objective")
            listed = dict.fromkeys((*found.capabilities, *(t.capability for t in found.targets)))
            if capability not in listed:
                raise Rejected(
                    f"objective '{objective_id}' does not list capability '{capability}'; "
                    f"it lists: {', '.join(listed) or 'none'}",
                    field="capability",
                )
            return [
                ev.CapabilityRated(
                    id=ctx.new_id,
                    author=principal.id,
                    objective=objective_id,
                    capability=capability,
                    rating=_rating(rating),
                    notes=_text(notes, "notes", required=False),
                    evidence=_evidence(state, evidence),
                )
            ]
        case cmd.RecordClause(clause=clause, discussed=discussed, notes=notes, evidence=evidence):
            _evaluator(principal)
            _started(state)
            _clauses(state, (clause,), "clause")
            return [
                ev.ClauseRecorded(
                    id=ctx.new_id,
                    author=principal.id,
                    clause=clause,
                    discussed=bool(discussed),
                    notes=_text(notes, "notes", required=False),
                    evidence=_evidence(state, evidence),
                )
            ]
        case cmd.AddHotWashItem(kind=kind, text=text, team=team, party=party):
            _evaluator(principal)
            _started(state)
            if kind not in HOT_WASH_KINDS:
                raise Rejected("kind is 'strength' or 'improvement'", field="kind")
            if team is not None and package.team(team) is None:
                raise Rejected(f"unknown team '{team}'", field="team")
            if party is not None and package.party(party) is None:
                raise Rejected(f"unknown party '{party}'", field="party")
            return [
                ev.HotWashItemAdded(
                    id=ctx.new_id,
                    author=principal.id,
                    kind=kind,
                    text=_text(text, "text"),
                    team=team,
                    party=party,
                )
            ]
        case cmd.SubmitFeedback():
            if principal.role == Role.DISPLAY:
                raise Rejected("a room display does not fill in feedback forms", status=403)
            if state.status != RunStatus.ENDED:
                raise Rejected("feedback forms open after the run has ended (ENDEX)", status=409)
            return [_feedback(command, principal, ctx)]

        # --- the after-action report
        case cmd.SaveFinding():
            _evaluator(principal)
            _started(state)
            return [_finding(state, command, principal, ctx)]
        case cmd.RemoveFinding(id=finding_id, reason=reason):
            _evaluator(principal)
            _started(state)
            if not _FINDING_ID.match(finding_id):
                raise Rejected(f"unknown finding '{finding_id}'", field="id")
            if finding_id in state.removed_findings:
                raise Rejected(f"finding '{finding_id}' is already removed", field="id", status=409)
            return [
                ev.FindingRemoved(
                    id=finding_id, author=principal.id, reason=_short(reason, "reason")
                )
            ]
        case cmd.FinaliseReport():
            _evaluator(principal)
            return [_finalise(state, command, principal, ctx)]
    raise Rejected(f"unknown command {type(command).__name__}", status=400)


def due_injects(state: RunState, now: datetime) -> list[str]:
    """Standard injects of the open module whose planned offset has passed (while running)."""
    if state.status != RunStatus.RUNNING or state.module is None:
        return []
    module = state.current_module()
    if module is None:
        return []
    elapsed = state.module_clock(now)
    return [
        inject.number
        for inject in module.injects
        if inject.offset is not None
        and inject.type != InjectType.CONTINGENCY
        and state.injects[inject.number].status == InjectStatus.PLANNED
        and inject.offset <= elapsed
    ]
