"""A matrix-game turn in a browser, on the bundled Harbour Strait game: three teams state their
arguments (one secret) on their pages, another argues against one and estimates it, the
umpire adjudicates it by estimative probability and releases the outcome, and it reaches the
players live; the secret argument never reaches another team."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Site, axe_violations, open_invitation, screenshot
from tests.browser.staff import act, sign_in_admin, wait_live

RUN = "matrix"
TALKS = "Aldoria calls for talks at the regional forum"
SECRET = "Corvania quietly offers Brenland a shipping exemption"
OUTCOME = "The forum announces talks in Velmar next week."


def open_play(new_page: Any, invite: dict[str, Any]) -> Any:
    page = new_page()
    open_invitation(page, invite)
    page.wait_for_url("**/play")
    wait_live(page)
    return page


def argue(page: Any, action: str, *, secret: bool = False) -> None:
    board = page.locator("#panel-game")
    board.get_by_label("Action: what your actor does").fill(action)
    board.get_by_label("Result: what it achieves").fill("The dispute cools")
    board.get_by_label("Reasons: why it would work").fill("Every side wants a way out")
    if secret:
        board.get_by_label("Secret").check()
    board.get_by_role("button", name="Submit argument").click()
    expect(board.locator("article.argument", has_text=action)).to_be_visible()


def test_a_matrix_turn_goes_from_arguments_to_a_released_outcome(site: Site, new_page: Any) -> None:
    with site.admin() as admin:
        made = admin.post("/api/runs", json={"example": "strait-matrix", "run_id": RUN})
        assert made.status_code == 201, made.text
        act(admin, f"/api/runs/{RUN}/start")
    invites = {
        team: site.invite(RUN, name=f"{team} player", role="player", team=team)
        for team in ("ald-cabinet", "brn-council", "cor-ministry")
    }
    umpire = new_page()
    sign_in_admin(umpire, site.base)
    umpire.goto(f"{site.base}/runs/{RUN}/game")
    wait_live(umpire)
    aldoria = open_play(new_page, invites["ald-cabinet"])
    brenland = open_play(new_page, invites["brn-council"])
    corvania = open_play(new_page, invites["cor-ministry"])

    umpire.get_by_role("button", name="Open turn 1").click()
    for page in (aldoria, brenland, corvania):  # pushed: no reload
        expect(page.locator("#panel-game")).to_contain_text("Your argument for turn 1")

    argue(aldoria, TALKS)
    argue(corvania, SECRET, secret=True)
    board = umpire.locator("#game-board")
    talks = board.locator("article.argument", has_text=TALKS)
    expect(talks).to_be_visible()
    expect(board.locator("article.argument", has_text=SECRET)).to_contain_text(
        "secret — control only"
    )

    on_brenland = brenland.locator("#panel-game article.argument", has_text=TALKS)
    expect(on_brenland).to_be_visible()
    on_brenland.get_by_label("Counter-argument: why it would not work").fill(
        "Corvania will not sit at a table it did not set"
    )
    on_brenland.get_by_role("button", name=re.compile("^Add counter-argument")).click()
    on_brenland = brenland.locator("#panel-game article.argument", has_text=TALKS)
    expect(on_brenland).to_contain_text("Corvania will not sit at a table it did not set")
    on_brenland.get_by_label("Chance of success (%)").fill("60")
    on_brenland.get_by_label("Chance of success (%)").press("Enter")  # the keyboard suffices
    expect(brenland.locator("#panel-game")).to_contain_text("Your estimate: 60%")

    expect(talks).to_contain_text("Corvania will not sit at a table it did not set")
    talks.get_by_label("Chance of success (%)").fill("40")
    talks.get_by_role("button", name=re.compile("^Give estimate")).click()
    talks = board.locator("article.argument", has_text=TALKS)
    expect(talks).to_contain_text("(2/2)")
    expect(talks.get_by_label("Method")).to_have_value("estimative")
    talks.get_by_role("button", name=re.compile("^Adjudicate")).click()
    talks = board.locator("article.argument", has_text=TALKS)
    expect(talks.locator(".adjudication")).to_contain_text(
        re.compile(r"Median estimate 50% of 2; roll \d+ \(seed [0-9a-f]{32}\)")
    )
    screenshot(umpire, "game-umpire-adjudicated")
    assert axe_violations(umpire) == []

    release = board.locator("form.release-outcome").first
    release.get_by_label("About the argument of").select_option(label="Aldoria")
    release.get_by_label("What happened (the narrative)").fill(OUTCOME)
    release.get_by_role("button", name="Release outcome").click()
    for page in (aldoria, brenland, corvania):
        expect(page.locator("#panel-game .outcome")).to_contain_text(OUTCOME)
        expect(page.locator("#panel-game")).to_contain_text(
            re.compile("Succeeds|Fails")
        )  # the adjudication of a public argument is told too
    screenshot(aldoria, "game-play-outcome")
    assert axe_violations(aldoria) == []
    for page in (aldoria, brenland):  # nothing of the secret argument, even after a reload
        page.reload()
        wait_live(page)
        assert SECRET not in page.content()
    assert SECRET in corvania.content()  # its own team sees it
