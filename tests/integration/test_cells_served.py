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
