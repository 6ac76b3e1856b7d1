"""The series API over real HTTP: who may do what, and the improvement loop of one edition.

The 2025 edition is played and its AAR finalised through the engine on the server's own SQLite
file before the server starts; everything after that goes through the API as a client would.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook

from sitroom.config import load_settings
from tests.support.playthrough import example_package
from tests.support.series import DRAFT, RUN, SERIES, edition, play_editions
from tests.support.server import create_admin, invite_and_join, running_server, sign_in

PASSWORD = "series-api-password"
ROLES = ("player", "evaluator", "observer", "display", "facilitator-invitation")


@dataclass
class Site:
    base: str
    data_dir: Path
    admin: httpx.Client
    facilitator: httpx.Client
    others: dict[str, httpx.Client]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from sitroom.services.identity import Identity

    data_dir = tmp_path_factory.mktemp("series-api")
    create_admin(data_dir, PASSWORD, "admin")
    settings = load_settings({"SITROOM_DATA_DIR": str(data_dir)})
    identity = Identity.open(settings.effective_database_url, settings)
    try:
        identity.create_account("fran", PASSWORD, "facilitator", "Fran Facilitator")
    finally:
        identity.close()
    play_editions(data_dir)
    with running_server(data_dir) as base:
        admin = sign_in(base, "admin", PASSWORD)
        facilitator = sign_in(base, "fran", PASSWORD)
        others = {
            "player": invite_and_join(admin, base, RUN, name="Ada", role="player", team="ald-nss"),
            "evaluator": invite_and_join(admin, base, RUN, name="Eve", role="evaluator"),
            "observer": invite_and_join(admin, base, RUN, name="Obi", role="observer"),
            "display": invite_and_join(admin, base, RUN, name="Wall", role="display"),
            # A run's facilitator invitation opens that run only, never the series.
            "facilitator-invitation": invite_and_join(
                admin, base, RUN, name="Fay", role="facilitator"
            ),
        }
        created = admin.post("/api/series", json={"id": SERIES, "title": "Allied annual"})
        assert created.status_code == 201, created.text
        yield Site(base, data_dir, admin, facilitator, others)
        for client in (admin, facilitator, *others.values()):
            client.close()


def _imported(site: Site) -> dict[str, object]:
    series = site.admin.get(f"/api/series/{SERIES}").json()
    if not series["editions"]:
        reply = site.facilitator.post(
            f"/api/series/{SERIES}/imports", json={"run": RUN, "parties": []}
        )
        assert reply.status_code == 201, reply.text
        series = site.admin.get(f"/api/series/{SERIES}").json()
    return dict(series)


def test_a_draft_aar_cannot_be_imported(site: Site) -> None:
    reply = site.admin.post(f"/api/series/{SERIES}/imports", json={"run": DRAFT})
    assert reply.status_code == 409
    assert "finalise the AAR first" in reply.json()["errors"][0]["message"]
    unknown = site.admin.post(f"/api/series/{SERIES}/imports", json={"run": "no-such-run"})
    assert unknown.status_code == 404


def test_importing_the_final_aar_tracks_each_ip_row_once(site: Site) -> None:
    series = _imported(site)
    actions = site.admin.get(f"/api/series/{SERIES}/actions").json()
    assert [a["id"] for a in actions] == ["CA-2025-001", "CA-2025-002", "CA-2025-003"]
    first = actions[0]
    assert (first["action"], first["organisation"], first["due"], first["status"]) == (
        "Write a duty-desk notification checklist",
        "Northland MoD",
        "2025-06-30",
        "open",
    )
    assert first["days_overdue"] > 300
    assert series["overdue"] == ["CA-2025-001"]
    assert [e["run"] for e in series["editions"]] == [RUN]  # type: ignore[union-attr]
    assert series["trends"]["editions"] == ["2025"]  # type: ignore[index]
    again = site.admin.post(f"/api/series/{SERIES}/imports", json={"run": RUN})
    assert again.status_code == 409
    listed = site.admin.get("/api/series").json()
    assert listed[0]["counts"]["overdue"] == 1 and listed[0]["counts"]["open"] >= 3
    overdue = site.admin.get(f"/api/series/{SERIES}/actions", params={"overdue": "true"}).json()
    assert [a["id"] for a in overdue] == ["CA-2025-001"]
    bad = site.admin.get(f"/api/series/{SERIES}/actions", params={"status": "finished"})
    assert bad.status_code == 422


def test_permission_matrix(site: Site) -> None:
    _imported(site)
    base = f"/api/series/{SERIES}"
    # Nobody outside the staff accounts reads or writes anything of a series.
    for role, client in site.others.items():
        for path in ("/api/series", base, f"{base}/actions", f"{base}/trends"):
            assert client.get(path).status_code == 403, (role, path)
        assert client.get(f"{base}/actions/CA-2025-002").status_code == 403, role
        assert client.get(f"{base}/export.xlsx").status_code == 403, role
        writes = (
            client.post("/api/series", json={"id": f"x-{role}", "title": "X"}),
            client.post(f"{base}/actions", json={"issue": "i", "action": "a"}),
            client.patch(f"{base}/actions/CA-2025-002", json={"poc": "Mallory"}),
            client.post(f"{base}/actions/CA-2025-002/status", json={"status": "in-progress"}),
            client.post(f"{base}/actions/CA-2025-002/status", json={"status": "cancelled"}),
            client.post(f"{base}/actions/CA-2025-002/verify", json={}),
            client.post(f"{base}/imports", json={"run": RUN}),
            client.post(
                f"{base}/actions/CA-2025-002/evidence",
                files={"file": ("x.txt", b"x", "text/plain")},
            ),
        )
        assert [w.status_code for w in writes] == [403] * len(writes), role

    fac, admin = site.facilitator, site.admin
    assert fac.get(f"{base}/actions/CA-2025-002").status_code == 200
    added = fac.post(
        f"{base}/actions",
        json={"issue": "Glossary missing", "action": "Publish a glossary", "edition": "2025"},
        headers={"Idempotency-Key": "add-glossary"},
    )
    assert added.status_code == 201, added.text
    new_id = added.json()["action"]["id"]
    assert new_id == "CA-2025-004"
    retried = fac.post(
        f"{base}/actions",
        json={"issue": "Glossary missing", "action": "Publish a glossary", "edition": "2025"},
        headers={"Idempotency-Key": "add-glossary"},
    )
    assert retried.json()["duplicate"] is True
    assert len(admin.get(f"{base}/actions").json()) == 4
    assert fac.patch(f"{base}/actions/{new_id}", json={"poc": "Choi Min"}).status_code == 200
    for status in ("in-progress", "done"):
        moved = fac.post(f"{base}/actions/{new_id}/status", json={"status": status, "note": "ok"})
        assert moved.status_code == 200, moved.text
    # Cancel and verify are the admin's.
    assert fac.post(f"{base}/actions/{new_id}/verify", json={}).status_code == 403
    cancel = fac.post(f"{base}/actions/CA-2025-003/status", json={"status": "cancelled"})
    assert cancel.status_code == 403
    assert admin.post(f"{base}/actions/{new_id}/verify", json={"note": "seen"}).status_code == 200
    assert (
        admin.post(f"{base}/actions/CA-2025-003/status", json={"status": "cancelled"}).status_code
        == 200
    )
    final = admin.patch(f"{base}/actions/{new_id}", json={"poc": "Someone else"})
    assert final.status_code == 409
    detail = admin.get(f"{base}/actions/{new_id}").json()
    assert detail["status"] == "verified"
    assert [h["what"].split(":")[0] for h in detail["history"]][:2] == ["opened by hand", "poc"]
    # Who did each step is kept: the facilitator edited, the admin verified.
    assert detail["history"][1]["actor"] != detail["history"][-1]["actor"]
    assert all(h["actor"].startswith("account:") and h["at"] for h in detail["history"])


def test_cookie_writes_need_the_csrf_token(site: Site) -> None:
    _imported(site)
    bare = httpx.Client(base_url=site.base, cookies=site.admin.cookies)
    try:
        reply = bare.post("/api/series", json={"id": "no-csrf", "title": "No CSRF"})
        assert reply.status_code == 403
        assert "CSRF" in reply.json()["errors"][0]["message"]
        edit = bare.patch(f"/api/series/{SERIES}/actions/CA-2025-002", json={"poc": "Nope"})
        assert edit.status_code == 403
        assert bare.get("/api/series").status_code == 200  # reads need no token
    finally:
        bare.close()
    assert site.admin.get("/api/series/no-csrf").status_code == 404


def test_evidence_upload_and_download(site: Site) -> None:
    _imported(site)
    base = f"/api/series/{SERIES}/actions/CA-2025-002"
    body = b"<html><script>alert(1)</script>Quarterly drill minutes</html>"
    reply = site.facilitator.post(
        f"{base}/evidence",
        files={"file": ("drill minutes.html", body, "text/html")},
        data={"note": "Minutes of the Q2 drill"},
    )
    assert reply.status_code == 201, reply.text
    sha = reply.json()["sha256"]
    evidence = site.admin.get(base).json()["evidence"]
    assert [(e["name"], e["note"]) for e in evidence] == [
        ("drill minutes.html", "Minutes of the Q2 drill")
    ]
    download = site.admin.get(evidence[0]["download"])
    assert download.status_code == 200
    assert download.content == body
    assert download.headers["content-type"].startswith("text/html")
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert site.others["player"].get(f"{base}/evidence/{sha}").status_code == 403
    assert site.admin.get(f"{base}/evidence/{'0' * 64}").status_code == 404


def test_xlsx_round_trip_records_nothing_and_a_bad_row_is_named(site: Site) -> None:
    _imported(site)
    base = f"/api/series/{SERIES}"
    before = site.admin.get(base).json()
    exported = site.admin.get(f"{base}/export.xlsx")
    assert exported.status_code == 200
    assert exported.headers["content-disposition"].startswith("attachment")
    same = site.admin.post(
        f"{base}/import.xlsx", files={"file": ("actions.xlsx", exported.content, "application/x")}
    )
    assert same.status_code == 200, same.text
    assert same.json()["events"] == 0
    assert site.admin.get(base).json()["actions"] == before["actions"]

    book = load_workbook(io.BytesIO(exported.content))
    sheet = book.active
    assert sheet is not None
    headers = [c.value for c in sheet[1]]
    sheet.cell(row=3, column=headers.index("Due Date") + 1, value="someday")
    sheet.cell(row=2, column=headers.index("Primary Responsible Organization") + 1, value="X")
    buffer = io.BytesIO()
    book.save(buffer)
    bad = site.admin.post(
        f"{base}/import.xlsx", files={"file": ("actions.xlsx", buffer.getvalue(), "application/x")}
    )
    assert bad.status_code == 422
    problems = bad.json()["problems"]
    assert any("row 3" in p and "Due" in p for p in problems), problems
    # All or nothing: the good row 2 was not applied either.
    assert site.admin.get(base).json()["actions"] == before["actions"]
    junk = site.admin.post(
        f"{base}/import.xlsx", files={"file": ("actions.xlsx", b"not a workbook", "text/plain")}
    )
    assert junk.status_code == 422


def test_design_offers_the_package_with_retest_objectives(site: Site) -> None:
    from sitroom.package.load import load_text
    from sitroom.web.uploads import Uploads

    _imported(site)
    package = edition(example_package("allied-consultation"), "2026")
    info = Uploads(site.data_dir / "uploads").save(package, "next.yaml", "package", "test")
    browse = site.admin.get(f"/design/packages/{info.digest}")
    assert browse.status_code == 200
    assert "To re-test in this edition" in browse.text
    open_ids = [
        a["id"]
        for a in site.admin.get(f"/api/series/{SERIES}/actions").json()
        if a["status"] not in ("verified", "cancelled")
    ]
    assert open_ids and all(i in browse.text for i in open_ids)
    download = site.admin.get(f"/design/retest/packages/{info.digest}")
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment")
    loaded = load_text(download.text, "retest.yaml")
    assert loaded.package is not None, [str(p) for p in loaded.problems]
    retested = {a for o in loaded.package.objectives for a in o.retests}
    assert retested == set(open_ids)
    assert site.others["player"].get(f"/design/retest/packages/{info.digest}").status_code == 403


def test_page_forms_keep_what_was_typed_and_turn_players_away(site: Site) -> None:
    token = site.admin.headers["X-CSRF-Token"]
    refused = site.admin.post(
        "/series",
        data={"csrf_token": token, "id": "bad id!", "title": "Typed title kept"},
    )
    assert refused.status_code == 422
    assert 'value="Typed title kept"' in refused.text
    assert 'aria-invalid="true"' in refused.text
    created = site.admin.post(
        "/series", data={"csrf_token": token, "id": "county-ttx", "title": "County TTX"}
    )
    assert created.status_code == 303 and created.headers["location"] == "/series/county-ttx"
    no_token = httpx.post(
        f"{site.base}/series",
        data={"id": "x", "title": "x"},
        cookies=site.admin.cookies,
    )
    assert no_token.status_code == 403
    page = site.others["player"].get("/series")
    assert page.status_code == 403
    assert "This page is for administrator and facilitator accounts." in page.text


def test_the_spreadsheet_form_lists_problems_by_row(site: Site) -> None:
    _imported(site)
    exported = site.admin.get(f"/api/series/{SERIES}/export.xlsx").content
    book = load_workbook(io.BytesIO(exported))
    sheet = book.active
    assert sheet is not None
    headers = [c.value for c in sheet[1]]
    sheet.cell(row=2, column=headers.index("Status") + 1, value="finished")
    buffer = io.BytesIO()
    book.save(buffer)
    token = site.admin.headers["X-CSRF-Token"]
    reply = site.admin.post(
        f"/series/{SERIES}/import.xlsx",
        data={"csrf_token": token},
        files={"file": ("actions.xlsx", buffer.getvalue(), "application/x")},
    )
    assert reply.status_code == 422
    assert "Nothing was applied" in reply.text
    assert "row 2" in reply.text and "finished" in reply.text
    same = site.admin.post(
        f"/series/{SERIES}/import.xlsx",
        data={"csrf_token": token},
        files={"file": ("actions.xlsx", exported, "application/x")},
    )
    assert same.status_code == 303
    assert same.headers["location"].endswith("?done=unchanged")
