"""Loading packages: safe YAML, garbled input, content hash, YAML round trip."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitroom.package.dump import dump_yaml, write_package
from sitroom.package.load import decode, load_package, load_text
from sitroom.package.model import Package

SMALL = """
exercise:
  id: demo
  title: {en: Demo, ko: 데모}
  languages: [en, ko]
parties:
  - {id: ald, name: {en: Aldoria, ko: 알도리아}, code: ALD}
teams:
  - {id: staff, name: {en: Staff, ko: 참모}, party: ald}
objectives:
  - id: o1
    text: {en: Share the assessment., ko: 평가를 공유한다.}
    capabilities: [operational-coordination]
modules:
  - id: m1
    title: {en: Day 1, ko: 1일차}
    start: 041300ZMAR27
    injects:
      - number: 1
        title: {en: Report, ko: 보고}
        content: {en: "A *report* arrives.", ko: "*보고*가 도착한다."}
        offset: 1h15m
        objectives: [o1]
        expected_actions: [{en: Call the ally., ko: 동맹국에 연락한다.}]
"""


def test_small_package_is_valid() -> None:
    result = load_text(SMALL, "small.yaml")
    assert result.package is not None, [str(p) for p in result.problems]
    from sitroom.package.validate import check_package

    assert check_package(result.package, result.source) == []


def test_content_hash_ignores_key_order_and_layout() -> None:
    first = load_text(SMALL, "a.yaml").package
    data = yaml.safe_load(SMALL)
    reordered = {k: data[k] for k in reversed(list(data))}
    reordered["exercise"] = {k: data["exercise"][k] for k in reversed(list(data["exercise"]))}
    flow = yaml.safe_dump(reordered, default_flow_style=True, allow_unicode=True)
    second = load_text(flow, "b.yaml").package
    assert first is not None and second is not None
    assert first.content_hash() == second.content_hash()
    changed = load_text(SMALL.replace("Day 1", "Day One"), "c.yaml").package
    assert changed is not None and changed.content_hash() != first.content_hash()


def test_dump_reads_back_to_an_equal_package(tmp_path: Path) -> None:
    package = load_text(SMALL, "small.yaml").package
    assert package is not None
    again = load_text(dump_yaml(package), "dumped.yaml").package
    assert again == package
    written = write_package(package, tmp_path / "pkg")
    assert written.name == "exercise.yaml" and (tmp_path / "pkg" / "documents").is_dir()
    assert load_package(tmp_path / "pkg").package == package


def test_utf8_bom_is_accepted_and_other_encodings_are_named() -> None:
    text, problems = decode("\ufeffexercise: {}".encode(), "x.yaml")
    assert text == "exercise: {}" and problems == []
    text, problems = decode("a: b\nc: 데".encode("euc-kr"), "x.yaml")
    assert text is None and problems[0].code == "not-utf8" and problems[0].line == 2


yaml_ish = st.text(
    alphabet=st.sampled_from(list("exrcisd:_- \n\t[]{}!&*|>'\"#%@`,?0129.aZ가\\")), max_size=300
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(yaml_ish)
def test_garbled_yaml_never_raises(text: str) -> None:
    result = load_text(text, "garbled.yaml")
    assert result.package is not None or result.problems
    for problem in result.problems:
        assert problem.code and problem.message


package_keys = st.sampled_from(
    [
        "exercise",
        "modules",
        "teams",
        "parties",
        "id",
        "title",
        "injects",
        "number",
        "content",
        "to",
        "offset",
        "languages",
        "objectives",
        "marking",
        "releasable_to",
        "start",
    ]
)
leaves = st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.floats()
trees = st.recursive(
    leaves,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(package_keys, children, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(trees)
def test_package_shaped_garbage_never_raises(tree: object) -> None:
    text = yaml.safe_dump({"exercise": tree, "modules": tree}, allow_unicode=True)
    result = load_text(text, "shaped.yaml")
    if result.package is None:
        assert result.problems
    else:
        assert isinstance(result.package, Package)


def test_fema_library_has_the_32_core_capabilities_in_english_and_korean() -> None:
    from sitroom.package.capabilities import library_names, load_library

    assert "fema-core" in library_names()
    library = load_library("fema-core")
    assert len(library) == 32
    assert all(c.name.get("en") and c.name.get("ko") for c in library.values())
    spanning = {c.id for c in library.values() if len(c.mission_areas) == 5}
    assert spanning == {"planning", "public-information-and-warning", "operational-coordination"}


def test_an_identifier_written_as_a_number_is_kept_as_written() -> None:
    from sitroom.package.load import parse_yaml

    text = "modules:\n  - injects:\n      - number: 1.10\n      - {number: 2.0}\n  - id: 007\n"
    data, _, problems = parse_yaml(text, "ids.yaml")
    assert not problems
    assert [i["number"] for i in data["modules"][0]["injects"]] == ["1.10", "2.0"]
    assert data["modules"][1]["id"] == "007"
    quoted = parse_yaml('offset: 1:30:00\ncount: 3\nnumber: "4.50"\n', "t.yaml")[0]
    assert quoted == {"offset": "1:30:00", "count": 3, "number": "4.50"}
