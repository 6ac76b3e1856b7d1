"""A real sitroom server on 127.0.0.1 for tests: uvicorn in a thread, or a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

from sitroom.config import load_settings
from sitroom.web.app import create_app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(base: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"server at {base} did not come up")


@contextmanager
def running_server(
    data_dir: Path, prepare: Callable[[FastAPI], None] | None = None, **env: str
) -> Iterator[str]:
    """Serve sitroom in this process (a uvicorn thread); yield its base URL. ``prepare`` may
    add routes to the application first (e.g. one that fails, to see the 500 page)."""
    port = free_port()
    settings = load_settings(
        {
            "SITROOM_DATA_DIR": str(data_dir),
            "SITROOM_BASE_URL": f"http://127.0.0.1:{port}",
            "SITROOM_HEARTBEAT": "0.5",
            **env,
        }
    )
    app = create_app(settings)
    if prepare is not None:
        prepare(app)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base)
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def start_process(
    data_dir: Path, port: int, log_dir: Path | None = None, *, workers: int = 1, **env: str
) -> subprocess.Popen[bytes]:
    """Start ``sitroom serve`` as a separate process (for crash and multi-worker tests); its
    log goes to ``log_dir`` (default: the data folder, which must exist then)."""
    environ = {
        **os.environ,
        "SITROOM_DATA_DIR": str(data_dir),
        "SITROOM_BASE_URL": f"http://127.0.0.1:{port}",
        "SITROOM_HEARTBEAT": "0.5",
        **env,
    }
    with ((log_dir or data_dir) / f"server-{port}.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "sitroom", "serve", "--port", str(port)]
            + (["--workers", str(workers)] if workers != 1 else []),
            env=environ,
            stdout=log,
            stderr=log,
        )


def sign_in(base: str, username: str, password: str, timeout: float = 30.0) -> httpx.Client:
    """A client signed in with an account, carrying its CSRF token on every request."""
    client = httpx.Client(base_url=base, timeout=timeout)
    reply = client.post("/api/session", json={"username": username, "password": password})
    reply.raise_for_status()
    client.headers["X-CSRF-Token"] = reply.json()["csrf_token"]
    return client


def join(base: str, code: str, timeout: float = 30.0) -> httpx.Client:
    """A client that joined a run with a join code, carrying its CSRF token."""
    client = httpx.Client(base_url=base, timeout=timeout)
    reply = client.post("/api/join", json={"code": code})
    reply.raise_for_status()
    client.headers["X-CSRF-Token"] = reply.json()["csrf_token"]
    return client


def create_admin(
    data_dir: Path, password: str, username: str = "admin", database_url: str = ""
) -> None:
    """Create an admin account in the database under ``data_dir`` (or ``database_url``)."""
    from sitroom.services.identity import Identity

    env = {"SITROOM_DATA_DIR": str(data_dir), "SITROOM_DATABASE_URL": database_url}
    settings = load_settings(env)
    identity = Identity.open(settings.effective_database_url, settings)
    try:
        identity.create_account(username, password, "admin", "Administrator")
    finally:
        identity.close()


def invite_and_join(admin: httpx.Client, base: str, run_id: str, **body: object) -> httpx.Client:
    """Invite a person into ``run_id`` as ``admin`` and return their signed-in client."""
    reply = admin.post(f"/api/runs/{run_id}/invitations", json=body)
    assert reply.status_code == 201, reply.text
    return join(base, reply.json()["code"])
