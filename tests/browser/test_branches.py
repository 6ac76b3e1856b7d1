"""Branches in a browser, on the allied example: Aldoria refuses to concur with Brenland's
joint statement by the Day 2 deadline, the console proposes the refusal branch (inject 2.6),
one click releases it, and it reaches only the teams it is addressed to."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Site, axe_violations, open_invitation, screenshot
from tests.browser.staff import act, player, sign_in_admin, wait_live

RUN = "branches"
WIRE = "Wire service reports that the allies are split"


def open_play(new_page: Any, invite: dict[str, Any]) -> Any:
    page = new_page()
    open_invitation(page, invite)
    page.wait_for_url("**/play")
    wait_live(page)
    return page


def test_a_refusal_is_proposed_and_one_click_releases_it_to_its_teams(
    site: Site, new_page: Any
) -> None:
    with site.admin() as admin:
        made = admin.post("/api/runs", json={"example": "allied-consultation", "run_id": RUN})
        assert made.status_code == 201, made.text
        act(admin, f"/api/runs/{RUN}/start")
        act(admin, f"/api/runs/{RUN}/modules/day2/open")
    brn_mfd = site.invite(RUN, name="Bea Brenner", role="player", team="brn-mfd")
    ald_mfd = site.invite(RUN, name="Ari Aldor", role="player", team="ald-mfd")
    ald_nss = site.invite(RUN, name="Noa Aldor", role="player", team="ald-nss")
    brenland = player(site.base, brn_mfd)
    act(
        brenland,
        f"/api/runs/{RUN}/decisions",
        {"title": "Issue the joint statement at 1100Z", "joint_with": ["ald"]},
    )
    brenland.close()

    console = new_page()
    sign_in_admin(console, site.base)
    console.goto(f"{site.base}/runs/{RUN}/console")
    wait_live(console)
    branches = console.locator("#panel-branches")
    expect(branches).to_contain_text("Joint statement agreed")  # a milestone, not reached
    aldoria = open_play(new_page, ald_mfd)
    bystander = open_play(new_page, ald_nss)
    brenland_page = open_play(new_page, brn_mfd)

    decision = aldoria.locator("article.decision", has_text="Issue the joint statement at 1100Z")
    decision.get_by_label("Reasons").fill("Our national statement must come first.")
    decision.get_by_role("button", name="Non-concur").click()
    expect(decision.locator(".badge")).to_have_text("Non-concurred")

    card = branches.locator(".proposal", has_text=WIRE)
    expect(card).to_contain_text("Condition met")
    expect(card).to_contain_text("not-concurred(by=brn, with=ald, within=1h30m, after=module:day2)")
    assert WIRE not in brenland_page.content()  # proposed, not released
    screenshot(console, "console-branch-proposed")

    card.get_by_role("button", name=re.compile("^Release")).click()
    expect(branches.locator(".proposal", has_text=WIRE)).to_have_count(0)
    expect(branches).to_contain_text("Released on proposal")
    for addressed in (brenland_page, aldoria):
        expect(addressed.locator('[id="inject-2.6"]')).to_contain_text(WIRE)
    screenshot(brenland_page, "play-branch-released")
    # Aldoria's national security staff is not addressed: nothing of the branch reaches it.
    bystander.reload()
    wait_live(bystander)
    assert WIRE not in bystander.content()
    assert bystander.locator('[id="inject-2.6"]').count() == 0


def test_the_branch_map_and_the_branches_panel_pass_axe(site: Site, new_page: Any) -> None:
    page = new_page()
    sign_in_admin(page, site.base)
    page.goto(f"{site.base}/design/examples/allied-consultation")
    bm = page.locator(".branch-map svg")
    expect(bm).to_be_visible()
    assert bm.locator("path.bm-edge").count() == 3  # day2 → 2.6 and 2.6a; 1.1 → 1.5
    bm.screenshot(path=str(screenshot(page, "design-branch-map").with_name("branch-map.png")))
    assert axe_violations(page) == []
    page.goto(f"{site.base}/runs/{RUN}/console")
    wait_live(page)
    expect(page.locator("#panel-branches")).to_contain_text("Milestones")
    assert axe_violations(page) == []
