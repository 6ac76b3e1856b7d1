"""``sitroom run create|list``, ``verify``, ``export`` and ``import`` on real databases."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sitroom.cli.main import app
from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Principal, Role
from sitroom.services.runs import Engine
from sitroom.storage.factory import open_recorder
from tests.support.packages import TWO_PARTIES

runner = CliRunner()
FAC = Principal("account:f", Role.FACILITATOR)
ALD = Principal("invite:a", Role.PLAYER, team="ald-nsc", party="ald")


@pytest.fixture
def played(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SITROOM_DATA_DIR", str(tmp_path / "var"))
    package = tmp_path / "duo.yaml"
    package.write_text(TWO_PARTIES, encoding="utf-8")
    result = runner.invoke(app, ["run", "create", str(package), "--id", "duo"])
    assert result.exit_code == 0, result.output
    database = tmp_path / "var" / "sitroom.db"
    recorder = open_recorder(f"sqlite:///{database}")
    engine = Engine(recorder)
    engine.handle("duo", cmd.StartRun(), FAC)
    engine.handle("duo", cmd.ReleaseInject("1"), FAC)
    engine.handle("duo", cmd.SubmitResponse("inject", "1", "Consulting now"), ALD, key="r1")
    recorder.close()
    return database


def test_list_and_verify(played: Path) -> None:
    listed = runner.invoke(app, ["run", "list"])
    assert listed.exit_code == 0 and "duo" in listed.output and "running" in listed.output
    verified = runner.invoke(app, ["verify", "duo"])
    assert verified.exit_code == 0, verified.output
    assert "4 event(s), chain whole" in verified.output
    assert runner.invoke(app, ["verify", "nope"]).exit_code == 2


def test_verify_finds_a_tampered_payload(played: Path) -> None:
    with sqlite3.connect(played) as db:
        db.execute(
            "UPDATE events SET payload = replace(payload, 'Consulting now', 'Nothing') "
            "WHERE seq = 4"
        )
    result = runner.invoke(app, ["verify", "duo"])
    assert result.exit_code == 1
    assert "4" in result.output


def test_verify_finds_events_removed_at_the_end(played: Path) -> None:
    with sqlite3.connect(played) as db:
        db.execute("DELETE FROM events WHERE seq = 4")
    result = runner.invoke(app, ["verify", "duo"])
    assert result.exit_code == 1
    assert "removed" in result.output


def test_export_import_round_trip(
    played: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "duo.zip"
    exported = runner.invoke(app, ["export", "duo", "-o", str(archive)])
    assert exported.exit_code == 0, exported.output
    with zipfile.ZipFile(archive) as zipped:
        manifest = json.loads(zipped.read("manifest.json"))
        lines = zipped.read("events.jsonl").decode().splitlines()
    assert manifest["events"] == 4 and len(lines) == 4
    assert runner.invoke(app, ["import", str(archive)]).exit_code == 1  # the id exists here
    keys = runner.invoke(app, ["keys"])
    fingerprint = keys.stdout.split("fingerprint")[1].split()[0]
    assert fingerprint.startswith("SHA256:") and fingerprint in exported.stdout
    monkeypatch.setenv("SITROOM_DATA_DIR", str(tmp_path / "elsewhere"))
    unknown = runner.invoke(app, ["import", str(archive)])  # another installation's key
    assert unknown.exit_code == 1 and f"--trust {fingerprint}" in unknown.output
    imported = runner.invoke(app, ["import", str(archive), "--trust", fingerprint])
    assert imported.exit_code == 0, imported.output
    assert runner.invoke(app, ["verify", "duo"]).exit_code == 0
    recorder = open_recorder(f"sqlite:///{tmp_path / 'elsewhere' / 'sitroom.db'}")
    original = open_recorder(f"sqlite:///{played}")
    try:
        assert recorder.read("duo") == original.read("duo")
        assert Engine(recorder).state("duo").responses[0].text == "Consulting now"
    finally:
        recorder.close()
        original.close()


def test_a_tampered_archive_is_refused(
    played: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "duo.zip"
    runner.invoke(app, ["export", "duo", "-o", str(archive)])
    with zipfile.ZipFile(archive) as zipped:
        members = {name: zipped.read(name) for name in zipped.namelist()}
    members["events.jsonl"] = members["events.jsonl"].replace(b"Consulting now", b"Nothing")
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zipped:
        for name, data in members.items():
            zipped.writestr(name, data)
    monkeypatch.setenv("SITROOM_DATA_DIR", str(tmp_path / "elsewhere"))
    result = runner.invoke(app, ["import", str(bad)])
    assert result.exit_code == 1
    assert "does not match" in result.output
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    assert runner.invoke(app, ["import", str(tmp_path / "junk.zip")]).exit_code == 1


def test_account_and_api_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SITROOM_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SITROOM_PASSWORD", "a-good-long-password")
    assert runner.invoke(app, ["account", "create", "fac"]).exit_code == 0
    assert runner.invoke(app, ["account", "create", "fac"]).exit_code == 1  # taken
    monkeypatch.setenv("SITROOM_PASSWORD", "short")
    too_short = runner.invoke(app, ["account", "create", "other"])
    assert too_short.exit_code == 1 and "10" in too_short.output
    made = runner.invoke(app, ["account", "token", "fac", "--name", "sync"])
    assert made.exit_code == 0, made.output
    raw = made.stdout.strip().splitlines()[-1]
    assert raw.startswith("srt_")
    from sitroom.config import load_settings
    from sitroom.services.identity import Identity

    settings = load_settings()
    identity = Identity.open(settings.effective_database_url, settings)
    try:
        viewer = identity.resolve(None, raw)
        assert viewer is not None and viewer.principal.role == "facilitator"
    finally:
        identity.close()
    assert runner.invoke(app, ["account", "token", "nobody", "--name", "x"]).exit_code == 1


def test_an_api_token_gets_a_scope_and_an_expiry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SITROOM_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SITROOM_PASSWORD", "a-good-long-password")
    assert runner.invoke(app, ["account", "create", "fac"]).exit_code == 0
    made = runner.invoke(
        app, ["account", "token", "fac", "--name", "sync", "--scope", "write", "--expires", "30d"]
    )
    assert made.exit_code == 0, made.output
    assert "scope write" in made.output and "expires" in made.output
    default = runner.invoke(app, ["account", "token", "fac", "--name", "report"])
    assert "scope read" in default.output
    for option, value in (("--scope", "root"), ("--expires", "soon")):
        refused = runner.invoke(app, ["account", "token", "fac", "--name", "x", option, value])
        assert refused.exit_code == 1 and option in refused.output
    from sitroom.config import load_settings
    from sitroom.services.identity import Identity

    settings = load_settings()
    identity = Identity.open(settings.effective_database_url, settings)
    try:
        tokens = {t.name: t for t in identity.auth.tokens.list_api_tokens()}
    finally:
        identity.close()
    sync, report = tokens["sync"], tokens["report"]
    assert sync.scope == "write" and sync.expires_at is not None
    assert (sync.expires_at - sync.created_at).days == 30
    assert report.scope == "read" and report.expires_at is not None
    assert (report.expires_at - report.created_at).days == 90
