"""Invitations: signed links, join codes, teams and parties, expiry and revocation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sitroom.auth import (
    AuthError,
    Invitation,
    Invitations,
    MemoryAuthStore,
    RateLimiter,
    SessionManager,
    TooManyAttempts,
    format_join_code,
    normalise_join_code,
    principal_for,
)
from sitroom.auth.invitations import JOIN_CODE_ALPHABET
from sitroom.conduct.principal import Role
from sitroom.package.model import Package
from tests.support.auth import SECRET, FakeClock
from tests.support.packages import two_parties

RUN = "run-1"


@pytest.fixture(scope="module")
def package() -> Package:
    return two_parties()


class Room:
    """Invitations and sessions on one in-memory store and one clock."""

    def __init__(self, secret: bytes = SECRET, ttl: timedelta = timedelta(days=7)) -> None:
        self.clock = FakeClock()
        self.store = MemoryAuthStore()
        self.invitations = Invitations(self.store, secret, clock=self.clock, ttl=ttl)
        self.sessions = SessionManager(self.store, clock=self.clock)

    def invite_player(
        self, package: Package, team: str = "ald-nsc", *, single_use: bool = False
    ) -> tuple[Invitation, str, str]:
        """A player's invitation; reusable unless asked, so a test can redeem it twice."""
        return self.invitations.create_invitation(
            RUN,
            package,
            "Pat Player",
            Role.PLAYER,
            team=team,
            created_by="account:a1",
            single_use=single_use,
        )


BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def flip(text: str, index: int) -> str:
    """Change one character so that a decoded bit changes (never only padding bits)."""
    old = text[index]
    new = BASE64[(BASE64.index(old) + 32) % 64] if old in BASE64 else "A"
    return text[:index] + new + text[index + 1 :]


def test_a_player_invitation_takes_its_party_from_the_team(package: Package) -> None:
    room = Room()
    invitation, token, code = room.invite_player(package, "brn-nsc")
    assert (invitation.role, invitation.team, invitation.party) == (Role.PLAYER, "brn-nsc", "brn")
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    assert invitation.created_by == "account:a1"
    assert invitation.id not in token.split(".")[0]  # not a bare, guessable id
    assert room.invitations.redeem_link(token).id == invitation.id
    assert room.invitations.redeem_code(code).id == invitation.id
    assert [i.id for i in room.invitations.list_invitations(RUN)] == [invitation.id]
    assert room.invitations.list_invitations("run-2") == []


def test_a_join_code_is_eight_unambiguous_characters(package: Package) -> None:
    room = Room()
    for _ in range(20):
        _, _, code = room.invite_player(package)
        assert len(code) == 9 and code[4] == "-"
        assert set(code.replace("-", "")) <= set(JOIN_CODE_ALPHABET)
    assert not set("0O1IL") & set(JOIN_CODE_ALPHABET)


@pytest.mark.parametrize(
    "typed", ["abcd efgh", "ABCD-EFGH", "abcdefgh", " AbCd - eFgH ", "ABCD–EFGH"]
)
def test_join_codes_ignore_case_dashes_and_spaces(typed: str) -> None:
    assert normalise_join_code(typed) == "ABCDEFGH"
    assert format_join_code("ABCDEFGH") == "ABCD-EFGH"


@pytest.mark.parametrize(
    "typed", ["", "ABCD-EFG", "ABCD-EFGHJ", "ABCD-EFG0", "ABCD-EFGI", "x" * 500]
)
def test_a_malformed_join_code_is_not_a_code(typed: str) -> None:
    assert normalise_join_code(typed) is None


def test_a_typed_code_in_any_form_redeems(package: Package) -> None:
    room = Room()
    invitation, _, code = room.invite_player(package)
    sloppy = code.lower().replace("-", " ")
    assert room.invitations.redeem_code(sloppy).id == invitation.id
    assert room.invitations.redeem_code(code.replace("-", "")).id == invitation.id


def test_a_tampered_link_is_rejected(package: Package) -> None:
    room = Room()
    _, token, _ = room.invite_player(package)
    for index in range(len(token)):
        with pytest.raises(AuthError) as caught:
            room.invitations.redeem_link(flip(token, index))
        assert (caught.value.field, caught.value.reason) == ("token", "unknown")
    for junk in ("", "abc", token + "x", "x" * 2000):
        with pytest.raises(AuthError):
            room.invitations.redeem_link(junk)


def test_a_link_signed_with_another_secret_is_rejected(package: Package) -> None:
    room = Room()
    invitation, _, _ = room.invite_player(package)
    other = Invitations(room.store, b"another-secret-also-long-enough")
    with pytest.raises(AuthError) as caught:
        room.invitations.redeem_link(other.link_token(invitation.id))
    assert caught.value.reason == "unknown"


def test_a_well_signed_link_to_no_invitation_is_unknown() -> None:
    room = Room()
    with pytest.raises(AuthError) as caught:
        room.invitations.redeem_link(room.invitations.link_token("no-such-id"))
    assert "not valid" in caught.value.message


