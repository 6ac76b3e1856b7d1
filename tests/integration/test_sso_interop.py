"""Single sign-on against a provider written by others: ``oidc-provider-mock`` (PyPI, built on
authlib's server), run as its own process. sitroom's own test provider could share a
misreading with sitroom's client; this one cannot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sitroom.auth import open_auth_store
from sitroom.conduct.principal import Role
from tests.support.server import free_port, running_server

INES = {
    "sub": "ines-0001",
    "email": "ines.varga@aldoria.example",
    "email_verified": True,
    "name": "Ines Varga",
    "groups": ["excon-staff"],
}


@pytest.fixture(scope="module")
def mock_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log_path = tmp_path_factory.mktemp("mock") / "provider.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "oidc_provider_mock",
                "--port",
                str(port),
                "--require-nonce",
                "--user-claims",
                json.dumps(INES),
            ],
            env={**os.environ, "NO_COLOR": "1"},
            stdout=log,
            stderr=log,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/.well-known/openid-configuration", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"oidc-provider-mock did not start: {log_path.read_text()}"
                    ) from None
                time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_sign_on_with_oidc_provider_mock(mock_provider: str, tmp_path: Path) -> None:
    env = {
        "SITROOM_OIDC_ISSUER": mock_provider,
        "SITROOM_OIDC_CLIENT_ID": "sitroom-interop",
        "SITROOM_OIDC_CLIENT_SECRET": "interop-secret",
        "SITROOM_OIDC_ROLES": "excon-staff=facilitator",
    }
    with (
        running_server(tmp_path, **env) as base,
        httpx.Client(base_url=base, timeout=30) as browser,
    ):
        start = browser.get("/signin/oidc")
        assert start.status_code == 303
        authorize = start.headers["location"]
        assert authorize.startswith(mock_provider) and "code_challenge_method=S256" in authorize
        consent = httpx.post(authorize, data={"sub": INES["sub"]}, timeout=10)
        assert consent.status_code in (302, 303), consent.text
        back = browser.get(consent.headers["location"])
        assert back.status_code == 303 and back.headers["location"] == "/", back.text
        assert browser.get("/api/runs").status_code == 200
        out = browser.post("/signout", headers={"Origin": base})
        assert out.headers["location"].startswith(f"{mock_provider}/oauth2/end_session?")
    store = open_auth_store(f"sqlite:///{tmp_path / 'sitroom.db'}")
    try:
        found = store.find_linked_identity(mock_provider, INES["sub"])
    finally:
        store.close()
    assert found is not None and found[1].role == Role.FACILITATOR
    assert found[1].display_name == "Ines Varga"
