"""Bundled example exercise packages (one folder each, with exercise.yaml and documents/)."""

from __future__ import annotations

from pathlib import Path

EXAMPLES_DIR = Path(__file__).parent


def example_names() -> list[str]:
    """Names of the bundled examples, e.g. ``['allied-consultation', ...]``."""
    return sorted(p.name for p in EXAMPLES_DIR.iterdir() if (p / "exercise.yaml").is_file())


def example_path(name: str) -> Path:
    """The folder of a bundled example; KeyError if there is none by that name."""
    if name not in example_names():
        raise KeyError(name)
    return EXAMPLES_DIR / name
