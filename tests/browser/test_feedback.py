"""The Participant Feedback Form in a browser: closed before ENDEX, filled with the keyboard
after it, errors at their field with what was typed kept, a second form replacing the first."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from sitroom.conduct.feedback import STATEMENTS
from tests.browser.conftest import Site, axe_violations, open_invitation, screenshot
from tests.support.packages import TWO_PARTIES

RUN = "feedback"
FORM = f"/runs/{RUN}/feedback"


@dataclass
class People:
    admin: httpx.Client
    ada: dict[str, Any]
    bora: dict[str, Any]

    def forms(self) -> list[dict[str, Any]]:
        """Every feedback form of the run, oldest first, as the admin sees them."""
        reply = self.admin.get(f"/api/runs/{RUN}/evaluation")
        assert reply.status_code == 200, reply.text
        return [e["data"] for e in reply.json()["events"] if e["type"] == "feedback-submitted"]


@pytest.fixture(scope="module")
def people(site: Site) -> Iterator[People]:
    with site.admin() as admin:
        admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": RUN})
        admin.post(f"/api/runs/{RUN}/start", json={}).raise_for_status()
        yield People(
            admin,
            site.invite(RUN, name="Ada Aldor", role="player", team="ald-nsc"),
            site.invite(RUN, name="Bora Brenner", role="player", team="brn-nsc", language="ko"),
        )


def join(new_page: Any, invite: dict[str, Any], locale: str = "en-US") -> Any:
    page = new_page(locale)
    open_invitation(page, invite)
    page.wait_for_url("**/play")
    return page


def test_the_form_is_closed_before_endex(people: People, site: Site, new_page: Any) -> None:
    page = join(new_page, people.ada)
    expect(page.get_by_role("link", name="Participant Feedback Form")).to_have_count(0)
    page.goto(site.base + FORM)
    expect(page.locator("#closed")).to_have_text("The feedback form opens after the exercise ends.")
    assert page.locator("form#feedback").count() == 0


def test_a_player_fills_the_form_with_the_keyboard(
    people: People, site: Site, new_page: Any
) -> None:
    people.admin.post(f"/api/runs/{RUN}/end", json={}).raise_for_status()
    page = join(new_page, people.ada)
    page.get_by_role("link", name="fill in the Participant Feedback Form").click()
    page.wait_for_url(f"**{FORM}")
    assert axe_violations(page) == []

    page.get_by_label("Organisation (optional)").focus()
    page.keyboard.type("Aldoria NSC")
    page.keyboard.press("Tab")
    page.keyboard.type("Crisis lead")
    page.keyboard.press("Tab")
    page.keyboard.type("Fast first call")
    page.keyboard.press("Tab")
    page.keyboard.type("Clear roles")
    page.get_by_label("Area for improvement 1").focus()
    page.keyboard.type("Media lines came late")
    page.get_by_label("Anything the evaluators may not have seen or heard").focus()
    page.keyboard.type("The side call with Brenland.")
    page.get_by_role("group", name="Corrective action 1").get_by_label("Action").focus()
    page.keyboard.type("Pre-agree joint media lines")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowUp")  # Medium → High
    page.keyboard.press("Tab")
    page.keyboard.type("Joint press office")
    first = page.get_by_role("group", name=STATEMENTS[0].text["en"])
    first.get_by_role("radio").first.focus()
    page.keyboard.press("Space")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect(first.get_by_role("radio", name="4 Agree")).to_be_checked()
    screenshot(page, "feedback-filled")
    page.get_by_role("button", name="Submit feedback").focus()
    page.keyboard.press("Enter")

    expect(page.locator("#sent")).to_contain_text("your feedback was recorded")
    expect(page.get_by_label("Strength 1")).to_have_value("Fast first call")
    expect(first.get_by_role("radio", name="4 Agree")).to_be_checked()
    sent = people.forms()[-1]
    assert sent["organisation"] == "Aldoria NSC"
    assert sent["strengths"] == ["Fast first call", "Clear roles"]
    assert sent["corrective_actions"] == [
        {
            "action": "Pre-agree joint media lines",
            "priority": "High",
            "responsible": "Joint press office",
        }
    ]
    assert sent["ratings"] == {STATEMENTS[0].id: 4}
    screenshot(page, "feedback-sent")


def test_anonymous_with_a_name_is_refused_at_the_field(
    people: People, site: Site, new_page: Any
) -> None:
    page = join(new_page, people.ada)
    page.goto(site.base + FORM)
    count = len(people.forms())
    page.get_by_label("Submit anonymously").check()
    page.get_by_label("Name (optional)").fill("Ada Aldor")
    page.get_by_label("Strength 2").fill("ZZKEPT")
    page.get_by_role("button", name="Submit feedback").click()

    name = page.get_by_label("Name (optional)")
    expect(name).to_have_attribute("aria-invalid", "true")
    error = page.locator("#fb-name-error")
    expect(error).to_contain_text("An anonymous form carries no name")
    assert "fb-name-error" in (name.get_attribute("aria-describedby") or "")
    expect(name).to_have_value("Ada Aldor")
    expect(page.get_by_label("Strength 2")).to_have_value("ZZKEPT")
    expect(page.get_by_label("Submit anonymously")).to_be_checked()
    assert len(people.forms()) == count
    assert axe_violations(page) == []
    screenshot(page, "feedback-error")


def test_a_second_form_replaces_the_first(people: People, site: Site, new_page: Any) -> None:
    page = join(new_page, people.ada)
    page.goto(site.base + FORM)
    page.get_by_label("Submit anonymously").check()
    page.get_by_label("Strength 1").fill("ZZSECOND")
    page.get_by_role("button", name="Submit feedback").click()
    expect(page.locator("#sent")).to_be_visible()
    expect(page.get_by_label("Submit anonymously")).to_be_checked()
    expect(page.get_by_label("Strength 1")).to_have_value("ZZSECOND")
    latest = people.forms()[-1]
    assert latest["anonymous"] is True
    assert latest["name"] == ""
    assert latest["strengths"][0] == "ZZSECOND"


def test_the_form_in_korean(people: People, site: Site, new_page: Any) -> None:
    page = join(new_page, people.bora, locale="ko-KR")
    page.goto(site.base + FORM)
    expect(page.locator("h1")).to_have_text("참가자 피드백 양식")
    expect(page.get_by_role("group", name=STATEMENTS[0].text["ko"])).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "feedback-ko")
