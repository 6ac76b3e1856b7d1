"""Leak test: unique markers in controller-only and team-private material; every role reads
every GET route of the API and the SSE stream; no marker appears where it must not."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.packages import TWO_PARTIES
from tests.support.server import create_admin, join, running_server, sign_in

CONTROL_ONLY = ("ZZEXPECTED-ACTION", "ZZCONTROLLER-NAME", "ZZINJECT-NOTES", "ZZFACILITATOR")
UNRELEASED = ("ZZCONTINGENCY-TEXT",)
ALD_PRIVATE = ("ZZALD-RESPONSE", "ZZALD-NOTE", "ZZALD-DECISION")
ALD_ONLY = ("ZZALD-ONLY-TEXT", "ZZALD-BROADCAST")
BRN_PRIVATE = ("ZZBRN-NOTE",)
OBSERVATION = ("ZZOBSERVATION",)
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
            for line in stream.iter_lines():
                seen.append(line)
                if line.startswith("id: ") and int(line[4:]) >= last_seq:
                    break
                if line.startswith(": ping"):
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
        last_seq = admin.get(f"/api/runs/{run_id}").json()["seq"]
        seen = {
            who: _read_everything(base, dict(client.cookies), run_id, last_seq)
            for who, client in clients.items()
        }
        for client in clients.values():
            client.close()
    return seen


def _absent(text: str, markers: tuple[str, ...]) -> None:
    for marker in markers:
        assert marker not in text, f"{marker} leaked"


def _present(text: str, markers: tuple[str, ...]) -> None:
    for marker in markers:
        assert marker in text, f"{marker} missing (the test would prove nothing)"


def test_control_sees_everything(played: dict[str, str]) -> None:
    for who in ("admin", "facilitator", "evaluator"):
        _present(played[who], CONTROL_ONLY + ALD_PRIVATE + ALD_ONLY + BRN_PRIVATE + OBSERVATION)


def test_brenland_player_sees_nothing_of_aldoria_or_control(played: dict[str, str]) -> None:
    text = played["player:brn-nsc"]
    _absent(text, CONTROL_ONLY + UNRELEASED + ALD_PRIVATE + ALD_ONLY + OBSERVATION)
    _present(text, BRN_PRIVATE)


def test_aldoria_player_sees_its_own_but_not_control(played: dict[str, str]) -> None:
    text = played["player:ald-nsc"]
    _absent(text, CONTROL_ONLY + UNRELEASED + BRN_PRIVATE + OBSERVATION)
    _present(text, ALD_PRIVATE + ALD_ONLY)


def test_display_and_observer_see_only_what_is_for_everyone(played: dict[str, str]) -> None:
    for who in ("display", "observer"):
        _absent(
            played[who],
            CONTROL_ONLY + UNRELEASED + ALD_PRIVATE + ALD_ONLY + BRN_PRIVATE + OBSERVATION,
        )


def test_nobody_signed_in_sees_nothing(tmp_path: Path) -> None:
    with running_server(tmp_path) as base:
        for path in ("/api/runs", "/api/runs/leak", "/api/runs/leak/events", "/api/me"):
            assert httpx.get(base + path, timeout=5).status_code == 401
