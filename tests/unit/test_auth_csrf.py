"""CSRF tokens: bound to one session, signed with the server secret, fresh each time."""

from __future__ import annotations

import pytest

from sitroom.auth import CsrfGuard
from tests.support.auth import SECRET


def test_a_token_is_accepted_for_its_own_session_only() -> None:
    guard = CsrfGuard(SECRET)
    token = guard.csrf_token("session-a")
    assert guard.check_csrf("session-a", token)
    assert not guard.check_csrf("session-b", token)


def test_each_form_gets_a_fresh_token_and_all_of_them_work() -> None:
    guard = CsrfGuard(SECRET)
    first, second = guard.csrf_token("session-a"), guard.csrf_token("session-a")
    assert first != second
    assert guard.check_csrf("session-a", first)
    assert guard.check_csrf("session-a", second)


def test_a_token_made_with_another_secret_is_refused() -> None:
    token = CsrfGuard(b"another-secret-also-long-enough").csrf_token("session-a")
    assert not CsrfGuard(SECRET).check_csrf("session-a", token)


@pytest.mark.parametrize(
    "submitted", [None, "", ".", "abc", "abc.def", "ü.ü", "%%%.%%%", "A" * 5000]
)
def test_garbage_is_refused_without_an_error(submitted: str | None) -> None:
    assert not CsrfGuard(SECRET).check_csrf("session-a", submitted)


def test_a_tampered_token_is_refused() -> None:
    guard = CsrfGuard(SECRET)
    token = guard.csrf_token("session-a")
    nonce, mac = token.split(".")
    other_nonce = guard.csrf_token("session-a").split(".")[0]
    assert not guard.check_csrf("session-a", f"{other_nonce}.{mac}")
    assert not guard.check_csrf("session-a", f"{nonce}.{mac[:-2]}")


def test_without_a_session_nothing_is_accepted() -> None:
    guard = CsrfGuard(SECRET)
    assert not guard.check_csrf(None, guard.csrf_token(""))
