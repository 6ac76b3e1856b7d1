"""Labels travel with what they mark: injects in the API, pages, the AAR (DOCX custom
properties, a JSON sidecar, the download's header) and the signed run archive, each label
rendering exactly the banner beside it; an archive whose labels and content disagree is
refused with the item named.

The run uses the NATO-style scheme, so a planner's ``SECRET`` must come out as
``NATO SECRET`` everywhere, from the one table.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import docx
import httpx
import pytest
from typer.testing import CliRunner

from sitroom.cli.main import app as cli
from sitroom.package.marking import render_banner
from sitroom.reports.docx_labels import read_label_properties
from sitroom.services.signing import InstallationKey
from sitroom.storage.recorder import event_hash, parse_timestamp
from tests.support.packages import TWO_PARTIES
from tests.support.server import create_admin, invite_and_join, running_server, sign_in

PASSWORD = "markings-admin-password"
RUN = "marked"
NATO_PACKAGE = TWO_PARTIES.replace("  id: duo\n", "  id: duo\n  marking_scheme: nato\n", 1)
SECRET_BANNER = "EXERCISE EXERCISE EXERCISE · NATO SECRET//RELEASABLE TO ALD"
runner = CliRunner()


@dataclass
class Marked:
    base: str
    data_dir: Path
    admin: httpx.Client
    ald: httpx.Client


@pytest.fixture(scope="module")
def marked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Marked]:
    data_dir = tmp_path_factory.mktemp("markings")
    create_admin(data_dir, PASSWORD)
    with running_server(data_dir) as base:
        admin = sign_in(base, "admin", PASSWORD)
        made = admin.post("/api/runs", json={"package_yaml": NATO_PACKAGE, "run_id": RUN})
        assert made.status_code == 201, made.text
        for step in ("start", "injects/1/release", "injects/2/release"):
            assert admin.post(f"/api/runs/{RUN}/{step}", json={}).status_code == 200
        ald = invite_and_join(admin, base, RUN, name="Ada Aldor", role="player", team="ald-nsc")
        try:
            yield Marked(base, data_dir, admin, ald)
        finally:
            ald.close()
            admin.close()


class Banners(HTMLParser):
    """Banners of a page with their data-label, and the page's label meta."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[dict[str, Any], str]] = []
        self.meta: dict[str, Any] | None = None
        self._open: dict[str, Any] | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "meta" and attributes.get("name") == "sitroom-label":
            self.meta = json.loads(attributes["content"] or "")
        if attributes.get("data-label"):
            self._open, self._text = json.loads(attributes["data-label"] or ""), ""

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if self._open is not None and tag in ("p", "header"):
            self.found.append((self._open, " ".join(self._text.split())))
            self._open = None


def test_injects_in_the_api_carry_the_label_their_banner_is_rendered_from(
    marked: Marked,
) -> None:
    rows = marked.ald.get(f"/api/runs/{RUN}/injects").json()
    by_number = {row["number"]: row for row in rows}
    assert set(by_number) >= {"1", "2"}
    for row in rows:
        assert render_banner(row["label"]) == row["banner"]
    secret = by_number["2"]["label"]
    assert secret["policy"] == "nato" and secret["classification"] == "NATO SECRET"
    assert secret["classification_value"] == 4 and secret["exercise"] is True
    assert secret["categories"] == [
        {"name": "Releasable To", "type": "permissive", "values": ["ALD"]}
    ]
    assert by_number["2"]["banner"] == SECRET_BANNER


def test_pages_carry_the_label_beside_each_banner(marked: Marked) -> None:
    page = marked.ald.get(f"/runs/{RUN}/play")
    assert page.status_code == 200
    parsed = Banners()
    parsed.feed(page.text)
    assert parsed.meta is not None and parsed.meta["policy"] == "nato"
    assert parsed.found, "no banner with a data-label"
    for found, text in parsed.found:
        assert render_banner(found) == text
    assert SECRET_BANNER in [text for _, text in parsed.found]
    css = httpx.get(f"{marked.base}/markings.css")
    assert css.headers["content-type"].startswith("text/css")
    assert ".banner.marking-secret" in css.text


