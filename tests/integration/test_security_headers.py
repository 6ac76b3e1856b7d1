"""Security headers on every response over real HTTP: pages, the API, static files, 404 and
500 pages; no referrer from invitation links; HSTS only over https, as a trusted proxy says;
and ``/docs`` served from the vendored Swagger UI, naming nothing outside the site."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.support.server import free_port, running_server, start_process, wait_until_up

EVERYWHERE = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}
POLICY_PARTS = (
    "default-src 'self'",
    "script-src 'self'",
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'none'",
)


def add_failing_route(app: FastAPI) -> None:
    async def fail() -> None:
        raise RuntimeError("a bug, for the test")

    app.add_api_route("/test-failure", fail)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(tmp_path_factory.mktemp("headers"), prepare=add_failing_route) as url:
        yield url


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/signin", 200),
        ("/api/health", 200),
        ("/api/me", 401),
        ("/no/such/page", 404),
        ("/static/sitroom.css", 200),
        ("/runs/nothing", 303),
        ("/test-failure", 500),
    ],
)
def test_every_response_carries_the_security_headers(base: str, path: str, status: int) -> None:
    reply = httpx.get(f"{base}{path}")
    assert reply.status_code == status
    for name, value in EVERYWHERE.items():
        assert reply.headers.get(name) == value, (path, name)
    policy = reply.headers["content-security-policy"]
    for part in POLICY_PARTS:
        assert part in policy, (path, part)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert reply.headers["permissions-policy"].startswith("camera=()")
    assert reply.headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in reply.headers  # plain http


def test_invitation_links_keep_their_address_on_this_site(base: str) -> None:
    # same-origin, not no-referrer: the join form's own post must still carry an Origin
    reply = httpx.get(f"{base}/join/not-a-real-token")
    assert reply.headers["referrer-policy"] == "same-origin"


def test_the_api_documentation_names_nothing_outside_the_site(base: str) -> None:
    reply = httpx.get(f"{base}/docs")
    assert reply.status_code == 200
    html = reply.text
    assert not re.search(r"(?i)https?://|//[a-z0-9.-]+\.[a-z]{2,}/", html), html
    for asset in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert asset.startswith("/static/vendor/swagger-ui/"), asset
        assert httpx.get(f"{base}{asset}").status_code == 200, asset
    # Its one inline script is allowed by its hash; nothing else inline runs.
    script = re.search(r"<script>(.*?)</script>", html, re.DOTALL)
    assert script is not None
    digest = base64.b64encode(hashlib.sha256(script[1].encode()).digest()).decode()
    policy = reply.headers["content-security-policy"]
    assert f"'sha256-{digest}'" in policy
    assert "script-src 'self' 'sha256-" in policy and "unsafe-eval" not in policy
    assert httpx.get(f"{base}/redoc").status_code == 404


@pytest.mark.parametrize(("trusted", "hsts"), [("127.0.0.1", True), ("", False)])
def test_hsts_only_when_a_trusted_proxy_says_https(
    tmp_path: Path, trusted: str, hsts: bool
) -> None:
    port = free_port()
    process = start_process(tmp_path, port, SITROOM_TRUSTED_PROXIES=trusted)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base)
        proxied = httpx.get(f"{base}/signin", headers={"X-Forwarded-Proto": "https"})
        plain = httpx.get(f"{base}/signin")
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert ("strict-transport-security" in proxied.headers) is hsts
    if hsts:
        assert proxied.headers["strict-transport-security"].startswith("max-age=")
    assert "strict-transport-security" not in plain.headers
