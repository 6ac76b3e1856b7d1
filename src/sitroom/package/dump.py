"""Write a package back to YAML, in the layout planners write by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sitroom.package.model import Package
from sitroom.package.timeforms import format_duration


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_presenter)


def _simplify(value: Any, default_language: str) -> Any:
    if isinstance(value, dict):
        if (
            len(value) == 1
            and default_language in value
            and isinstance(value[default_language], str)
        ):
            return value[default_language]
        return {k: _simplify(v, default_language) for k, v in value.items()}
    if isinstance(value, list):
        return [_simplify(v, default_language) for v in value]
    return value


def to_data(package: Package) -> dict[str, Any]:
    """The package as plain data: defaults left out, single-language texts as plain strings."""
    data = package.model_dump(mode="python", by_alias=True, exclude_defaults=True)
    _durations_to_text(data)
    data.setdefault("format", package.format)
    ordered = {"format": data.pop("format"), **data}
    return _simplify(_jsonable(ordered), package.exercise.languages[0])  # type: ignore[no-any-return]


def _durations_to_text(data: Any) -> None:
    from datetime import timedelta

    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, timedelta):
                data[key] = format_duration(value)
            else:
                _durations_to_text(value)
    elif isinstance(data, list | tuple):
        for item in data:
            _durations_to_text(item)


def _jsonable(value: Any) -> Any:
    from datetime import date, datetime
    from enum import Enum

    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def dump_yaml(package: Package) -> str:
    """The package as YAML text that ``load_package`` reads back to an equal package."""
    return yaml.dump(
        to_data(package), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100
    )


def write_package(package: Package, path: Path) -> Path:
    """Write to ``path``: a ``.yaml`` file, or a folder (gets ``exercise.yaml``)."""
    target = path
    if path.suffix.lower() not in (".yaml", ".yml"):
        path.mkdir(parents=True, exist_ok=True)
        (path / "documents").mkdir(exist_ok=True)
        target = path / "exercise.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(dump_yaml(package), encoding="utf-8")
    return target
