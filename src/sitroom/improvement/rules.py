"""Deciding: ``decide(state, command, principal, now) -> events``. Pure; raises ``Rejected``.

Who may do what to a series lives here (and ``can_read`` for the read side): admins and
facilitators run the improvement programme; only an admin closes the loop by hand (cancel,
verify). Everyone else gets 403, reading included: an IP names organisations and people.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from datetime import datetime

from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.run import CAPABILITY_ELEMENTS, Rejected, iso_date
from sitroom.conduct.wording import lazy
from sitroom.improvement import commands as cmd
from sitroom.improvement import events as ev
from sitroom.improvement.state import CARRIED, STATUSES, ActionState, SeriesState, Status

MAX_TEXT = 5_000
MAX_SHORT = 200
SIMILAR = 0.6
"""difflib ratio from which two issue texts count as the same issue found again."""
SERIES_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
MANAGERS = frozenset({Role.ADMIN, Role.FACILITATOR})
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.OPEN: frozenset({Status.IN_PROGRESS, Status.CANCELLED}),
    Status.IN_PROGRESS: frozenset({Status.DONE, Status.CANCELLED}),
    Status.DONE: frozenset({Status.IN_PROGRESS, Status.VERIFIED, Status.CANCELLED}),
    Status.VERIFIED: frozenset(),
    Status.CANCELLED: frozenset(),
}
"""The status machine for changes by hand (an imported re-test may also move done → open)."""
ADMIN_ONLY = frozenset({Status.VERIFIED, Status.CANCELLED})
EDITABLE = ("action", "issue", "element", "organisation", "poc", "start", "due")
OUTCOMES = ("verified", "not-verified", "not-exercised")


def can_read(principal: Principal) -> bool:
    """Whether ``principal`` may see a series and its actions."""
    return principal.role in MANAGERS


def _manager(principal: Principal) -> None:
    if principal.role not in MANAGERS:
        raise Rejected(
            lazy("only an admin or a facilitator may manage corrective actions"), status=403
        )


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Control characters no spreadsheet or document can hold; typed text never needs them."""


