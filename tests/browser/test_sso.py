"""Single sign-on in Chromium: through the test provider's own login form and back, signing
out at the provider too, and an invitation bound to another person — in both languages, under
the pages' Content-Security-Policy, with no axe findings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import axe_violations, screenshot
from tests.support.oidc import USERS, Provider, running_provider, sign_on_env
from tests.support.server import create_admin, running_server, sign_in

ADMIN_PASSWORD = "browser-sso-admin-password"


@pytest.fixture(scope="module")
def sso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Provider]]:
    with running_provider(tmp_path_factory.mktemp("provider")) as provider:
        data = tmp_path_factory.mktemp("sso-site")
        create_admin(data, ADMIN_PASSWORD)
        with running_server(data, **sign_on_env(provider)) as base:
            provider.register(base)
            yield base, provider


def _at_provider(page: Any, username: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(USERS[username]["password"])
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_through_the_providers_form_and_sign_out_there(
    sso: tuple[str, Provider], new_page: Any
) -> None:
    base, provider = sso
    page = new_page()
    page.goto(base + "/signin")
    assert axe_violations(page) == []
    screenshot(page, "sso-signin-en")
    page.get_by_role("link", name="Sign in with Aldoria ID").click()
    page.wait_for_url(provider.base + "/authorize**")
    _at_provider(page, "ines")
    page.wait_for_url(base + "/")
    assert "Ines Varga" in page.content()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(base + "/signin")
    assert provider.stats()["logouts"][-1]["sub"] == USERS["ines"]["sub"]
    page.goto(base + "/")
    assert page.url.endswith("/signin")  # the session here ended as well


def test_a_forwarded_bound_invitation_turns_away_the_wrong_person_in_korean(
    sso: tuple[str, Provider], new_page: Any
) -> None:
    base, _provider = sso
    admin = sign_in(base, "admin", ADMIN_PASSWORD)
    try:
        admin.post("/api/runs", json={"example": "ransomware", "run_id": "bound-ko"})
        reply = admin.post(
            "/api/runs/bound-ko/invitations",
            json={
                "name": "Petra Lind",
                "role": "observer",
                "language": "ko",
                "idp_subject": USERS["petra"]["sub"],
            },
        )
        assert reply.status_code == 201, reply.text
        link = reply.json()["link"]
    finally:
        admin.close()
    page = new_page(locale="ko-KR")
    page.goto(link)
    assert axe_violations(page) == []
    screenshot(page, "sso-bound-invitation-ko")
    page.get_by_role("link", name="참가하려면 Aldoria ID(으)로 로그인").click()
    _at_provider(page, "mallory")
    alert = page.get_by_role("alert")
    assert "다른 사람을 위한 것입니다" in alert.inner_text()
    screenshot(page, "sso-not-yours-ko")
    assert axe_violations(page) == []
    page.goto(link)
    page.get_by_role("link", name="참가하려면 Aldoria ID(으)로 로그인").click()
    _at_provider(page, "petra")
    page.wait_for_url("**/runs/bound-ko/**")
