"""Who a single sign-on lets in and as what: the allow-list, the role mapping, the settings."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sitroom.auth import Account, AuthError, MemoryAuthStore
from sitroom.auth.errors import SignOnRefused
from sitroom.auth.oidc import OidcConfig, OpenIdConnect
from sitroom.auth.passwords import Passwords
from sitroom.auth.signon import NO_PASSWORD, SignOn, SignOnAccounts, SignOnPolicy
from sitroom.conduct.principal import Role
from sitroom.config import load_settings

ISSUER = "https://id.aldoria.example"


def signed(subject: str = "sub-1", **claims: Any) -> SignOn:
    return SignOn(issuer=ISSUER, subject=subject, claims={"sub": subject, **claims}, id_token="t")


POLICY = SignOnPolicy(roles=(("staff", Role.FACILITATOR), ("admins", Role.ADMIN)))


def test_the_highest_role_of_the_groups_wins() -> None:
    assert POLICY.role(signed(groups=["staff"])) == Role.FACILITATOR
    assert POLICY.role(signed(groups=["staff", "admins"])) == Role.ADMIN
    assert POLICY.role(signed(groups=["liaison"])) is None
    assert POLICY.role(signed()) is None


def test_groups_may_sit_in_a_nested_claim_or_a_space_separated_text() -> None:
    keycloak = SignOnPolicy(roles=(("excon", Role.FACILITATOR),), groups_claim="realm_access.roles")
    assert keycloak.role(signed(realm_access={"roles": ["excon"]})) == Role.FACILITATOR
    assert POLICY.role(signed(groups="liaison staff")) == Role.FACILITATOR


def test_the_allow_list_admits_by_verified_domain_subject_or_group() -> None:
    allow = SignOnPolicy(
        allowed_domains=("aldoria.example",),
        allowed_subjects=("sub-7",),
        allowed_groups=("guests",),
    )
    allow.admits(signed(email="Ines@Aldoria.example"))
    allow.admits(signed("sub-7"))
    allow.admits(signed(groups=["guests"]))
    with pytest.raises(SignOnRefused) as refused:
        allow.admits(signed(email="ines@aldoria.example", email_verified=False))
    assert refused.value.kind == "not-allowed"
    with pytest.raises(SignOnRefused):
        allow.admits(signed(email="mallory@elsewhere.example"))
    SignOnPolicy().admits(signed(email="anyone@anywhere.example"))  # empty lists: everyone


def test_an_account_made_by_sign_on_has_no_password_that_verifies() -> None:
    store = MemoryAuthStore()
    accounts = SignOnAccounts(store, POLICY)
    made = accounts.account_for(signed(groups=["staff"], preferred_username="ines"))
    assert made.username == "ines" and made.role == Role.FACILITATOR
    found = store.find_account("ines")
    assert found is not None and found[1] == NO_PASSWORD
    passwords = Passwords()
    for guess in ("", NO_PASSWORD, "!single-sign-on", "ines"):
        assert not passwords.verify(found[1], guess)


def test_a_name_the_provider_sends_never_takes_over_a_local_account() -> None:
    store = MemoryAuthStore()
    local = Account(
        id="local",
        username="admin",
        display_name="Admin",
        role=Role.ADMIN,
        created_at=datetime.now(UTC),
    )
    store.add_account(local, "hash")
    made = SignOnAccounts(store, POLICY).account_for(
        signed(groups=["admins"], preferred_username="admin", email="admin@aldoria.example")
    )
    assert made.id != "local" and made.username == "admin@aldoria.example"


def test_the_settings_say_what_is_wrong(tmp_path: Path) -> None:
    env = {"SITROOM_DATA_DIR": str(tmp_path), "SITROOM_OIDC_ISSUER": ISSUER}
    with pytest.raises(ValueError, match="SITROOM_OIDC_CLIENT_ID"):
        load_settings(env)
    env["SITROOM_OIDC_CLIENT_ID"] = "sitroom"
    with pytest.raises(ValueError, match="SITROOM_OIDC_ROLES: 'staff=player'"):
        load_settings({**env, "SITROOM_OIDC_ROLES": "staff=player"})
    with pytest.raises(ValueError, match="must include 'openid'"):
        load_settings({**env, "SITROOM_OIDC_SCOPES": "email profile"})
    settings = load_settings({**env, "SITROOM_OIDC_ROLES": "a=admin, b c=facilitator"})
    assert settings.oidc_roles == (("a", "admin"), ("b c", "facilitator"))
    assert load_settings({"SITROOM_DATA_DIR": str(tmp_path)}).oidc_issuer == ""  # off


@pytest.mark.parametrize(
    "issuer", ["http://id.aldoria.example", "ftp://id.aldoria.example", "https://"]
)
def test_a_provider_must_be_https_except_on_loopback(issuer: str) -> None:
    with pytest.raises(ValueError, match="https"):
        OpenIdConnect(OidcConfig(issuer, "sitroom", "s", "https://x/cb"), MemoryAuthStore())
    OpenIdConnect(
        OidcConfig("http://127.0.0.1:9", "sitroom", "s", "https://x/cb"), MemoryAuthStore()
    )


def test_a_refusal_is_an_auth_error_with_a_kind() -> None:
    refused = SignOnRefused("no-role", "no group")
    assert isinstance(refused, AuthError) and refused.status == 403
    assert SignOnRefused("provider", "down").status == 503
