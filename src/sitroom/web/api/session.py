"""Signing in and out, joining a run by link or code, and managing invitations."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sitroom.bootstrap import Services
from sitroom.services.identity import AuthError, cookie_settings
from sitroom.web.api import schemas as s
from sitroom.web.api.errors import STAFF_READ, errors
from sitroom.web.deps import (
    SESSION_COOKIE,
    ApiError,
    Viewer,
    services,
    viewer_in_run,
)

router = APIRouter()


DEVICE_COOKIE = "sitroom_device"
"""A random secret per browser: what a device-bound invitation is bound to."""
_DEVICE_MAX_AGE = 400 * 24 * 3600  # the longest lifetime browsers keep a cookie


def _client(request: Request) -> str:
    """The client's address: the TCP peer's, or the one a trusted proxy forwarded.

    uvicorn rewrites the peer from X-Forwarded-For only for the addresses in
    SITROOM_TRUSTED_PROXIES (`sitroom.cli.serve.forwarded_options`); nothing here reads the
    header itself, so a client cannot pick its own address to escape the sign-in limits.
    """
    return request.client.host if request.client else "unknown"


def _device(request: Request) -> tuple[str, bool]:
    """This browser's device secret, and whether it is new (then the cookie must be set)."""
    known = request.cookies.get(DEVICE_COOKIE, "")
    if 32 <= len(known) <= 128:
        return known, False
    return secrets.token_urlsafe(32), True


def _with_device(response: Response, svc: Services, device: str, new: bool) -> Response:
    if new:
        response.set_cookie(
            DEVICE_COOKIE, device, **cookie_settings(svc.settings.secure_cookies, _DEVICE_MAX_AGE)
        )
    return response


def _auth_error(exc: AuthError) -> ApiError:
    retry = getattr(exc, "retry_after", None)
    extra = {} if retry is None else {"retry_after": max(1, round(retry))}
    return ApiError(exc.status, exc.message, field=exc.field, **extra)


def _with_session(response: Response, svc: Services, token: str) -> Response:
    max_age = svc.identity.auth.sessions.max_age
    response.set_cookie(
        SESSION_COOKIE, token, **cookie_settings(svc.settings.secure_cookies, max_age)
    )
    return response


@router.post(
    "/api/session", summary="Sign in with an account", responses=errors(400, 403, 413, 422, 429)
)
async def sign_in(
    body: s.LoginBody, request: Request, svc: Annotated[Services, Depends(services)]
) -> Response:
    try:
        token = await run_in_threadpool(
            svc.identity.login, body.username, body.password, _client(request)
        )
    except AuthError as exc:
        raise _auth_error(exc) from None
    found = await run_in_threadpool(svc.identity.resolve, token, None)
    assert found is not None
    data = {
        "id": found.principal.id,
        "role": found.principal.role,
        "name": found.principal.name,
        "csrf_token": svc.identity.csrf_token(token),
    }
    return _with_session(JSONResponse(data), svc, token)


@router.delete("/api/session", summary="Sign out", responses=errors())
async def sign_out(request: Request, svc: Annotated[Services, Depends(services)]) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await run_in_threadpool(svc.identity.logout, token)
    response = JSONResponse({"signed_out": True})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post(
    "/api/join",
    summary="Join a run with a join code",
    responses=errors(400, 403, 404, 410, 413, 422, 429),
)
async def join(
    body: s.JoinBody, request: Request, svc: Annotated[Services, Depends(services)]
) -> Response:
    device, new = _device(request)
    try:
        token, invitation = await run_in_threadpool(
            svc.identity.join_code, body.code, _client(request), device
        )
    except AuthError as exc:
        raise _auth_error(exc) from None
    data = {**svc.identity.describe(invitation), "csrf_token": svc.identity.csrf_token(token)}
    return _with_device(_with_session(JSONResponse(data), svc, token), svc, device, new)


@router.get(
    "/join/{token}",
    summary="Join a run with an invitation link",
    status_code=303,
    response_class=RedirectResponse,
    response_description="Signed in (a session cookie): on to the run's page",
    responses=errors(403, 404, 410, 422),
)
async def join_link(
    token: str, request: Request, svc: Annotated[Services, Depends(services)]
) -> Response:
    device, new = _device(request)
    try:
        session, invitation = await run_in_threadpool(svc.identity.join_link, token, device)
    except AuthError as exc:
        raise _auth_error(exc) from None
    target = f"/runs/{invitation.run_id}"
    response = _with_session(RedirectResponse(target, status_code=303), svc, session)
    _with_device(response, svc, device, new)
    if invitation.language in ("en", "ko"):
        response.set_cookie("sitroom_lang", invitation.language, samesite="lax", path="/")
    return response


def _control_of(who: Viewer, *, changing: bool = False) -> None:
    if not who.principal.is_control:
        raise ApiError(403, "only the facilitator or control staff manage invitations")
    if changing and who.scope not in (None, "admin"):
        raise ApiError(
            403,
            f"this API token has scope '{who.scope}'; creating or revoking invitations"
            " (who may enter a run) needs a token made with --scope admin",
            field="scope",
        )


@router.get(
    "/api/runs/{run_id}/invitations", summary="Invitations of a run (control)", responses=STAFF_READ
)
async def list_invitations(
    run_id: str,
    svc: Annotated[Services, Depends(services)],
    who: Annotated[Viewer, Depends(viewer_in_run)],
) -> list[dict[str, Any]]:
    _control_of(who)
    return await run_in_threadpool(svc.identity.invitations, run_id)


@router.post(
    "/api/runs/{run_id}/invitations",
    status_code=201,
    summary="Invite a person: returns the link and join code once",
    responses=errors(400, 401, 403, 404, 413, 422),
)
async def create_invitation(
    run_id: str,
    body: s.InvitationBody,
    svc: Annotated[Services, Depends(services)],
    who: Annotated[Viewer, Depends(viewer_in_run)],
) -> dict[str, Any]:
    _control_of(who, changing=True)
    package = await run_in_threadpool(svc.engine.package, run_id)
    try:
        return await run_in_threadpool(
            lambda: svc.identity.invite(
                run_id,
                package,
                who.principal.id,
                name=body.name,
                role=body.role,
                team=body.team,
                party=body.party,
                language=body.language,
                single_use=body.single_use,
                bind_device=body.bind_device,
            )
        )
    except AuthError as exc:
        raise _auth_error(exc) from None


@router.delete(
    "/api/runs/{run_id}/invitations/{invitation_id}",
    summary="Revoke an invitation",
    responses=errors(401, 403, 404, 422),
)
async def revoke_invitation(
    run_id: str,
    invitation_id: str,
    svc: Annotated[Services, Depends(services)],
    who: Annotated[Viewer, Depends(viewer_in_run)],
) -> dict[str, Any]:
    _control_of(who, changing=True)
    try:
        return await run_in_threadpool(svc.identity.revoke, run_id, invitation_id)
    except AuthError as exc:
        raise _auth_error(exc) from None
