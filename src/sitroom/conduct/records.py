"""The evaluation's records in a run's state: ratings, clause records, hot-wash items,
participant feedback, findings and finalised AARs (``conduct.state`` folds them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class Rating:
    """One P/S/M/U rating of a capability target or of a capability under an objective."""

    id: str
    seq: int
    at: datetime
    author: str
    objective: str
    subject: str  # the target id, or the capability id
    rating: str
    notes: str
    evidence: tuple[int, ...]


@dataclass
class ClauseRecord:
    """Whether a guideline clause was discussed, as an evaluator recorded it."""

    id: str
    seq: int
    at: datetime
    author: str
    clause: str
    discussed: bool
    notes: str
    evidence: tuple[int, ...]


@dataclass
class HotWashItem:
    id: str
    seq: int
    at: datetime
    author: str
    kind: str
    text: str
    team: str | None
    party: str | None


@dataclass
class Feedback:
    """A Participant Feedback Form (the latest of its submitter)."""

    id: str
    seq: int
    at: datetime
    respondent: str | None  # None when anonymous
    anonymous: bool
    name: str
    organisation: str
    role: str
    strengths: tuple[str, ...]
    improvements: tuple[str, ...]
    missed: str
    corrective_actions: tuple[dict[str, str], ...]
    ratings: dict[str, int]
    replaced: int = 0  # how many earlier forms of the same submitter this one replaced
    party: str | None = None


@dataclass
class Finding:
    """A finding of the AAR as last saved by an evaluator."""

    id: str
    seq: int
    at: datetime
    author: str
    kind: str  # strength | improvement
    title: str
    analysis: str
    capability: str | None
    objective: str | None
    evidence: tuple[int, ...]
    rel_to: tuple[str, ...]
    corrective_actions: tuple[dict[str, str], ...]
    edits: int = 1


@dataclass(frozen=True)
class Finalised:
    """A finalised AAR: the log prefix it was built from and its model's hash."""

    id: str
    seq: int
    at: datetime
    author: str
    parties: tuple[str, ...]
    upto: int
    hash: str
