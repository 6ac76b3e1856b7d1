"""Drafts keep their promises on SQLite and PostgreSQL: every save is a version, a save from
an older version merges when it touches other places and is refused with what changed when
it touches the same, history/diff/restore tell and bring back any version, and every
download is a package that validates."""

from __future__ import annotations

import difflib
import io
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from sitroom.package.examples import example_path
from sitroom.package.load import load_text
from sitroom.package.msel import import_msel
from sitroom.services.editor import (
    Conflict,
    DraftNotFound,
    Drafts,
    Edit,
    EditorError,
    open_draft_store,
)
from sitroom.services.runs import Engine
from tests.contract.conftest import Backend

ALLIED_DIR = example_path("allied-consultation")
ALLIED = (ALLIED_DIR / "exercise.yaml").read_text(encoding="utf-8")
INJECTS = ("modules", 0, "injects")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend_url(request: pytest.FixtureRequest) -> Iterator[str]:
    backend: Backend = request.getfixturevalue(f"{request.param}_backend")
    yield backend.url


@pytest.fixture
def drafts(backend_url: str) -> Iterator[Drafts]:
    found = Drafts(open_draft_store(backend_url))
    try:
        yield found
    finally:
        found.close()


def fresh(backend_url: str) -> Drafts:
    """Another process's view of the same database (no shared cache)."""
    return Drafts(open_draft_store(backend_url))


def changed(before: str, after: str) -> list[str]:
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def title(drafts: Drafts, draft_id: str, index: int, version: int | None = None) -> str:
    data = load_text(drafts.get(draft_id, version).text).package
    assert data is not None
    return data.modules[0].injects[index].title["en"]


def test_a_draft_from_the_allied_example_opens_with_no_problems(drafts: Drafts) -> None:
    first = drafts.create(("example", "allied-consultation"), author="ana")
    assert first.version == 1 and first.author == "ana"
    assert first.text == ALLIED
    assert first.problems == [] and first.package is not None
    assert (
        first.documents["vsna-statement.md"]
        == (ALLIED_DIR / "documents" / "vsna-statement.md").read_bytes()
    )
    # The PostgreSQL database is shared by the session's tests: find this draft among others.
    [summary] = [d for d in drafts.list() if d.id == first.draft_id]
    assert (summary.head, summary.updated_by) == (1, "ana")
    assert summary.title.startswith("Steadfast Dialogue 2027")


def test_saving_no_edits_keeps_the_yaml_byte_for_byte(drafts: Drafts) -> None:
    first = drafts.create(("example", "allied-consultation"), author="ana")
    second = drafts.save(first.draft_id, 1, [], author="ana", summary="nothing")
    assert second.version == 2
    assert drafts.download_yaml(first.draft_id) == ALLIED.encode("utf-8")


def test_editing_one_inject_title_changes_one_line_of_the_download(
    drafts: Drafts, backend_url: str
) -> None:
    first = drafts.create(("example", "allied-consultation"), author="ana")
    drafts.save(
        first.draft_id, 1, [Edit("set", (*INJECTS, 3, "title", "en"), "Renamed")], author="ana"
    )
    other = fresh(backend_url)
    try:
        downloaded = other.download_yaml(first.draft_id).decode("utf-8")
    finally:
        other.close()
    lines = changed(ALLIED, downloaded)
    assert len(lines) == 2 and lines[1] == "+          en: Renamed"
    comments = [line for line in ALLIED.splitlines() if line.lstrip().startswith("#")]
    assert [line for line in downloaded.splitlines() if line.lstrip().startswith("#")] == comments
    assert not load_text(downloaded).errors


def test_two_saves_of_the_same_place_from_one_version_conflict(drafts: Drafts) -> None:
    draft = drafts.create(("example", "allied-consultation"), author="ana").draft_id
    path = (*INJECTS, 0, "title", "en")
    before = title(drafts, draft, 0)
    drafts.save(draft, 1, [Edit("set", path, "Ana's title")], author="ana", summary="Ana")
    with pytest.raises(Conflict) as caught:
        drafts.save(draft, 1, [Edit("set", path, "Bo's title")], author="bo", summary="Bo")
    conflict = caught.value
    assert conflict.head_version == 2 and conflict.base_version == 1
    [theirs] = conflict.theirs
    assert theirs.path == path and theirs.author == "ana" and theirs.version == 2
    assert (theirs.before, theirs.after) == (before, "Ana's title")
    assert title(drafts, draft, 0) == "Ana's title"  # nothing was overwritten
    # Bo has seen the change and applies his edit on the newest version.
    merged = drafts.save(
        draft, conflict.head_version, [Edit("set", path, "Bo's title")], author="bo"
    )
    assert merged.version == 3 and title(drafts, draft, 0) == "Bo's title"


