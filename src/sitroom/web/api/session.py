"""Signing in and out, joining a run by link or code, and managing invitations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sitroom.bootstrap import Services
from sitroom.services.identity import AuthError, cookie_settings
from sitroom.web.api import schemas as s
from sitroom.web.deps import (
    SESSION_COOKIE,
    ApiError,
    Viewer,
    services,
    viewer_in_run,
)

router = APIRouter()


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _auth_error(exc: AuthError) -> ApiError:
    return ApiError(exc.status, exc.message, field=exc.field)


def _with_session(response: Response, svc: Services, token: str) -> Response:
    max_age = svc.identity.auth.sessions.max_age
    response.set_cookie(
        SESSION_COOKIE, token, **cookie_settings(svc.settings.secure_cookies, max_age)
    )
    return response


@router.post("/api/session", summary="Sign in with an account")
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


@router.delete("/api/session", summary="Sign out")
async def sign_out(request: Request, svc: Annotated[Services, Depends(services)]) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await run_in_threadpool(svc.identity.logout, token)
    response = JSONResponse({"signed_out": True})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/api/join", summary="Join a run with a join code")
async def join(
    body: s.JoinBody, request: Request, svc: Annotated[Services, Depends(services)]
) -> Response:
    try:
        token, invitation = await run_in_threadpool(
            svc.identity.join_code, body.code, _client(request)
        )
    except AuthError as exc:
        raise _auth_error(exc) from None
    data = {**svc.identity.describe(invitation), "csrf_token": svc.identity.csrf_token(token)}
    return _with_session(JSONResponse(data), svc, token)


@router.get("/join/{token}", summary="Join a run with an invitation link", include_in_schema=True)
async def join_link(token: str, svc: Annotated[Services, Depends(services)]) -> Response:
    try:
        session, invitation = await run_in_threadpool(svc.identity.join_link, token)
    except AuthError as exc:
        raise _auth_error(exc) from None
    target = f"/runs/{invitation.run_id}"
    response = _with_session(RedirectResponse(target, status_code=303), svc, session)
    if invitation.language in ("en", "ko"):
        response.set_cookie("sitroom_lang", invitation.language, samesite="lax", path="/")
    return response


def _control_of(who: Viewer) -> None:
    if not who.principal.is_control:
        raise ApiError(403, "only the facilitator or control staff manage invitations")


@router.get("/api/runs/{run_id}/invitations", summary="Invitations of a run (control)")
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
)
async def create_invitation(
    run_id: str,
    body: s.InvitationBody,
    svc: Annotated[Services, Depends(services)],
    who: Annotated[Viewer, Depends(viewer_in_run)],
) -> dict[str, Any]:
    _control_of(who)
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
            )
        )
    except AuthError as exc:
        raise _auth_error(exc) from None


@router.delete("/api/runs/{run_id}/invitations/{invitation_id}", summary="Revoke an invitation")
async def revoke_invitation(
    run_id: str,
    invitation_id: str,
    svc: Annotated[Services, Depends(services)],
    who: Annotated[Viewer, Depends(viewer_in_run)],
) -> dict[str, Any]:
    _control_of(who)
    try:
        return await run_in_threadpool(svc.identity.revoke, run_id, invitation_id)
    except AuthError as exc:
        raise _auth_error(exc) from None
