"""The player view in a browser: injects arrive live and only where they belong, responses,
joint decisions and notes, reconnecting after a network loss, typed markup stays text."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Site, axe_violations, open_invitation, screenshot
from tests.support.packages import TWO_PARTIES

RUN = "play"
PAYLOAD = "<script>window.pwned=1</script><b>bold</b>"


@dataclass
class Duo:
    """A started run of the two-party package with a player of each party."""

    admin: httpx.Client
    ald: dict[str, Any]
    brn: dict[str, Any]
    brn_ko: dict[str, Any]

    def api(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        reply = self.admin.post(f"/api/runs/{RUN}{path}", json=body or {})
        assert reply.status_code == 200, reply.text
        return reply.json()  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def duo(site: Site) -> Iterator[Duo]:
    with site.admin() as admin:
        admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": RUN})
        admin.post(f"/api/runs/{RUN}/start", json={}).raise_for_status()
        yield Duo(
            admin,
            site.invite(RUN, name="Ada Aldor", role="player", team="ald-nsc"),
            site.invite(RUN, name="Bo Brenner", role="player", team="brn-nsc"),
            site.invite(RUN, name="Bora Brenner", role="player", team="brn-nsc", language="ko"),
        )


def open_play(new_page: Any, invite: dict[str, Any], locale: str = "en-US") -> Any:
    """Join with the invitation link and wait until the page's event stream is live."""
    page = new_page(locale)
    open_invitation(page, invite)
    page.wait_for_url("**/play")
    page.locator('[data-live-status][data-state="live"]').wait_for()
    return page


def test_released_inject_reaches_its_party_within_a_second(duo: Duo, new_page: Any) -> None:
    ald = open_play(new_page, duo.ald)
    brn = open_play(new_page, duo.brn)
    expect(ald.get_by_text("No injects yet")).to_be_visible()
    screenshot(ald, "play-before-inject")

    started = time.monotonic()
    duo.api("/injects/2/release")
    card = ald.locator("#inject-2")
    card.wait_for(timeout=1000)
    assert time.monotonic() - started < 1.0
    expect(card).to_contain_text("ZZALD-ONLY-TEXT")
    expect(card.locator(".inject-banner").first).to_have_text(
        "EXERCISE EXERCISE EXERCISE · SECRET//REL TO ALD"
    )

    duo.api("/injects/1/release")
    brn.locator("#inject-1").wait_for(timeout=1000)
    ald.locator("#inject-1").wait_for(timeout=1000)
    assert brn.locator("#inject-2").count() == 0
    assert "ZZALD-ONLY-TEXT" not in brn.content()
    # Newest first, and what players never see stays away.
    assert ald.locator("article.inject").first.get_attribute("id") == "inject-1"
    for secret in ("ZZEXPECTED-ACTION", "ZZCONTROLLER-NAME", "ZZINJECT-NOTES", "ZZFACILITATOR"):
        assert secret not in ald.content()

    ald.locator("#inject-1").get_by_role("button", name="Acknowledge").click()
    expect(ald.locator("#inject-1 .acked")).to_contain_text("Acknowledged at")
    screenshot(ald, "play-after-inject")


