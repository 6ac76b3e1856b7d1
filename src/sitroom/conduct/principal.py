"""Who is acting or looking: a principal with a role, and for players a team and party."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    FACILITATOR = "facilitator"
    PLAYER = "player"
    EVALUATOR = "evaluator"
    OBSERVER = "observer"
    DISPLAY = "display"


CONTROL_ROLES = frozenset({Role.ADMIN, Role.FACILITATOR})
"""Roles that run the exercise (EXCON)."""

STAFF_ROLES = CONTROL_ROLES | {Role.EVALUATOR}
"""Roles that hold the controller/evaluator handbook: control staff and evaluators."""

EVALUATION_ROLES = frozenset({Role.EVALUATOR, Role.OBSERVER})


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated viewer or actor in one run (or an account, for admins)."""

    id: str
    role: Role
    name: str = ""
    team: str | None = None
    party: str | None = None

    @property
    def is_control(self) -> bool:
        return self.role in CONTROL_ROLES

    @property
    def sees_control_material(self) -> bool:
        """Control staff and evaluators hold the C/E handbook: MSEL, expected actions."""
        return self.role in STAFF_ROLES