def test_an_invitation_expires_for_link_and_code(package: Package) -> None:
    room = Room(ttl=timedelta(hours=2))
    invitation, token, code = room.invite_player(package)
    room.clock.advance(hours=1, minutes=59)
    assert room.invitations.redeem_link(token).id == invitation.id
    room.clock.advance(minutes=1)
    for redeem, value, field in (
        (room.invitations.redeem_link, token, "token"),
        (room.invitations.redeem_code, code, "code"),
    ):
        with pytest.raises(AuthError) as caught:
            redeem(value)
        assert (caught.value.field, caught.value.reason) == (field, "expired")
        assert "expired on 2027-03-04 11:00 UTC" in caught.value.message


def test_an_invitation_can_be_given_its_own_lifetime(package: Package) -> None:
    room = Room()
    invitation, _, _ = room.invitations.create_invitation(
        RUN, package, "Dana", Role.DISPLAY, expires_in=timedelta(days=3)
    )
    assert invitation.expires_at == room.clock.now + timedelta(days=3)
    with pytest.raises(AuthError) as caught:
        room.invitations.create_invitation(
            RUN, package, "Dana", Role.DISPLAY, expires_in=timedelta(0)
        )
    assert caught.value.field == "expires_in"


def test_revocation_kills_link_code_and_open_sessions(package: Package) -> None:
    room = Room()
    invitation, token, code = room.invite_player(package)
    session = room.sessions.create(room.invitations.redeem_link(token))
    other, _, _ = room.invite_player(package)
    other_session = room.sessions.create(other)
    assert room.sessions.resolve(session) == principal_for(invitation)

    revoked = room.invitations.revoke_invitation(invitation.id)

    assert revoked.revoked_at == room.clock.now
    for redeem, value in (
        (room.invitations.redeem_link, token),
        (room.invitations.redeem_code, code),
    ):
        with pytest.raises(AuthError) as caught:
            redeem(value)
        assert caught.value.reason == "revoked"
        assert "withdrawn" in caught.value.message
    assert room.sessions.resolve(session) is None
    assert room.sessions.resolve(other_session) == principal_for(other)
    with pytest.raises(AuthError):
        room.sessions.create(revoked)


def test_revoking_twice_keeps_the_first_time_and_unknown_ids_are_named(package: Package) -> None:
    room = Room()
    invitation, _, _ = room.invite_player(package)
    first = room.invitations.revoke_invitation(invitation.id)
    room.clock.advance(minutes=5)
    assert room.invitations.revoke_invitation(invitation.id).revoked_at == first.revoked_at
    with pytest.raises(AuthError) as caught:
        room.invitations.revoke_invitation("nope")
    assert (caught.value.field, caught.value.reason) == ("invitation", "unknown")


def test_a_new_join_code_replaces_the_old_one(package: Package) -> None:
    room = Room()
    invitation, token, old = room.invite_player(package)
    new = room.invitations.new_join_code(invitation.id)
    assert new != old
    assert room.invitations.redeem_code(new).id == invitation.id
    with pytest.raises(AuthError) as caught:
        room.invitations.redeem_code(old)
    assert caught.value.reason == "unknown"
    assert room.invitations.redeem_link(token).id == invitation.id  # the link still works


def test_an_unknown_team_is_refused_naming_the_player_teams(package: Package) -> None:
    room = Room()
    with pytest.raises(AuthError) as caught:
        room.invite_player(package, team="cyber-cell")
    assert caught.value.field == "team"
    assert "'cyber-cell'" in caught.value.message
    assert "ald-nsc, brn-nsc" in caught.value.message
    assert room.invitations.list_invitations(RUN) == []


@pytest.mark.parametrize(
    ("role", "team", "party", "field", "words"),
    [
        (Role.PLAYER, None, None, "team", "needs a team"),
        (Role.PLAYER, "excon", None, "team", "control team"),
        (Role.PLAYER, "ald-nsc", "brn", "party", "belongs to party 'ald'"),
        (Role.OBSERVER, None, "zzz", "party", "ald, brn"),
        (Role.DISPLAY, "ald-nsc", None, "team", "not a team"),
        (Role.EVALUATOR, "ald-nsc", None, "team", "no team"),
        (Role.FACILITATOR, None, "ald", "party", "no party"),
        (Role.ADMIN, None, None, "role", "cannot grant 'admin'"),
        ("umpire", None, None, "role", "cannot grant 'umpire'"),
    ],
)
def test_a_role_gets_only_the_team_and_party_it_can_have(
    package: Package, role: Role | str, team: str | None, party: str | None, field: str, words: str
) -> None:
    room = Room()
    with pytest.raises(AuthError) as caught:
        room.invitations.create_invitation(RUN, package, "Sam", role, team=team, party=party)
    assert caught.value.field == field
    assert words in caught.value.message


