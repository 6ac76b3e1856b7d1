"""The SimCell inbox: players write to simulated organisations, control answers as them.

A player writes only for their own team, and replies only in their team's threads (a thread
forwarded to them is read-only); a thread the gate does not show them is 404, not 403, so an
id gives nothing away. Control staff answer as the organisation, with a marking when they
choose, and forward threads to other teams or parties. ``MarkThreadRead`` records a team's
reading once per new message, so reading an unchanged thread again records nothing.
"""

from __future__ import annotations

from sitroom.conduct import commands as cmd
from sitroom.conduct import events as ev
from sitroom.conduct.handlers.checks import (
    MAX_SHORT,
    Context,
    Rejected,
    check_control,
    check_live,
    check_player,
    clean_short,
    clean_text,
    known_parties,
)
from sitroom.conduct.principal import Principal
from sitroom.conduct.state import InjectStatus, RunState
from sitroom.conduct.threads import INJECT_PREFIX, ORGANISATION, TEAM, Thread
from sitroom.conduct.visibility import can_see_inject, can_see_thread
from sitroom.package.model import TLP
from sitroom.package.schemes import get_scheme


def _thread(state: RunState, thread_id: str, principal: Principal) -> Thread:
    thread = state.inbox.threads.get(thread_id)
    if thread is None or not can_see_thread(
        principal, thread.team, thread.organisation, thread.teams, thread.parties
    ):
        raise Rejected(f"no thread '{thread_id}'", field="thread", status=404)
    return thread


def _organisation_cell(principal: Principal, organisation: str) -> bool:
    return principal.id == f"cell:org:{organisation}"


def write_to_organisation(
    state: RunState, command: cmd.WriteToOrganisation, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """A player's new thread with a simulated organisation of the package."""
    team = check_player(principal)
    check_live(state)
    if state.package.organisation(command.organisation) is None:
        known = ", ".join(o.id for o in state.package.organisations) or "none"
        raise Rejected(
            f"no organisation '{command.organisation}'; organisations: {known}",
            field="organisation",
            status=404,
        )
    subject = clean_short(command.subject, "subject")
    if not subject:
        raise Rejected(f"subject is empty (at most {MAX_SHORT} characters)", field="subject")
    return [
        ev.ThreadOpened(
            id=ctx.new_id,
            organisation=command.organisation,
            team=team,
            party=principal.party,
            author=principal.id,
            subject=subject,
            body=clean_text(command.body, "body"),
        )
    ]


def _marking(state: RunState, command: cmd.PostInThread) -> tuple[str | None, str | None]:
    classification = (command.classification or "").strip() or None
    tlp = (command.tlp or "").strip().upper() or None
    if classification is not None:
        scheme = get_scheme(state.package.exercise.marking_scheme)
        found = scheme.find(classification)
        if found is None:
            raise Rejected(
                f"classification '{classification}' is not in the '{scheme.id}' scheme;"
                f" use one of {', '.join(scheme.names())}",
                field="classification",
            )
        classification = found.name
    if tlp is not None:
        known = [t.value for t in TLP]
        if tlp not in known:
            raise Rejected(
                f"tlp '{tlp}' is not a TLP 2.0 label; use one of {', '.join(known)}", field="tlp"
            )
    return classification, tlp


def post_in_thread(
    state: RunState, command: cmd.PostInThread, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """The team replies in its thread; control (or the organisation's cell) answers as the
    organisation, marked when a classification or TLP label is given."""
    check_live(state)
    thread = _thread(state, command.thread, principal)
    body = clean_text(command.body, "body")
    if principal.is_control or _organisation_cell(principal, thread.organisation):
        classification, tlp = _marking(state, command)
        side = ORGANISATION
    else:
        team = check_player(principal)
        if team != thread.team:
            raise Rejected("a forwarded thread is read-only for your team", status=403)
        if command.classification or command.tlp:
            raise Rejected(
                "only the organisation's answers carry a marking", field="classification"
            )
        classification, tlp, side = None, None, TEAM
    attachments = _attachments(state, command, side)
    return [
        ev.ThreadMessagePosted(
            thread=thread.id,
            id=ctx.new_id,
            author=principal.id,
            side=side,
            body=body,
            classification=classification,
            tlp=tlp,
            attachments=attachments,
        )
    ]


def _attachments(state: RunState, command: cmd.PostInThread, side: str) -> tuple[str, ...]:
    """The package documents an organisation's answer attaches: declared ones, each once."""
    if not command.attachments:
        return ()
    if side != ORGANISATION:
        raise Rejected("only the organisation's answers attach documents", field="attachments")
    known = sorted({a.path for inject in state.package.injects() for a in inject.attachments})
    for path in command.attachments:
        if path not in known:
            raise Rejected(
                f"no package document '{path}'; accepted: {', '.join(known) or 'none'}",
                field="attachments",
            )
    return tuple(dict.fromkeys(command.attachments))


def forward_thread(
    state: RunState, command: cmd.ForwardThread, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """Control shows a thread to more teams or parties."""
    check_control(principal)
    check_live(state)
    thread = _thread(state, command.thread, principal)
    players = {t.id for t in state.package.player_teams()}
    for team in command.teams:
        if team not in players:
            raise Rejected(
                f"no player team '{team}'; teams: {', '.join(sorted(players))}", field="teams"
            )
    parties = known_parties(state, tuple(command.parties), "parties")
    teams = tuple(t for t in dict.fromkeys(command.teams) if t != thread.team)
    if not teams and not parties:
        raise Rejected("name at least one other team or party to forward to", field="teams")
    return [
        ev.ThreadForwarded(
            thread=thread.id,
            author=principal.id,
            teams=teams,
            parties=parties,
            note=clean_text(command.note, "note", required=False),
        )
    ]


def mark_thread_read(
    state: RunState, command: cmd.MarkThreadRead, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """A team member read a thread: record it when there is something new to the team."""
    team = check_player(principal)
    check_live(state)
    if command.thread.startswith(INJECT_PREFIX):
        number = command.thread.removeprefix(INJECT_PREFIX)
        inject = state.package.inject(number)
        if (
            inject is None
            or inject.from_organisation is None
            or state.injects[number].status == InjectStatus.PLANNED
            or not can_see_inject(principal, state.package, inject)
        ):
            raise Rejected(f"no thread '{command.thread}'", field="thread", status=404)
        total = 1
    else:
        total = len(_thread(state, command.thread, principal).messages)
    if state.inbox.read_by(command.thread, team) >= total:
        return []
    return [ev.ThreadRead(thread=command.thread, team=team, upto=total, principal=principal.id)]
