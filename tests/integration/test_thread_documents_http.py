"""An organisation's answer attaches a package document: the team that wrote downloads it, the
other party gets a 404, and an unknown path is refused by name."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sitroom.package.examples import example_path
from tests.support.server import create_admin, invite_and_join, running_server, sign_in

PASSWORD = "thread-documents-password"
RUN = "allied"


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, ...]]:
    data_dir = tmp_path_factory.mktemp("thread-documents")
    create_admin(data_dir, PASSWORD, "admin")
    text = (example_path("allied-consultation") / "exercise.yaml").read_text(encoding="utf-8")
    with running_server(data_dir) as base:
        admin = sign_in(base, "admin", PASSWORD)
        made = admin.post("/api/runs", json={"package_yaml": text, "run_id": RUN})
        assert made.status_code == 201, made.text
        ald = invite_and_join(admin, base, RUN, name="Ana", role="player", team="ald-nss")
        brn = invite_and_join(admin, base, RUN, name="Bo", role="player", team="brn-nss")
        assert admin.post(f"/api/runs/{RUN}/start", json={}).status_code == 200
        yield admin, ald, brn
        for client in (admin, ald, brn):
            client.close()


def test_the_writing_team_gets_the_attached_document(clients: tuple[httpx.Client, ...]) -> None:
    admin, ald, brn = clients
    wrote = ald.post(
        f"/api/runs/{RUN}/threads",
        json={"organisation": "meridian-press", "subject": "Sitrep", "body": "Any news?"},
    )
    assert wrote.status_code == 200, wrote.text
    thread = ald.get(f"/api/runs/{RUN}/inbox").json()["threads"][0]["id"]
    unknown = admin.post(
        f"/api/runs/{RUN}/threads/{thread}/messages",
        json={"body": "See attached", "attachments": ["nope.md"]},
    )
    assert unknown.status_code == 422, unknown.text
    assert "attachments" in unknown.text and "ald-sitrep-1.md" in unknown.text
    answered = admin.post(
        f"/api/runs/{RUN}/threads/{thread}/messages",
        json={"body": "See attached", "attachments": ["ald-sitrep-1.md"]},
    )
    assert answered.status_code == 200, answered.text
    url = f"/runs/{RUN}/threads/{thread}/documents/ald-sitrep-1.md"
    got = ald.get(url)
    assert got.status_code == 200 and got.text.strip()
    assert url in ald.get(f"/runs/{RUN}/play").text
    simcell = admin.get(f"/runs/{RUN}/simcell").text
    assert url in simcell and 'name="attachments" value="ald-sitrep-1.md"' in simcell
    assert brn.get(url).status_code == 404
    not_attached = f"/runs/{RUN}/threads/{thread}/documents/vsna-statement.md"
    assert ald.get(not_attached).status_code == 404
