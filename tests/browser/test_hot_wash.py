"""The console's hot wash in a browser: strengths and areas for improvement, listed live."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Site, axe_violations, screenshot
from tests.browser.staff import act, sign_in_admin, wait_live
from tests.support.packages import TWO_PARTIES

RUN = "hotwash"


@pytest.fixture(scope="module")
def ended(site: Site) -> Iterator[None]:
    with site.admin() as admin:
        admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": RUN})
        act(admin, f"/api/runs/{RUN}/start")
        act(admin, f"/api/runs/{RUN}/end")
    yield None


def console(new_page: Any, site: Site) -> Any:
    page = new_page()
    sign_in_admin(page, site.base)
    page.goto(f"{site.base}/runs/{RUN}/console")
    wait_live(page)
    return page


def test_facilitator_adds_a_strength_and_an_improvement(
    site: Site, ended: None, new_page: Any
) -> None:
    page = console(new_page, site)
    other = console(new_page, site)  # a second console sees the items arrive live
    form = page.locator("#panel-hotwash")
    form.get_by_label("What was said").fill("Aldoria called its ally at once.")
    form.get_by_label("Team (optional)").select_option("ald-nsc")
    form.get_by_role("button", name="Add to the hot wash").click()
    expect(form).to_contain_text("Added to the hot wash.")
    expect(form.get_by_label("What was said")).to_have_value("")
    form.get_by_label("Area for improvement").check()
    form.get_by_label("What was said").fill("Nobody checked the guidelines.")
    form.get_by_role("button", name="Add to the hot wash").click()
    expect(form).to_contain_text("Added to the hot wash.")
    for view in (page, other):
        items = view.locator("#panel-hotwash-items")
        strengths = items.locator("#hotwash-strength + h4 + ul")
        expect(strengths).to_contain_text("Aldoria called its ally at once.")
        expect(items.locator("#hotwash-strength + h4")).to_have_text("Aldoria staff")
        improvements = items.locator("#hotwash-improvement + ul")
        expect(improvements).to_contain_text("Nobody checked the guidelines.")
    screenshot(page, "console-hot-wash")


def test_an_empty_item_is_explained(site: Site, ended: None, new_page: Any) -> None:
    page = console(new_page, site)
    form = page.locator("#panel-hotwash")
    form.get_by_label("What was said").fill("   ")
    form.get_by_label("Area for improvement").check()
    form.get_by_role("button", name="Add to the hot wash").click()
    expect(form.locator(".error")).to_be_visible()
    expect(form.get_by_label("Area for improvement")).to_be_checked()


def test_hot_wash_has_no_serious_axe_violations(site: Site, ended: None, new_page: Any) -> None:
    page = console(new_page, site)
    expect(page.locator("#panel-hotwash-items")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("link", name="한국어").click()
    page.wait_for_url(f"**/runs/{RUN}/console")
    wait_live(page)
    expect(page.get_by_role("heading", name="핫 워시(즉시 강평)")).to_be_visible()
    page.locator("#panel-hotwash").scroll_into_view_if_needed()
    screenshot(page, "console-hot-wash-ko")
    assert axe_violations(page) == []
