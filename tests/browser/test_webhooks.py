"""The console's webhooks page in a browser, with the keyboard only: subscribe a team's
channel, read the secret once, see the delivery log fill, redeliver the dead letters; no
serious accessibility violation, in English and Korean."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ADMIN_PASSWORD, Site, axe_violations, screenshot
from tests.browser.staff import sign_in_admin
from tests.support.packages import TWO_PARTIES
from tests.support.receivers import Receiver
from tests.support.server import create_admin, running_server

RUN = "hooks-page"


@pytest.fixture(scope="module")
def hook_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data_dir: Path = tmp_path_factory.mktemp("hook-site")
    create_admin(data_dir, ADMIN_PASSWORD, "admin")
    env = {
        "SITROOM_FOLLOWERS": "scheduler,webhooks",
        "SITROOM_FOLLOWER_TICK": "0.1",
        "SITROOM_WEBHOOK_ALLOW": "127.0.0.1",
        "SITROOM_WEBHOOK_BACKOFF": "0.1",
        "SITROOM_WEBHOOK_ATTEMPTS": "2",
    }
    with running_server(data_dir, **env) as base:
        site = Site(base, data_dir)
        with site.admin() as admin:
            admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": RUN})
        yield site


def test_subscribe_and_redeliver_with_the_keyboard(hook_site: Site, new_page: Any) -> None:
    receiver = Receiver()  # not listening yet: its deliveries die
    page = new_page()
    sign_in_admin(page, hook_site.base)
    page.goto(f"{hook_site.base}/runs/{RUN}/console/webhooks")
    page.locator("#hook-url").focus()
    page.keyboard.type(receiver.url)
    page.keyboard.press("Tab")  # the audience
    page.keyboard.type("Brenland staff")  # a select chooses by typing its option's text
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # event types, prefilled
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("BRN channel")
    page.keyboard.press("Enter")
    secret = page.locator("#new-secret")
    expect(secret).to_be_focused()
    assert secret.input_value().startswith("whsec_")
    expect(page.get_by_role("table").first).to_contain_text("team:brn-nsc")
    with hook_site.admin() as admin:
        assert admin.post(f"/api/runs/{RUN}/start", json={}).status_code == 200
    redeliver_all = page.get_by_role("button", name="Redeliver all")
    for _ in range(200):
        page.goto(f"{hook_site.base}/runs/{RUN}/console/webhooks")
        if redeliver_all.count():
            break
        page.wait_for_timeout(100)
    expect(page.locator("#secret")).to_have_count(0)  # shown once only
    expect(page.locator("#dead")).to_contain_text("run-started")
    receiver.start()
    try:
        redeliver_all.focus()
        page.keyboard.press("Enter")
        page.wait_for_url("**/webhooks#dead")
        for _ in range(200):
            if receiver.received:
                break
            page.wait_for_timeout(100)
        assert receiver.received, "the redelivered letter arrived"
        page.goto(f"{hook_site.base}/runs/{RUN}/console/webhooks")
        expect(page.locator("#dead")).to_contain_text("No dead letters.")
        screenshot(page, "console-webhooks")
        assert axe_violations(page) == []
        page.get_by_role("link", name="한국어").click()
        page.wait_for_url(f"**/runs/{RUN}/console/webhooks")
        expect(page.locator("h1")).to_contain_text("웹훅")
        assert axe_violations(page) == []
    finally:
        receiver.stop()
