"""The one visibility gate: what a principal may see of a run and of its package.

Every read path — SSE, JSON API, pages, exports, reports — asks these functions. Players see
what is released to their team or party and releasable to their party; never expected
actions, controller notes, evaluator observations, unreleased injects, or another team's
private responses. Content shown to anyone who is not control staff comes from
``redact.strip_control``, so a field marked control-only cannot leak through a view.

``view_event`` decides for each event of the log; the ``visible_*`` functions ask the same
rules of a run's folded state, for the lists pages and projections show; and who holds more
than a player (``is_control``, ``is_staff``, ``can_plan``) is decided here too, so no route
or view restates a rule of its own.
"""

from __future__ import annotations

from typing import Any

from sitroom.conduct import events as ev
from sitroom.conduct.gameevents import GAME_EVENTS
from sitroom.conduct.gamegate import view_game_event
from sitroom.conduct.mailstate import MailRecord
from sitroom.conduct.principal import CONTROL_ROLES as CONTROL_ROLES
from sitroom.conduct.principal import STAFF_ROLES as STAFF_ROLES
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.state import (
    Broadcast,
    DecisionState,
    Entry,
    HotWashItem,
    InjectState,
    InjectStatus,
    PollState,
    RunState,
)
from sitroom.conduct.threads import INJECT_PREFIX, Thread
from sitroom.package.model import (
    DiscussionQuestion,
    Inject,
    Module,
    Package,
    Poll,
    Team,
    text_in,
)
from sitroom.package.redact import strip_control

# --- who is who: the roles that hold more than a player ---------------------------------------


def is_control(principal: Principal) -> bool:
    """Control staff (EXCON: admins and facilitators) run the exercise and see all of it."""
    return principal.is_control


def is_staff(principal: Principal) -> bool:
    """Control staff and evaluators: they hold the C/E handbook (MSEL, expected actions,
    evaluator notes) and may read the AAR in the making and the analytics."""
    return principal.sees_control_material


def is_admin(principal: Principal) -> bool:
    """An administrator: series-wide settings that a facilitator may not change."""
    return principal.role == Role.ADMIN


def is_room_display(principal: Principal) -> bool:
    """The room display: a screen, not a person; it shows what every party may see."""
    return principal.role == Role.DISPLAY


def audience(principal: Principal) -> tuple[str, str | None, str | None]:
    """Who the gate treats alike: principals of the same role, team and party see the same of
    a run, except their own records (receipts, acknowledgements, votes, feedback forms, and,
    for those who do not read every observation, their observations). A page shared by an
    audience shows those records only in each viewer's own parts (``web.pagecache``)."""
    return (str(principal.role), principal.team, principal.party)


def team_principal(team: Team) -> Principal:
    """A stand-in player of ``team``, to ask the gate what that team sees (the console's
    overview, the evaluator's view of a team)."""
    return Principal(id=f"view:{team.id}", role=Role.PLAYER, team=team.id, party=team.party)


def can_plan(principal: Principal, *, invited: bool) -> bool:
    """Whether the viewer may design packages and manage series: an admin or facilitator
    *account*. A run's invitation may carry the facilitator role; it still opens only that run,
    so ``invited`` viewers never plan."""
    return not invited and is_control(principal)


def _releasable(package: Package, inject: Inject, party: str | None) -> bool:
    releasable = package.marking_of(inject).releasable_to
    return not releasable or (party is not None and party in releasable)


def _for_everyone(package: Package, inject: Inject) -> bool:
    if not inject.to:
        return True
    return {t.id for t in package.player_teams()} <= set(inject.to)


def can_see_inject(principal: Principal, package: Package, inject: Inject) -> bool:
    """Whether ``principal`` may see ``inject`` once released (control sees all, always)."""
    if principal.sees_control_material:
        return True
    recipients = {t.id: t for t in package.recipients(inject)}
    if principal.role in (Role.PLAYER, Role.OBSERVER) and principal.team is not None:
        return principal.team in recipients and _releasable(package, inject, principal.party)
    if principal.role == Role.OBSERVER and principal.party is not None:
        return any(t.party == principal.party for t in recipients.values()) and _releasable(
            package, inject, principal.party
        )
    if principal.role in (Role.OBSERVER, Role.DISPLAY):
        if not _for_everyone(package, inject):
            return False
        if principal.party is not None:
            return _releasable(package, inject, principal.party)
        return _releasable_to_all(package, inject)
    return False


