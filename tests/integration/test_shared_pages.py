"""Pages shared by an audience over real HTTP: a page rendered once for everyone of one role,
team and party never reaches another audience, each viewer's own parts (CSRF token, name,
form keys, acknowledgements) stay theirs, and a page read after an event shows the event."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.support.packages import TWO_PARTIES
from tests.support.server import create_admin, invite_and_join, running_server, sign_in

PASSWORD = "shared-pages-password"
RUN = "duo"
ALD_ONLY = "ZZALD-ONLY-TEXT"


@dataclass
class Room:
    base: str
    admin: httpx.Client
    ald: httpx.Client
    ald_two: httpx.Client
    brn: httpx.Client
    evaluator: httpx.Client

    def api(self, path: str, body: dict[str, object] | None = None) -> None:
        reply = self.admin.post(f"/api/runs/{RUN}{path}", json=body or {})
        assert reply.status_code == 200, reply.text


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Room]:
    data_dir = tmp_path_factory.mktemp("shared-pages")
    create_admin(data_dir, PASSWORD, "admin")
    with running_server(data_dir) as base:
        admin = sign_in(base, "admin", PASSWORD)
        admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": RUN})

        def member(**body: object) -> httpx.Client:
            return invite_and_join(admin, base, RUN, **body)

        clients = Room(
            base,
            admin,
            member(name="Ada Aldor", role="player", team="ald-nsc"),
            member(name="Abe Aldor", role="player", team="ald-nsc"),
            member(name="Bo Brenner", role="player", team="brn-nsc"),
            member(name="Eve Evaluator", role="evaluator"),
        )
        clients.api("/start")
        clients.api("/injects/1/release")
        clients.api("/injects/2/release")  # to Aldoria only, releasable to Aldoria only
        yield clients
        for client in (admin, clients.ald, clients.ald_two, clients.brn, clients.evaluator):
            client.close()


def csrf_of(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]*)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def keys_of(html: str) -> list[str]:
    return re.findall(r'name="key" value="([^"]*)"', html)


async def many(clients: list[httpx.Client], path: str, rounds: int) -> list[tuple[int, str]]:
    """Every client asks for ``path`` ``rounds`` times, all at once; (client index, page)."""

    async def one(index: int, client: httpx.Client) -> tuple[int, str]:
        async with httpx.AsyncClient(
            base_url=client.base_url, cookies=client.cookies, timeout=60
        ) as session:
            reply = await session.get(path)
        assert reply.status_code == 200, reply.text
        return index, reply.text

    jobs = [one(i, c) for _ in range(rounds) for i, c in enumerate(clients)]
    return list(await asyncio.gather(*jobs))


def test_players_of_two_parties_at_once_each_get_their_own_page(room: Room) -> None:
    players = [room.ald, room.brn, room.ald_two]
    names = ["Ada Aldor", "Bo Brenner", "Abe Aldor"]
    pages = asyncio.run(many(players, f"/runs/{RUN}/play", rounds=8))
    seen_keys: set[str] = set()
    tokens: dict[int, str] = {}
    for index, html in pages:
        aldorian = index != 1
        assert (ALD_ONLY in html) is aldorian, (names[index], "the other party's inject")
        assert ("Aldoria staff" in html) is aldorian
        assert ("Brenland staff" in html) is not aldorian
        assert names[index] in html
        assert not any(other in html for other in names if other != names[index])
        assert "\x00" not in html
        keys = keys_of(html)
        assert keys and not seen_keys & set(keys), "form keys are fresh on every page"
        seen_keys.update(keys)
        assert csrf_of(html) not in tokens.values(), "a CSRF token is made for each page"
        tokens[index] = csrf_of(html)
    for index, token in tokens.items():  # each page carries its own viewer's token
        reply = players[index].post(
            f"/runs/{RUN}/play/notes",
            data={"csrf_token": token, "text": f"Note by {names[index]}", "key": uuid.uuid4().hex},
            headers={"HX-Request": "true"},
        )
        assert reply.status_code == 200, reply.text
        assert reply.headers.get("HX-Trigger") == "play-notes", reply.text


def test_each_panel_of_two_parties_at_once_stays_with_its_party(room: Room) -> None:
    for panel in ("injects", "updates", "module", "questions", "decisions", "notes"):
        path = f"/runs/{RUN}/play/panels/{panel}"
        for index, html in asyncio.run(many([room.ald, room.brn], path, rounds=4)):
            if panel == "injects":
                assert (ALD_ONLY in html) is (index == 0), panel
            assert "Aldoria only question" not in html or index == 0, panel


def test_an_acknowledgement_is_the_viewer_s_own_on_a_shared_page(room: Room) -> None:
    reply = room.ald.post(
        f"/runs/{RUN}/play/injects/1/acknowledge",
        data={"csrf_token": csrf_of(room.ald.get(f"/runs/{RUN}/play").text)},
        headers={"HX-Request": "true"},
    )
    assert reply.status_code == 200, reply.text
    mine = room.ald.get(f"/runs/{RUN}/play").text
    theirs = room.ald_two.get(f"/runs/{RUN}/play").text
    inject = re.compile(r'<article id="inject-1" class="([^"]*)".*?</article>', re.S)
    mine_card, theirs_card = inject.search(mine), inject.search(theirs)
    assert mine_card and theirs_card
    # The button (which also marks the card unread: play.css, .inject:has(.ack-form)) is
    # only on the page of the one who has not acknowledged.
    assert "Acknowledged at" in mine_card.group(0)
    assert "ack-form" not in mine_card.group(0)
    assert "Acknowledged at" not in theirs_card.group(0)
    assert "ack-form" in theirs_card.group(0)
    assert "/injects/1/acknowledge" in theirs_card.group(0)
    # The acknowledgement is made once for everyone; each form carries its viewer's token.
    for html in (mine, theirs):
        assert set(re.findall(r'name="csrf_token" value="([^"]*)"', html)) == {csrf_of(html)}
    card_token = re.search(r'name="csrf_token" value="([^"]*)"', theirs_card.group(0))
    assert card_token and card_token.group(1) == csrf_of(theirs)
    reply = room.ald_two.post(
        f"/runs/{RUN}/play/injects/1/acknowledge",
        data={"csrf_token": card_token.group(1)},
        headers={"HX-Request": "true"},
    )
    assert reply.status_code == 200, reply.text
    assert "Acknowledged at" in reply.text


def test_a_page_after_an_event_shows_the_event(room: Room) -> None:
    before = room.brn.get(f"/runs/{RUN}/play").text
    console = room.admin.get(f"/runs/{RUN}/console").text
    evaluate = room.evaluator.get(f"/runs/{RUN}/evaluate").text
    assert "ZZ-FRESH-UPDATE" not in before
    room.api("/updates", {"text": {"en": "ZZ-FRESH-UPDATE", "ko": "ZZ-FRESH-UPDATE"}})
    assert "ZZ-FRESH-UPDATE" in room.brn.get(f"/runs/{RUN}/play").text
    assert "ZZ-FRESH-UPDATE" in room.brn.get(f"/runs/{RUN}/play/panels/updates").text
    assert "ZZ-FRESH-UPDATE" in room.admin.get(f"/runs/{RUN}/console").text
    assert "ZZ-FRESH-UPDATE" not in console

    respond = room.brn.post(
        f"/api/runs/{RUN}/responses",
        json={"target": "inject", "ref": "1", "text": "ZZ-FRESH-RESPONSE"},
        headers={"X-CSRF-Token": room.brn.headers["X-CSRF-Token"]},
    )
    assert respond.status_code == 200, respond.text
    assert "ZZ-FRESH-RESPONSE" in room.brn.get(f"/runs/{RUN}/play").text
    assert "ZZ-FRESH-RESPONSE" not in room.ald.get(f"/runs/{RUN}/play").text
    assert "ZZ-FRESH-RESPONSE" in room.admin.get(f"/runs/{RUN}/console/panels/responses").text

    observed = room.evaluator.post(
        f"/api/runs/{RUN}/observations",
        json={"text": "ZZ-FRESH-OBSERVATION"},
        headers={"X-CSRF-Token": room.evaluator.headers["X-CSRF-Token"]},
    )
    assert observed.status_code == 200, observed.text
    assert "ZZ-FRESH-OBSERVATION" not in evaluate
    assert "ZZ-FRESH-OBSERVATION" in room.evaluator.get(f"/runs/{RUN}/evaluate").text

    report = room.admin.get(f"/runs/{RUN}/report").text
    saved = room.evaluator.post(
        f"/api/runs/{RUN}/findings",
        json={"kind": "strength", "title": "ZZ-FRESH-FINDING"},
        headers={"X-CSRF-Token": room.evaluator.headers["X-CSRF-Token"]},
    )
    assert saved.status_code == 200, saved.text
    assert "ZZ-FRESH-FINDING" not in report
    assert "ZZ-FRESH-FINDING" in room.admin.get(f"/runs/{RUN}/report").text


def test_a_new_name_shows_without_an_event(room: Room) -> None:
    """Names live outside the log: a page shows a new invitation's name at once."""
    before = room.admin.get(f"/runs/{RUN}/console").text
    late = invite_and_join(
        room.admin, room.base, RUN, name="Lou Late", role="player", team="brn-nsc"
    )
    try:
        assert "Lou Late" not in before
        assert "Lou Late" in room.admin.get(f"/runs/{RUN}/console").text
    finally:
        late.close()
