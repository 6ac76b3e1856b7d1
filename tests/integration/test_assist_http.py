"""Assistants served: the pages and their JSON twins, against the fake model server, and a leak
test in the style of test_leak.py — a proposal (its id, its words, its trace) reaches its
asker and control, and no player by any path: the JSON API, the log, the SSE stream, the
player page, the assistant's own page and panel."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sitroom.package.examples import example_path
from tests.support.fake_llm import FakeLLM, running
from tests.support.server import create_admin, invite_and_join, running_server, sign_in

PASSWORD = "assist-http-password"
RUN = "assisted"


@pytest.fixture
def llm(tmp_path: Path) -> Iterator[FakeLLM]:
    folder = tmp_path / "llm"
    folder.mkdir()
    with running(folder) as fake:
        yield fake


def _stream(client: httpx.Client, path: str, upto: int, seconds: float = 5.0) -> str:
    """What an SSE stream sends from the start until event ``upto`` (or a few seconds)."""
    found: list[str] = []
    deadline = time.monotonic() + seconds
    with client.stream("GET", path, timeout=seconds) as reply:
        assert reply.status_code == 200
        for line in reply.iter_lines():
            found.append(line)
            if line.startswith("id:") and int(line[3:].strip() or 0) >= upto:
                break
            if time.monotonic() > deadline:
                break
    return "\n".join(found)


def test_proposals_reach_their_asker_and_control_and_never_a_player(
    tmp_path: Path, llm: FakeLLM
) -> None:
    create_admin(tmp_path, PASSWORD)
    text = (example_path("allied-consultation") / "exercise.yaml").read_text(encoding="utf-8")
    env = {
        "SITROOM_FOLLOWERS": "none",
        "SITROOM_LLM_BASE_URL": llm.base_url,
        "SITROOM_LLM_MODEL": "test-model",
    }
    with running_server(tmp_path, **env) as base:
        admin = sign_in(base, "admin", PASSWORD)
        assert admin.post("/api/runs", json={"package_yaml": text, "run_id": RUN}).is_success
        assert admin.post(f"/api/runs/{RUN}/start", json={}).is_success
        assert admin.post(f"/api/runs/{RUN}/injects/1.1/release", json={}).is_success
        player = invite_and_join(
            admin, base, RUN, name="Ana", role="player", team="ald-nss", single_use=False
        )
        evaluator = invite_and_join(admin, base, RUN, name="Eve", role="evaluator")
        other = invite_and_join(admin, base, RUN, name="Oli", role="evaluator")
        said = player.post(
            f"/api/runs/{RUN}/responses",
            json={"target": "inject", "ref": "1.1", "text": "Aldoria informs Brenland now."},
        )
        assert said.is_success, said.text

        # The evaluator asks; the request names its principal; the proposal is theirs.
        asked = evaluator.post(f"/api/runs/{RUN}/assist/evaluator", json={})
        assert asked.status_code == 200, asked.text
        proposal = asked.json()
        (item,) = proposal["items"]
        why = item["why"]
        assert (
            why == "The team answered in time." and llm.requests()[-1]["user"] == "assist:evaluator"
        )
        mine = evaluator.get(f"/api/runs/{RUN}/assist/evaluator").json()["proposals"]
        assert mine[0]["id"] == proposal["id"] and mine[0]["trace"]["model"] == "test-model"
        assert mine[0]["items"][0]["evidence"][0]["seq"] == item["evidence"][0]
        assert other.get(f"/api/runs/{RUN}/assist/evaluator").json()["proposals"] == []
        assert (
            admin.get(f"/api/runs/{RUN}/assist/evaluator").json()["proposals"][0]["id"]
            == (proposal["id"])
        )

        # The panel on the evaluator's page, and its page without htmx.
        panel = evaluator.get(f"/runs/{RUN}/assist/evaluator", headers={"HX-Request": "true"}).text
        assert why in panel and "Accept as my rating" in panel
        page = evaluator.get(f"/runs/{RUN}/evaluate").text
        assert 'id="assist-evaluator"' in page and "Propose ratings" in page

        # The facilitator's follow-up card: a planned inject, released with one click.
        follow = admin.post(f"/api/runs/{RUN}/assist/facilitator", json={})
        assert follow.status_code == 200, follow.text
        assert llm.requests()[-1]["user"] == "assist:facilitator"
        (suggested,) = follow.json()["items"]
        assert suggested["kind"] == "inject"
        console = admin.get(f"/runs/{RUN}/console").text
        assert 'id="assist-facilitator"' in console
        card = admin.get(f"/runs/{RUN}/assist/facilitator", headers={"HX-Request": "true"}).text
        assert "Aldoria informs Brenland now." in card  # the response it follows up
        released = admin.post(
            f"/runs/{RUN}/assist/facilitator/{follow.json()['id']}/1/accept",
            data={"csrf_token": admin.headers["X-CSRF-Token"]},
            headers={"HX-Request": "true"},
        )
        assert released.status_code == 200 and "Accepted" in released.text
        assert evaluator.post(f"/api/runs/{RUN}/assist/facilitator", json={}).status_code == 403

        # What a player may read, by every path: nothing of any proposal.
        last = admin.get(f"/api/runs/{RUN}/log").json()["events"][-1]["seq"]
        markers = [proposal["id"], follow.json()["id"], why, "assist-proposed", "assist:"]
        reads = {
            "log": player.get(f"/api/runs/{RUN}/log").text,
            "play": player.get(f"/runs/{RUN}/play").text,
            "stream": _stream(player, f"/api/runs/{RUN}/events?after=0", last),
        }
        for path in ("/api/runs/{run}/assist/evaluator", "/runs/{run}/assist/evaluator"):
            refused = player.get(path.format(run=RUN))
            assert refused.status_code == 403
            reads[path] = refused.text
        assert player.post(f"/api/runs/{RUN}/assist/report", json={}).status_code == 403
        for where, body in reads.items():
            leaked = [m for m in markers if m in body]
            assert not leaked, f"a player read {leaked} in {where}"
        # The same paths show the evaluator its proposal (so the test can fail).
        assert proposal["id"] in evaluator.get(f"/api/runs/{RUN}/log").text

        # Accepted through the JSON twin: the rating is the evaluator's observation.
        done = evaluator.post(
            f"/api/runs/{RUN}/assist/evaluator/{proposal['id']}/{item['key']}/accept",
            json={"edit": {"rating": "P"}},
        )
        assert done.status_code == 200, done.text
        assert [r["type"] for r in done.json()["recorded"]] == [
            "assist-answered",
            "observation-recorded",
        ]
        observations = evaluator.get(f"/api/runs/{RUN}/observations").json()
        assert isinstance(observations, list)
        ours = [o for o in observations if o["tags"].get("task") == item["task"]]
        assert ours and ours[-1]["tags"]["rating"] == "P", ours[-1:]
        assert ours[-1]["author"] == evaluator.get("/api/me").json()["id"]

        # Drafted findings on the AAR page: every sentence cites; accepted, the finding is theirs.
        report_page = evaluator.get(f"/runs/{RUN}/report").text
        assert 'id="assist-report"' in report_page and "Draft findings" in report_page
        drafted = evaluator.post(f"/api/runs/{RUN}/assist/report", json={})
        assert drafted.status_code == 200, drafted.text
        assert llm.requests()[-1]["user"] == "assist:report"
        (finding,) = drafted.json()["items"]
        added = evaluator.post(
            f"/runs/{RUN}/assist/report/{drafted.json()['id']}/{finding['key']}/accept",
            data={
                "csrf_token": evaluator.headers["X-CSRF-Token"],
                "title": "Early and joint consultation",
                "analysis": finding["sentences"][0]["text"],
                "recommendation": "",
            },
            follow_redirects=False,
        )
        assert added.status_code == 303 and added.headers["location"].endswith("#assist-report")
        findings = evaluator.get(f"/api/runs/{RUN}/findings").json()
        saved = [f for f in findings if f["title"] == "Early and joint consultation"]
        assert saved and saved[0]["evidence"] == finding["sentences"][0]["cites"]
        for client in (admin, player, evaluator, other):
            client.close()