def test_response_and_joint_decision_concurred_on_both_pages(duo: Duo, new_page: Any) -> None:
    ald = open_play(new_page, duo.ald)
    brn = open_play(new_page, duo.brn)

    question = ald.locator("#question-q1")
    question.get_by_label("Write your team's response").fill(
        "We call Brenland's NSC within the hour."
    )
    question.get_by_role("button", name="Send response").click()
    expect(question.locator(".entries")).to_contain_text("within the hour")
    expect(question.get_by_label("Write your team's response")).to_have_value("")
    assert "within the hour" not in brn.content()

    ald.get_by_label("Title").fill("Joint notification to the public")
    ald.get_by_label("What your team decides").fill("Both governments speak **together** at noon.")
    ald.get_by_label("Ask Brenland to concur").check()
    ald.locator("#propose .clauses-box summary").click()
    ald.get_by_label("Guidelines 1.1").check()
    ald.get_by_role("button", name="Propose decision").click()
    mine = ald.locator("article.decision", has_text="Joint notification to the public")
    expect(mine.locator(".badge")).to_have_text("Awaiting concurrence")
    expect(ald.get_by_label("Title")).to_have_value("")

    theirs = brn.locator("article.decision", has_text="Joint notification to the public")
    expect(theirs.locator(".badge")).to_have_text("Awaiting concurrence", timeout=3000)
    expect(theirs.locator(".clauses")).to_contain_text("Guidelines 1.1")
    # Non-concurring needs reasons: the error is shown at the field, the choice is kept.
    theirs.locator(".clauses-box summary").click()
    theirs.get_by_label("Guidelines 1.1").check()
    theirs.get_by_role("button", name="Non-concur").click()
    reasons = theirs.get_by_label("Reasons")
    expect(theirs.get_by_role("alert")).to_contain_text("reasons is empty")
    expect(reasons).to_have_attribute("aria-invalid", "true")
    assert theirs.get_by_label("Guidelines 1.1").is_checked()
    screenshot(brn, "play-decision-awaiting")

    reasons.fill("Agreed: noon suits our cabinet.")
    theirs.get_by_role("button", name="Concur", exact=True).click()
    expect(theirs.locator(".badge")).to_have_text("Concurred")
    expect(mine.locator(".badge")).to_have_text("Concurred", timeout=3000)
    expect(mine.locator(".answer")).to_contain_text("noon suits our cabinet")
    assert ald.evaluate("document.querySelector('#panel-decisions .entry-text strong') !== null")
    screenshot(ald, "play-decision-concurred")


def test_typed_markup_shows_as_text(duo: Duo, new_page: Any) -> None:
    ald = open_play(new_page, duo.ald)
    ald.locator("#question-q2").get_by_label("Write your team's response").fill(PAYLOAD)
    ald.locator("#question-q2").get_by_role("button", name="Send response").click()
    ald.get_by_label("Title").fill(PAYLOAD)
    ald.get_by_label("What your team decides").fill(PAYLOAD)
    ald.get_by_role("button", name="Propose decision").click()
    ald.get_by_label("New note for your team").fill(PAYLOAD)
    ald.get_by_role("button", name="Add note").click()

    expect(ald.locator("#question-q2 .entry-text")).to_have_text(PAYLOAD)
    expect(ald.locator("#panel-notes .entry-text").first).to_have_text(PAYLOAD)
    decision = ald.locator("article.decision").first
    expect(decision.locator("h4")).to_have_text(PAYLOAD)
    expect(decision.locator(".entry-text")).to_have_text(PAYLOAD)
    assert ald.evaluate("window.pwned") is None
    assert ald.locator("main b").count() == 0
    assert ald.locator("main script").count() == 0


def test_a_refresh_keeps_what_is_being_typed(duo: Duo, new_page: Any) -> None:
    ald = open_play(new_page, duo.ald)
    ald.get_by_label("New note for your team").fill("half-written thought")
    ald.locator("#question-q1").get_by_label("Write your team's response").fill("draft answer")
    with ald.expect_response("**/play/panels/notes"):
        ald.evaluate(
            "document.querySelectorAll('[data-refresh]').forEach(el => htmx.trigger(el, 'refresh'))"
        )
    ald.wait_for_load_state("networkidle")
    expect(ald.get_by_label("New note for your team")).to_have_value("half-written thought")
    expect(ald.locator("#question-q1").get_by_label("Write your team's response")).to_have_value(
        "draft answer"
    )


def drop_stream(page: Any) -> None:
    """Cut the page's event stream as a lost network does (Chromium's offline mode leaves open
    connections open): htmx sees the error and reconnects, in vain until the network is back."""
    page.evaluate(
        """() => {
            const source = document.querySelector("[sse-connect]")["htmx-internal-data"]
                .sseEventSource;
            source.close();
            source.onerror(new Event("error"));
        }"""
    )


def test_reconnect_shows_the_missed_inject(duo: Duo, new_page: Any) -> None:
    ald = open_play(new_page, duo.ald)
    ald.context.set_offline(True)
    drop_stream(ald)
    duo.api("/injects/3/release")
    time.sleep(0.5)
    assert ald.locator("#inject-3").count() == 0
    ald.context.set_offline(False)
    ald.locator("#inject-3").wait_for(timeout=8000)
    expect(ald.locator("[data-live-status]")).to_have_attribute("data-state", "live")


