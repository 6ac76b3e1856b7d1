"""The API keeps its own contract: schemathesis sends requests made from our OpenAPI document
to a real server holding a run of the allied example, as an admin (API token) and as a player
(joined by code), and every answer is no server error, has a status the document lists for
that route and a body matching the schema it gives for that status.

The player goes first, while the run is under way; the admin may end it (and the run's
commands then answer 409, which they document too).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from sitroom.config import load_settings
from sitroom.package.examples import example_path
from sitroom.package.load import load_package
from sitroom.services.identity import Identity
from sitroom.services.runs import Engine
from sitroom.storage.factory import open_recorder
from tests.support.server import join, running_server

HOOKS = Path(__file__).parents[1] / "support" / "schemathesis_hooks.py"
RUN = "allied"
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance"
EXAMPLES = "5"
"""Examples per operation in the fuzzing phase (the coverage phase adds its boundary cases):
two passes over about seventy operations in under two minutes on a busy machine."""

NOT_RUN = r".*/events$"
"""The live stream never ends by itself; tests/integration/test_sse_http.py covers it."""


@dataclass(frozen=True)
class Served:
    base: str
    admin_token: str
    player_cookie: str
    player_csrf: str
    series: str
    action: str


def _parameters(fx: Served) -> str:
    """Path parameters that name things that exist, so requests get past the 404s."""
    return (
        "[parameters]\n"
        f'"path.run_id" = "{RUN}"\n'
        '"path.number" = "1.2"\n'
        '"path.module" = "day1"\n'
        '"path.poll" = "d1-poll"\n'
        f'"path.series_id" = "{fx.series}"\n'
        f'"path.action_id" = "{fx.action}"\n'
        # Methods a route does not have get 405 from the framework, which has no contract
        # of ours to break: not worth a tenth of the run.
        "[phases.coverage]\n"
        "unexpected-methods = []\n"
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data = tmp_path_factory.mktemp("contract")
    settings = load_settings({"SITROOM_DATA_DIR": str(data / "var")})
    identity = Identity.open(settings.effective_database_url, settings)
    identity.create_account("admin", "contract-password", "admin", "Admin")
    account = identity.auth.accounts.list_accounts()[0]
    _record, token = identity.auth.tokens.create_api_token(account.id, "contract", scope="admin")
    identity.close()
    recorder = open_recorder(settings.effective_database_url)
    package = load_package(example_path("allied-consultation")).package
    assert package is not None
    Engine(recorder).create_run(package, RUN)
    recorder.close()
    with (
        running_server(data / "var") as base,
        httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as admin,
    ):
        invited = admin.post(
            f"/api/runs/{RUN}/invitations",
            json={"name": "Player", "role": "player", "team": "ald-nss", "single_use": False},
        )
        assert invited.status_code == 201, invited.text
        # A run under way, so that players' requests reach past "not started yet".
        for step in ("start", "modules/day1/open", "injects/1.2/release", "polls/d1-poll/open"):
            admin.post(f"/api/runs/{RUN}/{step}", json={}).raise_for_status()
        player = join(base, invited.json()["code"])
        player.close()
        cookie = f"sitroom_session={player.cookies['sitroom_session']}"
        csrf = str(player.headers["X-CSRF-Token"])
        admin.post("/api/series", json={"id": "ally", "title": "Ally series"}).raise_for_status()
        added = admin.post(
            "/api/series/ally/actions", json={"issue": "Slow consultation", "action": "Drill"}
        )
        assert added.status_code == 201, added.text
        yield Served(
            base=base,
            admin_token=token,
            player_cookie=cookie,
            player_csrf=csrf,
            series="ally",
            action=str(added.json()["action"]["id"]),
        )


def _schemathesis(fx: Served, cwd: Path, headers: list[str], *extra: str) -> str:
    """Run schemathesis with ``headers`` on every request; its whole report goes to
    ``cwd/schemathesis.txt``, its failures into the assertion."""
    (cwd / "schemathesis.toml").write_text(_parameters(fx), encoding="utf-8")
    args = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{fx.base}/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        EXAMPLES,
        "--exclude-path-regex",
        NOT_RUN,
        "--seed",
        "1",
        "--no-shrink",
        "--workers",
        "1",
        "--max-redirects",
        "0",
        *extra,
    ]
    for header in headers:
        args += ["-H", header]
    done = subprocess.run(
        args,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_HOOKS": str(HOOKS)},
    )
    (cwd / "schemathesis.txt").write_text(done.stdout + done.stderr, encoding="utf-8")
    failures = done.stdout[done.stdout.find("= FAILURES =") :]
    assert done.returncode == 0, failures[:20_000] + done.stderr[-2000:]
    return done.stdout


@pytest.mark.slow
def test_player_gets_only_documented_answers(served: Served, tmp_path: Path) -> None:
    out = _schemathesis(
        served,
        tmp_path,
        [f"Cookie: {served.player_cookie}", f"X-CSRF-Token: {served.player_csrf}"],
        # Signing out would end the session the rest of the run is made with.
        "--exclude-operation-id",
        "sign_out_api_session_delete",
    )
    assert "passed" in out


@pytest.mark.slow
def test_admin_gets_only_documented_answers(served: Served, tmp_path: Path) -> None:
    out = _schemathesis(served, tmp_path, [f"Authorization: Bearer {served.admin_token}"])
    assert "passed" in out
