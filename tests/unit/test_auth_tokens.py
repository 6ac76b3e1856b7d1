"""API tokens: shown once, stored hashed, resolved to their account, revocable."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sitroom.auth import (
    API_TOKEN_PREFIX,
    Accounts,
    ApiTokens,
    AuthError,
    MemoryAuthStore,
    TokenScope,
    parse_duration,
    principal_for_account,
)
from sitroom.auth.keys import token_digest
from sitroom.conduct.principal import Role
from tests.support.auth import FakeClock, cheap_passwords


class Bench:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.store = MemoryAuthStore()
        self.accounts = Accounts(self.store, passwords=cheap_passwords(), clock=self.clock)
        self.tokens = ApiTokens(self.store, clock=self.clock)
        self.account = self.accounts.create_account(
            "ops", "Ops Script", "correct horse battery", Role.FACILITATOR
        )


def test_a_token_resolves_to_its_account_until_revoked() -> None:
    bench = Bench()
    record, raw = bench.tokens.create_api_token(bench.account.id, "nightly export")
    assert raw.startswith(API_TOKEN_PREFIX)
    assert len(raw) > 40
    assert record.hint == raw[:8]
    assert bench.tokens.resolve_api_token(raw) == principal_for_account(bench.account)
    bench.tokens.revoke_api_token(record.id)
    assert bench.tokens.resolve_api_token(raw) is None
    assert bench.tokens.list_api_tokens(bench.account.id)[0].revoked_at == bench.clock.now


def test_the_raw_token_is_never_stored_or_listed() -> None:
    bench = Bench()
    record, raw = bench.tokens.create_api_token(bench.account.id, "nightly export")
    listed = bench.tokens.list_api_tokens(bench.account.id)
    assert listed == [record]
    assert raw not in repr(listed)
    assert bench.store.get_api_token(raw) is None
    assert bench.store.get_api_token(token_digest(raw)) is not None


@pytest.mark.parametrize(
    "raw", [None, "", "srt_", "srt_made-up", "ghp_something", "srt_" + "x" * 1000]
)
def test_a_made_up_token_resolves_to_nobody(raw: str | None) -> None:
    assert Bench().tokens.resolve_api_token(raw) is None


def test_a_token_expires_and_a_disabled_account_stops_its_tokens() -> None:
    bench = Bench()
    _, short = bench.tokens.create_api_token(
        bench.account.id, "one hour", expires_in=timedelta(hours=1)
    )
    _, lasting = bench.tokens.create_api_token(bench.account.id, "lasting")
    bench.clock.advance(hours=1)
    assert bench.tokens.resolve_api_token(short) is None
    assert bench.tokens.resolve_api_token(lasting) is not None
    bench.accounts.set_disabled(bench.account.id, True)
    assert bench.tokens.resolve_api_token(lasting) is None
    with pytest.raises(AuthError):
        bench.tokens.create_api_token(bench.account.id, "new")


def test_an_account_can_only_revoke_its_own_tokens() -> None:
    bench = Bench()
    other = bench.accounts.create_account("eve", "Eve", "correct horse battery")
    record, raw = bench.tokens.create_api_token(bench.account.id, "mine")
    with pytest.raises(AuthError) as caught:
        bench.tokens.revoke_api_token(record.id, account_id=other.id)
    assert caught.value.reason == "unknown"
    assert bench.tokens.resolve_api_token(raw) is not None
    bench.tokens.revoke_api_token(record.id, account_id=bench.account.id)
    assert bench.tokens.resolve_api_token(raw) is None


def test_use_is_recorded_at_most_once_a_minute() -> None:
    bench = Bench()
    _, raw = bench.tokens.create_api_token(bench.account.id, "script")
    bench.tokens.resolve_api_token(raw)
    first = bench.clock.now
    bench.clock.advance(seconds=20)
    bench.tokens.resolve_api_token(raw)
    assert bench.tokens.list_api_tokens()[0].last_used_at == first


def test_bad_token_requests_name_their_field() -> None:
    bench = Bench()
    with pytest.raises(AuthError) as unknown:
        bench.tokens.create_api_token("nobody", "x")
    assert (unknown.value.field, unknown.value.reason) == ("account", "unknown")
    with pytest.raises(AuthError) as unnamed:
        bench.tokens.create_api_token(bench.account.id, " ")
    assert unnamed.value.field == "name"
    with pytest.raises(AuthError) as missing:
        bench.tokens.revoke_api_token("nope")
    assert missing.value.field == "token"


def test_a_token_carries_its_scope_and_the_default_is_read() -> None:
    bench = Bench()
    _, reader = bench.tokens.create_api_token(bench.account.id, "report")
    _, writer = bench.tokens.create_api_token(bench.account.id, "sync", scope="WRITE")
    found = bench.tokens.identify(reader), bench.tokens.identify(writer)
    assert [f.scope if f else None for f in found] == [TokenScope.READ, TokenScope.WRITE]
    with pytest.raises(AuthError) as caught:
        bench.tokens.create_api_token(bench.account.id, "x", scope="root")
    assert caught.value.field == "scope" and "read, write, admin" in caught.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", timedelta(days=30)),
        ("12h", timedelta(hours=12)),
        ("90m", timedelta(minutes=90)),
        ("2w", timedelta(weeks=2)),
        (" 7D ", timedelta(days=7)),
        ("never", None),
    ],
)
def test_a_token_lifetime_is_read_from_a_short_duration(
    text: str, expected: timedelta | None
) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "0d", "30", "d", "30 days", "-1d", "1y"])
def test_a_lifetime_that_is_not_a_duration_is_refused(text: str) -> None:
    with pytest.raises(AuthError) as caught:
        parse_duration(text)
    assert caught.value.field == "expires" and "30d" in caught.value.message
