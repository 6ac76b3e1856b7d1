# ruff: noqa: F811 (the fixtures imported from the auth store contract are parameters here)
"""The single sign-on part of the auth store contract, on every backend: linked identities,
sign-ins under way (a state is taken once), bound invitations, a session's ID token."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sitroom.auth import AuthError, AuthStore
from sitroom.auth.store import LinkedIdentity, PendingSignIn
from sitroom.conduct.principal import Role
from tests.contract.test_auth_store_contract import (  # noqa: F401 (fixtures)
    account,
    auth_backend,
    invitation,
    session,
    store,
)
from tests.support.auth import START
from tests.support.threads import run_threads

ISSUER = "https://id.aldoria.example/realms/exercises"


def identity(subject: str = "sub-1", email: str | None = "ines@aldoria.example") -> LinkedIdentity:
    return LinkedIdentity(
        issuer=ISSUER,
        subject=subject,
        account_id="",
        email=email,
        linked_at=START,
        last_sign_in=START,
    )


def pending(state_hash: str, minutes: int = 0, invitation_id: str | None = None) -> PendingSignIn:
    return PendingSignIn(
        state_hash=state_hash,
        nonce=f"nonce-{state_hash}",
        code_verifier=f"verifier-{state_hash}",
        invitation_id=invitation_id,
        created_at=START + timedelta(minutes=minutes),
    )


def test_a_linked_account_is_found_by_issuer_and_subject(store: AuthStore) -> None:
    made = account(1, "ines", role=Role.FACILITATOR)
    store.add_linked_account(made, identity(), "!single-sign-on")
    found = store.find_linked_identity(ISSUER, "sub-1")
    assert found is not None
    linked, got = found
    assert got == made and linked.account_id == made.id and linked.email == "ines@aldoria.example"
    assert store.find_linked_identity("https://id.brenland.example", "sub-1") is None
    assert store.find_linked_identity(ISSUER, "sub-2") is None


def test_an_identity_links_one_account_and_a_taken_username_links_none(store: AuthStore) -> None:
    store.add_linked_account(account(1, "ines"), identity(), "!")
    with pytest.raises(AuthError) as twice:
        store.add_linked_account(account(2, "ines-2"), identity(), "!")
    assert twice.value.field == "identity"
    with pytest.raises(AuthError) as taken:
        store.add_linked_account(account(3, "INES"), identity("sub-3"), "!")
    assert taken.value.field == "username"
    assert store.find_linked_identity(ISSUER, "sub-3") is None  # nothing half-made
    assert store.get_account("acc-3") is None


def test_a_sign_in_updates_role_name_and_address(store: AuthStore) -> None:
    store.add_linked_account(account(1, "ines", role=Role.FACILITATOR), identity(), "!")
    linked, _ = store.find_linked_identity(ISSUER, "sub-1") or (None, None)
    assert linked is not None
    later = START + timedelta(days=2)
    updated = store.update_linked_account(
        linked, role=Role.ADMIN, display_name="Ines V.", email=None, at=later
    )
    assert updated is not None and updated.role == Role.ADMIN
    assert updated.display_name == "Ines V."
    again, _ = store.find_linked_identity(ISSUER, "sub-1") or (None, None)
    assert again is not None and again.email is None and again.last_sign_in == later


def test_a_state_is_taken_once_even_by_racing_callbacks(store: AuthStore) -> None:
    store.add_pending_sign_in(pending("s1", invitation_id="inv-9"), START)
    taken: list[PendingSignIn] = []

    def callback(_n: int) -> None:
        found = store.take_pending_sign_in("s1", START)
        if found is not None:
            taken.append(found)

    run_threads(8, callback)
    assert len(taken) == 1
    assert taken[0].nonce == "nonce-s1" and taken[0].invitation_id == "inv-9"


def test_a_stale_sign_in_is_forgotten(store: AuthStore) -> None:
    store.add_pending_sign_in(pending("old", minutes=0), START)
    store.add_pending_sign_in(pending("older", minutes=-5), START - timedelta(minutes=5))
    since = START + timedelta(minutes=10)
    assert store.take_pending_sign_in("old", since) is None
    store.add_pending_sign_in(pending("new", minutes=20), since)  # forgets "older"
    assert store.take_pending_sign_in("older", START - timedelta(hours=1)) is None
    assert store.take_pending_sign_in("new", since) is not None


def test_bound_invitations_and_id_tokens_come_back(store: AuthStore) -> None:
    bound = invitation(1, idp_email="petra@brenland.example", idp_subject="sub-petra")
    assert store.add_invitation(bound, "code-1")
    assert store.get_invitation("inv-1") == bound
    store.add_account(account(1), "hash")
    record = session("h1", account(1), id_token="header.claims.signature")
    store.add_session(record)
    found = store.get_session("h1")
    assert found is not None and found.session.id_token == "header.claims.signature"
