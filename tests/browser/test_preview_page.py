"""Control previews a team's page in a browser: chosen from the console by keyboard, the page
is bannered, shows what the team sees as it arrives live, offers no forms, and records nothing."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Site
from tests.browser.staff import sign_in_admin, wait_live
from tests.support.packages import TWO_PARTIES

RUN = "preview"
ALD_ONLY = "ZZALD-ONLY-TEXT"


@pytest.fixture(scope="module")
def run(site: Site) -> str:
    with site.admin() as admin:
        admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": RUN})
        for path in ("/start", "/injects/1/release"):
            assert admin.post(f"/api/runs/{RUN}{path}", json={}).status_code == 200
    return RUN


def test_a_facilitator_previews_a_team_live(new_page: Any, site: Site, run: str) -> None:
    page = new_page()
    sign_in_admin(page, site.base)
    page.goto(f"{site.base}/runs/{run}/console")
    wait_live(page)
    picker = page.get_by_label("See the run as")
    picker.focus()
    picker.select_option("team:brn-nsc")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/runs/{run}/play?as=team%3Abrn-nsc")
    banner = page.locator(".preview-banner")
    expect(banner).to_contain_text("Brenland staff")
    wait_live(page)
    with site.admin() as admin:
        before = len(admin.get(f"/api/runs/{run}/log").json()["events"])
        for number in ("2", "4"):  # 2 is Aldoria's alone; 4 reaches Brenland
            admin.post(f"/api/runs/{run}/injects/{number}/release", json={})
    expect(page.locator("#inject-4")).to_be_visible(timeout=15_000)
    expect(page.locator("body")).not_to_contain_text(ALD_ONLY)
    # No form is offered, and the page's own requests (panels) kept the preview.
    assert page.locator(".play form:visible").count() == 0
    page.locator("#panel-injects-body").evaluate("el => htmx.trigger(el, 'refresh')")
    expect(page.locator("#inject-4")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(ALD_ONLY)
    with site.admin() as admin:
        events = admin.get(f"/api/runs/{run}/log").json()["events"]
    assert len(events) == before + 2, "the preview recorded something"
