"""Cells in a served deployment: named in SITROOM_FOLLOWERS, overseen from the console."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitroom.conduct.handlers.cells import cell_principal
from sitroom.package.examples import example_path
from sitroom.package.load import load_package
from sitroom.package.model import Package

BRN_CELL = cell_principal("brn-nss", "brn")


@pytest.fixture(scope="module")
def allied() -> Package:
    package = load_package(example_path("allied-consultation")).package
    assert package is not None
    return package


def test_a_server_plays_a_cell_named_cell_team_with_its_party_from_the_run(
    allied: Package, tmp_path: Path
) -> None:
    from sitroom.bootstrap import build_services
    from sitroom.config import load_settings

    settings = load_settings({"SITROOM_DATA_DIR": str(tmp_path)})
    services = build_services(settings)
    try:
        run_id = services.engine.create_run(allied, run_id="served").id
        follower = services.followers.make("cell-brn-nss")
        assert follower.name == "cell-brn-nss"
        assert follower.principal_in(run_id) == BRN_CELL  # type: ignore[attr-defined]
    finally:
        services.close()


def test_the_cells_api_is_controls_and_releases_a_held_action(tmp_path: Path) -> None:
    from sitroom.conduct import commands as cmd
    from tests.support.server import create_admin, join, running_server, sign_in

    create_admin(tmp_path, "cells-api-password", "admin")
    text = (example_path("allied-consultation") / "exercise.yaml").read_text(encoding="utf-8")
    with running_server(tmp_path, SITROOM_FOLLOWERS="none") as base:
        admin = sign_in(base, "admin", "cells-api-password")
        assert admin.post("/api/runs", json={"package_yaml": text, "run_id": "api"}).is_success
        assert admin.post("/api/runs/api/start", json={}).is_success
        assert admin.post("/api/runs/api/injects/1.1/release", json={}).is_success
        invite = admin.post(
            "/api/runs/api/invitations",
            json={"name": "Bo", "role": "player", "team": "brn-mfd", "single_use": False},
        ).json()
        person = join(base, invite["code"])
        assert person.get("/api/runs/api/cells").status_code == 403
        listed = admin.get("/api/runs/api/cells").json()["cells"]
        assert [c["team"] for c in listed] == ["brn-nss", "brn-mfd", "ald-nss", "ald-mfd"]
        assert listed[0]["mode"] == "approval" and listed[0]["held"] == []
        refused = admin.post("/api/runs/api/cells/brn-nss/mode", json={"mode": "asleep"})
        assert refused.status_code == 422 and "mode must be one of" in refused.text
        assert (
            person.post("/api/runs/api/cells/brn-nss/mode", json={"mode": "paused"}).status_code
            == 403
        )
        # The cell holds an answer (as its follower would send it), control releases it edited.
        from sitroom.bootstrap import build_services
        from sitroom.config import load_settings

        services = build_services(load_settings({"SITROOM_DATA_DIR": str(tmp_path)}))
        try:
            act = cmd.CellAct(cmd.SubmitResponse("inject", "1.1", "draft"), {"model": "m"})
            services.engine.handle("api", act, BRN_CELL)
        finally:
            services.close()
        (held,) = admin.get("/api/runs/api/cells").json()["cells"][0]["held"]
        assert held["action"] == "submit-response" and held["editable"] == "draft"
        done = admin.post(f"/api/runs/api/cells/held/{held['id']}/release", json={"text": "final"})
        assert done.is_success, done.text
        types = [r["type"] for r in done.json()["recorded"]]
        assert types == ["cell-action-released", "response-submitted", "cell-acted"]
        again = admin.post(f"/api/runs/api/cells/held/{held['id']}/discard", json={})
        assert again.status_code == 404
        admin.close()
        person.close()


def test_the_export_carries_each_cell_actions_trace(allied: Package, tmp_path: Path) -> None:
    import json
    import zipfile

    from sitroom.bootstrap import build_services
    from sitroom.conduct import commands as cmd
    from sitroom.conduct.principal import Principal, Role
    from sitroom.config import load_settings
    from sitroom.services.archive import export_archive
    from sitroom.services.signing import InstallationKey

    control = Principal("account:fac", Role.FACILITATOR, "Fac")
    services = build_services(load_settings({"SITROOM_DATA_DIR": str(tmp_path)}))
    try:
        run_id = services.engine.create_run(allied, run_id="exported").id
        services.engine.handle(run_id, cmd.StartRun(), control)
        services.engine.handle(run_id, cmd.SetCellMode("brn-nss", "autonomous"), control)
        services.engine.handle(run_id, cmd.ReleaseInject("1.1"), control)
        trace = {
            "provider": "openai-compatible",
            "model": "m",
            "prompt_hash": "sha256:ab",
            "temperature": 0.2,
            "seed": 7,
            "latency_ms": 12,
            "tokens": {"prompt": 3},
        }
        services.engine.handle(run_id, cmd.CellAct(cmd.AcknowledgeInject("1.1"), trace), BRN_CELL)
        export_archive(
            services.recorder,
            run_id,
            tmp_path / "run.zip",
            key=InstallationKey.load_or_create(tmp_path / "key"),
        )
    finally:
        services.close()
    with zipfile.ZipFile(tmp_path / "run.zip") as archive:
        lines = [json.loads(line) for line in archive.read("events.jsonl").splitlines()]
    (acted,) = [e for e in lines if e["type"] == "cell-acted"]
    assert acted["payload"]["trace"] == trace and acted["actor"] == "cell:brn-nss"
