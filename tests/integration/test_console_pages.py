"""The control, evaluation and design pages over HTTP, without a browser: fragments, forms,
errors in place, idempotent posts, and who may open what."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from sitroom.web.uploads import Uploads
from tests.support.packages import TWO_PARTIES, two_parties
from tests.support.server import create_admin, invite_and_join, running_server, sign_in

PASSWORD = "console-pages-password"
RUN = "pages"
HTMX = {"HX-Request": "true"}
PANELS = (
    "clock",
    "controls",
    "modules",
    "msel",
    "responses",
    "overview",
    "polls",
    "decisions",
    "broadcasts",
    "hotwash-items",
    "timeline",
)


@dataclass
class Server:
    base: str
    admin: httpx.Client
    ald: httpx.Client
    evaluator: httpx.Client
    observer: httpx.Client


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("pages")
    create_admin(data_dir, PASSWORD, "admin")
    with running_server(data_dir) as base:
        admin = sign_in(base, "admin", PASSWORD)
        admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": RUN})

        def invite(**body: object) -> httpx.Client:
            return invite_and_join(admin, base, RUN, **body)

        clients = Server(
            base,
            admin,
            invite(name="Ada Aldor", role="player", team="ald-nsc"),
            invite(name="Eve Valuator", role="evaluator"),
            invite(name="Olga Observer", role="observer", team="ald-nsc"),
        )
        yield clients
        for client in (admin, clients.ald, clients.evaluator, clients.observer):
            client.close()


def post(client: httpx.Client, path: str, **form: str) -> httpx.Response:
    return client.post(path, data=form, headers=HTMX)


def in_korean(client: httpx.Client, path: str) -> str:
    """The page at ``path`` as ``client`` reads it with Korean chosen."""
    client.cookies.set("sitroom_lang", "ko")
    try:
        return client.get(path).text
    finally:
        client.cookies.delete("sitroom_lang")


def test_every_console_panel_renders_as_a_fragment(server: Server) -> None:
    page = server.admin.get(f"/runs/{RUN}/console")
    assert page.status_code == 200
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert f'sse-connect="/api/runs/{RUN}/events?after=' in page.text
    assert 'data-receipts="off"' in page.text
    for name in PANELS:
        fragment = server.admin.get(f"/runs/{RUN}/console/panels/{name}")
        assert fragment.status_code == 200, (name, fragment.text)
        assert "<html" not in fragment.text
        assert 'id="panel-' not in fragment.text  # the body only: the panel stays in place
    assert server.admin.get(f"/runs/{RUN}/console/panels/nope").status_code == 404


def test_a_rejected_command_answers_in_place_and_keeps_the_text(server: Server) -> None:
    reply = post(
        server.admin, f"/runs/{RUN}/console/broadcast", key="early", text_en="Too early <b>!</b>"
    )
    assert reply.status_code == 200  # htmx swaps only successful answers
    assert 'role="alert"' in reply.text
    assert "the run has not started (STARTEX) yet" in reply.text
    assert "Too early &lt;b&gt;!&lt;/b&gt;</textarea>" in reply.text
    assert 'name="key" value="early"' in reply.text  # the same key for the retry
    plain = server.admin.post(f"/runs/{RUN}/console/broadcast", data={"text_en": "x"})
    assert plain.status_code == 409
    assert "<html" in plain.text and "the run has not started" in plain.text


def test_a_form_post_is_recorded_once_whatever_the_retries(server: Server) -> None:
    started = post(server.admin, f"/runs/{RUN}/console/start", key="start-1", compression="1")
    assert "Started." in started.text
    assert started.headers["HX-Trigger"] == '{"refresh": {"target": "#panel-controls"}}'
    for _ in range(2):
        reply = post(server.admin, f"/runs/{RUN}/console/broadcast", key="b-1", text_en="Once")
        assert "Update sent." in reply.text
    log = server.admin.get(f"/api/runs/{RUN}/log").json()["events"]
    assert [e["type"] for e in log].count("update-broadcast") == 1
    fresh = re.search(r'name="key" value="([0-9a-f]+)"', reply.text)
    assert fresh is not None and fresh.group(1) != "b-1"


def test_a_form_without_its_csrf_token_is_refused(server: Server) -> None:
    bare = httpx.Client(base_url=server.base, cookies=server.admin.cookies)
    reply = bare.post(f"/runs/{RUN}/console/pause", data={"key": "k"})
    assert reply.status_code == 403
    bare.close()


def test_release_receipt_and_names_on_the_msel(server: Server) -> None:
    post(server.admin, f"/runs/{RUN}/console/injects/1/release", key="r-1")
    again = post(server.admin, f"/runs/{RUN}/console/injects/1/release", key="r-1b")
    assert "inject 1 was already released" in again.text
    server.ald.post(f"/api/runs/{RUN}/injects/1/receipt").raise_for_status()
    msel = server.admin.get(f"/runs/{RUN}/console/panels/msel").text
    row = msel[msel.index('id="inject-1"') :]
    row = row[: row.index("</tr>")]
    assert "Ada Aldor" in row
    assert "invite:" not in row


def test_players_cannot_open_staff_pages(server: Server) -> None:
    for path in (
        f"/runs/{RUN}/console",
        f"/runs/{RUN}/console/panels/timeline",
        f"/runs/{RUN}/evaluate",
        f"/runs/{RUN}/evaluate/panels/team?team=brn-nsc",
        "/design",
        f"/design/runs/{RUN}/invitations",
    ):
        assert server.ald.get(path).status_code == 403, path
    assert server.evaluator.get(f"/runs/{RUN}/console").status_code == 403
    assert server.evaluator.get("/design").status_code == 403
    assert server.evaluator.get(f"/runs/{RUN}/evaluate").status_code == 200


def test_observers_read_only_their_own_observations(server: Server) -> None:
    path = f"/runs/{RUN}/evaluate/observe"
    assert "Observation recorded." in post(server.evaluator, path, text="EVAL-NOTE").text
    assert "Observation recorded." in post(server.observer, path, text="OBS-NOTE").text
    mine = server.observer.get(f"/runs/{RUN}/evaluate/panels/observations").text
    assert "OBS-NOTE" in mine and "EVAL-NOTE" not in mine
    everyone = server.evaluator.get(f"/runs/{RUN}/evaluate/panels/observations").text
    assert "OBS-NOTE" in everyone and "EVAL-NOTE" in everyone
    bad = post(server.evaluator, path, text="tagged", rating="X", objective="o1")
    assert "rating is P, S, M or U" in bad.text
    assert 'value="o1" selected' in bad.text


def test_the_evaluator_page_lists_the_newest_observations_and_all_on_request(
    server: Server,
) -> None:
    """A long run holds thousands of observations: the page lists the newest 200 with the
    count and a "Show all" link; with ``observations=all`` the page and its live panel list
    every one (and the panel keeps asking for all)."""
    run = "many-notes"
    made = server.admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": run})
    assert made.status_code == 201, made.text
    assert server.admin.post(f"/api/runs/{run}/start", json={}).status_code == 200
    for n in range(203):
        reply = server.admin.post(f"/api/runs/{run}/observations", json={"text": f"NOTE-{n:03d}"})
        assert reply.status_code == 200, reply.text
    page = server.admin.get(f"/runs/{run}/evaluate").text
    assert 'class="count">(203)' in page
    assert "NOTE-202" in page and "NOTE-003" in page and "NOTE-002" not in page
    assert "The newest 200 of 203 observations." in page
    assert f"/runs/{run}/evaluate?observations=all#h-observations" in page
    assert 'hx-include="#observations-all"' in page
    every = server.admin.get(f"/runs/{run}/evaluate", params={"observations": "all"}).text
    assert "NOTE-000" in every and "NOTE-202" in every and "The newest" not in every
    assert 'id="observations-all" name="observations" value="all"' in every
    panel = server.admin.get(
        f"/runs/{run}/evaluate/panels/observations", params={"observations": "all"}, headers=HTMX
    ).text
    assert "NOTE-000" in panel and 'id="observations-all"' in panel
    newest = server.admin.get(f"/runs/{run}/evaluate/panels/observations", headers=HTMX).text
    assert "NOTE-002" not in newest and "NOTE-202" in newest
    korean = in_korean(server.admin, f"/runs/{run}/evaluate")
    assert "관찰 203건 가운데 최근 200건입니다." in korean and "관찰 모두 보기" in korean


def test_the_console_lists_the_newest_settled_decisions_and_all_on_request(
    server: Server,
) -> None:
    """A three-day run holds hundreds of concurred decisions: the console lists the newest 50
    of each settled status with the count and a "Show all" link, and every decision still
    awaiting an answer; with ``decisions=all`` the page and its live panel list every one."""
    run = "many-decisions"
    made = server.admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": run})
    assert made.status_code == 201, made.text
    ald = invite_and_join(server.admin, server.base, run, name="A", role="player", team="ald-nsc")
    brn = invite_and_join(server.admin, server.base, run, name="B", role="player", team="brn-nsc")
    assert server.admin.post(f"/api/runs/{run}/start", json={}).status_code == 200
    for n in range(53):
        title = f"LINE-{n:03d}"
        proposed = ald.post(
            f"/api/runs/{run}/decisions", json={"title": title, "joint_with": ["brn"]}
        )
        assert proposed.status_code == 200, proposed.text
    decisions = {d["title"]: d["id"] for d in brn.get(f"/api/runs/{run}/decisions").json()}
    for n in range(52):  # LINE-052 still awaits Brenland's answer
        answer = f"/api/runs/{run}/decisions/{decisions[f'LINE-{n:03d}']}/answer"
        assert brn.post(answer, json={"concur": True}).status_code == 200
    listed = {title: f'id="decision-{id_}"' for title, id_ in decisions.items()}
    page = server.admin.get(f"/runs/{run}/console").text
    assert 'class="count">(52)' in page and "The newest 50 of 52." in page
    assert all(listed[f"LINE-{n:03d}"] in page for n in (52, 51, 2))
    assert listed["LINE-001"] not in page and listed["LINE-000"] not in page
    assert f"/runs/{run}/console?decisions=all#h-decisions" in page
    assert 'hx-include="#decisions-all"' in page
    every = server.admin.get(f"/runs/{run}/console", params={"decisions": "all"}).text
    assert all(marker in every for marker in listed.values()) and "The newest" not in every
    assert 'id="decisions-all" name="decisions" value="all"' in every
    panel = server.admin.get(
        f"/runs/{run}/console/panels/decisions", params={"decisions": "all"}, headers=HTMX
    ).text
    assert listed["LINE-000"] in panel and 'id="decisions-all"' in panel
    newest = server.admin.get(f"/runs/{run}/console/panels/decisions", headers=HTMX).text
    assert listed["LINE-000"] not in newest and listed["LINE-051"] in newest
    korean = in_korean(server.admin, f"/runs/{run}/console")
    assert "52건 가운데 최근 50건입니다." in korean and "결정 모두 보기" in korean
    for client in (ald, brn):
        client.close()


def test_the_report_page_lists_200_evidence_items_of_a_finding_and_counts_the_rest(
    server: Server,
) -> None:
    """A drafted finding of a long run gathers thousands of observations; the report page
    lists the first 200 under it and says how many more the evaluator page holds."""
    run = "much-evidence"
    made = server.admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": run})
    assert made.status_code == 201, made.text
    assert server.admin.post(f"/api/runs/{run}/start", json={}).status_code == 200
    for n in range(205):
        body = {"text": f"EVIDENCE-{n:03d}", "objective": "o1", "task": "k1", "rating": "P"}
        reply = server.admin.post(f"/api/runs/{run}/observations", json=body)
        assert reply.status_code == 200, reply.text
    page = server.admin.get(f"/runs/{run}/report").text
    assert "Evidence (205)" in page
    assert "EVIDENCE-000" in page and "EVIDENCE-199" in page and "EVIDENCE-200" not in page
    assert "… and 5 more: the evaluator page lists every observation." in page
    korean = in_korean(server.admin, f"/runs/{run}/report")
    assert "… 그 밖에 5건: 평가자 화면에 관찰이 모두 있습니다." in korean


def test_team_view_never_shows_more_than_the_viewer_may_see(server: Server) -> None:
    post(server.admin, f"/runs/{RUN}/console/injects/2/release", key="r-2")
    evaluator = server.evaluator.get(
        f"/runs/{RUN}/evaluate/panels/team", params={"team": "ald-nsc"}, headers=HTMX
    ).text
    assert "ZZALD-ONLY-TEXT" in evaluator
    assert "ZZEXPECTED-ACTION" not in evaluator
    brn = server.evaluator.get(
        f"/runs/{RUN}/evaluate/panels/team", params={"team": "brn-nsc"}, headers=HTMX
    ).text
    assert "ZZALD-ONLY-TEXT" not in brn
    observer = server.observer.get(
        f"/runs/{RUN}/evaluate/panels/team", params={"team": "brn-nsc"}, headers=HTMX
    ).text
    assert "ZZALD-ONLY-TEXT" not in observer


def test_rating_forms_record_once_and_are_evaluators_only(server: Server) -> None:
    base = f"/runs/{RUN}/evaluate"
    for _ in range(2):
        reply = post(
            server.evaluator,
            f"{base}/rate-target",
            key="rt-1",
            target="t1",
            rating="P",
            notes="Fine.",
            evidence="1",
        )
        assert "Rating recorded." in reply.text
    reply = post(server.evaluator, f"{base}/record-clause", clause="guide/1.1", discussed="no")
    assert "Clause recorded." in reply.text
    log = server.admin.get(f"/api/runs/{RUN}/log").json()["events"]
    assert [e["type"] for e in log].count("target-rated") == 1
    bad = post(
        server.evaluator,
        f"{base}/rate-capability",
        key="rc-1",
        capability="o1/operational-coordination",
        rating="S",
        notes="Kept.",
        evidence="1;2",
    )
    assert 'role="alert"' in bad.text and "log sequence numbers" in bad.text
    assert 'name="key" value="rc-1"' in bad.text and "Kept.</textarea>" in bad.text
    checklist = server.evaluator.get(f"{base}/panels/checklist").text
    assert "Eve Valuator: <span" in checklist and "not discussed" in checklist
    observer = server.observer.get(f"{base}/panels/checklist").text
    assert "Eve Valuator" not in observer and "Reference clauses" not in observer
    assert 'id="panel-rate"' not in server.observer.get(base).text
    refused = post(server.observer, f"{base}/rate-target", target="t1", rating="P")
    assert "only evaluators and control staff may do this" in refused.text


def test_hot_wash_items_are_listed_by_kind(server: Server) -> None:
    path = f"/runs/{RUN}/console/hot-wash"
    for _ in range(2):
        reply = post(server.admin, path, key="hw-1", kind="strength", text="Quick call.")
        assert "Added to the hot wash." in reply.text
    post(server.admin, path, kind="improvement", text="Slow brief.", party="brn")
    bad = post(server.admin, path, kind="other", text="Kept text")
    assert 'role="alert"' in bad.text and "Kept text</textarea>" in bad.text
    items = server.admin.get(f"/runs/{RUN}/console/panels/hotwash-items").text
    assert items.count("Quick call.") == 1
    assert items.index("Quick call.") < items.index("Brenland (BRN)") < items.index("Slow brief.")


def test_design_upload_answers_every_kind_of_file(server: Server) -> None:
    reply = server.admin.post("/design/upload", files={"file": ("notes.txt", b"hello")})
    assert reply.status_code == 415
    reply = server.admin.post("/design/upload", files={"file": ("bad.yaml", b"\xff\xfe oops")})
    assert reply.status_code == 422
    assert "not-utf8" in reply.text
    reply = server.admin.post("/design/upload", files={"file": ("duo.yaml", TWO_PARTIES.encode())})
    assert reply.status_code == 200
    digest = re.search(r"/design/packages/([0-9a-f]{64})", reply.text)
    assert digest is not None
    handbook = server.admin.get(f"/design/packages/{digest.group(1)}/handbook")
    assert handbook.status_code == 200
    assert "script-src" not in handbook.headers["content-security-policy"]
    assert server.admin.get("/design/packages/" + "0" * 64).status_code == 404
    assert server.admin.get("/design/packages/../../etc/passwd").status_code == 404


def test_created_invitation_codes_are_not_made_twice_by_a_resent_form(server: Server) -> None:
    path = f"/design/runs/{RUN}/invitations"
    form = {"name": "Twice", "role": "evaluator", "language": "en", "count": "1", "key": "inv-1"}
    first = server.admin.post(path, data=form)
    assert first.status_code == 201 and first.headers["cache-control"] == "no-store"
    second = server.admin.post(path, data=form)
    assert second.status_code == 409
    names = [i["name"] for i in server.admin.get(f"/api/runs/{RUN}/invitations").json()]
    assert names.count("Twice") == 1


def test_uploads_are_kept_by_content_hash(tmp_path: Path) -> None:
    uploads = Uploads(tmp_path / "uploads")
    info = uploads.save(two_parties(), "duo.yaml", "package", "account:1")
    again = uploads.save(two_parties(), "copy.yaml", "package", "account:1")
    assert info.digest == again.digest
    found = uploads.get(info.digest)
    assert found is not None and found[1] == two_parties()
    assert [u.digest for u in uploads.list()] == [info.digest]
    assert uploads.get("../" + info.digest) is None
