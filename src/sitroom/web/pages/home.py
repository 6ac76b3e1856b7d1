"""The pages every audience shares: sign-in, the run's front door, the language.

Audience pages live beside this one (``play``, ``console``, ``evaluate``, ``display``,
``design``); each builds its context with ``run_page`` and renders through ``render.page``.
Joining by link or code is in ``join``. Signing in and out accepts forms from this site's
own pages only (`sitroom.web.origin`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import escape
from starlette.concurrency import run_in_threadpool

from sitroom.bootstrap import Services
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.state import RunState
from sitroom.conduct.visibility import audience
from sitroom.package.marking import package_label, render_banner
from sitroom.package.model import Package
from sitroom.services.identity import AuthError
from sitroom.services.runs import RunNotFound
from sitroom.web.cookies import set_session
from sitroom.web.deps import (
    PREVIEW_HEADER,
    SESSION_COOKIE,
    ApiError,
    Viewer,
    as_previewed,
    credentials,
    optional_viewer,
    services,
)
from sitroom.web.origin import same_origin
from sitroom.web.pagecache import Filler, Hole, Holes, PageCache, new_form_key
from sitroom.web.pages.signin_form import refused_message, signin_page
from sitroom.web.render import (
    LANG_COOKIE,
    N_,
    UI_LANGUAGES,
    fragment,
    page,
    respond,
    ui_language,
)

router = APIRouter(include_in_schema=False)

ROLE_HOME = {
    Role.ADMIN: "console",
    Role.FACILITATOR: "console",
    Role.PLAYER: "play",
    Role.EVALUATOR: "evaluate",
    Role.OBSERVER: "evaluate",
    Role.DISPLAY: "display",
}


@dataclass
class RunPage:
    """What every run page needs: who is looking, the run's package and state, the banner."""

    viewer: Viewer
    run_id: str
    package: Package
    state: RunState
    lang: str
    csrf_token: str | None
    holes: Holes | None = None
    """Set while the page renders for the viewer's whole audience (see ``shared``)."""
    fillers: dict[str, Filler] = field(default_factory=dict)
    """The page's own kinds of holes (a player's acknowledgements, the clock of now)."""

    @property
    def label(self) -> dict[str, Any]:
        """The page's confidentiality label: the exercise's default marking."""
        return package_label(self.package.exercise.default_marking, self.package)

    @property
    def banner(self) -> str:
        return render_banner(self.label)

    def context(self, **extra: Any) -> dict[str, Any]:
        """The template context shared by run pages."""
        p = self.viewer.principal
        team = self.package.team(p.team) if p.team else None
        party = self.package.party(p.party) if p.party else None
        return {
            "viewer": self.viewer,
            "principal": p,
            "run_id": self.run_id,
            "package": self.package,
            "state": self.state,
            "banner": self.banner,
            "marking_label": self.label,
            "csrf_token": self.csrf_token,
            "team": team,
            "party": party,
            "content_languages": self.package.exercise.languages,
            "hole": self.holes or Holes(self.fill),
            "new_key": self.new_key,
            "form_key": self.new_key,
            **extra,
        }

    # -- one page shared by an audience (web.pagecache) ------------------------------------

    def new_key(self) -> str:
        """A fresh idempotency key for a form (a hole when the page is shared)."""
        return self.holes.key() if self.holes is not None else new_form_key()

    def shared(self, holes: Holes) -> RunPage:
        """This page as the viewer's whole audience sees it: a stand-in viewer of the same
        role, team and party whose id and name are holes, the CSRF token a hole. Nothing
        rendered from it can hold the viewer's own records or anyone's name but by a hole."""
        p = self.viewer.principal
        stand_in = Principal(
            id=str(holes("principal")),
            role=p.role,
            name=str(holes("name")),
            team=p.team,
            party=p.party,
        )
        viewer = Viewer(stand_in, self.viewer.run_id, self.viewer.language)
        csrf = None if self.csrf_token is None else str(holes("csrf"))
        return replace(self, viewer=viewer, csrf_token=csrf, holes=holes, fillers={})

    def slot(self, name: str, *inputs: Hashable) -> tuple[Hashable, ...]:
        """The cache slot of a page: the page, the run, the audience and language, and the
        page's own ``inputs`` (what else it shows that the log does not say)."""
        account = self.viewer.run_id is None
        signed = self.csrf_token is not None
        who = audience(self.viewer.principal)
        return (name, self.run_id, who, self.lang, account, signed, *inputs)

    def fill(self, hole: Hole) -> str:
        """The viewer's own part of a page, as HTML."""
        p = self.viewer.principal
        if hole.kind in self.fillers:
            return self.fillers[hole.kind](hole)
        if hole.kind == "csrf":
            return str(escape(self.csrf_token or ""))
        if hole.kind == "key":
            return new_form_key()
        if hole.kind == "principal":
            return str(escape(p.id))
        if hole.kind == "name":
            return str(escape(p.name or p.id))
        if hole.kind.startswith("preview"):
            return self._preview_part(hole.kind)
        raise LookupError(f"no filler for the hole {hole.kind!r}")

    def _preview_part(self, kind: str) -> str:
        """A previewed page's own parts (``services.preview``); nothing on anyone else's."""
        spec = self.viewer.preview
        if spec is None:
            return ""
        if kind == "preview-query":  # the event stream's address
            return str(escape(f"&as={quote(spec, safe='')}"))
        if kind == "preview-attrs":  # the page root: its requests carry the preview too
            headers = json.dumps({PREVIEW_HEADER: spec})
            return f' data-preview hx-headers="{escape(headers)}"'
        if kind == "preview":
            p = self.viewer.principal
            return fragment(
                "preview.html",
                self.lang,
                run_id=self.run_id,
                role=str(p.role),
                team=self.package.team(p.team) if p.team else None,
                party=self.package.party(p.party) if p.party else None,
                previewer=self.viewer.previewer,
                content_languages=self.package.exercise.languages,
            )
        raise LookupError(f"no filler for the hole {kind!r}")


