"""The base of every event (``conduct.events`` re-exports it): a frozen dataclass with a wire
name, kept in its own module so that events of a feature can live in a module of their own."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class Event:
    """Base of all events; ``TYPE`` is the wire name stored in the log."""

    TYPE: ClassVar[str] = ""

    def payload(self) -> dict[str, Any]:
        """The event's fields as JSON-ready data."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value
