"""What people read for a principal nobody named: its role, team and party by their names."""

from __future__ import annotations

from sitroom.package.model import Package, text_in

ROLE_TITLES: dict[str, dict[str, str]] = {
    "admin": {"en": "Administrator", "ko": "관리자"},
    "facilitator": {"en": "Facilitator", "ko": "진행자"},
    "player": {"en": "Player", "ko": "참가자"},
    "evaluator": {"en": "Evaluator", "ko": "평가관"},
    "observer": {"en": "Observer", "ko": "참관인"},
    "display": {"en": "Room display", "ko": "회의실 화면"},
}
"""What an invitation left unnamed is called, in the invitation's language."""


def invitation_name(
    package: Package, role: str, team: str | None, party: str | None, lang: str = "en"
) -> str:
    """A name people read for an invitation nobody named: role, team and party by their names.

    ``Player · Aldoria National Security Staff (Aldoria)``, never ``Player of ald-nss``: the
    name is shown in the page header, the console and the record, where ids mean nothing.
    """
    titles = ROLE_TITLES.get(role, {})
    title = titles.get(lang) or titles.get("en") or role
    languages = package.exercise.languages
    team_model = package.team(team) if team else None
    party_id = party or (team_model.party if team_model else None)
    party_model = package.party(party_id) if party_id else None
    team_name = text_in(team_model.name, lang, languages) if team_model else ""
    party_name = text_in(party_model.name, lang, languages) if party_model else ""
    if team_name and party_name:
        return f"{title} · {team_name} ({party_name})"
    if team_name or party_name:
        return f"{title} · {team_name or party_name}"
    return title
