"""The SimCell inbox as pages and the JSON API show it: one read model for both.

``inbox`` is what a viewer may read of the threads (through the gate: a team its own and
those forwarded to it; control and evaluators all) with the team's unread counts, and the
injects delivered as e-mails from an organisation. ``simcell`` is control's view: every
thread grouped by organisation, those waiting for an answer first, longest wait first.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sitroom.conduct.principal import Principal
from sitroom.conduct.state import RunState
from sitroom.conduct.threads import INJECT_PREFIX, ORGANISATION, Message, Thread
from sitroom.conduct.visibility import is_staff, visible_org_injects, visible_threads
from sitroom.package.marking import exercise_banner
from sitroom.package.model import Marking, Package, text_in
from sitroom.web.views import play as pv


@dataclass(frozen=True)
class MessageView:
    id: str
    side: str
    author: str
    body: str
    at: str
    at_iso: str
    banner: str
    classification: str | None
    tlp: str | None
    attachments: tuple[str, ...] = ()  # package document paths (organisation's answers)


@dataclass(frozen=True)
class ThreadView:
    id: str
    organisation: str
    organisation_name: str
    team: str
    team_name: str
    subject: str
    messages: tuple[MessageView, ...]
    unread: int
    ours: bool  # the viewer's team opened it (it may reply)
    forwarded_to: tuple[str, ...]
    waiting_since: str | None  # ISO time of the unanswered message, if any
    waiting_minutes: int | None
    first_answer_minutes: float | None
    last_at: str
    kind: str = "thread"  # thread | inject


@dataclass(frozen=True)
class OrganisationView:
    id: str
    name: str
    kind: str
    description: str
    played_by: tuple[str, ...]


def organisations(package: Package, lang: str, staff: bool = False) -> list[OrganisationView]:
    """The package's simulated organisations, in the viewer's language; who plays each is
    control material (``staff``: the viewer holds it)."""
    languages = package.exercise.languages
    return [
        OrganisationView(
            o.id,
            text_in(o.name, lang, languages),
            str(o.kind),
            text_in(o.description, lang, languages) if o.description else "",
            tuple(o.played_by) if staff else (),
        )
        for o in package.organisations
    ]


def _org_name(package: Package, org_id: str, lang: str) -> str:
    found = package.organisation(org_id)
    return text_in(found.name, lang, package.exercise.languages) if found else org_id


def _team_name(package: Package, team_id: str, lang: str) -> str:
    found = package.team(team_id)
    return text_in(found.name, lang, package.exercise.languages) if found else team_id


def _message(
    m: Message, thread: Thread, package: Package, lang: str, names: dict[str, str]
) -> MessageView:
    if m.side == ORGANISATION:
        author = _org_name(package, thread.organisation, lang)
    else:
        author = names.get(m.author, m.author)
    marking = (
        Marking(classification=m.classification, tlp=m.tlp)
        if m.classification or m.tlp
        else package.exercise.default_marking
    )
    return MessageView(
        m.id,
        m.side,
        author,
        m.body,
        pv.wall_time(m.at, package, lang),
        m.at.isoformat(),
        exercise_banner(marking, package),
        m.classification,
        m.tlp,
        m.attachments,
    )


def _minutes(since: datetime | None, now: datetime) -> int | None:
    return None if since is None else max(0, int((now - since).total_seconds() // 60))


def thread_view(
    thread: Thread,
    state: RunState,
    viewer: Principal,
    lang: str,
    names: dict[str, str],
    now: datetime,
) -> ThreadView:
    """One thread as ``viewer`` reads it (the unread count is the viewer's team's)."""
    package = state.package
    read = state.inbox.read_by(thread.id, viewer.team) if viewer.team else len(thread.messages)
    first = thread.first_answer
    waiting = thread.waiting_since
    forwarded = [_team_name(package, t, lang) for t in thread.teams]
    for party_id in thread.parties:
        party = package.party(party_id)
        forwarded.append(
            text_in(party.name, lang, package.exercise.languages) if party else party_id
        )
    return ThreadView(
        id=thread.id,
        organisation=thread.organisation,
        organisation_name=_org_name(package, thread.organisation, lang),
        team=thread.team,
        team_name=_team_name(package, thread.team, lang),
        subject=thread.subject,
        messages=tuple(_message(m, thread, package, lang, names) for m in thread.messages),
        unread=thread.unread(viewer.team, read) if viewer.team else 0,
        ours=viewer.team == thread.team,
        forwarded_to=tuple(forwarded),
        waiting_since=waiting.isoformat() if waiting else None,
        waiting_minutes=_minutes(waiting, now),
        first_answer_minutes=(
            round((first.at - thread.at).total_seconds() / 60, 1) if first else None
        ),
        last_at=pv.wall_time(thread.last_at, package, lang),
    )


def _inject_threads(
    viewer: Principal, state: RunState, lang: str
) -> list[tuple[datetime, ThreadView]]:
    package = state.package
    languages = package.exercise.languages
    found = []
    for inject, status in visible_org_injects(viewer, state):
        org = inject.from_organisation or ""
        thread_id = f"{INJECT_PREFIX}{inject.number}"
        at = status.released_at or state.started_at
        assert at is not None
        content = status.content or inject.content
        read = state.inbox.read_by(thread_id, viewer.team) if viewer.team else 1
        message = MessageView(
            inject.number,
            ORGANISATION,
            _org_name(package, org, lang),
            text_in(content, lang, languages),
            pv.wall_time(at, package, lang),
            at.isoformat(),
            exercise_banner(package.marking_of(inject), package),
            None,
            None,
        )
        view = ThreadView(
            id=thread_id,
            organisation=org,
            organisation_name=_org_name(package, org, lang),
            team=viewer.team or "",
            team_name="",
            subject=text_in(inject.title, lang, languages),
            messages=(message,),
            unread=0 if read >= 1 or not viewer.team else 1,
            ours=False,
            forwarded_to=(),
            waiting_since=None,
            waiting_minutes=None,
            first_answer_minutes=None,
            last_at=message.at,
            kind="inject",
        )
        found.append((at, view))
    return found


def inbox(
    viewer: Principal, state: RunState, lang: str, names: dict[str, str], now: datetime
) -> dict[str, Any]:
    """The viewer's inbox: threads and organisations' injects (newest first), unread total."""
    dated = [
        (t.last_at, thread_view(t, state, viewer, lang, names, now))
        for t in visible_threads(viewer, state)
    ]
    dated += _inject_threads(viewer, state, lang)
    dated.sort(key=lambda pair: pair[0], reverse=True)
    threads = [view for _, view in dated]
    return {
        "organisations": organisations(state.package, lang, is_staff(viewer)),
        "threads": threads,
        "unread": sum(t.unread for t in threads),
    }


def simcell(
    viewer: Principal, state: RunState, lang: str, names: dict[str, str], now: datetime
) -> list[dict[str, Any]]:
    """Control's view: each organisation with its threads, unanswered first (longest wait
    first), then the rest by latest activity."""
    threads = visible_threads(viewer, state)
    groups = []
    for org in organisations(state.package, lang, is_staff(viewer)):
        mine = [t for t in threads if t.organisation == org.id]
        waiting = sorted(
            (t for t in mine if t.waiting_since), key=lambda t: t.waiting_since or t.at
        )
        answered = sorted(
            (t for t in mine if not t.waiting_since), key=lambda t: t.last_at, reverse=True
        )
        views = [thread_view(t, state, viewer, lang, names, now) for t in (*waiting, *answered)]
        groups.append({"organisation": org, "threads": views, "waiting": len(waiting)})
    return groups


def as_data(value: Any) -> Any:
    """A view as JSON data (dataclasses to dicts)."""
    if isinstance(value, list):
        return [as_data(v) for v in value]
    if isinstance(value, dict):
        return {k: as_data(v) for k, v in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    return value
