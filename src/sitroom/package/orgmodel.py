"""The package's simulated organisations: who the SimCell plays (press, a regulator, a
ministry not in the room, the adversary's embassy), each with the control staff that play it.

Players write to them from the player page; control staff answer as them from the SimCell
view; an inject may be delivered as an e-mail from one (``Inject.from_organisation``).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from sitroom.package.basics import CONTROL, Id, LocalText, Model


class OrganisationKind(StrEnum):
    PRESS = "press"
    REGULATOR = "regulator"
    MINISTRY = "ministry"
    EMBASSY = "embassy"
    HEADQUARTERS = "headquarters"
    AGENCY = "agency"
    OTHER = "other"


class CannedAnswer(Model):
    """One prepared answer of a scripted organisation."""

    keywords: tuple[str, ...] = Field(
        default=(),
        description="Answer with it when the team's message holds one of these words (any"
        " case); empty: any message.",
    )
    text: str = Field(min_length=1, max_length=20_000)


class OrganisationScript(Model):
    """What the scripted cell ``simcell-<id>`` answers as the organisation: the first canned
    answer whose keywords the team's message holds."""

    answers: tuple[CannedAnswer, ...] = Field(min_length=1)
    classification: str | None = Field(default=None, description="The answers' marking.")


class Organisation(Model):
    """A simulated organisation: players write to it, the SimCell answers in its voice."""

    id: Id
    name: LocalText
    kind: OrganisationKind = OrganisationKind.OTHER
    description: LocalText | None = Field(
        default=None, description="What players may know of it (shown on the player page)."
    )
    played_by: tuple[str, ...] = Field(
        default=(),
        json_schema_extra=CONTROL,
        description="The control staff (names or roles of the SimCell) who answer as it.",
    )
    script: OrganisationScript | None = Field(
        default=None,
        json_schema_extra=CONTROL,
        description="Canned answers for the scripted cell that plays it (docs/simcell.md).",
    )
