"""Constraints that the run or the series checks, written into the OpenAPI document.

Some checks belong to the domain: a capability element, a date, a finding id, a rating of the
feedback form are checked by ``conduct`` or ``improvement`` with a message and a field name
their other callers (pages, spreadsheets, the CLI) share. Checking them a second time in
pydantic would answer API clients in other words, or with other field names, than everyone
else. ``Checked`` leaves validation to the domain and only says in the request schema what
will be accepted, so that a client (or schemathesis) reading the document sends what passes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

DAY = r"^([0-9]{4}-[0-9]{2}-[0-9]{2})?$"
"""A calendar day as YYYY-MM-DD, or empty (not set)."""
PRINTABLE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
"""Text without control characters (tab and line breaks aside)."""
MAX_SEQ = 2**53 - 1
"""The largest log sequence number a request may name: every JSON client reads it exactly."""


@dataclass(frozen=True, slots=True, eq=False)  # hashed by identity: typing hashes metadata
class Checked:
    """JSON Schema keywords for a value the domain checks; no validation of its own."""

    keywords: dict[str, Any] = field(default_factory=dict)

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        written = handler(schema)
        written.update(self.keywords)
        return written


def one_of(values: Iterable[str], *, empty: bool = False) -> Checked:
    """One of ``values`` (or ``""`` when ``empty``), as the domain checks it."""
    return Checked({"enum": [*([""] if empty else []), *values]})


def matching(pattern: str, description: str | None = None) -> Checked:
    """A string matching ``pattern`` (the domain's own check, or stricter)."""
    keywords: dict[str, Any] = {"pattern": pattern}
    if description:
        keywords["description"] = description
    return Checked(keywords)


def between(low: int, high: int | None = None) -> Checked:
    """An integer from ``low`` to ``high`` (no upper bound when None)."""
    keywords: dict[str, Any] = {"minimum": low}
    if high is not None:
        keywords["maximum"] = high
    return Checked(keywords)
