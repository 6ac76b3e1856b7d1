"""The package commands of the ``sitroom`` CLI, run in-process through Typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from sitroom.cli.main import app
from sitroom.package.schema import package_schema

BROKEN = Path(__file__).parent.parent / "fixtures" / "broken"
ROOT = Path(__file__).parent.parent.parent
runner = CliRunner()


def test_validate_exit_codes(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(BROKEN / "unknown-team.yaml")])
    assert result.exit_code == 1
    assert "unknown-team.yaml:22:14" in result.output
    assert "did you mean 'blue2'?" in result.output
    assert runner.invoke(app, ["validate", str(tmp_path / "nope.yaml")]).exit_code == 2
    assert runner.invoke(app, ["validate", str(BROKEN / "latin1.yaml")]).exit_code == 2


def test_validate_json_lists_problems() -> None:
    result = runner.invoke(app, ["validate", "--json", str(BROKEN / "releasability.yaml")])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False
    codes = {p["code"] for p in data["problems"]}
    assert "releasability-conflict" in codes


def test_new_scaffolds_a_valid_package(tmp_path: Path) -> None:
    result = runner.invoke(app, ["new", "flood-2027", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "flood-2027" / "documents").is_dir()
    check = runner.invoke(app, ["validate", "--strict", str(tmp_path / "flood-2027")])
    assert check.exit_code == 0, check.output
    assert "flood-2027" in (tmp_path / "flood-2027" / "exercise.yaml").read_text()
    again = runner.invoke(app, ["new", "flood-2027", "--dir", str(tmp_path)])
    assert again.exit_code == 1
    assert runner.invoke(app, ["new", "bad name!", "--dir", str(tmp_path)]).exit_code == 1


def test_schema_in_docs_is_current() -> None:
    published = json.loads((ROOT / "docs" / "package.schema.json").read_text(encoding="utf-8"))
    assert published == package_schema(), "run: sitroom schema -o docs/package.schema.json"


def _command_names(typer_app: typer.Typer, prefix: str = "") -> list[str]:
    """Every command of ``typer_app``: groups added without a name merge into their parent."""
    names = [
        f"{prefix}{info.name or (info.callback.__name__ if info.callback else '')}"
        for info in typer_app.registered_commands
    ]
    for group in typer_app.registered_groups:
        assert group.typer_instance is not None
        name = group.name if isinstance(group.name, str) else ""
        names += _command_names(group.typer_instance, f"{prefix}{name} " if name else prefix)
    return names


def test_every_command_is_documented() -> None:
    doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    names = _command_names(app)
    assert "validate" in names and "run create" in names and "series create" in names
    for name in names:
        assert f"sitroom {name}" in doc, f"docs/cli.md does not document 'sitroom {name}'"


def test_every_setting_is_documented() -> None:
    from sitroom.config import ENV_VARS

    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for name in ENV_VARS:
        assert f"`{name}`" in doc, f"docs/configuration.md does not document {name}"


def test_msel_import_reads_the_sheets_named_with_sheet(tmp_path: Path) -> None:
    workbook = ROOT / "tests" / "fixtures" / "msel" / "allied-days-per-sheet.xlsx"
    output = tmp_path / "days.yaml"
    result = runner.invoke(
        app,
        [
            "msel",
            "import",
            str(workbook),
            "--sheet",
            "Day 1 (14 Sep)",
            "--sheet",
            "16 Sep",
            "-o",
            str(output),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Read 2 sheets:" in result.output
    assert "'16 Sep': header on row 3; 2 injects" in result.output
    check = runner.invoke(app, ["validate", str(output)])
    assert check.exit_code == 0, check.output
