"""Single sign-on pages: off to the provider, and back (the protocol is `sitroom.auth.oidc`).

``GET /signin/oidc`` sends the browser to the provider, with a state that the browser keeps
in a cookie of its own (``sitroom_sso``, HttpOnly, for ``/signin/oidc`` only, ten minutes).
``GET /signin/oidc/callback`` is where the provider sends it back: the state in the URL must
be the one in that cookie, so another site cannot sign a visitor in as the attacker by
sending them to the callback with the attacker's code (login CSRF); and it is good once.
``GET /signin/oidc?invitation=TOKEN`` does the same for an invitation bound to a person at
the provider: the invitation is used only if the person who comes back is that person.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sitroom.bootstrap import Services
from sitroom.services.identity import AuthError, cookie_settings
from sitroom.web.cookies import device_of, set_device, set_language, set_session
from sitroom.web.deps import SESSION_COOKIE, services
from sitroom.web.pages.join import JOIN_MESSAGES
from sitroom.web.pages.signin_form import refused_message, signin_page
from sitroom.web.render import LANG_COOKIE

log = logging.getLogger("sitroom.web")
router = APIRouter(include_in_schema=False)

STATE_COOKIE = "sitroom_sso"
_STATE_PATH = "/signin/oidc"
_STATE_MAX_AGE = 600

Svc = Annotated[Services, Depends(services)]


@router.get("/signin/oidc")
async def sign_on(
    request: Request,
    svc: Svc,
    invitation: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    """Off to the provider, with a fresh state in this browser's cookie."""
    try:
        url, state, language = await run_in_threadpool(svc.identity.sso_begin, invitation)
    except AuthError as exc:
        log.warning("single sign-on not started: %s", exc.message)
        message = refused_message(exc)
        if message is None:
            message = JOIN_MESSAGES.get(exc.reason, JOIN_MESSAGES["invalid"])
        return signin_page(request, svc, exc.status, sso_error=message)
    response = RedirectResponse(url, status_code=303)
    settings = cookie_settings(svc.settings.secure_cookies, _STATE_MAX_AGE)
    settings["path"] = _STATE_PATH
    response.set_cookie(STATE_COOKIE, state, **settings)
    response.headers["Cache-Control"] = "no-store"
    if language is not None and LANG_COOKIE not in request.cookies:
        set_language(response, language)  # what comes back speaks as the join page did
    return response


@router.get("/signin/oidc/callback")
async def sign_on_callback(
    request: Request,
    svc: Svc,
    state: Annotated[str | None, Query(max_length=512)] = None,
    code: Annotated[str | None, Query(max_length=4096)] = None,
    error: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    """Back from the provider: check, exchange, sign in (or say plainly why not)."""
    device, new = device_of(request)
    try:
        session, invitation = await run_in_threadpool(
            lambda: svc.identity.sso_finish(
                cookie_state=request.cookies.get(STATE_COOKIE),
                state=state,
                code=code,
                error=error,
                device=device,
            )
        )
    except AuthError as exc:
        log.warning("single sign-on refused: %s", exc.message)
        message = refused_message(exc)
        if message is None:
            message = JOIN_MESSAGES.get(exc.reason, JOIN_MESSAGES["invalid"])
        response = signin_page(request, svc, exc.status, sso_error=message)
        response.delete_cookie(STATE_COOKIE, path=_STATE_PATH)
        return response
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:  # replaced by the new sign-in
        await run_in_threadpool(svc.identity.logout, previous)
    target = "/" if invitation is None else f"/runs/{invitation.run_id}"
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(STATE_COOKIE, path=_STATE_PATH)
    set_session(response, svc, session)
    if invitation is not None:
        if new:
            set_device(response, svc, device)
        set_language(response, invitation.language)
    return response
