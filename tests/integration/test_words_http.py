"""Words on screen over real HTTP: names instead of ids, Korean refusals, per-language files,
and a series page that learns when one of its runs records events."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.series import DRAFT, SERIES, play_editions
from tests.support.server import create_admin, invite_and_join, running_server, sign_in

PASSWORD = "words-http-password"
PLAYER_NAME = "Player · Aldoria National Security Staff (Republic of Aldoria)"


@dataclass
class Site:
    base: str
    admin: httpx.Client


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data_dir: Path = tmp_path_factory.mktemp("words-http")
    create_admin(data_dir, PASSWORD, "admin")
    play_editions(data_dir)
    with running_server(data_dir) as base:
        admin = sign_in(base, "admin", PASSWORD)
        created = admin.post("/api/series", json={"id": SERIES, "title": "Allied annual"})
        assert created.status_code == 201, created.text
        yield Site(base, admin)
        admin.close()


def _changed(client: httpx.Client, url: str) -> int:
    """Open a series' event stream and return the id of its first ``changed`` frame."""
    with client.stream("GET", url, timeout=httpx.Timeout(30.0)) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        frame: dict[str, str] = {}
        for line in response.iter_lines():
            if line:
                name, _, value = line.partition(":")
                frame[name] = value.strip()
                continue
            if frame.get("event") == "changed":
                return int(frame["id"])
            frame = {}
    raise AssertionError("the stream ended without a 'changed' frame")


def test_an_unnamed_invitation_shows_team_and_party_names_in_the_header(site: Site) -> None:
    player = invite_and_join(site.admin, site.base, DRAFT, role="player", team="ald-nss")
    try:
        page = player.get(f"/runs/{DRAFT}/play")
        assert page.status_code == 200
        you = re.search(r'<section class="you".*?</section>', page.text, re.S)
        assert you is not None
        assert PLAYER_NAME in you.group(0)
        assert "ald-nss" not in you.group(0) and "Player of" not in page.text
    finally:
        player.close()


def test_a_korean_facilitator_reads_the_runs_refusal_in_korean(site: Site) -> None:
    facilitator = invite_and_join(site.admin, site.base, DRAFT, role="facilitator", language="ko")
    try:
        facilitator.cookies.set("sitroom_lang", "ko")
        console = facilitator.get(f"/runs/{DRAFT}/console")
        token = re.search(r'name="csrf-token" content="([^"]+)"', console.text)
        assert token is not None
        reply = facilitator.post(
            f"/runs/{DRAFT}/console/pause",
            data={"csrf_token": token.group(1), "key": "pause-before-startex"},
            headers={"HX-Request": "true"},
        )
        assert "진행 중인 실행만 일시 정지할 수 있습니다" in reply.text, reply.text[:2000]
        assert "only a running run can be paused" not in reply.text
        # The JSON API says it in English, for scripts.
        api = facilitator.post(
            f"/api/runs/{DRAFT}/pause",
            headers={"X-CSRF-Token": token.group(1), "Idempotency-Key": "pause-api-1"},
        )
        assert api.status_code == 409
        assert api.json()["errors"][0]["message"].startswith("only a running run can be paused")
    finally:
        facilitator.close()


def _csrf(client: httpx.Client) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").text)
    assert found is not None
    return found.group(1)


def test_a_korean_player_gets_the_korean_file_of_an_attachment(site: Site) -> None:
    headers = {"X-CSRF-Token": _csrf(site.admin)}
    made = site.admin.post("/api/runs", json={"example": "allied-consultation"}, headers=headers)
    assert made.status_code == 201, made.text
    run = made.json()["id"]
    for path, key in (
        (f"/api/runs/{run}/start", "s"),
        (f"/api/runs/{run}/injects/1.1/release", "r"),
    ):
        done = site.admin.post(
            path, json={}, headers={**headers, "Idempotency-Key": f"{run}-{key}"}
        )
        assert done.status_code in (200, 201), done.text
    english = invite_and_join(site.admin, site.base, run, role="player", team="ald-nss")
    korean = invite_and_join(
        site.admin, site.base, run, role="player", team="ald-nss", language="ko"
    )
    try:
        korean.cookies.set("sitroom_lang", "ko")
        page = english.get(f"/runs/{run}/play")
        link = re.search(r'href="(/runs/[^"]+/play/attachments/1\.1/0)"', page.text)
        assert link is not None, "inject 1.1 shows no attachment link"
        in_english, in_korean = english.get(link.group(1)), korean.get(link.group(1))
        assert in_english.status_code == in_korean.status_code == 200
        assert "## English" in in_english.text
        assert "## English" not in in_korean.text and "벨모라 국영 통신사" in in_korean.text
    finally:
        english.close()
        korean.close()


def test_the_series_page_hears_when_a_run_of_the_series_records_events(site: Site) -> None:
    page = site.admin.get(f"/series/{SERIES}")
    assert page.status_code == 200
    found = re.search(r'sse-connect="(/api/series/[^"]+/events\?after=(\d+))"', page.text)
    assert found is not None
    url, version = found.group(1), int(found.group(2))
    assert 'hx-trigger="refresh queue:first, sse:changed' in page.text
    assert _changed(site.admin, f"/api/series/{SERIES}/events?after=0") == version
    # A run of the series records an event: the page's stream says the page has changed.
    token = site.admin.get("/").text
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', token)
    assert csrf is not None
    started = site.admin.post(
        f"/api/runs/{DRAFT}/start",
        json={},
        headers={"X-CSRF-Token": csrf.group(1), "Idempotency-Key": "start-draft-1"},
    )
    assert started.status_code in (200, 201), started.text
    after_run = _changed(site.admin, url)
    assert after_run > version
    # The series' own log too.
    added = site.admin.post(
        f"/api/series/{SERIES}/actions",
        json={"issue": "No checklist", "action": "Write a checklist"},
        headers={"X-CSRF-Token": csrf.group(1), "Idempotency-Key": "add-action-1"},
    )
    assert added.status_code == 201, added.text
    assert _changed(site.admin, f"/api/series/{SERIES}/events?after={after_run}") > after_run


def test_only_staff_accounts_follow_a_series(site: Site) -> None:
    player = invite_and_join(site.admin, site.base, DRAFT, role="player", team="ald-nss")
    try:
        assert player.get(f"/api/series/{SERIES}/events").status_code == 403
    finally:
        player.close()
