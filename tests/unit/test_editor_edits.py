"""Edits change the package's YAML text only where they apply: comments, key order and layout
elsewhere stay byte for byte, and the result reads back as the package loader reads it."""

from __future__ import annotations

import copy
import difflib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitroom.package.examples import example_names, example_path
from sitroom.package.load import load_text, parse_yaml
from sitroom.package.starter import starter_text
from sitroom.services.editor import Edit, EditorError
from sitroom.services.editor.edits import apply_edits
from sitroom.services.editor.yamldoc import Document, read

ALLIED = (example_path("allied-consultation") / "exercise.yaml").read_text(encoding="utf-8")
INJECTS = ("modules", 0, "injects")


def changed_lines(before: str, after: str) -> list[str]:
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def comments(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.lstrip().startswith("#")]


def edited(text: str, *edits: Edit) -> Document:
    doc = apply_edits(read(text), list(edits))
    assert not load_text(doc.text).errors, load_text(doc.text).errors[:3]
    return doc


@pytest.mark.parametrize("name", [*example_names(), "starter"])
def test_reading_matches_the_package_loader(name: str) -> None:
    text = (
        starter_text("x")
        if name == "starter"
        else (example_path(name) / "exercise.yaml").read_text(encoding="utf-8")
    )
    data, source, problems = parse_yaml(text, "exercise.yaml")
    doc = read(text)
    assert doc.data == data
    assert doc.source.positions == source.positions
    assert doc.problems == problems


def test_editing_one_inject_title_changes_exactly_one_line_and_keeps_every_comment() -> None:
    old = read(ALLIED).data["modules"][0]["injects"][3]["title"]["en"]
    doc = edited(ALLIED, Edit("set", (*INJECTS, 3, "title", "en"), "A new title"))
    assert changed_lines(ALLIED, doc.text) == [
        f"-          en: {old}",
        "+          en: A new title",
    ]
    assert comments(doc.text) == comments(ALLIED)
    assert doc.data["modules"][0]["injects"][3]["title"]["en"] == "A new title"


def test_a_value_that_needs_quotes_gets_them_and_reads_back() -> None:
    for value in (
        "Note: read this",
        "yes",
        "1.10",
        "- dash",
        "true",
        "#hash",
        "2027-01-01",
        "null",
    ):
        doc = edited(ALLIED, Edit("set", (*INJECTS, 0, "title", "en"), value))
        assert doc.data["modules"][0]["injects"][0]["title"]["en"] == value
        assert len(changed_lines(ALLIED, doc.text)) == 2


def test_a_quoted_value_stays_quoted() -> None:
    doc = edited(ALLIED, Edit("set", (*INJECTS, 0, "number"), "1.1b"))
    assert '      - number: "1.1b"' in doc.text.splitlines()


def test_a_block_text_stays_a_block_with_its_header_line() -> None:
    path = (*INJECTS, 0, "content", "en")
    doc = edited(ALLIED, Edit("set", path, "First line.\n\nSecond paragraph."))
    changes = changed_lines(ALLIED, doc.text)
    assert not any(line.endswith("en: |") for line in changes)  # the header line is kept
    assert doc.data["modules"][0]["injects"][0]["content"]["en"] == (
        "First line.\n\nSecond paragraph.\n"
    )


def test_a_folded_text_is_folded_again_at_the_same_indentation() -> None:
    text = " ".join(["A rewritten scope for the exercise."] * 8)
    doc = edited(ALLIED, Edit("set", ("exercise", "scope", "en"), text))
    assert doc.data["exercise"]["scope"]["en"] == text
    assert "    en: >-" in doc.text.splitlines()
    assert max(len(line) for line in doc.text.splitlines()[26:34]) <= 100


SINGLE = """\
# a one-language package
exercise:
  id: solo
  title: Solo exercise   # the title
  languages: [en]
"""


def test_setting_the_default_language_keeps_a_plain_string() -> None:
    doc = apply_edits(read(SINGLE), [Edit("set", ("exercise", "title", "en"), "Renamed")])
    assert "  title: Renamed   # the title" in doc.text.splitlines()
    assert doc.data["exercise"]["title"] == "Renamed"


def test_adding_a_second_language_turns_the_string_into_a_mapping() -> None:
    doc = apply_edits(read(SINGLE), [Edit("set", ("exercise", "title", "ko"), "단독 연습")])
    assert doc.data["exercise"]["title"] == {"en": "Solo exercise", "ko": "단독 연습"}
    assert "# a one-language package" in doc.text
    assert doc.text.splitlines()[3:6] == ["  title:", "    en: Solo exercise", "    ko: 단독 연습"]