def test_what_changed_arrives_as_html_and_keeps_what_is_each_viewers_own(
    duo: Duo, site: Site, new_page: Any
) -> None:
    ald = open_play(new_page, duo.ald)
    abe = open_play(new_page, site.invite(RUN, name="Abe Aldor", role="player", team="ald-nsc"))
    fetched: list[str] = []
    ald.on("request", lambda r: fetched.append(r.url) if "/play/panels/" in r.url else None)

    duo.api("/injects/4/release")
    ald.locator("#inject-4").wait_for(timeout=1000)
    abe.locator("#inject-4").wait_for(timeout=1000)
    ald.locator("#inject-4").get_by_role("button", name="Acknowledge").click()
    expect(ald.locator("#inject-4 .acked")).to_contain_text("Acknowledged at")

    duo.api("/injects/4/correct", {"content": {"en": "Hold the statement for a redraft."}})
    expect(abe.locator("#inject-4")).to_contain_text("for a redraft")
    expect(ald.locator("#inject-4")).to_contain_text("for a redraft")
    # One card for the whole team; each page keeps its own acknowledgement.
    expect(ald.locator("#inject-4 .acked")).to_contain_text("Acknowledged at")
    expect(abe.locator("#inject-4").get_by_role("button", name="Acknowledge")).to_be_visible()

    # A form that came in the stream gets its idempotency key on the page and its CSRF
    # token from the page's meta tag.
    box = abe.locator("#respond-box-inject-4")
    box.locator("summary").click()
    expect(box.locator('input[name="key"]')).not_to_have_value("")
    box.get_by_label("Write your team's response").fill("Redraft ready by noon.")
    box.get_by_role("button", name="Send response").click()
    expect(ald.locator("#inject-4-responses")).to_contain_text("Redraft ready by noon.")
    expect(abe.locator("#inject-4-responses")).to_contain_text("Redraft ready by noon.")
    assert fetched == [], "the page fetched a panel"
    assert "Redraft ready" not in open_play(new_page, duo.brn).content()


def test_a_player_sees_nothing_of_the_other_party(duo: Duo, site: Site, new_page: Any) -> None:
    from tests.support.server import join

    brn_api = join(site.base, duo.brn["code"])
    try:
        brn_api.post(f"/api/runs/{RUN}/notes", json={"text": "ZZBRN-NOTE"}).raise_for_status()
        brn_api.post(
            f"/api/runs/{RUN}/responses",
            json={"target": "question", "ref": "q1", "text": "ZZBRN-RESPONSE"},
        ).raise_for_status()
    finally:
        brn_api.close()
    ald = open_play(new_page, duo.ald)
    html = ald.content()
    assert "ZZBRN-NOTE" not in html
    assert "ZZBRN-RESPONSE" not in html
    for name in ("status", "module", "updates", "injects", "questions", "decisions", "notes"):
        reply = ald.request.get(f"{site.base}/runs/{RUN}/play/panels/{name}")
        assert reply.ok
        assert "ZZBRN" not in reply.text()


def test_a_player_cannot_open_other_views(duo: Duo, site: Site, new_page: Any) -> None:
    with site.admin() as admin:
        admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": "elsewhere"})
    ald = open_play(new_page, duo.ald)
    for path, status in (
        (f"/runs/{RUN}/console", (403, 404)),
        (f"/runs/{RUN}/evaluate", (403, 404)),
        (f"/runs/{RUN}/display", (403,)),
        ("/runs/elsewhere/play", (404,)),
        ("/runs/elsewhere/display", (404,)),
        ("/runs/elsewhere", (404,)),
    ):
        reply = ald.goto(site.base + path)
        assert reply is not None and reply.status in status, (path, reply and reply.status)
        assert "ZZEXPECTED-ACTION" not in ald.content()
        assert ald.locator("[data-run]").count() == 0
        assert ald.locator("form[hx-post]").count() == 0


def test_player_view_is_accessible_in_english_and_korean(duo: Duo, new_page: Any) -> None:
    ald = open_play(new_page, duo.ald)
    assert axe_violations(ald) == []
    brn = open_play(new_page, duo.brn_ko, locale="ko-KR")
    assert brn.locator("html").get_attribute("lang") == "ko"
    expect(brn.get_by_role("heading", name="상황 메시지")).to_be_visible()
    assert axe_violations(brn) == []
    screenshot(brn, "play-ko")
