"""Bundled capability libraries, shipped as data (one YAML file per library)."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

from sitroom.package.model import Capability


def library_names() -> list[str]:
    """Names of the bundled libraries, e.g. ``['fema-core']``."""
    folder = resources.files(__name__)
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


@cache
def load_library(name: str) -> dict[str, Capability]:
    """The capabilities of a bundled library by id; KeyError if there is no such library."""
    if name not in library_names():
        raise KeyError(name)
    text = resources.files(__name__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    items = [
        Capability.model_validate(c, context={"default_language": "en"})
        for c in data["capabilities"]
    ]
    return {c.id: c for c in items}
