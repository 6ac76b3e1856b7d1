"""The evaluation record over HTTP: who may write it, who sees it, analytics for staff only."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.packages import TWO_PARTIES
from tests.support.server import create_admin, invite_and_join, running_server, sign_in

RUN = "eval"


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, httpx.Client]]:
    data_dir = tmp_path_factory.mktemp("evaluation-api")
    create_admin(data_dir, "evaluation-password")
    with running_server(data_dir) as base:
        admin = sign_in(base, "admin", "evaluation-password")
        admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": RUN})
        clients = {
            "admin": admin,
            "evaluator": invite_and_join(admin, base, RUN, name="Eve", role="evaluator"),
            "ald": invite_and_join(admin, base, RUN, name="Ada", role="player", team="ald-nsc"),
            "brn": invite_and_join(admin, base, RUN, name="Bo", role="player", team="brn-nsc"),
        }
        yield clients
        for client in clients.values():
            client.close()


def _post(client: httpx.Client, path: str, body: dict[str, object]) -> httpx.Response:
    return client.post(f"/api/runs/{RUN}{path}", json=body)


def test_the_evaluation_record(people: dict[str, httpx.Client]) -> None:
    admin, evaluator, ald, brn = (people[k] for k in ("admin", "evaluator", "ald", "brn"))
    _post(admin, "/start", {}).raise_for_status()
    _post(admin, "/injects/1/release", {}).raise_for_status()
    rated = _post(
        evaluator,
        "/ratings/targets",
        {"target": "t1", "rating": "S", "notes": "ZZRATING-NOTE", "evidence": [3]},
    )
    assert rated.status_code == 200, rated.text
    assert _post(ald, "/ratings/targets", {"target": "t1", "rating": "P"}).status_code == 403
    bad = _post(evaluator, "/ratings/targets", {"target": "t9", "rating": "P"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "target"
    assert (
        _post(
            evaluator,
            "/ratings/capabilities",
            {"objective": "o1", "capability": "operational-coordination", "rating": "M"},
        ).status_code
        == 200
    )
    assert (
        _post(
            evaluator, "/clauses", {"clause": "guide/1.1", "discussed": True, "evidence": [3]}
        ).status_code
        == 200
    )
    assert (
        _post(admin, "/hot-wash", {"kind": "strength", "text": "Early calls."}).status_code == 200
    )
    early = _post(ald, "/feedback", {"strengths": ["Realistic"]})
    assert early.status_code == 409  # the form comes after ENDEX
    _post(admin, "/end", {}).raise_for_status()
    form = {"anonymous": True, "strengths": ["ZZALD-FEEDBACK"], "ratings": {}}
    assert _post(ald, "/feedback", form).status_code == 200

    seen_by_player = brn.get(f"/api/runs/{RUN}/evaluation").text
    assert "Early calls." in seen_by_player  # said aloud in the hot wash
    for secret in ("ZZRATING-NOTE", "ZZALD-FEEDBACK", "target-rated", "clause-recorded"):
        assert secret not in seen_by_player
    assert "ZZALD-FEEDBACK" in ald.get(f"/api/runs/{RUN}/evaluation").text  # their own form
    staff = evaluator.get(f"/api/runs/{RUN}/evaluation").json()["events"]
    kinds = {e["type"] for e in staff}
    assert {"target-rated", "capability-rated", "clause-recorded", "feedback-submitted"} <= kinds
    anonymous = next(e for e in staff if e["type"] == "feedback-submitted")
    assert "actor" not in anonymous["data"]

    assert brn.get(f"/api/runs/{RUN}/analytics").status_code == 403
    numbers = evaluator.get(f"/api/runs/{RUN}/analytics").json()
    assert numbers["rating_distribution"]["targets"]["S"] == 1
    clause = next(c for c in numbers["coverage"]["clauses"] if c["id"] == "guide/1.1")
    assert clause["exercised"] and clause["discussed"] is True
