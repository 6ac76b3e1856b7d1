"""A revoked invitation ends its open event stream over real HTTP, within a stated time.

An open stream's check of its session is held in memory between heartbeats
(``SITROOM_SESSION_RECHECK``). A revocation made by the process serving the stream reaches it
at its next heartbeat, however long the held check; one made by another process on the same
database (another worker, the CLI) within the held check plus one heartbeat.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sitroom.auth.service import build_auth
from sitroom.auth.sqlstore import open_auth_store
from sitroom.config import load_settings
from tests.support.packages import TWO_PARTIES
from tests.support.server import create_admin, join, running_server, sign_in

PASSWORD = "revocation-password"
HEARTBEAT = 0.5


class Watched:
    """A player's open stream, read on a thread: when it ended and the events it carried."""

    def __init__(self, client: httpx.Client, url: str) -> None:
        self.events: list[str] = []
        self.opened = threading.Event()
        self.ended_at: float | None = None
        self._thread = threading.Thread(target=self._read, args=(client, url), daemon=True)
        self._thread.start()
        assert self.opened.wait(15), "the stream did not open"

    def _read(self, client: httpx.Client, url: str) -> None:
        with client.stream("GET", url, timeout=httpx.Timeout(30.0)) as reply:
            assert reply.status_code == 200, reply.read()
            self.opened.set()
            for line in reply.iter_lines():
                if line.startswith("event:"):
                    self.events.append(line.removeprefix("event:").strip())
        self.ended_at = time.monotonic()

    def ended_within(self, seconds: float) -> float | None:
        """Seconds until the stream ended, if it did within ``seconds``."""
        started = time.monotonic()
        self._thread.join(seconds)
        return None if self.ended_at is None else self.ended_at - started


def seated(data_dir: Path, base: str) -> tuple[httpx.Client, httpx.Client, str]:
    """The admin, a player who joined run ``duo``, and the player's invitation id."""
    admin = sign_in(base, "admin", PASSWORD)
    created = admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": "duo"})
    assert created.status_code == 201, created.text
    invited = admin.post(
        "/api/runs/duo/invitations", json={"name": "Pat", "role": "player", "team": "brn-nsc"}
    )
    assert invited.status_code == 201, invited.text
    player = join(base, invited.json()["code"])
    return admin, player, invited.json()["id"]


@pytest.fixture
def slow_recheck(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    data_dir = tmp_path / "var"
    create_admin(data_dir, PASSWORD)
    with running_server(data_dir, SITROOM_SESSION_RECHECK="600") as base:
        yield data_dir, base


@pytest.fixture
def short_recheck(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    data_dir = tmp_path / "var"
    create_admin(data_dir, PASSWORD)
    with running_server(data_dir, SITROOM_SESSION_RECHECK="3") as base:
        yield data_dir, base


def test_revoking_in_the_serving_process_ends_the_stream_at_the_next_heartbeat(
    slow_recheck: tuple[Path, str],
) -> None:
    data_dir, base = slow_recheck
    admin, player, invitation_id = seated(data_dir, base)
    stream = Watched(player, "/api/runs/duo/events")
    time.sleep(3 * HEARTBEAT)  # the stream has checked its session and holds the answer
    assert stream.ended_at is None
    revoked = admin.delete(f"/api/runs/duo/invitations/{invitation_id}")
    assert revoked.status_code == 200, revoked.text
    # The held answer (600 s) is dropped by the revocation: the next heartbeat asks again.
    took = stream.ended_within(HEARTBEAT * 2 + 3)
    assert took is not None, "the revoked player's stream stayed open"
    assert stream.events[-1] == "revoked"
    assert player.get("/api/runs/duo/events").status_code == 401
    player.close()
    admin.close()


def test_revoking_from_another_process_ends_the_stream_within_the_recheck_and_a_heartbeat(
    short_recheck: tuple[Path, str],
) -> None:
    data_dir, base = short_recheck
    admin, player, invitation_id = seated(data_dir, base)
    stream = Watched(player, "/api/runs/duo/events")
    time.sleep(3 * HEARTBEAT)
    # Another process on the same database (as a second worker would): the serving process
    # learns of it only when its held check runs out.
    settings = load_settings({"SITROOM_DATA_DIR": str(data_dir)})
    elsewhere = build_auth(open_auth_store(settings.effective_database_url), settings.secret_key)
    try:
        elsewhere.invitations.revoke_invitation(invitation_id)
    finally:
        elsewhere.close()
    took = stream.ended_within(3 + HEARTBEAT + 3)
    assert took is not None, "the stream outlived the recheck and a heartbeat"
    assert stream.events[-1] == "revoked"
    player.close()
    admin.close()
