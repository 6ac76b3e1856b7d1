"""Idempotency keys over HTTP: each participant's own, never the server's, never reused.

Issue #11 item 3: keys used to be unique per run, so a player who sent a note with the key
``scheduled:1`` made the scheduler's release of inject 1 look like a retry of that note (the
inject was never released), and a participant reusing another's key got that person's
events back instead of recording their own submission.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support.packages import TWO_PARTIES
from tests.support.server import create_admin, invite_and_join, running_server, sign_in

# Inject 1 falls due two seconds after STARTEX (the server's scheduler ticks every second).
SOON = TWO_PARTIES.replace("offset: 10m", "offset: PT2S")
assert SOON != TWO_PARTIES


@dataclass
class Server:
    base: str
    admin: httpx.Client
    runs: int = 0

    def new_run(self) -> str:
        self.runs += 1
        run_id = f"keys-{self.runs}"
        reply = self.admin.post("/api/runs", json={"package_yaml": SOON, "run_id": run_id})
        assert reply.status_code == 201, reply.text
        return run_id

    def player(self, run_id: str, name: str, team: str = "ald-nsc") -> httpx.Client:
        return invite_and_join(self.admin, self.base, run_id, name=name, role="player", team=team)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("keys")
    create_admin(data_dir, "keys-password", "admin")
    with running_server(data_dir) as base:
        admin = sign_in(base, "admin", "keys-password")
        try:
            yield Server(base, admin)
        finally:
            admin.close()


def _note(client: httpx.Client, run_id: str, text: str, key: str) -> httpx.Response:
    return client.post(
        f"/api/runs/{run_id}/notes", json={"text": text}, headers={"Idempotency-Key": key}
    )


def _refused_key(reply: httpx.Response) -> str:
    assert reply.status_code == 422, reply.text
    errors = reply.json()["errors"]
    assert [e["field"] for e in errors] == ["Idempotency-Key"], errors
    return str(errors[0]["message"])


def _notes(client: httpx.Client, run_id: str) -> list[str]:
    reply = client.get(f"/api/runs/{run_id}/notes")
    reply.raise_for_status()
    return [entry["text"] for entry in reply.json()]


def test_a_player_key_in_the_scheduler_namespace_never_blocks_the_release(
    server: Server,
) -> None:
    run_id = server.new_run()
    with closing(server.player(run_id, "Aldorian planner")) as player:
        server.admin.post(f"/api/runs/{run_id}/start", json={}).raise_for_status()
        note = _note(player, run_id, "Mine now", "scheduled:1")
        deadline = time.monotonic() + 15
        released: list[dict[str, Any]] = []
        while not released and time.monotonic() < deadline:
            time.sleep(0.2)
            events = server.admin.get(f"/api/runs/{run_id}/log").json()["events"]
            released = [e for e in events if e["type"] == "inject-released"]
        assert released, "the scheduler never released inject 1"
        assert released[0]["data"]["number"] == "1"
        assert "reserved" in _refused_key(note)
        assert _notes(player, run_id) == []


@pytest.mark.parametrize("key", ["scheduled:4", "follower:mailer:9", "system:x"])
def test_server_namespaces_are_refused_on_every_command(server: Server, key: str) -> None:
    run_id = server.new_run()
    _refused_key(
        server.admin.post(f"/api/runs/{run_id}/start", json={}, headers={"Idempotency-Key": key})
    )
    assert server.admin.get(f"/api/runs/{run_id}/log").json()["events"] == []


def test_two_players_may_use_the_same_key(server: Server) -> None:
    run_id = server.new_run()
    server.admin.post(f"/api/runs/{run_id}/start", json={}).raise_for_status()
    with (
        closing(server.player(run_id, "First")) as one,
        closing(server.player(run_id, "Second")) as two,
    ):
        first = _note(one, run_id, "Call the embassy", "note-1")
        second = _note(two, run_id, "Brief the minister", "note-1")
        assert first.status_code == second.status_code == 200, (first.text, second.text)
        assert first.json()["duplicate"] is False and second.json()["duplicate"] is False
        assert second.json()["last_seq"] == first.json()["last_seq"] + 1
        assert _notes(one, run_id) == ["Call the embassy", "Brief the minister"]


def test_the_same_key_with_another_body_is_refused(server: Server) -> None:
    run_id = server.new_run()
    server.admin.post(f"/api/runs/{run_id}/start", json={}).raise_for_status()
    with closing(server.player(run_id, "Planner")) as player:
        assert _note(player, run_id, "Call the embassy", "note-1").status_code == 200
        message = _refused_key(_note(player, run_id, "Call the ministry", "note-1"))
        assert "different submission" in message
        assert _notes(player, run_id) == ["Call the embassy"]


def test_the_same_key_and_body_returns_the_first_outcome_once(server: Server) -> None:
    run_id = server.new_run()
    server.admin.post(f"/api/runs/{run_id}/start", json={}).raise_for_status()
    with closing(server.player(run_id, "Planner")) as player:
        first = _note(player, run_id, "Call the embassy", "note-1")
        again = _note(player, run_id, "Call the embassy", "note-1")
        assert first.status_code == again.status_code == 200
        assert first.json()["duplicate"] is False and again.json()["duplicate"] is True
        assert again.json()["recorded"] == first.json()["recorded"]
        assert _notes(player, run_id) == ["Call the embassy"]