@pytest.mark.parametrize(
    ("role", "team", "party", "expected"),
    [
        (Role.OBSERVER, "brn-nsc", None, ("brn-nsc", "brn")),
        (Role.OBSERVER, None, "ald", (None, "ald")),
        (Role.OBSERVER, None, None, (None, None)),
        (Role.DISPLAY, None, "brn", (None, "brn")),
        (Role.DISPLAY, "", "", (None, None)),
        (Role.EVALUATOR, None, None, (None, None)),
        (Role.FACILITATOR, None, None, (None, None)),
        ("player", "ald-nsc", "ald", ("ald-nsc", "ald")),
    ],
)
def test_roles_are_placed_in_their_team_and_party(
    package: Package,
    role: Role | str,
    team: str | None,
    party: str | None,
    expected: tuple[str | None, str | None],
) -> None:
    room = Room()
    invitation, _, _ = room.invitations.create_invitation(
        RUN, package, "Sam", role, team=team, party=party, language="ko"
    )
    assert (invitation.team, invitation.party) == expected
    assert invitation.language == "ko"


@pytest.mark.parametrize(
    ("name", "language", "run_id", "field"),
    [("", "en", RUN, "display_name"), ("Sam", "de", RUN, "language"), ("Sam", "en", "", "run_id")],
)
def test_other_bad_invitation_fields_are_named(
    package: Package, name: str, language: str, run_id: str, field: str
) -> None:
    room = Room()
    with pytest.raises(AuthError) as caught:
        room.invitations.create_invitation(run_id, package, name, Role.OBSERVER, language=language)
    assert caught.value.field == field


def test_an_invitation_acts_as_an_invite_principal(package: Package) -> None:
    room = Room()
    invitation, _, _ = room.invite_player(package)
    assert principal_for(invitation).id == f"invite:{invitation.id}"
    assert principal_for(invitation).role == Role.PLAYER
    assert principal_for(invitation).name == "Pat Player"
    assert (principal_for(invitation).team, principal_for(invitation).party) == ("ald-nsc", "ald")


def test_failed_codes_from_one_client_are_throttled(package: Package) -> None:
    room = Room()
    limiter = RateLimiter(limit=3, window=timedelta(minutes=1), clock=room.clock)
    invitations = Invitations(room.store, SECRET, clock=room.clock, limiter=limiter)
    invitation, _, code = invitations.create_invitation(
        RUN, package, "Pat", Role.PLAYER, team="ald-nsc", single_use=False
    )
    for wrong in ("AAAA-AAAA", "BBBB-BBBB", "nonsense"):
        with pytest.raises(AuthError):
            invitations.redeem_code(wrong, client="10.0.0.7")
    with pytest.raises(TooManyAttempts) as caught:
        invitations.redeem_code(code, client="10.0.0.7")  # even the right code must wait
    assert (caught.value.field, caught.value.status) == ("code", 429)
    assert caught.value.retry_after == 60
    assert invitations.redeem_code(code, client="10.0.0.8").id == invitation.id
    room.clock.advance(minutes=1)
    assert invitations.redeem_code(code, client="10.0.0.7").id == invitation.id


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        Invitations(MemoryAuthStore(), b"short")


def test_checking_a_single_use_link_does_not_use_it(package: Package) -> None:
    room = Room()
    invitation, token, _ = room.invite_player(package, single_use=True)
    for _ in range(3):  # a page shown three times (a reload, a link preview) uses nothing
        assert room.invitations.check_link(token).id == invitation.id
    assert room.invitations.get_invitation(invitation.id).used_at is None
    assert room.invitations.redeem_link(token, device="d1").id == invitation.id
    with pytest.raises(AuthError) as caught:
        room.invitations.check_link(token)
    assert (caught.value.field, caught.value.reason) == ("token", "used")


def test_checking_a_device_bound_link_binds_no_device(package: Package) -> None:
    room = Room()
    invitation, token, _ = room.invitations.create_invitation(
        RUN, package, "Oda", Role.OBSERVER, bind_device=True
    )
    assert room.invitations.check_link(token).id == invitation.id  # a new browser may join
    assert room.invitations.check_link(token, device="phone").id == invitation.id
    assert room.invitations.get_invitation(invitation.id).device_hash is None
    room.invitations.redeem_link(token, device="laptop")
    assert room.invitations.check_link(token, device="laptop").id == invitation.id
    for other in ("phone", None):
        with pytest.raises(AuthError) as caught:
            room.invitations.check_link(token, device=other)
        assert caught.value.reason == "denied"


def test_checking_a_link_names_what_is_wrong_with_it(package: Package) -> None:
    room = Room()
    invitation, token, _ = room.invite_player(package)
    with pytest.raises(AuthError) as forged:
        room.invitations.check_link(token[:-2] + "xx")
    assert forged.value.reason == "unknown"
    room.invitations.revoke_invitation(invitation.id)
    with pytest.raises(AuthError) as revoked:
        room.invitations.check_link(token)
    assert revoked.value.reason == "revoked"
