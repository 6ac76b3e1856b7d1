"""The evaluator's assistant in a browser: propose ratings, read the evidence, accept one by
the keyboard — the rating then shows as the evaluator's own observation."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Site, axe_violations, open_invitation, screenshot
from tests.browser.staff import act, player, wait_live
from tests.support.packages import TWO_PARTIES

RUN = "assisted"


def test_evaluator_accepts_a_proposed_rating_and_it_is_theirs(site: Site, new_page: Any) -> None:
    with site.admin() as admin:
        created = admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": RUN})
        assert created.status_code == 201, created.text
        act(admin, f"/api/runs/{RUN}/start")
        act(admin, f"/api/runs/{RUN}/injects/1/release")
    lead = player(site.base, site.invite(RUN, name="Lee Lead", role="evaluator"))
    act(
        lead, f"/api/runs/{RUN}/observations", {"text": "Called late.", "task": "k1", "rating": "M"}
    )
    lead.close()
    page = new_page()
    open_invitation(page, site.invite(RUN, name="Eve Valuator", role="evaluator"))
    page.wait_for_url(f"**/runs/{RUN}/evaluate")
    wait_live(page)
    panel = page.locator("#assist-body-evaluator")
    expect(panel).to_contain_text("No proposal yet.")
    page.locator("#assist-ask-evaluator").focus()
    page.keyboard.press("Enter")
    expect(panel).to_contain_text("Proposed rating")
    item = panel.locator("article.assist-item").first
    expect(item).to_contain_text("k1")
    item.locator("summary").focus()
    page.keyboard.press("Enter")  # open the evidence
    expect(item.locator(".evidence li").first).to_contain_text("Called late.")
    rating = item.locator("select[name=rating]")
    expect(rating).to_have_value("M")
    rating.select_option("S")
    item.locator("textarea[name=why]").fill("Called, but late; the line held.")
    screenshot(page, "assist-proposed-ratings")
    assert axe_violations(page) == []
    item.get_by_role("button", name="Accept as my rating").focus()
    page.keyboard.press("Enter")
    expect(panel).to_contain_text("Accepted: recorded as yours.")
    expect(panel.locator(".answered").first).to_contain_text("Edited and accepted")
    mine = page.locator("#panel-observations li").filter(has_text="Called, but late")
    expect(mine).to_contain_text("Eve Valuator")
    expect(mine.locator(".rating")).to_have_text("S")
