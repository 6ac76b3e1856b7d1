"""Problems found while reading a package or a spreadsheet: where, what, and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem, located by file and line/column (YAML) or sheet/row/column (spreadsheet)."""

    code: str
    message: str
    file: str = ""
    line: int | None = None
    column: int | None = None
    severity: Severity = Severity.ERROR
    hint: str = ""
    sheet: str | None = None
    row: int | None = None
    field: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == Severity.ERROR

    def location(self) -> str:
        """'file:line:col', or 'file [sheet] row N, column C' for spreadsheets."""
        where = self.file or "<input>"
        if self.sheet is not None or self.row is not None:
            parts = [where]
            if self.sheet is not None:
                parts.append(f"[{self.sheet}]")
            if self.row is not None:
                parts.append(f"row {self.row}")
            if self.field:
                parts.append(f"column {self.field!r}")
            return " ".join(parts)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def __str__(self) -> str:
        text = f"{self.location()}: {self.severity} {self.code}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": str(self.severity),
            "message": self.message,
            "hint": self.hint,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "sheet": self.sheet,
            "row": self.row,
            "field": self.field,
        }


class PackageError(Exception):
    """Raised when a package cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems) or "invalid package")
