"""Words on screen in a browser: names instead of ids, the Korean UI in Korean (senders,
refusals of the rules, message contexts), and a series page that updates itself."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Site, open_invitation, screenshot
from tests.browser.staff import sign_in_admin, wait_live

RUN = "words"
SERIES = "steadfast-dialogue"  # the series the allied example names


@dataclass
class Allied:
    run: str
    player_ko: dict[str, Any]


@pytest.fixture(scope="module")
def allied(site: Site) -> Iterator[Allied]:
    with site.admin() as admin:
        made = admin.post("/api/runs", json={"example": "allied-consultation", "run_id": RUN})
        assert made.status_code == 201, made.text
        admin.post(f"/api/runs/{RUN}/start", json={}).raise_for_status()
        admin.post(f"/api/runs/{RUN}/injects/1.1/release", json={}).raise_for_status()
        created = admin.post("/api/series", json={"id": SERIES, "title": "Steadfast Dialogue"})
        assert created.status_code == 201, created.text
    # No name: the invitation is named by its role, team and party, in its language.
    player_ko = site.invite(RUN, role="player", team="ald-nss", language="ko")
    yield Allied(RUN, player_ko)


def test_a_korean_player_reads_names_senders_and_citations_in_korean(
    allied: Allied, new_page: Any
) -> None:
    page = new_page("ko-KR")
    open_invitation(page, allied.player_ko)
    page.wait_for_url("**/play")
    wait_live(page)
    you = page.locator("section.you")
    expect(you).to_contain_text("참가자 · 알도리아 국가안보실")
    expect(you).not_to_contain_text("ald-nss")
    inject = page.locator("#panel-injects")
    expect(inject).to_contain_text("벨모라 국영 통신사(화이트셀 담당)")
    expect(inject).not_to_contain_text("played by the White Cell")
    question = page.locator("#question-d1-q1")
    expect(question.locator(".question-cites")).to_contain_text("관련 항목:")
    expect(question.locator(".question-cites")).to_contain_text("T1.1")
    screenshot(page, "words-player-ko")


def test_a_korean_facilitator_reads_refusals_and_contexts_in_korean(
    site: Site, allied: Allied, new_page: Any
) -> None:
    page = new_page("ko-KR")
    sign_in_admin(page, site.base)
    page.goto(f"{site.base}/language/ko?next=/series/{SERIES}")
    page.wait_for_url(f"**/series/{SERIES}")
    wait_live(page)
    expect(page.locator("table.close-times thead")).to_contain_text("종결")  # not the poll's
    page.locator("#add-issue").fill("알림 지연")
    page.locator("#add-action").fill("점검표 작성")
    page.locator("#add-start").fill("2027-05-01")
    page.locator("#add-due").fill("2027-01-01")
    page.get_by_role("button", name="조치 추가하기").click()
    error = page.locator("#add-due-error")
    expect(error).to_contain_text("기한 2027-01-01이(가) 시작일 2027-05-01보다 앞섭니다")
    expect(page.locator("#add-issue")).to_have_value("알림 지연")
    page.goto(f"{site.base}/runs/{allied.run}/console")
    wait_live(page)
    # "Release" on the button is the verb (msgctxt "verb").
    expect(page.locator("#panel-msel").get_by_role("button", name="배포 #3.7")).to_be_visible()
    screenshot(page, "words-console-ko")


def test_the_series_page_updates_when_the_series_records_events(
    site: Site, allied: Allied, new_page: Any
) -> None:
    page = new_page()
    sign_in_admin(page, site.base)
    page.goto(f"{site.base}/series/{SERIES}")
    wait_live(page)
    actions = page.locator("#live-actions")
    expect(actions).not_to_contain_text("Drill the hotline fallback")
    with site.admin() as admin:
        added = admin.post(
            f"/api/series/{SERIES}/actions",
            json={"issue": "Hotline fallback untested", "action": "Drill the hotline fallback"},
        )
        assert added.status_code == 201, added.text
    expect(actions).to_contain_text("Drill the hotline fallback")
    expect(page.locator("#live-counts")).to_contain_text("1")
    screenshot(page, "words-series-live")
    # The action's own page follows its status and history the same way.
    actions.get_by_role("row", name=re.compile("Drill the hotline fallback")).get_by_role(
        "link"
    ).click()
    page.wait_for_url(re.compile(r"/actions/"))
    wait_live(page)
    action_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    expect(page.locator("#live-title")).to_contain_text("Not started")
    with site.admin() as admin:
        moved = admin.post(
            f"/api/series/{SERIES}/actions/{action_id}/status",
            json={"status": "in-progress", "note": "Drill booked for May"},
        )
        assert moved.status_code == 200, moved.text
    expect(page.locator("#live-title")).to_contain_text("In progress")
    expect(page.locator("#live-history")).to_contain_text("Drill booked for May")
