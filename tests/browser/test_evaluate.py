"""The evaluator view in a browser: the checklist, observations by keyboard, each team's view."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Site, axe_violations, open_invitation, screenshot
from tests.browser.staff import act, player, sign_in_admin, wait_live
from tests.support.packages import TWO_PARTIES

RUN = "evaluate"
MARKUP = '<script>window.pwned=1</script><img src="x" onerror="window.pwned=1">'


@dataclass
class Cast:
    evaluator: dict[str, Any]
    observer: dict[str, Any]
    ald: dict[str, Any]


@pytest.fixture(scope="module")
def cast(site: Site) -> Iterator[Cast]:
    with site.admin() as admin:
        admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": RUN})
        act(admin, f"/api/runs/{RUN}/start")
        act(admin, f"/api/runs/{RUN}/injects/1/release")
        act(admin, f"/api/runs/{RUN}/injects/2/release")
    ald = site.invite(RUN, name="Ada Aldor", role="player", team="ald-nsc")
    client = player(site.base, ald)
    act(client, f"/api/runs/{RUN}/responses", {"target": "inject", "ref": "2", "text": "Noted."})
    client.close()
    yield Cast(
        site.invite(RUN, name="Eve Valuator", role="evaluator"),
        site.invite(RUN, name="Olga Observer", role="observer"),
        ald,
    )


def open_view(new_page: Any, invitation: dict[str, Any], locale: str = "en-US") -> Any:
    page = new_page(locale)
    open_invitation(page, invitation)
    page.wait_for_url(f"**/runs/{RUN}/evaluate")
    wait_live(page)
    return page


def tab_to(page: Any, element_id: str, limit: int = 300) -> None:
    """Press Tab until the element with ``element_id`` has the focus."""
    for _ in range(limit):
        if page.evaluate("() => document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} never got the focus")


def test_evaluator_records_an_observation_with_the_keyboard(
    site: Site, cast: Cast, new_page: Any
) -> None:
    page = open_view(new_page, cast.evaluator)
    screenshot(page, "evaluate-start")
    tab_to(page, "obs-text")
    page.keyboard.type("Aldoria called Brenland 40 minutes after the announcement.")
    for select, presses in (("obs-objective", 1), ("obs-task", 1), ("obs-inject", 1)):
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.id") == select
        for _ in range(presses):
            page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # team: Aldoria staff
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # rating: S
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    observe = page.locator("#panel-observe")
    expect(observe).to_contain_text("Observation recorded.")
    expect(observe.get_by_label("What did you observe?")).to_have_value("")
    expect(observe.get_by_label("Objective")).to_have_value("o1")  # tags stay for the next one
    listed = page.locator("#panel-observations")
    expect(listed).to_contain_text("Aldoria called Brenland 40 minutes after the announcement.")
    for tag in ("Objective: 1", "Critical task: k1", "Inject: #1", "Team: Aldoria staff"):
        expect(listed).to_contain_text(tag)
    expect(listed.locator(".rating")).to_have_text("S")
    expect(listed).to_contain_text("Performed with Some Challenges")
    checklist = page.locator("#panel-checklist")
    expect(checklist.locator(".task.observed")).to_contain_text("k1")
    expect(checklist).to_contain_text("observations: 1")
    expect(checklist).to_contain_text("Guidelines 1.1")
    expect(checklist).to_contain_text("Consult early.")
    screenshot(page, "evaluate-observed")


def test_a_task_can_be_chosen_from_the_checklist(site: Site, cast: Cast, new_page: Any) -> None:
    page = open_view(new_page, cast.evaluator)
    observe = page.locator("#panel-observe")
    observe.get_by_label("What did you observe?").fill("Typed before choosing the task")
    page.locator("#panel-checklist").get_by_role("button", name="Observe k1").click()
    expect(observe.get_by_label("Critical task")).to_have_value("k1")
    expect(observe.get_by_label("What did you observe?")).to_have_value(
        "Typed before choosing the task"
    )


def test_team_view_shows_each_team_only_its_injects(site: Site, cast: Cast, new_page: Any) -> None:
    page = open_view(new_page, cast.evaluator)
    view = page.locator("#panel-team")
    page.get_by_label("Team to view").select_option("ald-nsc")
    page.get_by_role("button", name="Show").click()
    expect(view).to_contain_text("#2 National assessment")
    expect(view).to_contain_text("#1 Announcement")
    expect(view).to_contain_text("SECRET//REL TO ALD")
    expect(view).to_contain_text("Noted.")  # the team's responses, for evaluators
    expect(view).not_to_contain_text("ZZEXPECTED-ACTION")
    screenshot(page, "evaluate-team-ald")
    page.get_by_label("Team to view").select_option("brn-nsc")
    page.get_by_role("button", name="Show").click()
    expect(view).to_contain_text("Brenland staff")
    expect(view).to_contain_text("#1 Announcement")
    expect(view).not_to_contain_text("National assessment")
    expect(view).not_to_contain_text("Noted.")


def test_observer_sees_only_own_observations_and_what_they_may_see(
    site: Site, cast: Cast, new_page: Any
) -> None:
    with site.admin() as admin:
        act(
            admin,
            f"/api/runs/{RUN}/observations",
            {"text": "Control's own note on timing", "rating": "M"},
        )
    page = open_view(new_page, cast.observer)
    listed = page.locator("#panel-observations")
    expect(listed.get_by_role("heading")).to_contain_text("My observations")
    expect(listed).not_to_contain_text("Control's own note on timing")
    page.get_by_label("What did you observe?").fill("The room went quiet after inject 1.")
    page.get_by_role("button", name="Record observation").click()
    expect(listed).to_contain_text("The room went quiet after inject 1.")
    expect(listed).not_to_contain_text("Control's own note on timing")
    # An observer of no party sees what goes to everyone and is releasable to every party,
    # never one party's material, whichever team is chosen.
    page.get_by_label("Team to view").select_option("ald-nsc")
    page.get_by_role("button", name="Show").click()
    view = page.locator("#panel-team")
    expect(view).to_contain_text("Announcement")
    expect(view).not_to_contain_text("National assessment")
    expect(view).not_to_contain_text("National assessment")
    expect(view).not_to_contain_text("ZZALD-ONLY-TEXT")
    expect(view).not_to_contain_text("Noted.")


def test_typed_markup_stays_text_in_observations(site: Site, cast: Cast, new_page: Any) -> None:
    page = open_view(new_page, cast.evaluator)
    page.get_by_label("What did you observe?").fill(MARKUP)
    page.get_by_role("button", name="Record observation").click()
    expect(page.locator("#panel-observations")).to_contain_text(MARKUP)
    page.reload()
    wait_live(page)
    expect(page.locator("#panel-observations")).to_contain_text(MARKUP)
    assert page.locator('img[src="x"]').count() == 0
    assert page.evaluate("() => window.pwned") is None
    console = new_page()
    sign_in_admin(console, site.base)
    console.goto(f"{site.base}/runs/{RUN}/console")
    expect(console.locator("#panel-timeline")).to_contain_text(MARKUP)
    assert console.locator('img[src="x"]').count() == 0
    assert console.evaluate("() => window.pwned") is None


def test_evaluator_rates_a_target_with_the_keyboard(site: Site, cast: Cast, new_page: Any) -> None:
    page = open_view(new_page, cast.evaluator)
    rate = page.locator("#panel-rate")
    tab_to(page, "rt-target")  # t1, the only target, is chosen already
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "rt-rating"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # S
    page.keyboard.press("Tab")
    page.keyboard.type("Called late but well.")
    page.keyboard.press("Tab")
    page.keyboard.type("1, 2")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(rate).to_contain_text("Rating recorded.")
    expect(rate.get_by_label("Notes").first).to_have_value("")
    ratings = page.locator("#target-ratings-t1")
    expect(ratings).to_contain_text("Eve Valuator: S")
    expect(ratings).to_contain_text("Performed with Some Challenges")
    expect(ratings).to_contain_text("Called late but well.")
    expect(ratings).to_contain_text("evidence: 1, 2")
    screenshot(page, "evaluate-rated")


def test_a_wrong_evidence_is_explained_and_keeps_the_text(
    site: Site, cast: Cast, new_page: Any
) -> None:
    page = open_view(new_page, cast.evaluator)
    form = page.locator("#rate-capability-form")
    form.get_by_label("Rating").select_option("M")
    form.get_by_label("Notes").fill("Coordination slipped.")
    form.get_by_label("Evidence (optional)").fill("twelve")
    form.get_by_role("button", name="Rate capability").click()
    form = page.locator("#rate-capability-form")
    expect(form.locator(".error")).to_contain_text("log sequence numbers")
    expect(form.get_by_label("Evidence (optional)")).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_label("Notes")).to_have_value("Coordination slipped.")
    form.get_by_label("Evidence (optional)").fill("")
    form.get_by_role("button", name="Rate capability").click()
    expect(page.locator("#panel-rate")).to_contain_text("Rating recorded.")
    expect(page.locator("#panel-checklist")).to_contain_text(
        "Capability rating (Operational Coordination): Eve Valuator: M"
    )


def test_evaluator_records_a_clause_as_discussed(site: Site, cast: Cast, new_page: Any) -> None:
    page = open_view(new_page, cast.evaluator)
    form = page.locator("#record-clause-form")
    expect(form.get_by_label("Clause")).to_have_value("guide/1.1")
    form.get_by_label("Notes").fill("Raised by Aldoria at once.")
    form.get_by_role("button", name="Discussed", exact=True).click()
    expect(page.locator("#panel-rate")).to_contain_text("Clause recorded.")
    clauses = page.locator("#panel-checklist .clauses")
    expect(clauses).to_contain_text("Consult early.")
    expect(clauses).to_contain_text("Eve Valuator: discussed — Raised by Aldoria at once.")
    screenshot(page, "evaluate-clause")


def test_an_observer_gets_no_rating_forms(site: Site, cast: Cast, new_page: Any) -> None:
    page = open_view(new_page, cast.observer)
    expect(page.locator("#panel-observe")).to_be_visible()
    assert page.locator("#panel-rate").count() == 0
    expect(page.locator("#panel-checklist")).not_to_contain_text("Target rating")
    reply = page.request.post(
        f"{site.base}/runs/{RUN}/evaluate/rate-target",
        form={"target": "t1", "rating": "P"},
        headers={
            "HX-Request": "true",
            "X-CSRF-Token": page.locator('meta[name="csrf-token"]').get_attribute("content"),
        },
    )
    assert "only evaluators and control staff" in reply.text()


def test_evaluator_view_has_no_serious_axe_violations(
    site: Site, cast: Cast, new_page: Any
) -> None:
    page = open_view(new_page, cast.evaluator)
    page.get_by_label("Team to view").select_option("ald-nsc")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#panel-team")).to_contain_text("#1 Announcement")
    assert axe_violations(page) == []
    page.get_by_role("link", name="한국어").click()
    page.wait_for_url(f"**/runs/{RUN}/evaluate")
    wait_live(page)
    expect(page.get_by_role("heading", name="관찰 기록하기")).to_be_visible()
    screenshot(page, "evaluate-ko")
    assert axe_violations(page) == []


def test_a_player_cannot_open_the_evaluator_view(site: Site, cast: Cast, new_page: Any) -> None:
    page = new_page()
    open_invitation(page, cast.ald)
    for path in (f"/runs/{RUN}/evaluate", f"/runs/{RUN}/evaluate/panels/team?team=brn-nsc"):
        reply = page.goto(site.base + path)
        assert reply.status == 403
    reply = page.request.post(f"{site.base}/runs/{RUN}/evaluate/observe", form={"text": "x"})
    assert reply.status == 403