async def shared_page(
    request: Request,
    ctx: RunPage,
    slot: tuple[Hashable, ...],
    render: Callable[[RunPage], str],
    version: int | None = None,
) -> HTMLResponse:
    """The page of ``slot``, rendered once per sequence number for the viewer's audience by
    ``render`` (given the shared page context) and filled in for this viewer. ``version``:
    the sequence number of the latest event the page shows (default: the run's)."""
    cache: PageCache = request.app.state.pages
    seq = ctx.state.seq if version is None else version
    rendered = await cache.get(slot, seq, lambda holes: render(ctx.shared(holes)))
    return respond(rendered.fill(ctx.fill))


AUTH_MESSAGES = {
    "denied": N_("Unknown username or wrong password."),
    "throttled": N_("Too many attempts. Wait a minute and try again."),
    "unknown": N_("That join code is not known. Check it and try again."),
    "expired": N_("This invitation has expired. Ask the facilitator for a new one."),
    "revoked": N_("This invitation was withdrawn. Ask the facilitator for a new one."),
    "invalid": N_("That does not look right. Check it and try again."),
}
"""What a person is told when signing in or joining fails, by the reason the check gave."""


class NotSignedIn(Exception):
    """Raised by page dependencies; the app answers with a redirect to the sign-in page."""


async def run_page(request: Request, run_id: str, *roles: Role) -> RunPage:
    """The run page context for the viewer, who must belong to the run (and hold a role)."""
    svc: Services = services(request)
    token, api_token = credentials(request)
    if not token and not api_token:
        raise NotSignedIn

    def read() -> tuple[Viewer | None, RunState | None]:
        """One trip to a thread: who is asking, how far the log goes, and the state there."""
        found = svc.identity.resolve(token, api_token)
        if found is None or (found.run_id is not None and found.run_id != run_id):
            return found, None  # nothing of the run is read for someone not in it
        try:
            return found, svc.engine.state(run_id, svc.engine.last_seq(run_id))
        except RunNotFound:
            return found, None

    found, state = await run_in_threadpool(read)
    try:
        who = await as_previewed(request, found)
    except ApiError as refused:  # a preview that cannot be
        raise PageError(refused.status, refused.message) from None
    if who is None:
        raise NotSignedIn
    if state is None or (who.run_id is not None and who.run_id != run_id):
        raise PageError(404, N_("There is no such run here."))
    if roles and who.principal.role not in roles:
        raise PageError(403, N_("This page is not for your role."))
    csrf = svc.identity.csrf_token(who.session) if who.session else None
    lang = ui_language(request, who.language)
    return RunPage(who, run_id, state.package, state, lang, csrf)


class PageError(Exception):
    """A page that cannot be shown: the status and a message for the person."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@router.get("/")
async def home(request: Request, svc: Annotated[Services, Depends(services)]) -> Response:
    who = await optional_viewer(request)
    if who is None:
        return RedirectResponse("/signin", status_code=303)
    if who.run_id is not None:
        return RedirectResponse(f"/runs/{who.run_id}", status_code=303)
    runs = await run_in_threadpool(svc.engine.runs)
    lang = ui_language(request, who.language)
    csrf = svc.identity.csrf_token(who.session) if who.session else None
    return page(
        request, "home.html", lang, viewer=who, principal=who.principal, runs=runs, csrf_token=csrf
    )


@router.get("/signin")
async def signin_form(request: Request, svc: Annotated[Services, Depends(services)]) -> Response:
    return signin_page(request, svc)


@router.post("/signin", dependencies=[Depends(same_origin)])
async def signin(
    request: Request,
    svc: Annotated[Services, Depends(services)],
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    client = request.client.host if request.client else "unknown"
    try:
        token = await run_in_threadpool(svc.identity.login, username, password, client)
    except AuthError as exc:
        return _refused(request, svc, exc, "error", username=username)
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:  # replaced by the new sign-in
        await run_in_threadpool(svc.identity.logout, previous)
    response = RedirectResponse("/", status_code=303)
    set_session(response, svc, token)
    return response


def _refused(
    request: Request, svc: Services, exc: AuthError, field: str, **context: Any
) -> Response:
    """The sign-in page again, saying in the person's language why it did not work."""
    message = refused_message(exc) or AUTH_MESSAGES.get(exc.reason, AUTH_MESSAGES["invalid"])
    return signin_page(request, svc, exc.status, **{field: message}, **context)


@router.post("/signout", dependencies=[Depends(same_origin)])
async def signout(request: Request, svc: Annotated[Services, Depends(services)]) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    provider_logout = None
    if token:  # a single sign-on's session also ends at the provider, if it offers that
        provider_logout = await run_in_threadpool(svc.identity.logout, token)
    response = RedirectResponse(provider_logout or "/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/language/{code}")
async def language(code: str, request: Request, next: str = "/") -> Response:
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    if code in UI_LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, samesite="lax", path="/", max_age=365 * 86400)
    return response


@router.get("/runs/{run_id}")
async def run_door(run_id: str, request: Request) -> Response:
    """Send each person to the view of their role."""
    ctx = await run_page(request, run_id)
    return RedirectResponse(
        f"/runs/{run_id}/{ROLE_HOME[ctx.viewer.principal.role]}", status_code=303
    )
