"""Joining a run: an invitation link shows whom it signs in as, and only a button joins.

``GET /join/{token}`` changes nothing — not the browser's session, not a single-use link's
use, not a device binding — so a link that a page makes the browser fetch (an image, a
prefetch, a link preview) cannot swap anyone's sign-in. The page names the exercise, the
person, the role, team and party, and says plainly when joining would replace the sign-in
this browser already has. ``POST /join/{token}`` (the page's button) joins, and so does
``POST /join`` with a typed join code; both accept forms from this site's pages only
(`sitroom.web.origin`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sitroom.bootstrap import Services
from sitroom.package.model import Package, text_in
from sitroom.services.identity import AuthError, Invitation
from sitroom.services.runs import RunNotFound
from sitroom.web.cookies import device_of, known_device, set_device, set_language, set_session
from sitroom.web.deps import SESSION_COOKIE, Viewer, optional_viewer, services
from sitroom.web.origin import same_origin
from sitroom.web.pages.design_access import ROLE_LABELS
from sitroom.web.pages.home import AUTH_MESSAGES
from sitroom.web.pages.signin_form import refused_message, signin_page
from sitroom.web.render import N_, page, ui_language

router = APIRouter(include_in_schema=False)

JOIN_MESSAGES = {
    **AUTH_MESSAGES,
    "unknown": N_(
        "This invitation link is not valid. Check that it was copied whole,"
        " or ask the facilitator for a new one."
    ),
    "used": N_(
        "This invitation was already used, and it signs in one person once."
        " If that was not you, tell control."
    ),
    "denied": N_(
        "This invitation is bound to the browser that used it first."
        " Ask control for a new invitation for this browser."
    ),
}
"""What a person is told when an invitation link does not sign them in, by the reason."""

CODE_MESSAGES = {**JOIN_MESSAGES, "unknown": AUTH_MESSAGES["unknown"]}
"""The same for a typed join code (an unknown code is a typing slip, not a damaged link)."""

Svc = Annotated[Services, Depends(services)]


def _names(package: Package, team: str | None, party: str | None, lang: str) -> dict[str, str]:
    """The exercise title and the team's and party's names, in ``lang``."""
    languages = package.exercise.languages
    found = package.team(team) if team else None
    side = package.party(party) if party else None
    return {
        "exercise": text_in(package.exercise.title, lang, languages),
        "team": text_in(found.name, lang, languages) if found else (team or ""),
        "party": (f"{text_in(side.name, lang, languages)} ({side.code})" if side else "")
        or (party or ""),
    }


async def _signed_in_now(svc: Services, who: Viewer | None, lang: str) -> dict[str, str] | None:
    """Who this browser is signed in as now (by its session cookie), for the warning."""
    if who is None or who.session is None:
        return None
    p = who.principal
    names = {"exercise": "", "team": p.team or "", "party": p.party or ""}
    if who.run_id is not None:
        try:
            package = await run_in_threadpool(svc.engine.package, who.run_id)
        except RunNotFound:  # a run that is gone: the ids still say enough
            package = None
        if package is not None:
            names = _names(package, p.team, p.party, lang)
    return {"name": p.name or p.id, "role": ROLE_LABELS.get(str(p.role), str(p.role)), **names}


def _join_page(request: Request, lang: str, status_code: int = 200, **context: Any) -> Response:
    response = page(request, "join.html", lang, status_code=status_code, **context)
    # The URL holds the link's secret: keep the page out of caches and history stores.
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/join/{token}")
async def join_page(token: str, request: Request, svc: Svc) -> Response:
    """Whom the link signs in as, and a button to join; nothing is changed here."""
    who = await optional_viewer(request)
    lang = ui_language(request, who.language if who else "en")
    try:
        invitation = await run_in_threadpool(svc.identity.check_link, token, known_device(request))
    except AuthError as exc:
        if _is_theirs(who, exc, token, svc):
            return _join_page(request, lang, already=True, run_id=who.run_id if who else None)
        return _join_page(request, lang, status_code=exc.status, error=_message(exc))
    if who is not None and who.invitation == invitation.id:
        return _join_page(
            request,
            ui_language(request, invitation.language),
            already=True,
            run_id=invitation.run_id,
        )
    lang = ui_language(request, invitation.language)
    package = await run_in_threadpool(svc.engine.package, invitation.run_id)
    joining = {
        "name": invitation.display_name,
        "role": ROLE_LABELS.get(str(invitation.role), str(invitation.role)),
        **_names(package, invitation.team, invitation.party, lang),
    }
    return _join_page(
        request,
        lang,
        token=token,
        joining=joining,
        current=await _signed_in_now(svc, who, lang),
        content_languages=package.exercise.languages,
        sso_name=svc.settings.oidc_provider_name if invitation.bound_to_idp else None,
    )


def _message(exc: AuthError) -> str:
    return refused_message(exc) or JOIN_MESSAGES.get(exc.reason, JOIN_MESSAGES["invalid"])


def _is_theirs(who: Viewer | None, exc: AuthError, token: str, svc: Services) -> bool:
    """True if a used-up link is the one this browser joined with (a reopened link)."""
    if who is None or who.invitation is None or exc.reason not in ("used", "denied"):
        return False
    return svc.identity.link_names(token, who.invitation)


@router.post("/join/{token}", dependencies=[Depends(same_origin)])
async def join_by_link(token: str, request: Request, svc: Svc) -> Response:
    """Join with the link: a new session replaces whatever this browser was signed in as."""
    device, new = device_of(request)
    try:
        session, invitation = await run_in_threadpool(svc.identity.join_link, token, device)
    except AuthError as exc:
        who = await optional_viewer(request)
        return _join_page(
            request,
            ui_language(request, who.language if who else "en"),
            status_code=exc.status,
            error=_message(exc),
        )
    return await _joined(request, svc, session, invitation, device if new else None)


@router.post("/join", dependencies=[Depends(same_origin)])
async def join_by_code(
    request: Request, svc: Svc, code: Annotated[str, Form(max_length=40)] = ""
) -> Response:
    """Join with a typed join code (the sign-in page's form)."""
    client = request.client.host if request.client else "unknown"
    device, new = device_of(request)
    try:
        session, invitation = await run_in_threadpool(svc.identity.join_code, code, client, device)
    except AuthError as exc:
        message = refused_message(exc) or CODE_MESSAGES.get(exc.reason, CODE_MESSAGES["invalid"])
        return signin_page(request, svc, exc.status, join_error=message, code=code)
    return await _joined(request, svc, session, invitation, device if new else None)


async def _joined(
    request: Request, svc: Services, session: str, invitation: Invitation, new_device: str | None
) -> Response:
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:  # replaced, so it must not live on where the cookie could be restored
        await run_in_threadpool(svc.identity.logout, previous)
    response = RedirectResponse(f"/runs/{invitation.run_id}", status_code=303)
    set_session(response, svc, session)
    if new_device is not None:
        set_device(response, svc, new_device)
    set_language(response, invitation.language)
    return response
