"""The After-Action Report page in a browser: findings edited with the keyboard, rows added,
errors at their field, finalising (and its refusal when the record moved on), staff only."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Site, axe_violations, open_invitation, screenshot
from tests.browser.staff import act, player, sign_in_admin
from tests.support.packages import TWO_PARTIES

RUN = "report"
PAGE = f"/runs/{RUN}/report"
DRAFT = "draft-operational-coordination-improvement"
MARKUP = '<script>window.pwned=1</script><img src="x" onerror="window.pwned=1">'


@dataclass
class Cast:
    evaluator: dict[str, Any]
    ald: dict[str, Any]


@pytest.fixture(scope="module")
def cast(site: Site) -> Iterator[Cast]:
    with site.admin() as admin:
        admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": RUN})
        act(admin, f"/api/runs/{RUN}/start")
        act(admin, f"/api/runs/{RUN}/injects/1/release")
    ald = site.invite(RUN, name="Ada Aldor", role="player", team="ald-nsc")
    evaluator = site.invite(RUN, name="Eve Valuator", role="evaluator")
    client = player(site.base, ald)
    said = act(
        client,
        f"/api/runs/{RUN}/responses",
        {"target": "inject", "ref": "1", "text": "We call Brenland within the hour."},
    )
    client.close()
    client = player(site.base, evaluator)
    act(
        client,
        f"/api/runs/{RUN}/ratings/targets",
        {
            "target": "t1",
            "rating": "M",
            "notes": "The call to the ally came after 90 minutes.",
            "evidence": [said["recorded"][0]["seq"]],
        },
    )
    client.close()
    with site.admin() as admin:
        act(admin, f"/api/runs/{RUN}/end")
    yield Cast(evaluator, ald)


def open_report(new_page: Any, site: Site, cast: Cast, locale: str = "en-US") -> Any:
    """The evaluator signs in with the invitation and follows the link to the report."""
    page = new_page(locale)
    open_invitation(page, cast.evaluator)
    page.wait_for_url(f"**/runs/{RUN}/evaluate")
    page.locator("a.report-link").click()
    page.wait_for_url(f"**{PAGE}")
    return page


def tab_to(page: Any, element_id: str, limit: int = 400) -> None:
    """Press Tab until the element with ``element_id`` has the focus."""
    for _ in range(limit):
        if page.evaluate("() => document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} never got the focus")


def test_a_player_gets_the_403_page(site: Site, cast: Cast, new_page: Any) -> None:
    page = new_page()
    open_invitation(page, cast.ald)
    page.wait_for_url(f"**/runs/{RUN}/play")
    reply = page.goto(site.base + PAGE)
    assert reply is not None and reply.status == 403
    expect(page.locator("main")).to_contain_text("This page is not for your role.")
    expect(page.locator("main")).not_to_contain_text("The call to the ally came after 90 minutes.")


def test_the_page_passes_axe_in_english_and_korean(site: Site, cast: Cast, new_page: Any) -> None:
    page = open_report(new_page, site, cast)
    expect(page.locator("h1")).to_contain_text("After-Action Report")
    expect(page.locator(".report-status")).to_have_text("DRAFT")
    expect(page.locator(".banner").first).to_contain_text("EXERCISE STAFF ONLY")
    page.locator(f"[id='finding-{DRAFT}'] details.edit summary").click()
    screenshot(page, "report-draft")
    assert axe_violations(page) == []
    page.goto(site.base + "/language/ko?next=" + PAGE)
    expect(page.locator("h1")).to_contain_text("사후 강평 보고서")
    expect(page.locator(".report-status")).to_have_text("초안")
    page.locator(f"[id='finding-{DRAFT}'] details.edit summary").click()
    screenshot(page, "report-draft-ko")
    assert axe_violations(page) == []
    page.goto(site.base + "/language/en?next=" + PAGE)


def test_a_party_aar_is_chosen_and_downloaded(site: Site, cast: Cast, new_page: Any) -> None:
    page = open_report(new_page, site, cast)
    page.get_by_label("AAR", exact=True).select_option("brn")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#h-status")).to_contain_text("AAR of Brenland")
    expect(page.locator("#findings")).not_to_contain_text("We call Brenland within the hour.")
    expect(page.locator(".banner").first).to_contain_text("REL TO BRN")
    with page.expect_download() as download:
        page.get_by_role("link", name="PDF").click()
    assert download.value.suggested_filename == f"aar-{RUN}-brn-draft-en.pdf"


def test_an_evaluator_edits_a_drafted_finding_with_the_keyboard(
    site: Site, cast: Cast, new_page: Any
) -> None:
    page = open_report(new_page, site, cast)
    article = page.locator(f"[id='finding-{DRAFT}']")
    expect(article).to_contain_text("Drafted from the evidence")
    slug = article.get_attribute("aria-labelledby").removesuffix("-h")
    article.locator("details.edit summary").focus()
    page.keyboard.press("Enter")
    tab_to(page, f"{slug}-title")
    page.keyboard.press("Control+A")
    page.keyboard.type("Allied consultation started late")
    page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("The first call to Brenland came 90 minutes after the announcement.")
    tab_to(page, f"{slug}-ca-0-action")
    page.keyboard.type("Write a call tree for allied consultation.")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # Planning
    page.keyboard.press("Tab")
    page.keyboard.type("Aldoria Crisis Office")
    page.keyboard.press("Tab")
    page.keyboard.type("R. Castellan")
    page.locator(f"#{slug}-ca-0-start").fill("2027-04-01")
    page.locator(f"#{slug}-ca-0-completion").fill("2027-06-30")
    tab_to(page, f"{slug}-add-row")
    page.keyboard.press("Enter")  # another row; what was typed stays

    expect(page.locator(f"#{slug}-ca-1-action")).to_be_focused()
    expect(page.locator(f"#{slug}-title")).to_have_value("Allied consultation started late")
    expect(page.locator(f"#{slug}-ca-0-organisation")).to_have_value("Aldoria Crisis Office")
    page.keyboard.type("Exercise the call tree in the next TTX.")
    page.keyboard.press("Tab")
    for _ in range(5):
        page.keyboard.press("ArrowDown")  # Exercise
    page.locator(f"#{slug}-ca-1-completion").fill("2027-05-01")
    page.locator(f"#{slug}-ca-1-start").fill("2027-09-01")  # after completion: refused
    tab_to(page, f"{slug}-save")
    page.keyboard.press("Enter")

    error = page.locator(f"#{slug}-ca-1-completion-error")
    expect(error).to_contain_text("is before the start date")
    expect(page.locator(f"#{slug}-ca-1-completion")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#{slug}-ca-1-action")).to_have_value(
        "Exercise the call tree in the next TTX."
    )
    screenshot(page, "report-field-error")
    page.locator(f"#{slug}-ca-1-start").fill("2027-03-01")
    page.locator(f"#{slug}-ca-1-completion").focus()
    tab_to(page, f"{slug}-save")
    page.keyboard.press("Enter")

    expect(page.locator("main .notice")).to_have_text("Finding saved.")
    article = page.locator(f"[id='finding-{DRAFT}']")
    expect(article.locator("h4")).to_contain_text("Allied consultation started late")
    expect(article).to_contain_text("Written by an evaluator")
    table = article.locator("table.actions")
    expect(table).to_contain_text("Write a call tree for allied consultation.")
    expect(table).to_contain_text("Planning")
    expect(table).to_contain_text("Aldoria Crisis Office")
    expect(table).to_contain_text("2027-06-30")
    expect(table).to_contain_text("Exercise the call tree in the next TTX.")
    expect(table.locator("tbody tr")).to_have_count(2)
    screenshot(page, "report-edited")


def test_a_new_finding_keeps_what_was_typed_and_stays_text(
    site: Site, cast: Cast, new_page: Any
) -> None:
    page = open_report(new_page, site, cast)
    form = page.locator("#new-finding")
    form.get_by_label("Title").fill(MARKUP)
    form.get_by_label("Analysis").fill("The **first call** came late.\n\n" + MARKUP)
    form.get_by_label("Evidence (log event numbers)").fill("twelve")
    form.get_by_role("button", name="Save finding").click()
    expect(page.locator("#new-evidence-error")).to_contain_text("log sequence numbers")
    expect(page.locator("#new-title")).to_have_value(MARKUP)
    page.locator("#new-evidence").fill("")
    page.locator("#new-kind").select_option("strength")
    page.locator("#new-save").click()
    expect(page.locator("main .notice")).to_have_text("Finding saved.")
    expect(page.locator("#findings")).to_contain_text(MARKUP)
    # The analysis is Markdown, sanitised: emphasis shows, script and handlers do not.
    expect(page.locator("#findings .analysis strong")).to_have_text("first call")
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator("#findings .analysis script").count() == 0
    assert page.evaluate("() => window.pwned") is None


def test_finalising_refuses_a_changed_record_then_freezes_the_aar(
    site: Site, cast: Cast, new_page: Any
) -> None:
    page = open_report(new_page, site, cast)
    shown = page.locator("input[name=upto]").input_value()
    client = player(site.base, cast.evaluator)  # meanwhile, another evaluator writes
    act(client, f"/api/runs/{RUN}/findings", {"kind": "strength", "title": "Clear roles"})
    client.close()
    tab_to(page, "finalise-reviewed")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    box = page.locator("#finalise-error")
    expect(box).to_contain_text("The record has changed since this report was shown.")
    expect(box).to_contain_text(f"it was at event {shown}")
    expect(page.locator(".report-status")).to_have_text("DRAFT")
    expect(page.locator("#findings")).to_contain_text("Clear roles")
    screenshot(page, "report-finalise-refused")

    page.get_by_label("I have reviewed this report").check()
    page.get_by_role("button", name="Finalise", exact=True).click()
    expect(page.locator("main .notice")).to_have_text("This AAR is now final.")
    expect(page.locator(".report-status")).to_have_text("FINAL")
    expect(page.locator("#finalise")).to_contain_text("This AAR is final.")
    shown_hash = page.locator("code.hash").inner_text()
    with site.admin() as admin:
        final = admin.get(f"/api/runs/{RUN}/report").json()
    assert final["status"] == "final" and final["frozen_hash"] == shown_hash
    screenshot(page, "report-final")


def test_before_endex_the_console_links_the_report_and_finalising_waits(
    site: Site, new_page: Any
) -> None:
    early = "report-early"
    with site.admin() as admin:
        admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": early})
        act(admin, f"/api/runs/{early}/start")
    page = new_page()
    sign_in_admin(page, site.base)
    page.goto(f"{site.base}/runs/{early}/console")
    page.get_by_role("navigation", name="Site").get_by_role(
        "link", name="After-Action Report"
    ).click()
    page.wait_for_url(f"**/runs/{early}/report")
    expect(page.locator("#finalise")).to_contain_text("An AAR can be finalised after ENDEX.")
    expect(page.get_by_label("I have reviewed this report")).to_be_disabled()
    expect(page.get_by_role("button", name="Finalise", exact=True)).to_be_disabled()
    expect(page.locator(".report-status")).to_have_text("DRAFT")
    screenshot(page, "report-before-endex")
