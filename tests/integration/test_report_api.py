"""The AAR/IP over HTTP: staff only, findings written and read back, finalising, party cuts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.packages import TWO_PARTIES
from tests.support.server import create_admin, invite_and_join, running_server, sign_in

RUN = "aar"
BRN_TYPED = "ZZBRN-TYPED-RESPONSE"
ALD_TYPED = "ZZALD-TYPED-RESPONSE"


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, httpx.Client]]:
    data_dir = tmp_path_factory.mktemp("report-api")
    create_admin(data_dir, "report-password")
    with running_server(data_dir) as base:
        admin = sign_in(base, "admin", "report-password")
        admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": RUN})
        clients = {
            "admin": admin,
            "evaluator": invite_and_join(admin, base, RUN, name="Eve", role="evaluator"),
            "ald": invite_and_join(admin, base, RUN, name="Ada", role="player", team="ald-nsc"),
            "brn": invite_and_join(admin, base, RUN, name="Bo", role="player", team="brn-nsc"),
            "observer": invite_and_join(admin, base, RUN, name="Olga", role="observer"),
            "display": invite_and_join(admin, base, RUN, name="Wall", role="display"),
        }
        yield clients
        for client in clients.values():
            client.close()


def _post(client: httpx.Client, path: str, body: dict[str, Any]) -> httpx.Response:
    return client.post(f"/api/runs/{RUN}{path}", json=body)


def _ok(client: httpx.Client, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    reply = _post(client, path, body or {})
    assert reply.status_code == 200, reply.text
    return reply.json()  # type: ignore[no-any-return]


def _seq(reply: dict[str, Any]) -> int:
    return int(reply["recorded"][0]["seq"])


@pytest.fixture(scope="module")
def played(people: dict[str, httpx.Client]) -> dict[str, int]:
    """A short run to ENDEX: one inject, a response by each party's team, one rating."""
    admin, evaluator = people["admin"], people["evaluator"]
    _ok(admin, "/start")
    _ok(admin, "/injects/1/release")
    brn = _seq(
        _ok(people["brn"], "/responses", {"target": "inject", "ref": "1", "text": BRN_TYPED})
    )
    ald = _seq(
        _ok(people["ald"], "/responses", {"target": "inject", "ref": "1", "text": ALD_TYPED})
    )
    _ok(
        evaluator,
        "/ratings/targets",
        {"target": "t1", "rating": "S", "notes": "Called the ally.", "evidence": [ald]},
    )
    _ok(
        evaluator,
        "/findings",
        {
            "kind": "improvement",
            "title": "Brenland answered late",
            "capability": "operational-coordination",
            "evidence": [brn],
        },
    )
    _ok(admin, "/end")
    return {"brn": brn, "ald": ald}


def test_the_aar_is_for_staff_only(people: dict[str, httpx.Client], played: dict[str, int]) -> None:
    for who in ("ald", "brn", "observer", "display"):
        for path in (
            f"/api/runs/{RUN}/report",
            f"/api/runs/{RUN}/report?format=pdf",
            f"/api/runs/{RUN}/report?party=ald",
            f"/api/runs/{RUN}/findings",
            f"/api/runs/{RUN}/findings?party={who}",
        ):
            reply = people[who].get(path)
            assert reply.status_code == 403, (who, path, reply.text)
            assert reply.json()["errors"][0]["message"] == (
                "the AAR is for evaluators and control staff"
            )
        assert BRN_TYPED not in people[who].get(f"/api/runs/{RUN}/report").text
        written = _post(people[who], "/findings", {"kind": "strength", "title": "Mine"})
        assert written.status_code == 403, who
        final = _post(people[who], "/report/finalise", {"parties": [], "upto": 1, "hash": "x"})
        assert final.status_code == 403, who
    for who in ("admin", "evaluator"):
        assert people[who].get(f"/api/runs/{RUN}/report").status_code == 200


