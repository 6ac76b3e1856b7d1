"""The facilitator console in a browser: the run live, from STARTEX to ENDEX.

Players are driven through the API; everything they do must appear on the console without a
reload, through the event stream and the panels it refreshes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Site, axe_violations, open_invitation, screenshot
from tests.browser.staff import act, player, sign_in_admin, wait_live
from tests.support.packages import TWO_PARTIES

RUN = "console"
MARKUP = '<script>window.pwned=1</script><img src="x" onerror="window.pwned=1">'


@dataclass
class Room:
    """A planned run of the two-party package with a player of each party."""

    ald: httpx.Client
    brn: httpx.Client
    ald_invite: dict[str, Any]

    def ald_api(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return act(self.ald, f"/api/runs/{RUN}{path}", body)

    def brn_api(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return act(self.brn, f"/api/runs/{RUN}{path}", body)


@pytest.fixture(scope="module")
def room(site: Site) -> Iterator[Room]:
    with site.admin() as admin:
        admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": RUN})
    ald_invite = site.invite(RUN, name="Ada Aldor", role="player", team="ald-nsc")
    brn_invite = site.invite(RUN, name="Bo Brenner", role="player", team="brn-nsc")
    ald, brn = player(site.base, ald_invite), player(site.base, brn_invite)
    yield Room(ald, brn, ald_invite)
    ald.close()
    brn.close()


def console(new_page: Any, site: Site, locale: str = "en-US") -> Any:
    page = new_page(locale)
    sign_in_admin(page, site.base)
    page.goto(f"{site.base}/runs/{RUN}/console")
    wait_live(page)
    return page


def test_facilitator_runs_the_exercise_live(site: Site, room: Room, new_page: Any) -> None:
    page = console(new_page, site)
    screenshot(page, "console-planned")
    msel, clock = page.locator("#panel-msel"), page.locator("#panel-clock")

    page.get_by_role("button", name="Start the exercise (STARTEX)").click()
    expect(clock).to_contain_text("Running")
    expect(page.locator("#panel-modules")).to_contain_text("current")

    # Release from the MSEL table; the receipt of the player who got it appears by itself.
    page.get_by_role("button", name="Release #1", exact=True).click()
    row = msel.locator("#inject-1")
    expect(row).to_contain_text("Released")
    expect(row).to_contain_text("Not yet: Ada Aldor, Bo Brenner")
    room.ald_api("/injects/1/receipt")
    expect(row.locator(".received")).to_contain_text("Ada Aldor")
    expect(row).to_contain_text("Received: 1 / 2")
    expect(row).to_contain_text("Not yet: Bo Brenner")
    room.ald_api("/injects/1/acknowledge")
    expect(row).to_contain_text("Acknowledged: Ada Aldor")

    # A contingency inject goes out with "release now".
    page.get_by_role("button", name="Release now #3").click()
    expect(msel.locator("#inject-3")).to_contain_text("contingency")

    # A response arrives live, and the team overview counts it.
    room.ald_api(
        "/responses", {"target": "inject", "ref": "1", "text": "We call Brenland at once."}
    )
    expect(page.locator("#panel-responses")).to_contain_text("We call Brenland at once.")
    overview = page.locator("#panel-overview")
    expect(overview.get_by_role("row", name=re.compile("#1 Announcement"))).to_contain_text("1")

    # A poll: open it, watch the votes come in, close it.
    polls = page.locator("#panel-polls")
    polls.get_by_role("button", name="Open poll Raise the level?").click()
    expect(polls).to_contain_text("Open")
    room.ald_api("/polls/p1/votes", {"options": ["yes"], "confidence": 4})
    room.brn_api("/polls/p1/votes", {"options": ["no"], "confidence": 2})
    expect(polls).to_contain_text("votes: 2")
    expect(polls).to_contain_text("mean confidence: 3.0 / 5")
    polls.get_by_role("button", name="Close poll Raise the level?").click()
    expect(polls).to_contain_text("Closed")
    expect(polls.get_by_role("row", name=re.compile("Yes"))).to_contain_text("1")

    # A joint decision: proposed by Aldoria, awaiting Brenland, then concurred.
    proposal = room.ald_api(
        "/decisions",
        {
            "title": "Joint statement at noon",
            "text": "Both capitals publish the agreed lines.",
            "joint_with": ["brn"],
            "clauses": ["guide/1.1"],
        },
    )
    decisions = page.locator("#panel-decisions")
    expect(decisions).to_contain_text("Awaiting concurrence")
    expect(decisions).to_contain_text("Joint statement at noon")
    expect(decisions).to_contain_text("guide/1.1 — Consult early.")
    expect(decisions).to_contain_text("Waiting for: Brenland (BRN)")
    screenshot(page, "console-decision-awaiting")
    decision_id = room.ald.get(f"/api/runs/{RUN}/decisions").json()[0]["id"]
    assert proposal["recorded"][0]["type"] == "decision-proposed"
    room.brn_api(
        f"/decisions/{decision_id}/answer", {"concur": True, "reasons": "Lines agreed by phone."}
    )
    expect(decisions.locator(".state-concurred").first).to_be_visible()
    expect(decisions).to_contain_text("Lines agreed by phone.")
    expect(decisions).not_to_contain_text("Awaiting concurrence")

    # Broadcast an update to one party.
    broadcast = page.locator("#panel-broadcast")
    broadcast.get_by_label("Text (en)").fill("Press conference moved to 14:00.")
    broadcast.get_by_label("Brenland (BRN)").check()
    broadcast.get_by_role("button", name="Send update").click()
    expect(broadcast).to_contain_text("Update sent.")
    expect(broadcast.get_by_label("Text (en)")).to_have_value("")
    sent = page.locator("#panel-broadcasts")
    expect(sent).to_contain_text("Press conference moved to 14:00.")
    expect(sent).to_contain_text("Brenland (BRN)")
    assert room.brn.get(f"/api/runs/{RUN}/log").text.count("Press conference") == 1
    assert "Press conference" not in room.ald.get(f"/api/runs/{RUN}/log").text

    # Correct a released inject.
    msel.get_by_role("link", name="Correct or retract #1").click()
    correct = page.locator("#panel-correct")
    expect(correct.get_by_label("Corrected text (en)")).to_have_value("A test is announced.")
    # The reason first: the text box has the form's focus (autofocus), and a late swap of
    # the form must not carry the reason's keystrokes into it.
    correct.get_by_label("Reason (shown to players)").fill("Wrong count")
    correct.get_by_label("Corrected text (en)").fill("A second test is announced.")
    expect(correct.get_by_label("Reason (shown to players)")).to_have_value("Wrong count")
    correct.get_by_role("button", name="Send correction").click()
    expect(correct).to_contain_text("Correction sent.")
    expect(correct.locator(".state")).to_have_text("Corrected")
    expect(correct.get_by_label("Corrected text (en)")).to_have_value("A second test is announced.")
    expect(row).to_contain_text("Corrected")
    injects = room.ald.get(f"/api/runs/{RUN}/injects").json()
    assert injects[0]["content"]["en"] == "A second test is announced."

    # The timeline holds it all, as control sees it.
    timeline = page.locator("#panel-timeline")
    for label in ("STARTEX", "Inject received", "Response", "Vote cast", "Concurred"):
        expect(timeline).to_contain_text(label)
    screenshot(page, "console-running")

    # ENDEX asks first; cancelling keeps the run going.
    controls = page.locator("#panel-controls")
    controls.get_by_role("button", name="End the exercise (ENDEX)…").click()
    expect(controls).to_contain_text("End the exercise for everyone?")
    controls.get_by_role("button", name="Cancel").click()
    expect(clock).to_contain_text("Running")
    controls.get_by_role("button", name="End the exercise (ENDEX)…").click()
    screenshot(page, "console-confirm-endex")
    controls.get_by_role("button", name="Yes, end the exercise (ENDEX)").click()
    expect(clock).to_contain_text("Ended (ENDEX)")
    expect(controls).to_contain_text("The exercise has ended")
    screenshot(page, "console-ended")


def test_a_rejected_command_is_explained_and_keeps_the_text(site: Site, new_page: Any) -> None:
    run = "console-planned"
    with site.admin() as admin:
        admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": run})
    page = new_page()
    sign_in_admin(page, site.base)
    page.goto(f"{site.base}/runs/{run}/console")
    wait_live(page)
    broadcast = page.locator("#panel-broadcast")
    broadcast.get_by_label("Text (en)").fill("Still there after the error")
    broadcast.get_by_role("button", name="Send update").click()
    alert = broadcast.get_by_role("alert")
    expect(alert).to_contain_text("Not done: the run has not started (STARTEX) yet")
    expect(broadcast.get_by_label("Text (en)")).to_have_value("Still there after the error")
    # Once the run has started, the same form goes through.
    page.get_by_role("button", name="Start the exercise (STARTEX)").click()
    expect(page.locator("#panel-clock")).to_contain_text("Running")
    broadcast.get_by_role("button", name="Send update").click()
    expect(broadcast).to_contain_text("Update sent.")
    expect(page.locator("#panel-broadcasts")).to_contain_text("Still there after the error")
    # The module navigator moves the room on; the MSEL marks the module now current.
    modules = page.locator("#panel-modules")
    modules.get_by_role("button", name="Go to module Day 2").click()
    expect(modules.locator("[aria-current=step]")).to_have_text("Day 2")
    expect(page.locator("#panel-clock")).to_contain_text("Day 2")
    expect(page.locator("#panel-msel table.current caption")).to_contain_text("Day 2")


def test_typed_markup_stays_text_on_the_console(site: Site, new_page: Any) -> None:
    run = "console-markup"
    with site.admin() as admin:
        admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": run})
        act(admin, f"/api/runs/{run}/start")
        act(admin, f"/api/runs/{run}/injects/1/release")
    invite = site.invite(run, name=MARKUP, role="player", team="ald-nsc")
    ald = player(site.base, invite)
    act(ald, f"/api/runs/{run}/injects/1/receipt")
    act(ald, f"/api/runs/{run}/responses", {"target": "inject", "ref": "1", "text": MARKUP})
    act(ald, f"/api/runs/{run}/decisions", {"title": MARKUP, "text": MARKUP})
    ald.close()
    page = new_page()
    sign_in_admin(page, site.base)
    page.goto(f"{site.base}/runs/{run}/console")
    wait_live(page)
    page.locator("#panel-broadcast").get_by_label("Text (en)").fill(MARKUP)
    page.locator("#panel-broadcast").get_by_role("button", name="Send update").click()
    expect(page.locator("#panel-broadcasts")).to_contain_text(MARKUP)
    page.get_by_role("link", name="Correct or retract #1").click()
    page.get_by_label("Corrected text (en)").fill(MARKUP)
    page.get_by_label("Reason (shown to players)").fill(MARKUP)
    page.get_by_role("button", name="Send correction").click()
    expect(page.locator("#panel-correct")).to_contain_text("Correction sent.")
    expect(page.locator("#panel-timeline")).to_contain_text("Inject corrected")
    page.reload()
    wait_live(page)
    for panel in ("#panel-msel", "#panel-responses", "#panel-decisions", "#panel-broadcasts"):
        expect(page.locator(panel)).to_contain_text("<script>window.pwned=1</script>")
    assert page.locator('img[src="x"]').count() == 0
    assert page.evaluate("() => window.pwned") is None


def test_console_has_no_serious_axe_violations(site: Site, room: Room, new_page: Any) -> None:
    page = console(new_page, site)
    assert axe_violations(page) == []
    page.get_by_role("link", name="한국어").click()
    page.wait_for_url(f"**/runs/{RUN}/console")
    wait_live(page)
    expect(page.locator("h1")).to_contain_text("진행자 통제 콘솔")
    screenshot(page, "console-ko")
    assert axe_violations(page) == []


def test_a_player_cannot_open_the_console(site: Site, room: Room, new_page: Any) -> None:
    page = new_page()
    open_invitation(page, room.ald_invite)
    for path in (f"/runs/{RUN}/console", f"/runs/{RUN}/console/panels/msel"):
        reply = page.goto(site.base + path)
        assert reply.status == 403
        expect(page.get_by_role("heading", name="Not available")).to_be_visible()
    reply = page.request.post(
        f"{site.base}/runs/{RUN}/console/injects/2/release", form={"key": "x"}
    )
    assert reply.status == 403
