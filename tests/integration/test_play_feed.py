"""The player page's event stream (``fragments=play``): what changed arrives as HTML, rendered
once for everyone who sees it alike, carrying nothing of one viewer, only where the gate
allows; events whose HTML differs per viewer still arrive as events for the page to fetch."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from sitroom.bootstrap import build_services
from sitroom.conduct import commands as cmd
from sitroom.conduct import events as ev
from sitroom.conduct.principal import Principal, Role
from sitroom.config import load_settings
from sitroom.services.runs import StoredEvent
from sitroom.web.pages.play_feed import FEED_EVENT, PUSHED, PlayFeed, audience_of
from sitroom.web.pages.play_panels import LISTENED
from sitroom.web.pages.play_wakeups import PageWakeups
from tests.support.packages import SECRET_MARKERS, TWO_PARTIES, two_parties
from tests.support.server import create_admin, invite_and_join, running_server, sign_in

PASSWORD = "play-feed-password"
RUN = "feed"
NOT_ON_THE_PLAYER_PAGE = {
    "inject-received": "a delivery receipt: control's console shows it",
    "inject-acknowledged": "the player's own: the acknowledging post answers with the panel",
    "observation-recorded": "the evaluation record",
    "target-rated": "the evaluation record",
    "capability-rated": "the evaluation record",
    "clause-recorded": "the evaluation record",
    "hot-wash-item-added": "the hot wash page",
    "feedback-submitted": "the feedback page",
    "finding-saved": "the AAR in the making",
    "finding-removed": "the AAR in the making",
    "report-finalised": "the AAR in the making",
    "inject-mailed": "an inject's delivery by e-mail: control's console shows it",
    "mail-failed": "an inject's delivery by e-mail: control's console shows it",
    "cell-acted": "control's record of its simulated cells (the console's cells panel)",
    "cell-action-held": "control's record of its simulated cells",
    "cell-action-released": "control's record (what it released is pushed as itself)",
    "cell-action-discarded": "control's record of its simulated cells",
    "cell-mode-set": "control's and the cell's own, never a person's page",
    "trigger-met": "control's branches panel (a proposed inject stays control's)",
    "trigger-accepted": "control's record; what it releases is pushed as itself",
    "trigger-dismissed": "control's branches panel",
    "milestone-reached": "control's and the evaluators' record",
    "assist-proposed": "an assistant's proposal: its asker's (evaluator) or control's",
    "assist-answered": "its asker's record; what an acceptance records is pushed as itself",
}
# A matrix game's events are LISTENED: the game panel (each viewer's own) is fetched again on
# each one the gate lets the viewer's stream carry (play_panels.PANELS["game"]).


@dataclass
class Message:
    id: int | None
    event: str
    data: str


@dataclass
class Room:
    base: str
    admin: httpx.Client
    ald: httpx.Client
    ald2: httpx.Client
    brn: httpx.Client
    observer: httpx.Client

    def api(self, path: str, body: dict[str, object] | None = None) -> int:
        reply = self.admin.post(f"/api/runs/{RUN}{path}", json=body or {})
        assert reply.status_code == 200, reply.text
        return self.seq()

    def seq(self) -> int:
        return int(self.admin.get(f"/api/runs/{RUN}").json()["seq"])


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Room]:
    data_dir = tmp_path_factory.mktemp("play-feed")
    create_admin(data_dir, PASSWORD, "admin")
    with running_server(data_dir) as base:
        admin = sign_in(base, "admin", PASSWORD)
        admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": RUN})

        def member(**body: object) -> httpx.Client:
            return invite_and_join(admin, base, RUN, **body)

        found = Room(
            base,
            admin,
            member(name="Ada Aldor", role="player", team="ald-nsc"),
            member(name="Abe Aldor", role="player", team="ald-nsc"),
            member(name="Bo Brenner", role="player", team="brn-nsc"),
            member(name="Olu Observer", role="observer", team="ald-nsc"),
        )
        found.api("/start")
        yield found
        for client in (admin, found.ald, found.ald2, found.brn, found.observer):
            client.close()


def stream(client: httpx.Client, after: int, fragments: str | None = "play") -> list[Message]:
    """What the player page's stream sends after ``after``, up to the first heartbeat (the
    clock's tick on a page's stream, a ping on the others)."""
    params = {"after": str(after), **({"fragments": fragments} if fragments else {})}
    messages: list[Message] = []
    fields: dict[str, list[str]] = {}
    with client.stream("GET", f"/api/runs/{RUN}/events", params=params) as reply:
        assert reply.status_code == 200, reply.read()
        for line in reply.iter_lines():
            if line.startswith(": ping"):
                break
            if line:
                name, _, value = line.partition(": ")
                fields.setdefault(name, []).append(value)
                continue
            if "data" in fields:
                ids = fields.get("id")
                message = Message(
                    int(ids[0]) if ids else None,
                    fields.get("event", ["message"])[0],
                    "\n".join(fields["data"]),
                )
                if message.id is None and message.event == FEED_EVENT:
                    break  # the clock's tick: the heartbeat of a page's stream
                messages.append(message)
            fields = {}
    return messages


def html_of(messages: list[Message]) -> str:
    return "\n".join(m.data for m in messages if m.event == FEED_EVENT)


def test_a_release_arrives_as_html_only_for_the_teams_that_may_see_it(room: Room) -> None:
    before = room.seq()
    seq = room.api("/injects/2/release")
    ald, brn = stream(room.ald, before), stream(room.brn, before)
    html = html_of(ald)
    assert 'hx-swap-oob="afterbegin:#inject-list"' in html
    assert 'id="inject-2"' in html and "ZZALD-ONLY-TEXT" in html
    assert "National assessment" in html
    assert ald[-1].id == seq, "the event's last frame carries its sequence number"
    assert "inject-released" not in {m.event for m in ald}, "the page takes the HTML instead"
    assert "inject-2" not in html_of(brn) and "ZZALD-ONLY-TEXT" not in html_of(brn)
    for marker in SECRET_MARKERS:
        if marker != "ZZALD-ONLY-TEXT":
            assert marker not in html


def test_pushed_html_is_the_same_for_a_whole_team_and_holds_nothing_of_one_viewer(
    room: Room,
) -> None:
    room.api("/injects/1/release")
    ack = room.ald.post(f"/api/runs/{RUN}/injects/1/acknowledge")
    assert ack.status_code == 200, ack.text
    before = room.seq()
    room.api("/injects/1/correct", {"content": {"en": "A test is postponed.", "ko": "연기."}})
    mine, theirs = html_of(stream(room.ald, before)), html_of(stream(room.ald2, before))
    assert mine == theirs
    assert 'id="inject-1" class="inject corrected"' in mine and 'hx-swap-oob="true"' in mine
    assert "A test is postponed." in mine
    # Ada acknowledged and Abe did not: the card keeps what each page shows there.
    assert re.search(r'<div id="inject-1-ack" hx-preserve>', mine)
    assert "Acknowledged at" not in mine
    for client in (room.ald, room.ald2):
        assert client.headers["X-CSRF-Token"] not in mine
    assert 'name="csrf_token"' not in mine
    assert re.findall(r'name="key" value="([^"]*)"', mine) == [""], "no shared idempotency key"
    assert "Acknowledged at" in room.ald.get(f"/runs/{RUN}/play/panels/injects").text


def test_an_observer_of_the_team_gets_the_cards_without_forms(room: Room) -> None:
    before = room.seq()
    room.api("/updates", {"text": {"en": "ZZALD-UPDATE for Aldoria"}, "parties": ["ald"]})
    room.api("/injects/1/correct", {"content": {"en": "A test is off.", "ko": "취소."}})
    html = html_of(stream(room.observer, before))
    assert 'hx-swap-oob="afterbegin:#update-list"' in html and "ZZALD-UPDATE" in html
    assert "A test is off." in html
    assert "<form" not in html
    assert "ZZALD-UPDATE" not in html_of(stream(room.brn, before))


def test_a_response_updates_the_teams_responses_to_that_inject_only(room: Room) -> None:
    before = room.seq()
    sent = room.ald.post(
        f"/api/runs/{RUN}/responses",
        json={"target": "inject", "ref": "1", "text": "ZZALD-RESPONSE <b>now</b>"},
    )
    assert sent.status_code == 200, sent.text
    html = html_of(stream(room.ald2, before))
    assert html.startswith('<div id="inject-1-responses" class="responses" hx-swap-oob="true">')
    assert "ZZALD-RESPONSE &lt;b&gt;now&lt;/b&gt;" in html
    assert "<article" not in html, "a response re-renders the team's responses, not the panel"
    assert "ZZALD-RESPONSE" not in html_of(stream(room.brn, before))


def test_decisions_notes_and_module_changes_arrive_as_html(room: Room) -> None:
    before = room.seq()
    proposed = room.ald.post(
        f"/api/runs/{RUN}/decisions",
        json={"title": "Joint line", "text": "Together.", "joint_with": ["brn"]},
    )
    assert proposed.status_code == 200, proposed.text
    note = room.ald.post(f"/api/runs/{RUN}/notes", json={"text": "ZZALD-NOTE"})
    assert note.status_code == 200, note.text
    room.api("/modules/m2/open")
    ald, brn = html_of(stream(room.ald, before)), html_of(stream(room.brn, before))
    assert 'hx-swap-oob="afterbegin:#decision-list"' in brn and "Joint line" in brn
    assert 'id="answer-' in brn, "Brenland is asked to concur"
    assert 'id="answer-' not in ald
    assert 'hx-swap-oob="afterbegin:#note-list"' in ald and "ZZALD-NOTE" in ald
    assert "ZZALD-NOTE" not in brn
    assert 'hx-swap-oob="innerHTML:#panel-module-body"' in ald and "Day 2" in ald


def test_events_whose_html_differs_per_viewer_still_arrive_as_events(room: Room) -> None:
    room.api("/modules/m1/open")
    before = room.seq()
    room.api("/polls/p1/open")
    voted = room.ald.post(f"/api/runs/{RUN}/polls/p1/votes", json={"options": ["yes"]})
    assert voted.status_code == 200, voted.text
    seq = room.api("/polls/p1/close")
    ald, ald2 = stream(room.ald, before), stream(room.ald2, before)
    assert 'hx-swap-oob="innerHTML:#panel-polls-body"' in html_of(ald)
    assert [m.event for m in ald if m.event != FEED_EVENT] == ["poll-vote-cast", "poll-closed"]
    assert [m.event for m in ald2 if m.event != FEED_EVENT] == ["poll-closed"]
    assert ald[-1].id == seq


def test_the_clock_comes_in_the_stream_at_every_heartbeat_once_per_audience(room: Room) -> None:
    ticks: list[str] = []
    for client in (room.ald, room.ald2):
        with client.stream(
            "GET", f"/api/runs/{RUN}/events", params={"after": str(room.seq()), "fragments": "play"}
        ) as reply:
            block: list[str] = []
            for line in reply.iter_lines():
                if line:
                    block.append(line)
                elif any(x.startswith("data: ") for x in block):
                    assert not any(x.startswith("id: ") for x in block), "no log event"
                    ticks.append("\n".join(x[6:] for x in block if x.startswith("data: ")))
                    break
    assert ticks[0].startswith('<div hx-swap-oob="innerHTML:#panel-status-body">')
    assert "Aldoria staff" in ticks[0] and "<form" not in ticks[0]
    assert (
        'hx-trigger="refresh"'
        in room.ald.get(f"/runs/{RUN}/play").text.split('id="panel-status-body"')[1].split(">")[0]
    ), "the page no longer asks for its clock"


def test_the_page_stream_is_for_the_players_of_a_team(room: Room) -> None:
    refused = room.admin.get(f"/api/runs/{RUN}/events", params={"fragments": "play"})
    assert refused.status_code == 403 and refused.json()["errors"][0]["field"] == "fragments"
    garbled = room.ald.get(f"/api/runs/{RUN}/events", params={"fragments": "console"})
    error = garbled.json()["errors"][0]
    assert garbled.status_code == 422 and error["field"] == "fragments"
    assert "'play'" in error["message"]


def test_the_page_listens_for_its_stream(room: Room) -> None:
    page = room.ald.get(f"/runs/{RUN}/play").text
    assert "&amp;fragments=play" in page
    assert f'sse-swap="{FEED_EVENT}" hx-swap="none"' in page


def test_every_event_type_is_pushed_fetched_or_not_on_the_player_page() -> None:
    types = set(ev.EVENT_TYPES)
    assert PUSHED | LISTENED | set(NOT_ON_THE_PLAYER_PAGE) == types
    assert not PUSHED & LISTENED


@pytest.mark.asyncio
async def test_an_event_is_rendered_once_per_audience_and_shared(tmp_path: Path) -> None:
    svc = build_services(load_settings({"SITROOM_DATA_DIR": str(tmp_path)}))
    try:
        run = svc.engine.create_run(two_parties(), run_id="once").id
        control = Principal("account:fac", Role.FACILITATOR, "Fac")
        svc.engine.handle(run, cmd.StartRun(), control)
        [stored] = svc.engine.handle(run, cmd.ReleaseInject("1"), control).events
        ada, abe = (Principal(f"invite:{n}", Role.PLAYER, n, "ald-nsc", "ald") for n in "ab")
        bo = Principal("invite:bo", Role.PLAYER, "Bo", "brn-nsc", "brn")
        feed = PlayFeed(svc)
        first, second, other, korean = await asyncio.gather(
            feed.frames(run, stored, audience_of(ada, "en")),
            feed.frames(run, stored, audience_of(abe, "en")),
            feed.frames(run, stored, audience_of(bo, "en")),
            feed.frames(run, stored, audience_of(ada, "ko")),
        )
        assert first is second, "two players of one team wait for one render"
        assert other is not first and korean is not first
        assert "Announcement" in first[0].data and "발표" in korean[0].data
        assert await feed.frames(run, stored, audience_of(abe, "en")) is first, "kept"
    finally:
        svc.close()


@pytest.mark.asyncio
async def test_an_event_is_rendered_for_every_open_audience_before_its_streams_wake(
    tmp_path: Path,
) -> None:
    svc = build_services(load_settings({"SITROOM_DATA_DIR": str(tmp_path)}))
    await svc.broker.start()
    feed = PlayFeed(svc)
    prepared: list[int] = []

    async def prepare(run_id: str, stored: StoredEvent) -> None:
        await feed.prepare(run_id, stored)
        prepared.append(stored.seq)

    wakeups = PageWakeups(svc.broker, svc.engine, 5.0, prepare=prepare)
    try:
        run = svc.engine.create_run(two_parties(), run_id="ahead").id
        control = Principal("account:fac", Role.FACILITATOR, "Fac")
        started = svc.engine.handle(run, cmd.StartRun(), control).last_seq
        assert started is not None
        ald = audience_of(Principal("invite:a", Role.PLAYER, "A", "ald-nsc", "ald"), "en")
        brn = audience_of(Principal("invite:b", Role.PLAYER, "B", "brn-nsc", "brn"), "ko")
        feed.attend(run, ald)
        feed.attend(run, brn)
        waiting = asyncio.create_task(wakeups.wait_beyond(run, started, 5.0))
        await asyncio.sleep(0.05)
        [stored] = svc.engine.handle(run, cmd.ReleaseInject("1"), control).events
        assert await asyncio.wait_for(waiting, 5.0) == stored.seq
        assert prepared == [stored.seq], "rendered before the streams woke"
        for audience in (ald, brn):
            frames = await asyncio.wait_for(feed.frames(run, stored, audience), 0.01)
            assert frames and "inject-1" in frames[0].data
    finally:
        await wakeups.close()
        await svc.broker.close()
        svc.close()
