"""Readiness and metrics over real HTTP: a uvicorn server in a thread, our app, a real database."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import uvicorn
from fastapi import FastAPI
from psycopg import sql

from sitroom.config import load_settings
from sitroom.web.app import create_app
from tests.integration.test_graceful_stop import create_run
from tests.support.postgres import fresh_database
from tests.support.server import create_admin, free_port, invite_and_join, sign_in

PASSWORD = "probes-password"


@contextmanager
def serving(
    data_dir: Path, more: Callable[[FastAPI], None] | None = None, **env: str
) -> Iterator[tuple[str, FastAPI, asyncio.AbstractEventLoop]]:
    """Serve our app (with ``more`` done to it) in a thread; yield its URL, app and loop."""
    port = free_port()
    settings = load_settings({"SITROOM_DATA_DIR": str(data_dir), "SITROOM_HEARTBEAT": "0.5", **env})
    app = create_app(settings)
    if more is not None:
        more(app)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(),), daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    try:
        yield base, app, loop
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        loop.close()


def test_ready_says_yes_when_serving_and_no_while_draining(tmp_path: Path) -> None:
    with serving(tmp_path) as (base, app, loop):
        reply = httpx.get(f"{base}/api/ready")
        assert (reply.status_code, reply.json()) == (200, {"ready": True, "reason": None})
        loop.call_soon_threadsafe(app.state.drain.begin)  # what SIGTERM does
        deadline = time.monotonic() + 10
        while (reply := httpx.get(f"{base}/api/ready")).status_code == 200:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert (reply.status_code, reply.json()) == (503, {"ready": False, "reason": "draining"})
        assert httpx.get(f"{base}/api/health").status_code == 200  # alive, only not ready


@pytest.mark.asyncio
async def test_ready_says_no_while_the_application_starts(tmp_path: Path) -> None:
    # A server that takes requests before the lifespan has run (uvicorn does not, others may).
    app = create_app(load_settings({"SITROOM_DATA_DIR": str(tmp_path)}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sitroom.test") as client:
        reply = await client.get("/api/ready")
    assert (reply.status_code, reply.json()["reason"]) == (503, "starting")


@pytest.mark.postgres
def test_ready_says_no_when_the_database_does_not_answer(tmp_path: Path) -> None:
    with fresh_database() as url, serving(tmp_path, SITROOM_DATABASE_URL=url) as (base, _, _):
        assert httpx.get(f"{base}/api/ready").status_code == 200
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        reply = httpx.get(f"{base}/api/ready", timeout=10)
        assert (reply.status_code, reply.json()["reason"]) == (503, "database")


def _samples(text: str, name: str) -> dict[str, float]:
    """``{labels: value}`` of one metric in the Prometheus text format."""
    found = {}
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}(\{{.*\}})? (\S+)", line)
        if match:
            found[match.group(1) or ""] = float(match.group(2))
    return found


def test_metrics_count_requests_streams_deliveries_appends_and_follower_lag(
    tmp_path: Path,
) -> None:
    create_admin(tmp_path, PASSWORD)
    create_run(tmp_path, "duo")
    with serving(tmp_path) as (base, _, _):
        admin = sign_in(base, "admin", PASSWORD)
        player = invite_and_join(admin, base, "duo", name="P", role="player", team="brn-nsc")
        admin.post("/api/runs/duo/start", json={}).raise_for_status()
        httpx.get(f"{base}/no/such/page/zz-secret-path")
        httpx.get(f"{base}/static/sitroom.css").raise_for_status()
        with player.stream("GET", "/api/runs/duo/events") as stream:
            lines = stream.iter_lines()
            assert next(lines).startswith("retry:")
            admin.post("/api/runs/duo/injects/1/release", json={}).raise_for_status()
            for line in lines:
                if line.startswith("event: inject-released"):
                    break
            body = httpx.get(f"{base}/metrics").text
        assert _samples(body, "sitroom_sse_streams_open") == {"": 1.0}
        deadline = time.monotonic() + 10  # the stream notices the client left, and is uncounted
        while _samples(httpx.get(f"{base}/metrics").text, "sitroom_sse_streams_open") != {"": 0}:
            assert time.monotonic() < deadline, "a closed stream is still counted as open"
            time.sleep(0.1)
        assert _samples(body, "sitroom_sse_frames_total")[""] >= 3  # created, started, released
        assert _samples(body, "sitroom_append_seconds_count")[""] >= 2
        assert set(_samples(body, "sitroom_gc_full_collections_total")) == {
            '{when="quiet"}',
            '{when="overdue"}',
        }
        requests = _samples(body, "sitroom_http_requests_total")
        assert requests['{method="GET",route="/api/runs/{run_id}/events",status="200"}'] == 1
        assert requests['{method="GET",route="unmatched",status="404"}'] == 1
        release = '{method="POST",route="/api/runs/{run_id}/injects/{number}/release",status="200"}'
        assert requests[release] == 1
        assert _samples(body, "sitroom_follower_runs_led") == {
            '{follower="scheduler"}': 1.0,
            '{follower="triggers"}': 1.0,
        }
        assert '{follower="scheduler"}' in _samples(body, "sitroom_follower_lag_events")
        # No content, no run id, no path in any label.
        assert requests['{method="GET",route="/static/{path}",status="200"}'] == 1
        assert "duo" not in body and "zz-secret-path" not in body and "sitroom.css" not in body
        assert "process_resident_memory_bytes" in body
        admin.close()
        player.close()


def test_a_request_that_fails_is_counted_as_the_500_it_became(tmp_path: Path) -> None:
    def failing_route(app: FastAPI) -> None:
        @app.get("/api/runs/{run_id}/boom", include_in_schema=False)
        async def boom(run_id: str) -> None:
            raise RuntimeError("a bug")

    with serving(tmp_path, failing_route) as (base, _, _):
        assert httpx.get(f"{base}/api/runs/duo/boom").status_code == 500
        requests = _samples(httpx.get(f"{base}/metrics").text, "sitroom_http_requests_total")
    assert requests['{method="GET",route="/api/runs/{run_id}/boom",status="500"}'] == 1


def test_metrics_are_served_only_to_allowed_networks_or_with_the_token(tmp_path: Path) -> None:
    token = "metrics-token-0123456789"
    with serving(tmp_path, SITROOM_METRICS_FROM="none", SITROOM_METRICS_TOKEN=token) as served:
        base = served[0]
        assert httpx.get(f"{base}/metrics").status_code == 403
        wrong = {"Authorization": "Bearer not-the-token"}
        assert httpx.get(f"{base}/metrics", headers=wrong).status_code == 403
        right = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{base}/metrics", headers=right).status_code == 200
    with serving(tmp_path) as (base, _, _):
        assert httpx.get(f"{base}/metrics").status_code == 200  # 127.0.0.1 by default
        # Through a proxy this server does not trust, 127.0.0.1 is the proxy, not the client.
        proxied = {"X-Forwarded-For": "203.0.113.9"}
        assert httpx.get(f"{base}/metrics", headers=proxied).status_code == 403
        assert "/metrics" not in httpx.get(f"{base}/openapi.json").json()["paths"]


def test_metrics_networks_must_be_networks_and_the_token_a_real_secret(tmp_path: Path) -> None:
    env: dict[str, Any] = {
        "SITROOM_DATA_DIR": str(tmp_path),
        "SITROOM_METRICS_FROM": "10.0.0.0/8,x",
    }
    with pytest.raises(ValueError, match=r"SITROOM_METRICS_FROM: 'x' is not an address"):
        load_settings(env)
    env["SITROOM_METRICS_FROM"] = "10.1.2.3, 192.168.0.0/16"
    assert load_settings(env).metrics_from == ("10.1.2.3/32", "192.168.0.0/16")
    with pytest.raises(ValueError, match=r"SITROOM_METRICS_TOKEN: 6 characters is too short"):
        load_settings({**env, "SITROOM_METRICS_TOKEN": "secret"})
