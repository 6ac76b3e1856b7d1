"""Invitation links stay out of the access log of a real ``sitroom serve`` process.

A link token is a bearer secret; whoever can read the log could join with it. The server's
access log must show ``/join/[redacted]`` for the page and its button, and hide a token
sent in a query string too.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.support.packages import TWO_PARTIES
from tests.support.server import create_admin, free_port, sign_in, start_process, wait_until_up

PASSWORD = "access-log-password"


def test_the_access_log_shows_no_invitation_token(tmp_path: Path) -> None:
    create_admin(tmp_path, PASSWORD)
    port = free_port()
    process = start_process(tmp_path, port)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base)
        admin = sign_in(base, "admin", PASSWORD)
        try:
            admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": "r"})
            made = admin.post(
                "/api/runs/r/invitations", json={"name": "Lee", "role": "observer"}
            ).json()
        finally:
            admin.close()
        token = made["link"].rsplit("/join/", 1)[1]
        code = made["code"]
        with httpx.Client(base_url=base, headers={"Origin": base}) as browser:
            statuses = [
                browser.get(f"/join/{token}").status_code,
                browser.get(f"/join/{token}?token={token}&lang=ko").status_code,
                browser.get(f"/api/health?code={code}").status_code,
                browser.post(f"/join/{token}").status_code,
                browser.get("/api/me").status_code,
            ]
    finally:
        process.terminate()
        process.wait(timeout=20)
    log = (tmp_path / f"server-{port}.log").read_text(encoding="utf-8")
    assert token not in log
    assert code not in log
    assert statuses == [200, 200, 200, 303, 200]
    assert log.count('"GET /join/[redacted] HTTP/1.1" 200') == 1
    assert '"GET /join/[redacted]?token=[redacted]&lang=ko HTTP/1.1" 200' in log
    assert '"POST /join/[redacted] HTTP/1.1" 303' in log
    assert '"GET /api/health?code=[redacted] HTTP/1.1" 200' in log
    assert '"GET /api/me HTTP/1.1" 200' in log  # other lines are logged as they were