def test_a_language_in_a_mapping_is_added_and_removed_in_place() -> None:
    path = (*INJECTS, 0, "title")
    added = edited(ALLIED, Edit("set", (*path, "fr"), "Un titre"))
    assert added.data["modules"][0]["injects"][0]["title"]["fr"] == "Un titre"
    assert len(changed_lines(ALLIED, added.text)) == 1
    removed = edited(added.text, Edit("remove", (*path, "fr")))
    assert removed.text == ALLIED


def new_inject(number: str) -> dict[str, Any]:
    return {
        "number": number,
        "title": {"en": f"Inject {number}", "ko": f"메시지 {number}"},
        "offset": "5m",
        "content": {"en": "Line one.\nLine two.\n", "ko": "첫째 줄.\n"},
        "to": ["ald-nss"],
        "expected_actions": [{"en": "Consult.", "ko": "협의한다."}],
    }


def test_insert_remove_and_move_injects() -> None:
    injects = read(ALLIED).data["modules"][0]["injects"]
    numbers = [i["number"] for i in injects]
    inserted = edited(ALLIED, Edit("insert", (*INJECTS, 2), new_inject("1.2a")))
    got = [i["number"] for i in inserted.data["modules"][0]["injects"]]
    assert got == [*numbers[:2], "1.2a", *numbers[2:]]
    assert all(line.startswith("+") for line in changed_lines(ALLIED, inserted.text))
    assert inserted.data["modules"][0]["injects"][2] == new_inject("1.2a")

    appended = edited(ALLIED, Edit("insert", (*INJECTS, len(numbers)), new_inject("1.99")))
    assert appended.data["modules"][0]["injects"][-1]["number"] == "1.99"

    removed = edited(inserted.text, Edit("remove", (*INJECTS, 2)))
    assert removed.text == ALLIED

    moved = edited(ALLIED, Edit("move", (*INJECTS, 0), to=2))
    got = [i["number"] for i in moved.data["modules"][0]["injects"]]
    assert got == [numbers[1], numbers[2], numbers[0], *numbers[3:]]
    back = edited(moved.text, Edit("move", (*INJECTS, 2), to=0))
    assert back.text == ALLIED
    assert comments(moved.text) == comments(ALLIED)


def test_setting_a_new_key_adds_one_line_at_the_end_of_its_mapping() -> None:
    doc = edited(ALLIED, Edit("set", (*INJECTS, 0, "controller"), "White cell lead"))
    assert changed_lines(ALLIED, doc.text) == ["+        controller: White cell lead"] or [
        line[:1] for line in changed_lines(ALLIED, doc.text)
    ] == ["-", "+"]
    assert doc.data["modules"][0]["injects"][0]["controller"] == "White cell lead"


def test_a_list_of_words_stays_in_brackets() -> None:
    doc = edited(ALLIED, Edit("set", (*INJECTS, 0, "objectives"), ["share-assessments"]))
    assert changed_lines(ALLIED, doc.text) == [
        "-        objectives: [notify-and-consult]",
        "+        objectives: [share-assessments]",
    ]


def test_several_edits_apply_in_one_pass_or_in_order() -> None:
    doc = edited(
        ALLIED,
        Edit("set", (*INJECTS, 0, "title", "en"), "One"),
        Edit("set", (*INJECTS, 1, "title", "en"), "Two"),
        Edit("set", ("exercise", "venue", "en"), "Hall A"),
    )
    assert len(changed_lines(ALLIED, doc.text)) == 6
    chained = edited(
        ALLIED,
        Edit("insert", (*INJECTS, 0), new_inject("0.1")),
        Edit("set", (*INJECTS, 0, "title", "en"), "First of all"),
    )
    assert chained.data["modules"][0]["injects"][0]["title"]["en"] == "First of all"


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (Edit("set", (*INJECTS, 999, "title"), "x"), "no such item"),
        (Edit("remove", ("exercise", "nothing")), "nothing to remove"),
        (Edit("insert", (*INJECTS, 500), {}), "insert at 0 to"),
        (Edit("move", (*INJECTS, 0), to=999), "move between"),
        (Edit("move", (*INJECTS, 0)), "needs 'to'"),
        (Edit("rename", ("exercise",)), "unknown edit"),
        (Edit("insert", ("exercise", "id"), "x"), "ending in an item number"),
        (Edit("set", ("exercise", "id", "x"), "y"), "single value"),
    ],
)
def test_bad_edits_name_the_place_and_what_is_accepted(edit: Edit, words: str) -> None:
    with pytest.raises(EditorError, match=words):
        apply_edits(read(ALLIED), [edit])


