"""Who may come into the exercise series, and what the series routes share.

Staff accounts only: admin and facilitator accounts read and manage; people who joined a run
by invitation get 403 everywhere in a series, whatever their role, because a series spans runs
they were never invited to (``conduct.visibility.can_plan`` decides).
"""

from __future__ import annotations

import mimetypes
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as StarletteUpload

from sitroom.bootstrap import Services
from sitroom.conduct.visibility import can_plan
from sitroom.improvement import commands as ic
from sitroom.improvement.state import SeriesState
from sitroom.web.deps import (
    ApiError,
    Viewer,
    authenticated,
    check_csrf,
    optional_viewer,
    services,
)
from sitroom.web.pages.home import NotSignedIn, PageError
from sitroom.web.render import N_

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_XLSX_BYTES = 10 * 1024 * 1024
STAFF_ONLY = "series and corrective actions are for admin and facilitator accounts"


# --- who may come in --------------------------------------------------------------------------


def staff_account(who: Viewer) -> bool:
    """An admin or facilitator account, not a run's invitation (the gate's ``can_plan``)."""
    return can_plan(who.principal, invited=who.run_id is not None)


async def api_staff(request: Request) -> Viewer:
    """The signed-in admin or facilitator account (CSRF checked on cookie writes), else 403.

    Who it is and whether they may come in are known before the body is read: a form's CSRF
    field, and with it an uploaded file, is parsed only for staff."""
    who = await authenticated(request)
    if not staff_account(who):
        raise ApiError(403, STAFF_ONLY)
    await check_csrf(request, who)
    return who


async def page_staff(request: Request) -> Viewer:
    """The signed-in admin or facilitator account for a page; others see the 403 page."""
    who = await optional_viewer(request)
    if who is None:
        raise NotSignedIn
    if not staff_account(who):
        raise PageError(403, N_("This page is for administrator and facilitator accounts."))
    return who


Staff = Annotated[Viewer, Depends(api_staff)]
PageStaff = Annotated[Viewer, Depends(page_staff)]
Svc = Annotated[Services, Depends(services)]


def today_utc() -> date:
    """Today, for what is due and overdue (the series' dates are calendar days in UTC)."""
    return datetime.now(UTC).date()


async def series_state(svc: Services, series_id: str, who: Viewer) -> SeriesState:
    return await run_in_threadpool(svc.series.state, series_id, who.principal)


async def handle_series(
    svc: Services, series_id: str, command: ic.Command, who: Viewer, key: str | None
) -> dict[str, Any]:
    applied = await run_in_threadpool(svc.series.handle, series_id, command, who.principal, key)
    return outcome(applied.events, applied.duplicate)


def outcome(events: list[Any], duplicate: bool) -> dict[str, Any]:
    return {
        "recorded": [{"seq": e.seq, "type": e.type} for e in events],
        "duplicate": duplicate,
    }


async def read_file(upload: StarletteUpload, limit: int) -> tuple[bytes, str, str]:
    """An upload's bytes (one more than ``limit``, so too large shows), name and media type."""
    data = await upload.read(limit + 1)
    name = Path(upload.filename or "evidence").name[:200] or "evidence"
    media = upload.content_type or ""
    if not media or media == "application/octet-stream":
        media = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return data, name, media


def form_file(form: FormData, name: str) -> StarletteUpload:
    """The file sent in multipart field ``name``, or 422 naming the field."""
    found = form.get(name)
    if not isinstance(found, StarletteUpload):
        raise ApiError(422, f"send the file as the multipart/form-data field '{name}'", field=name)
    return found


def form_text(form: FormData, name: str, limit: int) -> str:
    """The text of multipart field ``name`` ('' when absent), or 422 naming the field."""
    found = form.get(name, "")
    if not isinstance(found, str):
        raise ApiError(422, f"'{name}' is text, not a file", field=name)
    if len(found) > limit:
        raise ApiError(422, f"'{name}' is longer than {limit} characters", field=name)
    return found


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Control characters (tab and line breaks aside): no one types them, and a spreadsheet
export cannot hold them, so they are refused where text comes in."""


def printable(value: str | None) -> str | None:
    """A JSON body's text, refused with a clear message when it holds control characters."""
    if value is not None and CONTROL.search(value):
        raise ValueError("contains control characters; remove them")
    return value


def clean(value: str) -> str:
    """A form field without control characters (a browser never sends them)."""
    return CONTROL.sub("", value)
