"""Sign-in and join pages: keyboard and labels, errors named, both languages, no axe findings;
joining by link through its confirmation page, and the warning when it replaces a sign-in."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import (
    ADMIN_PASSWORD,
    LAN_HOST,
    Site,
    axe_violations,
    open_invitation,
    screenshot,
)
from tests.support.packages import TWO_PARTIES


def test_sign_in_page_is_accessible_and_bilingual(site: Site, new_page: Any) -> None:
    page = new_page()
    page.goto(site.base + "/")
    assert page.url.endswith("/signin")
    assert page.get_by_label("Join code").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "signin-en")
    page.get_by_role("link", name="한국어").click()
    assert page.locator("html").get_attribute("lang") == "ko"
    assert page.get_by_label("참가 코드").is_visible()
    screenshot(page, "signin-ko")
    assert axe_violations(page) == []


def test_wrong_join_code_is_explained(site: Site, new_page: Any) -> None:
    page = new_page()
    page.goto(site.base + "/signin")
    page.get_by_label("Join code").fill("ZZZZ-ZZZZ")
    page.keyboard.press("Enter")
    assert page.get_by_role("alert").inner_text().startswith("That join code is not known")


def test_join_code_leads_a_player_to_their_run(site: Site, new_page: Any) -> None:
    with site.admin() as admin:
        admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": "door"})
    invite = site.invite("door", name="Ald player", role="player", team="ald-nsc")
    page = new_page()
    page.goto(site.base + "/signin")
    page.get_by_label("Join code").fill(invite["code"].lower().replace("-", " "))
    page.get_by_role("button", name="Join").click()
    page.wait_for_url("**/runs/door/**")
    assert "/runs/door/" in page.url


def test_admin_signs_in_with_the_keyboard(site: Site, new_page: Any) -> None:
    page = new_page()
    page.goto(site.base + "/signin")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("wrong password!")
    page.keyboard.press("Enter")
    assert "Unknown username or wrong password" in page.get_by_role("alert").inner_text()
    page.get_by_label("Password").fill("browser-test-password")
    page.keyboard.press("Enter")
    page.wait_for_url(site.base + "/")
    assert page.get_by_role("heading", name="Runs").is_visible()
    screenshot(page, "home")
    assert axe_violations(page) == []


def _tab_to(page: Any, name: str, presses: int = 40) -> None:
    """Press Tab until the button called ``name`` has the focus, as a keyboard user does."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => document.activeElement.tagName + ' ' + document.activeElement.textContent"
        )
        if focused.strip() == f"BUTTON {name}":
            return
    raise AssertionError(f"Tab never reached the button {name!r}")


def test_a_player_joins_through_the_confirmation_page_with_the_keyboard(
    site: Site, new_page: Any
) -> None:
    with site.admin() as admin:
        admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": "confirm"})
    invite = site.invite("confirm", name="Ada Aldor", role="player", team="ald-nsc")
    page = new_page()
    page.goto(invite["link"])
    assert page.get_by_role("heading", name="Join an exercise", level=1).is_visible()
    details = page.locator(".join-details").inner_text()
    for shown in ("Duo exercise", "Ada Aldor", "Player", "Aldoria staff", "Aldoria (ALD)"):
        assert shown in details
    assert page.locator(".replaces").count() == 0  # nobody is signed in here yet
    assert axe_violations(page) == []
    screenshot(page, "join-confirm-en")
    _tab_to(page, "Join as Ada Aldor")
    page.keyboard.press("Enter")
    page.wait_for_url("**/runs/confirm/play")
    assert "Ada Aldor" in page.locator(".you").inner_text()


def test_a_signed_in_browser_is_warned_that_joining_replaces_its_sign_in(
    site: Site, new_page: Any
) -> None:
    with site.admin() as admin:
        admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": "swap"})
    ada = site.invite("swap", name="Ada Aldor", role="player", team="ald-nsc")
    bo = site.invite("swap", name="Bo Brenner", role="player", team="brn-nsc")
    page = new_page()
    open_invitation(page, ada)
    page.wait_for_url("**/runs/swap/play")
    page.goto(bo["link"])
    warning = page.get_by_role("note").filter(has_text="Joining replaces your current sign-in")
    assert "signed in now as Ada Aldor (Player)" in warning.inner_text()
    assert "no longer signed in as Ada Aldor" in warning.inner_text()
    assert (
        page.get_by_role("button", name="Join as Bo Brenner").get_attribute("aria-describedby")
        == "replaces"
    )
    assert axe_violations(page) == []
    screenshot(page, "join-replaces-en")
    page.get_by_role("link", name="한국어").click()
    assert "참가하면 현재 로그인이 바뀝니다" in page.locator(".replaces").inner_text()
    screenshot(page, "join-replaces-ko")
    assert axe_violations(page) == []
    page.get_by_role("link", name="참가하지 않기").click()
    page.wait_for_url("**/runs/swap/play")
    assert "Ada Aldor" in page.locator(".you").inner_text()  # nothing changed
    page.goto(bo["link"])
    page.locator('form[action^="/join/"] button').click()
    page.wait_for_url("**/runs/swap/play")
    assert "Bo Brenner" in page.locator(".you").inner_text()


def test_signing_in_and_joining_work_on_a_plain_http_lan_address(site: Site, new_page: Any) -> None:
    port = site.base.rsplit(":", 1)[1]
    lan = f"http://{LAN_HOST}:{port}"
    with site.admin() as admin:
        admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": "lan"})
    invite = site.invite("lan", name="Lan player", role="player", team="brn-nsc")
    page = new_page()
    page.goto(f"{lan}/join/{invite['link'].rsplit('/join/', 1)[1]}")
    page.get_by_role("button", name="Join as Lan player").click()
    page.wait_for_url(f"{lan}/runs/lan/play")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{lan}/signin")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{lan}/")
    assert page.get_by_role("heading", name="Runs").is_visible()
