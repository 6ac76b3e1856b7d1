"""Commands: what someone asks a series to do, in the imperative."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Command:
    """Base of all series commands."""


@dataclass(frozen=True, slots=True)
class CreateSeries(Command):
    id: str
    title: str


@dataclass(frozen=True, slots=True)
class ImportedAction:
    """One row of an AAR's Improvement Plan, as the report model gives it."""

    id: str
    finding: str
    capability: str
    capability_name: str
    issue: str
    action: str
    element: str = ""
    organisation: str = ""
    poc: str = ""
    start: str = ""
    completion: str = ""


@dataclass(frozen=True, slots=True)
class ImportedRetest:
    """One re-test statement of an AAR: a carried action and what the exercise found."""

    action: str
    objective: str
    rating: str | None
    outcome: str  # verified | not-verified | not-exercised


@dataclass(frozen=True, slots=True)
class ImportReport(Command):
    """Take a finalised AAR/IP of one edition into the series."""

    edition: str
    run: str
    report_hash: str
    final: bool
    actions: tuple[ImportedAction, ...] = ()
    ratings: tuple[tuple[str, str, str | None], ...] = ()  # objective, capability, rating
    retests: tuple[ImportedRetest, ...] = ()
    capability_names: tuple[tuple[str, str], ...] = ()  # capability id, name


@dataclass(frozen=True, slots=True)
class AddAction(Command):
    """A corrective action added by hand (not from an imported IP)."""

    issue: str
    action: str
    capability: str = ""
    capability_name: str = ""
    element: str = ""
    organisation: str = ""
    poc: str = ""
    start: str = ""
    due: str = ""
    edition: str = ""


@dataclass(frozen=True, slots=True)
class EditAction(Command):
    """Change fields of an action; ``None`` leaves a field as it is."""

    id: str
    action: str | None = None
    issue: str | None = None
    element: str | None = None
    organisation: str | None = None
    poc: str | None = None
    start: str | None = None
    due: str | None = None


@dataclass(frozen=True, slots=True)
class ChangeStatus(Command):
    id: str
    status: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class AttachEvidence(Command):
    """Evidence metadata; the service stores the file under its SHA-256."""

    id: str
    name: str
    media_type: str
    size: int
    sha256: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class VerifyAction(Command):
    """Declare by hand that an action's fix was verified (admin only)."""

    id: str
    note: str = ""
