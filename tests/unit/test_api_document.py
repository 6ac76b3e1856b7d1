"""The OpenAPI document promises what the server does: every error status a route lists has
the one error body, and the values the schema enumerates are the ones the run accepts.

(tests/integration/test_api_contract.py holds a real server to the document; these checks
are the cheap half that needs no server.)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from sitroom.auth.invitations import JOIN_CODE_ALPHABET, format_join_code
from sitroom.auth.store import INVITATION_ROLES
from sitroom.conduct.feedback import PRIORITIES
from sitroom.conduct.handlers.checks import FINDING_KINDS, HOT_WASH_KINDS, RATINGS
from sitroom.config import load_settings
from sitroom.web.api import schemas as s
from sitroom.web.api.errors import MEANINGS, errors
from sitroom.web.app import create_app

ERROR_BODY = {"$ref": "#/components/schemas/ErrorBody"}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data = tmp_path_factory.mktemp("document")
    return create_app(load_settings({"SITROOM_DATA_DIR": str(Path(data))})).openapi()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]


# A readiness probe's 503 is its answer, not an error: {"ready": false, "reason": ...}.
NOT_ERRORS = {("GET", "/api/ready")}


def test_every_error_a_route_lists_has_the_one_error_body(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        if (method, path) in NOT_ERRORS:
            assert operation["responses"]["503"]["content"]["application/json"]["schema"]
            continue
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            schema = response["content"]["application/json"]["schema"]
            assert schema == ERROR_BODY, f"{method} {path} {status}: {schema}"
            assert response["description"] == MEANINGS[int(status)]
    # FastAPI's own 422 body ({"detail": ...}) is not what the server sends.
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_routes_list_the_statuses_their_checks_answer_with(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        listed = {int(code) for code in operation["responses"]}
        assert 503 in listed, f"{method} {path}"
        if operation.get("parameters") or "requestBody" in operation:
            assert 422 in listed, f"{method} {path}"
        if "requestBody" in operation:
            assert {400, 413} <= listed, f"{method} {path}"
        if "/{run_id}" in path:
            assert 404 in listed, f"{method} {path}"
        signed_in = path.startswith(("/api/runs", "/api/me", "/api/series"))
        if signed_in and not (method == "POST" and path == "/api/runs"):
            assert 401 in listed, f"{method} {path}"
        if method != "GET" and signed_in:
            assert 403 in listed, f"{method} {path}"  # a read-only token, a missing CSRF token


def test_an_unknown_status_has_no_meaning_to_list() -> None:
    with pytest.raises(ValueError, match="418"):
        errors(418)


def test_enumerated_values_are_the_ones_the_run_accepts() -> None:
    def enum(model: type[Any], name: str) -> set[str]:
        field = model.model_json_schema()["properties"][name]
        found = [x["enum"] for x in (field, *field.get("anyOf", ())) if "enum" in x]
        return set(found[0])

    assert enum(s.TargetRatingBody, "rating") == set(RATINGS)
    assert enum(s.ObservationBody, "rating") == set(RATINGS)
    assert enum(s.HotWashBody, "kind") == set(HOT_WASH_KINDS)
    assert enum(s.FindingBody, "kind") == set(FINDING_KINDS)
    assert enum(s.SuggestedActionBody, "priority") == set(PRIORITIES)
    assert enum(s.InvitationBody, "role") == {str(r) for r in INVITATION_ROLES}


def test_the_join_code_pattern_takes_every_code_the_server_makes() -> None:
    pattern = re.compile(s.JOIN_CODE)
    alphabet = JOIN_CODE_ALPHABET
    for start in range(0, len(alphabet), 8):
        code = (alphabet[start:] + alphabet)[:8]
        assert pattern.match(format_join_code(code)) and pattern.match(code.lower())
    for misread in "0O1IL":
        assert not pattern.match(format_join_code(misread * 8))
