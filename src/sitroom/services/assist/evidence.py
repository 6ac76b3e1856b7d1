"""The log as an assistant's requester may see it, cut down to what an assistant needs.

Every event passes the visibility gate for the person who asks (``Engine.view``), so an
assistant is never shown more than that person; then only the facts a proposal rests on are
kept (data minimisation): which team did what, on which inject, and the words — never a
person's name or account, never a timestamp of the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sitroom.conduct.principal import Principal
from sitroom.package.model import Package, text_in
from sitroom.services.runs import Engine

MAX_TEXT = 600
"""Characters of one participant text an assistant is shown."""
KINDS = (
    "inject-released",
    "inject-acknowledged",
    "response-submitted",
    "decision-proposed",
    "decision-concurred",
    "decision-non-concurred",
    "poll-vote-cast",
    "observation-recorded",
    "target-rated",
    "capability-rated",
    "hot-wash-item-added",
)
"""Events that can be evidence of how a task was performed."""


@dataclass(frozen=True, slots=True)
class Fact:
    """One event as evidence: its sequence number, type and minimised data."""

    seq: int
    type: str
    data: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"event": self.seq, "type": self.type, **self.data}


def _short(value: Any) -> str:
    text = " ".join(str(value or "").split())
    return text[:MAX_TEXT] + ("…" if len(text) > MAX_TEXT else "")


def minimise(kind: str, data: dict[str, Any], package: Package) -> dict[str, Any] | None:
    """What an assistant is shown of one (already gated) event; None: nothing it needs."""
    lang = package.exercise.languages[0]
    match kind:
        case "inject-released":
            inject = package.inject(str(data.get("number")))
            tasks = list(inject.tasks) if inject else []
            title = text_in(inject.title, lang, package.exercise.languages) if inject else ""
            return {"inject": data.get("number"), "title": _short(title), "tasks": tasks}
        case "inject-acknowledged":
            return {"inject": data.get("number"), "team": data.get("team")}
        case "response-submitted":
            return {
                "team": data.get("team"),
                "to": f"{data.get('target')}:{data.get('ref')}",
                "text": _short(data.get("text")),
            }
        case "decision-proposed":
            return {
                "decision": data.get("id"),
                "team": data.get("team"),
                "title": _short(data.get("title")),
                "text": _short(data.get("text")),
                "joint_with": list(data.get("joint_with") or ()),
            }
        case "decision-concurred" | "decision-non-concurred":
            return {
                "decision": data.get("decision"),
                "party": data.get("party"),
                "reasons": _short(data.get("reasons")),
            }
        case "poll-vote-cast":
            return {
                "poll": data.get("poll"),
                "team": data.get("team"),
                "options": data.get("options"),
            }
        case "observation-recorded":
            found = {k: data.get(k) for k in ("task", "inject", "team", "rating") if data.get(k)}
            return {**found, "text": _short(data.get("text"))}
        case "target-rated" | "capability-rated":
            subject = data.get("target") or data.get("capability")
            return {
                "subject": subject,
                "rating": data.get("rating"),
                "notes": _short(data.get("notes")),
            }
        case "hot-wash-item-added":
            return {
                "kind": data.get("kind"),
                "team": data.get("team"),
                "text": _short(data.get("text")),
            }
    return None


def gather(
    engine: Engine, run_id: str, principal: Principal, kinds: tuple[str, ...] = KINDS
) -> list[Fact]:
    """The events of ``kinds`` ``principal`` may see, minimised, in log order."""
    package = engine.package(run_id)
    found: list[Fact] = []
    for stored in engine.read(run_id):
        if stored.type not in kinds:
            continue
        seen = engine.view(principal, run_id, stored)
        if seen is None:
            continue
        data = minimise(stored.type, seen["data"], package)
        if data is not None:
            found.append(Fact(stored.seq, stored.type, data))
    return found
