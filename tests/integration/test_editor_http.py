"""The package editor over HTTP: its JSON API (drafts, check, save, conflicts, history, diff,
restore, downloads) and its pages (forms that change only what was changed, the problems of a
check, the MSEL grid's moves and bulk edits, runs made of a draft), who may use them, and
planners' text shown escaped."""

from __future__ import annotations

import base64
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest

from sitroom.package.load import load_text
from tests.support.packages import TWO_PARTIES
from tests.support.server import create_admin, invite_and_join, running_server, sign_in

PASSWORD = "editor-http-password"
HTMX = {"HX-Request": "true"}


@dataclass
class Server:
    base: str
    admin: httpx.Client
    player: httpx.Client


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("editor")
    create_admin(data_dir, PASSWORD, "admin")
    with running_server(data_dir) as base:
        admin = sign_in(base, "admin", PASSWORD)
        reply = admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": "ed-run"})
        assert reply.status_code == 201, reply.text
        player = invite_and_join(admin, base, "ed-run", name="Ada", role="player", team="ald-nsc")
        yield Server(base, admin, player)
        admin.close()
        player.close()


def new_draft(server: Server, example: str = "allied-consultation") -> dict[str, object]:
    reply = server.admin.post("/api/drafts", json={"from": "example", "example": example})
    assert reply.status_code == 201, reply.text
    return reply.json()  # type: ignore[no-any-return]


TITLE = ["modules", 0, "injects", 0, "title", "en"]


