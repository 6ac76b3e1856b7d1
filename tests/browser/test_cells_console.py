"""A simulated cell in approval mode beside a person: Brenland's national security staff is
played by a cell (the server runs ``cell-brn-nss``), Aldoria by a person. Aldoria proposes a
joint decision; the cell's concurrence waits in the console; the facilitator releases it;
the AAR marks the concurrence as the cell's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from sitroom.package.examples import example_path
from tests.browser.conftest import ADMIN_PASSWORD, Site, axe_violations, screenshot
from tests.browser.staff import act, player, sign_in_admin, wait_live
from tests.support.server import create_admin, running_server

RUN = "cells"


@pytest.fixture(scope="module")
def cell_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data_dir = tmp_path_factory.mktemp("cells-site")
    create_admin(data_dir, ADMIN_PASSWORD, "admin")
    with running_server(
        data_dir,
        SITROOM_HEARTBEAT="2",
        SITROOM_FOLLOWERS="scheduler,cell-brn-nss",
        SITROOM_FOLLOWER_TICK="0.2",
    ) as base:
        yield Site(base, data_dir)


def test_the_facilitator_releases_a_cells_concurrence_and_the_aar_marks_it(
    cell_site: Site, new_page: Any
) -> None:
    site = cell_site
    text = (example_path("allied-consultation") / "exercise.yaml").read_text(encoding="utf-8")
    with site.admin() as admin:
        created = admin.post("/api/runs", json={"package_yaml": text, "run_id": RUN})
        assert created.status_code in (200, 201), created.text
        act(admin, f"/api/runs/{RUN}/start")
    ald = player(site.base, site.invite(RUN, name="Ada Aldor", role="player", team="ald-nss"))

    page = new_page("en-US")
    sign_in_admin(page, site.base)
    page.goto(f"{site.base}/runs/{RUN}/console")
    wait_live(page)
    panel = page.locator("#panel-cells")
    brenland = panel.get_by_role("article", name="Brenland National Security Secretariat")
    expect(brenland.get_by_label("Mode")).to_have_value("approval")

    act(
        ald,
        f"/api/runs/{RUN}/decisions",
        {
            "title": "Joint notification through the hotline",
            "text": "Both staffs confirm the notification within the hour.",
            "joint_with": ["brn"],
            "clauses": ["acg/1.1"],
        },
    )
    held = brenland.locator(".held", has_text="Answer decision")
    expect(held).to_be_visible(timeout=15_000)
    expect(held).to_contain_text("Waiting for approval")
    screenshot(page, "console-cell-held")
    assert axe_violations(page) == []
    decision = ald.get(f"/api/runs/{RUN}/decisions").json()
    assert all(d["status"] == "awaiting-concurrence" for d in _decisions(decision))

    held.get_by_label("Text").fill("Brenland concurs; the hotline call is at 10:00.")
    held.get_by_role("button", name="Release").click()
    expect(page.locator("#feedback-cells")).to_contain_text("Cell action released.")
    expect(held).to_have_count(0)

    (answered,) = _decisions(ald.get(f"/api/runs/{RUN}/decisions").json())
    assert answered["status"] == "concurred"
    with site.admin() as admin:
        report = admin.get(f"/api/runs/{RUN}/report")
        assert report.status_code == 200, report.text
        timeline = report.json()["model"]["timeline"]
        aar = admin.get(f"/api/runs/{RUN}/report", params={"format": "html"})
    concurred = [item for item in timeline if item["kind"] == "concurred"]
    assert concurred and concurred[0]["cell"] is True and concurred[0]["team"] == "brn-nss"
    proposed = [item for item in timeline if item["kind"] == "decision"]
    assert proposed and "cell" not in proposed[0]  # the person's proposal is not marked
    assert aar.status_code == 200 and "(simulated cell)" in aar.text
    page.get_by_role("link", name="한국어").click()
    page.wait_for_url(f"**/runs/{RUN}/console")
    wait_live(page)
    expect(page.locator("#h-cells")).to_have_text("모의 셀")
    korean = page.locator("#panel-cells").get_by_role("article", name="브렌란드 국가안보사무처")
    expect(korean.get_by_label("방식")).to_have_value("approval")
    expect(korean.get_by_label("방식").locator("option[value=approval]")).to_have_text(
        "승인 후 실행"
    )
    ald.close()


def _decisions(data: Any) -> list[dict[str, Any]]:
    return list(data["decisions"] if isinstance(data, dict) else data)