def _text(value: str, field: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    text = _CONTROL.sub("", value).strip()
    if required and not text:
        raise Rejected(lazy("%(field)s is empty", field=field), field=field)
    if len(text) > limit:
        raise Rejected(
            lazy(
                "%(field)s is %(length)s characters; at most %(limit)s",
                field=field,
                length=format(len(text), ","),
                limit=format(limit, ","),
            ),
            field=field,
        )
    return text


def element(value: str, field: str = "element") -> str:
    """A capability element (Planning, Organization, Equipment, Training, Exercise) or empty."""
    text = value.strip()
    if not text:
        return ""
    for known in CAPABILITY_ELEMENTS:
        if known.lower() == text.lower():
            return known
    raise Rejected(
        lazy(
            "'%(text)s' is not a capability element; use one of %(known)s",
            text=text,
            known=", ".join(CAPABILITY_ELEMENTS),
        ),
        field=field,
    )


def _created(state: SeriesState) -> None:
    if not state.created:
        raise Rejected(lazy("no series '%(series)s'", series=state.id), status=404)


def _action(state: SeriesState, action_id: str) -> ActionState:
    action = state.actions.get(action_id)
    if action is None:
        raise Rejected(
            lazy("series %(series)s has no action '%(action)s'", series=state.id, action=action_id),
            field="id",
            status=404,
        )
    return action


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def similar(a: str, b: str) -> bool:
    """Whether two issue texts name the same issue (after normalising case and punctuation)."""
    left, right = _normalise(a), _normalise(b)
    return bool(left and right) and difflib.SequenceMatcher(None, left, right).ratio() >= SIMILAR


def recurring_of(
    state: SeriesState, edition: str, capability: str, issue: str, statuses: dict[str, Status]
) -> tuple[str, ...]:
    """Earlier editions' unresolved actions that a new area for improvement repeats."""
    return tuple(
        a.id
        for a in state.actions.values()
        if _earlier(state, a.edition, edition)
        and statuses.get(a.id, a.status) not in (Status.VERIFIED, Status.CANCELLED)
        and ((capability and a.capability == capability) or similar(a.issue, issue))
    )


def _earlier(state: SeriesState, first: str, then: str) -> bool:
    """Whether edition ``first`` comes before edition ``then``: by import order when both are
    imported, an imported one before one being imported, else by name ("2025" < "2026").
    Actions of no edition come before every edition."""
    if first == then:
        return False
    if not first or not then:
        return not first
    known, new = state.editions.get(first), state.editions.get(then)
    if known is not None and new is not None:
        return known.imported_seq < new.imported_seq
    if known is not None or new is not None:
        return known is not None
    return first < then


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-") or "x"


def next_id(
    state: SeriesState, edition: str, taken: set[str] | frozenset[str] = frozenset()
) -> str:
    """The next action id: ``CA-<edition>-<nnn>`` (``CA-<nnn>`` for an action of no edition)."""
    prefix = f"CA-{_slug(edition)}-" if edition else "CA-"
    n = 1
    while f"{prefix}{n:03d}" in state.actions or f"{prefix}{n:03d}" in taken:
        n += 1
    return f"{prefix}{n:03d}"


def decide(
    state: SeriesState, command: cmd.Command, principal: Principal, now: datetime
) -> list[ev.Event]:
    """The events ``command`` causes in ``state``, or ``Rejected``."""
    _manager(principal)
    match command:
        case cmd.CreateSeries(id=series_id, title=title):
            if state.created:
                raise Rejected(
                    lazy("a series '%(series)s' exists already", series=state.id),
                    field="id",
                    status=409,
                )
            if not SERIES_ID.match(series_id):
                raise Rejected(
                    lazy(
                        "'%(series)s' is not a series id; use letters, digits, '.', '_' or '-'",
                        series=series_id,
                    ),
                    field="id",
                )
            return [ev.SeriesCreated(series_id, _text(title, "title", limit=MAX_SHORT))]
        case cmd.ImportReport():
            _created(state)
            return _import(state, command)
        case cmd.AddAction() as c:
            _created(state)
            start, due = iso_date(c.start, "start"), iso_date(c.due, "due")
            _order(start, due)
            issue = _text(c.issue, "issue")
            return [
                ev.ActionOpened(
                    id=next_id(state, c.edition.strip()),
                    issue=issue,
                    action=_text(c.action, "action"),
                    edition=_text(c.edition, "edition", required=False, limit=40),
                    capability=c.capability.strip(),
                    capability_name=c.capability_name.strip()
                    or state.capability_names.get(c.capability.strip(), ""),
                    element=element(c.element),
                    organisation=_text(
                        c.organisation, "organisation", required=False, limit=MAX_SHORT
                    ),
                    poc=_text(c.poc, "poc", required=False, limit=MAX_SHORT),
                    start=start,
                    due=due,
                    recurring_of=recurring_of(
                        state, c.edition.strip(), c.capability.strip(), issue, {}
                    ),
                )
            ]
        case cmd.EditAction() as c:
            _created(state)
            action = _action(state, c.id)
            _open_for_edits(action)
            changes = _edits(c)
            _order(changes.get("start", action.start), changes.get("due", action.due))
            changes = {k: v for k, v in changes.items() if getattr(action, k) != v}
            return [ev.ActionEdited(action.id, changes)] if changes else []
        case cmd.ChangeStatus(id=action_id, status=status, note=note):
            _created(state)
            return [_move(_action(state, action_id), status, note, principal)]
        case cmd.VerifyAction(id=action_id, note=note):
            _created(state)
            return [_move(_action(state, action_id), Status.VERIFIED, note, principal)]
        case cmd.AttachEvidence() as c:
            _created(state)
            action = _action(state, c.id)
            if not SHA256.match(c.sha256):
                raise Rejected(lazy("sha256 must be 64 lowercase hex digits"), field="sha256")
            if c.size < 0:
                raise Rejected(lazy("size must be 0 or more"), field="size")
            return [
                ev.EvidenceAttached(
                    action.id,
                    _text(c.name, "name", limit=MAX_SHORT),
                    _text(c.media_type, "media_type", limit=MAX_SHORT),
                    c.size,
                    c.sha256,
                    _text(c.note, "note", required=False),
                )
            ]
    raise Rejected(lazy("unknown command %(command)s", command=type(command).__name__), status=400)


def _open_for_edits(action: ActionState) -> None:
    if action.status in (Status.VERIFIED, Status.CANCELLED):
        raise Rejected(
            lazy(
                "action %(action)s is %(status)s; it can no longer change",
                action=action.id,
                status=action.status,
            ),
            status=409,
        )


def _order(start: str, due: str) -> None:
    if start and due and due < start:
        raise Rejected(
            lazy("due date %(due)s is before the start date %(start)s", due=due, start=start),
            field="due",
        )


def _edits(c: cmd.EditAction) -> dict[str, str]:
    changes: dict[str, str] = {}
    checks: dict[str, Callable[[str], str]] = {
        "action": lambda v: _text(v, "action"),
        "issue": lambda v: _text(v, "issue"),
        "element": element,
        "organisation": lambda v: _text(v, "organisation", required=False, limit=MAX_SHORT),
        "poc": lambda v: _text(v, "poc", required=False, limit=MAX_SHORT),
        "start": lambda v: iso_date(v, "start"),
        "due": lambda v: iso_date(v, "due"),
    }
    for name in EDITABLE:
        value = getattr(c, name)
        if value is not None:
            changes[name] = checks[name](value)
    return changes


def _move(action: ActionState, status: str, note: str, principal: Principal) -> ev.Event:
    if status not in STATUSES:
        raise Rejected(
            lazy("'%(status)s' is not one of %(known)s", status=status, known=", ".join(STATUSES)),
            field="status",
        )
    target = Status(status)
    if target in ADMIN_ONLY and principal.role != Role.ADMIN:
        raise Rejected(
            lazy("only an admin may mark an action %(target)s", target=target),
            field="status",
            status=403,
        )
    if target not in TRANSITIONS[action.status]:
        allowed = ", ".join(sorted(TRANSITIONS[action.status])) or "nothing (it is final)"
        raise Rejected(
            lazy(
                "action %(action)s is %(status)s; it can move to %(allowed)s",
                action=action.id,
                status=action.status,
                allowed=allowed,
            ),
            field="status",
            status=409,
        )
    return ev.ActionStatusChanged(
        action.id, target.value, action.status.value, _text(note, "note", required=False)
    )


def _import(state: SeriesState, c: cmd.ImportReport) -> list[ev.Event]:
    if not c.final:
        raise Rejected(lazy("the AAR of this run is a draft; finalise the AAR first"), status=409)
    if c.run in state.runs():
        raise Rejected(
            lazy("the AAR of run %(run)s has been imported already", run=c.run),
            field="run",
            status=409,
        )
    edition = _text(c.edition, "edition", limit=40)
    if edition in state.editions:
        raise Rejected(
            lazy(
                "edition %(edition)s has been imported already (run %(run)s)",
                edition=edition,
                run=state.editions[edition].run,
            ),
            field="edition",
            status=409,
        )
    events: list[ev.Event] = [
        ev.ReportImported(edition, c.run, c.report_hash, c.ratings, dict(c.capability_names))
    ]
    statuses = {a.id: a.status for a in state.actions.values()}
    events.extend(_retests(state, c, edition, statuses))
    taken: set[str] = set()
    for row in c.actions:
        new_id = next_id(state, edition, taken)
        taken.add(new_id)
        events.append(
            ev.ActionOpened(
                id=new_id,
                issue=row.issue,
                action=row.action,
                edition=edition,
                source_run=c.run,
                source_id=row.id,
                finding=row.finding,
                capability=row.capability,
                capability_name=row.capability_name,
                element=row.element,
                organisation=row.organisation,
                poc=row.poc,
                start=row.start,
                due=row.completion,
                recurring_of=recurring_of(state, edition, row.capability, row.issue, statuses),
            )
        )
    return events


def _retests(
    state: SeriesState, c: cmd.ImportReport, edition: str, statuses: dict[str, Status]
) -> list[ev.Event]:
    """Re-test rows of the AAR, and what they do to the carried actions (``statuses`` is
    updated so recurrence is judged after them). An action re-tested by several objectives
    counts as verified only when none of them found it not verified."""
    events: list[ev.Event] = []
    outcomes: dict[str, set[str]] = {}
    for row in c.retests:
        if row.action not in state.actions or row.outcome not in OUTCOMES:
            continue  # an action of another series, or a statement this version cannot read
        events.append(
            ev.ActionRetested(row.action, edition, c.run, row.objective, row.outcome, row.rating)
        )
        outcomes.setdefault(row.action, set()).add(row.outcome)
    for action_id, found in outcomes.items():
        current = statuses[action_id]
        if "not-verified" in found:
            if current == Status.DONE:
                note = f"not verified by edition {edition} (run {c.run})"
                events.append(ev.ActionStatusChanged(action_id, "open", current.value, note))
                statuses[action_id] = Status.OPEN
        elif "verified" in found and current in CARRIED:
            note = f"verified by edition {edition} (run {c.run})"
            events.append(ev.ActionStatusChanged(action_id, "verified", current.value, note))
            statuses[action_id] = Status.VERIFIED
    return events
