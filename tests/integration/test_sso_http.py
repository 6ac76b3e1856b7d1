"""Single sign-on over real HTTP: sitroom and an OpenID Connect provider, each its own server.

The provider (`tests.support.oidc_provider`) runs as a separate process with a login form,
PKCE, key rotation and faults the tests ask for; a client with a cookie jar plays the
browser. Nothing of sitroom's client side is patched.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from sitroom.auth import open_auth_store
from sitroom.auth.oidc import JWKS_REFETCHES
from sitroom.conduct.principal import Role
from tests.support.oidc import (
    USERS,
    Provider,
    provider_login,
    running_provider,
    sign_on,
    sign_on_env,
)
from tests.support.server import create_admin, running_server, sign_in

ADMIN_PASSWORD = "local-admin-password"


@dataclass
class Site:
    base: str
    data: Path
    provider: Provider
    opened: list[httpx.Client] = field(default_factory=list)

    def browser(self, lang: str = "en") -> httpx.Client:
        """A fresh browser: its own cookie jar (closed at the end of the test)."""
        client = httpx.Client(base_url=self.base, timeout=30)
        client.cookies.set("sitroom_lang", lang)
        self.opened.append(client)
        return client

    def close_browsers(self) -> None:
        while self.opened:
            self.opened.pop().close()

    def account_of(self, username: str) -> Any:
        store = open_auth_store(f"sqlite:///{self.data / 'sitroom.db'}")
        try:
            found = store.find_linked_identity(self.provider.base, USERS[username]["sub"])
            return None if found is None else found[1]
        finally:
            store.close()


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    with running_provider(tmp_path_factory.mktemp("provider")) as running:
        yield running


@pytest.fixture(scope="module")
def site(provider: Provider, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data = tmp_path_factory.mktemp("site")
    create_admin(data, ADMIN_PASSWORD)
    with running_server(data, **sign_on_env(provider)) as base:
        provider.register(base)
        yield Site(base, data, provider)


@pytest.fixture(autouse=True)
def _close_browsers(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    for name in ("site", "strict_site"):
        if name in request.fixturenames:
            request.getfixturevalue(name).close_browsers()


def _signed_in(client: httpx.Client) -> bool:
    return client.get("/api/runs").status_code == 200


def test_sign_in_page_offers_the_provider_next_to_the_local_form(site: Site) -> None:
    page = site.browser().get("/signin").text
    assert "Sign in with Aldoria ID" in page
    assert 'action="/signin"' in page  # local accounts stay, for air-gapped use


def test_first_sign_on_creates_an_account_with_the_role_of_the_groups(site: Site) -> None:
    ines = site.browser()
    answer = sign_on(ines, "ines", "ines-password")
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    assert _signed_in(ines)
    account = site.account_of("ines")
    assert account.role == Role.FACILITATOR and account.display_name == "Ines Varga"
    olaf = site.browser()
    sign_on(olaf, "olaf", "olaf-password")
    assert site.account_of("olaf").role == Role.ADMIN  # the highest of his groups


def test_the_account_is_keyed_by_issuer_and_subject_not_by_name(site: Site) -> None:
    sign_on(site.browser(), "ines", "ines-password")
    first = site.account_of("ines")
    renamed = {**USERS["ines"], "name": "Ines Varga-Holm", "preferred_username": "admin"}
    site.provider.put_user("ines", renamed)
    try:
        sign_on(site.browser(), "ines", "ines-password")
        again = site.account_of("ines")
        assert again.id == first.id and again.display_name == "Ines Varga-Holm"
        assert again.username != "admin"  # never the local admin's account
    finally:
        site.provider.put_user("ines", USERS["ines"])


def test_roles_are_evaluated_again_at_every_sign_in(site: Site) -> None:
    petra = {**USERS["petra"], "groups": ["exercise-admins"]}
    site.provider.put_user("petra", petra)
    try:
        browser = site.browser()
        sign_on(browser, "petra", "petra-password")
        assert site.account_of("petra").role == Role.ADMIN
        site.provider.put_user("petra", {**petra, "groups": ["excon-staff"]})
        sign_on(site.browser(), "petra", "petra-password")
        assert site.account_of("petra").role == Role.FACILITATOR
        # The audit trail names the new account, each sign-in, and the change of role.
        events = [json.loads(line) for line in (site.data / "audit.jsonl").read_text().splitlines()]
        petra_id = f"account:{site.account_of('petra').id}"
        mine = [e for e in events if (e.get("actor") or {}).get("id") == petra_id]
        kinds = [e["type"] for e in mine]
        assert "account-created" in kinds and kinds.count("sign-in") >= 2
        (changed,) = [e for e in mine if e["type"] == "role-changed"]
        assert changed["details"]["previous"] == "admin"
        assert changed["details"]["role"] == "facilitator"
        site.provider.put_user("petra", {**petra, "groups": ["brenland-liaison"]})
        refused = sign_on(site.browser("ko"), "petra", "petra-password")
        assert refused.status_code == 403
        assert "역할" in refused.text  # the Korean message: no group gives a role
        assert not _signed_in(browser)  # out of every mapped group: her sessions end
    finally:
        site.provider.put_user("petra", USERS["petra"])


@pytest.mark.parametrize(
    ("fault", "why"),
    [
        ({"iss": "https://id.brenland.example"}, "another issuer"),
        ({"aud": "someone-else"}, "another audience"),
        ({"nonce": "not-the-nonce"}, "a nonce of another sign-in"),
        ({"exp_offset": -300}, "expired"),
        ({"iat_offset": 3600, "exp_offset": 7200}, "issued in the future"),
        ({"foreign_key": True}, "signed with a key the provider does not publish"),
        ({"foreign_key": True, "kid": "current"}, "a published key id, another key"),
    ],
)
def test_a_forged_or_stale_id_token_signs_nobody_in(
    site: Site, fault: dict[str, Any], why: str
) -> None:
    if fault.get("kid") == "current":
        fault = {**fault, "kid": site.provider.stats()["kids"][-1]}
    site.provider.tamper(**fault)
    browser = site.browser()
    refused = sign_on(browser, "ines", "ines-password")
    assert refused.status_code == 403, why
    assert "did not pass sitroom's checks" in refused.text
    assert "sitroom_session" not in refused.headers.get("set-cookie", "")
    assert not _signed_in(browser), why


def test_a_state_is_good_once_and_only_in_the_browser_that_started_it(site: Site) -> None:
    browser = site.browser()
    start = browser.get("/signin/oidc")
    state_cookie = browser.cookies.get("sitroom_sso")
    callback = provider_login(start, "ines", "ines-password")
    path = callback.removeprefix(site.base)
    # Login CSRF: the callback URL sent to another browser (without the state cookie).
    victim = site.browser()
    refused = victim.get(path)
    assert refused.status_code == 403 and "not started in this browser" in refused.text
    assert not _signed_in(victim)
    assert browser.get(path).status_code == 303  # the browser that started it signs in
    # The same return again, even with the cookie put back: the state was used.
    replay = site.browser()
    replay.cookies.set("sitroom_sso", state_cookie or "", path="/signin/oidc")
    again = replay.get(path)
    assert again.status_code == 403 and "used already" in again.text
    assert not _signed_in(replay)


def test_a_sign_in_cancelled_at_the_provider_says_so(site: Site) -> None:
    browser = site.browser()
    callback = provider_login(browser.get("/signin/oidc"), "ines", "", action="cancel")
    refused = browser.get(callback)
    assert refused.status_code == 403 and "cancelled" in refused.text


def test_a_rotated_key_is_fetched_and_unknown_keys_fetch_a_bounded_number_of_times(
    site: Site,
) -> None:
    sign_on(site.browser(), "ines", "ines-password")
    before = site.provider.stats()["jwks_fetches"]
    site.provider.rotate(drop_old=True)
    browser = site.browser()
    assert sign_on(browser, "ines", "ines-password").status_code == 303
    assert _signed_in(browser)
    assert site.provider.stats()["jwks_fetches"] == before + 1
    fetched = site.provider.stats()["jwks_fetches"]
    for _ in range(JWKS_REFETCHES + 4):
        site.provider.tamper(foreign_key=True)
        assert sign_on(site.browser(), "ines", "ines-password").status_code == 403
    assert site.provider.stats()["jwks_fetches"] - fetched <= JWKS_REFETCHES


def test_sign_out_ends_the_session_here_and_at_the_provider(site: Site) -> None:
    browser = site.browser()
    sign_on(browser, "olaf", "olaf-password")
    out = browser.post("/signout", headers={"Origin": site.base})
    assert out.status_code == 303
    logout = urlsplit(out.headers["location"])
    assert f"{logout.scheme}://{logout.netloc}" == site.provider.base
    query = parse_qs(logout.query)
    assert query["post_logout_redirect_uri"] == [f"{site.base}/signin"]
    assert query["id_token_hint"][0].count(".") == 2
    assert not _signed_in(browser)  # ended here before the browser goes there
    back = httpx.get(out.headers["location"], timeout=10)
    assert back.status_code == 303 and back.headers["location"] == f"{site.base}/signin"
    assert site.provider.stats()["logouts"][-1]["sub"] == USERS["olaf"]["sub"]


def test_an_invitation_bound_to_an_identity_is_useless_to_anyone_else(site: Site) -> None:
    admin = sign_in(site.base, "admin", ADMIN_PASSWORD)
    site.opened.append(admin)
    created = admin.post("/api/runs", json={"example": "ransomware", "run_id": "bound"})
    assert created.status_code == 201, created.text
    reply = admin.post(
        "/api/runs/bound/invitations",
        json={"name": "Petra Lind", "role": "observer", "idp_email": USERS["petra"]["email"]},
    )
    assert reply.status_code == 201, reply.text
    invitation = reply.json()
    assert invitation["idp_email"] == USERS["petra"]["email"]
    token = invitation["link"].rsplit("/", 1)[1]
    # The forwarded link: its page points to the provider, and its button or code joins nobody.
    holder = site.browser()
    page = holder.get(f"/join/{token}")
    assert "Sign in with Aldoria ID to join" in page.text
    posted = holder.post(f"/join/{token}", headers={"Origin": site.base})
    assert posted.status_code == 403 and "bound to a person" in posted.text
    by_code = holder.post("/api/join", json={"code": invitation["code"]})
    assert by_code.status_code == 403
    assert not _signed_in(holder)
    # Someone else signed in at the provider, holding the link.
    mallory = site.browser()
    refused = sign_on(
        mallory, "mallory", "mallory-password", start=f"/signin/oidc?invitation={token}"
    )
    assert refused.status_code == 403 and "for another person" in refused.text
    assert mallory.get("/runs/bound").status_code == 303  # to the sign-in page
    # The person it is for.
    petra = site.browser()
    joined = sign_on(petra, "petra", "petra-password", start=f"/signin/oidc?invitation={token}")
    assert joined.status_code == 303 and joined.headers["location"] == "/runs/bound"
    assert petra.get("/runs/bound").headers["location"] == "/runs/bound/evaluate"


@pytest.fixture(scope="module")
def strict_site(provider: Provider, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A server that admits only aldoria.example addresses, without local passwords."""
    data = tmp_path_factory.mktemp("strict")
    create_admin(data, ADMIN_PASSWORD)
    env = sign_on_env(
        provider, SITROOM_OIDC_ALLOWED_DOMAINS="aldoria.example", SITROOM_LOCAL_PASSWORDS="0"
    )
    with running_server(data, **env) as base:
        provider.register(base)
        yield Site(base, data, provider)


