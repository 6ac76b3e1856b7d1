"""Leak test: unique markers in controller-only and team-private material; every role reads
every GET route of the API and the SSE stream; no marker appears where it must not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Principal, Role
from sitroom.services.runs import Engine
from sitroom.storage.factory import open_recorder
from tests.support.packages import TWO_PARTIES
from tests.support.server import create_admin, join, running_server, sign_in

CONTROL_ONLY = ("ZZEXPECTED-ACTION", "ZZCONTROLLER-NAME", "ZZINJECT-NOTES", "ZZFACILITATOR")
UNRELEASED = ("ZZCONTINGENCY-TEXT",)
ALD_PRIVATE = ("ZZALD-RESPONSE", "ZZALD-NOTE", "ZZALD-DECISION")
ALD_ONLY = ("ZZALD-ONLY-TEXT", "ZZALD-BROADCAST")
BRN_PRIVATE = ("ZZBRN-NOTE",)
OBSERVATION = ("ZZOBSERVATION",)
EVALUATION = ("ZZTARGET-RATING", "ZZCAPABILITY-RATING", "ZZCLAUSE-RECORD")
ALD_FEEDBACK = ("ZZALD-FEEDBACK",)
BRN_FEEDBACK = ("ZZBRN-FEEDBACK",)
HOT_WASH = ("ZZHOT-WASH",)
PASSWORD = "leak-test-password"


def _read_everything(base: str, cookies: dict[str, str], run_id: str, last_seq: int) -> str:
    """Every GET route of the API (from the OpenAPI document) and the whole SSE stream."""
    seen: list[str] = []
    with httpx.Client(base_url=base, cookies=cookies, timeout=10.0) as http:
        spec = http.get("/openapi.json").json()
        for path, methods in spec["paths"].items():
            if (
                "get" not in methods
                or path.endswith("/events")
                or "{" in path.replace("{run_id}", "")
            ):
                continue
            reply = http.get(path.replace("{run_id}", run_id), params={"lang": "en"})
            seen.append(f"{path} {reply.status_code} {reply.text}")
        with http.stream("GET", f"/api/runs/{run_id}/events") as stream:
            last_frame = False
            for line in stream.iter_lines():
                seen.append(line)
                if line.startswith("id: ") and int(line[4:]) >= last_seq:
                    last_frame = True  # read on to the end of its frame, data included
                if (last_frame and not line) or line.startswith(": ping"):
                    break
    return "\n".join(seen)


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    data_dir = tmp_path_factory.mktemp("leak")
    create_admin(data_dir, PASSWORD, "admin")
    with running_server(data_dir) as base:
        admin = sign_in(base, "admin", PASSWORD)
        run_id = admin.post(
            "/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": "leak"}
        ).json()["id"]
        clients: dict[str, httpx.Client] = {"admin": admin}
        for role, team in (
            ("facilitator", None),
            ("player", "ald-nsc"),
            ("player", "brn-nsc"),
            ("evaluator", None),
            ("observer", None),
            ("display", None),
        ):
            invite = admin.post(
                f"/api/runs/{run_id}/invitations",
                json={"name": f"{role} {team}", "role": role, "team": team},
            )
            assert invite.status_code == 201, invite.text
            clients[f"{role}:{team}" if team else role] = join(base, invite.json()["code"])

        def act(who: str, path: str, body: dict[str, object]) -> None:
            reply = clients[who].post(f"/api/runs/{run_id}{path}", json=body)
            assert reply.status_code == 200, (path, reply.text)

        forged = httpx.post(
            f"{base}/api/runs/{run_id}/start", json={}, cookies=dict(clients["facilitator"].cookies)
        )
        assert forged.status_code == 403, "a cookie without its CSRF token must not write"

        act("facilitator", "/start", {})
        act("facilitator", "/injects/1/release", {})
        act("facilitator", "/injects/2/release", {})
        act("facilitator", "/updates", {"text": {"en": "ZZALD-BROADCAST"}, "parties": ["ald"]})
        act(
            "player:ald-nsc",
            "/responses",
            {"target": "inject", "ref": "2", "text": "ZZALD-RESPONSE <script>x</script>"},
        )
        act("player:ald-nsc", "/notes", {"text": "ZZALD-NOTE"})
        act("player:ald-nsc", "/decisions", {"title": "ZZALD-DECISION", "text": "national"})
        act("player:brn-nsc", "/notes", {"text": "ZZBRN-NOTE"})
        act("evaluator", "/observations", {"text": "ZZOBSERVATION", "rating": "S"})
        act("facilitator", "/end", {})
        _record_evaluation(data_dir, run_id, clients)
        last_seq = admin.get(f"/api/runs/{run_id}").json()["seq"]
        seen = {
            who: _read_everything(base, dict(client.cookies), run_id, last_seq)
            for who, client in clients.items()
        }
        for client in clients.values():
            client.close()
    return seen


def _record_evaluation(data_dir: Path, run_id: str, clients: dict[str, httpx.Client]) -> None:
    """The evaluation record, written to the server's log by a second engine (the log is the
    source of truth: the server catches up from it before every read)."""

    def principal(who: str) -> Principal:
        me = clients[who].get("/api/me").json()
        return Principal(me["id"], Role(me["role"]), team=me["team"], party=me["party"])

    evaluator, facilitator = principal("evaluator"), principal("facilitator")
    ald, brn = principal("player:ald-nsc"), principal("player:brn-nsc")
    recorder = open_recorder(f"sqlite:///{data_dir / 'sitroom.db'}")
    try:
        # The server's key, so anonymous forms get the pseudonym the server recognises.
        engine = Engine(recorder, secret=(data_dir / "secret.key").read_text().strip().encode())
        for command, who in (
            (cmd.RateTarget("t1", "S", "ZZTARGET-RATING", (1,)), evaluator),
            (
                cmd.RateCapability("o1", "operational-coordination", "M", "ZZCAPABILITY-RATING"),
                evaluator,
            ),
            (cmd.RecordClause("guide/1.1", False, "ZZCLAUSE-RECORD"), facilitator),
            (cmd.AddHotWashItem("strength", "ZZHOT-WASH", team="ald-nsc"), facilitator),
            (cmd.SubmitFeedback(name="A. Tester", missed="ZZALD-FEEDBACK"), ald),
            (cmd.SubmitFeedback(anonymous=True, strengths=("ZZBRN-FEEDBACK",)), brn),
        ):
            engine.handle(run_id, command, who)
    finally:
        recorder.close()


def _absent(text: str, markers: tuple[str, ...]) -> None:
    for marker in markers:
        assert marker not in text, f"{marker} leaked"


def _present(text: str, markers: tuple[str, ...]) -> None:
    for marker in markers:
        assert marker in text, f"{marker} missing (the test would prove nothing)"


def test_control_sees_everything(played: dict[str, str]) -> None:
    for who in ("admin", "facilitator", "evaluator"):
        _present(played[who], CONTROL_ONLY + ALD_PRIVATE + ALD_ONLY + BRN_PRIVATE + OBSERVATION)
        _present(played[who], EVALUATION + ALD_FEEDBACK + BRN_FEEDBACK + HOT_WASH)


def test_anonymous_feedback_names_nobody_even_to_control(played: dict[str, str]) -> None:
    views: list[dict[str, Any]] = []
    for line in played["facilitator"].splitlines():
        if line.startswith("data: ") and "ZZBRN-FEEDBACK" in line:
            views.append(json.loads(line[len("data: ") :]))
        elif line.startswith("/api/runs/{run_id}/log 200 "):
            body = json.loads(line.split(" ", 2)[2])
            views += [e for e in body["events"] if "ZZBRN-FEEDBACK" in json.dumps(e)]
    assert len(views) == 2, "the form is in the log route and in the stream"
    for view in views:
        assert view["data"]["respondent"] is None and "actor" not in view["data"]
        assert "invite:" not in json.dumps(view) and "account:" not in json.dumps(view)


def test_the_hot_wash_is_heard_by_everyone(played: dict[str, str]) -> None:
    for who, text in played.items():
        assert "ZZHOT-WASH" in text, who


def test_brenland_player_sees_nothing_of_aldoria_or_control(played: dict[str, str]) -> None:
    text = played["player:brn-nsc"]
    _absent(text, CONTROL_ONLY + UNRELEASED + ALD_PRIVATE + ALD_ONLY + OBSERVATION)
    _absent(text, EVALUATION + ALD_FEEDBACK)
    _present(text, BRN_PRIVATE + BRN_FEEDBACK)


def test_aldoria_player_sees_its_own_but_not_control(played: dict[str, str]) -> None:
    text = played["player:ald-nsc"]
    _absent(text, CONTROL_ONLY + UNRELEASED + BRN_PRIVATE + OBSERVATION)
    _absent(text, EVALUATION + BRN_FEEDBACK)
    _present(text, ALD_PRIVATE + ALD_ONLY + ALD_FEEDBACK)


def test_display_and_observer_see_only_what_is_for_everyone(played: dict[str, str]) -> None:
    for who in ("display", "observer"):
        _absent(
            played[who],
            CONTROL_ONLY + UNRELEASED + ALD_PRIVATE + ALD_ONLY + BRN_PRIVATE + OBSERVATION,
        )
        _absent(played[who], EVALUATION + ALD_FEEDBACK + BRN_FEEDBACK)


def test_nobody_signed_in_sees_nothing(tmp_path: Path) -> None:
    with running_server(tmp_path) as base:
        for path in ("/api/runs", "/api/runs/leak", "/api/runs/leak/events", "/api/me"):
            assert httpx.get(base + path, timeout=5).status_code == 401
