"""The one error body of the JSON API, and the statuses each route says it answers with.

Every refusal — an ``ApiError`` a route raises, a command the run or the series ``Rejected``,
an unknown run, a request that fails validation — reaches the client through the exception
handlers of ``web.app`` in the shape of ``ErrorBody``. Each route passes ``errors(...)`` as its
``responses=`` so that the OpenAPI document lists exactly the statuses it can return, each
with this body; tests/integration/test_api_contract.py holds the server to it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorItem(BaseModel):
    """One thing wrong with the request."""

    field: str | None = Field(
        description="The body field (dotted for nested ones), query or path parameter or header"
        " the error is about; null when it is about the request as a whole."
    )
    message: str = Field(description="What is wrong, and what would be accepted.")


class ErrorBody(BaseModel):
    """Every error the API returns: at least one item, each naming its field."""

    errors: list[ErrorItem] = Field(min_length=1)
    problems: list[Any] | None = Field(
        default=None,
        description="Creating a run from an invalid package: every problem with its file, line"
        " and column. Importing a workbook: every problem by sheet, row and column.",
    )
    retry_after: int | None = Field(
        default=None, ge=1, description="429: the seconds to wait before trying again."
    )


MEANINGS: dict[int, str] = {
    400: "The request cannot be read: a body that is not UTF-8 JSON or well-formed multipart,"
    " or a malformed stream cursor (`Last-Event-ID`, `after`).",
    401: "Not signed in, or the API token is unknown, revoked or expired.",
    403: "Not for your role or your token's scope, or a write with the session cookie but"
    " without its CSRF token.",
    404: "No such run or series, or nothing by that name that you may see.",
    409: "Not now: the state of the run or series refuses it (e.g. the run has ended, the"
    " inject is already released, the id exists already).",
    410: "The invitation has expired, been withdrawn or been used.",
    413: "The request body or the uploaded file is too large.",
    422: "Invalid input: each error names the field and says what would be accepted.",
    429: "Too many failed attempts from your address: wait `retry_after` seconds.",
    503: "Busy: too many requests at once, or the run or series is being written by others;"
    " try again shortly.",
}
"""What each error status means, for every route (docs/api.md says the same)."""

ALWAYS = (503,)
"""Any route may answer 503 when the server is saturated."""


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route that answers with ``statuses`` (and 503) as ``ErrorBody``."""
    unknown = set(statuses) - MEANINGS.keys()
    if unknown:
        raise ValueError(f"no meaning written for status {sorted(unknown)}")
    return {
        status: {"model": ErrorBody, "description": MEANINGS[status]}
        for status in sorted({*statuses, *ALWAYS})
    }


SIGNED_IN = errors(401)
"""A route for anyone signed in."""
READ = errors(401, 404, 422)
"""A read of a run the caller belongs to."""
STAFF_READ = errors(401, 403, 404, 422)
"""A read for some roles only: a run's evaluators and control staff, or a series' staff."""
WRITE = errors(401, 403, 404, 409, 422)
"""A command without a body: who may, and when, are the run's (or series') to decide."""
WRITE_WITH_BODY = errors(400, 401, 403, 404, 409, 413, 422)
"""A command with a body."""
