"""The whole room at once: a facilitator at the console, a player of each party, an evaluator
and the projector, each in their own browser context, playing a short exercise."""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Site, axe_violations, open_invitation, screenshot
from tests.support.packages import TWO_PARTIES

RUN = "room"


def _open(new_page: Any, invite: dict[str, Any], path: str) -> Any:
    page = new_page()
    open_invitation(page, invite)
    page.wait_for_url(f"**/runs/{RUN}/{path}")
    page.locator('[data-live-status][data-state="live"]').wait_for()
    return page


def test_a_short_exercise_with_everyone_in_the_room(site: Site, new_page: Any) -> None:
    with site.admin() as admin:
        admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": RUN})
    invites = {
        "facilitator": site.invite(RUN, name="Fay Control", role="facilitator"),
        "ald": site.invite(RUN, name="Ada Aldor", role="player", team="ald-nsc"),
        "brn": site.invite(RUN, name="Bo Brenner", role="player", team="brn-nsc"),
        "evaluator": site.invite(RUN, name="Eve Valuator", role="evaluator"),
        "display": site.invite(RUN, name="Room screen", role="display"),
    }
    console = _open(new_page, invites["facilitator"], "console")
    console.get_by_role("button", name="Start the exercise (STARTEX)").click()
    ald = _open(new_page, invites["ald"], "play")
    brn = _open(new_page, invites["brn"], "play")
    evaluator = _open(new_page, invites["evaluator"], "evaluate")
    display = _open(new_page, invites["display"], "display")
    msel = console.locator("#panel-msel")

    # A national inject: on Aldoria's page within a second, on no one else's.
    started = time.monotonic()
    msel.get_by_role("button", name="Release #2", exact=True).click()
    ald.locator("#inject-2").wait_for(timeout=1000)
    assert time.monotonic() - started < 1.0
    # An inject for everyone, releasable to both parties: both players and the projector.
    started = time.monotonic()
    msel.get_by_role("button", name="Release #1", exact=True).click()
    brn.locator("#inject-1").wait_for(timeout=1000)
    ald.locator("#inject-1").wait_for(timeout=1000)
    assert time.monotonic() - started < 1.0
    expect(display.locator("#display-inject-title")).to_contain_text("Announcement", timeout=1000)
    for page in (brn, display, evaluator):
        assert "ZZALD-ONLY-TEXT" not in page.content()
    assert brn.locator("#inject-2").count() == 0
    expect(msel.locator("#inject-1")).to_contain_text("Ada Aldor", timeout=3000)  # receipt

    # A joint decision: Aldoria proposes, Brenland concurs; every page that may see it agrees.
    ald.get_by_label("Title").fill("Joint statement at noon")
    ald.get_by_label("What your team decides").fill("Both capitals speak together.")
    ald.get_by_label("Ask Brenland to concur").check()
    ald.get_by_role("button", name="Propose decision").click()
    theirs = brn.locator("article.decision", has_text="Joint statement at noon")
    expect(theirs.locator(".badge")).to_have_text("Awaiting concurrence", timeout=3000)
    expect(console.locator("#panel-decisions")).to_contain_text(
        "Awaiting concurrence", timeout=3000
    )
    theirs.get_by_label("Reasons").fill("Noon suits our cabinet.")
    theirs.get_by_role("button", name="Concur", exact=True).click()
    mine = ald.locator("article.decision", has_text="Joint statement at noon")
    for badge in (theirs.locator(".badge"), mine.locator(".badge")):
        expect(badge).to_have_text("Concurred", timeout=3000)
    expect(console.locator("#panel-decisions .state-concurred").first).to_be_visible(timeout=3000)
    assert "Joint statement at noon" not in display.content()

    # A poll: opened at the console, voted on by the players, charted on the projector.
    polls = console.locator("#panel-polls")
    polls.get_by_role("button", name="Open poll Raise the level?").click()
    for page, option in ((ald, "Yes"), (brn, "Yes")):
        poll = page.locator("#poll-p1")
        poll.get_by_label(option).check(timeout=3000)
        poll.get_by_role("button", name="Vote").click()
        expect(poll.get_by_role("status")).to_contain_text("Your vote was recorded")
    polls.get_by_role("button", name="Close poll Raise the level?").click()
    chart = display.locator(".poll-chart")
    chart.wait_for(timeout=3000)
    expect(chart.locator("caption")).to_contain_text("Votes: 2")

    # The evaluator records what they saw, tagged to the objective.
    evaluator.get_by_label("What did you observe?").fill("Aldoria called Brenland at once.")
    evaluator.get_by_role("button", name="Record observation").click()
    expect(evaluator.locator("#panel-observations")).to_contain_text("called Brenland")
    for page in (ald, brn, display):
        assert "called Brenland" not in page.content()

    for name, page in (
        ("console", console),
        ("player-ald", ald),
        ("player-brn", brn),
        ("evaluator", evaluator),
        ("display", display),
    ):
        screenshot(page, f"room-{name}")
        assert axe_violations(page) == [], name
