"""Assistants' proposals: recorded for the person who asked, then accepted, edited or discarded.

An assistant (``services.assist``) proposes; a person decides. ``RecordProposal`` records what
it proposed with its trace (``assist-proposed``), after the ids it names are checked again here
(a task, an inject, a team, a log event that exists). ``AnswerProposal`` answers one item: a
discard is recorded as such; an acceptance (edited or not) is decided by the same handler as
the person's own command — an observation with the rating for the evaluator, the release of an
inject or an update for the facilitator, a finding for the report — and recorded in the same
transaction as the answer, with the person as author: what they accept is theirs.
"""

from __future__ import annotations

from typing import Any

from sitroom.conduct import commands as cmd
from sitroom.conduct import events as ev
from sitroom.conduct.handlers import evaluation, injects, report
from sitroom.conduct.handlers.checks import (
    FINDING_KINDS,
    MAX_SHORT,
    RATINGS,
    Context,
    Rejected,
    check_control,
    check_evaluator,
    check_started,
    clean_text,
    known_evidence,
)
from sitroom.conduct.principal import Principal
from sitroom.conduct.state import RunState

MAX_ITEMS = 100
MAX_TRACE = 4_000
OUTCOMES = ("accepted", "edited", "discarded")
EDITABLE = {
    "evaluator": ("rating", "why"),
    "facilitator": ("text",),
    "report": ("title", "analysis", "recommendation"),
}
"""What a person may change in an item before accepting it."""


def check_asker(assistant: str, principal: Principal) -> None:
    if assistant == "facilitator":
        check_control(principal)
    elif assistant in ("evaluator", "report"):
        check_evaluator(principal)
    else:
        raise Rejected(
            "assistant is one of " + ", ".join(cmd.ASSISTANTS), field="assistant", status=422
        )


def _seqs(state: RunState, values: Any, where: str) -> tuple[int, ...]:
    if not isinstance(values, list | tuple) or not all(isinstance(v, int) for v in values):
        raise Rejected(f"{where}: a list of log sequence numbers", field="items")
    try:
        return known_evidence(state, tuple(values))
    except Rejected as exc:
        raise Rejected(f"{where}: {exc.message}", field="items") from None


def check_item(state: RunState, assistant: str, item: dict[str, Any], n: int) -> None:
    """Reject an item that names an id the run does not have (the service checked it first;
    this is the run's own word, so no path records a proposal citing nothing real)."""
    package, where = state.package, f"items[{n}]"
    if not str(item.get("key") or ""):
        raise Rejected(f"{where}: no key", field="items")
    if assistant == "evaluator":
        if not any(t.id == item.get("task") for t in package.tasks()):
            raise Rejected(f"{where}: unknown critical task {item.get('task')!r}", field="items")
        if item.get("rating") not in RATINGS:
            raise Rejected(f"{where}: rating is P, S, M or U", field="items")
        if not _seqs(state, item.get("evidence"), where):
            raise Rejected(f"{where}: a rating proposal cites at least one event", field="items")
    elif assistant == "facilitator":
        if item.get("kind") == "inject":
            if package.inject(str(item.get("inject"))) is None:
                raise Rejected(f"{where}: unknown inject {item.get('inject')!r}", field="items")
        elif item.get("kind") != "update" or not str(item.get("text") or "").strip():
            raise Rejected(f"{where}: an inject to release or an update's text", field="items")
        for team in item.get("teams") or ():
            if package.team(str(team)) is None:
                raise Rejected(f"{where}: unknown team {team!r}", field="items")
    else:
        if item.get("kind") not in FINDING_KINDS:
            raise Rejected(f"{where}: kind is strength or improvement", field="items")
        sentences = [*item.get("sentences", ()), *[r for r in [item.get("recommendation")] if r]]
        if not item.get("sentences"):
            raise Rejected(f"{where}: a finding has at least one sentence", field="items")
        for m, sentence in enumerate(sentences):
            if not isinstance(sentence, dict) or not _seqs(
                state, sentence.get("cites"), f"{where}.sentences[{m}]"
            ):
                raise Rejected(f"{where}: every sentence cites a log event", field="items")


