"""A corpus of broken packages: each yields the expected problem code at the expected line.

Each file under tests/fixtures/broken starts with ``# expect: CODE LINE [warning] [text]``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sitroom.package.load import load_package
from sitroom.package.problems import Severity

BROKEN = Path(__file__).parent.parent / "fixtures" / "broken"
CASES = sorted(BROKEN.glob("*.yaml"))


def _expectation(path: Path) -> tuple[str, int, bool, str]:
    first = path.read_bytes().split(b"\n", 1)[0].decode("ascii")
    match = re.fullmatch(r"# expect: (\S+) (\d+)( warning)?(?: (.*))?", first)
    assert match, f"{path.name} lacks its '# expect:' line"
    return match[1], int(match[2]), bool(match[3]), match[4] or ""


def test_corpus_is_not_empty() -> None:
    assert len(CASES) >= 15


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_broken_package_reports_code_at_line(path: Path) -> None:
    code, line, is_warning, text = _expectation(path)
    result = load_package(path)
    found = [p for p in result.problems if p.code == code]
    assert found, f"expected {code}, got {[str(p) for p in result.problems]}"
    problem = found[0]
    if line:
        assert problem.line == line, str(problem)
        assert problem.column is not None
    assert problem.file.endswith(path.name)
    assert problem.message
    expected_severity = Severity.WARNING if is_warning else Severity.ERROR
    assert problem.severity == expected_severity
    if text:
        assert text in str(problem)
    if not is_warning:
        assert not result.ok


def test_unreadable_files_are_exit_2_kind(tmp_path: Path) -> None:
    assert load_package(tmp_path / "missing.yaml").unreadable
    assert load_package(tmp_path).unreadable  # a folder without exercise.yaml
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(25 * 1024 * 1024)
    result = load_package(big)
    assert result.unreadable
    assert result.problems[0].code == "too-large"
