"""The words of the Situation Manual and the Controller/Evaluator Handbook that come from the
package's kinds (mission areas, team kinds, inject types, delivery methods): marked for
translation here and translated where they are shown (``reports.documents``)."""

from __future__ import annotations

from sitroom.package.model import (
    DeliveryMethod,
    ExerciseType,
    InjectType,
    MissionArea,
    TeamKind,
)
from sitroom.reports.document_view import DocumentKind


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated later, where it is shown."""
    return message


DOCUMENT_TITLES = {
    DocumentKind.SITMAN: N_("Situation Manual"),
    DocumentKind.HANDBOOK: N_("Controller/Evaluator Handbook"),
}
HANDBOOK_NOTICE = N_("CONTROLLER/EVALUATOR USE ONLY — do not share with players")
MISSION_AREAS = {
    MissionArea.PREVENTION: N_("Prevention"),
    MissionArea.PROTECTION: N_("Protection"),
    MissionArea.MITIGATION: N_("Mitigation"),
    MissionArea.RESPONSE: N_("Response"),
    MissionArea.RECOVERY: N_("Recovery"),
}
TEAM_KINDS = {
    TeamKind.PLAYERS: N_("Players"),
    TeamKind.CONTROL: N_("Control"),
    TeamKind.SIMULATION: N_("Simulation"),
    TeamKind.EVALUATORS: N_("Evaluators"),
    TeamKind.OBSERVERS: N_("Observers"),
}
INJECT_TYPES = {
    InjectType.STANDARD: N_("Standard"),
    InjectType.CONTINGENCY: N_("Contingency"),
    InjectType.ADAPTIVE: N_("Adaptive"),
}
DELIVERY_METHODS = {
    DeliveryMethod.SITROOM: N_("sitroom"),
    DeliveryMethod.EMAIL: N_("Email"),
    DeliveryMethod.PHONE: N_("Phone"),
    DeliveryMethod.RADIO: N_("Radio"),
    DeliveryMethod.VIDEO: N_("Video"),
    DeliveryMethod.DOCUMENT: N_("Document"),
    DeliveryMethod.BRIEFING: N_("Briefing"),
    DeliveryMethod.IN_PERSON: N_("In person"),
    DeliveryMethod.MEDIA: N_("Media"),
    DeliveryMethod.SOCIAL_MEDIA: N_("Social media"),
    DeliveryMethod.OTHER: N_("Other"),
}
EXERCISE_TYPES = {
    ExerciseType.TABLETOP: N_("Tabletop exercise"),
    ExerciseType.SEMINAR: N_("Seminar"),
    ExerciseType.WORKSHOP: N_("Workshop"),
    ExerciseType.GAME: N_("Game"),
}
