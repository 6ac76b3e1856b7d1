"""The auth store contract: every backend keeps accounts, invitations, sessions and tokens alike.

The in-memory store runs the same suite, so the fake the unit tests use cannot drift away
from the real stores.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest

from sitroom.auth import (
    Account,
    ApiTokenRecord,
    AuthError,
    AuthService,
    AuthStore,
    Invitation,
    MemoryAuthStore,
    SessionKind,
    SessionRecord,
    TokenScope,
    build_auth,
    open_auth,
    open_auth_store,
    principal_for,
)
from sitroom.conduct.principal import Role
from sitroom.storage import open_recorder
from tests.support.auth import SECRET, START, FakeClock, cheap_passwords
from tests.support.packages import two_parties
from tests.support.postgres import fresh_database
from tests.support.threads import run_threads

_TABLES = ("oidc_logins", "oidc_identities", "sessions", "api_tokens", "invitations", "accounts")


class AuthBackend:
    """Opens auth stores on one database and closes them when the test ends."""

    def __init__(self, name: str, url: str | None) -> None:
        self.name = name
        self.url = url
        self._opened: list[AuthStore] = []
        self._memory = MemoryAuthStore()

    def open(self) -> AuthStore:
        """Open another store on the same database (the same store, in memory)."""
        if self.url is None:
            return self._memory
        store = open_auth_store(self.url)
        self._opened.append(store)
        return store

    def close_all(self) -> None:
        for store in self._opened:
            store.close()


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def auth_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AuthBackend]:
    """Every backend in turn, each starting empty."""
    if request.param == "memory":
        chosen = AuthBackend("memory", None)
    elif request.param == "sqlite":
        chosen = AuthBackend("sqlite", f"sqlite:///{tmp_path / 'auth.db'}")
    else:
        url = request.getfixturevalue("postgres_url")
        chosen = AuthBackend("postgres", url)
        chosen.open()  # creates or upgrades the schema
        with psycopg.connect(url, autocommit=True) as connection:
            for table in _TABLES:  # DELETE: much quicker than TRUNCATE on tiny tables
                connection.execute(f"DELETE FROM {table}")
    try:
        yield chosen
    finally:
        chosen.close_all()


@pytest.fixture
def store(auth_backend: AuthBackend) -> AuthStore:
    return auth_backend.open()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def auth(store: AuthStore, clock: FakeClock) -> AuthService:
    return build_auth(store, SECRET, clock=clock, passwords=cheap_passwords())


def account(n: int = 1, username: str | None = None, role: Role = Role.ADMIN) -> Account:
    return Account(
        id=f"acc-{n}",
        username=username or f"user{n}",
        display_name=f"User {n} 사용자",
        role=role,
        created_at=START + timedelta(microseconds=n),
        language="ko" if n % 2 else "en",
    )


def invitation(n: int = 1, run_id: str = "run-1", **changes: object) -> Invitation:
    made = Invitation(
        id=f"inv-{n}",
        run_id=run_id,
        display_name=f"Invitee {n}",
        role=Role.PLAYER,
        team="ald-nsc",
        party="ald",
        language="en",
        created_by="account:acc-1",
        created_at=START + timedelta(seconds=n, microseconds=123_456),
        expires_at=START + timedelta(days=7),
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def session(token_hash: str, subject: Account | Invitation, **changes: object) -> SessionRecord:
    is_account = isinstance(subject, Account)
    made = SessionRecord(
        token_hash=token_hash,
        kind=SessionKind.ACCOUNT if is_account else SessionKind.INVITATION,
        subject_id=subject.id,
        run_id=None if isinstance(subject, Account) else subject.run_id,
        created_at=START,
        last_seen=START,
        expires_at=START + timedelta(days=1),
    )
    return replace(made, **changes)  # type: ignore[arg-type]


# -- accounts -------------------------------------------------------------------------


def test_an_account_comes_back_as_it_went_in(store: AuthStore) -> None:
    made = account()
    store.add_account(made, "hash-1")
    assert store.get_account(made.id) == made
    assert store.find_account("USER1") == (made, "hash-1")
    assert store.find_account("user2") is None
    assert store.get_account("nope") is None
    assert made.created_at.utcoffset() is not None


def test_timestamps_keep_their_instant_whatever_zone_they_came_in(store: AuthStore) -> None:
    seoul = timezone(timedelta(hours=9))
    made = replace(account(), created_at=datetime(2027, 3, 4, 18, 0, 0, 1, tzinfo=seoul))
    store.add_account(made, "hash")
    found = store.get_account(made.id)
    assert found is not None
    assert found.created_at == made.created_at
    assert found.created_at.utcoffset() == timedelta(0)


def test_usernames_are_unique_whatever_their_case(store: AuthStore) -> None:
    store.add_account(account(1, "Alice"), "hash-1")
    with pytest.raises(AuthError) as caught:
        store.add_account(account(2, "ALICE"), "hash-2")
    assert (caught.value.field, caught.value.reason) == ("username", "taken")
    assert [a.id for a in store.list_accounts()] == ["acc-1"]


def test_accounts_are_listed_by_username(store: AuthStore) -> None:
    for n, name in enumerate(["carol", "Bob", "alice"], start=1):
        store.add_account(account(n, name), "hash")
    assert [a.username for a in store.list_accounts()] == ["alice", "Bob", "carol"]


def test_a_password_hash_is_replaced_only_if_it_is_still_the_expected_one(
    store: AuthStore,
) -> None:
    store.add_account(account(), "old")
    assert not store.set_password_hash("acc-1", "rehash", replacing="something-else")
    assert store.set_password_hash("acc-1", "new", replacing="old")
    assert store.set_password_hash("acc-1", "newer")
    assert store.find_account("user1") == (account(), "newer")
    assert not store.set_password_hash("nope", "x")


def test_an_account_is_disabled_and_enabled(store: AuthStore) -> None:
    store.add_account(account(), "hash")
    assert store.set_account_disabled("acc-1", True)
    assert store.get_account("acc-1") == replace(account(), disabled=True)
    assert store.set_account_disabled("acc-1", False)
    assert store.get_account("acc-1") == account()
    assert not store.set_account_disabled("nope", True)


def test_accounts_made_on_many_threads_are_all_kept(auth_backend: AuthBackend) -> None:
    stores = [auth_backend.open() for _ in range(2)]

    def work(index: int) -> None:
        stores[index % 2].add_account(account(index), "hash")

    run_threads(12, work)
    assert len(stores[0].list_accounts()) == 12


def test_only_one_of_many_racing_accounts_gets_a_username(auth_backend: AuthBackend) -> None:
    stores = [auth_backend.open() for _ in range(2)]
    taken: list[int] = []

    def work(index: int) -> None:
        try:
            stores[index % 2].add_account(account(index, f"Same{'E' * (index % 2)}"), "h")
        except AuthError:
            taken.append(index)

    run_threads(8, work)
    assert len(taken) == 6
    assert len(stores[1].list_accounts()) == 2


# -- invitations ----------------------------------------------------------------------


def test_an_invitation_comes_back_as_it_went_in(store: AuthStore) -> None:
    made = invitation()
    assert store.add_invitation(made, "code-1")
    assert store.get_invitation(made.id) == made
    assert store.find_invitation_by_code("code-1") == made
    assert store.find_invitation_by_code("code-2") is None
    observer = invitation(2, role=Role.OBSERVER, team=None, party=None, created_by=None)
    assert store.add_invitation(observer, "code-2")
    assert store.get_invitation(observer.id) == observer


def test_a_taken_code_records_nothing(store: AuthStore) -> None:
    assert store.add_invitation(invitation(1), "code-1")
    assert not store.add_invitation(invitation(2), "code-1")
    assert store.get_invitation("inv-2") is None
    assert not store.add_invitation(invitation(1), "code-9")


def test_invitations_are_listed_per_run_oldest_first(store: AuthStore) -> None:
    for n in (3, 1, 2):
        store.add_invitation(invitation(n), f"code-{n}")
    store.add_invitation(invitation(4, run_id="run-2"), "code-4")
    assert [i.id for i in store.list_invitations("run-1")] == ["inv-1", "inv-2", "inv-3"]
    assert [i.id for i in store.list_invitations("run-2")] == ["inv-4"]
    assert store.list_invitations("run-3") == []


def test_a_join_code_can_be_replaced(store: AuthStore) -> None:
    store.add_invitation(invitation(1), "code-1")
    store.add_invitation(invitation(2), "code-2")
    assert not store.set_invitation_code("inv-1", "code-2")
    assert store.set_invitation_code("inv-1", "code-3")
    assert store.find_invitation_by_code("code-1") is None
    assert store.find_invitation_by_code("code-3") == invitation(1)
    assert not store.set_invitation_code("nope", "code-4")


def test_revoking_ends_the_invitations_sessions_and_keeps_the_first_time(
    store: AuthStore,
) -> None:
    store.add_invitation(invitation(1), "code-1")
    store.add_invitation(invitation(2), "code-2")
    store.add_session(session("s1", invitation(1)))
    store.add_session(session("s2", invitation(2)))
    revoked = store.revoke_invitation("inv-1", START + timedelta(hours=1))
    assert revoked == replace(invitation(1), revoked_at=START + timedelta(hours=1))
    assert store.get_session("s1") is None
    assert store.get_session("s2") is not None
    again = store.revoke_invitation("inv-1", START + timedelta(hours=2))
    assert again is not None and again.revoked_at == START + timedelta(hours=1)
    assert store.revoke_invitation("nope", START) is None


def test_a_single_use_invitation_is_claimed_once(store: AuthStore) -> None:
    store.add_invitation(invitation(1, single_use=True), "code-1")
    assert store.claim_invitation("inv-1", START + timedelta(minutes=1), None)
    assert not store.claim_invitation("inv-1", START + timedelta(minutes=2), None)
    assert not store.claim_invitation("inv-1", START + timedelta(minutes=2), "device-a")
    found = store.get_invitation("inv-1")
    assert found is not None and found.used_at == START + timedelta(minutes=1)
    assert found.device_hash is None  # a single-use invitation binds no device
    assert not store.claim_invitation("nope", START, None)


def test_a_device_bound_invitation_takes_only_its_first_device(store: AuthStore) -> None:
    store.add_invitation(invitation(1, bind_device=True), "code-1")
    assert not store.claim_invitation("inv-1", START, None)  # no device: nothing bound
    assert store.claim_invitation("inv-1", START + timedelta(minutes=1), "device-a")
    assert not store.claim_invitation("inv-1", START + timedelta(minutes=2), "device-b")
    assert store.claim_invitation("inv-1", START + timedelta(minutes=3), "device-a")
    found = store.get_invitation("inv-1")
    assert found is not None
    assert (found.device_hash, found.used_at) == ("device-a", START + timedelta(minutes=1))


def test_a_reusable_invitation_records_its_first_use_and_binds_nothing(store: AuthStore) -> None:
    store.add_invitation(invitation(1), "code-1")
    for minutes in (1, 2):
        assert store.claim_invitation("inv-1", START + timedelta(minutes=minutes), "device-a")
    assert store.claim_invitation("inv-1", START + timedelta(minutes=3), "device-b")
    found = store.get_invitation("inv-1")
    assert found is not None
    assert (found.used_at, found.device_hash) == (START + timedelta(minutes=1), None)


def test_a_revoked_invitation_cannot_be_claimed(store: AuthStore) -> None:
    store.add_invitation(invitation(1), "code-1")
    store.revoke_invitation("inv-1", START)
    assert not store.claim_invitation("inv-1", START + timedelta(minutes=1), None)


def test_racing_claims_of_a_single_use_invitation_admit_one(auth_backend: AuthBackend) -> None:
    stores = [auth_backend.open() for _ in range(2)]
    stores[0].add_invitation(invitation(1, single_use=True), "code-1")
    won: list[int] = []

    def work(index: int) -> None:
        if stores[index % 2].claim_invitation("inv-1", START, f"device-{index}"):
            won.append(index)

    run_threads(8, work)
    assert len(won) == 1


def test_revoking_an_invitation_revokes_the_ones_it_made(store: AuthStore) -> None:
    store.add_invitation(invitation(1, role=Role.FACILITATOR, team=None, party=None), "c1")
    store.add_invitation(invitation(2, created_by="invite:inv-1"), "c2")
    store.add_invitation(invitation(3, created_by="invite:inv-2"), "c3")
    store.add_invitation(invitation(4, created_by="account:acc-1"), "c4")
    for n in (1, 2, 3, 4):
        store.add_session(session(f"s{n}", invitation(n)))
    store.revoke_invitation("inv-1", START + timedelta(hours=1))
    for n in (1, 2, 3):
        found = store.get_invitation(f"inv-{n}")
        assert found is not None and found.revoked_at == START + timedelta(hours=1)
        assert store.get_session(f"s{n}") is None
    untouched = store.get_invitation("inv-4")
    assert untouched is not None and untouched.revoked_at is None
    assert store.get_session("s4") is not None


# -- sessions -------------------------------------------------------------------------


def test_a_session_comes_back_with_its_account_or_invitation(store: AuthStore) -> None:
    store.add_account(account(), "hash")
    store.add_invitation(invitation(), "code")
    store.add_session(session("s-account", account()))
    store.add_session(session("s-invite", invitation()))
    found = store.get_session("s-account")
    assert found is not None
    assert found.session == session("s-account", account())
    assert (found.account, found.invitation) == (account(), None)
    found = store.get_session("s-invite")
    assert found is not None
    assert found.session.run_id == "run-1"
    assert (found.account, found.invitation) == (None, invitation())
    assert store.get_session("nope") is None


def test_a_session_whose_subject_is_gone_comes_back_without_it(store: AuthStore) -> None:
    store.add_session(session("s1", account(5)))
    found = store.get_session("s1")
    assert found is not None
    assert (found.account, found.invitation) == (None, None)


def test_last_seen_only_moves_forward(store: AuthStore) -> None:
    store.add_session(session("s1", account()))
    store.touch_session("s1", START + timedelta(minutes=5))
    store.touch_session("s1", START + timedelta(minutes=1))
    found = store.get_session("s1")
    assert found is not None and found.session.last_seen == START + timedelta(minutes=5)


def test_sessions_end_one_by_one_or_all_of_a_subject(store: AuthStore) -> None:
    for name in ("a", "b", "c"):
        store.add_session(session(name, account(1)))
    store.add_session(session("d", account(2)))
    assert store.delete_session("a")
    assert not store.delete_session("a")
    assert store.delete_sessions(SessionKind.ACCOUNT, "acc-1") == 2
    assert store.delete_sessions(SessionKind.INVITATION, "acc-2") == 0
    assert store.get_session("d") is not None


def test_purge_deletes_expired_and_idle_sessions(store: AuthStore) -> None:
    store.add_session(session("expired", account(), expires_at=START + timedelta(hours=1)))
    store.add_session(session("idle", account(), last_seen=START - timedelta(hours=9)))
    store.add_session(session("live", account(), last_seen=START + timedelta(hours=1)))
    now = START + timedelta(hours=1)
    assert store.purge_sessions(now) == 1
    assert store.purge_sessions(now, idle_before=now - timedelta(hours=8)) == 1
    assert store.get_session("live") is not None


# -- API tokens -----------------------------------------------------------------------


def token(n: int = 1, account_id: str = "acc-1", **changes: object) -> ApiTokenRecord:
    made = ApiTokenRecord(
        id=f"tok-{n}",
        account_id=account_id,
        name=f"script {n}",
        hint="srt_abcd",
        created_at=START + timedelta(seconds=n),
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def test_a_token_comes_back_with_its_account(store: AuthStore) -> None:
    store.add_account(account(), "hash")
    expiring = token(2, expires_at=START + timedelta(days=30))
    store.add_api_token(token(1), "hash-1")
    store.add_api_token(expiring, "hash-2")
    assert store.get_api_token("hash-1") == (token(1), account())
    assert store.get_api_token("hash-2") == (expiring, account())
    assert store.get_api_token("hash-3") is None


def test_a_token_keeps_its_scope(store: AuthStore) -> None:
    store.add_account(account(), "hash")
    for n, scope in enumerate(TokenScope, start=1):
        store.add_api_token(token(n, scope=scope), f"hash-{n}")
        found = store.get_api_token(f"hash-{n}")
        assert found is not None and found[0].scope == scope
    assert [t.scope for t in store.list_api_tokens()] == list(TokenScope)


def test_a_token_needs_an_existing_account(store: AuthStore) -> None:
    with pytest.raises(AuthError) as caught:
        store.add_api_token(token(1, account_id="nobody"), "hash-1")
    assert caught.value.field == "account"


def test_tokens_are_listed_touched_and_revoked(store: AuthStore) -> None:
    store.add_account(account(1), "hash")
    store.add_account(account(2), "hash")
    store.add_api_token(token(2), "h2")
    store.add_api_token(token(1), "h1")
    store.add_api_token(token(3, account_id="acc-2"), "h3")
    assert [t.id for t in store.list_api_tokens("acc-1")] == ["tok-1", "tok-2"]
    assert [t.id for t in store.list_api_tokens()] == ["tok-1", "tok-2", "tok-3"]
    store.touch_api_token("tok-1", START + timedelta(hours=2))
    store.touch_api_token("tok-1", START + timedelta(hours=1))
    assert store.list_api_tokens("acc-1")[0].last_used_at == START + timedelta(hours=2)
    assert not store.revoke_api_token("tok-1", START, account_id="acc-2")
    assert store.revoke_api_token("tok-1", START, account_id="acc-1")
    assert store.revoke_api_token("tok-1", START + timedelta(hours=1))
    assert store.list_api_tokens("acc-1")[0].revoked_at == START
    assert not store.revoke_api_token("nope", START)


# -- the services on every store ------------------------------------------------------


def test_sign_in_session_and_token_work_on_every_store(auth: AuthService) -> None:
    made = auth.accounts.create_account("Alice", "Alice", "correct horse battery", "admin")
    signed_in = auth.accounts.authenticate("alice", "correct horse battery")
    assert signed_in == made
    cookie = auth.sessions.create(made)
    _, raw = auth.tokens.create_api_token(made.id, "script")
    by_cookie = auth.identify(cookie)
    by_token = auth.identify(None, raw)
    assert by_cookie is not None and by_token is not None
    assert by_cookie.principal == by_token.principal
    assert (by_cookie.via, by_token.via) == ("session", "api-token")
    assert auth.csrf.check_csrf(cookie, auth.csrf.csrf_token(cookie))


def test_revoking_an_invitation_stops_everything_on_every_store(
    auth: AuthService, clock: FakeClock
) -> None:
    package = two_parties()
    made, link, code = auth.invitations.create_invitation(
        "run-1", package, "Pat", Role.PLAYER, team="brn-nsc", single_use=False
    )
    assert auth.invitations.redeem_code(code.lower()).id == made.id
    cookie = auth.sessions.create(auth.invitations.redeem_link(link))
    assert auth.sessions.resolve(cookie) == principal_for(made)
    clock.advance(minutes=1)
    auth.invitations.revoke_invitation(made.id)
    assert auth.sessions.resolve(cookie) is None
    for redeem, value in (
        (auth.invitations.redeem_link, link),
        (auth.invitations.redeem_code, code),
    ):
        with pytest.raises(AuthError) as caught:
            redeem(value)
        assert caught.value.reason == "revoked"


def test_a_second_store_on_the_same_database_sees_the_first_ones_writes(
    auth_backend: AuthBackend,
) -> None:
    first, second = auth_backend.open(), auth_backend.open()
    first.add_account(account(), "hash")
    first.add_session(session("s1", account()))
    found = second.get_session("s1")
    assert found is not None and found.account == account()
    assert second.delete_session("s1")
    assert first.get_session("s1") is None


def test_sessions_resolve_from_many_threads(auth: AuthService, clock: FakeClock) -> None:
    made = auth.accounts.create_account("alice", "Alice", "correct horse battery")
    cookies = [auth.sessions.create(made) for _ in range(4)]
    clock.advance(minutes=2)  # every resolve wants to touch its session

    def work(index: int) -> None:
        for _ in range(5):
            assert auth.sessions.resolve(cookies[index % 4]) is not None

    run_threads(8, work)


def test_an_invitations_session_cannot_mint_control_invitations(auth: AuthService) -> None:
    package = two_parties()
    facilitator, _, _ = auth.invitations.create_invitation(
        "run-1", package, "Fran", Role.FACILITATOR, created_by="account:acc-1"
    )
    by_invitation = f"invite:{facilitator.id}"
    for role in (Role.FACILITATOR, Role.EVALUATOR):
        with pytest.raises(AuthError) as caught:
            auth.invitations.create_invitation(
                "run-1", package, "Eve", role, created_by=by_invitation
            )
        assert (caught.value.field, caught.value.status) == ("role", 403)
    player, _, code = auth.invitations.create_invitation(
        "run-1", package, "Pat", Role.PLAYER, team="brn-nsc", created_by=by_invitation
    )
    auth.invitations.revoke_invitation(facilitator.id)
    with pytest.raises(AuthError) as revoked:
        auth.invitations.redeem_code(code)
    assert revoked.value.reason == "revoked"
    with pytest.raises(AuthError):  # nor can a revoked one invite anybody
        auth.invitations.create_invitation(
            "run-1", package, "Obi", Role.OBSERVER, created_by=by_invitation
        )
    assert auth.invitations.get_invitation(player.id).revoked_at is not None


def test_a_single_use_link_signs_in_once_on_every_store(auth: AuthService) -> None:
    package = two_parties()
    made, link, code = auth.invitations.create_invitation(
        "run-1", package, "Pat", Role.PLAYER, team="brn-nsc"
    )
    assert made.single_use  # the default for players
    cookie = auth.sessions.create(auth.invitations.redeem_link(link, device="browser-one"))
    for redeem, value in (
        (auth.invitations.redeem_link, link),
        (auth.invitations.redeem_code, code),
    ):
        with pytest.raises(AuthError) as caught:
            redeem(value)
        assert (caught.value.reason, caught.value.status) == ("used", 410)
        assert "new link" in caught.value.message
    assert auth.sessions.resolve(cookie) == principal_for(made)  # the first one stays in


def test_a_device_bound_invitation_refuses_a_second_device(auth: AuthService) -> None:
    package = two_parties()
    _, link, code = auth.invitations.create_invitation(
        "run-1", package, "Obi", Role.OBSERVER, bind_device=True
    )
    auth.invitations.redeem_link(link, device="browser-one")
    auth.invitations.redeem_code(code, device="browser-one")  # the same browser again
    for device in ("browser-two", None):
        with pytest.raises(AuthError) as caught:
            auth.invitations.redeem_link(link, device=device)
        assert caught.value.status == 403
    assert "ask control for a new link" in caught.value.message or "cookies" in (
        caught.value.message
    )


# -- opening --------------------------------------------------------------------------


def test_the_store_shares_the_recorders_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    recorder = open_recorder(url)
    try:
        recorder.create_run("run-1", "Day 1", "{}", "0" * 64)
        auth = open_auth(url, SECRET)
        try:
            auth.store.add_account(account(), "hash")
            assert auth.store.get_account("acc-1") == account()
        finally:
            auth.close()
        assert recorder.get_run("run-1") is not None
    finally:
        recorder.close()


def test_a_bare_path_opens_sqlite_and_closing_twice_is_harmless(tmp_path: Path) -> None:
    store = open_auth_store(str(tmp_path / "bare.db"))
    store.add_account(account(), "hash")
    store.close()
    store.close()
    reopened = open_auth_store(f"sqlite:///{tmp_path / 'bare.db'}")
    try:
        assert reopened.get_account("acc-1") == account()
    finally:
        reopened.close()


@pytest.mark.parametrize("url", ["", "sqlite://", "sqlite:///:memory:", "mysql://db/x"])
def test_an_unusable_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError):
        open_auth_store(url)


def test_open_auth_refuses_a_short_secret_before_touching_the_database(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="secret"):
        open_auth(f"sqlite:///{tmp_path / 'never.db'}", b"short")
    assert not (tmp_path / "never.db").exists()


def test_a_timestamp_in_utc_stays_utc(store: AuthStore) -> None:
    made = replace(account(), created_at=datetime(2027, 1, 1, tzinfo=UTC))
    store.add_account(made, "hash")
    found = store.get_account(made.id)
    assert found is not None and found.created_at.tzinfo is not None


def _old_database(url: str) -> None:
    """A database at revision 0002 (before invitation use and token scopes) with rows in it."""
    from alembic import command

    from sitroom.storage.migrations import alembic_config

    if url.startswith("sqlite"):
        import sqlite3

        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        path = url.removeprefix("sqlite:///")
        engine = create_engine(
            "sqlite://", creator=lambda: sqlite3.connect(path), poolclass=NullPool
        )
    else:
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        engine = create_engine(
            "postgresql+psycopg://", creator=lambda: psycopg.connect(url), poolclass=NullPool
        )
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "0002")
            stamp = "2027-03-04T09:00:00.000000Z" if url.startswith("sqlite") else START
            connection.exec_driver_sql(
                "INSERT INTO accounts (id, username, username_key, display_name, role,"
                " password_hash, created_at) VALUES ('acc-1', 'old', 'old', 'Old', 'admin',"
                " 'hash', %s)"
                if not url.startswith("sqlite")
                else "INSERT INTO accounts (id, username, username_key, display_name, role,"
                " password_hash, created_at) VALUES ('acc-1', 'old', 'old', 'Old', 'admin',"
                " 'hash', ?)",
                (stamp,),
            )
            connection.exec_driver_sql(
                "INSERT INTO api_tokens (id, account_id, name, token_hash, hint, created_at)"
                " VALUES ('tok-1', 'acc-1', 'old script', 'h1', 'srt_abcd', %s)"
                if not url.startswith("sqlite")
                else "INSERT INTO api_tokens (id, account_id, name, token_hash, hint, created_at)"
                " VALUES ('tok-1', 'acc-1', 'old script', 'h1', 'srt_abcd', ?)",
                (stamp,),
            )
            connection.exec_driver_sql(
                "INSERT INTO invitations (id, run_id, display_name, role, team, party, language,"
                " code_hash, created_by, created_at, expires_at) VALUES ('inv-1', 'run-1',"
                " 'Pat', 'player', 'ald-nsc', 'ald', 'en', 'code-1', 'account:acc-1', %s, %s)"
                if not url.startswith("sqlite")
                else "INSERT INTO invitations (id, run_id, display_name, role, team, party,"
                " language, code_hash, created_by, created_at, expires_at) VALUES ('inv-1',"
                " 'run-1', 'Pat', 'player', 'ald-nsc', 'ald', 'en', 'code-1', 'account:acc-1',"
                " ?, ?)",
                (stamp, stamp),
            )
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "backend_name", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_a_database_from_before_revision_0005_upgrades_and_keeps_its_rows(
    backend_name: str, tmp_path: Path
) -> None:
    # A database of its own: rewinding the session's shared database to 0002 would drop the
    # tables of every later revision under the other tests.
    with ExitStack() as stack:
        if backend_name == "sqlite":
            url = f"sqlite:///{tmp_path / 'old.db'}"
        else:
            url = stack.enter_context(fresh_database())
        _old_database(url)
        store = open_auth_store(url)
        try:
            found = store.get_api_token("h1")
            assert found is not None and found[0].scope == TokenScope.ADMIN  # old tokens keep power
            old = store.get_invitation("inv-1")
            assert old is not None
            assert (old.single_use, old.bind_device, old.used_at, old.device_hash) == (
                False,
                False,
                None,
                None,
            )
            assert store.claim_invitation("inv-1", START, None)
        finally:
            store.close()