ALLIED_DOC = read(ALLIED)
SCALAR_PATHS = [
    path
    for path, span in ALLIED_DOC.spans.items()
    if span.kind == "scalar" and span.style in ("", '"', "'") and path and path[-1] != "number"
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SCALAR_PATHS),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40),
)
def test_any_text_set_anywhere_reads_back_and_changes_only_its_value(
    path: tuple[str | int, ...], value: str
) -> None:
    before = ALLIED_DOC
    doc = apply_edits(before, [Edit("set", path, value)])
    node: Any = doc.data
    for part in path:
        node = node[part]
    assert node == value
    expected = copy.deepcopy(before.data)
    target: Any = expected
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    assert doc.data == expected
    assert len(changed_lines(ALLIED, doc.text)) == 2


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(SCALAR_PATHS),
            st.one_of(
                st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30),
                st.integers(),
                st.lists(st.sampled_from(["ald", "brn", "x,y", "1.5"]), max_size=3),
            ),
        ),
        min_size=1,
        max_size=4,
        unique_by=lambda pair: pair[0][:4],
    )
)
def test_a_quick_edit_gives_the_document_a_full_read_gives(
    changes: list[tuple[tuple[str | int, ...], Any]],
) -> None:
    """Edits of one-line values skip reading the whole text again: the document they make
    (data, positions of every value, places in the text) is the one a full read makes."""
    try:
        doc = apply_edits(ALLIED_DOC, [Edit("set", path, value) for path, value in changes])
    except EditorError:
        return  # a value that cannot be written where it goes (refused, not written wrong)
    full = read(doc.text)
    assert doc.data == full.data
    assert doc.source.positions == full.source.positions
    assert doc.spans == full.spans
    assert doc.children == full.children


def test_a_key_under_a_missing_mapping_is_written_with_its_parent() -> None:
    doc = edited(ALLIED, Edit("set", (*INJECTS, 1, "marking", "tlp"), "AMBER"))
    assert doc.data["modules"][0]["injects"][1]["marking"]["tlp"] == "AMBER"
    assert comments(doc.text) == comments(ALLIED)


def test_removing_the_first_key_of_a_list_item_keeps_the_dash() -> None:
    doc = apply_edits(ALLIED_DOC, [Edit("remove", (*INJECTS, 0, "number"))])
    first = doc.data["modules"][0]["injects"][0]
    assert "number" not in first and first["title"]["en"].startswith("Velmora")
    assert changed_lines(ALLIED, doc.text) == [
        '-      - number: "1.1"',
        "-        title:",
        "+      - title:",
    ]


def test_inserting_into_a_bracketed_list_keeps_the_brackets() -> None:
    doc = edited(ALLIED, Edit("insert", (*INJECTS, 0, "objectives", 0), "share-assessments"))
    assert changed_lines(ALLIED, doc.text) == [
        "-        objectives: [notify-and-consult]",
        "+        objectives: [share-assessments, notify-and-consult]",
    ]


def test_an_empty_value_is_filled_after_its_colon() -> None:
    text = "exercise:\n  id: a\n  venue:\n  title: T\n"
    doc = apply_edits(read(text), [Edit("set", ("exercise", "venue"), "Hall B")])
    assert doc.text == "exercise:\n  id: a\n  venue: Hall B\n  title: T\n"
    assert doc.data == read(doc.text).data


def test_a_file_with_windows_line_ends_keeps_them() -> None:
    text = "exercise:\r\n  id: a\r\n  title: T\r\nlist:\r\n  - a\r\n"
    doc = apply_edits(
        read(text),
        [
            Edit("insert", ("list", 1), {"b": "two\nlines"}),
            Edit("set", ("exercise", "scope"), "Line 1\nLine 2\n"),
        ],
    )
    assert "\n" not in doc.text.replace("\r\n", "")
    assert doc.data["list"][1] == {"b": "two\nlines"}


BLOCK_LISTS = [
    path
    for path, span in ALLIED_DOC.spans.items()
    if span.kind == "seq" and span.style == "block" and len(ALLIED_DOC.children[path]) > 1
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(BLOCK_LISTS), st.data())
def test_list_edits_give_the_list_python_would(path: tuple[str | int, ...], draw: Any) -> None:
    node: Any = ALLIED_DOC.data
    for part in path:
        node = node[part]
    items = list(node)
    op = draw.draw(st.sampled_from(["insert", "remove", "move"]))
    index = draw.draw(st.integers(0, len(items) - 1))
    if op == "insert":
        value = items[draw.draw(st.integers(0, len(items) - 1))]
        edit = Edit("insert", (*path, index), value)
        items.insert(index, value)
    elif op == "remove":
        edit = Edit("remove", (*path, index))
        del items[index]
    else:
        to = draw.draw(st.integers(0, len(items) - 1))
        edit = Edit("move", (*path, index), to=to)
        items.insert(to, items.pop(index))
    doc = apply_edits(ALLIED_DOC, [edit])
    expected = copy.deepcopy(ALLIED_DOC.data)
    target: Any = expected
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = items
    assert doc.data == expected
    assert sorted(comments(doc.text)) == sorted(comments(ALLIED)) or op == "remove"
