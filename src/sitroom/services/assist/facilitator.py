"""The facilitator's assistant: after a team's response, a suggested follow-up — an inject of
the MSEL still to release, or the text of an update to the team (the run's ad-hoc message).

It is shown the response (team, what it answers, the words), the injects still planned in the
MSEL (number, title, recipients, module) and the teams' ids; a suggestion naming an inject
that is not planned or a team that does not exist is invalid.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from sitroom.conduct.state import InjectStatus, RunState
from sitroom.package.model import text_in
from sitroom.services.assist.asking import Invalid, Strict

USER = "assist:facilitator"
TASK = (
    "A team has just responded. Suggest one follow-up for the facilitator: release one of the "
    "planned injects (kind 'inject', its number), or send the team a short update (kind "
    "'update', its text), and say why in one sentence."
)
SYSTEM = [
    "You assist the facilitator of a fictional discussion-based exercise at the policy level. "
    "The facilitator decides; you only suggest."
]


class FollowUp(Strict):
    kind: Literal["inject", "update"]
    inject: str = Field(max_length=40, description="The inject number ('' for an update).")
    text: str = Field(max_length=1000, description="The update's text ('' for an inject).")
    teams: list[str] = Field(max_length=20)
    why: str = Field(max_length=400)


def facts_of(state: RunState, response: dict[str, Any]) -> dict[str, Any]:
    """The response and what the facilitator could release next."""
    package = state.package
    lang, langs = package.exercise.languages[0], package.exercise.languages
    planned = []
    for module in package.modules:
        for inject in module.injects:
            if state.injects[inject.number].status != InjectStatus.PLANNED:
                continue
            planned.append(
                {
                    "inject": inject.number,
                    "module": module.id,
                    "title": text_in(inject.title, lang, langs),
                    "to": [t.id for t in package.recipients(inject)],
                }
            )
    return {
        "response": response,
        "current_module": state.module,
        "planned_injects": planned[:40],
        "teams": [t.id for t in package.player_teams()],
    }


def check(shown: dict[str, Any], answer: FollowUp) -> tuple[list[dict[str, Any]], int]:
    planned = {i["inject"] for i in shown["planned_injects"]}
    teams = set(shown["teams"])
    for team in answer.teams:
        if team not in teams:
            raise Invalid(f"unknown team '{team}' (known: {', '.join(sorted(teams))})")
    if answer.kind == "inject" and answer.inject not in planned:
        raise Invalid(f"inject '{answer.inject}' is not a planned inject of the data")
    if answer.kind == "update" and not answer.text.strip():
        raise Invalid("text: an update needs its text")
    return [_item(answer.kind, answer.inject, answer.text, answer.teams, answer.why)], 0


def _item(kind: str, inject: str, text: str, teams: list[str], why: str) -> dict[str, Any]:
    item: dict[str, Any] = {"key": "1", "kind": kind, "teams": list(teams), "why": why.strip()}
    if kind == "inject":
        item["inject"] = inject
    else:
        item["text"] = " ".join(text.split())
    return item


def scripted(shown: dict[str, Any]) -> list[dict[str, Any]]:
    """The next planned inject of the current module that reaches the responding team (else
    of any module); with none left, an update asking the team for its next step."""
    response = shown["response"]
    team = response.get("team")
    planned = shown["planned_injects"]
    module = shown.get("current_module")
    for candidates in (
        [i for i in planned if i["module"] == module and team in i["to"]],
        [i for i in planned if team in i["to"]],
    ):
        if candidates:
            nxt = candidates[0]
            why = f"The next planned inject for {team} after its response ({nxt['title']})."
            return [_item("inject", nxt["inject"], "", [], why)]
    text = f"Control asks {team} to state its next step on {response.get('to', '')}."
    why = "No planned inject is left for this team; an update keeps the discussion going."
    return [_item("update", "", text, [team] if team else [], why)]
