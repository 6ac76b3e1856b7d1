"""The checks every command handler shares: who may act, when, and whether typed text,
references and evidence are acceptable.

They live apart from the handlers so that one rule (say, the longest text a participant may
type) is written once; each raises ``Rejected`` naming the field that is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sitroom.conduct.feedback import MAX_ITEMS
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.state import RunState, RunStatus
from sitroom.conduct.wording import lazy

MAX_TEXT = 20_000
MAX_SHORT = 200
MAX_EVIDENCE = 200
RATINGS = ("P", "S", "M", "U")
HOT_WASH_KINDS = ("strength", "improvement")
FINDING_KINDS = HOT_WASH_KINDS
CAPABILITY_ELEMENTS = ("Planning", "Organization", "Equipment", "Training", "Exercise")
"""HSEEP's capability elements, for the Improvement Plan."""
MAX_ACTIONS = 20
FINDING_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:._-]{0,99}$")
HASH = re.compile(r"^sha256:[0-9a-f]{64}$")


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


def check_control(principal: Principal) -> None:
    """Only the facilitator or control staff may go on."""
    if not principal.is_control:
        raise Rejected(lazy("only the facilitator or control staff may do this"), status=403)


def check_player(principal: Principal) -> str:
    """Only a player of a team may go on; returns the team."""
    if principal.role != Role.PLAYER or principal.team is None:
        raise Rejected(lazy("only a player of a team may do this"), status=403)
    return principal.team


def check_evaluator(principal: Principal) -> None:
    """Only evaluators and control staff may go on."""
    if not principal.sees_control_material:
        raise Rejected(lazy("only evaluators and control staff may do this"), status=403)


def check_live(state: RunState) -> None:
    """The run is between STARTEX and ENDEX."""
    if state.status == RunStatus.PLANNED:
        raise Rejected(lazy("the run has not started (STARTEX) yet"), status=409)
    if state.status == RunStatus.ENDED:
        raise Rejected(lazy("the run has ended (ENDEX)"), status=409)


def check_started(state: RunState) -> None:
    """The run has started (evaluation goes on after ENDEX)."""
    if state.status == RunStatus.PLANNED:
        raise Rejected(lazy("the run has not started (STARTEX) yet"), status=409)


def clean_text(value: str, field: str, *, required: bool = True) -> str:
    """``value`` stripped; empty only when not ``required``, at most ``MAX_TEXT`` long."""
    text = value.strip()
    if required and not text:
        raise Rejected(lazy("%(field)s is empty", field=field), field=field)
    if len(text) > MAX_TEXT:
        raise Rejected(
            lazy(
                "%(field)s is %(length)s characters; at most %(limit)s",
                field=field,
                length=format(len(text), ","),
                limit=format(MAX_TEXT, ","),
            ),
            field=field,
        )
    return text


def clean_short(value: str, field: str) -> str:
    """A one-line value (a name, a title) stripped, at most ``MAX_SHORT`` long."""
    text = value.strip()
    if len(text) > MAX_SHORT:
        raise Rejected(
            lazy(
                "%(field)s is %(length)s characters; at most %(limit)s",
                field=field,
                length=format(len(text), ","),
                limit=MAX_SHORT,
            ),
            field=field,
        )
    return text


def clean_items(values: tuple[str, ...], field: str) -> tuple[str, ...]:
    """The non-empty entries of a list a participant typed, at most ``MAX_ITEMS``."""
    items = tuple(t for t in (clean_text(v, field, required=False) for v in values) if t)
    if len(items) > MAX_ITEMS:
        raise Rejected(lazy("at most %(max_items)s entries", max_items=MAX_ITEMS), field=field)
    return items


def known_clauses(state: RunState, clauses: tuple[str, ...], field: str) -> tuple[str, ...]:
    """Guideline clauses ("reference-id/clause-id") the package has."""
    for ref in clauses:
        if state.package.clause(ref) is None:
            known = [f"{r.id}/{c.id}" for r in state.package.references for c in r.clauses]
            raise Rejected(
                lazy(
                    "unknown clause '%(ref)s'; known: %(known)s",
                    ref=ref,
                    known=", ".join(known[:10]) or "none",
                ),
                field=field,
            )
    return tuple(clauses)


def known_parties(state: RunState, parties: tuple[str, ...], field: str) -> tuple[str, ...]:
    """Parties of the package, without repeats, sorted."""
    known = [p.id for p in state.package.parties]
    for party in parties:
        if party not in known:
            raise Rejected(
                lazy(
                    "unknown party '%(party)s'; parties: %(known)s",
                    party=party,
                    known=", ".join(known) or "none",
                ),
                field=field,
            )
    return tuple(sorted(set(parties)))


def known_evidence(state: RunState, evidence: tuple[int, ...]) -> tuple[int, ...]:
    """Sequence numbers of events already in the log, without repeats, in order."""
    if len(evidence) > MAX_EVIDENCE:
        raise Rejected(
            lazy("at most %(max_evidence)s evidence events", max_evidence=MAX_EVIDENCE),
            field="evidence",
        )
    for seq in evidence:
        if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= state.seq:
            raise Rejected(
                lazy(
                    "evidence %(seq)s is not an event of this run (1 to %(last)s)",
                    seq=repr(seq),
                    last=state.seq,
                ),
                field="evidence",
            )
    return tuple(sorted(set(evidence)))


def valid_rating(value: str) -> str:
    """One of HSEEP's ratings P, S, M or U."""
    if value not in RATINGS:
        raise Rejected(lazy("rating is P, S, M or U"), field="rating")
    return value


def iso_date(value: str, field: str) -> str:
    """A date as YYYY-MM-DD, or empty; raises ``Rejected`` for anything else."""
    text = value.strip()
    if not text:
        return ""
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise Rejected(
            lazy("'%(text)s' is not a date; write it as YYYY-MM-DD", text=text), field=field
        ) from None
