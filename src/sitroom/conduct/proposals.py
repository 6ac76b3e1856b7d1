"""The assistants' proposals as the log says: each proposal, and each item's answer."""

from __future__ import annotations

from sitroom.conduct import events as ev


def fold_proposals(
    proposals: dict[str, ev.AssistProposed], answers: dict[str, str], event: ev.Event
) -> None:
    """Fold one assistant event (others are left alone) into ``proposals`` and ``answers``
    (``"<proposal>/<item>"`` -> accepted | edited | discarded)."""
    match event:
        case ev.AssistProposed():
            proposals[event.id] = event
        case ev.AssistAnswered(id=proposal, item=item, outcome=outcome):
            answers[f"{proposal}/{item}"] = outcome


def open_items(proposal: ev.AssistProposed, answers: dict[str, str]) -> list[dict[str, object]]:
    """The items of ``proposal`` nobody has answered yet."""
    return [i for i in proposal.items if f"{proposal.id}/{i.get('key')}" not in answers]
