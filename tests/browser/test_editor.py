"""The package editor in a browser: a planner writes a two-party, two-language package from the
starter, sees a problem appear and fixes it, previews a team's view, downloads the package
(which validates and runs); two planners save at once; the MSEL grid by mouse and keyboard;
one title edited changes one line of the allied example's YAML."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from sitroom.package.examples import example_path
from sitroom.package.load import load_package
from sitroom.package.validate import check_package
from tests.browser.conftest import Site, axe_violations, screenshot
from tests.browser.staff import sign_in_admin


def editor(new_page: Any, site: Site, locale: str = "en-US") -> Any:
    """A signed-in planner on the editor's start page, reached from the design page."""
    page = new_page(locale)
    sign_in_admin(page, site.base)
    page.get_by_role("link", name="Design", exact=True).click()
    page.get_by_role("link", name="Write a package in the browser: the package editor").click()
    page.wait_for_url(site.base + "/editor")
    return page


def start_from_example(page: Any, example: str = "allied-consultation") -> str:
    page.get_by_label("Bundled example").select_option(example)
    page.get_by_role("button", name="Start from the example").click()
    page.wait_for_url(re.compile(r".*/editor/[^/?]+$"))
    return str(page.url)


def saved(page: Any, version: int | None = None) -> None:
    said = f"Saved as version {version}." if version else "Saved as version"
    # A save is a post, a redirect and a page: give a loaded machine time.
    expect(page.get_by_role("status").filter(has_text=said)).to_be_visible(timeout=20_000)


def download(page: Any, link: str, target: Path) -> Path:
    with page.expect_download() as info:
        page.get_by_role("link", name=link).click()
    info.value.save_as(str(target))
    return target


def focus_by_tab(page: Any, selector: str, limit: int = 400) -> None:
    """Press Tab until the element matching ``selector`` has the focus (keyboard only)."""
    for _ in range(limit):
        if page.evaluate(
            "s => document.activeElement && document.activeElement.matches(s)", selector
        ):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_a_planner_writes_a_two_party_two_language_package(
    site: Site, new_page: Any, tmp_path: Path
) -> None:
    page = editor(new_page, site)
    page.get_by_label("Name of the draft (optional)").fill("duo")
    page.get_by_role("button", name="Start from the starter package").click()
    page.wait_for_url(re.compile(r".*/editor/[^/?]+$"))
    draft = page.url

    # Exercise details: a second language, then the Korean title beside the English one.
    page.get_by_role("link", name="Exercise details", exact=True).click()
    page.get_by_label("languages (comma-separated)").fill("en, ko")
    page.get_by_role("button", name="Save").click()
    saved(page)
    page.get_by_label("title (ko)").fill("듀오 도상훈련")
    page.get_by_label("title (en)").fill("Duo tabletop exercise")
    page.get_by_role("button", name="Save").click()
    saved(page)
    expect(page.get_by_label("title (ko)")).to_have_value("듀오 도상훈련")

    # A second party: added with a placeholder code the validator refuses, shown at once.
    page.goto(draft + "/part?at=parties")
    page.get_by_role("button", name="Add to Participating parties").click()
    saved(page)
    page.get_by_role("link", name=re.compile(r"^party-2")).click()
    problems = page.locator("#problems")
    expect(problems).to_contain_text("invalid-value")
    page.get_by_label("id (required)").fill("brn")
    page.get_by_label("name (en)").fill("Brenland")
    page.get_by_label("name (ko)").fill("브렌란드")
    # As the planner types, the check runs (nothing saved yet): a bad code is named…
    page.get_by_label("code (required)").fill("brn")
    expect(problems).to_contain_text("With your changes")
    expect(problems).to_contain_text("code")
    expect(problems).to_contain_text("invalid-value")
    # …and fixed.
    page.get_by_label("code (required)").fill("BRN")
    expect(problems).not_to_contain_text("invalid-value")
    page.get_by_role("button", name="Save").click()
    saved(page)

    # A team of the new party, its party picked from the parties there are.
    page.goto(draft + "/part?at=teams")
    page.get_by_role("button", name="Add to teams").click()
    saved(page)
    page.get_by_role("link", name=re.compile(r"^team-3")).click()
    page.get_by_label("id (required)").fill("brn-team")
    page.get_by_label("name (en)").fill("Brenland Response Team")
    page.get_by_label("party").select_option("brn")
    page.get_by_role("button", name="Save").click()
    saved(page)

    # The first inject goes to both teams, picked in its form, and gets a Korean title by
    # keyboard only, in the MSEL grid.
    page.goto(draft + "/part?at=modules.0.injects.0")
    page.get_by_role("checkbox", name=re.compile(r"brn-team")).check()
    page.get_by_role("button", name="Save").click()
    saved(page)
    page.goto(draft + "/grid")
    page.locator("body").focus()
    focus_by_tab(page, 'input[name="title:ko"]')
    page.keyboard.type("첫 보고")
    page.keyboard.press("Shift+Tab")
    focus_by_tab(page, 'button[form="row-0-form"]')
    page.keyboard.press("Enter")
    saved(page)
    expect(page.locator('input[name="title:ko"]').first).to_have_value("첫 보고")
    screenshot(page, "editor-grid-duo")

    # The preview: what the Brenland team reads in module 1.
    page.get_by_role("link", name="Preview", exact=True).click()
    page.locator("#pv-team").select_option("brn-team")
    page.locator("#pv-lang").select_option("ko")
    page.get_by_role("button", name="Show the team's view").click()
    view = page.locator(".team-view")
    expect(view).to_contain_text("첫 보고")
    screenshot(page, "editor-preview-team")

    # Download: the YAML validates, and a run is made of the version.
    page.get_by_role("link", name="Download and run").click()
    yaml_file = download(
        page, "The package as YAML (comments and layout kept)", tmp_path / "duo.yaml"
    )
    loaded = load_package(yaml_file)
    assert loaded.package is not None, loaded.problems
    problems_found = check_package(loaded.package, loaded.source, require_attachments=False)
    assert [p for p in problems_found if p.is_error] == []
    assert {p.id for p in loaded.package.parties} == {"org", "brn"}
    assert loaded.package.exercise.languages == ("en", "ko")
    assert loaded.package.exercise.title == {"en": "Duo tabletop exercise", "ko": "듀오 도상훈련"}
    text = yaml_file.read_text(encoding="utf-8")
    assert "# A starter exercise package." in text  # the starter's comments are kept
    with site.admin() as admin:  # the downloaded file itself runs
        made = admin.post("/api/runs", json={"package_yaml": text, "run_id": "duo-file"})
        assert made.status_code == 201, made.text
    page.get_by_label("Run id (optional)").fill("duo-run")
    page.get_by_role("button", name="Create a run from this version").click()
    page.wait_for_url("**/design/runs/duo-run/invitations*")
    expect(page.get_by_role("status")).to_contain_text("The run was created.")


