"""Sign-in and join pages: keyboard and labels, errors named, both languages, no axe findings."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Site, axe_violations, screenshot
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
