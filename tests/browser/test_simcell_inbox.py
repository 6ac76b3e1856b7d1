"""The SimCell inbox in a browser, on the allied example: Aldoria's national security staff
write to the simulated ministry with the keyboard, control answers as the ministry from the
SimCell page, and the answer reaches that team's open page without a reload — and nothing of
it reaches Brenland's open page. Both pages pass axe, in English and Korean."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Site, axe_violations, open_invitation, screenshot
from tests.browser.staff import act, sign_in_admin, wait_live

RUN = "simcell"
MINISTRY = "Ministry of Foreign Affairs of Velmora"


def open_play(new_page: Any, invite: dict[str, Any], locale: str = "en-US") -> Any:
    page = new_page(locale)
    open_invitation(page, invite)
    page.wait_for_url("**/play")
    wait_live(page)
    return page


def test_a_team_writes_to_the_ministry_and_only_that_team_gets_the_answer(
    site: Site, new_page: Any
) -> None:
    with site.admin() as admin:
        made = admin.post("/api/runs", json={"example": "allied-consultation", "run_id": RUN})
        assert made.status_code == 201, made.text
        act(admin, f"/api/runs/{RUN}/start")
        act(admin, f"/api/runs/{RUN}/modules/day1/open")
    aldoria = open_play(new_page, site.invite(RUN, name="Noa Aldor", role="player", team="ald-nss"))
    brenland = open_play(new_page, site.invite(RUN, name="Bo Bren", role="player", team="brn-nss"))

    simcell = new_page()
    sign_in_admin(simcell, site.base)
    simcell.goto(f"{site.base}/runs/{RUN}/simcell")
    expect(simcell.locator("#simcell-summary")).to_have_text("none waiting")
    wait_live(simcell)

    inbox = aldoria.locator("#panel-inbox")
    expect(inbox).to_contain_text("No messages yet.")
    # With the keyboard: the labelled fields in order, then Enter on the button.
    inbox.get_by_label("To").select_option(label=MINISTRY)
    inbox.get_by_label("Subject").fill("Transit of evacuees")
    inbox.get_by_label("Message").fill("Will Velmora keep the northern crossing open?")
    inbox.get_by_label("Message").press("Tab")
    expect(inbox.get_by_role("button", name="Send message")).to_be_focused()
    aldoria.keyboard.press("Enter")
    thread = inbox.locator("li.thread", has_text="Transit of evacuees")
    expect(thread).to_contain_text("Will Velmora keep the northern crossing open?")
    assert aldoria.locator("#write-subject").input_value() == ""  # a fresh form

    # The SimCell page, open before the message came, says so live; its link shows it.
    expect(simcell.locator("#simcell-summary")).to_contain_text("New messages: show them")
    simcell.locator("#simcell-summary").get_by_role("link").click()
    ministry = simcell.locator("section.simcell-org", has_text=MINISTRY)
    expect(ministry).to_contain_text("Waiting for an answer: 1")
    expect(ministry).to_contain_text("Transit of evacuees")
    assert axe_violations(simcell) == []
    ministry.get_by_label(f"Answer as {MINISTRY}").fill("The crossing stays open until 1800Z.")
    ministry.get_by_label("Classification").select_option("RESTRICTED")
    ministry.get_by_role("button", name="Send answer").click()
    expect(simcell.locator("section.simcell-org", has_text=MINISTRY)).to_contain_text(
        "none waiting"
    )

    # No reload: the answer arrives in Aldoria's stream, with its unread count.
    expect(thread).to_contain_text("The crossing stays open until 1800Z.")
    expect(thread.locator(".unread-count")).to_have_text("New: 1")
    expect(thread).to_contain_text("RESTRICTED")
    screenshot(aldoria, "play-simcell-answer")
    thread.get_by_role("button", name="Mark as read").click()
    expect(inbox.locator(".inbox-unread")).to_have_text("No unread messages.")
    assert axe_violations(aldoria) == []

    # Brenland's open page got nothing of it, and a reload shows nothing either.
    for text in ("Transit of evacuees", "northern crossing", "1800Z"):
        assert text not in brenland.content()
    brenland.reload()
    wait_live(brenland)
    for text in ("Transit of evacuees", "northern crossing", "1800Z"):
        assert text not in brenland.content()


def test_the_inbox_reads_in_korean(site: Site, new_page: Any) -> None:
    korean = open_play(
        new_page, site.invite(RUN, name="Min Bren", role="player", team="brn-mfd"), "ko-KR"
    )
    korean.goto(f"{site.base}/language/ko?next=/runs/{RUN}/play")
    wait_live(korean)
    inbox = korean.locator("#panel-inbox")
    expect(korean.locator("#h-inbox")).to_have_text("받은 편지함")
    expect(inbox.get_by_role("button", name="메시지 보내기")).to_be_visible()
    expect(inbox.locator("#write-organisation")).to_contain_text("벨모라 외교부")
    assert axe_violations(korean) == []