def test_saves_of_different_places_from_one_version_merge(drafts: Drafts) -> None:
    draft = drafts.create(("example", "allied-consultation"), author="ana").draft_id
    drafts.save(draft, 1, [Edit("set", (*INJECTS, 0, "title", "en"), "One")], author="ana")
    merged = drafts.save(
        draft, 1, [Edit("set", (*INJECTS, 1, "title", "en"), "Two")], author="bo", summary="Bo"
    )
    assert merged.version == 3 and merged.base == 1
    assert (title(drafts, draft, 0), title(drafts, draft, 1)) == ("One", "Two")
    history = drafts.history(draft)
    assert [(h.version, h.author, h.changed) for h in history] == [
        (3, "bo", 1),
        (2, "ana", 1),
        (1, "ana", 0),
    ]
    assert history[0].summary == "Bo"


def test_a_structural_change_conflicts_with_an_edit_inside_the_same_list(drafts: Drafts) -> None:
    draft = drafts.create(("example", "allied-consultation"), author="ana").draft_id
    drafts.save(draft, 1, [Edit("move", (*INJECTS, 0), to=2)], author="ana")
    with pytest.raises(Conflict) as caught:
        drafts.save(draft, 1, [Edit("set", (*INJECTS, 0, "title", "en"), "x")], author="bo")
    # Told item by item: the moved inject left its place and came back further down.
    theirs = caught.value.theirs
    assert theirs and all(c.path[:3] == INJECTS and c.author == "ana" for c in theirs)
    assert any(c.before and c.before.get("number") == "1.1" for c in theirs)


