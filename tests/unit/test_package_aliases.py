"""YAML aliases: a planner's repeated marking loads; a "billion laughs" is refused before it
is built, naming the alias that passes the limit."""

from __future__ import annotations

from sitroom.package.load import load_text, parse_yaml
from tests.support.packages import TWO_PARTIES


def billion_laughs(levels: int = 9) -> str:
    """Nine lists of nine aliases of the list before: 9**9 (387,420,489) strings."""
    lines = ['lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for n in range(1, levels):
        lines.append(f"lol{n}: &lol{n} [" + ", ".join([f"*lol{n - 1}"] * 9) + "]")
    return "exercise:\n  id: laughs\n  title: Laughs\n" + "\n".join(lines) + "\n"


def test_a_billion_laughs_is_refused_at_the_alias_that_passes_the_limit() -> None:
    data, _source, problems = parse_yaml(billion_laughs(), "laughs.yaml")
    assert data is None
    assert [p.code for p in problems] == ["too-many-aliases"]
    problem = problems[0]
    # The aliases of lol1..lol4 repeat 90 + 819 + 7,380 + 66,429 values; lol4 stands for
    # 66,430, so the first '*lol4' (on line 9, where lol5 is written) passes 100,000.
    assert (problem.file, problem.line) == ("laughs.yaml", 9)
    assert problem.column is not None and problem.column > 1
    assert "'*lol4'" in problem.message
    assert "100,000" in problem.message
    assert problem.hint


def test_an_alias_inside_its_own_anchor_is_refused_with_its_line() -> None:
    text = "exercise:\n  id: loop\n  title: Loop\nmodules: &m\n  - id: m1\n    more: *m\n"
    data, _source, problems = parse_yaml(text, "loop.yaml")
    assert data is None
    assert [(p.code, p.line) for p in problems] == [("recursive-alias", 4)]  # the anchor


def test_a_marking_named_once_and_repeated_on_every_inject_loads() -> None:
    injects = "\n".join(
        f"      - {{number: {100 + n}, title: Note {n}, content: Text {n}, marking: *secret}}"
        for n in range(200)
    )
    text = TWO_PARTIES.replace(
        "  default_marking: {classification: UNCLASSIFIED, releasable_to: [ald, brn]}",
        "  default_marking: &secret {classification: UNCLASSIFIED, releasable_to: [ald, brn]}",
    ).replace("    injects:\n", "    injects:\n" + injects + "\n", 1)
    result = load_text(text, "repeated.yaml")
    assert result.package is not None, [str(p) for p in result.errors]
    assert not [p for p in result.problems if p.code in ("too-many-aliases", "too-large")]
    assert len(result.package.injects()) >= 200


def test_aliases_just_under_the_limit_are_built() -> None:
    # One anchor of 999 values, repeated 100 times: 99,900 repeated values.
    items = ", ".join(f'"v{n}"' for n in range(998))
    text = f"base: &base [{items}]\ncopies:\n" + "".join("  - *base\n" for _ in range(100))
    data, _source, problems = parse_yaml(text, "near.yaml")
    assert problems == []
    assert len(data["copies"]) == 100 and len(data["copies"][99]) == 998