def _releasable_to_all(package: Package, inject: Inject) -> bool:
    """Releasable to every party of the exercise (a room display shows it to all of them)."""
    releasable = package.marking_of(inject).releasable_to
    return not releasable or {p.id for p in package.parties} <= set(releasable)


def _audience(principal: Principal, teams: tuple[str, ...], parties: tuple[str, ...]) -> bool:
    if principal.sees_control_material:
        return True
    if not teams and not parties:
        return True
    if principal.team is not None and principal.team in teams:
        return True
    return principal.party is not None and principal.party in parties


def can_see_question(principal: Principal, package: Package, question: DiscussionQuestion) -> bool:
    """Discussion questions go to everyone, or to the teams and parties they name."""
    return _audience(principal, question.teams, question.parties)


def can_see_poll(principal: Principal, package: Package, poll: Poll) -> bool:
    """Polls go to everyone, or to the teams and parties they name."""
    return _audience(principal, poll.teams, poll.parties)


def can_see_poll_results(principal: Principal, closed: bool) -> bool:
    """Live results go to control, evaluators and the room display; players see them once the
    poll is closed, so the count does not sway the vote."""
    return closed or is_staff(principal) or is_room_display(principal)


def sees_all_observations(principal: Principal) -> bool:
    """Evaluators and control read every observation; anyone else only those they wrote."""
    return is_staff(principal)


def can_see_observation(principal: Principal, author: str) -> bool:
    """An evaluator's observation: evaluators and control, and its own author."""
    return sees_all_observations(principal) or author == principal.id


def can_see_hot_wash_item(principal: Principal, team: str | None, party: str | None) -> bool:
    """A hot-wash item said about the whole exercise reaches everyone in the run; one scoped to
    a team reaches only that team, one scoped to a party only that party (and, always, control
    and evaluators, who hold the whole record)."""
    if principal.sees_control_material:
        return True
    if team is not None:
        return principal.team == team
    if party is not None:
        return principal.party == party
    return True


def can_see_team_material(principal: Principal, team: str | None, party: str | None) -> bool:
    """Team-private material (responses, notes): the team itself and control/evaluators."""
    if principal.sees_control_material:
        return True
    return (
        principal.role in (Role.PLAYER, Role.OBSERVER)
        and principal.team is not None
        and (principal.team == team)
    )


def can_see_decision(
    principal: Principal, team: str, party: str | None, joint_with: tuple[str, ...]
) -> bool:
    """A team decision: its team; a joint decision: every team of the parties it concerns."""
    if principal.sees_control_material:
        return True
    if principal.role not in (Role.PLAYER, Role.OBSERVER) or principal.team is None:
        return False
    if principal.team == team:
        return True
    return (
        bool(joint_with)
        and principal.party is not None
        and (principal.party == party or principal.party in joint_with)
    )


ORGANISATION_CELL = "cell:org:"
"""The principal id prefix of a scripted cell that plays a simulated organisation."""
THREAD_EVENTS = (ev.ThreadOpened, ev.ThreadMessagePosted, ev.ThreadForwarded)


def is_organisation_cell(principal: Principal) -> bool:
    """A scripted cell playing a simulated organisation (``cell:org:<id>``)."""
    return principal.id.startswith(ORGANISATION_CELL) and not principal.sees_control_material


def can_see_thread(
    principal: Principal,
    team: str,
    organisation: str,
    teams: tuple[str, ...] = (),
    parties: tuple[str, ...] = (),
) -> bool:
    """A SimCell thread: its team, teams and parties control forwarded it to, the simulated
    cell that plays its organisation (``cell:org:<id>``), control and evaluators."""
    if principal.sees_control_material:
        return True
    if principal.id == f"{ORGANISATION_CELL}{organisation}":
        return True
    if principal.role not in (Role.PLAYER, Role.OBSERVER) or principal.team is None:
        return False
    if principal.team == team or principal.team in teams:
        return True
    return principal.party is not None and principal.party in parties


# --- what a viewer sees of package content --------------------------------------------------


