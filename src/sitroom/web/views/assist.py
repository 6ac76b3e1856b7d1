"""What the assistants' panels show: a viewer's proposals, each item with its evidence quoted.

A proposal is shown only when the gate shows its ``assist-proposed`` event to the viewer
(control's, or the asking evaluator's own); the evidence quoted beside an item is each cited
event as the gate shows it to the viewer, so a quote never says more than the viewer may see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from sitroom.conduct.handlers.assist import finding_text
from sitroom.conduct.principal import Principal
from sitroom.conduct.state import RunState
from sitroom.conduct.visibility import view_event
from sitroom.package.model import text_in
from sitroom.services.assist.evidence import KINDS, Fact, gather
from sitroom.services.assist.service import Assistants
from sitroom.services.runs import Engine
from sitroom.web.deps import services
from sitroom.web.render import N_

ASSISTANTS = {
    "evaluator": N_("Propose ratings"),
    "facilitator": N_("Suggest a follow-up"),
    "report": N_("Draft findings"),
}
"""Each assistant and the button that asks it."""
EVENTS = ("assist-proposed", "assist-answered")
"""The run events that change an assistant's panel."""
ASSIST_EVENT_LABELS = {
    "assist-proposed": N_("Assistant proposed"),
    "assist-answered": N_("Proposal answered"),
}
"""The assistants' events in the console's timeline."""
OUTCOMES = {
    "accepted": N_("Accepted"),
    "edited": N_("Edited and accepted"),
    "discarded": N_("Discarded"),
}
SHOWN = 3
"""Proposals shown (the latest first)."""


@dataclass
class Quote:
    seq: int
    kind: str
    text: str


@dataclass
class ItemRow:
    key: str
    data: dict[str, Any]
    label: str
    evidence: list[Quote]
    answer: str | None
    analysis: str = ""
    recommendation: str = ""


@dataclass
class ProposalRow:
    id: str
    seq: int
    provider: str
    model: str
    latency_ms: int
    tokens: int
    dropped: int
    note: str
    items: list[ItemRow] = field(default_factory=list)
    about: Quote | None = None
    """For a follow-up: the response it follows."""


def _quote(fact: Fact | None, seq: int) -> Quote:
    if fact is None:
        return Quote(seq, "", "")
    data = fact.data
    who = data.get("team") or data.get("party") or ""
    words = data.get("text") or data.get("reasons") or data.get("title") or data.get("notes") or ""
    if fact.type == "inject-released":
        words = f"{data.get('inject')} {words}"
    if data.get("rating"):
        words = f"[{data['rating']}] {words}"
    return Quote(seq, fact.type, f"{who}: {words}" if who else str(words))


def _label(state: RunState, assistant: str, item: dict[str, Any], lang: str) -> str:
    package = state.package
    langs = package.exercise.languages
    if assistant == "evaluator":
        task = next((t for t in package.tasks() if t.id == item.get("task")), None)
        return f"{item.get('task')} — {text_in(task.text, lang, langs)}" if task else ""
    if assistant == "facilitator" and item.get("kind") == "inject":
        inject = package.inject(str(item.get("inject")))
        return f"{item.get('inject')} — {text_in(inject.title, lang, langs)}" if inject else ""
    return str(item.get("title") or "")


def _cited(assistant: str, item: dict[str, Any]) -> list[int]:
    if assistant == "evaluator":
        return [int(s) for s in item.get("evidence") or ()]
    if assistant == "report":
        found: list[int] = []
        for sentence in [*item.get("sentences", ()), item.get("recommendation") or {}]:
            found.extend(int(s) for s in sentence.get("cites") or ())
        return list(dict.fromkeys(found))
    return []


def proposal_rows(
    engine: Engine, run_id: str, principal: Principal, assistant: str, lang: str
) -> list[ProposalRow]:
    """The latest proposals of ``assistant`` the viewer may see, with their evidence."""
    state = engine.state(run_id)
    package = state.package
    shown = [
        p
        for p in state.proposals.values()
        if p.assistant == assistant and view_event(principal, package, p) is not None
    ][-SHOWN:]
    if not shown:
        return []
    facts = {f.seq: f for f in gather(engine, run_id, principal, KINDS)}
    seqs = _seqs(engine, run_id, [p.id for p in shown])
    rows = []
    for proposal in reversed(shown):
        trace = proposal.trace
        tokens = trace.get("tokens") or {}
        row = ProposalRow(
            proposal.id,
            seqs.get(proposal.id, 0),
            str(trace.get("provider") or ""),
            str(trace.get("model") or ""),
            int(trace.get("latency_ms") or 0),
            int(tokens.get("prompt", 0)) + int(tokens.get("completion", 0)),
            proposal.dropped,
            proposal.note,
        )
        if proposal.about.isdigit():
            row.about = _quote(facts.get(int(proposal.about)), int(proposal.about))
        for item in proposal.items:
            key = str(item.get("key"))
            analysis, recommendation = finding_text(item) if assistant == "report" else ("", "")
            row.items.append(
                ItemRow(
                    key,
                    dict(item),
                    _label(state, assistant, item, lang),
                    [_quote(facts.get(s), s) for s in _cited(assistant, item)],
                    state.proposal_answers.get(f"{proposal.id}/{key}"),
                    analysis,
                    recommendation,
                )
            )
        rows.append(row)
    return rows


def _seqs(engine: Engine, run_id: str, ids: list[str]) -> dict[str, int]:
    """The log sequence number of each proposal, by its id."""
    wanted = set(ids)
    return {
        str(stored.payload.get("id")): stored.seq
        for stored in engine.read(run_id)
        if stored.type == "assist-proposed" and stored.payload.get("id") in wanted
    }


def proposal_data(row: ProposalRow) -> dict[str, Any]:
    """A proposal as JSON (the API's twin of the panel)."""
    return {
        "id": row.id,
        "seq": row.seq,
        "trace": {
            "provider": row.provider,
            "model": row.model,
            "latency_ms": row.latency_ms,
            "tokens": row.tokens,
        },
        "dropped": row.dropped,
        "note": row.note,
        "about": row.about.seq if row.about else None,
        "items": [
            {
                "key": i.key,
                **i.data,
                "label": i.label,
                "answer": i.answer,
                "evidence": [{"seq": q.seq, "type": q.kind, "text": q.text} for q in i.evidence],
            }
            for i in row.items
        ],
    }


def assistants(request: Request) -> Assistants:
    """The process's assistants (a model client when one is configured), made once."""
    state = request.app.state
    found: Assistants | None = getattr(state, "assistants", None)
    if found is None:
        svc = services(request)
        found = Assistants.from_settings(svc.engine, svc.settings)
        state.assistants = found
    return found
