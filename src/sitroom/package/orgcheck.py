"""Checks of a package's simulated organisations: unique ids, known references.

An organisation's id is what a thread and an inject's ``from_organisation`` name, so it must
be unique and must not be the id of a team (a thread names both, and the SimCell view would
not tell them apart); an organisation nobody plays is a planning gap (a warning).
"""

from __future__ import annotations

from sitroom.package.branches import Reporter
from sitroom.package.model import Package

P = tuple[str | int, ...]


def check_organisations(c: Reporter, package: Package) -> None:
    """Report duplicate or clashing organisation ids and unknown ``from_organisation``s."""
    seen: dict[str, int] = {}
    teams = {t.id for t in package.teams}
    for oi, org in enumerate(package.organisations):
        path: P = ("organisations", oi, "id")
        if org.id in seen:
            c.report(
                path,
                "duplicate-id",
                f"organisation id '{org.id}' is used twice"
                f" (first as organisation #{seen[org.id] + 1})",
                "give each organisation its own id",
            )
        else:
            seen[org.id] = oi
        if org.id in teams:
            c.report(
                path,
                "organisation-is-team",
                f"organisation id '{org.id}' is also a team's id",
                "a simulated organisation is not a team in the room: give it another id",
            )
        if not org.played_by:
            c.report(
                ("organisations", oi),
                "organisation-unplayed",
                f"nobody plays organisation '{org.id}'",
                "name the control staff who answer as it in 'played_by' (e.g. 'press desk')",
                warning=True,
            )
    for mi, module in enumerate(package.modules):
        for ii, inject in enumerate(module.injects):
            ref = inject.from_organisation
            if ref is not None and ref not in seen:
                c.unknown(
                    ("modules", mi, "injects", ii, "from_organisation"),
                    "organisation",
                    ref,
                    seen,
                    f"inject {inject.number}",
                )