def inject_view(
    principal: Principal,
    package: Package,
    inject: Inject,
    lang: str | None = None,
    corrected: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The inject as this viewer may see it: control gets everything, others the safe copy."""
    from sitroom.package.marking import package_label, render_banner

    shown = inject if principal.sees_control_material else strip_control(inject)
    data = shown.model_dump(mode="json", by_alias=True, exclude_defaults=False)
    if not principal.sees_control_material:
        for name in ("expected_actions", "controller", "contingency_for", "notes", "trigger"):
            data.pop(name, None)
    if corrected:
        data["content"] = dict(corrected)
    data["label"] = package_label(package.marking_of(inject), package)
    data["banner"] = render_banner(data["label"])
    if lang:
        fallbacks = package.exercise.languages
        data["title_text"] = text_in(inject.title, lang, fallbacks)
        data["content_text"] = text_in(corrected or inject.content, lang, fallbacks)
        data["from_text"] = text_in(inject.from_, lang, fallbacks)
    return data


def module_view(principal: Principal, package: Package, module_id: str) -> dict[str, Any] | None:
    """The module's narrative, key issues and the questions this viewer may see."""
    module = next((m for m in package.modules if m.id == module_id), None)
    if module is None:
        return None
    shown = module if principal.sees_control_material else strip_control(module)
    return {
        "id": shown.id,
        "title": shown.title,
        "start": shown.start.isoformat() if shown.start else None,
        "end": shown.end.isoformat() if shown.end else None,
        "narrative": shown.narrative,
        "key_issues": list(shown.key_issues),
        "questions": [
            q.model_dump(mode="json")
            for q in shown.questions
            if can_see_question(principal, package, q)
        ],
        "polls": [
            p.model_dump(mode="json") for p in shown.polls if can_see_poll(principal, package, p)
        ],
        **(
            {"facilitator_notes": module.facilitator_notes}
            if principal.sees_control_material
            else {}
        ),
        "injects": [i.number for i in module.injects] if principal.sees_control_material else [],
    }


# --- the gate for log events ----------------------------------------------------------------


def view_event(
    principal: Principal,
    package: Package,
    event: ev.Event,
    *,
    actor: str | None = None,
    context: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """The event's data as ``principal`` may see it, or None when it is not theirs to see.

    ``context`` carries what the event refers to in the run so far (for decision answers:
    the decision's team, party and joint_with). ``actor`` is the log's actor of the event:
    control sees it, and a feedback form's submitter is recognised by it.
    """
    control = principal.sees_control_material
    if is_organisation_cell(principal) and not isinstance(event, THREAD_EVENTS):
        return None  # a simulated organisation reads its threads, nothing else of the run
    base = ev.Event.payload(event)
    if control and actor is not None:
        base["actor"] = actor
    match event:
        case ev.RunStarted() | ev.RunPaused() | ev.RunResumed() | ev.RunEnded():
            return base
        case ev.ModuleOpened(module=module):
            return {**base, "view": module_view(principal, package, module)}
        case ev.InjectReleased(number=number) | ev.InjectRetracted(number=number):
            inject = package.inject(number)
            if inject is None or not can_see_inject(principal, package, inject):
                return None
            if isinstance(event, ev.InjectRetracted):
                return base
            return {**base, "inject": inject_view(principal, package, inject)}
        case ev.InjectCorrected(number=number, content=content):
            inject = package.inject(number)
            if inject is None or not can_see_inject(principal, package, inject):
                return None
            return {**base, "inject": inject_view(principal, package, inject, corrected=content)}
        case ev.UpdateBroadcast(teams=teams, parties=parties):
            return base if _audience(principal, tuple(teams), tuple(parties)) else None
        case ev.InjectReceived(principal=who) | ev.InjectAcknowledged(principal=who):
            return base if control or who == principal.id else None
        case ev.InjectMailed() | ev.MailFailed():
            # Addresses' fate and SMTP answers: control's (EXCON's) alone, not even evaluators'.
            return base if is_control(principal) else None
        case ev.ResponseSubmitted(team=team, party=party):
            return base if can_see_team_material(principal, team, party) else None
        case ev.TeamNoteAdded(team=team):
            return base if can_see_team_material(principal, team, None) else None
        case ev.DecisionProposed(team=team, party=party, joint_with=joint_with):
            return base if can_see_decision(principal, team, party, tuple(joint_with)) else None
        case ev.DecisionConcurred() | ev.DecisionNonConcurred():
            ctx = context or {}
            if control:
                return base
            if "team" not in ctx:
                return None
            allowed = can_see_decision(
                principal, ctx["team"], ctx.get("party"), tuple(ctx.get("joint_with", ()))
            )
            return base if allowed else None
        case ev.PollOpened(poll=poll_id) | ev.PollClosed(poll=poll_id):
            poll = next((p for m in package.modules for p in m.polls if p.id == poll_id), None)
            if poll is None or not can_see_poll(principal, package, poll):
                return None
            return {**base, "poll_view": poll.model_dump(mode="json")}
        case ev.PollVoteCast(poll=poll_id, voter=voter):
            if control or voter == principal.id:
                return base
            poll = next((p for m in package.modules for p in m.polls if p.id == poll_id), None)
            if is_room_display(principal) and poll and can_see_poll(principal, package, poll):
                return {
                    "poll": poll_id,
                    "options": base["options"],
                    "confidence": base["confidence"],
                }
            return None
        case ev.ObservationRecorded(author=author):
            return base if can_see_observation(principal, author) else None
        case (
            ev.TargetRated()
            | ev.CapabilityRated()
            | ev.ClauseRecorded()
            | ev.TriggerMet()
            | ev.TriggerAccepted()
            | ev.TriggerDismissed()
            | ev.MilestoneReached()
        ):
            # The evaluation record, the branches and milestones: control and evaluators only
            # (a proposed inject is control material until released; then its release shows).
            return base if control else None
        case ev.ChoiceMade(inject=number):
            inject = package.inject(number)
            return (
                base if inject is not None and can_see_inject(principal, package, inject) else None
            )
        case ev.HotWashItemAdded(team=team, party=party):
            return base if can_see_hot_wash_item(principal, team, party) else None
        case ev.FindingSaved() | ev.FindingRemoved() | ev.ReportFinalised():
            # The AAR in the making: the evaluators' and control's, like the ratings.
            return base if control else None
        case ev.CellModeSet(team=team):
            # The cell itself is told when control pauses it or takes it over.
            return base if principal.is_control or principal.id == f"cell:{team}" else None
        case (
            ev.CellActed()
            | ev.CellActionHeld()
            | ev.CellActionReleased()
            | ev.CellActionDiscarded()
        ):
            return base if principal.is_control else None  # traces and held actions: control's
        case (
            ev.AssistProposed(assistant=kind, requested_by=who)
            | ev.AssistAnswered(assistant=kind, requested_by=who)
        ):
            # An assistant's proposals: control's; an evaluator's own (never a player's).
            if principal.is_control:
                return base
            own = kind != "facilitator" and who == principal.id
            return base if own and principal.role == Role.EVALUATOR else None
        case ev.ThreadOpened() | ev.ThreadMessagePosted() | ev.ThreadForwarded():
            thread = context or {}
            if control:
                return base
            if "team" not in thread:
                return None
            shown = can_see_thread(
                principal,
                thread["team"],
                thread["organisation"],
                tuple(thread.get("teams", ())),
                tuple(thread.get("parties", ())),
            )
            return base if shown else None
        case ev.ThreadRead(team=team):
            return base if control or principal.team == team else None
        case ev.FeedbackSubmitted(anonymous=anonymous):
            own = actor is not None and actor == principal.id
            if not (control or own):
                return None
            if anonymous:
                base.pop("actor", None)  # an anonymous form names nobody, not even to control
            return base
    if isinstance(event, GAME_EVENTS):  # a matrix game's turns: conduct/gamegate.py
        return view_game_event(principal, package, event, base)
    return None


# --- what a viewer sees of a run's state ----------------------------------------------------
#
# The views and routes list a run's material from its folded state, not from the log: these
# are the same rules as ``view_event``, asked of the state's records.


def can_see_inject_now(principal: Principal, state: RunState, inject: Inject) -> bool:
    """Whether ``principal`` may read ``inject`` in the run as it stands: those who hold the
    C/E handbook read the whole MSEL; anyone else an inject once it is released (or corrected,
    or retracted) and only if the gate lets them see it. A planned inject is control material
    until it is released."""
    if principal.sees_control_material:
        return True
    status = state.injects[inject.number].status
    return status != InjectStatus.PLANNED and can_see_inject(principal, state.package, inject)


def visible_injects(principal: Principal, state: RunState) -> list[tuple[Inject, InjectState]]:
    """The injects ``principal`` may read now, in MSEL order, with their state."""
    return [
        (inject, state.injects[inject.number])
        for inject in state.package.injects()
        if can_see_inject_now(principal, state, inject)
    ]


def visible_modules(principal: Principal, state: RunState) -> list[Module]:
    """The modules whose questions and polls ``principal`` may read: every module for those
    who hold the C/E handbook, else those opened so far (a module to come is control's)."""
    return [
        m
        for m in state.package.modules
        if principal.sees_control_material or m.id in state.modules_opened
    ]


def can_see_poll_now(principal: Principal, state: RunState, module: Module, poll: Poll) -> bool:
    """A poll is control material until its module is opened (or the poll itself is): nobody
    but control and evaluators reads the questions of a module still to come."""
    if principal.sees_control_material:
        return True
    opened = module.id in state.modules_opened or state.polls[poll.id].opened_seq is not None
    return opened and can_see_poll(principal, state.package, poll)


def visible_polls(principal: Principal, state: RunState) -> list[tuple[Module, Poll, PollState]]:
    """The polls ``principal`` may read now, in package order, with their state."""
    return [
        (module, poll, state.polls[poll.id])
        for module in state.package.modules
        for poll in module.polls
        if can_see_poll_now(principal, state, module, poll)
    ]


def visible_responses(principal: Principal, state: RunState) -> list[Entry]:
    """Responses: the team's own, and every team's for control and evaluators."""
    # list() takes its snapshot in one step: other threads fold new events meanwhile.
    return [e for e in list(state.responses) if can_see_team_material(principal, e.team, e.party)]


def visible_notes(principal: Principal, state: RunState) -> list[Entry]:
    """Team notes: the team's own, and every team's for control and evaluators."""
    return [e for e in list(state.notes) if can_see_team_material(principal, e.team, None)]


def visible_observations(principal: Principal, state: RunState) -> list[Entry]:
    """Observations: all of them for evaluators and control, else only the viewer's own."""
    return [e for e in list(state.observations) if can_see_observation(principal, e.author)]


def visible_decisions(principal: Principal, state: RunState) -> list[DecisionState]:
    """Decisions the viewer's team proposed, and joint ones that concern its party."""
    return [
        d
        for d in list(state.decisions.values())
        if can_see_decision(principal, d.team, d.party, d.joint_with)
    ]


def visible_broadcasts(principal: Principal, state: RunState) -> list[Broadcast]:
    """Control updates sent to everyone, or to the viewer's team or party."""
    return [b for b in list(state.broadcasts) if _audience(principal, b.teams, b.parties)]


def visible_mail(principal: Principal, state: RunState, number: str) -> list[MailRecord]:
    """The e-mail deliveries of inject ``number``: control's (EXCON's) only, like the events."""
    if not is_control(principal):
        return []
    return [r for r in state.mail.values() if r.number == number]


def visible_hot_wash(principal: Principal, state: RunState) -> list[HotWashItem]:
    """Hot-wash items said about the whole exercise, or about the viewer's team or party."""
    return [i for i in list(state.hot_wash) if can_see_hot_wash_item(principal, i.team, i.party)]


def visible_threads(principal: Principal, state: RunState) -> list[Thread]:
    """SimCell threads the viewer may read, newest activity first."""
    threads = [
        t
        for t in list(state.inbox.threads.values())
        if can_see_thread(principal, t.team, t.organisation, t.teams, t.parties)
    ]
    return sorted(threads, key=lambda t: t.last_at, reverse=True)


def visible_org_injects(principal: Principal, state: RunState) -> list[tuple[Inject, InjectState]]:
    """Released injects delivered as an e-mail from an organisation that the viewer may read
    (their inbox shows them beside the threads; ``inject:<number>`` is their thread id)."""
    return [
        (inject, inject_state)
        for inject, inject_state in visible_injects(principal, state)
        if inject.from_organisation is not None and inject_state.status != InjectStatus.PLANNED
    ]


def thread_context(state: RunState, thread_id: str) -> dict[str, Any] | None:
    """What the gate needs to know of a thread to decide on its events (None: unknown)."""
    if thread_id.startswith(INJECT_PREFIX):
        return None
    thread = state.inbox.threads.get(thread_id)
    if thread is None:
        return None
    return {
        "team": thread.team,
        "organisation": thread.organisation,
        "teams": thread.teams,
        "parties": thread.parties,
    }


# --- releasability to parties (one AAR per party, joint AARs) --------------------------------


def inject_parties(package: Package, inject: Inject) -> frozenset[str]:
    """The parties an inject may be shown to: those it went to, as far as its marking allows."""
    went_to = {t.party for t in package.recipients(inject) if t.party}
    allowed = package.marking_of(inject).releasable_to
    return frozenset(p for p in went_to if not allowed or p in allowed)
