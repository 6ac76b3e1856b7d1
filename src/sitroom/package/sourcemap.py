"""Where each value of a package document was written, for problems that name line and column."""

from __future__ import annotations

from dataclasses import dataclass, field

Path_ = tuple[str | int, ...]
"""A path into the document: mapping keys and sequence indexes."""


@dataclass
class SourceMap:
    """Where each value of the document was written: path → (line, column), 1-based."""

    file: str
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def find(self, path: Path_) -> tuple[int | None, int | None]:
        """The position of ``path``, or of its nearest written ancestor."""
        probe = tuple(path)
        while True:
            if probe in self.positions:
                return self.positions[probe]
            if not probe:
                return None, None
            probe = probe[:-1]
