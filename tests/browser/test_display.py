"""The room display in a browser: clock, latest inject and a poll voted on by players in
their browsers, its chart shown once closed; accessible in English and Korean."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Site, axe_violations, open_invitation, screenshot
from tests.browser.test_play import open_play
from tests.support.packages import TWO_PARTIES

RUN = "screen"


@dataclass
class Screen:
    admin: httpx.Client
    display: dict[str, Any]
    ald: dict[str, Any]
    brn: dict[str, Any]

    def api(self, path: str) -> None:
        reply = self.admin.post(f"/api/runs/{RUN}{path}", json={})
        assert reply.status_code == 200, reply.text


@pytest.fixture(scope="module")
def screen(site: Site) -> Iterator[Screen]:
    with site.admin() as admin:
        admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": RUN})
        admin.post(f"/api/runs/{RUN}/start", json={}).raise_for_status()
        yield Screen(
            admin,
            site.invite(RUN, name="Projector", role="display", party="ald"),
            site.invite(RUN, name="Ada Aldor", role="player", team="ald-nsc"),
            site.invite(RUN, name="Bo Brenner", role="player", team="brn-nsc"),
        )


def open_display(new_page: Any, invite: dict[str, Any]) -> Any:
    page = new_page()
    page.set_viewport_size({"width": 1600, "height": 900})
    open_invitation(page, invite)
    page.wait_for_url("**/display")
    page.locator('[data-live-status][data-state="live"]').wait_for()
    return page


def test_the_display_follows_the_clock_and_the_latest_inject(screen: Screen, new_page: Any) -> None:
    display = open_display(new_page, screen.display)
    expect(display.locator("body")).to_have_class("display-mode")
    expect(display.locator(".clock-status .run-status")).to_have_text("Running")
    expect(display.locator(".clock-module")).to_contain_text("Day 1")
    expect(display.get_by_text("No inject for the room yet.")).to_be_visible()
    screen.api("/injects/1/release")
    display.locator("#display-inject-title").wait_for(timeout=1000)
    expect(display.locator("#display-inject-title")).to_contain_text("Announcement")
    screen.api("/pause")
    expect(display.locator(".clock-status .run-status")).to_have_text("Paused", timeout=3000)
    screen.api("/resume")
    expect(display.locator(".clock-status .run-status")).to_have_text("Running", timeout=3000)
    screenshot(display, "display-inject")


def test_players_vote_and_the_display_charts_the_closed_poll(screen: Screen, new_page: Any) -> None:
    display = open_display(new_page, screen.display)
    ald = open_play(new_page, screen.ald)
    brn = open_play(new_page, screen.brn)
    screen.api("/polls/p1/open")
    for page, option, confidence in ((ald, "Yes", "4"), (brn, "No", "2")):
        poll = page.locator("#poll-p1")
        poll.get_by_label(option).check(timeout=3000)
        poll.get_by_label("How confident are you? (optional)").select_option(confidence)
        poll.get_by_role("button", name="Vote").click()
        expect(poll.get_by_role("status")).to_contain_text("Your vote was recorded")
    expect(display.locator(".poll-count")).to_have_text("Votes: 2", timeout=3000)
    assert display.locator(".poll-chart").count() == 0  # no results while voting is open
    screenshot(ald, "play-poll-open")

    screen.api("/polls/p1/close")
    chart = display.locator(".poll-chart")
    chart.wait_for(timeout=3000)
    expect(chart.locator("caption")).to_contain_text("Votes: 2")
    expect(chart.locator("caption")).to_contain_text("Mean confidence: 3.0 of 5")
    rows = chart.locator("tbody tr")
    expect(rows.nth(0)).to_contain_text("Yes")
    expect(rows.nth(0).locator(".count")).to_have_text("1 (50%)")
    assert rows.nth(0).locator("rect.bar-fill").get_attribute("width") == "50%"
    expect(ald.locator("#poll-p1 .poll-chart")).to_be_visible(timeout=3000)
    screenshot(display, "display-poll-chart")
    screenshot(ald, "play-poll-closed")
    assert axe_violations(display) == []


def test_the_display_is_accessible_in_korean(screen: Screen, new_page: Any) -> None:
    display = open_display(new_page, screen.display)
    assert axe_violations(display) == []
    display.get_by_role("link", name="한국어").click()
    display.locator('[data-live-status][data-state="live"]').wait_for()
    assert display.locator("html").get_attribute("lang") == "ko"
    expect(display.get_by_role("heading", name="최근 상황 메시지")).to_be_visible()
    screenshot(display, "display-ko")
    assert axe_violations(display) == []
