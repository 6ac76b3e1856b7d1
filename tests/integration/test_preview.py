"""Control previews a run as a team, a party, an evaluator or the room display, over real
HTTP: the page is that audience's, through the same gate, bannered and read-only; nothing is
recorded; nobody but control can preview; and the players' own pages never show a preview."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.support.packages import SECRET_MARKERS, TWO_PARTIES
from tests.support.server import create_admin, invite_and_join, running_server, sign_in

PASSWORD = "preview-password"
RUN = "duo"
ALD_ONLY = "ZZALD-ONLY-TEXT"
CONTROL_ONLY = [m for m in SECRET_MARKERS if m != ALD_ONLY]


@dataclass
class Room:
    base: str
    admin: httpx.Client
    ald: httpx.Client
    brn: httpx.Client

    def api(self, path: str) -> None:
        reply = self.admin.post(f"/api/runs/{RUN}{path}", json={})
        assert reply.status_code == 200, reply.text

    def log_length(self) -> int:
        reply = self.admin.get(f"/api/runs/{RUN}/log")
        assert reply.status_code == 200, reply.text
        return len(reply.json()["events"])


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Room]:
    data_dir = tmp_path_factory.mktemp("preview")
    create_admin(data_dir, PASSWORD, "admin")
    with running_server(data_dir) as base:
        admin = sign_in(base, "admin", PASSWORD)
        admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": RUN})
        clients = Room(
            base,
            admin,
            invite_and_join(admin, base, RUN, name="Ada Aldor", role="player", team="ald-nsc"),
            invite_and_join(admin, base, RUN, name="Bo Brenner", role="player", team="brn-nsc"),
        )
        clients.api("/start")
        clients.api("/injects/1/release")
        clients.api("/injects/2/release")  # to Aldoria only, releasable to Aldoria only
        yield clients
        for client in (admin, clients.ald, clients.brn):
            client.close()


def test_the_console_offers_every_view_and_leads_to_it(room: Room) -> None:
    console = room.admin.get(f"/runs/{RUN}/console").text
    for value in ("team:ald-nsc", "team:brn-nsc", "party:ald", "evaluator", "display:brn"):
        assert f'value="{value}"' in console
    assert 'value="team:excon"' not in console  # a control cell is nobody to preview
    moved = room.admin.get(f"/runs/{RUN}/preview", params={"as": "team:brn-nsc"})
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/runs/{RUN}/play?as=team%3Abrn-nsc"


def test_a_team_preview_shows_what_the_team_sees_and_no_more(room: Room) -> None:
    before = room.log_length()
    ald = room.admin.get(f"/runs/{RUN}/play", params={"as": "team:ald-nsc"})
    brn = room.admin.get(f"/runs/{RUN}/play", params={"as": "team:brn-nsc"})
    assert ald.status_code == 200 and brn.status_code == 200
    assert ALD_ONLY in ald.text and ALD_ONLY not in brn.text
    for page in (ald.text, brn.text):
        assert 'class="preview-banner"' in page
        assert "data-preview" in page and "X-Sitroom-Preview" in page
        for marker in CONTROL_ONLY:
            assert marker not in page, marker
    assert "Brenland staff" in brn.text.split('class="preview-banner"')[1].split("</div>")[0]
    # The stream and the panels of the previewed page carry the preview.
    assert "&amp;as=team%3Abrn-nsc" in brn.text
    panel = room.admin.get(
        f"/runs/{RUN}/play/panels/injects", headers={"X-Sitroom-Preview": "team:brn-nsc"}
    )
    assert panel.status_code == 200 and ALD_ONLY not in panel.text
    # Looking records nothing: no receipt for a stand-in.
    assert room.log_length() == before


def test_the_previewed_stream_is_the_team_s(room: Room) -> None:
    with room.admin.stream(
        "GET",
        f"/api/runs/{RUN}/events",
        params={"after": "0", "as": "team:brn-nsc", "fragments": "play"},
        timeout=30,
    ) as stream:
        assert stream.status_code == 200
        seen = ""
        for chunk in stream.iter_text():
            seen += chunk
            if "id: " in seen and seen.count("\n\n") >= 3:
                break
    assert ALD_ONLY not in seen
    for marker in CONTROL_ONLY:
        assert marker not in seen, marker


def test_other_views_through_the_gate(room: Room) -> None:
    observer = room.admin.get(f"/runs/{RUN}/evaluate", params={"as": "party:brn"})
    assert observer.status_code == 200 and ALD_ONLY not in observer.text
    assert "preview-banner" in observer.text
    evaluator = room.admin.get(f"/runs/{RUN}/evaluate", params={"as": "evaluator"})
    assert evaluator.status_code == 200 and "preview-banner" in evaluator.text
    display = room.admin.get(f"/runs/{RUN}/display", params={"as": "display"})
    assert display.status_code == 200 and ALD_ONLY not in display.text


def test_a_preview_is_read_only(room: Room) -> None:
    page = room.admin.get(f"/runs/{RUN}/play", params={"as": "team:ald-nsc"}).text
    token = re.search(r'<meta name="csrf-token" content="([^"]*)"', page)
    assert token
    before = room.log_length()
    refused = room.admin.post(
        f"/runs/{RUN}/play/injects/1/acknowledge",
        data={"csrf_token": token.group(1)},
        headers={"X-Sitroom-Preview": "team:ald-nsc", "HX-Request": "true"},
    )
    assert refused.status_code == 403
    assert "read-only" in refused.text
    assert room.log_length() == before


def test_only_control_previews_and_only_what_exists(room: Room) -> None:
    player = room.brn.get(f"/runs/{RUN}/play", params={"as": "team:ald-nsc"})
    assert player.status_code == 403 and ALD_ONLY not in player.text
    stream = room.brn.get(f"/api/runs/{RUN}/events", params={"as": "team:ald-nsc"})
    assert stream.status_code == 403
    assert stream.json()["errors"][0]["field"] == "as"
    unknown = room.admin.get(f"/runs/{RUN}/play", params={"as": "team:nobody"})
    assert unknown.status_code == 400 and "ald-nsc" in unknown.text
    garbled = room.admin.get(f"/runs/{RUN}/play", params={"as": "everyone"})
    assert garbled.status_code == 400 and "accepted" in garbled.text


def test_the_players_own_pages_never_show_a_preview(room: Room) -> None:
    room.admin.get(f"/runs/{RUN}/play", params={"as": "team:ald-nsc"})  # the shared page
    own = room.ald.get(f"/runs/{RUN}/play").text
    assert "preview-banner" not in own and "data-preview" not in own
    assert "X-Sitroom-Preview" not in own and "as=team" not in own
    assert ALD_ONLY in own
