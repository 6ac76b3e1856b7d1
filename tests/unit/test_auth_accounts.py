"""Accounts: creating them, signing in, disabled accounts, upgraded hashes."""

from __future__ import annotations

import pytest

from sitroom.auth import Accounts, AuthError, MemoryAuthStore, Passwords, principal_for_account
from sitroom.conduct.principal import Role
from tests.support.auth import FakeClock, cheap_hasher, cheap_passwords

PASSWORD = "correct horse battery"


class CountingPasswords(Passwords):
    """Counts verifications, to see that unknown users cost one too."""

    def __init__(self) -> None:
        super().__init__(cheap_hasher())
        self.verified = 0

    def verify(self, password_hash: str, password: str) -> bool:
        self.verified += 1
        return super().verify(password_hash, password)


def make_accounts(passwords: Passwords | None = None) -> tuple[Accounts, MemoryAuthStore]:
    store = MemoryAuthStore()
    return Accounts(store, passwords=passwords or cheap_passwords(), clock=FakeClock()), store


def test_the_right_password_signs_in_and_a_wrong_one_does_not() -> None:
    accounts, _ = make_accounts()
    created = accounts.create_account("alice", "Alice Admin", PASSWORD, Role.ADMIN)
    assert accounts.authenticate("alice", PASSWORD) == created
    assert accounts.authenticate("alice", PASSWORD + "x") is None
    assert accounts.authenticate("bob", PASSWORD) is None


def test_usernames_are_case_insensitive_and_unique() -> None:
    accounts, _ = make_accounts()
    created = accounts.create_account("Alice", "Alice Admin", PASSWORD)
    assert created.username == "Alice"
    assert accounts.authenticate("ALICE", PASSWORD) == created
    with pytest.raises(AuthError) as caught:
        accounts.create_account("aLiCe", "Another Alice", PASSWORD)
    assert (caught.value.field, caught.value.reason) == ("username", "taken")
    assert caught.value.status == 409


def test_a_disabled_account_cannot_sign_in_until_enabled_again() -> None:
    accounts, _ = make_accounts()
    created = accounts.create_account("alice", "Alice Admin", PASSWORD)
    assert accounts.set_disabled(created.id, True).disabled
    assert accounts.authenticate("alice", PASSWORD) is None
    accounts.set_disabled(created.id, False)
    assert accounts.authenticate("alice", PASSWORD) is not None


def test_an_unknown_user_costs_a_verification_too() -> None:
    passwords = CountingPasswords()
    accounts, _ = make_accounts(passwords)
    assert accounts.authenticate("nobody", PASSWORD) is None
    assert accounts.authenticate("nobody", "x" * 5000) is None
    assert passwords.verified == 2


def test_a_hash_with_old_parameters_is_replaced_on_sign_in() -> None:
    store = MemoryAuthStore()
    old = Accounts(store, passwords=cheap_passwords(time_cost=1), clock=FakeClock())
    created = old.create_account("alice", "Alice Admin", PASSWORD)
    first = store.find_account("alice")
    assert first is not None
    new = Accounts(store, passwords=cheap_passwords(time_cost=2), clock=FakeClock())
    assert new.authenticate("alice", PASSWORD) == created
    second = store.find_account("alice")
    assert second is not None
    assert second[1] != first[1]
    assert "t=2" in second[1]
    assert new.authenticate("alice", PASSWORD) == created


def test_set_password_replaces_the_old_one_and_keeps_the_rules() -> None:
    accounts, _ = make_accounts()
    created = accounts.create_account("alice", "Alice Admin", PASSWORD)
    accounts.set_password(created.id, "a new long passphrase")
    assert accounts.authenticate("alice", PASSWORD) is None
    assert accounts.authenticate("alice", "a new long passphrase") is not None
    with pytest.raises(AuthError) as caught:
        accounts.set_password(created.id, "short")
    assert caught.value.field == "password"
    with pytest.raises(AuthError) as unknown:
        accounts.set_password("nope", "a new long passphrase")
    assert unknown.value.reason == "unknown"


@pytest.mark.parametrize(
    ("username", "display_name", "role", "field"),
    [
        ("", "Alice", Role.ADMIN, "username"),
        ("alice smith", "Alice", Role.ADMIN, "username"),
        ("a" * 65, "Alice", Role.ADMIN, "username"),
        ("alice", "  ", Role.ADMIN, "display_name"),
        ("alice", "Alice\nAdmin", Role.ADMIN, "display_name"),
        ("alice", "Alice", Role.PLAYER, "role"),
        ("alice", "Alice", "chief", "role"),
    ],
)
def test_a_bad_account_field_is_named(
    username: str, display_name: str, role: Role | str, field: str
) -> None:
    accounts, store = make_accounts()
    with pytest.raises(AuthError) as caught:
        accounts.create_account(username, display_name, PASSWORD, role)
    assert caught.value.field == field
    assert store.list_accounts() == []


def test_a_korean_display_name_and_language_are_kept() -> None:
    accounts, _ = make_accounts()
    created = accounts.create_account("kim", " 김통제 ", PASSWORD, language="ko")
    assert (created.display_name, created.language) == ("김통제", "ko")
    with pytest.raises(AuthError) as caught:
        accounts.create_account("lee", "Lee", PASSWORD, language="fr")
    assert caught.value.field == "language"


def test_an_account_acts_as_an_account_principal() -> None:
    accounts, _ = make_accounts()
    created = accounts.create_account("fac", "Fran Facilitator", PASSWORD, Role.FACILITATOR)
    principal = principal_for_account(created)
    assert principal.id == f"account:{created.id}"
    assert principal.role == Role.FACILITATOR
    assert principal.name == "Fran Facilitator"
    assert principal.is_control
    assert (principal.team, principal.party) == (None, None)


def test_accounts_are_listed_by_username() -> None:
    accounts, _ = make_accounts()
    accounts.create_account("zed", "Zed", PASSWORD)
    accounts.create_account("Amy", "Amy", PASSWORD)
    assert [a.username for a in accounts.list_accounts()] == ["Amy", "zed"]