def test_bad_queries_name_their_field(
    people: dict[str, httpx.Client], played: dict[str, int]
) -> None:
    evaluator = people["evaluator"]
    unknown = evaluator.get(f"/api/runs/{RUN}/report", params={"party": "zzz"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "party"
    assert "ald" in unknown.json()["errors"][0]["message"]
    listed = evaluator.get(f"/api/runs/{RUN}/findings", params={"party": "zzz"})
    assert listed.status_code == 422 and listed.json()["errors"][0]["field"] == "party"
    wrong = evaluator.get(f"/api/runs/{RUN}/report", params={"format": "odt"})
    assert wrong.status_code == 422
    error = wrong.json()["errors"][0]
    assert error["field"] == "format"
    assert all(f in error["message"] for f in ("json", "html", "docx", "pdf"))
    lang = evaluator.get(f"/api/runs/{RUN}/report", params={"format": "html", "lang": "xx"})
    assert lang.status_code == 422 and lang.json()["errors"][0]["field"] == "lang"


def test_a_finding_with_corrective_actions_is_saved_and_read_back(
    people: dict[str, httpx.Client], played: dict[str, int]
) -> None:
    evaluator = people["evaluator"]
    body = {
        "kind": "improvement",
        "title": "Consultation started late <b>",
        "analysis": "Aldoria called **40 minutes** after the announcement.",
        "capability": "operational-coordination",
        "objective": "o1",
        "evidence": [played["ald"]],
        "rel_to": ["ald"],
        "corrective_actions": [
            {
                "action": "Write a call tree for allied consultation.",
                "element": "Planning",
                "organisation": "Aldoria Crisis Office",
                "poc": "R. Castellan",
                "start": "2027-04-01",
                "completion": "2027-06-30",
            },
            {"action": "Exercise the call tree.", "element": "Exercise"},
        ],
    }
    saved = _ok(evaluator, "/findings", body)
    assert saved["recorded"][0]["type"] == "finding-saved"
    again = _post(evaluator, "/findings", body)  # without a key: a second finding
    assert again.status_code == 200
    keyed = evaluator.post(
        f"/api/runs/{RUN}/findings", json=body, headers={"Idempotency-Key": "aar-k1"}
    )
    retried = evaluator.post(
        f"/api/runs/{RUN}/findings", json=body, headers={"Idempotency-Key": "aar-k1"}
    )
    assert keyed.json()["recorded"] == retried.json()["recorded"] and retried.json()["duplicate"]

    findings = evaluator.get(f"/api/runs/{RUN}/findings").json()
    mine = [f for f in findings if f["title"] == "Consultation started late <b>"]
    assert len(mine) == 3
    found = mine[0]
    assert found["kind"] == "improvement" and not found["drafted"]
    assert found["capability"] == "operational-coordination" and found["objective"] == "o1"
    assert found["evidence"] == [played["ald"]]
    assert found["rel_to"] == ["ald"]
    assert found["analysis"] == body["analysis"]
    rows = found["corrective_actions"]
    assert [r["action"] for r in rows] == [
        "Write a call tree for allied consultation.",
        "Exercise the call tree.",
    ]
    assert rows[0]["element"] == "Planning" and rows[0]["completion"] == "2027-06-30"
    assert rows[0]["organisation"] == "Aldoria Crisis Office" and rows[0]["poc"] == "R. Castellan"
    assert all(r["id"] for r in rows)
    assert any(f["drafted"] for f in findings), "the rating drafts a finding"

    report = evaluator.get(f"/api/runs/{RUN}/report").json()
    plan = report["model"]["improvement_plan"]
    assert any(r["action"] == "Write a call tree for allied consultation." for r in plan)
    events = {e["type"] for e in evaluator.get(f"/api/runs/{RUN}/evaluation").json()["events"]}
    assert "finding-saved" in events


def test_an_edited_draft_keeps_its_id(
    people: dict[str, httpx.Client], played: dict[str, int]
) -> None:
    evaluator = people["evaluator"]
    draft = next(f for f in evaluator.get(f"/api/runs/{RUN}/findings").json() if f["drafted"])
    _ok(evaluator, "/findings", {**_editable(draft), "title": "Calls came, but late"})
    after = {f["id"]: f for f in evaluator.get(f"/api/runs/{RUN}/findings").json()}
    assert after[draft["id"]]["title"] == "Calls came, but late"
    assert not after[draft["id"]]["drafted"]


def _editable(finding: dict[str, Any]) -> dict[str, Any]:
    keep = ("id", "kind", "title", "analysis", "capability", "objective", "evidence", "rel_to")
    return {k: finding[k] for k in keep}


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"action": "A", "element": "Budget"}, "corrective_actions[0].element"),
        ({"action": "A", "completion": "2027-13-40"}, "corrective_actions[0].completion"),
        ({"action": "A", "start": "next week"}, "corrective_actions[0].start"),
        (
            {"action": "A", "start": "2027-06-01", "completion": "2027-05-01"},
            "corrective_actions[0].completion",
        ),
    ],
)
def test_a_bad_corrective_action_names_its_field(
    people: dict[str, httpx.Client], played: dict[str, int], row: dict[str, str], field: str
) -> None:
    reply = _post(
        people["evaluator"],
        "/findings",
        {"kind": "improvement", "title": "Late", "corrective_actions": [row]},
    )
    assert reply.status_code == 422, reply.text
    assert reply.json()["errors"][0]["field"] == field


