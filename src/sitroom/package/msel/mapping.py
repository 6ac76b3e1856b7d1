"""A planner's column mapping: 'header text: field' lines that override the synonyms.

    Lfd. Nr.: number
    Uhrzeit: time
    Beschreibung: content
    Beschreibung (ko): content (ko)

Headers are compared like the synonyms are (without case, spaces or punctuation). A target
that is not a field is an error naming the fields there are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sitroom.package.load import parse_yaml, read_text
from sitroom.package.msel.headers import FIELDS, Column, Mapping, normalize_header, parse_field
from sitroom.package.problems import Problem, Severity

MAX_MAPPING_BYTES = 1_000_000


def read_mapping(source: Path | dict[str, str] | None) -> tuple[Mapping, list[Problem]]:
    """The mapping from a YAML file or a dict, and the problems found in it."""
    if source is None:
        return {}, []
    display = str(source) if isinstance(source, Path) else "<mapping>"
    positions: Any = None
    if isinstance(source, Path):
        if not source.is_file():
            return {}, [
                Problem(
                    "not-found",
                    f"no such mapping file: {source}",
                    file=display,
                    hint="a mapping file has lines like 'Inject Narrative: content'",
                )
            ]
        text, problems = read_text(source, display)
        if text is None:
            return {}, problems
        if len(text) > MAX_MAPPING_BYTES:
            return {}, [Problem("too-large", "the mapping file is over 1 MB", file=display)]
        data, positions, problems = parse_yaml(text, display)
        if data is None:
            return {}, problems
    else:
        data, problems = source, []
    if not isinstance(data, dict):
        return {}, [
            *problems,
            Problem(
                "invalid-mapping",
                "the mapping is not a list of 'header text: field' lines",
                file=display,
                hint="write e.g.  'Inject Narrative: content'",
            ),
        ]
    mapping: Mapping = {}
    for header, target in data.items():
        parsed = parse_field(target) if isinstance(target, str) else None
        if parsed is None:
            line, column = positions.find((str(header),)) if positions else (None, None)
            problems.append(
                Problem(
                    "unknown-field",
                    f"'{target}' (for column '{header}') is not a field",
                    file=display,
                    line=line,
                    column=column,
                    hint="fields: " + ", ".join(FIELDS),
                )
            )
            continue
        mapping[normalize_header(str(header))] = (*parsed, str(header))
    return mapping, problems


def unused_mapping(
    mapping: Mapping, columns: list[Column], file: str, sheet: str | None
) -> list[Problem]:
    """Warnings for mapping entries that name no header of the sheet."""
    used: set[str] = set()
    for column in columns:
        if column.how == "mapping":
            used.add(normalize_header(column.header))
            used.add(normalize_header(column.header.rsplit(" (", 1)[0]))
    return [
        Problem(
            "unused-mapping",
            f"the mapping names a column '{written}' the sheet does not have",
            file=file,
            sheet=sheet,
            severity=Severity.WARNING,
            hint="headers are compared without case, spaces or punctuation",
        )
        for header, (_, _, written) in mapping.items()
        if header not in used
    ]