def test_two_planners_saving_at_once_never_overwrite_each_other(
    site: Site, new_page: Any, tmp_path: Path
) -> None:
    first = editor(new_page, site)
    draft = start_from_example(first)
    second = new_page()
    sign_in_admin(second, site.base)
    inject = draft + "/part?at=modules.0.injects.0"
    first.goto(inject)
    second.goto(inject)

    first.get_by_label("title (en)").fill("Velmora announces a test, first planner")
    first.get_by_label("Controller responsible").fill("White Cell lead, first planner")
    first.get_by_role("button", name="Save").click()
    saved(first)

    # The second planner's form still shows version 1; the same title was changed since.
    second.get_by_label("title (en)").fill("Velmora announces a test, second planner")
    second.get_by_role("button", name="Save").click()
    expect(second.get_by_role("heading", name="Not saved: the draft changed")).to_be_visible()
    changed = second.locator("table.theirs")
    expect(changed).to_contain_text("title")
    expect(changed).to_contain_text("first planner")
    expect(second.locator("ul.mine")).to_contain_text("second planner")
    assert axe_violations(second) == []
    second.get_by_role("button", name=re.compile("Apply my changes on version")).click()
    saved(second, 3)

    # Both planners' work is in the package: the second title over the first, and the
    # first planner's controller line, which the second never touched.
    second.get_by_role("link", name="Download and run").click()
    text = download(second, "The package as YAML (comments and layout kept)", tmp_path / "a.yaml")
    body = text.read_text(encoding="utf-8")
    assert "Velmora announces a test, second planner" in body
    assert "Velmora announces a test, first planner" not in body
    assert "White Cell lead, first planner" in body