def test_racing_saves_from_one_version_never_lose_one(backend_url: str) -> None:
    setup = fresh(backend_url)
    draft = setup.create(("example", "allied-consultation"), author="ana").draft_id
    setup.close()
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def save(index: int) -> None:
        mine = fresh(backend_url)
        try:
            barrier.wait()
            mine.save(
                draft, 1, [Edit("set", (*INJECTS, index, "title", "en"), f"T{index}")], author="x"
            )
            outcomes.append("saved")
        except Conflict:
            outcomes.append("conflict")
        finally:
            mine.close()

    threads = [threading.Thread(target=save, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    check = fresh(backend_url)
    try:
        assert outcomes == ["saved"] * 4  # four different places: all merge
        assert check.get(draft).version == 5
        assert [title(check, draft, i) for i in range(4)] == ["T0", "T1", "T2", "T3"]
    finally:
        check.close()


def test_insert_remove_move_and_a_second_language(drafts: Drafts) -> None:
    draft = drafts.create(("starter", None), author="ana", name="Harbour drill").draft_id
    inject = {
        "number": "3",
        "title": "Third report",
        "offset": "45m",
        "to": ["players"],
        "content": "The third report.\nIt has two lines.\n",
    }
    steps = [
        [Edit("insert", (*INJECTS, 2), inject)],
        [Edit("move", (*INJECTS, 2), to=0)],
        [Edit("set", ("exercise", "languages"), ["en", "ko"])],
        [Edit("set", (*INJECTS, 0, "title", "ko"), "세 번째 보고")],
        [Edit("remove", (*INJECTS, 1))],
    ]
    version = 1
    for edits in steps:
        version = drafts.save(draft, version, edits, author="ana").version
    package = drafts.package_for_run(draft)
    assert [i.number for i in package.modules[0].injects] == ["3", "2"]
    assert package.modules[0].injects[0].title == {"en": "Third report", "ko": "세 번째 보고"}
    latest = drafts.get(draft)
    assert "    title:\n" not in latest.text or "세 번째 보고" in latest.text
    # The other texts are not yet translated: warnings, each placed at its field.
    missing = [p for p in latest.problems if p.code == "missing-translation"]
    assert missing and all(latest.problem_paths.get(p) for p in missing)


def test_check_reports_problems_at_their_paths_without_saving(drafts: Drafts) -> None:
    draft = drafts.create(("example", "allied-consultation"), author="ana").draft_id
    path = (*INJECTS, 0, "objectives")
    result = drafts.check(draft, 1, [Edit("set", path, ["no-such-objective"])])
    [problem] = result.errors
    assert problem.code == "unknown-reference"
    assert result.problem_paths[problem] == (*path, 0)
    assert drafts.get(draft).version == 1 and drafts.get(draft).problems == []
    broken = drafts.check(draft, 1, [Edit("remove", (*INJECTS, 0, "number"))])
    [missing] = broken.errors
    assert missing.code == "missing-field" and broken.problem_paths[missing] == (
        *INJECTS,
        0,
        "number",
    )


def test_diff_and_restore(drafts: Drafts) -> None:
    draft = drafts.create(("example", "allied-consultation"), author="ana").draft_id
    drafts.save(draft, 1, [Edit("set", (*INJECTS, 0, "title", "en"), "One")], author="ana")
    drafts.save(draft, 2, [Edit("remove", (*INJECTS, 1))], author="bo")
    diff = drafts.diff(draft, 1, 3)
    paths = [c.path for c in diff.changes]
    assert (*INJECTS, 0, "title", "en") in paths and (*INJECTS, 1) in paths
    removed = next(c for c in diff.changes if c.path == (*INJECTS, 1))
    assert removed.after is None and removed.before["number"] == "1.2"
    assert "-          en: Velmora State News Agency announces a missile test" in diff.text
    restored = drafts.restore(draft, 1, author="cy")
    assert restored.version == 4 and restored.text == ALLIED
    assert restored.summary == "Restored version 1" and restored.changes
    assert drafts.history(draft)[0].author == "cy"


def test_every_download_is_a_package_that_validates(drafts: Drafts, tmp_path: Path) -> None:
    draft = drafts.create(("example", "allied-consultation"), author="ana").draft_id
    drafts.save(draft, 1, [Edit("set", (*INJECTS, 0, "title", "en"), "One")], author="ana")
    assert not load_text(drafts.download_yaml(draft).decode("utf-8")).errors
    with zipfile.ZipFile(io.BytesIO(drafts.download_zip(draft))) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "unzipped")
    assert {"exercise.yaml", "documents/vsna-statement.md"} <= names
    from sitroom.package.load import load_package

    assert load_package(tmp_path / "unzipped").ok
    workbook = tmp_path / "msel.xlsx"
    workbook.write_bytes(drafts.download_msel(draft))
    report = import_msel(workbook)
    assert report.package is not None and report.imported == len(
        drafts.package_for_run(draft).injects()
    )


def test_a_zip_and_an_msel_round_trip_into_new_drafts(drafts: Drafts) -> None:
    draft = drafts.create(("example", "allied-consultation"), author="ana").draft_id
    from_zip = drafts.create(("zip", drafts.download_zip(draft), "allied.zip"), author="bo")
    assert from_zip.text == ALLIED and set(from_zip.documents) == set(drafts.get(draft).documents)
    assert from_zip.problems == []
    from_msel = drafts.create(("msel", drafts.download_msel(draft), "allied.xlsx"), author="bo")
    assert from_msel.package is not None
    assert len(from_msel.package.injects()) == len(drafts.package_for_run(draft).injects())


def test_a_run_is_made_from_the_current_version(drafts: Drafts, backend_url: str) -> None:
    from sitroom.storage import open_recorder

    draft = drafts.create(("example", "allied-consultation"), author="ana").draft_id
    drafts.save(
        draft, 1, [Edit("set", (*INJECTS, 0, "title", "en"), "From the editor")], author="a"
    )
    recorder = open_recorder(backend_url)
    try:
        record = Engine(recorder).create_run(drafts.package_for_run(draft), "from-draft")
        assert record.package_hash == drafts.package_for_run(draft).content_hash()
    finally:
        recorder.close()
    drafts.save(draft, 2, [Edit("remove", (*INJECTS, 0, "number"))], author="a")
    with pytest.raises(EditorError, match="missing-field"):
        drafts.package_for_run(draft)


@pytest.mark.parametrize(
    ("source", "words"),
    [
        (("yaml", b"exercise: [unclosed\n", "bad.yaml"), r"bad.yaml:\d+"),
        (("yaml", b"\xff\xfe", "latin.yaml"), "not valid UTF-8"),
        (("yaml", b"- just a list\n", "list.yaml"), "not a mapping|no package"),
        (("zip", b"not a zip", "x.zip"), "not a zip"),
        (("msel", b"", "x.pdf"), r"\.xlsx workbook or a \.csv"),
        (("example", "atlantis"), "no example 'atlantis'"),
        (("paper",), "give one of"),
    ],
)
def test_bad_sources_say_what_is_wrong(
    drafts: Drafts, source: tuple[object, ...], words: str
) -> None:
    with pytest.raises(EditorError, match=words):
        drafts.create(source, author="ana")


def test_unknown_drafts_and_versions(drafts: Drafts) -> None:
    with pytest.raises(DraftNotFound):
        drafts.get("nope")
    draft = drafts.create(("starter", None), author="ana").draft_id
    with pytest.raises(DraftNotFound):
        drafts.get(draft, 7)
    with pytest.raises(EditorError, match="versions 1 to 1"):
        drafts.save(draft, 3, [], author="ana")


def test_documents_are_added_and_removed_with_a_save(drafts: Drafts) -> None:
    draft = drafts.create(("example", "allied-consultation"), author="ana").draft_id
    saved = drafts.save(
        draft, 1, [], author="ana", documents={"notes.md": b"# Notes", "ald-sitrep-1.md": None}
    )
    assert saved.documents["notes.md"] == b"# Notes" and "ald-sitrep-1.md" not in saved.documents
    missing = [p for p in saved.errors if p.code == "missing-attachment"]
    assert len(missing) == 1 and "ald-sitrep-1.md" in missing[0].message
    with pytest.raises(EditorError, match="inside documents/"):
        drafts.save(draft, 2, [], author="ana", documents={"../escape.md": b""})


def test_a_version_opened_by_another_process_has_the_same_problems(
    drafts: Drafts, backend_url: str
) -> None:
    draft = drafts.create(("example", "allied-consultation"), author="ana").draft_id
    saved = drafts.save(
        draft, 1, [Edit("set", (*INJECTS, 0, "objectives"), ["no-such-objective"])], author="a"
    )
    other = fresh(backend_url)
    try:
        opened = other.get(draft)
        assert opened.problems == saved.problems and opened.problem_paths == saved.problem_paths
        assert not opened.ok and opened.parsed
        assert opened.package is not None and opened.package.content_hash() == (
            saved.package.content_hash() if saved.package else None
        )
    finally:
        other.close()


def test_versions_and_checks_as_json(drafts: Drafts) -> None:
    import json

    draft = drafts.create(("example", "allied-consultation"), author="ana").draft_id
    shown = drafts.get(draft).as_dict(text=False)
    assert shown["version"] == 1 and shown["ok"] and "text" not in shown
    assert shown["documents"]["vsna-statement.md"] > 0
    result = drafts.check(draft, 1, [Edit("set", (*INJECTS, 0, "objectives"), ["nope"])])
    [entry] = [e for e in result.as_dict()["problems"] if e["severity"] == "error"]
    assert entry["path"] == [*INJECTS, 0, "objectives", 0] and entry["code"] == "unknown-reference"
    assert json.loads(json.dumps(shown)) == shown and json.dumps(result.as_dict())


def test_an_insert_above_an_edit_merges_and_the_edit_follows_its_inject(drafts: Drafts) -> None:
    draft = drafts.create(("example", "allied-consultation"), author="ana").draft_id
    number = drafts.package_for_run(draft).modules[0].injects[3].number
    inject = {"number": "0.9", "title": "Early warning", "content": "Text.", "offset": "0m"}
    drafts.save(draft, 1, [Edit("insert", (*INJECTS, 0), inject)], author="ana")
    merged = drafts.save(draft, 1, [Edit("set", (*INJECTS, 3, "title", "en"), "Bo's")], author="bo")
    assert merged.version == 3 and merged.changes == ((*INJECTS, 4, "title", "en"),)
    package = drafts.package_for_run(draft)
    edited = next(i for i in package.injects() if i.title["en"] == "Bo's")
    assert edited.number == number and package.modules[0].injects[0].number == "0.9"


def test_a_conflict_carries_the_edits_moved_onto_the_newest_version(drafts: Drafts) -> None:
    draft = drafts.create(("example", "allied-consultation"), author="ana").draft_id
    inject = {"number": "0.9", "title": "Early warning", "content": "Text.", "offset": "0m"}
    drafts.save(draft, 1, [Edit("insert", (*INJECTS, 0), inject)], author="ana")
    drafts.save(draft, 2, [Edit("set", (*INJECTS, 4, "title", "en"), "Ana's")], author="ana")
    with pytest.raises(Conflict) as caught:
        drafts.save(draft, 1, [Edit("set", (*INJECTS, 3, "title", "en"), "Bo's")], author="bo")
    conflict = caught.value
    assert any(c.after == "Ana's" and c.author == "ana" for c in conflict.theirs)
    assert conflict.rebased == [Edit("set", (*INJECTS, 4, "title", "en"), "Bo's")]
    drafts.save(draft, conflict.head_version, conflict.rebased, author="bo")
    assert title(drafts, draft, 4) == "Bo's"


def test_an_edit_of_a_removed_inject_cannot_be_moved_onto_the_newest(drafts: Drafts) -> None:
    draft = drafts.create(("example", "allied-consultation"), author="ana").draft_id
    drafts.save(draft, 1, [Edit("remove", (*INJECTS, 2))], author="ana")
    with pytest.raises(Conflict) as caught:
        drafts.save(draft, 1, [Edit("set", (*INJECTS, 2, "title", "en"), "x")], author="bo")
    assert caught.value.rebased is None
    assert caught.value.as_dict()["rebased"] is None
