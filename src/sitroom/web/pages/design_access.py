"""Who may design (admin and facilitator accounts), and the page renderer the design pages share."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from sitroom.bootstrap import Services
from sitroom.conduct.visibility import can_plan
from sitroom.web.deps import Viewer, optional_viewer, services
from sitroom.web.forms import viewer_page
from sitroom.web.pages.home import NotSignedIn, PageError
from sitroom.web.render import N_

ROLE_LABELS = {
    "admin": N_("Administrator"),
    "facilitator": N_("Facilitator"),
    "player": N_("Player"),
    "evaluator": N_("Evaluator"),
    "observer": N_("Observer"),
    "display": N_("Display"),
}


async def planner(request: Request) -> Viewer:
    """The signed-in admin or facilitator account; invitation principals may not design."""
    who = await optional_viewer(request)
    if who is None:
        raise NotSignedIn
    if not can_plan(who.principal, invited=who.run_id is not None):
        raise PageError(403, N_("This page is for administrator and facilitator accounts."))
    return who


Planner = Annotated[Viewer, Depends(planner)]
Svc = Annotated[Services, Depends(services)]


def render(
    request: Request, who: Viewer, template: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """A design page for ``who``, with the role names its tables show."""
    return viewer_page(request, who, template, status_code, role_labels=ROLE_LABELS, **context)
