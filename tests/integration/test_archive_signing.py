"""A forged run archive is refused: hashes anyone can recompute, a signature only we can make.

The attacker edits a response in an exported archive, recomputes every event hash, the
manifest's file hashes and its head, and tries to import it on another installation that
trusts the exporter. Whatever they do with the signature (keep it, drop it, or sign with a
key of their own), ``sitroom import`` refuses it and says why.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sitroom.cli.main import app
from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Principal, Role
from sitroom.services.runs import Engine
from sitroom.services.signing import InstallationKey
from sitroom.storage.factory import open_recorder
from sitroom.storage.recorder import event_hash, parse_timestamp
from tests.support.packages import TWO_PARTIES

runner = CliRunner()
FAC = Principal("account:f", Role.FACILITATOR)
ALD = Principal("invite:a", Role.PLAYER, team="ald-nsc", party="ald")


@pytest.fixture
def exported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """An archive of a played run, and the fingerprint of the installation that signed it."""
    monkeypatch.setenv("SITROOM_DATA_DIR", str(tmp_path / "origin"))
    package = tmp_path / "duo.yaml"
    package.write_text(TWO_PARTIES, encoding="utf-8")
    assert runner.invoke(app, ["run", "create", str(package), "--id", "duo"]).exit_code == 0
    recorder = open_recorder(f"sqlite:///{tmp_path / 'origin' / 'sitroom.db'}")
    engine = Engine(recorder)
    engine.handle("duo", cmd.StartRun(), FAC)
    engine.handle("duo", cmd.ReleaseInject("1"), FAC)
    engine.handle("duo", cmd.SubmitResponse("inject", "1", "We consult the ally"), ALD, key="r1")
    recorder.close()
    archive = tmp_path / "duo.zip"
    result = runner.invoke(app, ["export", "duo", "-o", str(archive)])
    assert result.exit_code == 0, result.output
    fingerprint = InstallationKey.load_or_create(tmp_path / "origin").fingerprint
    monkeypatch.setenv("SITROOM_DATA_DIR", str(tmp_path / "elsewhere"))
    return archive, fingerprint


def _sha256(data: bytes) -> str:
    import hashlib

    return "sha256:" + hashlib.sha256(data).hexdigest()


def forge(archive: Path, target: Path) -> dict[str, bytes]:
    """Edit the response and recompute every hash, as anyone holding the archive can."""
    with zipfile.ZipFile(archive) as zipped:
        members = {name: zipped.read(name) for name in zipped.namelist()}
    manifest = json.loads(members["manifest.json"])
    prev = manifest["package_hash"]
    lines = []
    for line in members["events.jsonl"].decode().splitlines():
        item = json.loads(line)
        if item["payload"].get("text") == "We consult the ally":
            item["payload"]["text"] = "We act alone"
        item["prev_hash"] = prev
        item["hash"] = event_hash(
            manifest["run_id"],
            item["seq"],
            item["type"],
            item["payload"],
            item["actor"],
            parse_timestamp(item["recorded_at"]),
            item["idempotency_key"],
            prev,
        )
        prev = item["hash"]
        lines.append(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n")
    assert any("We act alone" in line for line in lines)
    members["events.jsonl"] = "".join(lines).encode()
    manifest["files"]["events.jsonl"] = _sha256(members["events.jsonl"])
    manifest["head_hash"] = prev
    members["manifest.json"] = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
    write(target, members)
    return members


def write(target: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(target, "w") as zipped:
        for name, data in members.items():
            zipped.writestr(name, data)


def test_the_exporters_archive_imports_with_trust(exported: tuple[Path, str]) -> None:
    archive, fingerprint = exported
    result = runner.invoke(app, ["import", str(archive), "--trust", fingerprint])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["verify", "duo"]).exit_code == 0


def test_recomputed_hashes_do_not_make_a_forgery_import(
    exported: tuple[Path, str], tmp_path: Path
) -> None:
    archive, fingerprint = exported
    forged = tmp_path / "forged.zip"
    forge(archive, forged)
    result = runner.invoke(app, ["import", str(forged), "--trust", fingerprint])
    assert result.exit_code == 1, result.output
    assert "signature does not match" in result.output
    assert runner.invoke(app, ["verify", "duo"]).exit_code == 2  # nothing was imported


def test_a_forgery_without_a_signature_is_refused(
    exported: tuple[Path, str], tmp_path: Path
) -> None:
    archive, fingerprint = exported
    members = forge(archive, tmp_path / "forged.zip")
    del members["manifest.sig"]
    unsigned = tmp_path / "unsigned.zip"
    write(unsigned, members)
    result = runner.invoke(app, ["import", str(unsigned), "--trust", fingerprint])
    assert result.exit_code == 1
    assert "not signed" in result.output


def test_a_forgery_signed_with_another_key_needs_that_key_trusted(
    exported: tuple[Path, str], tmp_path: Path
) -> None:
    archive, fingerprint = exported
    members = forge(archive, tmp_path / "forged.zip")
    mallory = InstallationKey.load_or_create(tmp_path / "mallory")
    manifest = json.loads(members["manifest.json"])
    manifest["signed_by"] = {"public_key": mallory.public_key, "fingerprint": fingerprint}
    members["manifest.json"] = json.dumps(manifest, indent=2).encode()
    members["manifest.sig"] = base64.b64encode(mallory.sign(members["manifest.json"]))
    resigned = tmp_path / "resigned.zip"
    write(resigned, members)
    result = runner.invoke(app, ["import", str(resigned), "--trust", fingerprint])
    assert result.exit_code == 1
    assert mallory.fingerprint in result.output and "does not know" in result.output


def test_a_trust_value_that_is_no_key_is_refused(exported: tuple[Path, str]) -> None:
    archive, _ = exported
    result = runner.invoke(app, ["import", str(archive), "--trust", "my-friend"])
    assert result.exit_code == 1 and "--trust" in result.output


def test_the_key_is_made_once_private_and_printed_by_sitroom_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = InstallationKey.load_or_create(tmp_path)
    again = InstallationKey.load_or_create(tmp_path)
    assert key.public_key == again.public_key
    mode = stat.S_IMODE(os.stat(tmp_path / "signing.key").st_mode)
    assert mode == 0o600
    monkeypatch.setenv("SITROOM_DATA_DIR", str(tmp_path))
    printed = runner.invoke(app, ["keys"])
    assert printed.exit_code == 0
    assert key.public_key in printed.stdout and key.fingerprint in printed.stdout
