"""The design pages in a browser: upload, problems in place, runs, invitations, MSEL import."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import Site, axe_violations, open_invitation, screenshot
from tests.browser.staff import sign_in_admin
from tests.support.packages import TWO_PARTIES

FIXTURES = Path(__file__).parents[1] / "fixtures"


def design(new_page: Any, site: Site, locale: str = "en-US") -> Any:
    page = new_page(locale)
    sign_in_admin(page, site.base)
    page.get_by_role("link", name="Design", exact=True).click()
    page.wait_for_url(site.base + "/design")
    return page


def test_a_broken_package_is_explained_line_by_line(site: Site, new_page: Any) -> None:
    page = design(new_page, site)
    page.get_by_label("Package (.yaml) or MSEL spreadsheet (.xlsx, .csv)").set_input_files(
        str(FIXTURES / "broken" / "unknown-team.yaml")
    )
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("alert")).to_contain_text("The package cannot be used yet: 1 errors")
    problems = page.locator(".problems")
    expect(problems).to_contain_text("unknown-reference")
    expect(problems).to_contain_text("line 22, column 14")
    expect(problems).to_contain_text("unknown team 'blue-2' in inject 14")
    expect(problems).to_contain_text("22 |")  # the line itself, as uploaded
    screenshot(page, "design-broken-package")
    assert axe_violations(page) == []


def test_upload_run_invite_and_revoke(site: Site, new_page: Any, tmp_path: Path) -> None:
    package = tmp_path / "duo.yaml"
    package.write_text(TWO_PARTIES, encoding="utf-8")
    page = design(new_page, site)
    page.get_by_label("Package (.yaml) or MSEL spreadsheet (.xlsx, .csv)").set_input_files(
        str(package)
    )
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("status")).to_contain_text("The package is valid and was kept.")
    page.get_by_role("link", name="Browse the package").click()
    expect(page.get_by_role("heading", name="Module 1: Day 1")).to_be_visible()
    expect(page.locator("table.msel").first).to_contain_text("ZZEXPECTED-ACTION")
    screenshot(page, "design-package")
    assert axe_violations(page) == []

    page.get_by_label("Run id (optional)").fill("designed")
    page.get_by_role("button", name="Create a run").click()
    page.wait_for_url("**/design/runs/designed/invitations*")
    expect(page.get_by_role("status")).to_contain_text("The run was created.")
    expect(page.get_by_text("Each join code and link is shown only once")).to_be_visible()

    page.get_by_label("Name (as shown to control)").fill("Aldoria desk")
    page.get_by_label("Role").select_option("player")
    page.get_by_label("Team (players; observers may sit with one)").select_option("ald-nsc")
    page.get_by_label("How many (numbered names)").fill("2")
    page.get_by_role("button", name="Create invitations").click()
    cards = page.locator(".invite-card")
    expect(cards).to_have_count(2)
    expect(cards.first).to_contain_text("Aldoria desk 1")
    expect(cards.first.get_by_role("img")).to_have_attribute("src", re.compile("^data:image/svg"))
    codes = [c.strip() for c in page.locator(".join-code").all_inner_texts()]
    assert all(re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", c) for c in codes), codes
    screenshot(page, "design-join-codes")
    assert axe_violations(page) == []

    page.get_by_role("link", name="Back to the invitations").click()
    rows = page.locator("table.invitations tbody tr")
    expect(rows).to_have_count(2)
    assert codes[0] not in page.content()  # shown once only
    page.get_by_role("button", name="Revoke Aldoria desk 1").click()
    expect(page.get_by_role("status")).to_contain_text("The invitation was revoked")
    expect(rows.filter(has_text="Aldoria desk 1")).to_contain_text("Revoked")
    expect(rows.filter(has_text="Aldoria desk 2")).to_contain_text("Active")
    screenshot(page, "design-invitations")
    assert axe_violations(page) == []

    revoked = httpx.post(f"{site.base}/api/join", json={"code": codes[0]})
    assert revoked.status_code in (403, 410), revoked.text
    active = httpx.post(f"{site.base}/api/join", json={"code": codes[1]})
    assert active.status_code == 200, active.text


def test_an_invitation_error_keeps_what_was_typed(site: Site, new_page: Any) -> None:
    with site.admin() as admin:
        admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": "design-errors"})
    page = new_page()
    sign_in_admin(page, site.base)
    page.goto(f"{site.base}/design/runs/design-errors/invitations")
    page.get_by_label("Name (as shown to control)").fill("Teamless player")
    page.get_by_label("Role").select_option("player")
    page.get_by_role("button", name="Create invitations").click()
    expect(page.get_by_role("alert")).to_contain_text("a player needs a team")
    expect(page.get_by_label("Name (as shown to control)")).to_have_value("Teamless player")
    expect(page.get_by_label("Team (players; observers may sit with one)")).to_have_attribute(
        "aria-invalid", "true"
    )


def test_an_msel_spreadsheet_import_shows_what_was_left_out(site: Site, new_page: Any) -> None:
    page = design(new_page, site)
    page.get_by_label("Package (.yaml) or MSEL spreadsheet (.xlsx, .csv)").set_input_files(
        str(FIXTURES / "msel" / "hurricane-county-eoc.xlsx")
    )
    page.get_by_role("button", name="Upload and check").click()
    read = page.locator("section", has=page.get_by_role("heading", name="What was read"))
    expect(read).to_contain_text("Injects imported")
    expect(read.locator("dd").nth(2)).to_have_text("9")
    skipped = page.locator("table.skipped tbody tr")
    expect(skipped).to_have_count(4)
    for row, reason in ((6, "STARTEX"), (12, "blank row"), (13, "Day 2"), (18, "ENDEX")):
        expect(skipped.filter(has_text=reason).locator("th")).to_have_text(str(row))
    screenshot(page, "design-msel-import")
    assert axe_violations(page) == []

    page.get_by_label("Package (.yaml) or MSEL spreadsheet (.xlsx, .csv)").last.set_input_files(
        str(FIXTURES / "msel" / "broken-msel.xlsx")
    )
    page.get_by_role("button", name="Upload and check").last.click()
    problems = page.locator(".problems")
    expect(problems).to_contain_text("row 3")
    expect(problems).to_contain_text("no-text")
    expect(page.locator("table.skipped")).to_contain_text("no title or description")


def test_design_pages_in_korean(site: Site, new_page: Any) -> None:
    page = design(new_page, site)
    page.get_by_role("link", name="한국어").click()
    page.wait_for_url(site.base + "/design")
    expect(page.get_by_role("heading", name="패키지 또는 MSEL 올리기")).to_be_visible()
    screenshot(page, "design-ko")
    assert axe_violations(page) == []
    page.get_by_role("link", name=re.compile("스테드패스트 다이얼로그 2027")).click()
    expect(page.get_by_role("heading", name=re.compile("모듈 1"))).to_be_visible()
    screenshot(page, "design-example-ko")
    assert axe_violations(page) == []


def test_invitation_principals_cannot_design(site: Site, new_page: Any) -> None:
    with site.admin() as admin:
        admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": "design-guard"})
    facilitator = site.invite("design-guard", name="Invited facilitator", role="facilitator")
    ald = site.invite("design-guard", name="Ada", role="player", team="ald-nsc")
    for invitation in (ald, facilitator):
        page = new_page()
        open_invitation(page, invitation)
        for path in (
            "/design",
            "/design/runs/design-guard/invitations",
            "/design/examples/ransomware",
        ):
            reply = page.goto(site.base + path)
            assert reply.status == 403, path
        reply = page.request.post(f"{site.base}/design/runs", form={"example": "ransomware"})
        assert reply.status == 403