def test_the_aar_carries_its_label_in_json_header_and_docx_properties(marked: Marked) -> None:
    assert marked.admin.post(f"/api/runs/{RUN}/end", json={}).status_code == 200
    report = marked.admin.get(f"/api/runs/{RUN}/report").json()
    found = report["label"]
    assert found["classification"] == "NATO SECRET"  # the highest of its injects
    assert render_banner(found) == f"EXERCISE EXERCISE EXERCISE · {report['model']['marking']}"
    download = marked.admin.get(f"/api/runs/{RUN}/report", params={"format": "docx"})
    assert download.status_code == 200
    assert json.loads(download.headers["X-Sitroom-Label"]) == found
    document = docx.Document(io.BytesIO(download.content))
    properties = read_label_properties(document)
    assert properties["sitroom.classification"] == "NATO SECRET"
    assert properties["sitroom.policy"] == "nato"
    assert properties["sitroom.banner"] == render_banner(found)
    assert json.loads(properties["sitroom.label"]) == found
    # Word's own view of them: the custom properties part, where Word looks for it
    with zipfile.ZipFile(io.BytesIO(download.content)) as zipped:
        assert "NATO SECRET" in zipped.read("docProps/custom.xml").decode("utf-8")
    html_report = marked.admin.get(f"/api/runs/{RUN}/report", params={"format": "html"})
    parsed = Banners()
    parsed.feed(html_report.text)
    assert parsed.meta == found


