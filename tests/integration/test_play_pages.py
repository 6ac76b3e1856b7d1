"""The player and display pages over HTTP: what each panel holds for whom, form posts with
their errors, idempotency and CSRF, and the pages a role may not open."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.packages import SECRET_MARKERS, TWO_PARTIES
from tests.support.server import create_admin, invite_and_join, join, running_server, sign_in

PASSWORD = "play-pages-password"
RUN = "duo"
HX = {"HX-Request": "true"}
PANELS = ("status", "module", "updates", "injects", "questions", "decisions", "polls", "notes")
CONTROL_ONLY = tuple(m for m in SECRET_MARKERS if m != "ZZALD-ONLY-TEXT")


@dataclass
class Room:
    base: str
    admin: httpx.Client
    ald: httpx.Client
    brn: httpx.Client
    observer: httpx.Client
    display: httpx.Client
    room: httpx.Client

    def api(self, path: str, body: dict[str, object] | None = None) -> None:
        reply = self.admin.post(f"/api/runs/{RUN}{path}", json=body or {})
        assert reply.status_code == 200, reply.text


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Room]:
    data_dir = tmp_path_factory.mktemp("play-pages")
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
            member(name="Bo Brenner", role="player", team="brn-nsc"),
            member(name="Olu Observer", role="observer", team="ald-nsc"),
            member(name="Projector", role="display", party="ald"),
            member(name="Room screen", role="display"),
        )
        yield clients
        for client in (admin, clients.ald, clients.brn, clients.observer, clients.display):
            client.close()
        clients.room.close()


def page_of(client: httpx.Client, path: str = "/play") -> str:
    reply = client.get(f"/runs/{RUN}{path}")
    assert reply.status_code == 200, reply.text
    return reply.text


def everything(client: httpx.Client) -> str:
    """The whole player page and every panel of it."""
    texts = [page_of(client)]
    for name in PANELS:
        reply = client.get(f"/runs/{RUN}/play/panels/{name}", headers=HX)
        assert reply.status_code == 200, (name, reply.text)
        texts.append(reply.text)
    return "\n".join(texts)


def form_key(html: str, form_id: str) -> str:
    found = re.search(rf'<form id="{re.escape(form_id)}".*?name="key" value="([^"]+)"', html, re.S)
    assert found, form_id
    return found.group(1)


def test_before_startex_the_page_says_so_and_offers_no_forms(room: Room) -> None:
    html = page_of(room.ald)
    assert "The exercise has not started yet" in html
    assert "<textarea" not in html
    assert 'sse-connect="/api/runs/duo/events?after=0&amp;fragments=play"' in html
    assert 'data-receipts="on"' in html


def test_after_startex_the_module_questions_and_forms_appear(room: Room) -> None:
    room.api("/start")
    ald, brn = page_of(room.ald), page_of(room.brn)
    for html in (ald, brn):
        assert "Day 1" in html
        assert "What do you tell the ally?" in html
        assert '<form id="propose"' in html
        assert '<form id="note"' in html
    assert "Aldoria only question" in ald
    assert "Aldoria only question" not in brn
    assert "Ask Brenland to concur" in ald
    assert "Ask Aldoria to concur" in brn


def test_an_inject_reaches_only_the_teams_the_gate_allows(room: Room) -> None:
    room.api("/injects/2/release")
    room.api("/injects/1/release")
    ald, brn = everything(room.ald), everything(room.brn)
    assert "ZZALD-ONLY-TEXT" in ald
    assert "EXERCISE EXERCISE EXERCISE · SECRET//REL TO ALD" in ald
    assert "ZZALD-ONLY-TEXT" not in brn
    assert 'id="inject-1"' in brn
    assert ald.index('id="inject-1"') < ald.index('id="inject-2"')  # newest first
    for html in (ald, brn):
        for marker in (*CONTROL_ONLY, "ZZCONTINGENCY-TEXT"):
            assert marker not in html


def test_corrections_retractions_and_updates_show_where_they_belong(room: Room) -> None:
    room.api("/injects/1/correct", {"content": {"en": "A test is postponed.", "ko": "연기."}})
    room.api("/injects/2/retract", {"reason": "sent too early"})
    room.api("/updates", {"text": {"en": "ZZBRN-UPDATE for Brenland"}, "parties": ["brn"]})
    ald = room.ald.get(f"/runs/{RUN}/play/panels/injects", headers=HX).text
    card = ald[ald.index('id="inject-1"') : ald.index('id="inject-2"')]
    assert "state-corrected" in card
    assert "A test is postponed." in card
    assert "A test is announced." not in card
    retracted = ald[ald.index('id="inject-2"') :]
    assert 'class="inject retracted"' in retracted
    assert "Control has withdrawn this inject" in retracted
    assert "Acknowledge" not in retracted
    brn_updates = room.brn.get(f"/runs/{RUN}/play/panels/updates", headers=HX).text
    assert "ZZBRN-UPDATE for Brenland" in brn_updates
    assert "ZZBRN-UPDATE" not in everything(room.ald)


def test_opening_the_page_records_delivery_receipts(room: Room) -> None:
    page_of(room.brn)
    injects = room.admin.get(f"/api/runs/{RUN}/injects").json()
    receipts = {row["number"]: row["receipts"] for row in injects}
    me = room.brn.get("/api/me").json()["id"]
    assert me in receipts["1"]
    assert me not in receipts["2"]


def test_a_page_sends_its_receipts_together_each_recorded_once(room: Room) -> None:
    """``POST /api/runs/{id}/receipts``: the injects that reached one screen in one request;
    each recorded once per person; a number the person may not see refuses the whole request,
    naming its place in the list, and records nothing."""
    run = "receipts"
    made = room.admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": run})
    assert made.status_code == 201, made.text
    ald = invite_and_join(
        room.admin, room.base, run, name="Ann Aldor", role="player", team="ald-nsc"
    )
    brn = invite_and_join(
        room.admin, room.base, run, name="Ben Bren", role="player", team="brn-nsc"
    )
    try:
        for path in ("/start", "/injects/1/release", "/injects/2/release"):
            assert room.admin.post(f"/api/runs/{run}{path}", json={}).status_code == 200

        def receipts() -> dict[str, list[str]]:
            rows = room.admin.get(f"/api/runs/{run}/injects").json()
            return {row["number"]: row["receipts"] for row in rows}

        url = f"/api/runs/{run}/receipts"
        sent = ald.post(url, json={"numbers": ["2", "1", "2"]})
        assert sent.status_code == 200, sent.text
        assert [e["type"] for e in sent.json()["recorded"]] == ["inject-received"] * 2
        again = ald.post(url, json={"numbers": ["1", "2"]})
        assert again.status_code == 200 and again.json()["recorded"] == []
        ada = ald.get("/api/me").json()["id"]
        assert ada in receipts()["1"] and ada in receipts()["2"]

        refused = brn.post(url, json={"numbers": ["1", "2"]})  # 2 is Aldoria's alone
        assert refused.status_code == 404, refused.text
        assert refused.json()["errors"][0]["field"] == "numbers.1"
        ben = brn.get("/api/me").json()["id"]
        assert ben not in receipts()["1"]  # all or none
        assert "ZZALD-ONLY-TEXT" not in refused.text
        for body in ({"numbers": []}, {"numbers": ["1"] * 201}, {"numbers": [""]}):
            bad = brn.post(url, json=body)
            assert bad.status_code == 422, bad.text
            assert bad.json()["errors"][0]["field"].startswith("numbers"), bad.text
        assert brn.post(url, json={"numbers": ["1"]}).status_code == 200
        assert ben in receipts()["1"]
    finally:
        ald.close()
        brn.close()


def test_a_response_is_recorded_once_and_the_form_comes_back_empty(room: Room) -> None:
    key = form_key(page_of(room.ald), "respond-question-q1")
    body = {"target": "question", "ref": "q1", "text": "We tell Brenland at once.", "key": key}
    first = room.ald.post(f"/runs/{RUN}/play/responses", data=body, headers=HX)
    again = room.ald.post(f"/runs/{RUN}/play/responses", data=body, headers=HX)
    assert first.status_code == again.status_code == 200
    assert first.headers["HX-Trigger"] == "play-responses"
    assert "We tell Brenland at once." not in first.text
    assert form_key(first.text, "respond-question-q1") != key
    texts = [r["text"] for r in room.ald.get(f"/api/runs/{RUN}/responses").json()]
    assert texts.count("We tell Brenland at once.") == 1
    panel = room.ald.get(f"/runs/{RUN}/play/panels/questions", headers=HX).text
    assert "We tell Brenland at once." in panel
    assert "We tell Brenland at once." not in everything(room.brn)


def test_a_refused_response_keeps_the_text_and_names_the_field(room: Room) -> None:
    long_text = "x" * 20_001
    reply = room.ald.post(
        f"/runs/{RUN}/play/responses",
        data={"target": "question", "ref": "q1", "text": long_text, "key": "k" * 32},
        headers=HX,
    )
    assert reply.status_code == 200
    assert "HX-Trigger" not in reply.headers
    assert long_text in reply.text
    assert 'aria-invalid="true"' in reply.text
    assert 'aria-describedby="respond-question-q1-hint respond-question-q1-error"' in reply.text
    assert '<p id="respond-question-q1-error" class="error" role="alert">' in reply.text
    assert 'value="' + "k" * 32 + '"' in reply.text  # the same submission, retried later


def test_a_refusal_quoting_what_was_sent_is_shown_as_text(room: Room) -> None:
    reply = room.ald.post(
        f"/runs/{RUN}/play/decisions",
        data={"title": "Hold", "clauses": "%(x)s<i>", "key": "c" * 32},
        headers=HX,
    )
    assert reply.status_code == 200
    assert "unknown clause &#39;%(x)s&lt;i&gt;&#39;" in reply.text
    assert 'value="Hold"' in reply.text


def test_errors_are_shown_in_korean_when_the_catalog_has_them(room: Room) -> None:
    korean = httpx.Client(base_url=room.base, headers=room.ald.headers)
    korean.cookies.update(room.ald.cookies)
    korean.cookies.set("sitroom_lang", "ko")
    try:
        reply = korean.post(
            f"/runs/{RUN}/play/notes", data={"text": "   ", "key": "n" * 32}, headers=HX
        )
    finally:
        korean.close()
    assert "내용이 비어 있습니다" in reply.text
    assert "팀 메모 추가" in reply.text


def test_a_post_without_the_csrf_token_records_nothing(room: Room) -> None:
    bare = httpx.Client(base_url=room.base)
    bare.cookies.update(room.ald.cookies)
    try:
        reply = bare.post(
            f"/runs/{RUN}/play/notes", data={"text": "ZZNO-CSRF", "key": "z" * 32}, headers=HX
        )
    finally:
        bare.close()
    assert "This page is out of date" in reply.text
    assert "ZZNO-CSRF" in reply.text  # what was typed is still there
    notes = [n["text"] for n in room.ald.get(f"/api/runs/{RUN}/notes").json()]
    assert "ZZNO-CSRF" not in notes


def test_a_form_post_without_htmx_lands_back_on_the_page(room: Room) -> None:
    plain = httpx.Client(base_url=room.base)  # no CSRF header: the token rides in the form
    plain.cookies.update(room.ald.cookies)
    try:
        token = re.search(r'name="csrf_token" value="([^"]+)"', page_of(plain))
        assert token
        reply = plain.post(
            f"/runs/{RUN}/play/notes",
            data={"text": "Plain form note", "key": "p" * 32, "csrf_token": token.group(1)},
        )
    finally:
        plain.close()
    assert reply.status_code == 303
    assert reply.headers["location"] == f"/runs/{RUN}/play#note"
    notes = [n["text"] for n in room.ald.get(f"/api/runs/{RUN}/notes").json()]
    assert "Plain form note" in notes


def test_team_notes_and_decisions_stay_with_their_team_and_parties(room: Room) -> None:
    room.brn.post(f"/runs/{RUN}/play/notes", data={"text": "ZZBRN-NOTE"}, headers=HX)
    room.brn.post(f"/runs/{RUN}/play/decisions", data={"title": "ZZBRN-DECISION"}, headers=HX)
    room.brn.post(
        f"/runs/{RUN}/play/decisions",
        data={"title": "Joint statement at noon", "joint_with": "ald", "clauses": "guide/1.1"},
        headers=HX,
    )
    ald = everything(room.ald)
    assert "ZZBRN-NOTE" not in ald
    assert "ZZBRN-DECISION" not in ald
    assert "Joint statement at noon" in ald
    assert "Awaiting concurrence" in ald
    assert "ZZBRN-NOTE" in everything(room.brn)


def test_concurring_answers_for_the_party_once(room: Room) -> None:
    decision = next(
        d
        for d in room.ald.get(f"/api/runs/{RUN}/decisions").json()
        if d["title"] == "Joint statement at noon"
    )
    brn_page = page_of(room.brn)
    assert f'id="answer-{decision["id"]}"' not in brn_page  # the proposer does not answer
    url = f"/runs/{RUN}/play/decisions/{decision['id']}/answer"
    refused = room.ald.post(url, data={"answer": "non-concur", "key": "r" * 32}, headers=HX)
    assert "reasons is empty" in refused.text
    assert 'id="answer-{}-reasons" name="reasons"'.format(decision["id"]) in refused.text
    done = room.ald.post(
        url, data={"answer": "concur", "reasons": "Fine by us.", "key": "r" * 32}, headers=HX
    )
    assert "Your party's answer was recorded." in done.text
    for client in (room.ald, room.brn):
        panel = client.get(f"/runs/{RUN}/play/panels/decisions", headers=HX).text
        assert "badge-concurred" in panel
        assert "Fine by us." in panel
    assert f'id="answer-{decision["id"]}"' not in page_of(room.ald)


def test_votes_results_after_close_and_the_display_chart(room: Room) -> None:
    room.api("/polls/p1/open")
    assert "Voting is open" in page_of(room.display, "/display")
    ald = room.ald.post(
        f"/runs/{RUN}/play/polls/p1/votes",
        data={"options": "yes", "confidence": "4", "key": "v" * 32},
        headers=HX,
    )
    assert "Your vote was recorded" in ald.text
    bad = room.brn.post(
        f"/runs/{RUN}/play/polls/p1/votes",
        data={"options": "no", "confidence": "9", "key": "w" * 32},
        headers=HX,
    )
    assert "Choose a confidence from 1 (low) to 5 (high)." in bad.text
    room.brn.post(
        f"/runs/{RUN}/play/polls/p1/votes",
        data={"options": "no", "confidence": "2", "key": "w" * 32},
        headers=HX,
    )
    before = room.ald.get(f"/runs/{RUN}/play/panels/polls", headers=HX).text
    assert "poll-chart" not in before
    assert "Votes: 2" in room.display.get(f"/runs/{RUN}/display/panels/poll").text
    room.api("/polls/p1/close")
    after = room.ald.get(f"/runs/{RUN}/play/panels/polls", headers=HX).text
    assert "poll-chart" in after
    assert "Your vote: Yes" in after
    chart = room.display.get(f"/runs/{RUN}/display/panels/poll").text
    assert '<rect class="bar-fill" x="0" y="0" width="50%"' in chart
    assert "Mean confidence: 3.0 of 5" in chart
    assert '<th scope="row">Yes</th>' in chart


def test_the_display_shows_the_latest_inject_it_may_see(room: Room) -> None:
    html = page_of(room.display, "/display")
    assert 'class="display-mode"' in html
    assert "#1" in html and "A test is postponed." in html  # corrected earlier
    assert "ZZALD-ONLY-TEXT" not in html  # inject 2 goes to one team only
    room.api("/injects/4/release")
    panel = room.display.get(f"/runs/{RUN}/display/panels/inject").text
    assert "Draft a joint statement." in panel
    clock = room.display.get(f"/runs/{RUN}/display/panels/clock").text
    assert "Running" in clock and "Day 1" in clock and "040" in clock
    for marker in (*SECRET_MARKERS,):
        assert marker not in html + panel


def test_control_opening_the_display_sees_the_rooms_view(room: Room) -> None:
    html = page_of(room.admin, "/display")
    assert "ZZALD-ONLY-TEXT" not in html
    for marker in CONTROL_ONLY:
        assert marker not in html


def test_who_may_open_which_page(room: Room) -> None:
    assert room.ald.get(f"/runs/{RUN}/display").status_code == 403
    assert room.display.get(f"/runs/{RUN}/play").status_code == 403
    assert room.admin.get(f"/runs/{RUN}/play").status_code == 403
    assert room.ald.get("/runs/other/play").status_code == 404
    assert room.ald.get(f"/runs/{RUN}/play/panels/nothing").status_code == 404
    assert room.ald.get(f"/runs/{RUN}/play/attachments/1/0").status_code == 404
    signed_out = httpx.get(f"{room.base}/runs/{RUN}/play")
    assert signed_out.status_code == 303
    assert signed_out.headers["location"] == "/signin"


def test_an_observer_of_a_team_reads_along_without_forms(room: Room) -> None:
    html = everything(room.observer)
    assert "You are observing this team" in html
    assert "ZZALD-ONLY-TEXT" in html
    assert "<textarea" not in html
    assert "Acknowledge" not in html
    assert 'data-receipts="off"' in html
    refused = room.observer.post(
        f"/runs/{RUN}/play/notes", data={"text": "observer note"}, headers=HX
    )
    assert "only a player of a team may do this" in refused.text


def test_a_display_of_no_party_shows_what_every_party_may_see(room: Room) -> None:
    # The room screen belongs to no party: it shows injects for everyone that are releasable
    # to every party of the exercise (REL TO ALD, BRN here), never one party's material.
    html = page_of(room.room, "/display")
    assert "ZZALD-ONLY-TEXT" not in html
    assert "National assessment" not in html
    assert "Raise the level?" in html


def test_attachments_of_a_bundled_example_are_served_to_those_who_may_see_them(
    room: Room,
) -> None:
    from sitroom.package.examples import example_path
    from sitroom.package.load import load_package

    package = load_package(example_path("ransomware")).package
    assert package is not None
    inject = next(i for i in package.injects() if i.attachments)
    number = inject.number
    room.admin.post("/api/runs", json={"example": "ransomware", "run_id": "ransom"})
    room.admin.post("/api/runs/ransom/start", json={}).raise_for_status()
    team = next(t.id for t in package.recipients(inject) if t.kind == "players")
    invite = room.admin.post(
        "/api/runs/ransom/invitations", json={"name": "P", "role": "player", "team": team}
    ).json()
    player = join(room.base, invite["code"])
    try:
        url = f"/runs/ransom/play/attachments/{number}/0"
        assert player.get(url).status_code == 404  # not released yet
        room.admin.post(f"/api/runs/ransom/injects/{number}/release", json={})
        html = player.get("/runs/ransom/play").text
        assert f'href="{url}"' in html
        reply = player.get(url)
        assert reply.status_code == 200
        assert reply.headers["content-type"] == "text/plain; charset=utf-8"
        assert reply.headers["x-content-type-options"] == "nosniff"
        path = example_path("ransomware") / "documents" / inject.attachments[0].path
        assert reply.text == Path(path).read_text(encoding="utf-8")
        assert player.get(f"/runs/ransom/play/attachments/{number}/9").status_code == 404
    finally:
        player.close()
