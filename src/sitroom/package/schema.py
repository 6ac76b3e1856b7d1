"""The JSON Schema of the package format, for editors and other tools."""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import GenerateJsonSchema

from sitroom.package.model import FORMAT_VERSION, Package

SCHEMA_ID = "https://sitroom.invalid/schema/package-v1.json"


def package_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a package as written in YAML."""
    schema = Package.model_json_schema(
        by_alias=True, mode="validation", schema_generator=GenerateJsonSchema
    )
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = f"sitroom exercise package, format {FORMAT_VERSION}"
    return schema
