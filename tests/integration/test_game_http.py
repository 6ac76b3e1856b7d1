"""A matrix game over HTTP: the JSON API and the pages' forms take a turn from arguments to a
released outcome; secret arguments and estimates stay with control (and their own team)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from sitroom.package.examples import example_path
from sitroom.web.render import LANG_COOKIE
from tests.support.server import create_admin, invite_and_join, running_server, sign_in

PASSWORD = "game-http-password"
RUN = "strait"
HTMX = {"HX-Request": "true"}


@dataclass
class Table:
    admin: httpx.Client
    ald: httpx.Client
    brn: httpx.Client
    cor: httpx.Client
    evaluator: httpx.Client


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Table]:
    data_dir = tmp_path_factory.mktemp("game")
    create_admin(data_dir, PASSWORD, "admin")
    text = (example_path("strait-matrix") / "exercise.yaml").read_text(encoding="utf-8")
    with running_server(data_dir) as base:
        admin = sign_in(base, "admin", PASSWORD)
        made = admin.post("/api/runs", json={"package_yaml": text, "run_id": RUN})
        assert made.status_code == 201, made.text
        clients = Table(
            admin,
            invite_and_join(admin, base, RUN, name="Ana Aldor", role="player", team="ald-cabinet"),
            invite_and_join(admin, base, RUN, name="Bo Bren", role="player", team="brn-council"),
            invite_and_join(admin, base, RUN, name="Cy Corv", role="player", team="cor-ministry"),
            invite_and_join(admin, base, RUN, name="Eve Valuator", role="evaluator"),
        )
        assert admin.post(f"/api/runs/{RUN}/start", json={}).status_code == 200
        yield clients
        for client in (admin, clients.ald, clients.brn, clients.cor, clients.evaluator):
            client.close()


def argument_of(client: httpx.Client, actor: str, turn: int = 1) -> dict[str, object]:
    game = client.get(f"/api/runs/{RUN}/game").json()
    found = [a for a in game["turns"][turn - 1]["arguments"] if a["actor"] == actor]
    assert found, (actor, game)
    return dict(found[0])


def test_a_turn_goes_from_arguments_to_a_released_outcome_over_the_api(table: Table) -> None:
    opened = table.admin.post(f"/api/runs/{RUN}/game/turns/1/open")
    assert opened.status_code == 200, opened.text
    assert opened.json()["recorded"][0]["type"] == "game-turn-opened"
    body = {
        "action": "Aldoria calls for talks at the regional forum",
        "result": "Talks open within the week",
        "reasons": "Both allies want a way out; the forum is neutral",
    }
    key = {"Idempotency-Key": "ald-arg-1"}
    stated = table.ald.post(f"/api/runs/{RUN}/game/arguments", json=body, headers=key)
    assert stated.status_code == 200, stated.text
    again = table.ald.post(f"/api/runs/{RUN}/game/arguments", json=body, headers=key)
    assert again.json()["duplicate"] is True  # a retry records nothing twice
    argument = str(argument_of(table.brn, "aldoria")["id"])
    countered = table.cor.post(
        f"/api/runs/{RUN}/game/arguments/{argument}/counter",
        json={"reasons": "Corvania will not sit at a table it did not set"},
    )
    assert countered.status_code == 200, countered.text
    for client, p in ((table.brn, 70), (table.cor, 30), (table.admin, 55)):
        given = client.post(
            f"/api/runs/{RUN}/game/arguments/{argument}/estimate", json={"probability": p}
        )
        assert given.status_code == 200, given.text
    out_of_range = table.brn.post(
        f"/api/runs/{RUN}/game/arguments/{argument}/estimate", json={"probability": 140}
    )
    assert out_of_range.status_code == 422
    assert "probability" in out_of_range.text
    refused = table.brn.post(
        f"/api/runs/{RUN}/game/arguments/{argument}/adjudicate", json={"method": "estimative"}
    )
    assert refused.status_code == 403
    judged = table.admin.post(
        f"/api/runs/{RUN}/game/arguments/{argument}/adjudicate", json={"method": "estimative"}
    )
    assert judged.status_code == 200, judged.text
    seen = argument_of(table.admin, "aldoria")
    adjudication = seen["adjudication"]
    assert isinstance(adjudication, dict)
    assert adjudication["probability"] == 55 and sorted(adjudication["estimates"]) == [30, 55, 70]
    assert isinstance(adjudication["seed"], str) and 1 <= adjudication["roll"] <= 100
    assert adjudication["success"] is (adjudication["roll"] <= 55)
    # players see the estimates of none but themselves
    own = argument_of(table.brn, "aldoria")["estimates"]
    assert isinstance(own, dict) and list(own.values()) == [70]
    assert argument_of(table.ald, "aldoria")["estimates"] == {}
    released = table.admin.post(
        f"/api/runs/{RUN}/game/turns/1/outcomes",
        json={"text": "The forum announces talks in Velmar.", "argument": argument},
    )
    assert released.status_code == 200, released.text
    for client in (table.ald, table.brn, table.cor):
        outcomes = client.get(f"/api/runs/{RUN}/game").json()["turns"][0]["outcomes"]
        assert [o["text"] for o in outcomes] == ["The forum announces talks in Velmar."]


def test_a_secret_argument_is_control_s_until_revealed(table: Table) -> None:
    secret = "Corvania quietly offers Brenland a shipping exemption (MARK-SECRET-ARG-77)"
    stated = table.cor.post(
        f"/api/runs/{RUN}/game/arguments",
        json={"action": secret, "result": "Brenland drifts", "reasons": "Election", "secret": True},
    )
    assert stated.status_code == 200, stated.text
    for client in (table.ald, table.brn):
        assert "MARK-SECRET-ARG-77" not in client.get(f"/api/runs/{RUN}/game").text
        assert "MARK-SECRET-ARG-77" not in client.get(f"/api/runs/{RUN}/log").text
        assert "MARK-SECRET-ARG-77" not in client.get(f"/runs/{RUN}/game").text
        assert "MARK-SECRET-ARG-77" not in client.get(f"/runs/{RUN}/play").text
        assert "MARK-SECRET-ARG-77" not in client.get(f"/runs/{RUN}/play/panels/game").text
    assert "MARK-SECRET-ARG-77" in table.cor.get(f"/api/runs/{RUN}/game").text
    # the room display (opened by control, it shows the room's view) has the turn's released
    # outcome and never the secret argument, on the page and in its live-updated game panel
    for path in (f"/runs/{RUN}/display", f"/runs/{RUN}/display/panels/game"):
        shown = table.admin.get(path)
        assert shown.status_code == 200, shown.text
        assert "The forum announces talks in Velmar." in shown.text
        assert "MARK-SECRET-ARG-77" not in shown.text
    assert "sse:game-turn-opened" in table.admin.get(f"/runs/{RUN}/display").text
    umpire = table.admin.get(f"/runs/{RUN}/game").text
    assert "MARK-SECRET-ARG-77" in umpire and "secret — control only" in umpire
    argument = str(argument_of(table.admin, "corvania")["id"])
    blind = table.ald.post(
        f"/api/runs/{RUN}/game/arguments/{argument}/counter", json={"reasons": "no"}
    )
    assert blind.status_code == 404  # as if there were none
    revealed = table.admin.post(
        f"/runs/{RUN}/game/arguments/{argument}/reveal", data={"key": "reveal-cor"}, headers=HTMX
    )
    assert revealed.status_code == 200, revealed.text
    assert revealed.headers["HX-Trigger"] == "game-board"
    assert "MARK-SECRET-ARG-77" in table.ald.get(f"/api/runs/{RUN}/game").text


def test_the_pages_forms_state_an_argument_and_refuse_bad_input_by_name(table: Table) -> None:
    page = table.brn.get(f"/runs/{RUN}/play")
    assert page.status_code == 200
    assert 'id="panel-game"' in page.text and "Your argument for turn 1" in page.text
    empty = table.brn.post(
        f"/runs/{RUN}/game/arguments",
        data={"action": "  ", "result": "r", "reasons": "w", "key": "brn-empty-1"},
        headers=HTMX,
    )
    assert empty.status_code == 200
    assert "action is empty" in empty.text and 'role="alert"' in empty.text
    stated = table.brn.post(
        f"/runs/{RUN}/game/arguments",
        data={
            "action": "Brenland <b>sends</b> an envoy",
            "result": "Corvania pauses inspections",
            "reasons": "Quiet talks save face",
            "audience": "corvania",
            "key": "brn-arg-1",
        },
    )
    assert stated.status_code == 303 and stated.headers["location"].startswith(f"/runs/{RUN}/play")
    board = table.cor.get(f"/runs/{RUN}/game/board").text
    assert "Brenland &lt;b&gt;sends&lt;/b&gt; an envoy" in board  # escaped
    assert "sends</b>" not in board
    assert "an envoy" not in table.ald.get(f"/runs/{RUN}/game/board").text  # not addressed
    estimate = table.admin.post(
        f"/runs/{RUN}/game/arguments/{argument_of(table.admin, 'brenland')['id']}/estimate",
        data={"probability": "lots", "key": "est-bad"},
        headers=HTMX,
    )
    assert "whole number from 0 to 100" in estimate.text


def test_the_umpire_panel_is_for_the_run_and_korean_reads(table: Table) -> None:
    panel = table.admin.get(f"/runs/{RUN}/game")
    assert panel.status_code == 200 and "Umpire panel" in panel.text
    assert "Ana Aldor" in panel.text  # control sees who argued, by name
    assert "Ana Aldor" not in table.brn.get(f"/runs/{RUN}/game/board").text
    assert "sse-connect" in panel.text and "sse:game-argument-submitted" in panel.text
    cookies = {**dict(table.admin.cookies), LANG_COOKIE: "ko"}
    with httpx.Client(base_url=table.admin.base_url, cookies=cookies) as korean:
        assert "심판 패널" in korean.get(f"/runs/{RUN}/game").text
    evaluator = table.evaluator.get(f"/runs/{RUN}/game").text
    assert "MARK-SECRET-ARG-77" in evaluator and "Adjudicate" not in evaluator
