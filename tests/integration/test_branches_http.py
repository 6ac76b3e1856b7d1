"""Branches over HTTP with the server's own triggers follower: a refusal proposes its branch
on the console, one click releases it to the addressed team only; milestones are marked with
one click; the JSON twin is for control and evaluators; players never learn of proposals."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from sitroom.package.dump import dump_yaml
from tests.support.packages import branching
from tests.support.server import create_admin, invite_and_join, running_server, sign_in

PASSWORD = "branches-http-password"
RUN = "branches"
HTMX = {"HX-Request": "true"}


@dataclass
class Server:
    admin: httpx.Client
    ald: httpx.Client
    brn: httpx.Client
    evaluator: httpx.Client


def until(check: Callable[[], bool], what: str, attempts: int = 200) -> None:
    """Ask again until ``check`` holds (the follower acts on its own round)."""
    for _ in range(attempts):
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("branches")
    create_admin(data_dir, PASSWORD, "admin")
    with running_server(data_dir, SITROOM_FOLLOWER_TICK="0.2") as base:
        admin = sign_in(base, "admin", PASSWORD)
        made = admin.post("/api/runs", json={"package_yaml": dump_yaml(branching()), "run_id": RUN})
        assert made.status_code == 201, made.text
        clients = Server(
            admin,
            invite_and_join(admin, base, RUN, name="Ada Aldor", role="player", team="ald-nsc"),
            invite_and_join(admin, base, RUN, name="Bo Bren", role="player", team="brn-nsc"),
            invite_and_join(admin, base, RUN, name="Eve Valuator", role="evaluator"),
        )
        yield clients
        for client in (admin, clients.ald, clients.brn, clients.evaluator):
            client.close()


def numbers(client: httpx.Client) -> set[str]:
    reply = client.get(f"/api/runs/{RUN}/injects")
    assert reply.status_code == 200, reply.text
    return {row["number"] for row in reply.json()}


def test_refusal_is_proposed_and_one_click_releases_it_to_the_addressed_team(
    server: Server,
) -> None:
    admin = server.admin
    assert admin.post(f"/api/runs/{RUN}/start", json={}).status_code == 200
    assert admin.post(f"/api/runs/{RUN}/modules/m1/open").status_code == 200
    proposed = server.brn.post(
        f"/api/runs/{RUN}/decisions", json={"title": "Joint statement", "joint_with": ["ald"]}
    )
    assert proposed.status_code == 200, proposed.text
    decision = server.brn.get(f"/api/runs/{RUN}/decisions").json()[0]["id"]
    refused = server.ald.post(
        f"/api/runs/{RUN}/decisions/{decision}/answer",
        json={"concur": False, "reasons": "Not before our national statement"},
    )
    assert refused.status_code == 200, refused.text

    def proposed_on_console() -> bool:
        panel = admin.get(f"/runs/{RUN}/console/panels/branches").text
        return "proposal-inject-5" in panel

    until(proposed_on_console, "the console proposes the refusal branch")
    page = admin.get(f"/runs/{RUN}/console").text
    assert "Wire story: allies split" in page and "not-concurred(with=ald" in page
    # Proposed, not released: the players know nothing of it.
    assert "5" not in numbers(server.brn)
    for player in (server.ald, server.brn):
        log = player.get(f"/api/runs/{RUN}/log").json()["events"]
        assert not [e for e in log if e["type"].startswith("trigger-")]
        assert player.get(f"/api/runs/{RUN}/branches").status_code == 403
    twin = server.evaluator.get(f"/api/runs/{RUN}/branches").json()
    row = next(t for t in twin["triggers"] if t["trigger"] == "inject:5")
    assert row["status"] == "proposed" and row["since_seq"] is not None

    clicked = admin.post(
        f"/runs/{RUN}/console/triggers/inject:5/release", data={"key": "rel-5"}, headers=HTMX
    )
    assert clicked.status_code == 200, clicked.text
    assert "5" in numbers(server.brn)
    assert "5" not in numbers(server.ald)
    panel = admin.get(f"/runs/{RUN}/console/panels/branches").text
    assert "proposal-inject-5" not in panel and "Released on proposal" in panel


def test_a_milestone_is_marked_with_one_click_and_its_branch_fires(server: Server) -> None:
    admin = server.admin
    clicked = admin.post(
        f"/runs/{RUN}/console/milestones/acc/reach", data={"key": "ms-acc"}, headers=HTMX
    )
    assert clicked.status_code == 200, clicked.text
    until(lambda: "8" in numbers(server.ald), "the milestone's branch (inject 8) is released")
    twin = admin.get(f"/api/runs/{RUN}/branches").json()
    acc = next(m for m in twin["milestones"] if m["id"] == "acc")
    assert acc["reached_at"] is not None and acc["trigger"] is None
    again = admin.post(f"/api/runs/{RUN}/milestones/acc/reach")
    assert again.status_code == 409
    for player in (server.ald, server.brn):
        log = player.get(f"/api/runs/{RUN}/log").json()["events"]
        assert not [e for e in log if e["type"] == "milestone-reached"]


def test_evaluators_see_the_milestones_with_their_objectives_and_when_they_were_reached(
    server: Server,
) -> None:
    page = server.evaluator.get(f"/runs/{RUN}/evaluate")
    assert page.status_code == 200, page.text
    assert 'id="panel-milestones"' in page.text and "sse:milestone-reached" in page.text
    panel = server.evaluator.get(f"/runs/{RUN}/evaluate/panels/milestones").text
    reached = panel.split('id="ev-milestone-acc"', 1)[1].split("</li>", 1)[0]
    assert "ACC session requested" in reached and "marked by" in reached
    pending = panel.split('id="ev-milestone-agreed"', 1)[1].split("</li>", 1)[0]
    assert "Not reached yet" in pending and "Objective 1" in pending and "k1" in pending
    server.evaluator.cookies.set("sitroom_lang", "ko")
    try:
        ko = server.evaluator.get(f"/runs/{RUN}/evaluate/panels/milestones").text
    finally:
        server.evaluator.cookies.delete("sitroom_lang")
    assert "아직 달성되지 않음" in ko and "공동성명 합의" in ko and "님이 표시" in ko
    for player in (server.ald, server.brn):
        assert player.get(f"/runs/{RUN}/evaluate/panels/milestones").status_code in (403, 404)


def test_a_player_choice_goes_through_the_api(server: Server) -> None:
    admin = server.admin
    assert admin.post(f"/api/runs/{RUN}/modules/m2/open").status_code == 200
    released = admin.post(f"/api/runs/{RUN}/injects/4/release", json={})
    assert released.status_code == 200, released.text
    bad = server.ald.post(f"/api/runs/{RUN}/injects/4/choice", json={"option": "z"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "option"
    page = server.ald.get(f"/runs/{RUN}/play").text
    assert 'id="choice-4"' in page and "Option A" in page and "Option B" in page
    # Aldoria picks on its page; Brenland through the API.
    picked = server.ald.post(
        f"/runs/{RUN}/play/injects/4/choice", data={"option": "a"}, headers=HTMX
    )
    assert picked.status_code == 200, picked.text
    assert "Your side picked: Option A" in picked.text
    reply = server.brn.post(f"/api/runs/{RUN}/injects/4/choice", json={"option": "a"})
    assert reply.status_code == 200, reply.text
    assert "Chosen:" in server.brn.get(f"/runs/{RUN}/play").text
    until(lambda: "9" in numbers(server.brn), "the chosen branch (inject 9) is released")


def test_the_design_page_draws_the_allied_example_as_a_branch_map(server: Server) -> None:
    page = server.admin.get("/design/examples/allied-consultation")
    assert page.status_code == 200, page.text
    text = page.text
    assert "Branch map" in text and "<svg" in text and 'role="img"' in text
    assert "not-concurred(by=brn, with=ald, within=1h30m, after=module:day2)" in text
    assert "<title>module:day2 → inject:2.6</title>" in text
    assert "<title>module:day2 → inject:2.6a</title>" in text
    assert "<title>inject:1.1 → inject:1.5</title>" in text
    assert "Joint statement agreed" in text
    assert "<style" not in text  # the page's policy allows no inline styles
