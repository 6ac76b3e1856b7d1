"""Signing in and out, joining a run by code, and managing invitations (JSON).

Joining by link is a page (`sitroom.web.pages.join`): the link shows whom it signs in as,
and only its button joins.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from sitroom.bootstrap import Services
from sitroom.services.identity import AuthError
from sitroom.web.api import schemas as s
from sitroom.web.api.errors import STAFF_READ, errors
from sitroom.web.cookies import device_of, set_device, set_session
from sitroom.web.deps import (
    SESSION_COOKIE,
    ApiError,
    Viewer,
    services,
    viewer_in_run,
)

router = APIRouter()


def _client(request: Request) -> str:
    """The client's address: the TCP peer's, or the one a trusted proxy forwarded.

    uvicorn rewrites the peer from X-Forwarded-For only for the addresses in
    SITROOM_TRUSTED_PROXIES (`sitroom.cli.serve.forwarded_options`); nothing here reads the
    header itself, so a client cannot pick its own address to escape the sign-in limits.
    """
    return request.client.host if request.client else "unknown"


def _auth_error(exc: AuthError) -> ApiError:
    retry = getattr(exc, "retry_after", None)
    extra = {} if retry is None else {"retry_after": max(1, round(retry))}
    return ApiError(exc.status, exc.message, field=exc.field, **extra)


def _with_session(response: Response, svc: Services, token: str) -> Response:
    set_session(response, svc, token)
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
    provider_logout = None
    if token:
        provider_logout = await run_in_threadpool(svc.identity.logout, token)
    # A single sign-on's session ends at the provider too when the browser goes there.
    response = JSONResponse({"signed_out": True, "provider_logout": provider_logout})
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
    device, new = device_of(request)
    try:
        token, invitation = await run_in_threadpool(
            svc.identity.join_code, body.code, _client(request), device
        )
    except AuthError as exc:
        raise _auth_error(exc) from None
    data = {**svc.identity.describe(invitation), "csrf_token": svc.identity.csrf_token(token)}
    response = _with_session(JSONResponse(data), svc, token)
    if new:
        set_device(response, svc, device)
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
                email=body.email,
                idp_email=body.idp_email,
                idp_subject=body.idp_subject,
            )
        )
    except AuthError as exc:
        raise _auth_error(exc) from None


@router.post(
    "/api/runs/{run_id}/invitations/{invitation_id}/resend",
    summary="Send an invitation's e-mail again (after it failed or was given up)",
    responses=errors(401, 403, 404, 422),
)
async def resend_invitation(
    run_id: str,
    invitation_id: str,
    svc: Annotated[Services, Depends(services)],
    who: Annotated[Viewer, Depends(viewer_in_run)],
) -> dict[str, Any]:
    _control_of(who, changing=True)
    try:
        return await run_in_threadpool(svc.identity.send_again, run_id, invitation_id[:80])
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
        return await run_in_threadpool(svc.identity.revoke, run_id, invitation_id, who.principal)
    except AuthError as exc:
        raise _auth_error(exc) from None
