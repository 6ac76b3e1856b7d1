"""What a cell is asked to act on: one event it saw through the gate, as plain facts.

Only ``Seen`` data (the gate's view for the cell's principal) and the player-safe package (the
guideline clauses, the parties, the team names: what every player has in the Situation Manual)
go into a situation; the controller's material never reaches a cell, because it never reaches
its principal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sitroom.package.model import Package, text_in
from sitroom.services.followers import Seen


@dataclass(frozen=True, slots=True)
class Situation:
    """One thing to react to: ``kind`` (inject, questions, poll, decision), its facts (shown to
    the model as quoted data), and the ids an answer may name."""

    kind: str
    ref: str
    facts: dict[str, Any]
    ids: dict[str, frozenset[str]] = field(default_factory=dict)
    multiple: bool = False


def clause_ids(package: Package) -> frozenset[str]:
    return frozenset(f"{r.id}/{c.id}" for r in package.references for c in r.clauses)


def situation_of(seen: Seen, package: Package, party: str | None) -> Situation | None:
    """The situation ``seen`` puts to a cell of ``party`` (None: nothing to act on)."""
    lang = package.exercise.languages[0]
    langs = package.exercise.languages

    def text(value: Any) -> str:
        return text_in(value, lang, langs) if isinstance(value, dict) else str(value or "")

    data = seen.data
    clauses = clause_ids(package)
    if seen.type == "inject-released":
        inject = data.get("inject") or {}
        number = str(data["number"])
        return Situation(
            "inject",
            number,
            {
                "inject": number,
                "from": inject.get("from") or "",
                "title": text(inject.get("title")),
                "content": text(inject.get("content")),
            },
            {"inject": frozenset({number}), "clause": clauses},
        )
    if seen.type == "module-opened":
        view = data.get("view") or {}
        questions = [
            {"id": q["id"], "text": text(q.get("text"))} for q in view.get("questions", ())
        ]
        if not questions:
            return None
        return Situation(
            "questions",
            str(data["module"]),
            {"module": text(view.get("title")), "questions": questions},
            {"question": frozenset(q["id"] for q in questions)},
        )
    if seen.type == "poll-opened":
        poll = data.get("poll_view") or {}
        options = [{"id": o["id"], "text": text(o.get("text"))} for o in poll.get("options", ())]
        return Situation(
            "poll",
            str(data["poll"]),
            {"poll": data["poll"], "question": text(poll.get("question")), "options": options},
            {"option": frozenset(o["id"] for o in options)},
            multiple=bool(poll.get("multiple")),
        )
    if seen.type == "game-turn-opened" and package.game is not None:
        turn = package.game.turn(int(data["turn"]))
        actors = [{"id": a.id, "name": text(a.name)} for a in package.game.actors]
        return Situation(
            "argument",
            str(data["turn"]),
            {
                "turn": data["turn"],
                "title": text(turn.title) if turn else "",
                "narrative": text(turn.narrative) if turn else "",
                "actors": actors,
            },
            {"actor": frozenset(a.id for a in package.game.actors)},
        )
    if seen.type == "decision-proposed":
        joint = tuple(data.get("joint_with") or ())
        if party is None or party not in joint or data.get("party") == party:
            return None  # only decisions another party asks this cell's party to answer
        return Situation(
            "decision",
            str(data["id"]),
            {
                "decision": data["id"],
                "proposed_by_party": data.get("party"),
                "title": data.get("title", ""),
                "text": data.get("text", ""),
                "clauses": list(data.get("clauses") or ()),
            },
            {"decision": frozenset({str(data["id"])}), "clause": clauses},
        )
    return None
