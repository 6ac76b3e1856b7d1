"""Start the test OpenID Connect provider (`tests.support.oidc_provider`) as a process, and
walk a sign-in through it over HTTP as a browser would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.support.server import free_port

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "sitroom-test"
CLIENT_SECRET = "s3cret/with:odd&chars"

USERS: dict[str, dict[str, Any]] = {
    "ines": {
        "password": "ines-password",
        "sub": "sub-ines-0001",
        "email": "ines.varga@aldoria.example",
        "email_verified": True,
        "name": "Ines Varga",
        "preferred_username": "ines",
        "groups": ["excon-staff"],
    },
    "olaf": {
        "password": "olaf-password",
        "sub": "sub-olaf-0002",
        "email": "olaf.brenner@aldoria.example",
        "email_verified": True,
        "name": "Olaf Brenner",
        "groups": ["exercise-admins", "excon-staff"],
    },
    "petra": {
        "password": "petra-password",
        "sub": "sub-petra-0003",
        "email": "petra.lind@brenland.example",
        "email_verified": True,
        "name": "Petra Lind",
        "groups": ["brenland-liaison"],
    },
    "mallory": {
        "password": "mallory-password",
        "sub": "sub-mallory-0004",
        "email": "mallory@elsewhere.example",
        "email_verified": True,
        "name": "Mallory Quist",
        "groups": ["excon-staff"],
    },
}


@dataclass
class Provider:
    """A running test provider and its control endpoints."""

    base: str
    process: subprocess.Popen[bytes]
    registered: dict[str, list[str]] = field(default_factory=dict)

    def control(self, method: str, path: str, body: Any = None) -> Any:
        reply = httpx.request(method, f"{self.base}/control/{path}", json=body, timeout=10)
        reply.raise_for_status()
        return reply.json() if reply.content else None

    def tamper(self, **how: Any) -> None:
        """The next ID token goes wrong this way (iss, aud, nonce, exp_offset, foreign_key…)."""
        self.control("POST", "tamper", how)

    def rotate(self, drop_old: bool = False) -> str:
        return str(self.control("POST", "rotate", {"drop_old": drop_old})["kid"])

    def stats(self) -> dict[str, Any]:
        return dict(self.control("GET", "stats"))

    def put_user(self, username: str, user: dict[str, Any]) -> None:
        self.control("PUT", f"users/{username}", user)

    def register(
        self, *bases: str, client_id: str = CLIENT_ID, secret: str | None = CLIENT_SECRET
    ) -> None:
        """Register a sitroom client for these addresses too (callback and post-logout);
        ``secret`` None makes it a public client."""
        known = self.registered.setdefault(client_id, [])
        known.extend(bases)
        self.control(
            "PUT",
            f"clients/{client_id}",
            {
                "secret": secret,
                "redirect_uris": [f"{b}/signin/oidc/callback" for b in known],
                "post_logout_redirect_uris": [f"{b}/signin" for b in known],
            },
        )


@contextmanager
def running_provider(folder: Path) -> Iterator[Provider]:
    """The provider in a process of its own, with the people of `USERS`; register sitroom's
    client with `Provider.register` once its address is known."""
    port = free_port()
    config = {"users": USERS, "clients": {}}
    folder.mkdir(parents=True, exist_ok=True)
    config_file = folder / f"provider-{port}.json"
    config_file.write_text(json.dumps(config))
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"}
    with (folder / f"provider-{port}.log").open("ab") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.oidc_provider",
                "--port",
                str(port),
                "--config",
                str(config_file),
            ],
            cwd=ROOT,
            env=env,
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
                    log_text = (folder / f"provider-{port}.log").read_text()
                    raise RuntimeError(f"the test provider did not start: {log_text}") from None
                time.sleep(0.05)
        yield Provider(base, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def sign_on_env(provider: Provider, **extra: str) -> dict[str, str]:
    """sitroom's settings for single sign-on with the test provider."""
    return {
        "SITROOM_OIDC_ISSUER": provider.base,
        "SITROOM_OIDC_CLIENT_ID": CLIENT_ID,
        "SITROOM_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "SITROOM_OIDC_PROVIDER_NAME": "Aldoria ID",
        "SITROOM_OIDC_ROLES": "exercise-admins=admin,excon-staff=facilitator",
        **extra,
    }


def provider_login(
    start: httpx.Response, username: str, password: str, action: str = "login"
) -> str:
    """From sitroom's redirect to the provider: fill in its form; the callback URL it sends
    the browser to."""
    assert start.status_code == 303, start.text
    authorize = start.headers["location"]
    form_page = httpx.get(authorize, timeout=10)
    assert form_page.status_code == 200, form_page.text
    params = {k: v[0] for k, v in parse_qs(urlsplit(authorize).query).items()}
    reply = httpx.post(
        authorize.split("?")[0],
        data={**params, "username": username, "password": password, "action": action},
        timeout=10,
    )
    assert reply.status_code == 303, reply.text
    return reply.headers["location"]


def sign_on(
    client: httpx.Client, username: str, password: str, *, start: str = "/signin/oidc"
) -> httpx.Response:
    """A whole single sign-on with ``client`` (a browser's cookie jar); sitroom's last answer."""
    callback = provider_login(client.get(start), username, password)
    return client.get(callback)
