"""Sessions: the cookie token, expiry, idling, and what ends a session early."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sitroom.auth import (
    SESSION_COOKIE,
    Account,
    Accounts,
    AuthError,
    Invitations,
    MemoryAuthStore,
    SessionManager,
    cookie_settings,
    principal_for,
    principal_for_account,
)
from sitroom.auth.keys import token_digest
from sitroom.conduct.principal import Role
from tests.support.auth import SECRET, FakeClock, cheap_passwords
from tests.support.packages import two_parties


class Desk:
    """Accounts, invitations and sessions on one in-memory store and one clock."""

    def __init__(self, idle_timeout: timedelta | None = timedelta(hours=24)) -> None:
        self.clock = FakeClock()
        self.store = MemoryAuthStore()
        self.accounts = Accounts(self.store, passwords=cheap_passwords(), clock=self.clock)
        self.invitations = Invitations(self.store, SECRET, clock=self.clock)
        self.sessions = SessionManager(
            self.store, clock=self.clock, ttl=timedelta(days=3), idle_timeout=idle_timeout
        )

    def account(self) -> Account:
        return self.accounts.create_account("alice", "Alice", "correct horse battery", Role.ADMIN)


def test_a_session_resolves_to_its_account_until_it_ends() -> None:
    desk = Desk()
    account = desk.account()
    token = desk.sessions.create(account)
    assert len(token) >= 43
    assert desk.sessions.resolve(token) == principal_for_account(account)
    identity = desk.sessions.identify(token)
    assert identity is not None
    assert (identity.run_id, identity.account_id, identity.via) == (None, account.id, "session")
    assert desk.sessions.end(token)
    assert desk.sessions.resolve(token) is None
    assert not desk.sessions.end(token)


def test_only_the_hash_of_the_token_is_stored() -> None:
    desk = Desk()
    token = desk.sessions.create(desk.account())
    found = desk.store.get_session(token_digest(token))
    assert found is not None
    assert token not in repr(found)
    assert desk.store.get_session(token) is None


def test_an_invitation_session_is_bound_to_its_run_and_language() -> None:
    desk = Desk()
    invitation, _, _ = desk.invitations.create_invitation(
        "run-7", two_parties(), "Pat", Role.PLAYER, team="ald-nsc", language="ko"
    )
    token = desk.sessions.create(invitation)
    identity = desk.sessions.identify(token)
    assert identity is not None
    assert identity.principal == principal_for(invitation)
    assert (identity.run_id, identity.language, identity.invitation_id) == (
        "run-7",
        "ko",
        invitation.id,
    )


def test_a_session_expires_after_its_lifetime_even_when_used() -> None:
    desk = Desk()
    token = desk.sessions.create(desk.account())
    for _ in range(71):
        desk.clock.advance(hours=1)
        assert desk.sessions.resolve(token) is not None
    desk.clock.advance(hours=1)
    assert desk.sessions.resolve(token) is None
    assert desk.store.purge_sessions(desk.clock.now) == 0  # already deleted on sight


def test_an_idle_session_ends_and_use_keeps_it_alive() -> None:
    desk = Desk(idle_timeout=timedelta(hours=8))
    token = desk.sessions.create(desk.account())
    desk.clock.advance(hours=7, minutes=59)
    assert desk.sessions.resolve(token) is not None
    desk.clock.advance(hours=7, minutes=59)
    assert desk.sessions.resolve(token) is not None
    desk.clock.advance(hours=8)
    assert desk.sessions.resolve(token) is None


def test_last_seen_is_written_at_most_once_a_minute() -> None:
    desk = Desk()
    token = desk.sessions.create(desk.account())
    start = desk.clock.now
    desk.clock.advance(seconds=30)
    desk.sessions.resolve(token)
    found = desk.store.get_session(token_digest(token))
    assert found is not None and found.session.last_seen == start
    desk.clock.advance(seconds=30)
    desk.sessions.resolve(token)
    found = desk.store.get_session(token_digest(token))
    assert found is not None and found.session.last_seen == desk.clock.now


def test_disabling_an_account_ends_its_sessions() -> None:
    desk = Desk()
    account = desk.account()
    token = desk.sessions.create(account)
    desk.accounts.set_disabled(account.id, True)
    assert desk.sessions.resolve(token) is None
    desk.accounts.set_disabled(account.id, False)
    assert desk.sessions.resolve(token) is None  # gone for good: sign in again
    with pytest.raises(AuthError):
        desk.sessions.create(desk.accounts.set_disabled(account.id, True))


def test_end_all_signs_an_account_out_everywhere() -> None:
    desk = Desk()
    account = desk.account()
    tokens = [desk.sessions.create(account) for _ in range(3)]
    assert desk.sessions.end_all(account) == 3
    assert all(desk.sessions.resolve(token) is None for token in tokens)


def test_an_expired_invitation_cannot_open_a_session_but_keeps_one_it_opened() -> None:
    desk = Desk()
    invitation, _, _ = desk.invitations.create_invitation(
        "run-1", two_parties(), "Dana", Role.DISPLAY, expires_in=timedelta(hours=1)
    )
    token = desk.sessions.create(invitation)
    desk.clock.advance(hours=2)
    assert desk.sessions.resolve(token) == principal_for(invitation)
    with pytest.raises(AuthError) as caught:
        desk.sessions.create(invitation)
    assert caught.value.reason == "expired"


@pytest.mark.parametrize("token", [None, "", "nonsense", "x" * 10_000])
def test_a_missing_or_made_up_token_resolves_to_nobody(token: str | None) -> None:
    assert Desk().sessions.resolve(token) is None


def test_purge_deletes_expired_and_idle_sessions() -> None:
    desk = Desk(idle_timeout=timedelta(hours=8))
    account = desk.account()
    old = desk.sessions.create(account)
    desk.clock.advance(hours=6)
    fresh = desk.sessions.create(account)
    desk.clock.advance(hours=3)
    assert desk.sessions.purge() == 1
    assert desk.sessions.resolve(fresh) is not None
    assert desk.sessions.resolve(old) is None


def test_cookie_settings_keep_the_cookie_from_scripts_and_other_sites() -> None:
    assert SESSION_COOKIE == "sitroom_session"
    assert cookie_settings(False) == {
        "httponly": True,
        "samesite": "lax",
        "path": "/",
        "secure": False,
    }
    behind_https = cookie_settings(True, max_age=Desk().sessions.max_age)
    assert behind_https["secure"] is True
    assert behind_https["max_age"] == 3 * 24 * 3600


def test_the_touches_of_all_sessions_are_written_together_once_a_minute() -> None:
    desk = Desk()
    account = desk.account()
    first, second = desk.sessions.create(account), desk.sessions.create(account)
    start = desk.clock.now

    def last_seen(token: str) -> object:
        found = desk.store.get_session(token_digest(token))
        assert found is not None
        return found.session.last_seen

    desk.clock.advance(seconds=61)
    desk.sessions.resolve(first)  # a minute since the last write: written at once
    assert last_seen(first) == desk.clock.now
    desk.clock.advance(seconds=30)
    seen_second = desk.clock.now
    desk.sessions.resolve(second)  # noted, and waits for the next write
    assert last_seen(second) == start
    desk.clock.advance(seconds=30)
    desk.sessions.resolve(first)  # a minute on: both touches in one write
    assert (last_seen(first), last_seen(second)) == (desk.clock.now, seen_second)


def test_a_streams_held_check_ends_with_the_session_in_this_process() -> None:
    desk = Desk()
    account = desk.account()
    tokens = [desk.sessions.create(account) for _ in range(3)]
    assert all(desk.sessions.still_live(token) for token in tokens)
    assert desk.sessions.end(tokens[0])
    assert not desk.sessions.still_live(tokens[0])
    assert desk.sessions.still_live(tokens[1])
    desk.accounts.set_disabled(account.id, True)
    assert not desk.sessions.still_live(tokens[1])
    assert not desk.sessions.still_live(tokens[2])
    assert not desk.sessions.still_live(None)
    assert not desk.sessions.still_live("x" * 300)


def test_a_held_check_does_not_outlive_the_sessions_lifetime() -> None:
    desk = Desk(idle_timeout=None)
    token = desk.sessions.create(desk.account())
    desk.clock.advance(days=3, seconds=-10)
    assert desk.sessions.still_live(token)
    desk.clock.advance(seconds=10)  # within the held 30 s, but the session has expired
    assert not desk.sessions.still_live(token)