def test_a_draft_is_made_read_checked_and_saved_through_the_api(server: Server) -> None:
    draft = new_draft(server)
    draft_id = draft["draft_id"]
    assert draft["version"] == 1
    assert "Velmora" in str(draft["text"])
    assert [p for p in draft["problems"] if p["severity"] == "error"] == []  # type: ignore[index, union-attr]

    # A check says what an edit would break, and saves nothing.
    bad = {"op": "set", "path": ["parties", 0, "code"], "value": "not a code"}
    checked = server.admin.post(
        f"/api/drafts/{draft_id}/check", json={"base_version": 1, "edits": [bad]}
    )
    assert checked.status_code == 200, checked.text
    codes = [(p["code"], p["path"]) for p in checked.json()["problems"]]
    assert ("invalid-value", ["parties", 0, "code"]) in codes
    assert server.admin.get(f"/api/drafts/{draft_id}").json()["version"] == 1

    edit = {"op": "set", "path": TITLE, "value": "A new title"}
    saved = server.admin.post(
        f"/api/drafts/{draft_id}/save",
        json={"base_version": 1, "edits": [edit], "summary": "retitle 1.1"},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 2
    history = server.admin.get(f"/api/drafts/{draft_id}/history").json()
    assert sorted(v["version"] for v in history) == [1, 2]
    assert next(v for v in history if v["version"] == 2)["summary"] == "retitle 1.1"
    diff = server.admin.get(f"/api/drafts/{draft_id}/diff", params={"a": 1, "b": 2}).json()
    assert "+" in diff["diff"] and "A new title" in diff["diff"]
    assert diff["changes"][0]["path"][:5] == TITLE[:5]


def test_a_save_on_an_old_version_of_the_same_place_is_a_409_naming_what_changed(
    server: Server,
) -> None:
    draft_id = new_draft(server)["draft_id"]
    first = {"op": "set", "path": TITLE, "value": "FIRST-PLANNER"}
    second = {"op": "set", "path": TITLE, "value": "SECOND-PLANNER"}
    url = f"/api/drafts/{draft_id}/save"
    assert server.admin.post(url, json={"base_version": 1, "edits": [first]}).status_code == 200
    refused = server.admin.post(url, json={"base_version": 1, "edits": [second]})
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["head_version"] == 2
    assert "FIRST-PLANNER" in str(body["theirs"])
    assert any(c["author"] == "admin" or c["author"] for c in body["theirs"])
    # Saving again on the head applies the edit on top.
    again = server.admin.post(url, json={"base_version": 2, "edits": [second]})
    assert again.status_code == 200
    text = server.admin.get(f"/api/drafts/{draft_id}").json()["text"]
    assert "SECOND-PLANNER" in text and "FIRST-PLANNER" not in text


def test_restore_and_downloads(server: Server) -> None:
    draft_id = new_draft(server)["draft_id"]
    edit = {"op": "set", "path": TITLE, "value": "Changed"}
    server.admin.post(f"/api/drafts/{draft_id}/save", json={"base_version": 1, "edits": [edit]})
    restored = server.admin.post(f"/api/drafts/{draft_id}/restore", json={"version": 1})
    assert restored.status_code == 200, restored.text
    assert restored.json()["version"] == 3
    yaml_reply = server.admin.get(f"/api/drafts/{draft_id}/download/yaml")
    assert yaml_reply.status_code == 200
    assert "Changed" not in yaml_reply.text
    assert load_text(yaml_reply.text, "exercise.yaml").package is not None
    zipped = server.admin.get(f"/api/drafts/{draft_id}/download/zip")
    assert zipped.status_code == 200
    assert any(
        n.endswith("exercise.yaml") for n in zipfile.ZipFile(io.BytesIO(zipped.content)).namelist()
    )
    workbook = server.admin.get(f"/api/drafts/{draft_id}/download/xlsx", params={"version": 2})
    assert workbook.status_code == 200 and workbook.content[:2] == b"PK"


def test_bad_requests_are_named(server: Server) -> None:
    assert server.admin.get("/api/drafts/nope").status_code == 404
    draft_id = new_draft(server)["draft_id"]
    wrong = server.admin.post(
        f"/api/drafts/{draft_id}/save", json={"base_version": 1, "edits": [{"op": "paint"}]}
    )
    assert wrong.status_code == 422
    unknown = server.admin.post("/api/drafts", json={"from": "example", "example": "nothing"})
    assert unknown.status_code == 422 and "allied-consultation" in unknown.text
    assert "/api/drafts/{draft_id}/save" in server.admin.get("/openapi.json").text


def test_players_cannot_use_the_editor(server: Server) -> None:
    draft_id = new_draft(server)["draft_id"]
    assert server.player.get("/api/drafts").status_code == 403
    assert server.player.get(f"/api/drafts/{draft_id}").status_code == 403
    assert server.player.get("/editor").status_code == 403
    assert server.player.get(f"/editor/{draft_id}/grid").status_code == 403
    assert server.player.get(f"/editor/{draft_id}/download/yaml").status_code == 403
    anonymous = httpx.get(server.base + "/editor", follow_redirects=False)
    assert anonymous.status_code in (302, 303)
    # Every GET route of the editor and its API, with every parameter filled: refused.
    from tests.integration.test_leak import _get_routes

    values = {"draft_id": draft_id, "kind": "handbook", "fmt": "yaml"}
    routes = [r for r in _get_routes() if r.startswith(("/editor", "/api/drafts"))]
    assert len(routes) >= 10
    for route in routes:
        path = route.format(**values)
        for query in ("", "?version=1&a=1&b=1&team=ald-nsc&module=m1&part=modules"):
            reply = server.player.get(path + query, follow_redirects=False)
            assert reply.status_code == 403, (path, reply.status_code)
            assert "ZZ" not in reply.text


class _FormReader(HTMLParser):
    """The fields of the part form as a browser posts them: text inputs, checked boxes,
    textareas and each select's chosen option."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self.textarea: str | None = None
        self.text = ""
        self.select: str | None = None
        self.options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == "part-form"
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "on" if a.get("type") else "")))
        elif tag == "textarea":
            self.textarea, self.text = a.get("name"), ""
        elif tag == "select":
            self.select, self.options = a.get("name"), []
        elif tag == "option" and self.select:
            self.options.append((a.get("value", ""), "selected" in a))

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self.textarea is not None:
            self.fields.append((self.textarea, self.text))
            self.textarea = None
        elif tag == "select" and self.select is not None:
            chosen = [v for v, picked in self.options if picked] or [self.options[0][0]]
            self.fields.append((self.select, chosen[0]))
            self.select = None


def _form(server: Server, draft_id: str, at: str) -> dict[str, Any]:
    """The fields of a part form as the page shows them (what a browser would post)."""
    page = server.admin.get(f"/editor/{draft_id}/part", params={"at": at})
    assert page.status_code == 200, page.text
    reader = _FormReader()
    reader.feed(page.text)
    fields: dict[str, Any] = {}
    for name, value in reader.fields:
        if name in fields:
            fields[name] = [
                *([fields[name]] if isinstance(fields[name], str) else fields[name]),
                value,
            ]
        else:
            fields[name] = value
    return fields


def test_a_part_form_saves_only_what_was_changed(server: Server) -> None:
    draft_id = str(new_draft(server)["draft_id"])
    before = server.admin.get(f"/api/drafts/{draft_id}").json()["text"]
    fields = _form(server, draft_id, "modules.0.injects.0")
    assert fields["base"] == "1"
    fields["title:ko"] = "새 제목"
    reply = server.admin.post(f"/editor/{draft_id}/part", data=fields, follow_redirects=False)
    assert reply.status_code == 303, reply.text
    assert "saved=2" in reply.headers["location"]
    after = server.admin.get(f"/api/drafts/{draft_id}").json()["text"]
    changed = [
        (a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=False) if a != b
    ]
    assert len(before.splitlines()) == len(after.splitlines())
    assert len(changed) == 1 and "새 제목" in changed[0][1]


def test_fields_and_parts_are_named_in_the_planners_language_with_their_yaml_key(
    server: Server,
) -> None:
    draft_id = str(new_draft(server)["draft_id"])
    inject = f"/editor/{draft_id}/part?at=modules.0.injects.0"
    english = server.admin.get(inject).text
    assert 'Expected player actions <code class="yaml-key">expected_actions</code>' in english
    assert 'Title <code class="yaml-key">title</code>' in english
    server.admin.cookies.set("sitroom_lang", "ko")
    try:
        korean = server.admin.get(inject).text
        parts = server.admin.get(f"/editor/{draft_id}").text
    finally:
        server.admin.cookies.delete("sitroom_lang")
    assert '<legend>제목 <code class="yaml-key">title</code>' in korean
    assert '기대 조치 <code class="yaml-key">expected_actions</code>' in korean
    assert '배포 예정 (경과 시간) <code class="yaml-key">offset</code>' in korean
    assert 'name="title:ko"' in korean and 'for="f-offset"' in korean  # names and ids kept
    assert '<a href="/editor/' in korean and ">모듈</a>" in korean  # the way down, by name
    assert "Expected player actions" not in korean
    assert '>모듈</a> <code class="yaml-key">modules</code>' in parts


def test_a_check_lists_problems_as_the_planner_types(server: Server) -> None:
    draft_id = str(new_draft(server)["draft_id"])
    fields = _form(server, draft_id, "parties.0")
    fields["code"] = "lower"
    reply = server.admin.post(f"/editor/{draft_id}/check", data=fields, headers=HTMX)
    assert reply.status_code == 200
    assert "With your changes" in reply.text and "invalid-value" in reply.text
    assert server.admin.get(f"/api/drafts/{draft_id}").json()["version"] == 1


def test_a_yaml_box_that_is_not_yaml_is_refused_naming_the_field(server: Server) -> None:
    draft_id = str(new_draft(server)["draft_id"])
    fields = _form(server, draft_id, "modules.0.injects.0.attachments.0")
    assert "files" in fields
    fields["files"] = "en: [unclosed"
    reply = server.admin.post(f"/editor/{draft_id}/part", data=fields)
    assert reply.status_code == 422
    assert "files" in reply.text and "not YAML" in reply.text


def test_the_grid_moves_duplicates_and_bulk_edits_rows(server: Server) -> None:
    draft_id = str(new_draft(server)["draft_id"])
    common = {"base": "1", "module": "0", "query": ""}
    moved = server.admin.post(
        f"/editor/{draft_id}/grid/act", data={**common, "do": "down:0"}, follow_redirects=False
    )
    assert moved.status_code == 303
    numbers = re.findall(
        r'name="number" value="([^"]+)"', server.admin.get(f"/editor/{draft_id}/grid").text
    )
    assert numbers[:2] == ["1.2", "1.1"]
    common["base"] = "2"
    dup = server.admin.post(f"/editor/{draft_id}/grid/act", data={**common, "do": "duplicate:1"})
    assert dup.status_code == 303
    common["base"] = "3"
    bulk = server.admin.post(
        f"/editor/{draft_id}/grid/bulk",
        data={**common, "rows": ["0", "1"], "tlp": "AMBER"},
    )
    assert bulk.status_code == 303
    text = server.admin.get(f"/api/drafts/{draft_id}").json()["text"]
    assert '"1.1.1"' in text or "1.1.1" in text
    assert text.count("tlp: AMBER") >= 2
    nothing = server.admin.post(f"/editor/{draft_id}/grid/bulk", data={**common, "base": "4"})
    assert nothing.status_code == 422 and "Pick one or more rows first." in nothing.text


class _RowReader(HTMLParser):
    """The fields a grid row's form posts: its hidden inputs and the cells tied to it."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.select = form_id, False, None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        tied = self.inside or a.get("form") == self.form_id
        if tag == "input" and tied and a.get("name"):
            self.fields[a["name"]] = a.get("value", "")
        elif tag == "select" and tied:
            self.select = a.get("name")
        elif (
            tag == "option" and self.select and ("selected" in a or self.select not in self.fields)
        ):
            self.fields[self.select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None


def test_a_grid_row_is_checked_as_the_planner_types(server: Server) -> None:
    draft_id = str(new_draft(server)["draft_id"])
    page = server.admin.get(f"/editor/{draft_id}/grid")
    assert f'hx-post="/editor/{draft_id}/grid/row/check"' in page.text
    assert 'id="row-0-problems"' in page.text
    reader = _RowReader("row-0-form")
    reader.feed(page.text)
    fields = reader.fields
    assert fields["row"] == "0" and "number" in fields and "delivery" in fields
    same = server.admin.post(f"/editor/{draft_id}/grid/row/check", data=fields, headers=HTMX)
    assert same.status_code == 200, same.text
    assert 'id="row-0-problems"' in same.text and "<code>" not in same.text
    pending = {**fields, "scenario_time": "not a time", "offset": "-5"}
    checked = server.admin.post(f"/editor/{draft_id}/grid/row/check", data=pending, headers=HTMX)
    assert checked.status_code == 200, checked.text
    codes = re.findall(r"<code>([^<]+)</code>", checked.text)
    assert codes and set(codes) == {"invalid-value"}, checked.text
    assert server.admin.get(f"/api/drafts/{draft_id}").json()["version"] == 1
    other = server.admin.post(
        f"/editor/{draft_id}/grid/row/check", data={**fields, "row": "999"}, headers=HTMX
    )
    assert other.status_code == 422


def test_planners_text_is_shown_escaped(server: Server) -> None:
    draft_id = new_draft(server)["draft_id"]
    edit = {"op": "set", "path": TITLE, "value": "<script>alert(1)</script>"}
    server.admin.post(f"/api/drafts/{draft_id}/save", json={"base_version": 1, "edits": [edit]})
    for path in ("/grid", "/part?at=modules.0.injects.0", "/part?at=modules.0"):
        page = server.admin.get(f"/editor/{draft_id}{path}")
        assert "<script>alert(1)</script>" not in page.text
        assert "&lt;script&gt;" in page.text


def test_a_run_is_made_of_a_draft_and_an_erroneous_one_is_refused(server: Server) -> None:
    draft_id = new_draft(server)["draft_id"]
    made = server.admin.post(
        f"/editor/{draft_id}/runs",
        data={"version": "1", "run_id": "from-draft"},
        follow_redirects=False,
    )
    assert made.status_code == 303
    assert made.headers["location"].startswith("/design/runs/from-draft/invitations")
    assert server.admin.get("/api/runs/from-draft").status_code == 200
    bad = {"op": "set", "path": ["parties", 0, "code"], "value": "not a code"}
    server.admin.post(f"/api/drafts/{draft_id}/save", json={"base_version": 1, "edits": [bad]})
    refused = server.admin.post(f"/editor/{draft_id}/runs", data={"version": "2"})
    assert refused.status_code == 422
    assert server.admin.get(f"/editor/{draft_id}/preview?team=ald-nss").status_code == 200


def test_every_editor_page_renders_for_a_planner(server: Server) -> None:
    draft_id = new_draft(server)["draft_id"]
    for path in (
        "/editor",
        f"/editor/{draft_id}",
        f"/editor/{draft_id}/part?at=",
        f"/editor/{draft_id}/part?at=exercise",
        f"/editor/{draft_id}/part?at=objectives.0.targets.0.tasks.0",
        f"/editor/{draft_id}/part?at=references.0.clauses.0",
        f"/editor/{draft_id}/part?at=modules.1.polls.0",
        f"/editor/{draft_id}/grid?module=2&q=joint",
        f"/editor/{draft_id}/history",
        f"/editor/{draft_id}/diff?a=1&b=1",
        f"/editor/{draft_id}/preview?team=brn-nss&module=day2",
        f"/editor/{draft_id}/preview/sitman",
        f"/editor/{draft_id}/preview/handbook?lang=ko",
        f"/editor/{draft_id}/download",
    ):
        reply = server.admin.get(path)
        assert reply.status_code == 200, (path, reply.text[:500])
    assert server.admin.get(f"/editor/{draft_id}/part?at=modules.99").status_code == 404
    assert server.admin.get(f"/editor/{draft_id}/part?at=nothing").status_code == 404


def test_documents_are_uploaded_replaced_and_removed_as_versions(server: Server) -> None:
    draft_id = new_draft(server)["draft_id"]
    page = server.admin.get(f"/editor/{draft_id}/documents")
    assert page.status_code == 200 and "vsna-statement.md" in page.text
    added = server.admin.post(
        f"/editor/{draft_id}/documents",
        data={"base": "1", "path": "briefing/<b>note</b>.txt"},
        files={"file": ("note.txt", b"A fictional briefing note.", "text/plain")},
        follow_redirects=False,
    )
    assert added.status_code == 303, added.text
    listed = server.admin.get(f"/editor/{draft_id}/documents").text
    assert "briefing/&lt;b&gt;note&lt;/b&gt;.txt" in listed
    zipped = server.admin.get(f"/api/drafts/{draft_id}/download/zip").content
    names = zipfile.ZipFile(io.BytesIO(zipped)).namelist()
    assert any(n.endswith("briefing/<b>note</b>.txt") for n in names)
    removed = server.admin.post(
        f"/editor/{draft_id}/documents",
        data={"base": "2", "remove": "briefing/<b>note</b>.txt"},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert server.admin.get(f"/api/drafts/{draft_id}").json()["version"] == 3
    outside = server.admin.post(
        f"/editor/{draft_id}/documents",
        data={"base": "3", "path": "../escape.txt"},
        files={"file": ("x.txt", b"x", "text/plain")},
    )
    assert outside.status_code == 422 and "documents/" in outside.text


def test_a_package_of_megabytes_starts_a_draft_through_the_api(server: Server) -> None:
    padding = "# " + "x" * 98 + "\n"
    text = padding * 15_000 + TWO_PARTIES  # 1.5 MB: more than a plain JSON body may be
    made = server.admin.post(
        "/api/drafts",
        json={
            "from": "yaml",
            "file_name": "big.yaml",
            "content_base64": base64.b64encode(text.encode()).decode(),
        },
    )
    assert made.status_code == 201, made.text[:300]
    assert made.json()["text"].startswith(padding)
    unreadable = server.admin.post(
        "/api/drafts", json={"from": "yaml", "file_name": "x.yaml", "content_base64": "%%%"}
    )
    assert unreadable.status_code == 422 and "base64" in unreadable.text


def test_a_teams_preview_shows_only_what_the_team_may_see(server: Server) -> None:
    draft_id = new_draft(server)["draft_id"]
    page = server.admin.get(
        f"/editor/{draft_id}/preview", params={"team": "ald-nss", "module": "day1", "lang": "en"}
    )
    assert page.status_code == 200
    view = page.text.split('class="panel team-view"', 1)[1]
    assert "Velmora State News Agency announces a missile test" in view
    # Brenland's own crisis-centre assessment is addressed to Brenland's teams only.
    assert "Brenland crisis centre — initial assessment" not in view
    # Controller notes and expected actions never reach a team's view.
    assert "Start the Module 1 clock" not in page.text
    assert "opens a crisis log" not in page.text
    assert (
        server.admin.get(
            f"/editor/{draft_id}/preview", params={"team": "excon", "module": "day1"}
        ).status_code
        == 404
    )


def test_a_run_made_of_a_draft_serves_its_documents_through_the_gate(server: Server) -> None:
    from sitroom.package.examples import example_path
    from sitroom.package.load import load_package

    package = load_package(example_path("allied-consultation")).package
    assert package is not None
    teams = [t.id for t in package.teams if t.kind == "players"]

    def players(i: Any) -> list[str]:
        return [t.id for t in package.recipients(i) if t.kind == "players"]

    inject = next(
        i for i in package.injects() if i.attachments and 0 < len(players(i)) < len(teams)
    )
    to = [t.id for t in package.recipients(inject) if t.kind == "players"]
    other = next(t for t in teams if t not in to)
    draft_id = str(new_draft(server)["draft_id"])
    content = b"A changed document of the draft, <b>not</b> the bundled one.\n"
    uploaded = server.admin.post(
        f"/editor/{draft_id}/documents",
        data={"base": "1", "path": inject.attachments[0].path},
        files={"file": ("doc.md", content, "text/markdown")},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303, uploaded.text
    edit = {"op": "set", "path": TITLE, "value": "Retitled in the draft"}
    saved = server.admin.post(
        f"/api/drafts/{draft_id}/save", json={"base_version": 2, "edits": [edit]}
    )
    assert saved.status_code == 200, saved.text
    made = server.admin.post(
        f"/editor/{draft_id}/runs",
        data={"version": "3", "run_id": "draft-docs"},
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    server.admin.post("/api/runs/draft-docs/start", json={}).raise_for_status()
    addressed = invite_and_join(
        server.admin, server.base, "draft-docs", name="A", role="player", team=to[0]
    )
    outsider = invite_and_join(
        server.admin, server.base, "draft-docs", name="B", role="player", team=other
    )
    url = f"/runs/draft-docs/play/attachments/{inject.number}/0"
    try:
        assert addressed.get(url).status_code == 404  # not released yet
        released = server.admin.post(
            f"/api/runs/draft-docs/injects/{inject.number}/release", json={}
        )
        assert released.status_code < 300, released.text
        assert f'href="{url}"' in addressed.get("/runs/draft-docs/play").text
        reply = addressed.get(url)
        assert reply.status_code == 200, reply.text
        assert reply.content == content
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert outsider.get(url).status_code in (403, 404)
    finally:
        addressed.close()
        outsider.close()
