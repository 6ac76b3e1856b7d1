"""The report's assistant: findings (strength or area for improvement, analysis and a
recommendation) drafted from the evidence, for the evaluator to edit before the AAR takes them.

No sentence without a cited log event: every sentence names the event numbers it rests on,
and each is checked against the events the assistant was shown. A sentence that cites nothing,
or something it was not shown, is dropped and counted; a finding left with no sentence is
dropped; a draft with nothing left is invalid (asked again once, then no proposal).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from sitroom.conduct.state import RunState
from sitroom.evaluation.findings import STRENGTH, draft_findings
from sitroom.services.assist.asking import Invalid, Strict
from sitroom.services.assist.evidence import Fact

USER = "assist:report"
TASK = (
    "Draft the findings of the After-Action Report from this evidence: strengths and areas "
    "for improvement, each with a short title, an analysis of a few sentences and one "
    "recommendation. Every sentence must cite, in 'cites', the event numbers it rests on; a "
    "sentence without a cited event is removed."
)
SYSTEM = [
    "You assist the evaluators of a fictional discussion-based exercise at the policy level "
    "in drafting their After-Action Report. The evaluators edit and decide."
]
MAX_FINDINGS = 12


class Sentence(Strict):
    text: str = Field(max_length=600)
    cites: list[int] = Field(max_length=20)


class DraftFinding(Strict):
    kind: Literal["strength", "improvement"]
    title: str = Field(max_length=200)
    capability: str = Field(max_length=80, description="A capability id of the data, or ''.")
    sentences: list[Sentence] = Field(max_length=12)
    recommendation: Sentence


class FindingsAnswer(Strict):
    findings: list[DraftFinding] = Field(max_length=MAX_FINDINGS)


def facts_of(state: RunState, facts: list[Fact]) -> dict[str, Any]:
    """The evidence and the capabilities the exercise evaluates."""
    package = state.package
    capabilities = sorted(
        {t.capability for o in package.objectives for t in o.targets}
        | {c for o in package.objectives for c in o.capabilities}
    )
    return {"capabilities": capabilities, "evidence": [f.as_json() for f in facts]}


def _sentence(sentence: Sentence, seqs: set[int]) -> dict[str, Any] | None:
    text = " ".join(sentence.text.split())
    if not text or not sentence.cites or any(s not in seqs for s in sentence.cites):
        return None
    return {"text": text, "cites": sorted(set(sentence.cites))}


def check(shown: dict[str, Any], answer: FindingsAnswer) -> tuple[list[dict[str, Any]], int]:
    """Findings whose every sentence cites events shown; the count of sentences dropped."""
    seqs = {e["event"] for e in shown["evidence"]}
    capabilities = set(shown["capabilities"])
    items: list[dict[str, Any]] = []
    dropped = 0
    for finding in answer.findings:
        if finding.capability and finding.capability not in capabilities:
            raise Invalid(f"unknown capability '{finding.capability}'")
        kept = [s for s in (_sentence(x, seqs) for x in finding.sentences) if s is not None]
        dropped += len(finding.sentences) - len(kept)
        recommendation = _sentence(finding.recommendation, seqs)
        dropped += recommendation is None
        if not kept or not finding.title.strip():
            continue
        items.append(
            {
                "key": f"f{len(items) + 1}",
                "kind": finding.kind,
                "title": " ".join(finding.title.split()),
                "capability": finding.capability or None,
                "sentences": kept,
                "recommendation": recommendation,
            }
        )
    if not items:
        raise Invalid("no sentence cites an event of the data")
    return items, dropped


def scripted(state: RunState, shown: dict[str, Any]) -> list[dict[str, Any]]:
    """One finding per drafted finding of the evidence (``evaluation.findings``): a sentence
    per rated observation or hot-wash item, each citing its event, and a recommendation
    citing them all."""
    seqs = {e["event"] for e in shown["evidence"]}
    skip = [*state.findings, *state.removed_findings]
    items: list[dict[str, Any]] = []
    for draft in draft_findings(state, skip=skip):
        points = [p for p in draft.points if p.seq in seqs]
        if not points:
            continue
        sentences = []
        for point in points[:8]:
            who = f"{point.team}: " if point.team else ""
            rated = f" (rated {point.rating})" if point.rating else ""
            sentences.append({"text": f"{who}“{point.text}”{rated}.", "cites": [point.seq]})
        cites = sorted({p.seq for p in points})[:20]
        subject = draft.capability or "the exercise as a whole"
        if draft.kind == STRENGTH:
            title = f"Strength in {subject}"
            advice = "Keep this practice and write it into the plan for the next exercise."
        else:
            title = f"Area for improvement in {subject}"
            advice = "Review the procedure behind these observations and practise it again."
        items.append(
            {
                "key": f"f{len(items) + 1}",
                "kind": draft.kind,
                "title": title,
                "capability": draft.capability,
                "objective": draft.objective,
                "sentences": sentences,
                "recommendation": {"text": advice, "cites": cites},
            }
        )
    return items[:MAX_FINDINGS]
