"""Inviting people into a run: the invitation list, new invitations with their join codes and
QR codes printed once, and revoking. For planners (admin and facilitator accounts) only."""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

import segno
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sitroom.bootstrap import Services
from sitroom.package.model import Package, TeamKind
from sitroom.services.identity import LANGUAGES, AuthError
from sitroom.web.deps import Viewer
from sitroom.web.forms import FormState, new_key, posted, text, wall_datetime, zone
from sitroom.web.pages.design_access import Planner, Svc, planner, render
from sitroom.web.pages.home import PageError
from sitroom.web.render import N_

router = APIRouter(include_in_schema=False)

MAX_INVITATIONS = 50
INVITATION_ROLES = ("player", "facilitator", "evaluator", "observer", "display")
INVITATION_STATES = {
    "active": N_("Active"),
    "expired": N_("Expired"),
    "revoked": N_("Revoked"),
}
DELIVERY_STATES = {
    "queued": N_("E-mail queued"),
    "sending": N_("E-mail being sent"),
    "sent": N_("E-mail sent"),
    "failed": N_("E-mail failed, will retry"),
    "bounced": N_("E-mail refused, will retry"),
    "dead": N_("E-mail given up"),
}


# --- invitations --------------------------------------------------------------------------


def _state_of(invitation: dict[str, Any], now: datetime) -> str:
    if invitation.get("revoked_at"):
        return "revoked"
    expires = invitation.get("expires_at")
    if expires and datetime.fromisoformat(expires) <= now:
        return "expired"
    return "active"


async def _run_package(svc: Services, run_id: str) -> Package:
    if await run_in_threadpool(svc.engine.recorder.get_run, run_id) is None:
        raise PageError(404, N_("There is no such run here."))
    return await run_in_threadpool(svc.engine.package, run_id)


async def _invitations_page(
    request: Request,
    who: Viewer,
    svc: Services,
    run_id: str,
    form: FormState | None = None,
    status_code: int = 200,
    notice: str | None = None,
) -> Response:
    package = await _run_package(svc, run_id)
    invitations = await run_in_threadpool(svc.identity.invitations, run_id)
    now = datetime.now(UTC)
    tz = zone(package.exercise.time_zone)
    rows = [
        {
            **i,
            "state": _state_of(i, now),
            "expires": wall_datetime(datetime.fromisoformat(i["expires_at"]), tz),
            "next_try": (
                wall_datetime(datetime.fromisoformat(i["email"]["next_at"]), tz)
                if i.get("email") and i["email"]["state"] in ("failed", "bounced")
                else ""
            ),
        }
        for i in invitations
    ]
    return render(
        request,
        who,
        "design/invitations.html",
        status_code,
        run_id=run_id,
        package=package,
        content_languages=package.exercise.languages,
        invitations=rows,
        form=form or FormState(values={"role": "player", "count": "1"}),
        roles=INVITATION_ROLES,
        languages=LANGUAGES,
        states=INVITATION_STATES,
        deliveries=DELIVERY_STATES,
        mail_on=svc.outbox is not None and svc.outbox.enabled,
        notice=notice,
        player_teams=[t for t in package.teams if t.kind == TeamKind.PLAYERS],
        sso_name=svc.settings.oidc_provider_name if svc.identity.sso is not None else None,
    )


def _binding(bound_to: str) -> tuple[str | None, str | None]:
    """The form's "bound to" field as (e-mail, subject): ``sub:<subject>`` binds to a
    subject, anything else to an e-mail address."""
    bound_to = bound_to.strip()
    if not bound_to:
        return None, None
    if bound_to.lower().startswith("sub:"):
        return None, bound_to[4:].strip()
    return bound_to, None


@router.get("/design/runs/{run_id}/invitations")
async def invitations(run_id: str, request: Request, who: Planner, svc: Svc) -> Response:
    """Invitations of a run: create, list with their state, revoke."""
    done = request.query_params.get("done", "")
    notice = {
        "revoked": N_("The invitation was revoked; its link and join code no longer work."),
        "created-run": N_("The run was created. Invite people into it."),
        "resent": N_("The e-mail is queued to be sent again."),
    }.get(done)
    if request.query_params.get("created"):
        notice = N_("The run was created. Invite people into it.")
    return await _invitations_page(request, who, svc, run_id, notice=notice)


