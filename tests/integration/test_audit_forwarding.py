"""Security events reach a real syslog server and a real HTTP collector, and never a secret.

A sitroom server runs with its audit trail forwarded to a TCP syslog receiver (octet-counted
RFC 5424) and to an HTTP collector, both listening in this test; people sign in (and fail
to, with a marker password), invite, join, revoke and sign out over real HTTP, and a script
uses an API token. Each event arrives at both receivers and in the 0600 file, whole and
chained, and the marker password and the token are nowhere.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from sitroom.audit.trail import verify_lines
from sitroom.cli.main import app as cli
from tests.support.collectors import (
    Collector,
    Received,
    Syslog5424,
    http_collector,
    tcp_syslog,
    udp_syslog,
)
from tests.support.packages import TWO_PARTIES
from tests.support.server import create_admin, running_server, sign_in

PASSWORD = "audit-admin-password"
MARKER = "Wrong-Marker-Password-5c1e"
RUN = "audited"


@dataclass
class Audited:
    base: str
    data_dir: Path
    syslog: Received
    collector: Collector

    def syslog_message(self, msgid: str, **params: str) -> Syslog5424:
        return self.syslog.wait_for(
            lambda m: m.msgid == msgid and all(m.params.get(k) == v for k, v in params.items())
        )

    def file_events(self) -> list[dict[str, Any]]:
        text = (self.data_dir / "audit.jsonl").read_text(encoding="utf-8")
        return [json.loads(line) for line in text.splitlines()]


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Audited]:
    data_dir = tmp_path_factory.mktemp("audit")
    create_admin(data_dir, PASSWORD)
    with tcp_syslog() as (port, syslog), http_collector() as collector:
        env = {
            "SITROOM_AUDIT_SYSLOG": f"tcp://127.0.0.1:{port}",
            "SITROOM_AUDIT_HTTP": f"http://127.0.0.1:{collector.port}/audit",
            "SITROOM_AUDIT_HTTP_TOKEN": "collector-bearer-secret-0123",
        }
        with running_server(data_dir, **env) as base:
            yield Audited(base, data_dir, syslog, collector)


def test_a_failed_sign_in_reaches_syslog_and_the_collector_without_the_password(
    audited: Audited,
) -> None:
    reply = httpx.post(
        f"{audited.base}/api/session", json={"username": "admin", "password": MARKER}
    )
    assert reply.status_code == 403, reply.text
    message = audited.syslog_message("sign-in", outcome="failure")
    assert message.version == 1 and message.app == "sitroom"
    assert message.pri == 10 * 8 + 4  # authpriv.warning
    assert message.params["src"] == "127.0.0.1" and message.params["actor"] == "-"
    assert message.event["details"]["username"] == "admin"
    collected = audited.collector.wait_for(
        lambda e: e["type"] == "sign-in" and e["outcome"] == "failure"
    )
    assert collected == message.event  # the same event, the same hash, both ways
    assert audited.collector.headers[0]["Authorization"] == "Bearer collector-bearer-secret-0123"


def test_sign_in_invitations_and_sign_out_are_audited_with_actor_and_run(
    audited: Audited,
) -> None:
    admin = sign_in(audited.base, "admin", PASSWORD)
    try:
        _sign_in_invite_and_out(audited, admin)
    finally:
        admin.close()


def _sign_in_invite_and_out(audited: Audited, admin: httpx.Client) -> None:
    signed = audited.syslog_message("sign-in", outcome="success")
    assert signed.pri == 10 * 8 + 5 and signed.params["role"] == "admin"
    assert signed.params["actor"].startswith("account:")
    assert admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": RUN}).is_success
    uploaded = audited.syslog_message("package-uploaded", run=RUN)
    assert uploaded.params["actor"] == signed.params["actor"]
    made = admin.post(
        f"/api/runs/{RUN}/invitations",
        json={"name": "Ada Aldor", "role": "player", "team": "ald-nsc", "single_use": False},
    ).json()
    created = audited.syslog_message("invitation-created", run=RUN)
    assert created.event["details"]["invitation_id"] == made["id"]
    assert created.event["details"]["role"] == "player"
    joined = httpx.post(f"{audited.base}/api/join", json={"code": made["code"]})
    assert joined.status_code == 200
    used = audited.syslog_message("invitation-used", run=RUN, outcome="success")
    assert used.params["actor"] == f"invite:{made['id']}" and used.params["role"] == "player"
    bad = httpx.post(f"{audited.base}/api/join", json={"code": "ZZZZ-ZZZZ"})
    assert bad.status_code >= 400
    audited.syslog_message("invitation-used", outcome="failure")
    revoked = admin.delete(f"/api/runs/{RUN}/invitations/{made['id']}")
    assert revoked.status_code == 200, revoked.text
    gone = audited.syslog_message("invitation-revoked", run=RUN)
    assert gone.params["actor"] == signed.params["actor"] and gone.params["src"] == "127.0.0.1"
    assert admin.delete("/api/session").status_code == 200
    out = audited.syslog_message("sign-out", actor=signed.params["actor"])
    assert out.params["src"] == "127.0.0.1"
    for message in (signed, uploaded, created, used, gone, out):
        assert made["code"] not in message.msg  # the join code is a secret too
        audited.collector.wait_for(lambda e, m=message: e["hash"] == m.event["hash"])


def test_an_api_token_is_audited_when_made_and_never_written(
    audited: Audited, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SITROOM_DATA_DIR", str(audited.data_dir))
    made = CliRunner().invoke(cli, ["account", "token", "admin", "--name", "audit sync"])
    assert made.exit_code == 0, made.output
    raw = made.stdout.strip().splitlines()[-1]
    assert raw.startswith("srt_")
    reply = httpx.get(f"{audited.base}/api/runs", headers={"Authorization": f"Bearer {raw}"})
    assert reply.status_code == 200
    token_event = next(e for e in audited.file_events() if e["type"] == "api-token-created")
    assert token_event["actor"]["id"].startswith("local:")  # the operator at the CLI
    assert token_event["details"]["token_scope"] == "read"
    # Everything the server forwarded and wrote so far: no password, no token, no secret.
    audited.syslog_message("sign-out")
    everything = (
        (audited.data_dir / "audit.jsonl").read_text(encoding="utf-8")
        + json.dumps(audited.collector.events())
        + "".join(m.msg for m in audited.syslog.snapshot())
    )
    for secret in (MARKER, PASSWORD, raw, "collector-bearer-secret"):
        assert secret not in everything


def test_the_file_is_private_and_its_chain_whole(audited: Audited) -> None:
    path = audited.data_dir / "audit.jsonl"
    audited.syslog_message("sign-in")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines and verify_lines(lines) == []
    types = {json.loads(line)["type"] for line in lines}
    assert {"sign-in", "invitation-created", "invitation-used", "sign-out"} <= types


def test_a_failed_sign_in_reaches_a_udp_syslog_server(tmp_path: Path) -> None:
    create_admin(tmp_path, PASSWORD)
    with (
        udp_syslog() as (port, received),
        running_server(tmp_path, SITROOM_AUDIT_SYSLOG=f"udp://127.0.0.1:{port}") as base,
    ):
        reply = httpx.post(f"{base}/api/session", json={"username": "nobody", "password": MARKER})
        assert reply.status_code == 403
        message = received.wait_for(lambda m: m.msgid == "sign-in")
    assert message.params["outcome"] == "failure" and message.params["src"] == "127.0.0.1"
    assert message.event["details"]["username"] == "nobody"
    assert MARKER not in message.msg


def test_audit_verify_finds_a_removed_line(tmp_path: Path) -> None:
    from sitroom.audit.sinks import FileSink
    from sitroom.audit.trail import AuditTrail

    path = tmp_path / "audit.jsonl"
    trail = AuditTrail([FileSink(path)])
    for _ in range(3):
        trail.record("sign-out", source="127.0.0.1")
    whole = CliRunner().invoke(cli, ["audit-verify", str(path)])
    assert whole.exit_code == 0, whole.output
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text(lines[0] + "\n" + lines[2] + "\n", encoding="utf-8")
    cut = CliRunner().invoke(cli, ["audit-verify", str(path)])
    assert cut.exit_code == 1
    assert "jumps from seq 1 to 3 (1 missing)" in cut.output
