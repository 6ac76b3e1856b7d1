"""Control looks at a run as someone else: a team, a party's observer, an evaluator or the
room display, read-only, without another sign-in.

A preview is a stand-in principal of the audience looked at, so every page, panel and stream
shows what the visibility gate lets that audience see, no more: the same pages the real
players get (shared with them in ``web.pagecache``). Only control may preview, and only for
reading: the web applies a preview to safe requests (GET, HEAD) and refuses a write that
carries one.

What to look as is a short text (``PreviewAs.parse``): ``team:<id>`` (a player of the team),
``party:<id>`` (an observer of the party), ``evaluator``, ``display`` (the room display, for
everyone) or ``display:<party>``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sitroom.conduct.principal import CONTROL_ROLES, Principal, Role
from sitroom.package.model import Package, TeamKind
from sitroom.services.identity import Viewer
from sitroom.services.runs import PREVIEW_PREFIX

ACCEPTED = "team:<team id>, party:<party id>, evaluator, display or display:<party id>"
"""What a preview may look as, for error messages."""


class PreviewRefused(Exception):
    """A preview that cannot be: ``status`` and ``message`` for the person asking."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class PreviewAs:
    """What control looks at a run as: a role, and a team or party where the role has one."""

    role: Role
    team: str | None = None
    party: str | None = None

    @property
    def spec(self) -> str:
        """The short text this was parsed from (``team:ald-nss``)."""
        if self.team is not None:
            return f"team:{self.team}"
        if self.role == Role.OBSERVER:
            return f"party:{self.party}"
        if self.role == Role.DISPLAY and self.party is not None:
            return f"display:{self.party}"
        return str(self.role)

    @property
    def page(self) -> str:
        """The run page that audience has (``play``, ``evaluate`` or ``display``)."""
        if self.role == Role.PLAYER:
            return "play"
        if self.role == Role.DISPLAY:
            return "display"
        return "evaluate"

    @classmethod
    def parse(cls, spec: str, package: Package) -> PreviewAs:
        """Read ``spec`` against ``package``; `PreviewRefused` (400) naming what is accepted."""
        kind, _, ref = spec.strip().partition(":")
        if kind == "team" and ref:
            players = [t for t in package.teams if t.kind == TeamKind.PLAYERS]
            team = next((t for t in players if t.id == ref), None)
            if team is None:
                known = ", ".join(t.id for t in players)
                raise PreviewRefused(400, f"no player team {ref!r} to preview; teams: {known}")
            return cls(Role.PLAYER, team.id, team.party)
        if kind in ("party", "display") and ref:
            if ref not in {p.id for p in package.parties}:
                known = ", ".join(p.id for p in package.parties)
                raise PreviewRefused(400, f"no party {ref!r} to preview; parties: {known}")
            return cls(Role.OBSERVER if kind == "party" else Role.DISPLAY, None, ref)
        if kind in ("evaluator", "display") and not ref:
            return cls(Role(kind))
        raise PreviewRefused(400, f"cannot preview as {spec!r}; accepted: {ACCEPTED}")


def preview_viewer(viewer: Viewer, run_id: str, package: Package, spec: str) -> Viewer:
    """``viewer`` (control) looking at ``run_id`` as ``spec``: a read-only stand-in viewer.

    Refused (403) for anyone but control, and for an invitation of another run."""
    if viewer.principal.role not in CONTROL_ROLES:
        raise PreviewRefused(403, "only control (facilitators and administrators) can preview")
    if viewer.run_id is not None and viewer.run_id != run_id:
        raise PreviewRefused(404, f"no run {run_id!r}")
    seen_as = PreviewAs.parse(spec, package)
    real = viewer.principal
    stand_in = Principal(
        id=f"{PREVIEW_PREFIX}{real.id}:{seen_as.spec}",
        role=seen_as.role,
        name=real.name or real.id,
        team=seen_as.team,
        party=seen_as.party,
    )
    return replace(
        viewer,
        principal=stand_in,
        preview=seen_as.spec,
        previewer=real.name or real.id,
        invitation=None,
    )