_CREATED: OrderedDict[str, list[str]] = OrderedDict()
_CREATED_LOCK = threading.Lock()
"""Form key → invitation ids it made, so a re-sent form does not invite people twice."""


@router.post("/design/runs/{run_id}/invitations")
async def create_invitations(run_id: str, request: Request, svc: Svc) -> Response:
    """Create invitations; their join codes and links are shown on this one page only."""
    await planner(request)
    who, form = await posted(request)
    package = await _run_package(svc, run_id)
    key = text(form, "key", 200) or new_key()
    values = {
        name: text(form, name, 200)
        for name in ("name", "role", "team", "party", "language", "count", "email", "bound_to")
    }
    state = FormState(values=values, key=key)
    with _CREATED_LOCK:
        earlier = _CREATED.get(f"{run_id}:{key}")
    if earlier is not None:
        state.error = N_(
            "These invitations were created already and their codes were shown once. "
            "Revoke them and create new ones if the codes were lost."
        )
        state.error_field = "name"
        state.translate = True
        return await _invitations_page(request, who, svc, run_id, state, 409)
    try:
        count = int(values["count"] or "1")
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_INVITATIONS:
        state.error = N_("Invite between 1 and %(limit)s people at a time.")
        state.error_field = "count"
        state.translate = True
        return await _invitations_page(request, who, svc, run_id, state, 422)
    if count > 1 and values["email"].strip():
        state.error = N_("An e-mail address invites one person: set how many to 1.")
        state.error_field = "email"
        state.translate = True
        return await _invitations_page(request, who, svc, run_id, state, 422)
    name = values["name"].strip()
    made: list[dict[str, Any]] = []

    bound_email, bound_subject = _binding(values["bound_to"])

    def invite(number: int) -> dict[str, Any]:
        return svc.identity.invite(
            run_id,
            package,
            who.principal.id,
            name=f"{name} {number}" if count > 1 and name else name,
            role=values["role"],
            team=values["team"] or None,
            party=values["party"] or None,
            language=values["language"] or "en",
            email=values["email"] or None,
            idp_email=bound_email,
            idp_subject=bound_subject,
        )

    try:
        for number in range(1, count + 1):
            made.append(await run_in_threadpool(invite, number))
    except AuthError as exc:
        if not made:
            state.error = exc.message
            state.error_field = exc.field
            return await _invitations_page(request, who, svc, run_id, state, exc.status)
    with _CREATED_LOCK:
        _CREATED[f"{run_id}:{key}"] = [str(i["id"]) for i in made]
        while len(_CREATED) > 1000:
            _CREATED.popitem(last=False)
    cards = [
        {
            **i,
            "qr": segno.make(str(i["link"]), error="m").svg_data_uri(scale=4, border=2),
        }
        for i in made
    ]
    response = render(
        request,
        who,
        "design/created.html",
        201,
        run_id=run_id,
        package=package,
        cards=cards,
        base_url=svc.settings.base_url,
        content_languages=package.exercise.languages,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/design/runs/{run_id}/invitations/{invitation_id}/revoke")
async def revoke(run_id: str, invitation_id: str, request: Request, svc: Svc) -> Response:
    """Withdraw an invitation: its link and join code stop working, its sessions end."""
    await planner(request)
    who, _form = await posted(request)
    await _run_package(svc, run_id)
    try:
        await run_in_threadpool(svc.identity.revoke, run_id, invitation_id[:80], who.principal)
    except AuthError as exc:
        state = FormState(error=exc.message, error_field="revoke")
        return await _invitations_page(request, who, svc, run_id, state, exc.status)
    return RedirectResponse(f"/design/runs/{run_id}/invitations?done=revoked", status_code=303)


@router.post("/design/runs/{run_id}/invitations/{invitation_id}/resend")
async def resend(run_id: str, invitation_id: str, request: Request, svc: Svc) -> Response:
    """Send an invitation's e-mail again after it failed, bounced or was given up."""
    await planner(request)
    who, _form = await posted(request)
    await _run_package(svc, run_id)
    try:
        await run_in_threadpool(svc.identity.send_again, run_id, invitation_id[:80])
    except AuthError as exc:
        state = FormState(error=exc.message, error_field="revoke")
        return await _invitations_page(request, who, svc, run_id, state, exc.status)
    return RedirectResponse(f"/design/runs/{run_id}/invitations?done=resent", status_code=303)
