"""Passwords: the rules for new ones, and argon2id hashing that upgrades old hashes."""

from __future__ import annotations

import pytest

from sitroom.auth import AuthError, check_password
from tests.support.auth import cheap_passwords


def test_a_password_verifies_against_its_own_hash_only() -> None:
    passwords = cheap_passwords()
    stored = passwords.hash("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert passwords.verify(stored, "correct horse battery")
    assert not passwords.verify(stored, "correct horse battery!")
    assert not passwords.verify(stored, "")


def test_two_hashes_of_one_password_differ_by_their_salt() -> None:
    passwords = cheap_passwords()
    assert passwords.hash("correct horse battery") != passwords.hash("correct horse battery")


def test_a_malformed_hash_never_verifies_and_asks_for_a_rehash() -> None:
    passwords = cheap_passwords()
    assert not passwords.verify("not-a-hash", "whatever it is")
    assert passwords.needs_rehash("not-a-hash")


def test_a_hash_made_with_other_parameters_needs_a_rehash() -> None:
    old = cheap_passwords(time_cost=1).hash("correct horse battery")
    assert cheap_passwords(time_cost=2).needs_rehash(old)
    assert not cheap_passwords(time_cost=1).needs_rehash(old)


@pytest.mark.parametrize(
    ("password", "words"),
    [
        ("short", "at least 10 characters"),
        ("x" * 1025, "at most 1024"),
        (" " * 12, "only spaces"),
        ("alice.admin", "not be the username"),
    ],
)
def test_a_weak_password_is_refused_with_the_rule_it_breaks(password: str, words: str) -> None:
    with pytest.raises(AuthError) as caught:
        check_password(password, username="Alice.Admin")
    assert caught.value.field == "password"
    assert words in caught.value.message
    assert caught.value.status == 422


def test_ten_characters_are_enough() -> None:
    check_password("0123456789", username="alice")
