"""The series pages in a browser: the dashboard puts the overdue action first, the action page
changes status from the keyboard and takes evidence, both languages pass axe, players are
turned away."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ADMIN_PASSWORD, Site, axe_violations, screenshot
from tests.browser.staff import sign_in_admin
from tests.support.series import RUN, SERIES, play_editions
from tests.support.server import create_admin, running_server, sign_in


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A server whose database holds a finalised 2025 edition imported into the series."""
    data_dir = tmp_path_factory.mktemp("series-site")
    create_admin(data_dir, ADMIN_PASSWORD, "admin")
    play_editions(data_dir)
    with running_server(data_dir, SITROOM_HEARTBEAT="2") as base:
        admin = sign_in(base, "admin", ADMIN_PASSWORD)
        try:
            created = admin.post("/api/series", json={"id": SERIES, "title": "Allied annual"})
            assert created.status_code == 201, created.text
            imported = admin.post(f"/api/series/{SERIES}/imports", json={"run": RUN})
            assert imported.status_code == 201, imported.text
        finally:
            admin.close()
        yield Site(base, data_dir)


def test_design_lists_the_actions_to_retest(site: Site, new_page: Any) -> None:
    from sitroom.web.uploads import Uploads
    from tests.integration.test_series_api import edition
    from tests.support.playthrough import example_package

    package = edition(example_package("allied-consultation"), "2026")
    info = Uploads(site.data_dir / "uploads").save(package, "next.yaml", "package", "test")
    page = new_page()
    sign_in_admin(page, site.base)
    page.goto(f"{site.base}/design/packages/{info.digest}")
    section = page.get_by_role("region", name="To re-test in this edition")
    expect(section).to_contain_text("CA-2025-002")
    with page.expect_download() as download:
        section.get_by_role("link", name="Download the package").click()
    assert download.value.suggested_filename.endswith("-retest.yaml")
    section.screenshot(path=str(screenshot(page, "series-design-retest")))
    assert axe_violations(page) == []


def test_admin_follows_up_the_overdue_action(site: Site, new_page: Any) -> None:
    page = new_page()
    sign_in_admin(page, site.base)
    page.get_by_role("link", name="Series", exact=True).click()
    page.wait_for_url(site.base + "/series")
    attention = page.locator("table.attention tbody tr")
    expect(attention.first).to_contain_text("CA-2025-001")
    expect(attention.first).to_contain_text("Northland MoD")
    expect(attention.first.locator(".overdue-days")).to_be_visible()
    screenshot(page, "series-dashboard")
    assert axe_violations(page) == []

    page.get_by_role("link", name="Allied annual").first.click()
    page.wait_for_url(f"{site.base}/series/{SERIES}")
    expect(page.get_by_role("heading", name="Capability ratings by edition")).to_be_visible()
    expect(page.locator("svg.ratings-chart")).to_be_visible()
    screenshot(page, "series-page")
    assert axe_violations(page) == []

    page.goto(f"{site.base}/series")
    attention.first.get_by_role("link", name="CA-2025-001").click()
    page.wait_for_url(f"{site.base}/series/{SERIES}/actions/CA-2025-001")
    # Keyboard only: type the note, tab to the first status button, press Enter.
    note = page.get_by_label("Note (why, what was done)")
    note.focus()
    page.keyboard.type("Checklist drafted with the duty desk.")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.textContent.trim()")
    assert focused == "Start work"
    page.keyboard.press("Enter")
    page.wait_for_url("**/actions/CA-2025-001?done=status")
    # The page has two status regions: the live-update indicator and the outcome of the form.
    changed = page.get_by_role("status").filter(has_text="The status was changed.")
    expect(changed).to_be_visible()
    expect(page.locator("h1 .status-in-progress")).to_have_text("In progress")
    history = page.locator("table.history")
    expect(history).to_contain_text("status: open → in-progress (Checklist drafted")
    expect(history).to_contain_text("Administrator")

    page.get_by_label("File (at most 20 MB)").set_input_files(
        files=[{"name": "checklist.txt", "mimeType": "text/plain", "buffer": b"1. Call ally"}]
    )
    page.get_by_label("Note", exact=True).fill("First draft")
    page.get_by_role("button", name="Attach the evidence").click()
    page.wait_for_url("**/actions/CA-2025-001?done=evidence")
    evidence = page.locator("table.evidence")
    expect(evidence).to_contain_text("First draft")
    with page.expect_download() as download:
        evidence.get_by_role("link", name="checklist.txt").click()
    assert download.value.suggested_filename == "checklist.txt"
    screenshot(page, "series-action")
    assert axe_violations(page) == []


def test_the_pages_in_korean(site: Site, new_page: Any) -> None:
    page = new_page("ko-KR")
    sign_in_admin(page, site.base)
    page.goto(site.base + "/language/ko?next=/series")
    expect(page.get_by_role("heading", level=1)).to_have_text("훈련 시리즈")
    screenshot(page, "series-dashboard-ko")
    assert axe_violations(page) == []
    page.goto(f"{site.base}/series/{SERIES}")
    expect(page.get_by_role("heading", name="회차별 역량 평정")).to_be_visible()
    screenshot(page, "series-page-ko")
    assert axe_violations(page) == []
    page.goto(f"{site.base}/series/{SERIES}/actions/CA-2025-002")
    expect(page.get_by_role("heading", name="이력")).to_be_visible()
    screenshot(page, "series-action-ko")
    assert axe_violations(page) == []


def test_a_player_gets_the_403_page(site: Site, new_page: Any) -> None:
    invitation = site.invite(RUN, name="Ada", role="player", team="ald-nss")
    page = new_page()
    page.goto(site.base + "/signin")
    page.get_by_label("Join code").fill(invitation["code"])
    page.get_by_label("Join code").press("Enter")
    page.wait_for_url(f"**/runs/{RUN}/**")
    response = page.goto(site.base + "/series")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Not available")
    expect(
        page.get_by_text("This page is for administrator and facilitator accounts.")
    ).to_be_visible()
    response = page.goto(f"{site.base}/series/{SERIES}/actions/CA-2025-001")
    assert response is not None and response.status == 403