def test_finalising_the_aar_is_audited(marked: Marked) -> None:
    draft = marked.admin.get(f"/api/runs/{RUN}/report").json()
    done = marked.admin.post(
        f"/api/runs/{RUN}/report/finalise",
        json={"parties": [], "upto": draft["upto"], "hash": draft["hash"]},
    )
    assert done.status_code == 200, done.text
    lines = (marked.data_dir / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    event = next(json.loads(x) for x in lines if '"report-finalised"' in x)
    assert event["run_id"] == RUN and event["actor"]["role"] == "admin"
    assert event["details"]["report_hash"] == draft["hash"]
    exported = [json.loads(x) for x in lines if '"report-exported"' in x]
    assert {e["details"]["format"] for e in exported} >= {"docx", "html"}


def test_the_cli_writes_a_sidecar_next_to_the_aar(
    marked: Marked, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SITROOM_DATA_DIR", str(marked.data_dir))
    target = tmp_path / "aar.docx"
    result = runner.invoke(cli, ["report", RUN, "-f", "docx", "-o", str(target)])
    assert result.exit_code == 0, result.output
    sidecar = json.loads((tmp_path / "aar.docx.label.json").read_text(encoding="utf-8"))
    assert sidecar["file"] == "aar.docx"
    assert sidecar["sha256"] == hashlib.sha256(target.read_bytes()).hexdigest()
    assert sidecar["banner"] == render_banner(sidecar["label"])
    properties = read_label_properties(docx.Document(str(target)))
    assert json.loads(properties["sitroom.label"]) == sidecar["label"]
    assert (
        "<slab:PolicyIdentifier>" in sidecar["label_xml"]
        or "PolicyIdentifier" in (sidecar["label_xml"])
    )


# --- the archive --------------------------------------------------------------------------


def _export(marked: Marked, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SITROOM_DATA_DIR", str(marked.data_dir))
    archive = tmp_path / "marked.zip"
    result = runner.invoke(cli, ["export", RUN, "-o", str(archive)])
    assert result.exit_code == 0, result.output
    return archive


def _members(archive: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(archive) as zipped:
        return {name: zipped.read(name) for name in zipped.namelist()}


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _resign(members: dict[str, bytes], key: InstallationKey, target: Path) -> Path:
    """Recompute the manifest's hashes and sign it with ``key`` (an insider's forgery)."""
    manifest = json.loads(members["manifest.json"])
    for name in manifest["files"]:
        manifest["files"][name] = _sha(members[name])
    members["manifest.json"] = json.dumps(manifest, indent=2).encode()
    members["manifest.sig"] = base64.b64encode(key.sign(members["manifest.json"])) + b"\n"
    with zipfile.ZipFile(target, "w") as zipped:
        for name, data in members.items():
            zipped.writestr(name, data)
    return target


def _import(archive: Path, into: Path, monkeypatch: pytest.MonkeyPatch, trust: str) -> Any:
    monkeypatch.setenv("SITROOM_DATA_DIR", str(into))
    return runner.invoke(cli, ["import", str(archive), "--trust", trust])


def test_the_archive_holds_signed_labels_and_imports(
    marked: Marked, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = _export(marked, tmp_path, monkeypatch)
    members = _members(archive)
    labels = json.loads(members["labels.json"])
    assert labels["scheme"] == "nato"
    assert labels["injects"]["2"]["banner"] == SECRET_BANNER
    manifest = json.loads(members["manifest.json"])
    assert manifest["files"]["labels.json"] == _sha(members["labels.json"])
    assert b"ConfidentialityLabel" in members["labels.xml"]
    sidecar = json.loads((tmp_path / "marked.zip.label.json").read_text(encoding="utf-8"))
    assert sidecar["label"]["classification"] == "NATO SECRET"
    key = InstallationKey.load_or_create(marked.data_dir)
    result = _import(archive, tmp_path / "elsewhere", monkeypatch, key.fingerprint)
    assert result.exit_code == 0, result.output


def test_an_archive_whose_label_was_lowered_is_refused_naming_the_inject(
    marked: Marked, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    members = _members(_export(marked, tmp_path, monkeypatch))
    labels = json.loads(members["labels.json"])
    lowered = labels["injects"]["2"]
    lowered["label"]["classification"] = "NATO UNCLASSIFIED"
    lowered["label"]["classification_value"] = 1
    lowered["banner"] = render_banner(lowered["label"])  # label and banner agree with each other
    members["labels.json"] = json.dumps(labels).encode()
    key = InstallationKey.load_or_create(marked.data_dir)
    forged = _resign(members, key, tmp_path / "lowered.zip")
    result = _import(forged, tmp_path / "elsewhere", monkeypatch, key.fingerprint)
    assert result.exit_code == 1, result.output
    message = " ".join(result.output.split())
    assert "labels and content disagree" in message
    assert "inject 2 ('National assessment')" in message
    assert "NATO UNCLASSIFIED//RELEASABLE TO ALD" in message and "NATO SECRET" in message


def test_an_archive_whose_content_was_relabelled_is_refused_naming_the_inject(
    marked: Marked, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    members = _members(_export(marked, tmp_path, monkeypatch))
    package = json.loads(members["package.json"])
    inject = package["modules"][0]["injects"][1]
    assert inject["number"] == "2"
    inject["marking"]["classification"] = "UNCLASSIFIED"  # the content now says otherwise
    members["package.json"] = json.dumps(package, sort_keys=True, separators=(",", ":")).encode()
    manifest = json.loads(members["manifest.json"])
    prev = manifest["package_hash"] = _sha(members["package.json"])
    lines = []
    for line in members["events.jsonl"].decode().splitlines():
        item = json.loads(line)
        item["prev_hash"] = prev
        item["hash"] = prev = event_hash(
            manifest["run_id"],
            item["seq"],
            item["type"],
            item["payload"],
            item["actor"],
            parse_timestamp(item["recorded_at"]),
            item["idempotency_key"],
            prev,
        )
        lines.append(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n")
    members["events.jsonl"] = "".join(lines).encode()
    manifest["head_hash"] = prev
    members["manifest.json"] = json.dumps(manifest).encode()
    key = InstallationKey.load_or_create(marked.data_dir)
    forged = _resign(members, key, tmp_path / "relabelled.zip")
    result = _import(forged, tmp_path / "elsewhere", monkeypatch, key.fingerprint)
    assert result.exit_code == 1, result.output
    message = " ".join(result.output.split())
    assert "inject 2 ('National assessment'): the label says" in message
    assert "the content is marked 'EXERCISE EXERCISE EXERCISE · NATO UNCLASSIFIED" in message
