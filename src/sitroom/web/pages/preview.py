"""Control looks at a run as a team, a party, an evaluator or the room display
(``services.preview``): the console's picker leads here, and here to that audience's page.

The page is the audience's own page, with a banner saying whose view it is; it and all its
requests carry the preview (``?as=`` on its address and its event stream, a header on what
htmx asks), and the web applies it to reading only.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from sitroom.conduct.principal import CONTROL_ROLES
from sitroom.services.preview import PreviewAs
from sitroom.web.pages.home import PageError, run_page
from sitroom.web.render import N_

router = APIRouter(include_in_schema=False)


@router.get("/runs/{run_id}/preview")
async def preview(request: Request, run_id: str) -> RedirectResponse:
    """To the page of what the picker chose (``?as=team:ald-nss`` …), seen as them."""
    ctx = await run_page(request, run_id)
    spec = ctx.viewer.preview
    if spec is None:
        if ctx.viewer.principal.role not in CONTROL_ROLES:
            raise PageError(403, N_("This page is not for your role."))
        raise PageError(400, N_("Choose whose view of the run to look at."))
    seen_as = PreviewAs.parse(spec, ctx.package)
    target = f"/runs/{run_id}/{seen_as.page}?as={quote(spec, safe='')}"
    return RedirectResponse(target, status_code=303)
