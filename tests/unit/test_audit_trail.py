"""The audit trail: numbered, hash-chained JSON lines that never carry a secret."""

from __future__ import annotations

import json
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from sitroom import audit
from sitroom.audit.sinks import FileSink
from sitroom.audit.syslog import format_message, parse_target
from sitroom.audit.trail import AuditTrail, verify_lines
from sitroom.conduct.principal import Principal, Role
from sitroom.config import load_settings
from tests.support.collectors import parse_rfc5424

MARKER = "Marker-Secret-7f3a9"


class Lines:
    """A sink that keeps the lines (a fake, as the trail sees sinks)."""

    name = "memory"
    dropped = 0

    def __init__(self) -> None:
        self.lines: list[str] = []

    def emit(self, event: Mapping[str, Any], line: str) -> None:
        self.lines.append(line)

    def close(self, timeout: float) -> None:
        return None


def _trail() -> tuple[AuditTrail, Lines]:
    sink = Lines()
    return AuditTrail([sink], host="host-a"), sink


def test_each_line_names_time_type_actor_source_and_outcome() -> None:
    trail, sink = _trail()
    who = Principal("account:f1", Role.FACILITATOR, name="Fay")
    trail.record("invitation-revoked", actor=who, run_id="r1", source="10.0.0.7", team="ald")
    event = json.loads(sink.lines[0])
    assert event["type"] == "invitation-revoked"
    assert event["actor"] == {"id": "account:f1", "role": "facilitator"}
    assert event["source"] == "10.0.0.7"
    assert event["run_id"] == "r1"
    assert event["outcome"] == "success"
    assert event["details"] == {"team": "ald"}
    assert event["time"].endswith("Z") and event["time"][:4].isdigit()
    assert "Fay" not in sink.lines[0]  # the id and role say who; names stay in the database


def test_secret_named_fields_are_never_written() -> None:
    trail, sink = _trail()
    trail.record(
        "sign-in",
        outcome="failure",
        password=MARKER,
        token=MARKER,
        join_code=MARKER,
        nested={"api_token": MARKER, "Session": MARKER},
        token_id="t1",
        key_fingerprint="SHA256:abc",
    )
    assert MARKER not in sink.lines[0]
    details = json.loads(sink.lines[0])["details"]
    assert details["password"] == details["join_code"] == "[redacted]"
    assert details["token_id"] == "t1" and details["key_fingerprint"] == "SHA256:abc"


def test_the_chain_shows_a_missing_or_changed_line() -> None:
    trail, sink = _trail()
    for number in range(4):
        trail.record("sign-out", actor=f"account:{number}", source="127.0.0.1")
    assert verify_lines(sink.lines) == []
    assert [json.loads(line)["seq"] for line in sink.lines] == [1, 2, 3, 4]
    gap = sink.lines[:1] + sink.lines[2:]
    assert verify_lines(gap) == [f"line 2: stream {trail.stream} jumps from seq 1 to 3 (1 missing)"]
    changed = json.loads(sink.lines[2])
    changed["outcome"] = "failure"
    problems = verify_lines([*sink.lines[:2], json.dumps(changed), sink.lines[3]])
    assert problems == ["line 3: the hash does not match the line (changed?)"]


def test_record_without_a_trail_does_nothing_and_a_failing_sink_breaks_nothing() -> None:
    audit.record("sign-in")  # nothing installed: no error

    class Broken(Lines):
        def emit(self, event: Mapping[str, Any], line: str) -> None:
            raise OSError("disk full")

    good = Lines()
    trail = AuditTrail([Broken(), good])
    audit.install(trail)
    try:
        audit.record("sign-in", source="127.0.0.1")
    finally:
        audit.uninstall(trail)
    assert len(good.lines) == 1


def test_cli_events_name_the_local_operator() -> None:
    trail, sink = _trail()
    trail.record("api-token-created", token_id="t1")
    event = json.loads(sink.lines[0])
    assert event["source"] == "local"
    assert event["actor"]["id"].startswith("local:") and event["actor"]["role"] == "operator"


def test_the_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "audit.jsonl"
    trail = AuditTrail([FileSink(path)])
    trail.record("sign-out", source="127.0.0.1")
    trail.record("sign-out", source="127.0.0.1")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert verify_lines(path.read_text().splitlines()) == []


def test_a_syslog_message_has_the_rfc5424_header_and_structured_data() -> None:
    trail, _ = _trail()
    event = trail.record(
        "sign-in", outcome="failure", source="10.1.2.3", username='x"]\\y', run_id=None
    )
    message = parse_rfc5424(format_message(event, "host-a"))
    assert message.pri == 10 * 8 + 4 and message.version == 1
    assert message.hostname == "host-a" and message.app == "sitroom"
    assert message.msgid == "sign-in" and message.timestamp == event["time"]
    assert message.sd_id == "sitroom@32473"
    assert message.params["outcome"] == "failure" and message.params["src"] == "10.1.2.3"
    assert message.params["seq"] == "1" and message.params["run"] == "-"
    assert message.event == event


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("syslog.example:514", "SITROOM_AUDIT_SYSLOG"),
        ("http://collector", "SITROOM_AUDIT_SYSLOG"),
        ("tcp://host:port", "SITROOM_AUDIT_SYSLOG"),
    ],
)
def test_a_bad_syslog_address_is_refused_with_the_setting_named(
    tmp_path: Path, value: str, problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        load_settings({"SITROOM_DATA_DIR": str(tmp_path), "SITROOM_AUDIT_SYSLOG": value})


def test_audit_settings_default_to_a_file_in_the_data_folder(tmp_path: Path) -> None:
    settings = load_settings({"SITROOM_DATA_DIR": str(tmp_path)})
    assert settings.audit_file == tmp_path.resolve() / "audit.jsonl"
    off = load_settings({"SITROOM_DATA_DIR": str(tmp_path), "SITROOM_AUDIT_FILE": "none"})
    assert off.audit_file is None
    assert parse_target("tls://siem.example") == ("tls", "siem.example", 6514)
    with pytest.raises(ValueError, match="SITROOM_AUDIT_HTTP"):
        load_settings({"SITROOM_DATA_DIR": str(tmp_path), "SITROOM_AUDIT_HTTP": "ftp://x"})
