"""Access controls over real HTTP: proxy headers, invitation limits, and token scopes.

Each test plays the attacker of a finding against a real server: a forged X-Forwarded-For,
an invitation's session minting a facilitator, a link used twice or from a second device,
a read-only API token trying to write.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from sitroom.config import load_settings
from sitroom.services.identity import Identity
from tests.support.packages import TWO_PARTIES
from tests.support.server import (
    create_admin,
    free_port,
    join,
    running_server,
    sign_in,
    start_process,
    wait_until_up,
)

PASSWORD = "access-password"


def wrong_logins(base: str, count: int, forwarded: list[str], users: list[str]) -> list[int]:
    """Statuses of ``count`` wrong sign-ins, each with its own X-Forwarded-For and username."""
    with httpx.Client(base_url=base, timeout=30) as client:
        return [
            client.post(
                "/api/session",
                json={"username": users[n % len(users)], "password": "not the password"},
                headers={"X-Forwarded-For": forwarded[n % len(forwarded)]},
            ).status_code
            for n in range(count)
        ]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    create_admin(tmp_path, PASSWORD)
    yield tmp_path, free_port()


def _serve(data_dir: Path, port: int, **env: str) -> Iterator[str]:
    process = start_process(data_dir, port, **env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_a_forged_forwarded_for_does_not_escape_the_sign_in_limit(
    served: tuple[Path, int],
) -> None:
    data_dir, port = served
    for base in _serve(data_dir, port):
        addresses = [f"203.0.113.{n}" for n in range(1, 13)]
        users = [f"nobody{n}" for n in range(12)]  # a fresh account each time, too
        statuses = wrong_logins(base, 12, addresses, users)
        assert statuses[:10] == [403] * 10
        assert statuses[10:] == [429, 429]


def test_a_trusted_proxys_forwarded_for_is_the_client(served: tuple[Path, int]) -> None:
    data_dir, port = served
    for base in _serve(data_dir, port, SITROOM_TRUSTED_PROXIES="127.0.0.1"):
        users = [f"nobody{n}" for n in range(24)]
        spread = wrong_logins(base, 12, [f"198.51.100.{n}" for n in range(1, 13)], users)
        assert 429 not in spread  # twelve people behind the proxy, one guess each
        one = wrong_logins(base, 11, ["192.0.2.7"], users[12:])
        assert one[-1] == 429  # one address behind the proxy is limited as itself


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, httpx.Client]]:
    data_dir = tmp_path_factory.mktemp("access")
    create_admin(data_dir, PASSWORD)
    with running_server(data_dir) as base:
        admin = sign_in(base, "admin", PASSWORD)
        assert admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": "r"}).is_success
        yield base, data_dir, admin
        admin.close()


def invite(admin: httpx.Client, **body: object) -> dict[str, str]:
    reply = admin.post("/api/runs/r/invitations", json=body)
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


def test_an_invited_facilitator_cannot_mint_control_invitations_that_outlive_it(
    room: tuple[str, Path, httpx.Client],
) -> None:
    base, _, admin = room
    fran = join(base, invite(admin, name="Fran", role="facilitator")["code"])
    for role in ("facilitator", "evaluator"):
        refused = fran.post("/api/runs/r/invitations", json={"name": "Eve", "role": role})
        assert refused.status_code == 403, refused.text
        assert refused.json()["errors"][0]["field"] == "role"
    made = fran.post(
        "/api/runs/r/invitations",
        json={"name": "Pat", "role": "player", "team": "ald-nsc", "single_use": False},
    )
    assert made.status_code == 201, made.text
    listed = {i["name"]: i for i in admin.get("/api/runs/r/invitations").json()}
    fran_id = listed["Fran"]["id"]
    assert listed["Pat"]["created_by"] == f"invite:{fran_id}"
    assert listed["Pat"]["created_by_name"] == "Fran"
    assert listed["Fran"]["created_by_name"] == "Administrator"
    assert admin.delete(f"/api/runs/r/invitations/{fran_id}").is_success
    with httpx.Client(base_url=base) as pat:
        late = pat.post("/api/join", json={"code": made.json()["code"]})
    assert late.status_code == 410, late.text
    fran.close()


def test_a_players_link_signs_in_once(room: tuple[str, Path, httpx.Client]) -> None:
    base, _, admin = room
    made = invite(admin, name="Pia", role="player", team="brn-nsc")
    assert made["single_use"] is True
    path = made["link"].split("127.0.0.1", 1)[1].split("/", 1)[1]
    own = {"Origin": base}
    with (
        httpx.Client(base_url=base, headers=own) as first,
        httpx.Client(base_url=base, headers=own) as second,
    ):
        for client in (second, first):  # opening the link shows a page and uses nothing
            assert client.get(f"/{path}").status_code == 200
        assert first.post(f"/{path}").status_code == 303
        again = second.post(f"/{path}")
        assert again.status_code == 410
        assert "This invitation was already used" in again.text
        assert second.post("/api/join", json={"code": made["code"]}).status_code == 410
        assert first.get("/api/me").status_code == 200  # the first one stays signed in


def test_a_device_bound_link_is_bound_by_joining_not_by_looking(
    room: tuple[str, Path, httpx.Client],
) -> None:
    base, _, admin = room
    made = invite(admin, name="Ode", role="observer", bind_device=True)
    path = made["link"].split("127.0.0.1", 1)[1].split("/", 1)[1]
    own = {"Origin": base}
    with (
        httpx.Client(base_url=base, headers=own) as laptop,
        httpx.Client(base_url=base, headers=own) as phone,
    ):
        assert phone.get(f"/{path}").status_code == 200  # a look binds nothing
        assert laptop.post(f"/{path}").status_code == 303
        assert "sitroom_device" in laptop.cookies
        assert laptop.get(f"/{path}").status_code == 200
        refused = phone.get(f"/{path}")
        assert refused.status_code == 403
        assert "bound to the browser that used it first" in refused.text


def test_a_device_bound_invitation_refuses_a_second_browser(
    room: tuple[str, Path, httpx.Client],
) -> None:
    base, _, admin = room
    made = invite(admin, name="Oda", role="observer", bind_device=True)
    with httpx.Client(base_url=base) as laptop, httpx.Client(base_url=base) as phone:
        assert laptop.post("/api/join", json={"code": made["code"]}).status_code == 200
        assert "sitroom_device" in laptop.cookies
        laptop.cookies.delete("sitroom_session")
        assert laptop.post("/api/join", json={"code": made["code"]}).status_code == 200
        refused = phone.post("/api/join", json={"code": made["code"]})
        assert refused.status_code == 403
        assert "ask control for a new link" in refused.json()["errors"][0]["message"]
    listed = {i["name"]: i for i in admin.get("/api/runs/r/invitations").json()}
    assert listed["Oda"]["device_bound"] is True and listed["Oda"]["used_at"]


def _token(data_dir: Path, scope: str, expires_in: timedelta | None = None) -> str:
    settings = load_settings({"SITROOM_DATA_DIR": str(data_dir)})
    identity = Identity.open(settings.effective_database_url, settings)
    try:
        admin = identity.auth.accounts.list_accounts()[0]
        _, raw = identity.auth.tokens.create_api_token(
            admin.id, f"{scope} script", scope=scope, expires_in=expires_in
        )
    finally:
        identity.close()
    return raw


def test_a_read_token_reads_and_cannot_write(room: tuple[str, Path, httpx.Client]) -> None:
    base, data_dir, _ = room
    read = {"Authorization": f"Bearer {_token(data_dir, 'read')}"}
    with httpx.Client(base_url=base, headers=read) as script:
        assert script.get("/api/runs/r").status_code == 200
        refused = script.post("/api/runs/r/start", json={})
        assert refused.status_code == 403
        error = refused.json()["errors"][0]
        assert error["field"] == "scope" and "'read'" in error["message"]
    write = {"Authorization": f"Bearer {_token(data_dir, 'write')}"}
    with httpx.Client(base_url=base, headers=write) as script:
        refused = script.post("/api/runs/r/invitations", json={"name": "X", "role": "observer"})
        assert refused.status_code == 403 and "admin" in refused.text


def test_an_expired_token_is_refused(room: tuple[str, Path, httpx.Client]) -> None:
    base, data_dir, _ = room
    raw = _token(data_dir, "admin", timedelta(seconds=1))
    time.sleep(1.2)
    reply = httpx.get(f"{base}/api/runs", headers={"Authorization": f"Bearer {raw}"})
    assert reply.status_code == 401
    assert "expired" in reply.json()["errors"][0]["message"]