def test_the_allow_list_refuses_with_a_clear_message(strict_site: Site) -> None:
    english = sign_on(strict_site.browser(), "mallory", "mallory-password")
    assert english.status_code == 403
    assert "does not admit your account" in english.text
    korean = sign_on(strict_site.browser("ko"), "mallory", "mallory-password")
    assert korean.status_code == 403 and "관리자" in korean.text
    assert strict_site.account_of("mallory") is None
    assert sign_on(strict_site.browser(), "ines", "ines-password").status_code == 303


def test_local_passwords_can_be_turned_off(strict_site: Site) -> None:
    browser = strict_site.browser()
    page = browser.get("/signin").text
    assert "Sign in with Aldoria ID" in page and 'action="/signin"' not in page
    refused = browser.post(
        "/signin",
        data={"username": "admin", "password": ADMIN_PASSWORD},
        headers={"Origin": strict_site.base},
    )
    assert refused.status_code == 403 and "turned off" in refused.text
    api = browser.post("/api/session", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert api.status_code == 403


def test_the_console_binds_an_invitation_to_a_person_at_the_provider(site: Site) -> None:
    admin = sign_in(site.base, "admin", ADMIN_PASSWORD)
    site.opened.append(admin)
    admin.post("/api/runs", json={"example": "ransomware", "run_id": "console-bound"})
    form = admin.get("/design/runs/console-bound/invitations")
    assert "Only for this person at Aldoria ID" in form.text
    made = admin.post(
        "/design/runs/console-bound/invitations",
        data={
            "csrf_token": admin.headers["X-CSRF-Token"],
            "name": "Petra Lind",
            "role": "observer",
            "language": "en",
            "count": "1",
            "bound_to": f"sub:{USERS['petra']['sub']}",
        },
    )
    assert made.status_code == 201, made.text
    listed = admin.get("/api/runs/console-bound/invitations").json()
    assert [i["idp_subject"] for i in listed] == [USERS["petra"]["sub"]]
    refused = admin.post(
        "/design/runs/console-bound/invitations",
        data={
            "csrf_token": admin.headers["X-CSRF-Token"],
            "name": "Nobody",
            "role": "observer",
            "language": "en",
            "count": "1",
            "bound_to": "not an address",
        },
    )
    assert refused.status_code == 422 and "not an e-mail address" in refused.text


def test_a_public_client_signs_in_with_pkce_alone(provider: Provider, tmp_path: Path) -> None:
    env = sign_on_env(
        provider, SITROOM_OIDC_CLIENT_ID="sitroom-public", SITROOM_OIDC_CLIENT_SECRET=""
    )
    with running_server(tmp_path, **env) as base:
        provider.register(base, client_id="sitroom-public", secret=None)
        with httpx.Client(base_url=base, timeout=30) as browser:
            assert sign_on(browser, "ines", "ines-password").status_code == 303
            assert _signed_in(browser)