def test_saves_of_different_places_merge_without_asking(site: Site, new_page: Any) -> None:
    first = editor(new_page, site)
    draft = start_from_example(first)
    second = new_page()
    sign_in_admin(second, site.base)
    first.goto(draft + "/part?at=modules.0.injects.0")
    second.goto(draft + "/part?at=modules.0.injects.1")
    first.get_by_label("title (en)").fill("First planner's title")
    first.get_by_role("button", name="Save").click()
    saved(first, 2)
    second.get_by_label("title (en)").fill("Second planner's title")
    second.get_by_role("button", name="Save").click()
    saved(second, 3)
    second.get_by_role("link", name="History").click()
    expect(second.locator("table.history tbody tr")).to_have_count(3)


def test_one_title_edited_in_the_grid_changes_one_line_of_the_yaml(
    site: Site, new_page: Any, tmp_path: Path
) -> None:
    page = editor(new_page, site)
    start_from_example(page)
    page.get_by_role("link", name="MSEL grid").click()
    title = page.get_by_label("Title (en) of inject 1.1")
    title.fill("Velmora State News Agency announces a second missile test")
    page.get_by_role("button", name="Save inject 1.1").click()
    saved(page)
    page.get_by_role("link", name="Download and run").click()
    got = download(page, "The package as YAML (comments and layout kept)", tmp_path / "x.yaml")
    before = (example_path("allied-consultation") / "exercise.yaml").read_text(encoding="utf-8")
    after = got.read_text(encoding="utf-8")
    changed = [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert len(changed) == 2, changed
    assert changed[1].strip().endswith("announces a second missile test")
    assert before.count("#") == after.count("#")  # every comment kept


def test_the_msel_grid_reorders_duplicates_and_edits_rows_in_bulk(
    site: Site, new_page: Any
) -> None:
    page = editor(new_page, site)
    start_from_example(page)
    page.get_by_role("link", name="MSEL grid").click()
    numbers = page.locator('input[name="number"]')
    expect(numbers.nth(0)).to_have_value("1.1")
    expect(numbers.nth(1)).to_have_value("1.2")

    # Keyboard: the row's down button, pressed with Enter.
    page.get_by_role("button", name="Move inject 1.1 down").focus()
    page.keyboard.press("Enter")
    saved(page, 2)
    expect(numbers.nth(0)).to_have_value("1.2")
    expect(numbers.nth(1)).to_have_value("1.1")

    # Mouse: drag the second row back on top of the first.
    page.locator("table[data-drag-ready]").wait_for()
    page.locator("table.msel-grid caption").scroll_into_view_if_needed()
    page.locator("#row-1 .drag-handle").drag_to(page.locator("#row-0 .drag-handle"))
    saved(page, 3)
    expect(numbers.nth(0)).to_have_value("1.1")

    # Duplicate: a new row right under it, with a fresh number.
    page.get_by_role("button", name="Duplicate inject 1.1").click()
    saved(page, 4)
    expect(numbers.nth(1)).to_have_value("1.1.1")

    # Bulk: two rows get TLP AMBER at once.
    page.get_by_label("Pick inject 1.1", exact=True).check()
    page.get_by_label("Pick inject 1.1.1").check()
    page.get_by_label("TLP marking").select_option("AMBER")
    page.get_by_role("button", name="Apply to the picked rows").click()
    saved(page, 5)
    expect(page.locator("#row-0")).to_contain_text("AMBER")
    expect(page.locator("#row-1")).to_contain_text("AMBER")
    expect(page.locator("#row-2")).not_to_contain_text("AMBER")

    # Search narrows the rows.
    page.get_by_label("Search").fill("wire service")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table.msel-grid tbody tr")).not_to_have_count(0)
    shown = page.locator("table.msel-grid tbody tr").count()
    assert 0 < shown < 8
    screenshot(page, "editor-grid")


def test_the_editor_pages_pass_axe(site: Site, new_page: Any) -> None:
    page = editor(new_page, site)
    assert axe_violations(page) == []
    draft = start_from_example(page)
    for path in (
        "",
        "/part?at=exercise",
        "/part?at=modules.0",
        "/part?at=modules.0.injects.0",
        "/part?at=objectives.0.targets.0",
        "/grid",
        "/history",
        "/preview?team=ald-nss&module=day1",
        "/download",
        "/documents",
    ):
        page.goto(draft + path)
        assert axe_violations(page) == [], path
    # The Korean pages too.
    page.goto(site.base + "/language/ko?next=" + draft.removeprefix(site.base) + "/grid")
    korean = page
    expect(korean.locator("html")).to_have_attribute("lang", "ko")
    assert axe_violations(korean) == []