def record_proposal(
    state: RunState, command: cmd.RecordProposal, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """What an assistant proposed for ``principal``, checked and traced."""
    check_asker(command.assistant, principal)
    check_started(state)
    if len(command.items) > MAX_ITEMS:
        raise Rejected(f"at most {MAX_ITEMS} items", field="items")
    if len(repr(command.trace)) > MAX_TRACE:
        raise Rejected(f"a trace is at most {MAX_TRACE} characters", field="trace")
    for n, item in enumerate(command.items):
        check_item(state, command.assistant, item, n)
    return [
        ev.AssistProposed(
            id=ctx.new_id,
            assistant=command.assistant,
            requested_by=principal.id,
            items=tuple(dict(i) for i in command.items),
            trace=dict(command.trace),
            about=command.about[:MAX_SHORT],
            dropped=max(0, int(command.dropped)),
            note=clean_text(command.note, "note", required=False)[:MAX_SHORT],
        )
    ]


def _observation(item: dict[str, Any], edit: dict[str, Any]) -> cmd.Command:
    seqs = ", ".join(f"#{s}" for s in item.get("evidence") or ())
    why = str(edit.get("why", item.get("why") or "")).strip()
    return cmd.RecordObservation(
        f"{why} (evidence: {seqs})" if why else f"(evidence: {seqs})",
        objective=item.get("objective"),
        task=item.get("task"),
        rating=str(edit.get("rating", item.get("rating"))),
    )


def _follow_up(item: dict[str, Any], edit: dict[str, Any], lang: str) -> cmd.Command:
    if item.get("kind") == "inject":
        return cmd.ReleaseInject(str(item["inject"]))
    text = str(edit.get("text", item.get("text") or ""))
    return cmd.BroadcastUpdate({lang: text}, tuple(item.get("teams") or ()))


def finding_text(item: dict[str, Any]) -> tuple[str, str]:
    """A drafted finding's analysis and recommendation, each sentence with its ``(#n)``."""

    def cited(sentence: dict[str, Any]) -> str:
        marks = ", ".join(f"#{s}" for s in sentence.get("cites") or ())
        return f"{str(sentence.get('text', '')).strip()} ({marks})"

    analysis = " ".join(cited(s) for s in item.get("sentences") or ())
    recommendation = item.get("recommendation")
    return analysis, cited(recommendation) if isinstance(recommendation, dict) else ""


def _finding(item: dict[str, Any], edit: dict[str, Any]) -> cmd.Command:
    analysis, recommendation = finding_text(item)
    analysis = str(edit.get("analysis", analysis)).strip()
    recommendation = str(edit.get("recommendation", recommendation)).strip()
    evidence: set[int] = set()
    for sentence in [*item.get("sentences", ()), item.get("recommendation") or {}]:
        evidence.update(int(s) for s in sentence.get("cites") or ())
    body = analysis + (f"\n\nRecommendation: {recommendation}" if recommendation else "")
    return cmd.SaveFinding(
        kind=str(item["kind"]),
        title=str(edit.get("title", item.get("title") or "")),
        analysis=body,
        capability=item.get("capability"),
        objective=item.get("objective"),
        evidence=tuple(sorted(evidence)),
    )


def answer_proposal(
    state: RunState, command: cmd.AnswerProposal, principal: Principal, ctx: Context
) -> list[ev.Event]:
    """Accept (edited or not) or discard one proposed item; an acceptance is the person's
    own command, decided by its own handler."""
    proposal = state.proposals.get(command.id)
    if proposal is None:
        raise Rejected(f"no proposal '{command.id}'", field="id", status=404)
    check_asker(proposal.assistant, principal)
    if proposal.requested_by != principal.id and not principal.is_control:
        raise Rejected("this proposal was made for someone else", status=403)
    item = next((i for i in proposal.items if str(i.get("key")) == command.item), None)
    if item is None:
        raise Rejected(f"no item '{command.item}' in that proposal", field="item", status=404)
    if f"{command.id}/{command.item}" in state.proposal_answers:
        raise Rejected("that item was already answered", status=409)
    reason = clean_text(command.reason, "reason", required=False)[:MAX_SHORT]

    def answered(outcome: str) -> ev.AssistAnswered:
        return ev.AssistAnswered(
            command.id,
            command.item,
            proposal.assistant,
            proposal.requested_by,
            principal.id,
            outcome,
            reason,
        )

    if not command.accept:
        return [answered("discarded")]
    edit = dict(command.edit or {})
    allowed = EDITABLE[proposal.assistant]
    for name in edit:
        if name not in allowed:
            raise Rejected(f"edit: only {', '.join(allowed)} may be changed", field="edit")
    changed = {k: v for k, v in edit.items() if v != _current(proposal.assistant, item, k)}
    inner: list[ev.Event]
    if proposal.assistant == "evaluator":
        observation = _observation(item, changed)
        inner = evaluation.record_observation(state, observation, principal, ctx)  # type: ignore[arg-type]
    elif proposal.assistant == "facilitator":
        lang = state.package.exercise.languages[0]
        follow = _follow_up(item, changed, lang)
        if isinstance(follow, cmd.ReleaseInject):
            inner = injects.release_inject(state, follow, principal, ctx)
        else:
            inner = injects.broadcast_update(state, follow, principal, ctx)  # type: ignore[arg-type]
    else:
        inner = report.save_finding(state, _finding(item, changed), principal, ctx)  # type: ignore[arg-type]
    return [answered("edited" if changed else "accepted"), *inner]


def _current(assistant: str, item: dict[str, Any], name: str) -> Any:
    if assistant == "report" and name in ("analysis", "recommendation"):
        analysis, recommendation = finding_text(item)
        return analysis if name == "analysis" else recommendation
    return item.get(name)
