"""``sitroom new``: a starter package that validates."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def starter_text(name: str) -> str:
    """The starter ``exercise.yaml`` with ``name`` as exercise id and title."""
    template = resources.files("sitroom.package").joinpath("scaffold/exercise.yaml")
    return template.read_text(encoding="utf-8").replace("{{name}}", name)


def scaffold(name: str, target: Path) -> Path:
    """Create ``target/exercise.yaml`` and ``target/documents/``; return the YAML path."""
    target.mkdir(parents=True)
    (target / "documents").mkdir()
    path = target / "exercise.yaml"
    path.write_text(starter_text(name), encoding="utf-8")
    return path
