"""The names pages show for the people of a run and the console's roster of them, and the
names of accounts: read once, held for a moment, and read again at once when an invitation is
made or revoked, or an account added or renamed, in this process."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sitroom.auth.store import Account, LinkedIdentity
from sitroom.conduct.principal import Role
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

    identity.people = people.RunPeople(counted, clock=lambda: now[0])
    package = two_parties()
    try:
        ada = identity.invite(
            "duo", package, "account:a", name="Ada Aldor", role="player", team="ald-nsc"
        )
        assert identity.held_names("duo") is None  # nothing read yet: a thread must read
        assert identity.names("duo") == {ada["principal"]: "Ada Aldor"}
        assert identity.names("duo") == {ada["principal"]: "Ada Aldor"}
        assert identity.held_names("duo") == {ada["principal"]: "Ada Aldor"}
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

        # The console's roster: what `describe` says of each, less its e-mail and creator.
        described = {i["id"]: i for i in identity.invitations("duo")}
        for held in identity.roster("duo"):
            assert dict(held) == {k: described[held["id"]][k] for k in held}
        assert len(reads) == 3  # the roster is held with the names

        identity.revoke("duo", ada["id"])
        roster = {i["principal"]: i for i in identity.roster("duo")}
        assert len(reads) == 4  # revoked here: read again at once
        assert roster[ada["principal"]]["revoked_at"] is not None
        assert identity.names("elsewhere") == {}
    finally:
        identity.close()


def test_account_names_are_held_and_dropped_when_an_account_is_added_or_renamed(
    tmp_path: Path,
) -> None:
    settings = load_settings({"SITROOM_DATA_DIR": str(tmp_path)})
    identity = Identity.open(settings.effective_database_url, settings)
    store = identity.auth.store
    reads: list[int] = []
    now = [100.0]

    def counted():  # type: ignore[no-untyped-def]
        reads.append(1)
        return identity.auth.accounts.list_accounts()

    identity.accounts = people.AccountNames(
        counted, lambda: store.account_changes.count, clock=lambda: now[0]
    )
    try:
        first = identity.auth.accounts.create_account("fay", "Fay Ferrin", "a long passphrase 1")
        assert identity.account_names() == {f"account:{first.id}": "Fay Ferrin"}
        assert identity.account_names() == {f"account:{first.id}": "Fay Ferrin"}
        assert len(reads) == 1  # held

        # Made at a first sign-in through a provider (the store's own write): at once.
        at = datetime.now(UTC)
        second = Account("b2", "gil", "", Role.FACILITATOR, at)
        link = LinkedIdentity("https://idp.example", "gil-1", "", None, at, at)
        store.add_linked_account(second, link, "!")
        assert identity.account_names()["account:b2"] == "gil"
        assert len(reads) == 2

        # Renamed by the provider at a later sign-in: at once.
        link = LinkedIdentity("https://idp.example", "gil-1", "b2", None, at, at)
        store.update_linked_account(
            link, role=Role.FACILITATOR, display_name="Gil Garan", email=None, at=at
        )
        assert identity.account_names()["account:b2"] == "Gil Garan"
        assert len(reads) == 3

        # One added by another process shows once the hold has run out.
        other = Identity.open(settings.effective_database_url, settings)
        try:
            third = other.auth.accounts.create_account("hal", "Hal Hest", "a long passphrase 3")
        finally:
            other.close()
        assert f"account:{third.id}" not in identity.account_names()
        assert identity.held_account_names() == identity.account_names()
        now[0] += people.HOLD
        assert identity.held_account_names() is None  # run out: a thread must read
        assert identity.account_names()[f"account:{third.id}"] == "Hal Hest"
    finally:
        identity.close()
