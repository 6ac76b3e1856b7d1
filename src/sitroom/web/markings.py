"""``/markings.css``: the banners' colours, drawn from the marking scheme table.

The colours of every classification live in ``package/schemes.yaml`` with its banner text
and order; this stylesheet is made from it, so a national scheme added there is coloured
without touching the site's CSS. Schemes share a CSS class by name (``secret`` is SECRET,
NATO SECRET and ALDORIA STATE SECRET alike); the first scheme to name a class gives its
colours.
"""

from __future__ import annotations

import functools
import re

from fastapi import APIRouter
from fastapi.responses import Response

from sitroom.package.schemes import all_schemes

router = APIRouter()
_COLOUR = re.compile(r"^#[0-9a-fA-F]{3,8}$")
_CLASS = re.compile(r"^[a-z0-9-]{1,40}$")


@functools.cache
def markings_css() -> str:
    """One rule per CSS class of the table: background, text and border colours."""
    rules: dict[str, str] = {}
    for scheme in all_schemes().values():
        for item in scheme.classifications:
            colours = (item.colour, item.text_colour, item.border_colour or item.colour)
            if item.css in rules or not _CLASS.match(item.css):
                continue
            if not all(_COLOUR.match(c) for c in colours):
                continue  # a colour that is not one stays out of the stylesheet
            background, text, border = colours
            rules[item.css] = (
                f".banner.marking-{item.css}, p.inject-banner.marking-{item.css}"
                f" {{ background: {background}; color: {text}; border-color: {border}; }}"
            )
    return "\n".join(rules.values()) + "\n"


@router.get("/markings.css", include_in_schema=False)
async def stylesheet() -> Response:
    return Response(
        markings_css(),
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=3600"},
    )