def test_a_finding_is_removed(people: dict[str, httpx.Client], played: dict[str, int]) -> None:
    evaluator = people["evaluator"]
    saved = _ok(evaluator, "/findings", {"kind": "strength", "title": "ZZTO-BE-REMOVED"})
    finding = next(
        f
        for f in evaluator.get(f"/api/runs/{RUN}/findings").json()
        if f["title"] == "ZZTO-BE-REMOVED"
    )
    assert saved["recorded"][0]["type"] == "finding-saved"
    removed = _ok(evaluator, f"/findings/{finding['id']}/remove", {"reason": "duplicate"})
    assert removed["recorded"][0]["type"] == "finding-removed"
    assert "ZZTO-BE-REMOVED" not in evaluator.get(f"/api/runs/{RUN}/findings").text
    twice = _post(evaluator, f"/findings/{finding['id']}/remove", {})
    assert twice.status_code == 409


def test_a_party_aar_never_shows_the_other_party_s_words(
    people: dict[str, httpx.Client], played: dict[str, int]
) -> None:
    evaluator = people["evaluator"]
    complete = evaluator.get(f"/api/runs/{RUN}/report").text
    assert BRN_TYPED in complete and ALD_TYPED in complete
    assert "Brenland answered late" in complete
    ald = evaluator.get(f"/api/runs/{RUN}/report", params={"party": "ald"})
    assert ald.status_code == 200
    assert ald.json()["parties"] == ["ald"]
    assert BRN_TYPED not in ald.text and "Brenland answered late" not in ald.text
    assert ALD_TYPED in ald.text
    ald_findings = evaluator.get(f"/api/runs/{RUN}/findings", params={"party": "ald"}).text
    assert BRN_TYPED not in ald_findings and "Brenland answered late" not in ald_findings
    brn = evaluator.get(f"/api/runs/{RUN}/report", params={"party": "brn"}).text
    assert BRN_TYPED in brn and ALD_TYPED not in brn
    joint = evaluator.get(f"/api/runs/{RUN}/report", params=[("party", "ald"), ("party", "brn")])
    assert joint.json()["parties"] == ["ald", "brn"]
    assert BRN_TYPED not in joint.text and ALD_TYPED not in joint.text


def test_finalising_after_endex(people: dict[str, httpx.Client], played: dict[str, int]) -> None:
    evaluator = people["evaluator"]
    draft = evaluator.get(f"/api/runs/{RUN}/report", params={"party": "brn"}).json()
    assert draft["status"] == "draft" and not draft["final"] and draft["frozen_hash"] is None
    assert draft["hash"].startswith("sha256:")
    stale = _post(
        evaluator,
        "/report/finalise",
        {"parties": ["brn"], "upto": draft["upto"] - 1, "hash": draft["hash"]},
    )
    assert stale.status_code == 409, stale.text
    assert stale.json()["errors"][0]["field"] == "upto"
    assert "the record has changed since this report was built" in stale.text
    forged = _post(
        evaluator,
        "/report/finalise",
        {"parties": ["brn"], "upto": draft["upto"], "hash": "sha256:" + "0" * 64},
    )
    assert forged.status_code == 409 and forged.json()["errors"][0]["field"] == "hash"

    done = _ok(
        evaluator,
        "/report/finalise",
        {"parties": ["brn"], "upto": draft["upto"], "hash": draft["hash"]},
    )
    assert done["recorded"][0]["type"] == "report-finalised"
    final = evaluator.get(f"/api/runs/{RUN}/report", params={"party": "brn"}).json()
    assert final["status"] == "final" and final["final"] and final["intact"]
    assert final["hash"] == draft["hash"] == final["frozen_hash"]
    assert final["finalised_at"] and final["upto"] == draft["upto"]

    # Later findings do not change the final AAR; the complete one is still a draft.
    _ok(evaluator, "/findings", {"kind": "strength", "title": "ZZLATE-FINDING"})
    later = evaluator.get(f"/api/runs/{RUN}/report", params={"party": "brn"}).json()
    assert later["hash"] == draft["hash"] and "ZZLATE-FINDING" not in str(later)
    assert evaluator.get(f"/api/runs/{RUN}/report").json()["status"] == "draft"
    twice = _post(
        evaluator,
        "/report/finalise",
        {"parties": ["brn"], "upto": later["upto"], "hash": later["hash"]},
    )
    assert twice.status_code == 409


def test_the_aar_downloads(people: dict[str, httpx.Client], played: dict[str, int]) -> None:
    evaluator = people["evaluator"]
    signatures = {"html": b"<", "docx": b"PK", "pdf": b"%PDF"}
    for fmt, magic in signatures.items():
        reply = evaluator.get(
            f"/api/runs/{RUN}/report", params={"format": fmt, "party": "ald", "lang": "ko"}
        )
        assert reply.status_code == 200, (fmt, reply.text[:500])
        assert reply.content.lstrip().startswith(magic), fmt
        disposition = reply.headers["content-disposition"]
        assert disposition.startswith("attachment;") and f"-ald-draft-ko.{fmt}" in disposition
    html = evaluator.get(f"/api/runs/{RUN}/report", params={"format": "html", "party": "ald"})
    assert BRN_TYPED not in html.text
    assert "default-src 'none'" in html.headers["content-security-policy"]
