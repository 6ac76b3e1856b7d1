"""The names pages show for the people of a run: read once, held for a moment, and read
again at once when an invitation is made or revoked in this process."""

from __future__ import annotations

from pathlib import Path

from sitroom.config import load_settings
from sitroom.services import people
from sitroom.services.identity import Identity
from tests.support.packages import two_parties


def test_names_are_held_and_dropped_when_an_invitation_changes(tmp_path: Path) -> None:
    settings = load_settings({"SITROOM_DATA_DIR": str(tmp_path)})
    identity = Identity.open(settings.effective_database_url, settings)
    reads: list[str] = []
    listing = identity.auth.invitations.list_invitations
    now = [100.0]

    def counted(run_id: str):  # type: ignore[no-untyped-def]
        reads.append(run_id)
        return listing(run_id)

    identity.people = people.RunNames(counted, clock=lambda: now[0])
    package = two_parties()
    try:
        ada = identity.invite(
            "duo", package, "account:a", name="Ada Aldor", role="player", team="ald-nsc"
        )
        assert identity.names("duo") == {ada["principal"]: "Ada Aldor"}
        assert identity.names("duo") == {ada["principal"]: "Ada Aldor"}
        assert reads == ["duo"]  # held

        bo = identity.invite(
            "duo", package, "account:a", name="Bo Brenner", role="player", team="brn-nsc"
        )
        assert identity.names("duo")[bo["principal"]] == "Bo Brenner"  # made here: at once
        assert reads == ["duo", "duo"]

        # One made elsewhere (another worker, the CLI) shows once the hold has run out.
        other = Identity.open(settings.effective_database_url, settings)
        try:
            cy = other.invite("duo", package, "account:a", name="Cy", role="observer")
        finally:
            other.close()
        assert cy["principal"] not in identity.names("duo")
        now[0] += people.HOLD
        assert identity.names("duo")[cy["principal"]] == "Cy"

        identity.revoke("duo", ada["id"])
        identity.names("duo")
        assert len(reads) == 4  # revoked here: read again at once
        assert identity.names("elsewhere") == {}
    finally:
        identity.close()
