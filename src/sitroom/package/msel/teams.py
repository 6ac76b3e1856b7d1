"""Player teams named in an MSEL's To column, and ids made from names.

A To cell names one or several recipients ("County EOC; Public Information Officer", "Fire/EMS
and Public Works"); each distinct name becomes a player team with an id made from the name.
"All players" (and its kin) means every team: the inject's ``to`` stays empty. Teams listed
on a sitroom Exercise sheet are matched by name or id first, in any language.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from sitroom.package.model import Team, TeamKind

# fmt: off
ALL_WORDS = frozenset({
    "all", "all players", "all player", "all participants", "everyone", "all teams", "all agencies",
    "all parties", "all cells", "all departments", "all stakeholders", "all organizations",
    "all organisations", "all participating agencies", "all attendees",
})
# fmt: on
_FIRST_SPLIT = re.compile(r"[;\n]+")
_SECOND_SPLIT = re.compile(r"\s*(?:,|/|\+|&|\band\b)\s*", re.IGNORECASE)


def slugify(text: str, fallback: str) -> str:
    """An id made from a name: 'County EOC' → 'county-eoc'; ``fallback`` if nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-")
    return slug or fallback


def unique_id(base: str, taken: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3``... whichever is free; the result is then taken."""
    candidate, serial = base, 2
    while candidate in taken:
        candidate = f"{base}-{serial}"
        serial += 1
    taken.add(candidate)
    return candidate


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


class Recipients:
    """The teams found so far, and a way to turn a To cell into team ids."""

    def __init__(self, known: Iterable[Team], language: str) -> None:
        self.language = language
        self._teams: dict[str, Team] = {}
        self._names: dict[str, str] = {}
        for team in known:
            self._add(team)

    def _add(self, team: Team) -> None:
        self._teams[team.id] = team
        self._names.setdefault(_key(team.id), team.id)
        for name in team.name.values():
            self._names.setdefault(_key(name), team.id)

    def _find_or_make(self, name: str) -> str:
        key = _key(name)
        if key not in self._names:
            team_id = unique_id(slugify(name, "team"), set(self._teams))
            self._add(
                Team(
                    id=team_id, name={self.language: " ".join(name.split())}, kind=TeamKind.PLAYERS
                )
            )
        return self._names[key]

    def resolve(self, text: str) -> tuple[str, ...]:
        """Team ids for a To cell; empty for 'All players' (every team)."""
        found: list[str] = []
        everyone = False
        for piece in (p.strip() for p in _FIRST_SPLIT.split(text)):
            if not piece:
                continue
            if _key(piece) in ALL_WORDS:
                everyone = True
            elif _key(piece) in self._names:
                found.append(self._names[_key(piece)])
            else:
                for name in (n.strip(" .") for n in _SECOND_SPLIT.split(piece)):
                    if not name:
                        continue
                    if _key(name) in ALL_WORDS:
                        everyone = True
                    else:
                        found.append(self._find_or_make(name))
        return () if everyone else tuple(dict.fromkeys(found))

    def teams(self) -> list[Team]:
        """Every team, known ones first, then in the order they were first named."""
        return list(self._teams.values())
