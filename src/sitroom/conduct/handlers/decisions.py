"""Decisions: a team proposes one, and a joint decision waits for each other party named to
concur or not (with reasons, which a non-concurrence must give).
"""

from __future__ import annotations

from sitroom.conduct import commands as cmd
from sitroom.conduct import events as ev
from sitroom.conduct.handlers.checks import (
    Context,
    Rejected,
    check_live,
    check_player,
    clean_text,
    known_clauses,
)
from sitroom.conduct.principal import Principal
from sitroom.conduct.state import RunState
from sitroom.conduct.wording import lazy


def propose_decision(
    state: RunState, command: cmd.ProposeDecision, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """A team's decision, joint when it names other parties to concur."""
    team = check_player(principal)
    check_live(state)
    for party in command.joint_with:
        if state.package.party(party) is None:
            raise Rejected(lazy("unknown party '%(party)s'", party=party), field="joint_with")
        if party == principal.party:
            raise Rejected(
                lazy("a joint decision asks another party to concur, not your own"),
                field="joint_with",
            )
    return [
        ev.DecisionProposed(
            id=ctx.new_id,
            team=team,
            party=principal.party,
            author=principal.id,
            title=clean_text(command.title, "title"),
            text=clean_text(command.text, "text", required=False),
            joint_with=tuple(dict.fromkeys(command.joint_with)),
            clauses=known_clauses(state, command.clauses, "clauses"),
        )
    ]


def answer_decision(
    state: RunState, command: cmd.AnswerDecision, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """Another party's concurrence or non-concurrence, once per party."""
    team = check_player(principal)
    check_live(state)
    decision_id = command.decision
    decision = state.decisions.get(decision_id)
    answering = principal.party
    if decision is None or answering is None or answering not in decision.parties():
        raise Rejected(
            lazy("no decision '%(decision)s' for your party", decision=decision_id),
            field="decision",
            status=404,
        )
    if answering not in decision.joint_with:
        raise Rejected(
            lazy("your party proposed this decision; the other party answers"), status=409
        )
    if answering in decision.answers:
        raise Rejected(
            lazy("party '%(answering)s' has already answered", answering=answering), status=409
        )
    reasons = clean_text(command.reasons, "reasons", required=not command.concur)
    kind = ev.DecisionConcurred if command.concur else ev.DecisionNonConcurred
    return [
        kind(
            decision=decision_id,
            party=answering,
            team=team,
            author=principal.id,
            reasons=reasons,
            clauses=known_clauses(state, command.clauses, "clauses"),
        )
    ]
