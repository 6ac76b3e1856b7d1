"""Password reset by e-mail for accounts: ask for a link, open it, choose a new password.

The request page answers the same whether or not the name or address belongs to an account
(the message leaves through the outbox, after the answer). The link's token is in the path
(``/reset/<token>``), which the access log hides like an invitation link. Pages that carry a
token are never cached.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sitroom.bootstrap import Services
from sitroom.services.identity import AuthError
from sitroom.web.deps import services
from sitroom.web.origin import same_origin
from sitroom.web.pages.home import PageError
from sitroom.web.render import N_, page, ui_language

router = APIRouter(include_in_schema=False)

UNUSABLE = N_(
    "This reset link does not work: it was used already, it expired, or it was not copied"
    " whole. Ask for a new one."
)
THROTTLED = N_("Too many attempts. Wait a few minutes and try again.")


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _check_on(svc: Services) -> None:
    if svc.identity.resets is None:
        raise PageError(
            404, N_("This server sends no e-mail, so passwords are reset by an administrator.")
        )


def _page(request: Request, status: int = 200, **context: object) -> Response:
    response = page(request, "reset.html", ui_language(request), status_code=status, **context)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/reset")
async def reset_request_form(
    request: Request, svc: Annotated[Services, Depends(services)]
) -> Response:
    _check_on(svc)
    return _page(request, mode="ask")


@router.post("/reset", dependencies=[Depends(same_origin)])
async def reset_request(
    request: Request,
    svc: Annotated[Services, Depends(services)],
    who: Annotated[str, Form(max_length=254)] = "",
) -> Response:
    _check_on(svc)
    try:
        await run_in_threadpool(svc.identity.request_reset, who, _client(request))
    except AuthError as exc:
        return _page(request, exc.status, mode="ask", error=THROTTLED)
    return _page(request, mode="sent", minutes=svc.settings.reset_minutes)


@router.get("/reset/{token}")
async def reset_form(
    token: str, request: Request, svc: Annotated[Services, Depends(services)]
) -> Response:
    _check_on(svc)
    try:
        account = await run_in_threadpool(svc.identity.check_reset, token[:200])
    except AuthError:
        return _page(request, 404, mode="unusable", error=UNUSABLE)
    return _page(request, mode="choose", token=token, username=account.username)


@router.post("/reset/{token}", dependencies=[Depends(same_origin)])
async def reset_password(
    token: str,
    request: Request,
    svc: Annotated[Services, Depends(services)],
    password: Annotated[str, Form(max_length=1000)] = "",
    again: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    _check_on(svc)
    if password != again:
        return _page(
            request, 422, mode="choose", token=token, error=N_("The two passwords differ.")
        )
    try:
        await run_in_threadpool(
            svc.identity.reset_password, token[:200], password, _client(request)
        )
    except AuthError as exc:
        if exc.field == "password":
            return _page(request, 422, mode="choose", token=token, error=exc.message, raw=True)
        if exc.reason == "throttled":
            return _page(request, 429, mode="unusable", error=THROTTLED)
        return _page(request, 404, mode="unusable", error=UNUSABLE)
    return _page(request, mode="done")
