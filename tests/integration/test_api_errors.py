"""Bad input gets a 4xx naming the field — never a 500 — and every error has one shape."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.packages import TWO_PARTIES
from tests.support.server import create_admin, join, running_server, sign_in


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, httpx.Client]]:
    data_dir = tmp_path_factory.mktemp("errors")
    create_admin(data_dir, "errors-password", "admin")
    with running_server(data_dir) as base:
        admin = sign_in(base, "admin", "errors-password")
        admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": "e"})
        code = admin.post(
            "/api/runs/e/invitations", json={"name": "P", "role": "player", "team": "ald-nsc"}
        ).json()["code"]
        player = join(base, code)
        yield {"admin": admin, "player": player}
        admin.close()
        player.close()


def _error(reply: httpx.Response, status: int, field: str | None) -> str:
    assert reply.status_code == status, reply.text
    errors = reply.json()["errors"]
    assert errors and all("message" in e and "field" in e for e in errors)
    if field is not None:
        assert any(e["field"] == field for e in errors), errors
    return str(errors[0]["message"])


def test_errors_name_the_field(clients: dict[str, httpx.Client]) -> None:
    admin, player = clients["admin"], clients["player"]
    _error(admin.post("/api/runs/e/start", json={"compression": 0}), 422, "compression")
    admin.post("/api/runs/e/start", json={}).raise_for_status()
    _error(admin.post("/api/runs/e/start", json={}), 409, None)
    _error(admin.post("/api/runs/e/injects/99/release", json={}), 422, "number")
    _error(admin.post("/api/runs/e/injects/1/release", json={"how": "later"}), 422, "how")
    _error(admin.post("/api/runs/nope/injects/1/release", json={}), 404, "run_id")
    _error(admin.post("/api/runs/e/updates", json={"text": {}}), 422, "text")
    _error(
        admin.post("/api/runs/e/observations", json={"text": "x"}, headers={"Idempotency-Key": ""}),
        422,
        "Idempotency-Key",
    )
    bad_json = admin.post(
        "/api/runs/e/notes", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert bad_json.status_code == 422
    _error(player.post("/api/runs/e/injects/1/release", json={}), 403, None)
    _error(
        player.post("/api/runs/e/responses", json={"target": "inject", "ref": "2", "text": "x"}),
        404,
        "ref",
    )
    _error(player.post("/api/runs/e/polls/p1/votes", json={"options": ["maybe"]}), 409, None)
    admin.post("/api/runs/e/polls/p1/open", json={}).raise_for_status()
    _error(player.post("/api/runs/e/polls/p1/votes", json={"options": ["maybe"]}), 422, "options")
    _error(
        player.post("/api/runs/e/decisions", json={"title": "t", "joint_with": ["ald"]}),
        422,
        "joint_with",
    )
    _error(player.get("/api/runs/e/events", params={"after": "abc"}), 400, "after")
    _error(
        admin.post(
            "/api/runs/e/invitations", json={"name": "X", "role": "player", "team": "excon"}
        ),
        422,
        "team",
    )
