"""The SimCell inbox over HTTP: Aldoria's team writes to the simulated ministry, control
answers as the ministry from the SimCell page; the answer reaches Aldoria's page without a
reload (the page's stream), control and evaluators read the thread, and Brenland's players
get nothing of it — not on the page, the API, nor either stream — until control forwards it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from sitroom.package.dump import dump_yaml
from tests.support.packages import simcell
from tests.support.server import create_admin, invite_and_join, running_server, sign_in

PASSWORD = "simcell-http-password"
RUN = "simcell"
HTMX = {"HX-Request": "true"}


@dataclass
class Server:
    admin: httpx.Client
    ald: httpx.Client
    brn: httpx.Client
    evaluator: httpx.Client


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("simcell")
    create_admin(data_dir, PASSWORD, "admin")
    with running_server(data_dir) as base:
        admin = sign_in(base, "admin", PASSWORD)
        made = admin.post("/api/runs", json={"package_yaml": dump_yaml(simcell()), "run_id": RUN})
        assert made.status_code == 201, made.text
        clients = Server(
            admin,
            invite_and_join(admin, base, RUN, name="Ada Aldor", role="player", team="ald-nsc"),
            invite_and_join(admin, base, RUN, name="Bo Bren", role="player", team="brn-nsc"),
            invite_and_join(admin, base, RUN, name="Eve Valuator", role="evaluator"),
        )
        assert admin.post(f"/api/runs/{RUN}/start", json={}).status_code == 200
        assert admin.post(f"/api/runs/{RUN}/modules/m1/open").status_code == 200
        yield clients
        for client in (admin, clients.ald, clients.brn, clients.evaluator):
            client.close()


def stream(client: httpx.Client, after: int, until_seq: int, play: bool = True) -> str:
    """The stream after ``after`` up to the frame of ``until_seq`` or the first heartbeat (a
    ping, or on a page's stream the clock: a message with no id)."""
    url = f"/api/runs/{RUN}/events?lang=en&after={after}" + ("&fragments=play" if play else "")
    lines: list[str] = []
    with client.stream("GET", url) as reply:
        assert reply.status_code == 200
        block: list[str] = []
        for line in reply.iter_lines():
            lines.append(line)
            if line.startswith(": ping"):
                break
            if line:
                block.append(line)
                continue
            ids = [int(x[4:]) for x in block if x.startswith("id: ")]
            has_data = any(x.startswith("data: ") for x in block)
            if (ids and ids[0] >= until_seq) or (has_data and not ids):
                break
            block = []
    return "\n".join(lines)


def last_seq(client: httpx.Client) -> int:
    return int(client.get(f"/api/runs/{RUN}/inbox").json()["seq"])


def test_a_team_writes_the_simcell_answers_and_only_that_team_reads_it(server: Server) -> None:
    before = last_seq(server.admin)
    # Aldoria writes from its page (the form, as htmx posts it).
    page = server.ald.get(f"/runs/{RUN}/play", params={"lang": "en"})
    assert page.status_code == 200 and 'id="panel-inbox"' in page.text
    assert "Ministry of Foreign Affairs of Velmora" in page.text  # the form's recipient
    wrote = server.ald.post(
        f"/runs/{RUN}/play/threads",
        data={"organisation": "ministry", "subject": "ZZSUBJECT", "body": "ZZQUESTION <b>x</b>"},
        headers=HTMX,
    )
    assert wrote.status_code == 200 and wrote.headers["HX-Trigger"] == "play-inbox", wrote.text
    threads = server.ald.get(f"/api/runs/{RUN}/inbox").json()["threads"]
    assert [t["subject"] for t in threads] == ["ZZSUBJECT"]
    thread = threads[0]["id"]

    # Control sees it waiting on the SimCell page and answers as the ministry, marked.
    simcell_page = server.admin.get(f"/runs/{RUN}/simcell", params={"lang": "en"})
    assert simcell_page.status_code == 200
    assert "ZZQUESTION &lt;b&gt;x&lt;/b&gt;" in simcell_page.text  # escaped
    assert "Waiting for 0 min" in simcell_page.text
    summary = server.admin.get(f"/runs/{RUN}/simcell/summary", params={"since": before})
    assert "Waiting for an answer: 1" in summary.text and "New messages" in summary.text
    assert server.brn.get(f"/runs/{RUN}/simcell/summary").status_code == 403
    answered = server.admin.post(
        f"/runs/{RUN}/simcell/threads/{thread}/answer",
        data={"body": "ZZANSWER", "classification": "RESTRICTED", "tlp": ""},
        follow_redirects=False,
    )
    assert answered.status_code == 303, answered.text
    answer_seq = last_seq(server.admin)

    # The answer reaches Aldoria's page in its stream, with its marking and unread count.
    pushed = stream(server.ald, before, answer_seq)
    assert "ZZANSWER" in pushed and "RESTRICTED" in pushed and "New: 1" in pushed
    inbox = server.ald.get(f"/api/runs/{RUN}/inbox").json()
    assert inbox["unread"] == 1
    assert [m["side"] for m in inbox["threads"][0]["messages"]] == ["team", "organisation"]

    # Control and evaluators read every thread; the evaluator has no forms.
    for staff in (server.admin, server.evaluator):
        groups = staff.get(f"/api/runs/{RUN}/simcell").json()["organisations"]
        ministry = next(g for g in groups if g["organisation"]["id"] == "ministry")
        assert ministry["threads"][0]["first_answer_minutes"] is not None
    evaluator_page = server.evaluator.get(f"/runs/{RUN}/simcell", params={"lang": "en"})
    assert "ZZANSWER" in evaluator_page.text and "Send answer" not in evaluator_page.text

    # Brenland gets nothing: page, API, both streams; its posts into the thread are 404.
    brn_page = server.brn.get(f"/runs/{RUN}/play", params={"lang": "en"}).text
    brn_panel = server.brn.get(f"/runs/{RUN}/play/panels/inbox", headers=HTMX).text
    brn_api = server.brn.get(f"/api/runs/{RUN}/inbox").text
    brn_events = stream(server.brn, before, answer_seq, play=False)
    brn_pushed = stream(server.brn, before, answer_seq)
    for seen in (brn_page, brn_panel, brn_api, brn_events, brn_pushed):
        for marker in ("ZZSUBJECT", "ZZQUESTION", "ZZANSWER", thread):
            assert marker not in seen
    assert server.brn.get(f"/api/runs/{RUN}/simcell").status_code == 403
    assert server.brn.get(f"/runs/{RUN}/simcell").status_code == 403
    reply = server.brn.post(f"/api/runs/{RUN}/threads/{thread}/messages", json={"body": "hi"})
    assert reply.status_code == 404
    assert (
        server.ald.post(
            f"/api/runs/{RUN}/threads/{thread}/forward", json={"parties": ["brn"]}
        ).status_code
        == 403
    )


def test_reading_clears_the_teams_unread_count(server: Server) -> None:
    thread = server.ald.get(f"/api/runs/{RUN}/inbox").json()["threads"][0]["id"]
    server.admin.post(f"/api/runs/{RUN}/threads/{thread}/messages", json={"body": "more"})
    assert server.ald.get(f"/api/runs/{RUN}/inbox").json()["unread"] >= 1
    marked = server.ald.post(f"/runs/{RUN}/play/threads/{thread}/read", headers=HTMX)
    assert marked.status_code == 204
    assert server.ald.get(f"/api/runs/{RUN}/inbox").json()["unread"] == 0
    again = server.ald.post(f"/api/runs/{RUN}/threads/{thread}/read")
    assert again.status_code == 200 and again.json()["recorded"] == []


def test_bad_posts_name_the_field(server: Server) -> None:
    unknown = server.ald.post(
        f"/api/runs/{RUN}/threads",
        json={"organisation": "embassy", "subject": "s", "body": "b"},
    )
    assert unknown.status_code == 404
    assert unknown.json()["errors"][0]["field"] == "organisation"
    thread = server.ald.get(f"/api/runs/{RUN}/inbox").json()["threads"][0]["id"]
    marked = server.admin.post(
        f"/runs/{RUN}/simcell/threads/{thread}/answer",
        data={"body": "x", "classification": "ULTRA"},
    )
    assert marked.status_code == 422 and "UNCLASSIFIED" in marked.text
    assert 'aria-invalid="true"' in marked.text


def test_an_injects_email_from_the_ministry_lands_in_the_addressed_inbox(server: Server) -> None:
    assert server.admin.post(f"/api/runs/{RUN}/injects/10/release", json={}).status_code == 200
    ald = server.ald.get(f"/api/runs/{RUN}/inbox").json()["threads"]
    assert any(t["id"] == "inject:10" and t["kind"] == "inject" for t in ald)
    assert "ZZMINISTRY-NOTE" in server.ald.get(f"/runs/{RUN}/play/panels/inbox", headers=HTMX).text
    assert "ZZMINISTRY-NOTE" not in server.brn.get(f"/api/runs/{RUN}/inbox").text


def test_a_forwarded_thread_reaches_the_other_party(server: Server) -> None:
    thread = next(
        t["id"]
        for t in server.ald.get(f"/api/runs/{RUN}/inbox").json()["threads"]
        if t["kind"] == "thread"
    )
    forwarded = server.admin.post(
        f"/runs/{RUN}/simcell/threads/{thread}/forward",
        data={"parties": "brn", "note": "for awareness"},
        follow_redirects=False,
    )
    assert forwarded.status_code == 303, forwarded.text
    brn = server.brn.get(f"/api/runs/{RUN}/inbox").json()["threads"]
    assert [t["subject"] for t in brn] == ["ZZSUBJECT"] and brn[0]["ours"] is False
    panel = server.brn.get(f"/runs/{RUN}/play/panels/inbox", headers=HTMX).text
    assert "Forwarded to you by control" in panel and f"/threads/{thread}/reply" not in panel
